"""The site's search as a reader uses it, in a real Chromium: opened from disk (file://) and served
over http, on a KB with the repository's mkdocs.yml and on one made by `pmkb init`.

Each KB has three incidents and one whose title is markup with a script in it. A reader opens a
page, types into the theme's search box, reads the results and clicks one. What must hold:

* the incident holding the word is listed under its title, as written, and the others are not;
* every result's address opens a page of the site, and the one clicked shows that incident;
* a hostile title is shown as text: no script in it runs (no dialog, no global set);
* no request leaves the site (from disk: nothing but file://), none fails, the console has no error.

From disk Chromium refuses `new Worker()` and `fetch()`: the theme's search box is answered by
our worker running in file-worker.js's frame, which loads the index's shards (scripts) with
script elements. Over http the same worker runs as a real worker and fetches them.

Run with `pytest -m browser tests/browser/test_file_search.py`; skips cleanly without Chromium
or Playwright. The one test not marked `browser` checks the built files without a browser.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import yaml

from kit.browser import ENV, ROOT, Site, mkdocs_build, require, serve

WORD = "zephyrite"  # in one write-up only; no other page of the site has it
FOUND = "Checkout queue stalled"
NOT_FOUND = ("Disk failure on web-1", "Certificate expired on the edge")
HOSTILE_WORD = "kestrel"  # in the hostile title only
HOSTILE = f"<img src=x onerror=\"alert('title');window.pmkbPwned=1\"> {HOSTILE_WORD.title()} <b>relay</b> jammed"
ALLOWED_SCHEMES = ("data:", "blob:", "about:")
SHARD = re.compile(r'\ApmkbSearchLoaded\("([^"]+)",(.*)\);\n\Z', re.S)


def postmortem(title: str, date: str, summary: str) -> str:
    return textwrap.dedent(f"""\
        ---
        title: {json.dumps(title)}
        date: {date}
        severity: SEV2
        components: [load-balancer]  # in the taxonomy of both KBs
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


INCIDENTS = {
    "2024-05-02-checkout-queue": (FOUND, "2024-05-02", f"The {WORD} consumer stopped taking jobs and checkout queued."),
    "2024-03-14-disk-failure": (NOT_FOUND[0], "2024-03-14", "A disk failed on web-1 and requests slowed down."),
    "2023-11-20-cert-expiry": (NOT_FOUND[1], "2023-11-20", "The edge certificate expired at night."),
    "2023-08-01-relay-jammed": (HOSTILE, "2023-08-01", "A relay jammed and the web tier stopped."),
}


def write_postmortems(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, fields in INCIDENTS.items():
        (folder / f"{name}.md").write_text(postmortem(*fields), encoding="utf-8")


def repo_config_kb(root: Path) -> Path:
    """The incidents with the repository's mkdocs.yml, without its nav (its pages are not here)."""
    shutil.copy(ROOT / "taxonomy.yml", root / "taxonomy.yml")
    write_postmortems(root / "postmortems")
    (root / "docs").mkdir()
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    config.pop("nav", None)
    config.update(docs_dir="docs", site_dir="site")
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return root


def init_kb(root: Path) -> Path:
    """A KB made by `pmkb init`, as a new team gets it, with the incidents added."""
    root = root / "kb"
    proc = subprocess.run([sys.executable, "-m", "postmortem_kb", "init", str(root)], capture_output=True,
                          text=True, env=ENV, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    write_postmortems(root / "postmortems" / "2024")
    return root


@pytest.fixture(scope="module", params=["repository-config", "pmkb-init"])
def site(request, tmp_path_factory) -> Iterator[Site]:
    require()
    folder = tmp_path_factory.mktemp("file-search")
    root = repo_config_kb(folder) if request.param == "repository-config" else init_kb(folder)
    yield from serve(mkdocs_build(root / "mkdocs.yml", root / "site"))


@dataclass
class Seen:
    titles: list[str] = field(default_factory=list)  # the results' headings, as the reader reads them
    links: list[str] = field(default_factory=list)  # the results' addresses, absolute
    opened_url: str = ""  # after clicking the first result
    opened_heading: str = ""
    pwned: bool = False  # a script from the content ran
    problems: list[str] = field(default_factory=list)  # dialogs, console and page errors, failed requests
    requests: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # requests that would have left the site


def search(browser, url: str, query: str, outside) -> Seen:
    """Open `url`, click the theme's search box, type `query` as a reader would, read the results,
    then click the first one. `outside(request_url)` says whether a request leaves the site; such a
    request is refused and recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    seen = Seen()
    try:
        page = context.new_page()
        page.on("console", lambda m: seen.problems.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: seen.problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: seen.problems.append(f"failed: {r.url}: {r.failure}")
                if r.url not in seen.left else None)
        page.on("dialog", lambda d: (seen.problems.append(f"dialog: {d.message}"), d.dismiss()))

        def guard(route):
            seen.requests.append(route.request.url)
            if outside(route.request.url):
                seen.left.append(route.request.url)
                route.abort()
            else:
                route.continue_()

        context.route("**/*", guard)
        page.goto(url)
        page.locator("input.md-search__input").click()
        page.keyboard.type(query, delay=40)
        page.wait_for_selector(".md-search-result__item", timeout=20_000)
        page.wait_for_timeout(300)  # the answer to the last key
        items = page.locator(".md-search-result__item")
        seen.titles = [t.strip() for t in page.locator(".md-search-result__item h1").all_inner_texts()]
        seen.links = [items.nth(i).locator("a").first.evaluate("a => a.href") for i in range(items.count())]
        seen.pwned = page.evaluate("() => window.pmkbPwned !== undefined")
        items.first.locator("a").first.click()
        page.wait_for_load_state("load")
        seen.opened_url = page.url
        seen.opened_heading = page.locator("article h1").first.inner_text().strip()
        seen.pwned = seen.pwned or page.evaluate("() => window.pmkbPwned !== undefined")
        return seen
    finally:
        context.close()


def on_disk(link: str, site: Site) -> Path:
    """The file a file:// address opens (its query and fragment are not part of it)."""
    assert link.startswith("file://"), link
    path = Path(unquote(urlparse(link).path))
    assert path.resolve().is_relative_to(site.folder.resolve()), link
    return path


def outside_disk(url: str) -> bool:
    return not url.startswith(("file://", *ALLOWED_SCHEMES))


def shard(path: Path) -> tuple[str, object]:
    match = SHARD.match(path.read_text(encoding="utf-8"))
    assert match, path
    return match.group(1), json.loads(match.group(2))


def test_built_site_carries_the_index_as_scripts_and_the_shims(site):
    shards = site.folder / "search" / "shards"
    names = sorted(p.name for p in shards.iterdir())
    assert "manifest.js" in names and any(n.startswith("t-") for n in names) and "d-0.js" in names
    for name in names:  # one format for fetch and for a script element: pmkbSearchLoaded(name, json)
        assert shard(shards / name)[0] == name.removesuffix(".js")
    documents = [record for n in names if n.startswith("d-") for record in shard(shards / n)[1]]
    assert {r[1] for r in documents if r[0].startswith("incidents/")} >= {f[0] for f in INCIDENTS.values()}
    # The theme's index keeps its configuration only; from disk the theme reads it as a script.
    index = json.loads((site.folder / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert index["docs"] == []
    script = (site.folder / "search" / "search_index.js").read_text(encoding="utf-8")
    assert json.loads(script.removeprefix("var __index = ")) == index
    html = (site.folder / "incidents" / "index.html").read_text(encoding="utf-8")
    head, bundle = html.index("</head>"), html.index("assets/javascripts/bundle.")
    for asset in ("file-worker.js", "pmkb-search.js"):
        assert (site.folder / "assets" / "pmkb" / asset).is_file()
        assert html.index(f'<script src="../assets/pmkb/{asset}"></script>') < head < bundle


def assert_found(seen: Seen) -> None:
    assert not seen.problems, "\n".join(seen.problems)
    assert not seen.pwned
    assert FOUND in seen.titles, seen.titles
    assert not [title for title in NOT_FOUND if title in seen.titles], seen.titles
    assert seen.opened_heading == seen.titles[0], (seen.opened_heading, seen.titles)


@pytest.mark.browser
@pytest.mark.parametrize("start", ["index.html", "incidents/2024-05-02-checkout-queue.html"])
def test_search_works_from_disk(browser, site, start):
    page = site.folder / start
    assert page.is_file()
    seen = search(browser, page.as_uri(), WORD, outside_disk)
    assert_found(seen)
    assert not seen.left, f"requests left the site: {seen.left}"
    for link in seen.links:
        assert on_disk(link, site).is_file(), link
    assert on_disk(seen.opened_url, site) == on_disk(seen.links[0], site)
    assert any("/search/shards/t-" in url for url in seen.requests), seen.requests  # answered from the shards


@pytest.mark.browser
def test_search_works_over_http(browser, site):
    host = urlparse(site.url).netloc

    def outside(url: str) -> bool:
        return not (url.startswith(ALLOWED_SCHEMES) or urlparse(url).netloc == host)

    seen = search(browser, site.page("index.html"), WORD, outside)
    assert_found(seen)
    assert not seen.left, f"requests left the site: {seen.left}"
    context = browser.new_context()
    try:
        for link in seen.links:
            assert urlparse(link).netloc == host, link
            assert context.request.get(link).status == 200, link
    finally:
        context.close()
    assert seen.opened_url.split("?")[0] == seen.links[0].split("?")[0]
    assert any("/search/shards/t-" in url for url in seen.requests), seen.requests


@pytest.mark.browser
@pytest.mark.parametrize("mode", ["file", "http"])
def test_a_hostile_title_is_shown_as_text(browser, site, mode):
    host = urlparse(site.url).netloc
    if mode == "file":
        url, outside = (site.folder / "index.html").as_uri(), outside_disk
    else:
        url = site.page("index.html")

        def outside(request_url: str) -> bool:
            return not (request_url.startswith(ALLOWED_SCHEMES) or urlparse(request_url).netloc == host)

    seen = search(browser, url, HOSTILE_WORD, outside)
    assert not seen.problems, "\n".join(seen.problems)
    assert not seen.pwned
    assert not seen.left, f"requests left the site: {seen.left}"
    assert seen.titles and seen.titles[0] == HOSTILE, seen.titles  # the markup as text, not as markup
    assert seen.opened_heading == HOSTILE
