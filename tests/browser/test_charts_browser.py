"""The insights charts in a real headless Chromium: they draw, in both colour schemes, offline.

Builds the fixture KB into a site with the plugin, serves it from 127.0.0.1 and loads the insights
page. Screenshots go to $PMKB_ARTIFACTS (default: the test's tmp_path). Run with ``-m browser``;
skips cleanly when Chromium, Playwright or the MkDocs plugin is missing.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest

from kit.insights import write_fixture_kb

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
MKDOCS_YML = """\
site_name: Fixture KB
theme:
  name: material
  font: false
  palette:
    - scheme: default
      primary: indigo
      toggle: {icon: material/brightness-7, name: Dark mode}
    - scheme: slate
      primary: indigo
      toggle: {icon: material/brightness-4, name: Light mode}
plugins:
  - postmortems
markdown_extensions:
  - tables
  - md_in_html
"""


def _require():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("playwright is not installed")
    if importlib.util.find_spec("postmortem_kb.mkdocs_plugin") is None:
        pytest.skip("the MkDocs plugin is not there yet")


@pytest.fixture
def built_site(tmp_path: Path) -> Path:
    _require()
    write_fixture_kb(tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", "site"],
                            cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    site = tmp_path / "site"
    assert (site / "insights" / "index.html").is_file()
    return site


@pytest.fixture
def server(built_site: Path):
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def test_insights_charts_render_in_chromium(server: str, tmp_path: Path):
    from playwright.sync_api import sync_playwright

    artifacts = Path(os.environ.get("PMKB_ARTIFACTS") or tmp_path)
    artifacts.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))

            def guard(route):
                host = urlparse(route.request.url).hostname
                if route.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            page.route("**/*", guard)
            page.goto(f"{server}/insights/", wait_until="networkidle")
            # Each chart is drawn twice (wide and narrow); one of each shows.
            assert page.locator("svg.pmkb-chart").count() == 14
            svgs = page.locator("svg.pmkb-chart:visible")
            assert svgs.count() == 7
            for i in range(7):
                svg = svgs.nth(i)
                box = svg.bounding_box()
                assert box and box["width"] > 300 and box["height"] > 60
                assert svg.get_attribute("role") == "img"
                label_ids = svg.get_attribute("aria-labelledby").split()
                assert all(page.locator(f"[id='{x}']").count() == 1 for x in label_ids)
            # Bars were really drawn (non-zero size) and take the theme's colour, not black.
            bar = page.locator("#chart-by-root-cause rect.mark").first
            assert bar.bounding_box()["width"] > 50
            light = bar.evaluate("e => getComputedStyle(e).fill")
            mark = page.evaluate("getComputedStyle(document.body).getPropertyValue('--pmkb-chart-mark')")
            assert mark.strip() and light not in ("rgb(0, 0, 0)", "none")
            label = page.locator("#chart-by-root-cause text").first
            light_text = label.evaluate("e => getComputedStyle(e).fill")
            page.screenshot(path=str(artifacts / "insights-light.png"), full_page=True)
            # The dark scheme: text follows the theme's foreground colour.
            page.evaluate("document.body.setAttribute('data-md-color-scheme', 'slate')")
            dark_text = label.evaluate("e => getComputedStyle(e).fill")
            assert dark_text != light_text
            # Bars take the dark scheme's lighter shade.
            assert bar.evaluate("e => getComputedStyle(e).fill") != light
            page.screenshot(path=str(artifacts / "insights-dark.png"), full_page=True)
            # Every chart's data is also a table on the page.
            assert page.locator("article table").count() >= 6
        finally:
            browser.close()
    assert errors == []
    assert outside == []
    assert (artifacts / "insights-light.png").stat().st_size > 10_000
