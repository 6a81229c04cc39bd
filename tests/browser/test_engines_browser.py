"""The site each engine builds, in Chromium: every page type loads clean, and search works from disk.

The core checks (pages, cross-links, tracker, hostile values, search over http) run on every engine in
test_core_engines_browser.py; this module adds what is engine-specific: screenshots of the home and an
incident page at 1280x900 and 390x844, light and dark, per engine (to the artifacts folder), and search
on the site opened from disk (``file://``) with Zensical, whose theme reads the index from ``search.js``
there and whose worker runs in a frame (``file-worker.js``). The sites are conftest's ``engine_sites``,
built once per engine for the session.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from kit.browser import Reader

pytestmark = pytest.mark.browser
ENGINES = [pytest.param(name, marks=pytest.mark.skipif(importlib.util.find_spec(name) is None,
                                                       reason=f"{name} is not installed"))
           for name in ("properdocs", "zensical")]
PAGES = ["index.html", "incidents/index.html", "root-causes/index.html", "action-items/index.html",
         "insights/index.html"]


def an_incident(site_folder: Path) -> str:
    return sorted(p.name for p in (site_folder / "incidents").glob("*.html") if p.name != "index.html")[0]


@pytest.mark.parametrize("engine", ENGINES)
def test_pages_load_clean_and_look_right(engine_sites, reader: Reader, engine: str) -> None:
    sample = engine_sites("sample", engine)
    incident = f"incidents/{an_incident(sample.folder)}"
    for path in [*PAGES, incident]:
        page = reader.visit(sample.page(path))
        assert page.locator(".pmkb-page").count() >= 1, f"{engine}: {path} has no generated content"
    for width, height in ((1280, 900), (390, 844)):
        reader.page.set_viewport_size({"width": width, "height": height})
        for scheme in ("light", "dark"):
            reader.page.emulate_media(color_scheme=scheme)
            for name, path in (("home", "index.html"), ("incident", incident)):
                reader.visit(sample.page(path))
                reader.screenshot(f"engine-{engine}-{name}-{width}-{scheme}")
    reader.assert_clean()


@pytest.mark.skipif(importlib.util.find_spec("zensical") is None, reason="Zensical is not installed")
def test_zensical_search_works_from_disk(engine_sites, browser, artifacts) -> None:
    """Opened from disk, Zensical's search box finds an incident by a word of its title, and the
    result opens it; nothing is requested from anywhere but the disk."""
    site = engine_sites("sample", "zensical").folder
    incident = an_incident(site)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: None if r.url.startswith(("file:", "data:", "blob:", "about:"))
            else outside.append(r.url))
    try:
        page.goto((site / "incidents" / incident).as_uri())
        title = page.locator("h1.pmkb-title").inner_text().strip()
        word = max(title.split(), key=len)
        page.goto((site / "index.html").as_uri())
        page.locator("button.md-search__button").first.click()
        box = page.locator("input[role=combobox]").first
        box.wait_for(state="visible", timeout=10_000)
        box.press_sequentially(word, delay=30)
        results = page.locator(f"[id='{box.get_attribute('aria-controls')}']")
        result = results.locator(f"a[href*='incidents/{incident}']").first
        result.wait_for(state="visible", timeout=15_000)
        page.screenshot(path=str(artifacts / "engine-zensical-search-from-disk.png"))
        with page.expect_navigation():
            result.click()
        assert page.url.startswith((site / "incidents" / incident).as_uri()), page.url
        assert page.locator("h1.pmkb-title").inner_text().strip() == title
    finally:
        context.close()
    assert errors == [] and outside == [], (errors, outside)
