"""Drawing a GeneratedPage: its Jinja template, found in the site's folders first, then ours.

Templates are autoescaped: every value from a postmortem put into a page is HTML-escaped
unless a template marks it safe. A page's Markdown starts with a front-matter ``title``
that is already HTML-escaped, because themes print ``page.title`` without escaping.
"""

from __future__ import annotations

import html
import posixpath
from pathlib import Path
from typing import Iterable

import jinja2
import yaml

from ..timeline import format_duration
from . import GeneratedPage

SHIPPED = Path(__file__).resolve().parent.parent / "templates" / "site"


def environment(search_dirs: Iterable[str | Path] = ()) -> jinja2.Environment:
    """Templates from ``search_dirs`` (a site's overrides, in order) before the shipped ones."""
    dirs = [str(d) for d in search_dirs if d and Path(d).is_dir()] + [str(SHIPPED)]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(dirs), autoescape=True, trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.globals["duration"] = format_duration
    return env


def page_url(path: str, directory_urls: bool) -> str:
    """The URL MkDocs gives a page: ``a/b.md`` -> ``a/b/`` (or ``a/b.html``), ``a/index.md`` -> ``a/``."""
    stem = path[:-3] if path.endswith(".md") else path
    folder, name = posixpath.split(stem)
    if name in ("index", "README"):
        return f"{folder}/" if folder else "./"
    if directory_urls:
        return f"{stem}/"
    return f"{stem}.html"


def relative_url(from_path: str, to_path: str, directory_urls: bool, anchor: str = "") -> str:
    """A link from one page to another, relative so the site works from any folder and file://."""
    here = page_url(from_path, directory_urls)
    there = page_url(to_path, directory_urls)
    # Pure string work (no os.path): thousands of links per build.
    base = [p for p in here.split("/")[:-1] if p not in ("", ".")]
    parts = [p for p in there.split("/") if p not in ("", ".")]
    folder_target = there.endswith("/")
    common = 0
    while common < len(base) and common < len(parts) - (0 if folder_target else 1) and base[common] == parts[common]:
        common += 1
    rel = "/".join([".."] * (len(base) - common) + parts[common:])
    if folder_target:
        rel = f"{rel}/" if rel else "./"
        if not directory_urls:
            rel = ("" if rel == "./" else rel) + "index.html"
    return rel + (f"#{anchor}" if anchor else "")


def render_page(page: GeneratedPage, env: jinja2.Environment, directory_urls: bool = True) -> str:
    """The page's Markdown: front matter with the escaped title, then the template's output."""

    def url(to_path: str, anchor: str = "") -> str:
        return relative_url(page.path, to_path, directory_urls, anchor)

    body = env.get_template(page.template).render(page=page, url=url, **page.context)
    meta = yaml.safe_dump({"title": html.escape(page.title)}, allow_unicode=True, sort_keys=True)
    return f"---\n{meta}---\n\n{body}"
