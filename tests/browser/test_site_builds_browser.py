"""The built site in a real headless browser, opened from disk: the tracker's filter works and no
request leaves the site. Run with ``pytest -m browser``; skips without Chromium or Playwright."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from kit.site import build_site, pm, write_site

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def site(kb_root: Path) -> Path:
    if not Path(CHROMIUM).exists() or importlib.util.find_spec("playwright") is None:
        pytest.skip("needs Chromium and Playwright")
    pm(kb_root, "disk-a", date="2023-03-01", owner="Sam", action="add-monitoring")
    pm(kb_root, "lb", date="2024-07-01", owner="Ana", action="config-validation", components="load-balancer",
       root_causes="configuration-change")
    write_site(kb_root, directory_urls=False)
    return build_site(kb_root)


def test_tracker_filters_by_owner_and_category_from_file_url(site):
    from playwright.sync_api import sync_playwright

    outside = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        page = browser.new_page()
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
        page.goto((site / "action-items" / "index.html").as_uri())
        rows = page.locator(".pmkb-tracker tbody tr")
        assert rows.count() == 2
        page.select_option("select[name=owner]", "ana")
        assert [r.get_attribute("data-owner") for r in rows.all() if r.is_visible()] == ["ana"]
        page.select_option("select[name=owner]", "")
        page.select_option("select[name=category]", "add-monitoring")
        assert [r.get_attribute("data-owner") for r in rows.all() if r.is_visible()] == ["sam"]
        page.goto((site / "incidents" / "disk-a.html").as_uri())
        assert page.locator(".pmkb-card").is_visible()
        browser.close()
    assert outside == []
