"""Building small sites in tmp_path and reading what came out, for the site tests."""

from __future__ import annotations

import logging
import posixpath
import re
import textwrap
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from mkdocs.commands.build import build
from mkdocs.config import load_config

from kit import write_postmortem as _write_postmortem

MKDOCS_YML = """\
site_name: Test KB
docs_dir: docs
site_dir: {site_dir}
use_directory_urls: {directory_urls}
theme:
  name: material
  font: false
plugins:
  - search
  - postmortems:
{options}
"""


def write_site(root: Path, *, site_dir: str = "site", directory_urls: bool = True, nav: str = "",
               **options) -> Path:
    """A mkdocs.yml (and an empty docs/) for the KB in ``root``; plugin options as keywords."""
    (root / "docs").mkdir(exist_ok=True)
    lines = "\n".join(f"      {k}: {_yaml(v)}" for k, v in options.items()) or "      enabled: true"
    text = MKDOCS_YML.format(site_dir=site_dir, directory_urls=str(directory_urls).lower(), options=lines)
    if nav:
        text += textwrap.dedent(nav)
    path = root / "mkdocs.yml"
    path.write_text(text, encoding="utf-8")
    return path


def _yaml(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def build_site(root: Path, strict: bool = True, **overrides) -> Path:
    """Build with the MkDocs Python API; returns the site folder."""
    cfg = load_config(str(root / "mkdocs.yml"), strict=strict, **overrides)
    logging.getLogger("mkdocs").setLevel(logging.INFO)
    build(cfg)
    return Path(cfg.site_dir)


class Page(HTMLParser):
    """The links, ids, text, scripts and attributes of one HTML file."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, dict]] = []  # (tag, url, attrs)
        self.ids: set[str] = set()
        self.text: list[str] = []
        self.scripts: list[str] = []
        self.attrs: list[tuple[str, str, str]] = []
        self._stack: list[str] = []
        self.title = ""
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs_d = {k: (v or "") for k, v in attrs}
        for k, v in attrs_d.items():
            self.attrs.append((tag, k, v))
        if "id" in attrs_d:
            self.ids.add(attrs_d["id"])
        if tag == "a" and "name" in attrs_d:
            self.ids.add(attrs_d["name"])
        for key in ("href", "src"):
            if key in attrs_d:
                self.links.append((tag, attrs_d[key], attrs_d))
        self._stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                pass

    def handle_data(self, data):
        current = self._stack[-1] if self._stack else ""
        if current == "script":
            self.scripts.append(data)
        elif current == "title":
            self.title += data
        elif current != "style":
            self.text.append(data)

    @property
    def visible_text(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.text))


def parse(path: Path) -> Page:
    return Page(path.read_text(encoding="utf-8"))


def html_files(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def is_external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme or parts.netloc) or url.startswith("//")


def resolve(site: Path, page: Path, url: str) -> tuple[Path, str]:
    """The file a relative URL on ``page`` points to, and its fragment."""
    parts = urlsplit(url)
    rel_dir = "" if parts.path.startswith("/") else page.parent.relative_to(site).as_posix()
    target = posixpath.normpath(posixpath.join(rel_dir, unquote(parts.path).lstrip("/"))) if parts.path else \
        page.relative_to(site).as_posix()
    path = site / target
    if parts.path.endswith("/") or path.is_dir():
        path = path / "index.html"
    return path, parts.fragment


def incident_links(page: Page, site: Path, page_path: Path) -> set[str]:
    """Ids of the incident pages a page links to."""
    found = set()
    for tag, url, _ in page.links:
        if tag != "a" or is_external(url) or url.startswith("#"):
            continue
        target, _ = resolve(site, page_path, url)
        rel = target.relative_to(site).as_posix() if target.is_relative_to(site) else ""
        m = re.fullmatch(r"incidents/([a-z0-9-]+_?)(?:\.html|/index\.html)", rel)
        if m and m.group(1) != "index":
            found.add(m.group(1))
    return found


PM = """\
---
title: {title}
date: {date}
severity: {severity}
status: {status}
components: [{components}]
root_causes: [{root_causes}]
tags: [{tags}]
related: [{related}]
timezone: "+02:00"
action_items:
  - title: {item}
    action: {action}
    owner: {owner}
    status: {item_status}
    due: {due}
---

## Summary

{title}. {summary}

## Timeline

- 10:00 [start] Something broke.
- 10:07 [detected] An alert fired.
- 10:20 [mitigated] Traffic moved away.
- 10:45 [resolved] It was fixed.

## Root cause

{summary}
"""


def pm(root: Path, name: str, **fields) -> Path:
    values = {"title": f"Incident {name}", "date": "2024-03-14", "severity": "SEV2", "status": "published",
              "components": "web-server", "root_causes": "hardware-failure", "tags": "disk",
              "related": "", "item": f"Alert on disks ({name})", "action": "add-monitoring",
              "owner": "Sam", "item_status": "open", "due": "2030-01-01",
              "summary": "A disk failed on a web node and requests errored."}
    values.update(fields)
    return _write_postmortem(root, name, PM.format(**values))
