"""A staging copy of the docs with every generated page in it, for engines that ignore the plugin.

The staging folder holds a copy of the site's docs, the generated pages and files (incidents,
cross-link pages, listings, tracker, insights, feeds, ``catalog.json``, per-incident JSON,
attachments), our stylesheet, and a configuration that points the engine at them. Each
generated page is drawn and converted here, exactly as the plugin does inside MkDocs (the
writers' parts sanitized, the templates' HTML complete); the staged page only carries its front
matter and a placeholder, which :mod:`.prerendered` replaces by the finished HTML inside the
engine. So the engine's own Markdown never parses a writer's text a second time.
"""

from __future__ import annotations

import json
import logging
import os
import posixpath
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import PLUGIN_NAME, SiteSettings
from .notice import strip_notice

log = logging.getLogger("zensical")

ASSETS = Path(__file__).resolve().parent.parent / "assets"
# The theme overrides the plugin adds (feeds and Open Graph tags in every head, the 404 page).
THEME_OVERRIDES = Path(__file__).resolve().parent.parent / "templates" / "theme"
# What those templates read that an engine ignoring the plugin does not have: the plugin's entry
# in `config.plugins` (staged_config puts its options in `config.extra`) and the page's source file
# (Zensical's pages have none; each generated page's front matter names its path).
PLUGIN_IN_EXTRA = "pmkb_postmortems"
SOURCE_IN_META = "pmkb_src_uri"
TEMPLATE_NAMES = (('config.plugins.get("postmortems")', f"config.extra.{PLUGIN_IN_EXTRA}"),
                  ("page.file.src_uri", f"page.meta.{SOURCE_IN_META}"),
                  ("page.file", f"(page.meta and page.meta.{SOURCE_IN_META})"))
THEME_DIR = "theme"
CSS = "assets/pmkb/postmortems.css"
# Runs a worker's script in a frame on pages opened from disk, where browsers refuse workers.
FILE_WORKER = "assets/pmkb/file-worker.js"
EXTENSION = "postmortem_kb.engines.prerendered"


@dataclass
class FinishedPage:
    """A generated page as the plugin would hand it to the theme: front matter, HTML, contents."""

    path: str
    front_matter: str  # the YAML between the two `---` lines, title escaped
    html: str
    toc: list[dict[str, Any]]


@dataclass
class StagedFile:
    path: str
    content: str | bytes
    source: Path | None = None


Convert = Callable[[str], tuple[str, list[dict[str, Any]]]]  # Markdown -> (HTML, toc tokens)


# --- the one place that drives the site pipeline ------------------------------------------------

def site_pages(kb: Any, settings: SiteSettings, convert: Convert, markdown: tuple[list, dict],
               template_dirs: list[Path], drafts: bool) -> Iterator[FinishedPage | StagedFile]:
    """Every generated page, finished, and every generated file of the site of ``kb``."""
    from ..site.build import SiteBuild, toc_tokens
    from ..site.options import MarkdownSetup, SiteOptions

    options = settings.plugin or {}
    site_options = SiteOptions(drafts=drafts or options["drafts"], base_dir=options["base_path"].strip("/"),
                               search=options["search"], related_limit=options["related_limit"],
                               feed_limit=options["feed_limit"], directory_urls=settings.use_directory_urls,
                               site_url=settings.site_url, template_dirs=tuple(template_dirs),
                               markdown=MarkdownSetup(tuple(markdown[0]), markdown[1]))
    build = SiteBuild(kb, site_options)
    incidents = {build.paths.incident(pm.id) for pm in build.data.postmortems}
    named = nav_titles((settings.loaded or {}).get("nav") if isinstance(settings.loaded, dict) else None)
    for item in build.generate():
        if hasattr(item, "template"):
            front, body = _split(build.markdown_of(item.path))
            if item.path not in incidents:
                front = exclude_from_search(front)
            if item.path in named:
                front = retitle(front, named[item.path])
            front = with_meta(front, SOURCE_IN_META, item.path)
            html, toc = convert(body)
            html = build.finish(item.path, html)
            yield FinishedPage(item.path, front, html, _complete_toc(toc_tokens(html) or toc))
        else:
            yield StagedFile(item.path, item.content, item.source)


def exclude_from_search(front_matter: str) -> str:
    """The front matter with ``search: {exclude: true}``: with the plugin, the search covers the
    incidents and the site's own pages, not the listings, term, tag and year pages; so does the
    engine's own search."""
    import yaml

    meta = yaml.safe_load(front_matter) or {}
    if not isinstance(meta, dict):
        return front_matter
    meta["search"] = {**(meta["search"] if isinstance(meta.get("search"), dict) else {}), "exclude": True}
    return yaml.safe_dump(meta, allow_unicode=True, sort_keys=True)


def nav_titles(nav: Any) -> dict[str, str]:
    """The title the site's ``nav:`` gives each page (``- Home: index.md``), by docs path."""
    found: dict[str, str] = {}

    def walk(items: Any) -> None:
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict):
                for title, target in item.items():
                    if isinstance(target, str) and isinstance(title, str):
                        found.setdefault(posixpath.normpath(target.lstrip("/")), title)
                    else:
                        walk(target)

    walk(nav)
    return found


def with_meta(front_matter: str, key: str, value: Any) -> str:
    import yaml

    meta = yaml.safe_load(front_matter) or {}
    if not isinstance(meta, dict):
        return front_matter
    meta[key] = value
    return yaml.safe_dump(meta, allow_unicode=True, sort_keys=True)


def retitle(front_matter: str, title: str) -> str:
    """The front matter with the title the navigation gives the page: MkDocs lets it win over the
    page's own, and themes show it in the window title; Zensical takes the page's, so it is set
    here. Escaped as the build escapes titles (themes print them as they are)."""
    import html

    import yaml

    meta = yaml.safe_load(front_matter) or {}
    if not isinstance(meta, dict):
        return front_matter
    meta["title"] = html.escape(title, quote=True)
    return yaml.safe_dump(meta, allow_unicode=True, sort_keys=True)


def _split(markdown: str) -> tuple[str, str]:
    """(front matter, body) of a drawn page, which always starts with its front matter."""
    if markdown.startswith("---\n"):
        end = markdown.find("\n---\n", 3)
        if end != -1:
            return markdown[4:end + 1], markdown[end + 5:]
    return "", markdown


def _complete_toc(tokens: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tokens in the full shape of Python-Markdown's ``toc`` (engines read every key)."""
    return [{"level": t["level"], "id": t["id"], "name": t.get("name", ""), "html": t.get("html", t.get("name", "")),
             "data-toc-label": t.get("data-toc-label", ""), "children": _complete_toc(t.get("children", []))}
            for t in tokens]


# --- the staging folder ----------------------------------------------------------------------------

def copy_docs(source: Path, dest: Path) -> None:
    """Copy the site's docs; a symbolic link is followed only when its target is inside the docs."""
    root = source.resolve()

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = set()
        for name in names:
            path = Path(folder) / name
            if path.is_symlink() and not path.resolve().is_relative_to(root):
                log.warning("docs/%s is a link to a file outside the docs; it is not published",
                            path.relative_to(source).as_posix())
                skipped.add(name)
        return skipped

    shutil.copytree(source, dest, ignore=ignore, dirs_exist_ok=True)


def write_staged(items: Iterator[FinishedPage | StagedFile], docs: Path, pages_dir: Path, token: str,
                 own_pages: set[str]) -> list[str]:
    """Write the generated pages and files into the staged docs; returns the pages' paths.

    The site's own pages win over generated ones of the same path (as with the plugin)."""
    pages_dir.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    for n, item in enumerate(items):
        if posixpath.normpath(item.path) != item.path or item.path.startswith(("/", "..")):
            raise ValueError(f"a generated page has an unsafe path: {item.path!r}")
        if item.path in own_pages:
            log.info("docs/%s is the site's own page; the generated one is not used", item.path)
            continue
        target = docs / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(item, FinishedPage):
            (pages_dir / f"{n}.html").write_text(item.html, encoding="utf-8")
            (pages_dir / f"{n}.toc.json").write_text(json.dumps(item.toc), encoding="utf-8")
            target.write_text(f"---\n{item.front_matter}---\n\n{token}{n}\n", encoding="utf-8")
            written.append(item.path)
        elif item.source is not None:
            shutil.copyfile(item.source, target)
        elif isinstance(item.content, bytes):
            target.write_bytes(item.content)
        else:
            target.write_text(item.content, encoding="utf-8")
    return written


def own_pages(docs: Path) -> set[str]:
    """The site's own pages, by docs path; a home page that is only the engine notice is not one."""
    pages = {p.relative_to(docs).as_posix() for p in docs.rglob("*") if p.is_file()}
    for path in list(pages):
        if path.endswith(".md"):
            page = docs / path
            text = page.read_text(encoding="utf-8", errors="replace")
            stripped = strip_notice(text)
            if stripped is None:
                page.unlink()
                pages.discard(path)
            elif stripped != text:
                page.write_text(stripped, encoding="utf-8")
    return pages


def staged_config(raw: dict[str, Any], settings: SiteSettings, workspace: Path, pages: list[str],
                  pages_dir: Path, token: str) -> dict[str, Any]:
    """The site's configuration, pointed at the staged docs and with the finished pages' extension."""
    config = dict(raw)
    config.pop("INHERIT", None)
    config["docs_dir"] = "docs"
    config["site_dir"] = "site"
    theme = config.get("theme")
    if (workspace / THEME_DIR).is_dir():
        config["theme"] = {**(theme if isinstance(theme, dict) else {"name": theme or "material"}),
                           "custom_dir": str(workspace / THEME_DIR)}
        plugin = settings.plugin or {}
        extra = dict(config["extra"]) if isinstance(config.get("extra"), dict) else {}
        extra[PLUGIN_IN_EXTRA] = {"config": {"enabled": True, "base_path": plugin.get("base_path") or ""}}
        config["extra"] = extra
    elif isinstance(theme, dict) and theme.get("custom_dir"):
        config["theme"] = {**theme, "custom_dir": str((settings.config_file.parent / theme["custom_dir"]).resolve())}
    plugins = config.get("plugins")
    if isinstance(plugins, dict):
        config["plugins"] = {k: v for k, v in plugins.items() if k != PLUGIN_NAME}
    elif isinstance(plugins, list):
        config["plugins"] = [p for p in plugins if p != PLUGIN_NAME and not (isinstance(p, dict) and PLUGIN_NAME in p)]
    config["extra_css"] = [*(config.get("extra_css") or []), CSS]
    if offline_search(settings):
        # The theme loads its polyfills in <head>, before its bundle starts the search worker.
        extra = dict(config["extra"]) if isinstance(config.get("extra"), dict) else {}
        extra["polyfills"] = [*(extra.get("polyfills") or []), FILE_WORKER]
        config["extra"] = extra
    extensions = config.get("markdown_extensions")
    ours = {EXTENSION: {"pages_dir": str(pages_dir), "token": token}}
    if isinstance(extensions, dict):
        config["markdown_extensions"] = {**extensions, **ours}
    else:
        config["markdown_extensions"] = [*(extensions or []), ours]
    # Incident and term pages stay out of the navigation, as with the plugin: only listings are in it.
    folders = sorted({posixpath.dirname(p) for p in pages if not p.endswith("index.md")})
    patterns = [line for folder in folders for line in (f"/{folder}/*.md" if folder else "/*.md",
                                                         f"!/{folder}/index.md" if folder else "!/index.md")]
    config["not_in_nav"] = "\n".join(filter(None, [str(config.get("not_in_nav") or "").strip(), *patterns]))
    return config


def new_token() -> str:
    # Plain letters and digits, so that Markdown leaves it alone; unguessable by a page's writer.
    return f"pmkbpage{secrets.token_hex(10)}n"


def stage_theme(settings: SiteSettings, workspace: Path) -> None:
    """The theme overrides the plugin adds, then the site's own ``custom_dir`` over them (the site's
    templates win, as with the plugin), in the staging folder; the overrides read the plugin's
    options from ``config.extra`` there."""
    target = workspace / THEME_DIR
    if target.exists():
        shutil.rmtree(target)
    if settings.plugin is None or not THEME_OVERRIDES.is_dir():
        return
    target.mkdir(parents=True)
    for template in sorted(THEME_OVERRIDES.rglob("*.html")):
        dest = target / template.relative_to(THEME_OVERRIDES)
        dest.parent.mkdir(parents=True, exist_ok=True)
        text = template.read_text(encoding="utf-8")
        for name, staged in TEMPLATE_NAMES:
            text = text.replace(name, staged)
        dest.write_text(text, encoding="utf-8")
    if settings.custom_dir is not None and settings.custom_dir.is_dir():
        shutil.copytree(settings.custom_dir, target, dirs_exist_ok=True)


def offline_search(settings: SiteSettings) -> bool:
    """Whether the engine's search must work on the site opened from disk (``file://``)."""
    plugin = settings.plugin
    return plugin is not None and bool(plugin["offline_search"]) and plugin["search"] == "material"


def copy_assets(docs: Path, settings: SiteSettings | None = None) -> None:
    target = docs / CSS
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ASSETS / "postmortems.css", target)
    if settings is not None and offline_search(settings):
        shutil.copyfile(ASSETS / "file-worker.js", docs / FILE_WORKER)


def write_offline_index(site: Path) -> None:
    """``search.js`` beside the engine's ``search.json``: the same index as a script defining
    ``__index``, which the theme loads on pages opened from disk, where it cannot fetch."""
    index = site / "search.json"
    if index.is_file():
        (site / "search.js").write_text(f"var __index = {index.read_text(encoding='utf-8')}", encoding="utf-8")


def relative_to_docs(path: Path, docs: Path) -> str:
    return os.path.relpath(path, docs).replace(os.sep, "/")
