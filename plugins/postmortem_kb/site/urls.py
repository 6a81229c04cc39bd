"""Where every generated page and file lives, and the URLs that reach it: the one URL module.

Three kinds of address, each built here and nowhere else:

- a *docs path*: where a generated page sits among the docs, ``incidents/<id>.md``, under the
  site owner's ``base_path`` (``kb/incidents/<id>.md``); built only from validated ids and
  slugs, so it can never leave the site;
- a *served path*: where the engine publishes it, ``incidents/<id>/`` (or ``incidents/<id>.html``
  without directory URLs);
- a *link*: relative from one page to another (the site works from any folder and from
  ``file://``), or absolute under ``site_url`` in feeds and exports (:class:`Urls`).
"""

from __future__ import annotations

import posixpath
from functools import lru_cache

from markupsafe import Markup

from ..crosslinks import FACET_FOLDERS
from ..slugs import is_valid_id
from .options import SiteOptions

HOME = "index.md"
INCIDENTS = "incidents"
INCIDENT_FILES = f"{INCIDENTS}/files"  # attachments, under their path in the postmortems folder
ACTION_ITEMS = "action-items/index.md"
INSIGHTS = "insights/index.md"
SEARCH = "search/index.md"
CATALOG = "catalog.json"
CATALOG_SCHEMA = "catalog.schema.json"
SITE_FEED = "feeds/postmortems.xml"
FEED_FOLDERS = {"root_causes": "root-causes", "components": "components"}
_RESERVED = {"index"}  # a term or id called "index" must not take its folder's listing page


def _name(slug: str) -> str:
    return f"{slug}_" if slug in _RESERVED else slug


def incident_path(pm_id: str) -> str:
    """``incidents/<id>.md`` (served at ``incidents/<id>/``); ids are checked by is_valid_id."""
    if not is_valid_id(pm_id):
        raise ValueError(f"not a valid postmortem id: {pm_id!r}")
    return f"{INCIDENTS}/{_name(pm_id)}.md"


def incident_json_path(pm_id: str) -> str:
    if not is_valid_id(pm_id):
        raise ValueError(f"not a valid postmortem id: {pm_id!r}")
    return f"{INCIDENTS}/{pm_id}.json"


def term_path(facet: str, slug: str) -> str:
    """``root-causes/<slug>.md`` and so on; slugs come from slugify, so they are URL-safe."""
    if not is_valid_id(slug):
        raise ValueError(f"not a valid term slug: {slug!r}")
    return f"{FACET_FOLDERS[facet]}/{_name(slug)}.md"


def facet_path(facet: str) -> str:
    return f"{FACET_FOLDERS[facet]}/index.md"


def feed_path(kind: str, slug: str) -> str:
    """Where the feed of one root cause or component lives: ``feeds/root-causes/<slug>.xml``."""
    if not is_valid_id(slug):
        raise ValueError(f"not a valid term slug: {slug!r}")
    return f"feeds/{FEED_FOLDERS[kind]}/{slug}.xml"


def served_path(path: str, directory_urls: bool = True) -> str:
    """Where the engine serves a docs path: ``a/b.md`` -> ``a/b/`` (or ``a/b.html``),
    ``a/index.md`` -> ``a/``, the home page -> ``""``; other files as they are."""
    if not path.endswith(".md"):
        return path
    stem = path[:-3]
    folder, name = posixpath.split(stem)
    if name in ("index", "README"):
        return f"{folder}/" if folder else ""
    return f"{stem}/" if directory_urls else f"{stem}.html"


def page_url(path: str, directory_urls: bool = True) -> str:
    """Like :func:`served_path`, with ``./`` for the home page (a link needs something)."""
    return served_path(path, directory_urls) or "./"


def relative_url(from_path: str, to_path: str, directory_urls: bool = True, anchor: str = "") -> str:
    """A link from the page at docs path ``from_path`` to the page or file ``to_path``."""
    return _relative(_folder_of(from_path, directory_urls), to_path, directory_urls, anchor)


@lru_cache(maxsize=4096)
def _folder_of(from_path: str, directory_urls: bool) -> tuple[str, ...]:
    """The folders of the URL the page at ``from_path`` is served at."""
    return tuple(p for p in page_url(from_path, directory_urls).split("/")[:-1] if p not in ("", "."))


@lru_cache(maxsize=65536)
def _target(to_path: str, directory_urls: bool) -> tuple[tuple[str, ...], bool]:
    """(the parts of the URL ``to_path`` is served at, whether it is a folder): a page is linked
    to from every listing, so this is worked out once per target."""
    there = page_url(to_path, directory_urls)
    return tuple(p for p in there.split("/") if p not in ("", ".")), there.endswith("/")


def _relative(base: tuple[str, ...], to_path: str, directory_urls: bool, anchor: str = "") -> str:
    # Pure string work (no os.path): thousands of links per build.
    parts, folder_target = _target(to_path, directory_urls)
    common = 0
    while common < len(base) and common < len(parts) - (0 if folder_target else 1) and base[common] == parts[common]:
        common += 1
    rel = "/".join([".."] * (len(base) - common) + list(parts[common:]))
    if folder_target:
        rel = f"{rel}/" if rel else "./"
        if not directory_urls:
            rel = ("" if rel == "./" else rel) + "index.html"
    return rel + (f"#{anchor}" if anchor else "")


class Paths:
    """Docs paths of generated pages under the site's base folder, for generators and templates
    (``paths.incident(id)``, ``paths.term(facet, slug)``, ``paths.page("insights/index.md")``)."""

    def __init__(self, options: SiteOptions):
        self.base = options.base_dir.strip("/")

    def page(self, path: str) -> str:
        return posixpath.join(self.base, path) if self.base else path

    def incident(self, pm_id: str) -> str:
        return self.page(incident_path(pm_id))

    def term(self, facet: str, slug: str) -> str:
        return self.page(term_path(facet, slug))

    def facet(self, facet: str) -> str:
        return self.page(facet_path(facet))


def linker(here: str, directory_urls: bool):
    """The ``url(path, anchor="")`` of the templates: a relative link from the page ``here``.

    Its result is Markup: built from docs paths we made, it needs no escaping."""

    base = _folder_of(here, directory_urls)

    def url(to_path: str, anchor: str = "") -> Markup:
        return Markup(_relative(base, to_path, directory_urls, anchor))

    return url


class Urls:
    """Every URL the exports and feeds give: absolute under ``site_url`` when the site has one,
    else relative to the site's root."""

    def __init__(self, options: SiteOptions | None = None, *, site_url: str | None = None):
        options = options or SiteOptions()
        site_url = options.site_url if site_url is None else site_url
        self.site_url = site_url.rstrip("/") + "/" if site_url else ""
        self.paths = Paths(options)
        self.directory_urls = options.directory_urls

    def path(self, path: str) -> str:
        """A path of the KB's part of the site, relative to the site root."""
        return self.paths.page(path)

    def absolute(self, path: str) -> str:
        """``path`` (relative to the KB's part) as a URL: absolute with a site_url, else site-relative."""
        return self.site_url + self.path(path)

    def page(self, md_path: str) -> str:
        """The URL of a generated page given by its docs path (relative to the KB's part)."""
        return self.absolute(served_path(md_path, self.directory_urls))

    def incident(self, pm_id: str) -> str:
        return self.page(incident_path(pm_id))

    def incident_json(self, pm_id: str) -> str:
        return self.absolute(incident_json_path(pm_id))

    def feed(self, kind: str, slug: str) -> str:
        return self.absolute(feed_path(kind, slug))

    def id_for(self, path: str, urn: str) -> str:
        """A permanent id: the URL when the site has a site_url, else a URN that never changes."""
        return self.absolute(path) if self.site_url else f"urn:postmortem-kb:{urn}"
