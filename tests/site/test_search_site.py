"""Search on the built site: mkdocs-material's index and the Pagefind option, each run with the
search code the site ships (material's lunr worker, pagefind.js) under Node against a query."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kit.search_kb import sample_kb, write
from postmortem_kb.search import pagefind as pf

DISTINCTIVE = "thermoclastic"  # a word found in exactly one fixture postmortem

# Runs mkdocs-material's own search worker (lunr) on search_index.json, as the page would.
# Runs the site's pagefind.js with fetch() reading the bundle from disk; counts the bytes fetched.
PAGEFIND_JS = r"""
import { readFileSync } from "node:fs";
import { pathToFileURL, fileURLToPath } from "node:url";
const [dir, query, filters] = process.argv.slice(2);
let bytes = 0; const fetched = [];
globalThis.fetch = async (url) => {
  const file = fileURLToPath(new URL(url, pathToFileURL(dir + "/")));
  const data = readFileSync(file); bytes += data.length; fetched.push(file.split("/").pop());
  return new Response(data);
};
globalThis.window = globalThis;
globalThis.location = { href: pathToFileURL(dir + "/").href, origin: "null" };
globalThis.document = { currentScript: null, querySelector: () => null };
const pagefind = await import(pathToFileURL(dir + "/pagefind.js").href);
await pagefind.options({ basePath: pathToFileURL(dir + "/").href });
const found = await pagefind.search(query || null, filters ? { filters: JSON.parse(filters) } : {});
const pages = await Promise.all(found.results.map((r) => r.data()));
console.log(JSON.stringify({ results: pages.map((p) => ({ url: p.url, title: p.meta.title, filters: p.filters })),
                             filters: await pagefind.filters(), bytes, fetched }));
"""


def node() -> str:
    exe = shutil.which("node")
    if exe is None:
        pytest.skip("Node.js is not installed: the site's search code cannot be run")
    return exe


def pagefind_available() -> None:
    try:
        pf._executable()
    except pf.PagefindUnavailable as exc:
        pytest.skip(f"Pagefind is not installed: {exc}")


SEARCH_PAGE = """# Search

<link href="pagefind/pagefind-ui.css" rel="stylesheet">
<script src="pagefind/pagefind-ui.js"></script>
<div id="pmkb-search"></div>
<script>
  window.addEventListener("DOMContentLoaded", () =>
    new PagefindUI({ element: "#pmkb-search", showSubResults: true }));
</script>
"""


def build_site(tmp_path: Path, search: str, search_page: bool = False) -> Path:
    """A fixture KB with the postmortems plugin, built with mkdocs; returns the site folder.

    ``search_page``: add the Pagefind search page that docs/search.md describes."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    root = sample_kb(tmp_path)
    write(root, "boiler-crack", title="Boiler crack froze the build farm", date="2025-07-07", severity="SEV2",
          components="ci-cd", root_causes="hardware-failure", tags="boiler",
          summary=f"A {DISTINCTIVE} fracture in the boiler cut heating to the build farm room.")
    (root / "docs").mkdir()
    if search_page:
        (root / "docs" / "search.md").write_text(SEARCH_PAGE, encoding="utf-8")
    (root / "mkdocs.yml").write_text(
        "site_name: Incident KB\nuse_directory_urls: false\n"
        "theme:\n  name: material\n  font: false\n"
        "plugins:\n  - search\n"
        f"  - postmortems:\n      search: {search}\n", encoding="utf-8")
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    build(load_config(str(root / "mkdocs.yml")))
    return root / "site"


def page_of(location: str) -> str:
    """`incidents/x.html#summary` or `incidents/x/#summary` -> `incidents/x`."""
    return location.split("#")[0].rstrip("/").removesuffix(".html")


def page_docs(index: dict, incident_id: str) -> list[dict]:
    return [d for d in index["docs"] if page_of(d["location"]).endswith(f"incidents/{incident_id}")]


def shard_docs(site: Path) -> list[list[str]]:
    """The documents ([url, title, text]) of the site's sharded search index (site/searchindex.py)."""
    docs = []
    for shard in sorted((site / "search" / "shards").glob("d-*.js")):
        text = shard.read_text(encoding="utf-8")
        docs += json.loads(text[text.index(",") + 1:text.rindex(")")])
    return docs


@pytest.mark.slow
def test_material_search_serves_incidents_from_their_data_and_no_listing(tmp_path):
    site = build_site(tmp_path, "material")
    # The theme walks none of the generated pages: incidents come from the KB's data, listings stay out.
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert page_docs(index, "boiler-crack") == []
    docs = {d[0]: d for d in shard_docs(site)}
    (url,) = [u for u in docs if "boiler-crack" in u]
    _, title, text = docs[url]
    assert title == "Boiler crack froze the build farm"
    assert "SEV2" in text and "2025-07-07" in text and "Hardware failure" in text
    assert not any(u.startswith(("root-causes/", "components/", "tags/", "years/", "severity/")) for u in docs)
    assert not (site / "pagefind").exists()
    assert not (site / "search" / "index.html").exists()  # the Pagefind search page is for Pagefind only


@pytest.mark.slow
def test_pagefind_option_indexes_incidents_with_filters(tmp_path):
    pagefind_available()
    site = build_site(tmp_path, "pagefind")
    bundle = site / "pagefind"
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    # Only incident pages carry data-pagefind-body: six published ones, the draft is not on the site.
    assert sum(lang["page_count"] for lang in entry["languages"].values()) == 6
    assert list((bundle / "filter").glob("*.pf_filter"))
    assert not [p for p in site.parent.iterdir() if p.name.startswith(".pagefind-")]  # staging removed
    page = (site / "search" / "index.html").read_text(encoding="utf-8")
    for asset in ("pagefind-ui.js", "pagefind-ui.css"):
        assert f'"../pagefind/{asset}"' in page and (bundle / asset).is_file()

    exe = node()
    script = tmp_path / "pagefind-search.mjs"
    script.write_text(PAGEFIND_JS, encoding="utf-8")

    def run(query: str, filters: dict | None = None) -> dict:
        args = [exe, str(script), str(bundle), query] + ([json.dumps(filters)] if filters else [])
        out = subprocess.run(args, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    found = run(DISTINCTIVE)
    assert [r["title"] for r in found["results"]] == ["Boiler crack froze the build farm"]
    assert page_of(found["results"][0]["url"]).endswith("incidents/boiler-crack")
    hit_filters = found["results"][0]["filters"]
    assert hit_filters["severity"] == ["SEV2"]
    assert hit_filters["root cause"] == ["Hardware failure"]
    assert hit_filters["component"] == ["CI/CD pipeline"]

    sev1 = run("", {"severity": "SEV1"})
    assert sorted(r["title"] for r in sev1["results"]) == [
        "Checkout down: Postgres connection pool exhausted", "Writes refused by transaction wraparound"]
    counts = sev1["filters"]
    assert counts["severity"]["SEV1"] == 2 and counts["component"]["PostgreSQL"] == 2
    postgres = run("", {"component": "PostgreSQL", "root cause": "Software bug"})
    assert [r["title"] for r in postgres["results"]] == ["Writes refused by transaction wraparound"]


def test_pagefind_missing_binary_is_a_clear_error(tmp_path, monkeypatch):
    pytest.importorskip("pagefind.service")
    import pagefind.service

    monkeypatch.setattr(pagefind.service, "get_executable", lambda: None)
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<html><body><h1>x</h1></body></html>")
    with pytest.raises(pf.PagefindUnavailable, match=r"pip install 'pagefind\[bin\]'"):
        pf.build_pagefind_index(site)
    assert not (site / "pagefind").exists()


def test_pagefind_failure_keeps_the_previous_bundle(tmp_path, monkeypatch):
    pagefind_available()
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<html lang='en'><body><h1>Hello</h1><p>Quietly indexed.</p></body></html>")
    pf.build_pagefind_index(site)
    entry = (site / "pagefind" / "pagefind-entry.json").read_bytes()

    async def broken(site_dir, out_dir):
        (out_dir).mkdir(parents=True)
        (out_dir / "pagefind-entry.json").write_text("{half")
        raise RuntimeError("the service died")

    monkeypatch.setattr(pf, "_index", broken)
    with pytest.raises(pf.PagefindFailed, match="could not index"):
        pf.build_pagefind_index(site)
    assert (site / "pagefind" / "pagefind-entry.json").read_bytes() == entry
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pagefind-")]


@pytest.mark.browser
def test_both_searches_in_a_real_browser(tmp_path):
    """Served over HTTP (neither search can fetch its index from file://), typed into the page."""
    import functools
    import importlib.util
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists() or importlib.util.find_spec("playwright") is None:
        pytest.skip("needs Chromium and Playwright")
    pagefind_available()
    from playwright.sync_api import expect, sync_playwright

    site = build_site(tmp_path, "pagefind")  # the plugin generates search/index.md itself

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    outside: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--headless", "--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((base, "data:")) else None)
            page.goto(base + "index.html")
            page.keyboard.press("/")  # the theme's shortcut to the search box
            page.keyboard.type(DISTINCTIVE)  # a word of the body
            first = page.locator(".md-search-result__item").first
            first.wait_for(timeout=15000)
            assert "Boiler crack froze the build farm" in first.inner_text()

            page.goto(base + "search/index.html")
            page.fill(".pagefind-ui__search-input", DISTINCTIVE)
            title = page.locator(".pagefind-ui__result-title").first
            # The UI shows a ". . ." placeholder until the result's fragment has loaded: wait for the text.
            expect(title).to_have_text("Boiler crack froze the build farm", timeout=15000)
            names = page.locator(".pagefind-ui__filter-name").all_inner_texts()
            assert {n.strip().lower() for n in names} >= {"severity", "root cause", "component"}
            browser.close()
    finally:
        server.shutdown()
    assert outside == []
