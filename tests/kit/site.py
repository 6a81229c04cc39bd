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


# --- a KB written by an attacker, for the hostile-site tests ----------------------------------

# Markdown extensions many material sites enable; the attacker's KB is built with and without them.
COMMON_EXTENSIONS = """\
markdown_extensions:
  - attr_list
  - md_in_html
  - def_list
  - footnotes
  - admonition
  - abbr
  - toc:
      permalink: true
  - pymdownx.snippets
  - pymdownx.superfences
  - pymdownx.details
  - pymdownx.tabbed:
      alternate_style: true
"""
SECRET = "SECRET-TOKEN-1f3e9"  # in files an attacker would like published
# Names the theme, the search UIs and our scripts read from the page.
THEME_IDS = ("__config", "__search", "__drawer", "__toc", "__palette_0", "__palette_1", "__tabbed_1_1", "__consent",
             "__analytics", "__settings")


def attack(where: str) -> str:
    """JavaScript that marks the page as attacked (caught by the browser tests and by text search)."""
    return f"window.pmkbPwned='{where}'"


ATTACK_FRONT = {
    "title": "Certificates expired <img src=x onerror=\"" + attack("title-img") + "\"> {: #__config onclick=\""
             + attack("title-attr") + "\" }",
    "date": "2024-05-02",
    "severity": "SEV2",
    "status": "published",
    "authors": ["*[HTML]: <b>abbr</b>", "@mention [^1]"],
    "components": ["web-server"],
    "root_causes": ["hardware-failure"],
    "tags": ["certs"],
    "timezone": "+00:00",
    "impact": "[TOC] and {: autofocus onfocus=\"" + attack("impact-attr") + "\" } and [x](javascript:alert(1))",
    "trigger": '--8<-- "secret.txt"',
    "detection": "=== \"Tab\"\n: definition {: onclick=x }",
    "action_items": [
        {"title": "Rotate certs {: autofocus onfocus=\"" + attack("item-attr") + "\" }", "type": "corrective",
         "action": "add-monitoring", "owner": '--8<-- "secret.txt"', "status": "open", "due": "2020-01-01",
         "ticket": "OPS-7"},
        {"title": "=HYPERLINK(\"https://evil.example\")", "type": "preventive", "action": "fix-bug",
         "owner": "@SUM(1+1)", "status": "open", "due": "2031-01-01"},
    ],
}
ATTACK_BODY = """
## Summary

Certificates expired. A paragraph with attributes {: #__search onclick="ATTACK_PARA" }

<div id="__config" data-pagefind-meta="url:javascript:ATTACK_META" data-md-component="search">
{"version": {"provider": "mike"}, "search": "x"}</div>

<div markdown="1" id="__drawer" data-pagefind-body>**md in html**
<span data-pagefind-meta="title:pwned" onclick="ATTACK_SPAN">x</span></div>

--8<-- "secret.txt"

--8<-- ".git/config"

[TOC]

A footnote[^1] and a link to [the summary](#summary).

[^1]: The note <a href="javascript:ATTACK_FN">x</a>.

Term
:   Definition {: onmouseover="ATTACK_DL" }

!!! note "Admonition <img src=x onerror=ATTACK_ADM>"
    Body.

*[HTML]: <img src=x onerror=ATTACK_ABBR>

=== "One"
    One.

=== "Two"
    Two.

<a name="__toc">x</a> <input type="radio" name="__palette" id="__palette_0"> <label for="__search">search</label>

## __config

## __tabbed_1_1

## Timeline

- 10:00 [start] Certificates expired {: onclick="ATTACK_TL" }.
- 10:05 [detected] Alert <img src=x onerror=ATTACK_TL_IMG>.
- 10:30 [resolved] Renewed.

## Root cause

Nobody renewed them <b onmouseover="ATTACK_RC">here</b>.
"""


def write_attacker_kb(root: Path, *, extensions: bool, search: str = "material") -> Path:
    """A KB whose writer tries every way known to make the site run a script, take a name the
    theme reads, or publish a file; built with the default Markdown or with ``COMMON_EXTENSIONS``."""
    import shutil

    import yaml

    from kit import ROOT

    shutil.copy(ROOT / "taxonomy.yml", root / "taxonomy.yml")
    (root / "secret.txt").write_text(SECRET + "\n", encoding="utf-8")
    (root / ".git").mkdir(exist_ok=True)
    (root / ".git" / "config").write_text(f"[http]\n\textraheader = AUTHORIZATION: basic {SECRET}\n", "utf-8")
    body = ATTACK_BODY
    for marker in re.findall(r"ATTACK_[A-Z_]+", ATTACK_BODY):
        body = body.replace(marker, attack(marker.lower()), 1)
    front = yaml.safe_dump(ATTACK_FRONT, allow_unicode=True, sort_keys=False)
    _write_postmortem(root, "2024-05-02-certs", f"---\n{front}---\n{body}")
    pm(root, "2024-01-10-quiet", date="2024-01-10", title="Quiet disk failure", tags="certs")
    (root / "docs").mkdir(exist_ok=True)
    text = MKDOCS_YML.format(site_dir="site", directory_urls="false", options=f"      search: {search}")
    (root / "mkdocs.yml").write_text(text + (COMMON_EXTENSIONS if extensions else ""), encoding="utf-8")
    return root
