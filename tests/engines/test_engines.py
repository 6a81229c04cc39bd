"""One KB, every engine: `pmkb build --engine NAME` gives the same site with MkDocs, ProperDocs and Zensical.

Two KBs are built with each installed engine, through the command line, each in a process of
its own as CI runs it: the sample KB and a KB made by `pmkb init`, each with a hostile
postmortem added (HTML and scripts in every field). The same checks run on every output:
every visible postmortem has its page; every cross-link page lists exactly its incidents;
the engine's own search index has every incident; hostile values are text; the pages ask for
nothing outside the site; and the engines agree on the URLs.
"""

from __future__ import annotations

import hashlib
import html
import importlib.util
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kit import ROOT, write_postmortem
from kit.hostile import FIXTURES
from postmortem_kb.crosslinks import FACET_FOLDERS, CrossLinks
from postmortem_kb.engines.notice import HOME_PAGE
from postmortem_kb.loader import KBConfig, load_kb

pytestmark = pytest.mark.slow

ENGINES = [pytest.param(name, marks=pytest.mark.skipif(importlib.util.find_spec(name) is None,
                                                       reason=f"{name} is not installed"))
           for name in ("mkdocs", "properdocs", "zensical")]
HOSTILE = "ok-html-everywhere"
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
ENV.pop("PMKB_ENGINE", None)


def pmkb(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "postmortem_kb", *args], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def kbs(tmp_path_factory) -> dict[str, Path]:
    sample = tmp_path_factory.mktemp("sample")
    for name in ("mkdocs.yml", "taxonomy.yml"):
        shutil.copy(ROOT / name, sample / name)
    for folder in ("docs", "postmortems"):
        shutil.copytree(ROOT / folder, sample / folder, ignore=shutil.ignore_patterns("__pycache__"))
    made = tmp_path_factory.mktemp("init") / "kb"
    result = pmkb(made.parent, "init", str(made))
    assert result.returncode == 0, result.stderr
    hostile = (FIXTURES / f"{HOSTILE}.md").read_text(encoding="utf-8")
    (sample / "postmortems" / f"{HOSTILE}.md").write_text(hostile, encoding="utf-8")
    # The same write-up in the new KB's own vocabulary.
    (made / "postmortems" / f"{HOSTILE}.md").write_text(hostile.replace("[web-server]", "[website]"), encoding="utf-8")
    return {"sample": sample, "init": made}


@pytest.fixture(scope="module")
def built(kbs, tmp_path_factory):
    """(kb, engine) -> the folder its site was built into, built once for the module."""
    cache: dict[tuple[str, str], Path] = {}

    def get(kb: str, engine: str) -> Path:
        if (kb, engine) not in cache:
            out = tmp_path_factory.mktemp(f"{kb}-{engine}") / "site"
            result = pmkb(kbs[kb], "build", "--engine", engine, "--site-dir", str(out))
            assert result.returncode == 0, result.stdout + result.stderr
            assert "Traceback" not in result.stderr
            cache[kb, engine] = out
        return cache[kb, engine]

    return get


def visible(root: Path):
    kb = load_kb(KBConfig(root=root))
    return kb, kb.visible(False)


class Page(HTMLParser):
    """Links, scripts, event handlers and what the page loads, from one HTML page."""

    LOADS = {("script", "src"), ("img", "src"), ("iframe", "src"), ("source", "src"),
             ("video", "src"), ("audio", "src"), ("embed", "src"), ("object", "data")}

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.loads: list[str] = []
        self.handlers: list[str] = []
        self.scripts: list[str] = []
        self._script = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}>")
            if tag == "a" and name == "href" and value:
                self.links.append(value)
            if (tag, name) in self.LOADS and value:
                self.loads.append(value)
        # A canonical or alternate link names an address; a stylesheet, icon or preload fetches it.
        rel = (dict(attrs).get("rel") or "").lower().split()
        if tag == "link" and dict(attrs).get("href") and not {"canonical", "alternate"} & set(rel):
            self.loads.append(dict(attrs)["href"] or "")
        if tag == "script":
            self._script = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = False

    def handle_data(self, data):
        if self._script:
            self.scripts[-1] += data


def incident_links(site: Path, page: Path) -> set[str]:
    """The incidents a page links to, by id, from its content (not the navigation)."""
    html = page.read_text(encoding="utf-8")
    start = html.find('class="pmkb-page')
    assert start != -1, f"{page.relative_to(site)} has no generated content"
    found = set()
    for link in Page(html[start:]).links:
        m = re.match(r"(?:\.\./)*incidents/([^/#]+)\.html(?:#|$)", link.split("?")[0])
        if m and m.group(1) != "index":
            found.add(m.group(1))
    return found


def search_files(site: Path) -> list[Path]:
    """The engine's search index: Zensical's search.json, MkDocs' search/ (whole or in shards)."""
    files = [site / "search.json"] if (site / "search.json").is_file() else []
    if (site / "search").is_dir():
        files += sorted(p for p in (site / "search").rglob("*") if p.suffix in (".json", ".js"))
    return files


def search_locations(site: Path) -> set[str]:
    """The pages the engine's search index points at."""
    found: set[str] = set()
    for index in search_files(site):
        found.update(re.findall(r'"([^"#]+?\.html)(?:#[^"]*)?"', index.read_text(encoding="utf-8")))
    return found


# --- the checks, on every engine and both KBs -------------------------------------------------------

@pytest.mark.parametrize("kb", ["sample", "init"])
@pytest.mark.parametrize("engine", ENGINES)
def test_every_visible_postmortem_has_its_page_and_is_found_by_search(kbs, built, kb: str, engine: str) -> None:
    site = built(kb, engine)
    _, shown = visible(kbs[kb])
    assert shown
    located = search_locations(site)
    for pm in shown:
        page = site / "incidents" / f"{pm.id}.html"
        assert page.is_file(), f"no page for {pm.id}"
        assert f"incidents/{pm.id}.html" in located, f"the search index of {engine} does not have {pm.id}"
    assert (site / "catalog.json").is_file()
    catalog = json.loads((site / "catalog.json").read_text(encoding="utf-8"))
    assert len(catalog["postmortems"] if isinstance(catalog, dict) else catalog) == len(shown)
    for pm in shown:
        assert (site / "incidents" / f"{pm.id}.json").is_file()


@pytest.mark.parametrize("kb", ["sample", "init"])
@pytest.mark.parametrize("engine", ENGINES)
def test_cross_link_pages_list_exactly_their_incidents(kbs, built, kb: str, engine: str) -> None:
    site = built(kb, engine)
    loaded, shown = visible(kbs[kb])
    links = CrossLinks(shown, loaded.taxonomy)
    checked = 0
    for facet in ("root_causes", "components"):
        for term in links.terms(facet):
            page = site / FACET_FOLDERS[facet] / f"{term.slug}.html"
            assert page.is_file(), page
            assert incident_links(site, page) == {pm.id for pm in term.postmortems}, page
            checked += 1
    assert checked


@pytest.mark.parametrize("kb", ["sample", "init"])
@pytest.mark.parametrize("engine", ENGINES)
def test_hostile_values_are_text_and_nothing_is_loaded_from_elsewhere(built, kb: str, engine: str) -> None:
    site = built(kb, engine)
    shown = False
    for path in site.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        page = Page(text)
        where = path.relative_to(site).as_posix()
        assert page.handlers == [], (where, page.handlers)
        assert not [s for s in page.scripts if "alert(" in s], where
        assert not [u for u in page.links if re.sub(r"[\x00-\x20]", "", u).lower().startswith("javascript:")], where
        external = [u for u in page.loads if re.match(r"(?i)^\s*(https?:)?//", u)]
        assert external == [], (where, external)
        for raw in ("<script>alert", "<img src=x onerror", "<svg onload", "<iframe src=javascript"):
            assert raw not in text, (where, raw)
        shown = shown or "&lt;script&gt;alert(1)&lt;/script&gt; outage" in text
    assert shown, "the hostile title is not shown as text on any page"
    # The search UI shows the index's text as HTML: it holds the hostile values escaped too.
    # (The shards of pmkb's own search hold plain text, which its worker escapes when it shows it.)
    for index in (p for p in search_files(site) if p.name in ("search.json", "search_index.json")):
        text = index.read_text(encoding="utf-8").replace("\\u003c", "<").replace("\\u003C", "<")
        for raw in ("<script>alert", "<img src=x onerror", "<svg onload", "<b onmouseover"):
            assert raw not in text, (index.name, raw)


@pytest.mark.parametrize("kb", ["sample", "init"])
def test_the_engines_agree_on_the_urls(built, kb: str) -> None:
    sites = {name: built(kb, name) for name in ("mkdocs", "properdocs", "zensical")
             if importlib.util.find_spec(name) is not None}
    if len(sites) < 2:
        pytest.skip("fewer than two engines installed")

    def urls(site: Path) -> set[str]:
        # The generated part of the site and the docs' pages; each engine's own assets and indexes aside.
        return {p.relative_to(site).as_posix() for p in site.rglob("*")
                if p.is_file() and not p.relative_to(site).as_posix().startswith(("assets/", "search"))
                and p.suffix in (".html", ".json", ".xml") and p.name != "sitemap.xml"}

    reference_name, reference = next(iter(sites.items()))
    for name, site in sites.items():
        assert urls(site) == urls(reference), f"{name} and {reference_name} differ"


class Region(HTMLParser):
    """The text of one region of a page (the element ``tag`` with class ``cls``, or ``tag`` alone),
    permalink anchors left out; its headings too."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "wbr", "source", "col", "area", "track", "embed"}

    def __init__(self, text: str, tag: str, cls: str | None = None):
        super().__init__(convert_charrefs=True)
        self.tag, self.cls = tag, cls
        self.depth = 0
        self.skip = 0
        self.heading = 0
        self.parts: list[str] = []
        self.headings: list[str] = []
        self.found = False
        self.feed(text)
        self.text = re.sub(r"\s+", " ", "".join(self.parts)).strip()

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if not self.depth:
            if tag == self.tag and (self.cls is None or self.cls in classes):
                self.depth, self.found = 1, True
            return
        if tag in self.VOID:
            return
        self.depth += 1
        if "headerlink" in classes and not self.skip:
            self.skip = self.depth
        if re.fullmatch(r"h[1-6]", tag) and not self.heading:
            self.heading = self.depth
            self.headings.append("")

    def handle_endtag(self, tag):
        if not self.depth or tag in self.VOID:
            return
        if self.skip == self.depth:
            self.skip = 0
        if self.heading == self.depth:
            self.heading = 0
            self.headings[-1] = re.sub(r"\s+", " ", self.headings[-1]).strip()
        self.depth -= 1

    def handle_data(self, data):
        if self.depth and not self.skip:
            self.parts.append(data)
            if self.heading:
                self.headings[-1] += data


class Head(HTMLParser):
    """What a page's head tells feed readers and link previews: its feeds (title, address from the
    site's root) and its description and Open Graph tags."""

    def __init__(self, page: Path, site: Path):
        super().__init__(convert_charrefs=True)
        self.folder = posixpath.dirname(page.relative_to(site).as_posix())
        self.tags: list[tuple[str, ...]] = []
        self.feed(page.read_text(encoding="utf-8").split("</head>", 1)[0])

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "link" and "alternate" in a.get("rel", "").split():
            self.tags.append(("feed", a.get("title", ""), posixpath.normpath(posixpath.join(self.folder, a["href"]))))
        elif tag == "meta" and (a.get("property", "").startswith("og:") or a.get("name") == "description"):
            self.tags.append(("meta", a.get("property") or a.get("name", ""), a.get("content", "")))


def window_title(page: Path) -> str:
    found = re.search(r"<title>(.*?)</title>", page.read_text(encoding="utf-8"), re.S)
    return html.unescape(found.group(1).strip()) if found else ""


def generated_pages(site: Path) -> list[str]:
    """The pages pmkb generated (404.html is the theme's: pmkb's own with the plugin, Zensical's there)."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                  if not p.relative_to(site).as_posix().startswith(("assets/", "search")) and p.name != "404.html"
                  and 'class="pmkb-page' in p.read_text(encoding="utf-8"))


def installed_sites(built, kb: str) -> dict[str, Path]:
    sites = {name: built(kb, name) for name in ("mkdocs", "properdocs", "zensical")
             if importlib.util.find_spec(name) is not None}
    if len(sites) < 2:
        pytest.skip("fewer than two engines installed")
    return sites


@pytest.mark.parametrize("kb", ["sample", "init"])
def test_the_engines_agree_on_the_content(kbs, built, kb: str) -> None:
    """Every generated page says the same on every engine (its text, permalinks aside) under the
    same window title, with the same feeds and link-preview tags in its head; the data files
    (catalog, per-incident JSON, feeds) are the same bytes; the site's own pages have the same
    headings, titles and head tags."""
    sites = installed_sites(built, kb)
    reference_name, reference = next(iter(sites.items()))
    pages = generated_pages(reference)
    _, shown = visible(kbs[kb])
    assert {f"incidents/{pm.id}.html" for pm in shown} <= set(pages)
    data = sorted(p.relative_to(reference).as_posix() for p in reference.rglob("*")
                  if p.suffix in (".json", ".xml") and p.name not in ("sitemap.xml", "search.json")
                  and not p.relative_to(reference).as_posix().startswith(("assets/", "search/")))
    assert "catalog.json" in data and any(p.endswith(".xml") for p in data)
    own = sorted(p.relative_to(reference).as_posix() for p in reference.rglob("*.html")
                 if p.relative_to(reference).as_posix() not in pages and p.name != "404.html"
                 and not p.relative_to(reference).as_posix().startswith(("assets/", "search/")))
    for name, site in sites.items():
        assert generated_pages(site) == pages, f"{name} and {reference_name} generate different pages"
        for rel in pages:
            ours = Region((site / rel).read_text(encoding="utf-8"), "div", "pmkb-page")
            theirs = Region((reference / rel).read_text(encoding="utf-8"), "div", "pmkb-page")
            assert ours.text == theirs.text, f"{rel}: {name} and {reference_name} differ"
            assert ours.headings == theirs.headings, rel
        for rel in [*pages, *own]:
            assert window_title(site / rel) == window_title(reference / rel), f"{rel}: {name} and {reference_name}"
            assert sorted(Head(site / rel, site).tags) == sorted(Head(reference / rel, reference).tags), \
                f"{rel}: the heads of {name} and {reference_name} differ"
        for rel in data:
            assert (site / rel).read_bytes() == (reference / rel).read_bytes(), f"{rel}: {name} and {reference_name}"
        for rel in own:
            ours = Region((site / rel).read_text(encoding="utf-8"), "article")
            theirs = Region((reference / rel).read_text(encoding="utf-8"), "article")
            assert ours.found and theirs.found, rel
            assert ours.headings == theirs.headings, f"{rel}: {name} and {reference_name}"


def search_entries(site: Path) -> dict[str, str]:
    """The pages the engine's search answers with, by address, and the title each is shown with:
    Zensical's ``search.json`` (one entry per page, then its sections), or pmkb's shards (one
    document per page) on the engines that run the plugin. Zensical's titles are HTML (its search
    box shows them as such), the shards' plain text (the worker escapes them): compared as text."""
    entries: dict[str, str] = {}
    if (site / "search.json").is_file():
        for item in json.loads((site / "search.json").read_text(encoding="utf-8"))["items"]:
            if "#" not in item["location"]:
                entries[item["location"]] = html.unescape(re.sub(r"<[^>]*>", "", item["title"]))
        return entries
    for chunk in sorted((site / "search" / "shards").glob("d-*.js")):
        text = chunk.read_text(encoding="utf-8")
        for doc in json.loads(text[text.index(",") + 1:text.rindex(")")]):
            url, title = (doc[0], doc[1]) if isinstance(doc, list) else (doc["url"], doc["title"])
            entries[url.split("#")[0]] = title
    return entries


@pytest.mark.parametrize("kb", ["sample", "init"])
def test_the_engines_agree_on_the_search_entries(kbs, built, kb: str) -> None:
    """Search answers with the same pages, under the same titles, whichever engine built the site:
    every incident and the site's own pages; not the listing, term, tag and year pages."""
    sites = installed_sites(built, kb)
    _, shown = visible(kbs[kb])
    entries = {name: search_entries(site) for name, site in sites.items()}
    reference_name, reference = next(iter(entries.items()))
    incidents = {f"incidents/{pm.id}.html": pm.title for pm in shown}
    assert {url: reference.get(url) for url in incidents} == incidents
    assert not [url for url in reference if url.split("/")[0] in set(FACET_FOLDERS.values()) | {"tags", "years"}]
    for name, found in entries.items():
        assert found == reference, f"the search of {name} and of {reference_name} differ"


# --- what each engine does with failures, drafts and the published site ----------------------------

BROKEN = (FIXTURES / "impossible-date.md")


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_strict_failure_names_the_line_and_keeps_the_published_site(kbs, tmp_path: Path, engine: str) -> None:
    root = tmp_path / "kb"
    shutil.copytree(kbs["init"], root)
    assert pmkb(root, "build", "--engine", engine).returncode == 0
    before = snapshot(root / "site")
    shutil.copy(BROKEN, root / "postmortems" / "impossible-date.md")
    result = pmkb(root, "build", "--engine", engine)
    assert result.returncode == 1
    assert "postmortems/impossible-date.md:3: invalid-date: " in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(root / "site") == before
    assert not [p for p in root.iterdir() if p.name.startswith(".pmkb-building-")]


@pytest.mark.parametrize("engine", ENGINES)
def test_drafts_only_in_a_preview(kbs, tmp_path: Path, engine: str) -> None:
    root = tmp_path / "kb"
    shutil.copytree(kbs["init"], root)
    draft = write_postmortem(root, "2020-01-01-draft-one", title="Draft one", date="2020-01-01", components="website")
    draft.write_text(draft.read_text().replace("severity: SEV2", "severity: SEV2\nstatus: draft"))
    assert pmkb(root, "build", "--engine", engine, "--site-dir", "public").returncode == 0
    assert not (root / "public" / "incidents" / "2020-01-01-draft-one.html").exists()
    result = pmkb(root, "build", "--engine", engine, "--drafts", "--site-dir", "preview")
    assert result.returncode == 0, result.stderr
    assert (root / "preview" / "incidents" / "2020-01-01-draft-one.html").is_file()


@pytest.mark.skipif(importlib.util.find_spec("zensical") is None, reason="Zensical is not installed")
def test_zensical_run_directly_tells_the_reader_what_to_run(kbs, tmp_path: Path) -> None:
    """`zensical build` ignores the plugin: the home page's notice says so; pmkb's build removes it."""
    root = tmp_path / "kb"
    shutil.copytree(kbs["sample"], root)
    (root / "docs" / "index.md").write_text(HOME_PAGE, encoding="utf-8")
    direct = subprocess.run([sys.executable, "-m", "zensical", "build"], cwd=root, env=ENV, capture_output=True,
                            text=True, timeout=300)
    assert direct.returncode == 0, direct.stderr
    home = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert "built without its postmortems" in home and "pmkb build --engine zensical" in home
    shutil.rmtree(root / "site")
    assert pmkb(root, "build", "--engine", "zensical").returncode == 0
    home = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert "built without its postmortems" not in home
    assert "incidents/" in home  # the generated home page took the notice's place


@pytest.mark.skipif(importlib.util.find_spec("zensical") is None, reason="Zensical is not installed")
def test_directory_urls_and_an_automatic_navigation_match_mkdocs(kbs, tmp_path: Path) -> None:
    """With `use_directory_urls: true` and no `nav:` (so the engine makes the navigation), Zensical
    gives the same pages at the same URLs as MkDocs, and only listings in the navigation."""
    root = tmp_path / "kb"
    shutil.copytree(kbs["init"], root)
    config = (root / "mkdocs.yml").read_text(encoding="utf-8")
    config = config[:config.index("\nnav:")] + "\n"
    (root / "mkdocs.yml").write_text(config.replace("use_directory_urls: false", "use_directory_urls: true"))
    pages = {}
    for engine in ("mkdocs", "zensical"):
        result = pmkb(root, "build", "--engine", engine, "--site-dir", engine)
        assert result.returncode == 0, result.stderr
        site = root / engine
        pages[engine] = {p.relative_to(site).as_posix() for p in site.rglob("index.html")}
        home = (site / "index.html").read_text(encoding="utf-8")
        nav = re.findall(r'href="([^"]+)"[^>]*class="md-nav__link', home)
        assert nav and not [h for h in nav if re.search(r"incidents/[^/]+-[^/]+/", h)], (engine, nav)
    assert pages["mkdocs"] == pages["zensical"]
    assert any(p.startswith("incidents/") and p != "incidents/index.html" for p in pages["zensical"])


@pytest.mark.parametrize("engine", ENGINES)
def test_a_broken_link_in_the_docs_fails_strictly_with_its_file(kbs, tmp_path: Path, engine: str) -> None:
    root = tmp_path / "kb"
    shutil.copytree(kbs["init"], root)
    assert pmkb(root, "build", "--engine", engine).returncode == 0
    before = snapshot(root / "site")
    with open(root / "docs" / "about.md", "a", encoding="utf-8") as fh:
        fh.write("\nSee [the old page](gone.md).\n")
    result = pmkb(root, "build", "--engine", engine)
    assert result.returncode == 1, result.stderr
    assert "gone.md" in result.stderr or re.search(r"docs/about\.md:\d+: ", result.stderr), result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(root / "site") == before
