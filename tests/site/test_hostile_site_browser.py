"""The attacker's KB in a real browser: no script of a writer runs when any page loads, when the
reader moves over or focuses anything on it, or when they open a search result, with the default
Markdown, with the extensions material sites commonly enable, and with Pagefind's search; each site
built by every installed engine (`pmkb build --engine NAME`). Zensical's search box is its own, not
mkdocs-material's: the search test opens it as a reader does there."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

from kit.browser import CHROMIUM, CHROMIUM_ARGS, Reader, is_local, require, serve
from kit.site import write_attacker_kb

pytestmark = pytest.mark.browser

ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
ENV.pop("PMKB_ENGINE", None)
ENGINES = [name for name in ("mkdocs", "properdocs", "zensical") if importlib.util.find_spec(name) is not None]
CONFIGS = {"default markdown": {"extensions": False}, "common extensions": {"extensions": True},
           "pagefind": {"extensions": True, "search": "pagefind"}}

# After the page loaded: move over, focus and hover every element of the content, then report
# what a writer's script would have left behind.
PROBE = """() => {
  for (const el of document.querySelectorAll('article *, .md-content *')) {
    for (const type of ['mouseover', 'mouseenter', 'focus', 'focusin', 'pointerover', 'animationstart']) {
      el.dispatchEvent(new Event(type, {bubbles: true}));
    }
    if (typeof el.focus === 'function') el.focus();
  }
  let config = null;
  try { config = JSON.parse(document.querySelector('#__config').textContent); } catch (e) { config = String(e); }
  return {pwned: window.pmkbPwned || null, config: config,
          configs: document.querySelectorAll('[id="__config"]').length};
}"""


@pytest.fixture(scope="module")
def browser():
    require()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


# Every configuration on MkDocs; the common extensions and Pagefind (the widest attack surface) on
# the other engines too.
BUILDS = [(config, "mkdocs") for config in CONFIGS] + [(config, engine) for engine in ENGINES if engine != "mkdocs"
                                                      for config in ("common extensions", "pagefind")]


@pytest.fixture(scope="module", params=BUILDS, ids=[f"{c}-{e}" for c, e in BUILDS])
def attacked(request, tmp_path_factory):
    require()
    config, engine = request.param
    options = CONFIGS[config]
    if options.get("search") == "pagefind":
        pytest.importorskip("pagefind")
    root = write_attacker_kb(tmp_path_factory.mktemp(f"attacked-{engine}"), **options)
    proc = subprocess.run([sys.executable, "-m", "postmortem_kb", "build", "--engine", engine], cwd=root, env=ENV,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for site in serve(root / "site"):
        yield config, engine, site


@pytest.fixture
def reader(browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    seen = Reader(page, tmp_path)
    page.on("pageerror", lambda e: seen.page_errors.append(str(e)))

    def on_dialog(dialog):
        seen.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    context.route("**/*", lambda route: route.continue_() if is_local(route.request.url)
                  else (seen.outside.append(route.request.url), route.abort()))
    try:
        yield seen
    finally:
        context.close()


def test_no_writer_script_runs_on_any_page(attacked, reader: Reader):
    name, engine, site = attacked
    pages = sorted(p.relative_to(site.folder).as_posix() for p in site.folder.rglob("*.html")
                   if "assets" not in p.parts and p.name != "404.html")
    assert any(p.startswith("incidents/2024-05-02-certs") for p in pages)
    findings = {}
    for rel in pages:
        page = reader.visit(site.page(rel))
        seen = page.evaluate(PROBE)
        page.wait_for_timeout(50)
        seen["pwned"] = seen["pwned"] or page.evaluate("window.pmkbPwned || null")
        if rel.startswith("incidents/2024-05-02-certs"):
            # The attack is in the page (else this test would prove nothing).
            assert "Nobody renewed them" in page.inner_text("article"), "the write-up is missing"
        theme_config_intact = isinstance(seen["config"], dict) and "base" in seen["config"]
        if seen["pwned"] or seen["configs"] != 1 or not theme_config_intact:
            findings[rel] = seen
    assert findings == {}, (name, engine)
    assert reader.dialogs == [] and reader.outside == [], (reader.dialogs, reader.outside)


def test_opening_a_search_result_runs_no_writer_script(attacked, reader: Reader):
    name, engine, site = attacked
    if name == "pagefind":
        page = reader.visit(site.page("search/index.html"))
        box = page.locator(".pagefind-ui__search-input")
        box.wait_for(state="visible", timeout=15_000)
        box.press_sequentially("certificates", delay=30)
        result = page.locator(".pagefind-ui__result-link").first
    elif engine == "zensical":
        page = reader.visit(site.page("index.html"))
        page.locator("button.md-search__button").first.click()
        box = page.locator("input[role=combobox]").first  # it names its result list
        box.wait_for(state="visible", timeout=10_000)
        box.press_sequentially("certificates", delay=30)
        result = page.locator(f"[id='{box.get_attribute('aria-controls')}'] a[href*='incidents/']").first
    else:
        page = reader.visit(site.page("index.html"))
        toggle = page.locator("label.md-header__button[for='__search']")
        if toggle.is_visible():
            toggle.click()
        box = page.locator("input.md-search__input")
        box.click()
        box.press_sequentially("certificates", delay=30)
        result = page.locator(".md-search-result__item a").first
    result.wait_for(state="visible", timeout=15_000)
    href = result.get_attribute("href") or ""
    assert not href.lower().lstrip().startswith(("javascript", "data")), href
    assert page.evaluate("window.pmkbPwned || null") is None
    with page.expect_navigation():
        result.click()
    page.wait_for_load_state("networkidle")
    assert page.url.startswith(site.url), page.url
    assert page.evaluate(PROBE)["pwned"] is None
    assert reader.dialogs == [] and reader.page_errors == [], (reader.dialogs, reader.page_errors)
