"""mkdocs-material's search on the site opened from disk (file://), offline, in a real Chromium.

A small KB is built with a mkdocs.yml like the repository's. From file:// the theme loads its
index as `search/search_index.js` and its search worker through our file-worker.js, since
Chromium refuses `new Worker()` there. The same search must still work over http, where the
shim stays out of the way. One site searches in English only; the other adds German, so the
worker calls `importScripts` for lunr's language files, which the shim must load too.

Run with `pytest -m browser tests/browser/test_file_search.py`; skips cleanly without Chromium
or Playwright. The one test not marked `browser` checks the built files without a browser.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from kit.browser import ROOT, Site, mkdocs_build, serve

WORD = "zephyrite"  # in one write-up only; no other page of the site has it
FOUND = "Checkout queue stalled"
NOT_FOUND = ("Disk failure on web-1", "Certificate expired on the edge")
ALLOWED_SCHEMES = ("data:", "blob:", "about:")


def postmortem(title: str, date: str, summary: str) -> str:
    return textwrap.dedent(f"""\
        ---
        title: {title}
        date: {date}
        severity: SEV2
        components: [web-server]
        root_causes: [hardware-failure]
        timezone: "+00:00"
        ---

        ## Summary

        {summary}

        ## Timeline

        - 10:00 [start] Something broke.
        - 10:05 [detected] An alert fired.
        - 10:30 [resolved] It was fixed.

        ## Root cause

        A part wore out.
        """)


def write_kb(root: Path, languages: list[str]) -> Path:
    """A three-incident KB whose mkdocs.yml is the repository's, without its nav (its pages are
    not here) and with the search languages given."""
    shutil.copy(ROOT / "taxonomy.yml", root / "taxonomy.yml")
    folder = root / "postmortems"
    folder.mkdir()
    (folder / "2024-05-02-checkout-queue.md").write_text(postmortem(
        FOUND, "2024-05-02", f"The {WORD} consumer stopped taking jobs and checkout queued."), encoding="utf-8")
    (folder / "2024-03-14-disk-failure.md").write_text(postmortem(
        NOT_FOUND[0], "2024-03-14", "A disk failed on web-1 and requests slowed down."), encoding="utf-8")
    (folder / "2023-11-20-cert-expiry.md").write_text(postmortem(
        NOT_FOUND[1], "2023-11-20", "The edge certificate expired at night."), encoding="utf-8")
    (root / "docs").mkdir()
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    config.pop("nav", None)
    config.update(docs_dir="docs", site_dir="site")
    config["plugins"] = [{"search": {"lang": languages}} if p == "search" else p for p in config["plugins"]]
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return root


@pytest.fixture(scope="module", params=[["en"], ["en", "de"]], ids=["en", "en+de"])
def site(request, tmp_path_factory) -> Iterator[Site]:
    root = write_kb(tmp_path_factory.mktemp("file-search"), request.param)
    yield from serve(mkdocs_build(root / "mkdocs.yml", root / "site"))


@dataclass
class Search:
    results: str = ""  # the text of the results panel
    native_worker: bool = False  # window.Worker is the browser's own
    errors: list[str] = field(default_factory=list)  # console errors, page errors, failed requests
    requests: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # requests that would have left the site


def search(browser, url: str, outside) -> Search:
    """Open `url`, press "/" and type WORD as a reader would. `outside(request_url)` says whether
    a request leaves the site; such a request is refused and recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    seen = Search()
    try:
        page = context.new_page()
        page.on("console", lambda m: seen.errors.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: seen.errors.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: seen.errors.append(f"failed: {r.url}: {r.failure}"))

        def guard(route):
            seen.requests.append(route.request.url)
            if outside(route.request.url):
                seen.left.append(route.request.url)
                route.abort()
            else:
                route.continue_()

        context.route("**/*", guard)
        page.goto(url)
        page.keyboard.press("/")
        page.keyboard.type(WORD)
        page.wait_for_selector(".md-search-result__item", timeout=20_000)
        seen.results = page.inner_text(".md-search-result")
        seen.native_worker = page.evaluate("() => /\\[native code\\]/.test(String(window.Worker))")
        return seen
    finally:
        context.close()


def languages(site: Site) -> list[str]:
    index = json.loads((site.folder / "search" / "search_index.json").read_text(encoding="utf-8"))
    return index["config"]["lang"]


def outside_disk(url: str) -> bool:
    return not url.startswith(("file://", *ALLOWED_SCHEMES))


def test_built_site_carries_the_index_script_and_the_shim(site):
    index = site.folder / "search" / "search_index.json"
    script = (site.folder / "search" / "search_index.js").read_text(encoding="utf-8")
    assert script.startswith("var __index = ")
    assert json.loads(script.removeprefix("var __index = ")) == json.loads(index.read_text(encoding="utf-8"))
    assert (site.folder / "assets" / "pmkb" / "file-worker.js").is_file()
    html = (site.folder / "incidents" / "index.html").read_text(encoding="utf-8")
    shim = html.index('<script src="../assets/pmkb/file-worker.js"></script>')
    assert shim < html.index("</head>") < html.index("assets/javascripts/bundle.")


@pytest.mark.xfail(reason="known gap: search from file:// (sharded index)", strict=False)
@pytest.mark.browser
@pytest.mark.parametrize("start", ["index.html", "incidents/2024-05-02-checkout-queue.html"])
def test_search_works_from_disk(browser, site, start):
    page = site.folder / start
    assert page.is_file()
    seen = search(browser, page.as_uri(), outside_disk)
    assert FOUND in seen.results
    assert not [title for title in NOT_FOUND if title in seen.results]
    assert not seen.errors, "\n".join(seen.errors)
    assert not seen.left, f"requests left the site: {seen.left}"
    assert not seen.native_worker  # the shim stood in for Worker
    if "de" in languages(site):  # the worker's importScripts went through the shim
        assert any(url.endswith("/lunr/min/lunr.de.min.js") for url in seen.requests), seen.requests


@pytest.mark.xfail(reason="known gap: search from file:// (sharded index)", strict=False)
@pytest.mark.browser
def test_search_still_works_over_http(browser, site):
    host = urlparse(site.url).netloc

    def outside(url: str) -> bool:
        return not (url.startswith(ALLOWED_SCHEMES) or urlparse(url).netloc == host)

    seen = search(browser, site.page("index.html"), outside)
    assert FOUND in seen.results
    assert not [title for title in NOT_FOUND if title in seen.results]
    assert not seen.errors, "\n".join(seen.errors)
    assert not seen.left, f"requests left the site: {seen.left}"
    assert seen.native_worker  # over http the theme's own worker runs
