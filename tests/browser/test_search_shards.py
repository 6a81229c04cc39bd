"""The site search in Chromium, answered from the sharded index (site/searchindex.py and
assets/pmkb-search-worker.js) through the theme's own search box, over http and from file://.

A small KB with the configuration `pmkb init` users get (the theme's `search` plugin and ours):
incidents, a page of the site's own, a writer's hostile title. A reader types into the search
box; what they see must be incidents (never listing, term, tag or year pages), found by their
words, by a taxonomy alias of their component, and by words deep in the write-up; only the
shards the query needs are downloaded, never a whole index.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from kit import ROOT, site_config
from kit.browser import CHROMIUM, CHROMIUM_ARGS, mkdocs_build, require, serve

HOSTILE = "<img src=x onerror=\"window.pmkbPwned=1\"> Queue <b>stalled</b>"


def postmortem(title: str, date: str, component: str, cause: str, summary: str, root_cause: str) -> str:
    return textwrap.dedent(f"""\
        ---
        title: {json.dumps(title)}
        date: {date}
        severity: SEV2
        components: [{component}]
        root_causes: [{cause}]
        timezone: "+00:00"
        ---

        ## Summary

        {summary}

        ## Timeline

        - 10:00 [start] Something broke.
        - 10:05 [detected] An alert fired.
        - 10:30 [resolved] It was fixed.

        ## Root cause

        {root_cause}
        """)


INCIDENTS = {
    "2024-05-02-primary-failover": ("Primary failover stalled writes", "2024-05-02", "postgres", "capacity",
                                    "Writes stalled for twenty minutes.", "The replica fell behind the primary."),
    "2024-03-14-disk-failure": ("Disk failure on web-1", "2024-03-14", "web-server", "hardware-failure",
                                "A disk failed on web-1 and requests slowed down.",
                                "The RAID controller hid a quasilinear wear pattern."),
    "2023-11-20-cert-expiry": ("Certificate expired on the edge", "2023-11-20", "cdn", "expired-certificate",
                               "The edge certificate expired at night.", "Nobody renewed it."),
    "2023-08-01-hostile": (HOSTILE, "2023-08-01", "kafka", "software-bug", "The consumer stalled.",
                           "A bug in the consumer."),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    require()
    root = tmp_path_factory.mktemp("shards")
    shutil.copy(ROOT / "taxonomy.yml", root / "taxonomy.yml")
    for name, fields in INCIDENTS.items():
        path = root / "postmortems" / fields[1][:4] / f"{name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(postmortem(*fields), encoding="utf-8")
    (root / "docs").mkdir()
    (root / "docs" / "runbooks.md").write_text("# Runbooks\n\nHow we page the on-call engineer.\n", "utf-8")
    (root / "mkdocs.yml").write_text(site_config("Shard KB"), encoding="utf-8")
    return mkdocs_build(root / "mkdocs.yml", root / "site")


@pytest.fixture(scope="module")
def chromium():
    require()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def test_the_site_ships_shards_and_a_theme_index_without_documents(built):
    theme = json.loads((built / "search" / "search_index.json").read_text("utf-8"))
    assert theme["docs"] == [] and "lang" in theme["config"]
    shards = {p.name for p in (built / "search" / "shards").iterdir()}
    assert "manifest.js" in shards and "d-0.js" in shards and any(n.startswith("t-") for n in shards)
    assert (built / "assets" / "pmkb" / "pmkb-search-worker.js").is_file()
    head = (built / "index.html").read_text("utf-8").split("</head>")[0]
    assert "assets/pmkb/pmkb-search.js" in head
    records = [r for n in sorted(shards) if n.startswith("d-")
               for r in json.loads((built / "search" / "shards" / n).read_text("utf-8").split(",", 1)[1][:-3])]
    urls = [r[0] for r in records]
    assert sorted(u for u in urls if u.startswith("incidents/")) == sorted(f"incidents/{n}.html" for n in INCIDENTS)
    assert "runbooks.html" in urls
    assert not [u for u in urls if u.split("/")[0] in ("root-causes", "components", "actions", "tags", "years",
                                                          "severity", "action-items") or u.endswith("index.html")]


def search(chromium, url: str, query: str) -> dict:
    """Type ``query`` into the theme's search box at ``url``; what the reader sees and what was fetched."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    fetched: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("request", lambda r: fetched.append(r.url))
    try:
        page.goto(url)
        page.locator("input.md-search__input").click()
        page.keyboard.type(query, delay=30)
        page.wait_for_selector(".md-search-result__item", timeout=20_000)
        page.wait_for_timeout(300)
        items = page.locator(".md-search-result__item")
        links = [items.nth(i).locator("a").first.get_attribute("href") for i in range(items.count())]
        titles = [t.strip() for t in page.locator(".md-search-result__item h1").all_inner_texts()]
        marks = page.locator(".md-search-result mark").all_inner_texts()
        pwned = page.evaluate("() => window.pmkbPwned === 1")
        return {"links": links, "titles": titles, "marks": marks, "errors": errors, "fetched": fetched,
                "pwned": pwned}
    finally:
        context.close()


@pytest.fixture(scope="module", params=["http", "file"])
def start(request, built):
    if request.param == "file":
        yield (built / "index.html").as_uri()
    else:
        for site in serve(built):
            yield site.page("index.html")


@pytest.mark.browser
@pytest.mark.parametrize("query, expected", [
    ("failover", "Primary failover stalled writes"),  # a word of the title
    ("database", "Primary failover stalled writes"),  # an alias of its component (postgres)
    ("quasilinear", "Disk failure on web-1"),  # a word deep in the write-up
    ("certif", "Certificate expired on the edge"),  # a prefix, as typed so far
])
def test_search_finds_incidents_first(chromium, start, query, expected):
    seen = search(chromium, start, query)
    assert not seen["errors"], seen["errors"]
    assert seen["titles"] and seen["titles"][0] == expected, seen["titles"]
    for link in seen["links"]:
        path = link.split("://", 1)[-1]
        assert "/incidents/" in path or path.rsplit("/", 1)[-1].startswith("runbooks"), link
        assert "/incidents/index" not in path
    if query in ("failover", "certif"):  # in the title: marked there
        assert any(m.lower().startswith(query) for m in seen["marks"]), seen["marks"]
    fetched = [u for u in seen["fetched"] if "/search/" in u]
    assert not [u for u in fetched if u.endswith("search_index.js") and "file:" not in u]
    if start.startswith("http"):
        assert [u for u in fetched if "/search/shards/t-" in u]  # only the shards of the query's words


@pytest.mark.browser
def test_hostile_titles_are_text_and_the_sites_own_pages_are_found(chromium, start):
    seen = search(chromium, start, "stalled")
    assert not seen["pwned"] and not seen["errors"], seen
    assert any("<img" in t and "Queue" in t for t in seen["titles"]), seen["titles"]
    seen = search(chromium, start, "on-call")
    assert seen["titles"][0] == "Runbooks", seen["titles"]
