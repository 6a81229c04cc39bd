"""The published site as a reader sees it, in headless Chromium (run with ``-m browser``).

The sample KB: the home page, an incident, each cross-link index and one of its term pages,
the action item tracker and its filters, the insights page and search all render with no
console error, no uncaught exception, no failed request and nothing fetched from outside
localhost; every link on those pages leads somewhere. The hostile KB: every page shows the
markup writers typed as text, and none of it runs. The insights charts themselves are
tests/test_charts_browser.py's; here the page is only loaded.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from functools import cache
from pathlib import Path

import pytest

from kit.browser import HOSTILE, HOSTILE_COMPONENT_TITLE, HOSTILE_TITLE, ROOT, Reader, Site
from postmortem_kb.loader import KBConfig, load_kb

pytestmark = pytest.mark.browser

# The cross-link indexes a reader reaches from the navigation, by folder.
INDEXES = ["root-causes", "components", "actions", "severity", "years", "tags"]


@pytest.fixture(scope="module")
def sample_kb():
    """The sample KB; ``.postmortems`` are what the site publishes (no drafts), newest first."""
    kb = load_kb(KBConfig(root=ROOT))
    if not kb.visible(False):
        pytest.skip("the sample KB has no published postmortems")
    kb.postmortems = list(kb.visible(False))
    return kb


@cache
def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def assert_links_resolve(reader: Reader, site: Site) -> None:
    """Every link of the page into the site leads to a page or file that is there."""
    hrefs = reader.page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    local = {h.split("#")[0] for h in hrefs if h.startswith(site.url)}
    broken = sorted(u for u in local if _status(u) != 200)
    assert broken == [], f"{reader.page.url} links to missing pages: {broken}"


def follow(page, link) -> None:
    """Click a link and wait until the page it leads to has loaded."""
    with page.expect_navigation(wait_until="networkidle"):
        link.click()


def article_text(reader: Reader) -> str:
    return reader.page.locator("article").inner_text()


# --- the sample KB ----------------------------------------------------------------------------

def test_home_page(reader: Reader, sample_site: Site, sample_kb):
    page = reader.visit(sample_site.page("index.html"))
    assert page.locator("article h1").first.inner_text() == "Postmortems"
    newest = sample_kb.postmortems[0]
    recent = page.locator(".pmkb-incidents table").first
    assert recent.get_by_role("link", name=newest.title, exact=True).count() == 1
    # The entry points lead to every cross-link index.
    links = page.eval_on_selector_all("article .pmkb-entry-points a", "els => els.map(e => e.href)")
    for folder in INDEXES:
        assert any(f"/{folder}/" in href for href in links), (folder, links)
    assert_links_resolve(reader, sample_site)
    reader.screenshot("home")
    reader.assert_clean()


def test_incident_page(reader: Reader, sample_site: Site, sample_kb):
    pm = next((p for p in sample_kb.postmortems if p.timeline and p.action_items), sample_kb.postmortems[0])
    page = reader.visit(sample_site.page(f"incidents/{pm.id}.html"))
    assert page.locator("h1.pmkb-title").inner_text() == pm.title
    assert page.locator(".pmkb-timeline tbody tr").count() == len(pm.timeline)
    assert page.locator("article .pmkb-actions").first.locator("tbody tr").count() == len(pm.action_items)
    # It links to the term page of each of its root causes and components.
    hrefs = page.eval_on_selector_all("article a[href]", "els => els.map(e => e.getAttribute('href'))")
    for slug in pm.root_causes:
        assert any(h.endswith(f"root-causes/{slug}.html") for h in hrefs), slug
    for slug in pm.components:
        assert any(h.endswith(f"components/{slug}.html") for h in hrefs), slug
    assert_links_resolve(reader, sample_site)
    reader.screenshot("incident")
    reader.assert_clean()


def _incident_links(reader: Reader) -> set[str]:
    hrefs = reader.page.eval_on_selector_all("article a[href]", "els => els.map(e => e.href)")
    return {h.split("#")[0] for h in hrefs if re.search(r"/incidents/[^/]+\.html$", h.split("#")[0])}


@pytest.mark.parametrize("folder", INDEXES)
def test_cross_link_index_and_a_term_page(folder: str, reader: Reader, sample_site: Site):
    page = reader.visit(sample_site.page(f"{folder}/index.html"))
    assert page.locator("article h1").count() == 1
    rows = page.locator("article .pmkb-terms tbody tr")
    assert rows.count() >= 1, f"{folder}/index.html lists nothing"
    assert_links_resolve(reader, sample_site)
    reader.screenshot(f"index-{folder}")
    # The reader follows the first term, as listed with its count of incidents.
    first = rows.first
    count = int(first.locator(".pmkb-count").first.inner_text())
    name = first.locator("a").first.inner_text()
    follow(page, first.locator("a").first)
    assert re.search(rf"/{folder}/[^/]+\.html$", page.url), page.url
    assert name in page.locator("article h1").inner_text()
    incidents = _incident_links(reader)
    assert len(incidents) == count, f"{page.url}: {count} incidents announced, {len(incidents)} linked"
    assert_links_resolve(reader, sample_site)
    reader.screenshot(f"term-{folder}")
    # And on to an incident.
    follow(page, page.locator("article a[href*='incidents/']").first)
    assert page.locator("h1.pmkb-title").count() == 1, page.url
    reader.assert_clean()


def test_action_item_tracker_and_its_filters(reader: Reader, sample_site: Site, sample_kb):
    page = reader.visit(sample_site.page("action-items/index.html"))
    rows = page.locator(".pmkb-tracker tbody tr")
    total = sum(len(pm.action_items) for pm in sample_kb.postmortems)
    assert rows.count() == total
    form = page.locator("form#pmkb-filter")
    assert form.is_visible(), "the filter form stays hidden: its script did not run"
    reader.screenshot("action-items")

    def visible_rows():
        return [r for r in rows.all() if r.is_visible()]

    owners = form.locator("select[name=owner] option").all()
    assert len(owners) >= 2
    # The owner with the most items in the model.
    counts: dict[str, int] = {}
    for pm in sample_kb.postmortems:
        for item in pm.action_items:
            if item.owner:
                counts[item.owner] = counts.get(item.owner, 0) + 1
    label = max(counts, key=lambda o: (counts[o], o))
    n = counts[label]
    owner = form.locator("select[name=owner] option", has_text=label).first.get_attribute("value")
    form.locator("select[name=owner]").select_option(owner)
    shown = visible_rows()
    assert len(shown) == n, label
    assert all(r.get_attribute("data-owner") == owner for r in shown)
    reader.screenshot("action-items-by-owner")

    form.locator("select[name=owner]").select_option("")
    categories = [o.get_attribute("value") for o in form.locator("select[name=category] option").all()[1:]]
    assert categories
    category = categories[0]
    form.locator("select[name=category]").select_option(category)
    shown = visible_rows()
    expected = sum(1 for pm in sample_kb.postmortems for item in pm.action_items if item.action == category)
    assert len(shown) == expected >= 1
    assert all(r.get_attribute("data-category") == category for r in shown)
    # Tables left with no row fold away rather than show empty headers.
    for table in page.locator(".pmkb-tracker").all():
        if table.is_visible():
            assert any(r.is_visible() for r in table.locator("tbody tr").all())

    form.locator("select[name=category]").select_option("")
    assert len(visible_rows()) == total
    assert_links_resolve(reader, sample_site)
    reader.assert_clean()


def test_insights_page_loads(reader: Reader, sample_site: Site):
    page = reader.visit(sample_site.page("insights/index.html"))
    assert page.locator("svg.pmkb-chart").count() >= 1
    assert_links_resolve(reader, sample_site)
    reader.screenshot("insights")
    reader.assert_clean()


def _distinctive_word(kb) -> tuple[str, object]:
    """A word of one incident's title that no other title has, for a search only it matches."""
    counts: dict[str, int] = {}
    words = {}
    for pm in kb.postmortems:
        for word in set(re.findall(r"[a-z]{6,}", pm.title.lower())):
            counts[word] = counts.get(word, 0) + 1
            words[word] = pm
    word = min((w for w, n in counts.items() if n == 1), key=lambda w: (words[w].date, w), default=None)
    if word is None:
        pytest.skip("no incident title has a word of its own")
    return word, words[word]


def test_search_finds_an_incident(reader: Reader, sample_site: Site, sample_kb):
    word, pm = _distinctive_word(sample_kb)
    page = reader.visit(sample_site.page("index.html"))
    box = open_search(page)
    box.press_sequentially(word, delay=30)
    result = page.locator(f".md-search-result__item a[href*='incidents/{pm.id}.html']").first
    result.wait_for(state="visible", timeout=15_000)
    assert word in result.inner_text().lower()
    reader.screenshot("search")
    follow(page, result)
    assert page.locator("h1.pmkb-title").inner_text() == pm.title
    reader.assert_clean()


def open_search(page):
    """The search box, as a reader opens it: the magnifier on narrow screens, the box itself on wide ones."""
    toggle = page.locator("label.md-header__button[for='__search']")
    if toggle.is_visible():
        toggle.click()
    box = page.locator("input.md-search__input")
    box.click()
    return box


def _contrast(page, element) -> float:
    """WCAG contrast ratio of an element's text against its own background colour."""
    return element.evaluate("""e => {
        const rgb = s => s.match(/[\\d.]+/g).slice(0, 3).map(Number);
        const lum = c => { const v = c.map(x => {
                               x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; });
                           return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
        const s = getComputedStyle(e);
        let bg = s.backgroundColor, n = e;
        while (bg === 'rgba(0, 0, 0, 0)' && n.parentElement) {
            n = n.parentElement; bg = getComputedStyle(n).backgroundColor; }
        if (bg === 'rgba(0, 0, 0, 0)') bg = 'rgb(255, 255, 255)';
        const [a, b] = [lum(rgb(s.color)), lum(rgb(bg))];
        return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    }""")


@pytest.mark.parametrize("scheme", ["default", "slate"])
def test_badges_are_readable_in_both_schemes(scheme: str, reader: Reader, sample_site: Site, sample_kb):
    pm = next((p for p in sample_kb.postmortems if p.timeline and p.action_items), sample_kb.postmortems[0])
    page = reader.visit(sample_site.page(f"incidents/{pm.id}.html"))
    # The theme fades colours over a few hundred ms: without transitions, the colours read are the
    # scheme's own, not a mix caught half way on a busy machine.
    page.add_style_tag(content="*, *::before, *::after { transition: none !important; }")
    page.evaluate(f"document.body.setAttribute('data-md-color-scheme', '{scheme}')")
    badges = page.locator("article .pmkb-badge").all()
    assert badges
    # 4.5:1 is WCAG AA for normal-size text; badges are small.
    poor = [(b.inner_text(), round(_contrast(page, b), 2)) for b in badges if _contrast(page, b) < 4.5]
    assert poor == [], f"badges hard to read in the {scheme} scheme: {poor}"
    reader.screenshot(f"incident-{scheme}")
    reader.assert_clean()


# --- the hostile KB ---------------------------------------------------------------------------

DOM_CHECKS = """() => {
    const handlers = [], links = [], scripts = [];
    for (const e of document.querySelectorAll('*')) {
        for (const a of e.attributes) {
            if (a.name.startsWith('on')) handlers.push(`<${e.localName} ${a.name}="${a.value}">`);
            if (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(a.name)
                && /^(javascript:|vbscript:|data:text\\/html)/i.test(a.value.replace(/[\\x00-\\x20]/g, '')))
                links.push(`<${e.localName} ${a.name}="${a.value}">`);
        }
    }
    for (const s of document.scripts) scripts.push(s.src || s.textContent);
    return {handlers, links, scripts, iframes: document.querySelectorAll('iframe, object, embed').length,
            pwned: window.pmkbPwned || null};
}"""


def _hostile_pages(site: Site) -> list[str]:
    return sorted(p.relative_to(site.folder).as_posix() for p in site.folder.rglob("*.html"))


def test_hostile_values_never_run_on_any_page(reader: Reader, hostile_site: Site):
    pages = _hostile_pages(hostile_site)
    assert len(pages) > 10
    findings = {}
    for rel in pages:
        page = reader.visit(hostile_site.page(rel))
        dom = page.evaluate(DOM_CHECKS)
        content_scripts = [s for s in dom["scripts"] if "pmkbPwned" in s or "alert(" in s]
        bad = {k: v for k, v in (("handlers", dom["handlers"]), ("links", dom["links"]),
                                 ("scripts", content_scripts), ("pwned", dom["pwned"]),
                                 ("iframes", dom["iframes"])) if v}
        if bad:
            findings[rel] = bad
    assert findings == {}
    reader.assert_clean()


def test_hostile_values_show_as_text(reader: Reader, hostile_site: Site):
    page = reader.visit(hostile_site.page("incidents/2024-03-14-hostile-outage.html"))
    title = page.locator("h1.pmkb-title").inner_text()
    assert title == HOSTILE_TITLE  # the literal "<script>", and "{{ 7*7 }}" not evaluated
    assert "<script>" in title
    text = article_text(reader)
    for value in (HOSTILE_COMPONENT_TITLE, HOSTILE["authors"][0], HOSTILE["action_items"][0]["title"],
                  HOSTILE["action_items"][0]["owner"], HOSTILE["trigger"], HOSTILE["detection"],
                  "Add an alert \"quoted\" & <ampersand>"):
        assert value in text, value
    # The ticket link with `&` and `<` in its query stays one well-formed link.
    ticket = page.locator("article a[href^='https://tracker.example.org/']")
    assert ticket.get_attribute("href") == HOSTILE["action_items"][1]["ticket"]
    # The body keeps its prose; its markup that could run is gone.
    assert "Checkout was down." in text
    body_links = page.eval_on_selector_all("article a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert not [h for h in body_links if re.sub(r"[\x00-\x20]", "", h).lower().startswith("javascript:")]
    # The same number of script elements as on a harmless incident page: none came from content.
    scripts = page.locator("script").count()
    reader.screenshot("hostile-incident")
    page = reader.visit(hostile_site.page("incidents/2024-02-01-quiet-night.html"))
    assert page.locator("script").count() == scripts
    # Where the hostile incident is listed, its title is text too.
    related = page.locator("article .pmkb-related")
    if related.count():
        assert HOSTILE_TITLE in related.inner_text()
    for rel, needle in (("index.html", HOSTILE_TITLE), ("components/edge-proxy.html", HOSTILE_COMPONENT_TITLE),
                        ("action-items/index.html", HOSTILE["action_items"][0]["owner"]),
                        ("tags/index.html", HOSTILE["tags"][0])):
        reader.visit(hostile_site.page(rel))
        assert needle in article_text(reader), (rel, needle)
        reader.screenshot("hostile-" + Path(rel).with_suffix("").as_posix().replace("/", "-"))
    reader.assert_clean()


def test_hostile_title_in_search_results_is_text(reader: Reader, hostile_site: Site):
    page = reader.visit(hostile_site.page("index.html"))
    box = open_search(page)
    box.press_sequentially("Checkout", delay=30)
    result = page.locator(".md-search-result__item a[href*='hostile-outage']").first
    result.wait_for(state="visible", timeout=15_000)
    assert "<script>" in result.inner_text()
    page.wait_for_timeout(300)
    assert page.evaluate("window.pmkbPwned || null") is None
    reader.screenshot("hostile-search")
    reader.assert_clean()
