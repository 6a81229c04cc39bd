"""What the browser tests read: the two sites they build, how they are served, and the reader.

Two sites are built once per session: the repository's sample KB (its own mkdocs.yml) and a
small KB of hostile postmortems (markup and scripts in every field a writer controls). Each is
served by http.server in a thread. Every page a test opens goes through :class:`Reader`,
which records what a reader would notice or suffer: console errors, uncaught exceptions,
dialogs (an `alert()` that ran), and any request leaving localhost (refused, and reported).

Screenshots go to $PMKB_ARTIFACTS (CI keeps them), else to the session's tmp folder.
Skips cleanly when Chromium or Playwright is missing.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
import yaml

from kit import (
    ROOT,  # noqa: E402
    site_config,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def require() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("playwright is not installed")


def engine_build(root: Path, engine: str, site_dir: Path) -> Path:
    """`pmkb build --engine NAME` from the KB's folder, in a process of its own, as CI runs it."""
    env = {k: v for k, v in ENV.items() if k != "PMKB_ENGINE"}
    proc = subprocess.run([sys.executable, "-m", "postmortem_kb", "build", "--engine", engine,
                           "--site-dir", str(site_dir)], cwd=root, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return site_dir


def copy_sample_kb(dest: Path) -> Path:
    """The repository's sample KB (its mkdocs.yml, taxonomy, docs and postmortems) copied into ``dest``."""
    import shutil

    for name in ("mkdocs.yml", "taxonomy.yml"):
        shutil.copy(ROOT / name, dest / name)
    for folder in ("docs", "postmortems"):
        shutil.copytree(ROOT / folder, dest / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def mkdocs_build(config_file: Path, site_dir: Path) -> Path:
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(config_file),
                           "-d", str(site_dir)], capture_output=True, text=True, env=ENV, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return site_dir


# --- the hostile KB ---------------------------------------------------------------------------

# Every value a writer controls that the site shows. Each payload calls alert() (which would
# open a dialog) and sets window.pmkbPwned, so a payload that ran is caught either way.
def payload(where: str) -> str:
    return f"alert('{where}');window.pmkbPwned='{where}'"


HOSTILE_TITLE = f"<script>{payload('title')}</script> Checkout {{{{ 7*7 }}}} outage"
HOSTILE_COMPONENT_TITLE = f"<img src=x onerror=\"{payload('component')}\"> Edge proxy"
HOSTILE = {
    "title": HOSTILE_TITLE,
    "date": "2024-03-14",
    "severity": "SEV1",
    "status": "published",
    "authors": [f"<img src=x onerror=\"{payload('author')}\">", "Ana <b onmouseover=alert(2)>"],
    "components": ["edge-proxy", "web-server"],
    "root_causes": ["hardware-failure"],
    "trigger": f"<script>{payload('trigger')}</script>",
    "detection": f"<iframe src=\"javascript:{payload('detection')}\"></iframe>",
    "impact": f"[click me](javascript:{payload('impact')}) and <a href=\"javascript:{payload('impact-a')}\">me</a>",
    "tags": [f"<script>{payload('tag')}</script>", "javascript:alert(1)", "safe-tag"],
    "related": ["2024-02-01-quiet-night"],
    "timezone": "+00:00",
    "action_items": [
        {"title": f"<svg onload=\"{payload('item')}\"> Replace the disk", "type": "corrective",
         "action": "add-monitoring", "owner": f"<script>{payload('owner')}</script>", "status": "open",
         "due": "2020-01-01", "ticket": "OPS-1"},
        {"title": "Add an alert \"quoted\" & <ampersand>", "type": "preventive", "action": "fix-bug",
         "owner": "Sam", "status": "open", "due": "2031-01-01",
         "ticket": "https://tracker.example.org/OPS-2?a=1&b=<x>"},
    ],
}
HOSTILE_BODY = f"""
## Summary

Checkout was down. <script>{payload('body')}</script>
<img src="" onerror="{payload('body-img')}">
[a markdown link](javascript:{payload('body-link')}) and <a href="javascript:{payload('body-a')}">a raw link</a>.
<iframe src="javascript:{payload('body-frame')}"></iframe>
<div onclick="{payload('body-click')}">click</div>
<style>body {{ display: none }}</style>

## Timeline

- 10:00 [start] Errors <script>{payload('timeline')}</script> begin.
- 10:05 [detected] Pager fires: <img src=x onerror="{payload('timeline-img')}">.
- 10:30 [resolved] Fixed.

## Root cause

A failed disk <b onmouseover="{payload('root-cause')}">here</b>.
"""
QUIET = """\
---
title: Quiet night on the web tier
date: 2024-02-01
severity: SEV3
components: [web-server]
root_causes: [hardware-failure]
timezone: "+00:00"
action_items:
  - title: Check the spare disks
    type: preventive
    action: add-monitoring
    owner: Sam
    status: done
---

## Summary

A disk failed and the web tier stayed up.

## Timeline

- 02:00 [start] A disk failed.
- 02:10 [detected] The RAID alert fired.
- 02:40 [resolved] The disk was replaced.

## Root cause

An old disk.
"""
HOSTILE_MKDOCS_YML = site_config("Hostile KB")


def write_hostile_kb(root: Path) -> Path:
    """A KB whose postmortem and taxonomy put markup and scripts in every field shown."""
    taxonomy = yaml.safe_load((ROOT / "taxonomy.yml").read_text(encoding="utf-8"))
    taxonomy["components"]["edge-proxy"] = {
        "title": HOSTILE_COMPONENT_TITLE,
        "description": f"<script>{payload('component-description')}</script> The proxy in front.",
    }
    (root / "taxonomy.yml").write_text(yaml.safe_dump(taxonomy, allow_unicode=True, sort_keys=False),
                                       encoding="utf-8")
    pms = root / "postmortems" / "2024"
    pms.mkdir(parents=True)
    front = yaml.safe_dump(HOSTILE, allow_unicode=True, sort_keys=False)
    (pms / "2024-03-14-hostile-outage.md").write_text(f"---\n{front}---\n{HOSTILE_BODY}", encoding="utf-8")
    (pms / "2024-02-01-quiet-night.md").write_text(QUIET, encoding="utf-8")
    (root / "docs").mkdir()
    (root / "mkdocs.yml").write_text(HOSTILE_MKDOCS_YML, encoding="utf-8")
    return root


# --- serving ----------------------------------------------------------------------------------

class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@dataclass
class Site:
    folder: Path
    url: str  # ends with "/"

    def page(self, path: str) -> str:
        return urljoin(self.url, path)


def serve(folder: Path) -> Iterator[Site]:
    handler = functools.partial(_QuietHandler, directory=str(folder))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(folder, f"http://127.0.0.1:{httpd.server_address[1]}/")
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


# --- the reader -------------------------------------------------------------------------------

def is_local(url: str) -> bool:
    if url.startswith(("data:", "blob:", "about:")):
        return True
    return urlparse(url).hostname in LOCAL_HOSTS


@dataclass
class Reader:
    """One browser tab and everything it noticed; :meth:`assert_clean` checks it all at once."""

    page: object
    artifacts: Path
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def visit(self, url: str):
        response = self.page.goto(url, wait_until="networkidle")
        assert response is not None and response.status == 200, f"{url}: {response and response.status}"
        return self.page

    def screenshot(self, name: str) -> Path:
        path = self.artifacts / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def assert_clean(self) -> None:
        assert self.dialogs == [], f"a dialog opened: a script from the content ran: {self.dialogs}"
        assert self.outside == [], f"requests left localhost: {self.outside}"
        assert self.page_errors == [], f"uncaught exceptions: {self.page_errors}"
        assert self.console_errors == [], f"console errors: {self.console_errors}"
        assert self.failed == [], f"failed requests: {self.failed}"


