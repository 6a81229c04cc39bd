"""The core browser tests (tests/browser/test_site_browser.py), run on the sites ProperDocs and Zensical build.

test_site_browser.py checks the sample KB and the hostile KB as MkDocs builds them: the home page, an
incident, every cross-link index and a term page, the tracker and its filters, the insights page, the
badges in both schemes, hostile values that never run and show as text, search. Here the very same test
functions run again, on the same two KBs built with `pmkb build --engine NAME` in a process of its own:
this module's ``sample_site`` and ``hostile_site`` fixtures take the place of the MkDocs ones (each
site built once per engine for the session, by conftest's ``engine_sites``). Only search differs by
engine: Zensical has a search box of its own (not mkdocs-material's), so the two search tests are
this module's, with the same assertions, opening each engine's box as a reader does.
"""

from __future__ import annotations

import importlib.util

import pytest

from browser import test_site_browser as core
from browser.test_site_browser import sample_kb  # noqa: F401 - the fixture, for the tests below
from kit.browser import HOSTILE_TITLE, Reader, Site

# Every test of the core module, collected here again on this module's fixtures, but the two whose
# search box is the engine's own (defined below).
OWN = {"test_search_finds_an_incident", "test_hostile_title_in_search_results_is_text"}
globals().update({name: test for name, test in vars(core).items()
                  if name.startswith("test_") and callable(test) and name not in OWN})

pytestmark = pytest.mark.browser

ENGINES = [pytest.param(name, marks=pytest.mark.skipif(importlib.util.find_spec(name) is None,
                                                       reason=f"{name} is not installed"))
           for name in ("properdocs", "zensical")]


@pytest.fixture(scope="module", params=ENGINES)
def engine(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def sample_site(engine: str, engine_sites) -> Site:
    return engine_sites("sample", engine)


@pytest.fixture(scope="module")
def hostile_site(engine: str, engine_sites) -> Site:
    return engine_sites("hostile", engine)


def search_for(page, engine: str, words: str):
    """Type into the engine's search box as a reader does; returns the result list's locator root."""
    if engine == "zensical":
        # Zensical's search opens as a dialog from the header's button; the box is a combobox
        # that names its result list.
        page.locator("button.md-search__button").first.click()
        box = page.locator("input[role=combobox]").first
        box.wait_for(state="visible", timeout=10_000)
        box.press_sequentially(words, delay=30)
        return page.locator(f"[id='{box.get_attribute('aria-controls')}']")
    box = core.open_search(page)
    box.press_sequentially(words, delay=30)
    return page.locator(".md-search-result")


def test_search_finds_an_incident(reader: Reader, sample_site: Site, sample_kb, engine: str):  # noqa: F811
    word, pm = core._distinctive_word(sample_kb)
    page = reader.visit(sample_site.page("index.html"))
    results = search_for(page, engine, word)
    result = results.locator(f"a[href*='incidents/{pm.id}.html']").first
    result.wait_for(state="visible", timeout=15_000)
    assert word in result.inner_text().lower()
    reader.screenshot(f"engine-{engine}-search")
    core.follow(page, result)
    assert page.locator("h1.pmkb-title").inner_text() == pm.title
    reader.assert_clean()


def test_hostile_title_in_search_results_is_text(reader: Reader, hostile_site: Site, engine: str):
    page = reader.visit(hostile_site.page("index.html"))
    results = search_for(page, engine, "Checkout")
    result = results.locator("a[href*='hostile-outage']").first
    result.wait_for(state="visible", timeout=15_000)
    assert HOSTILE_TITLE in results.inner_text()  # the title as typed, "<script>" and all
    page.wait_for_timeout(300)
    assert page.evaluate("window.pmkbPwned || null") is None
    reader.screenshot(f"engine-{engine}-hostile-search")
    reader.assert_clean()
