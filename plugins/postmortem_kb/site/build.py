"""One build of the generated part of a site: :class:`SiteBuild`.

A build holds everything that lives as long as one build and no longer: the postmortems
shown and the indexes over them (:class:`SiteData`), the Jinja environment, the renderer of
writers' bodies, and the HTML held out of Markdown. It knows nothing of MkDocs:

- :meth:`SiteBuild.generate` runs every generator of :data:`GENERATORS` and draws every page
  (the writers' bodies rendered and sanitized, the templates rendered), so that anything that
  can fail fails there, before an engine touches the output folder;
- an engine that converts Markdown itself (the MkDocs plugin) gives each converted page back to
  :meth:`SiteBuild.finish`, which puts the held HTML back and wraps the page;
- an engine that cannot run the plugin takes :meth:`SiteBuild.pages`: each page's Markdown with
  the held HTML already in place, ready to be written into a copy of the docs.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from html import escape, unescape
from typing import Any

from ..crosslinks import CrossLinks
from ..model import Postmortem
from ..similarity import SimilarityIndex
from ..slugs import is_valid_id
from . import GeneratedFile, GeneratedPage, actions, exports, feeds, home, incidents, insights, search_page, terms
from .bodies import BodyRenderer
from .drawing import show
from .frontmatter_dump import dump as dump_front_matter
from .listing import IncidentRows
from .options import SiteOptions
from .rawhtml import HEADING, HtmlHold
from .templates import draws, environment, python_drawer
from .urls import Paths, Urls, linker

Item = GeneratedPage | GeneratedFile
Generator = Callable[["SiteBuild"], Iterable[Item]]


@dataclass
class SiteData:
    """The postmortems a site shows and the indexes over them, built once per build."""

    postmortems: list[Postmortem]  # newest first
    crosslinks: CrossLinks
    similarity: SimilarityIndex
    today: dt.date


class UnsafePath(ValueError):
    """A generator made a path that could leave the site (a bug: paths are built from slugs)."""


@dataclass
class DrawnPage:
    """A generated page drawn for an engine: its docs path, title and Markdown."""

    path: str
    title: str
    markdown: str
    css_class: str
    search_body: bool


class SiteBuild:
    """The generated pages and files of one site build, from a loaded KB and the site's options."""

    def __init__(self, kb: Any, options: SiteOptions | None = None, *, only: Callable[[str], bool] | None = None):
        """``only``: for a partial build (a writer's preview after a save), which page paths to
        draw; the others are listed but not drawn, and generators skip their costly work."""
        self.kb = kb
        self.options = options or SiteOptions()
        self.only = only
        self.paths = Paths(self.options)
        self.urls = Urls(self.options)
        self.held = HtmlHold()
        self._drawn: dict[str, tuple[GeneratedPage, str]] = {}
        self._items: list[Item] | None = None
        self._shown: list[Postmortem] | None = None
        self._drawers: dict[str, Any] = {}  # template name -> its Python drawing, or None

    @cached_property
    def data(self) -> SiteData:
        # Ids that could not make a URL were refused by the loader; this is a second lock on the door.
        shown = [pm for pm in self.kb.visible(self.options.drafts) if is_valid_id(pm.id)]
        return SiteData(shown, CrossLinks(shown, self.kb.taxonomy), SimilarityIndex(shown, self.kb.taxonomy),
                        self.kb.config.as_of)

    @cached_property
    def templates(self):
        return environment(self.options.template_dirs)

    @cached_property
    def incident_rows(self) -> IncidentRows:
        """The listings' rows, each incident's escaped once for every listing it is on."""
        return IncidentRows(self.paths)

    @cached_property
    def bodies(self) -> BodyRenderer:
        return BodyRenderer(self.options.markdown)

    # --- the whole build -------------------------------------------------------------------

    def generate(self) -> list[Item]:
        """Every generated page (drawn) and file, in a stable order; raises on any failure."""
        if self._items is None:
            items: list[Item] = []
            seen: set[str] = set()
            for make in GENERATORS:
                for item in make(self):
                    check_path(item.path)
                    if item.path in seen:
                        raise UnsafePath(f"two generated pages or files at {item.path!r}")
                    seen.add(item.path)
                    if isinstance(item, GeneratedPage) and self.wants(item.path):
                        self._drawn[item.path] = (item, self.draw(item))
                        # What the template was given (related incidents, rows, recurrences) is
                        # in the drawn page now; kept, it would be a tenth of the build's memory.
                        item.context = {}
                    items.append(item)
            self._items = items
        return self._items

    @property
    def shown(self) -> list[Postmortem]:
        """The postmortems the site shows, newest first (also after :meth:`release`)."""
        return self._shown if "data" not in vars(self) and self._shown is not None else self.data.postmortems

    def release(self) -> None:
        """Let go of what only drawing the pages needed, once they are drawn: the indexes over the
        KB (related incidents, cross-links) and the listings' rows. The pages, the held HTML and
        the postmortems stay; the indexes are made again if anything asks for them."""
        self.generate()
        data = vars(self).pop("data", None)
        if data is not None:
            self._shown = data.postmortems
        vars(self).pop("incident_rows", None)

    def wants(self, path: str) -> bool:
        """Whether this build draws the page at ``path`` (every page, unless ``only`` says otherwise)."""
        return self.only is None or self.only(path)

    def markdown_of(self, path: str) -> str:
        """The drawn Markdown of the generated page at ``path`` (with placeholders for held HTML)."""
        self.generate()
        return self._drawn[path][1]

    def is_generated(self, path: str) -> bool:
        self.generate()
        return path in self._drawn

    def draw(self, page: GeneratedPage) -> str:
        """The page's Markdown: front matter with the escaped title, then the template's output,
        with its HTML blocks held out of Markdown."""
        context = {"page": page, "url": linker(page.path, self.options.directory_urls), "paths": self.paths,
                   "incident_rows": self.incident_rows, **page.context}
        if page.template not in self._drawers:  # finding the template's file costs system calls
            self._drawers[page.template] = python_drawer(self.templates, page.template)
        drawer = self._drawers[page.template]
        body = drawer(**context) if drawer else self.templates.get_template(page.template).render(context)
        front = {**_escaped(page.meta), "title": _escaped(page.title)}
        meta = dump_front_matter(front)  # what yaml.safe_dump(allow_unicode, sort_keys) writes
        markdown = self.held.hold(body)
        self.held.pack(markdown)  # compressed until the page is converted
        return f"---\n{meta}---\n\n{markdown}"

    def finish(self, path: str, html: str) -> str:
        """The converted HTML of the generated page at ``path``, with the held HTML back in and
        the page's wrapper around it."""
        return self.held.release(self.wrap(path, html))

    def wrap(self, path: str, html: str) -> str:
        """The converted HTML of the generated page at ``path`` in the page's wrapper, the held
        HTML still out (placeholders): an engine that writes the page later gives the HTML back
        then with ``held.release`` (``held.outline`` gives what its table of contents is read from)."""
        page = self._drawn[path][0]
        context = {"content": html, "wrapper": {"css_class": page.css_class, "search_body": page.search_body}}
        if WRAPPER not in self._drawers:
            self._drawers[WRAPPER] = python_drawer(self.templates, WRAPPER)
        drawer = self._drawers[WRAPPER]
        return drawer(**context) if drawer else self.templates.get_template(WRAPPER).render(context)

    def pages(self) -> Iterator[DrawnPage]:
        """For engines that convert the docs themselves: every generated page's Markdown with the
        held HTML in place (each held block on its own lines, so Markdown keeps it as it is).
        Each page's held HTML is given back once (it is not kept after): iterate once."""
        for item in self.generate():
            if isinstance(item, GeneratedPage) and item.path in self._drawn:
                yield DrawnPage(item.path, item.title, self.held.release(self._drawn[item.path][1]),
                                item.css_class, item.search_body)

    def files(self) -> Iterator[GeneratedFile]:
        for item in self.generate():
            if isinstance(item, GeneratedFile):
                yield item


WRAPPER = "_wrapper.html.j2"


@draws(WRAPPER)
def draw_wrapper(*, content: str, wrapper: dict[str, Any]) -> str:
    """``_wrapper.html.j2``: the page's HTML in its wrapper (a site may override the template)."""
    search = " data-pagefind-body" if wrapper["search_body"] else ""
    return f'<div class="pmkb-page {show(wrapper["css_class"])}"{search}>\n{content}\n</div>\n'


def _escaped(value: Any) -> Any:
    """Front matter as themes want it: they print titles and descriptions without escaping."""
    if isinstance(value, str):
        return escape(value, quote=True)
    if isinstance(value, dict):
        return {k: _escaped(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_escaped(v) for v in value]
    return value


def check_path(path: str) -> None:
    """Generators build paths from validated ids and slugs; this is the second lock on the door."""
    clean = posixpath.normpath(path)
    if path.startswith("/") or "\\" in path or clean != path or clean.startswith("..") or not path:
        raise UnsafePath(f"a generated page has an unsafe path: {path!r}")


# --- the table of contents of a finished page ----------------------------------------------

_ID = re.compile(r"""\sid\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_HEADERLINK = re.compile(r"<a\b[^>]*\bclass=\"[^\"]*\bheaderlink\b[^\"]*\"[^>]*>.*?</a>", re.S)
_TAG = re.compile(r"<[^>]*>")


def toc_tokens(html: str) -> list[dict[str, Any]]:
    """The headings of a finished page that have ids, nested by level, in the shape Python-Markdown's
    ``toc`` extension gives them (``level``, ``id``, ``name``, ``children``): the write-up's
    headings are in held HTML, which the engine's own table of contents cannot see."""
    tokens: list[dict[str, Any]] = []
    stack: list[dict[str, Any]] = []
    for m in HEADING.finditer(html):
        found = _ID.search(m.group(2))
        if found is None:
            continue
        name = _TAG.sub("", _HEADERLINK.sub("", m.group(3))).strip()
        token = {"level": int(m.group(1)), "id": unescape(found.group(1) or found.group(2) or ""),
                 "name": name, "children": []}
        while stack and stack[-1]["level"] >= token["level"]:
            stack.pop()
        (stack[-1]["children"] if stack else tokens).append(token)
        stack.append(token)
    return tokens


# Every generator of the site, in the order their pages are added.
GENERATORS: tuple[Generator, ...] = (
    home.home_page, incidents.incident_pages, incidents.incident_list, terms.term_pages,
    actions.action_items_page, insights.insights_page, feeds.feeds, exports.exports,
    search_page.pagefind_search_page,
)
