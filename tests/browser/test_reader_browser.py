"""What a reader sees, at 1280x900 and 390x844, light and dark, on the sample KB (its own
mkdocs.yml) and on a KB made by `pmkb init` (its own mkdocs.yml): no raw Markdown, an incident's
first screen that answers "how bad, when, why, what was promised", related incidents and
recurrences that are true, action item tables that fit, a tracker whose counts and filters tell
the truth, and dark mode that follows the OS. Screenshots of each page type go to the artifacts.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from kit.browser import ENV, ROOT, Site, mkdocs_build, require, serve
from postmortem_kb.loader import KBConfig, load_kb

pytestmark = pytest.mark.browser

SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
SCHEMES = ("light", "dark")

# A second and third incident for the `pmkb init` KB: the same root cause on the same component
# as the example (a recurrence), inline Markdown in a timeline entry, an item with no owner.
REPEAT = """\
---
title: The API certificate expired again
date: 2026-02-03
severity: SEV2
components: [api]
root_causes: [expired-certificate]
impact: API calls failed TLS for `12 minutes`.
timezone: "+00:00"
action_items:
  - title: Move the API certificate to the `acme` issuer
    action: automate
    status: open
    due: 2026-03-01
---

## Summary

The renewed certificate was installed by hand and expired again.

## Timeline

- 09:00 [start] The certificate on `api-lb` expired.
- 09:04 [detected] The **synthetic** check paged.
- 09:12 [resolved] A new certificate was installed.

## Root cause

The renewal was never automated.
"""
OTHER = """\
---
title: A database failover paused writes
date: 2026-04-10
severity: SEV3
components: [database]
root_causes: [capacity]
impact: Writes paused for 3 minutes.
timezone: "+00:00"
---

## Summary

The primary ran out of connections and failed over.

## Root cause

Connection pool sizes were never revisited.
"""


@pytest.fixture(scope="session")
def init_site(tmp_path_factory) -> Iterator[Site]:
    """A KB made by `pmkb init`, with two more postmortems, built with the mkdocs.yml users get."""
    require()
    root = tmp_path_factory.mktemp("init") / "kb"
    proc = subprocess.run([sys.executable, "-m", "postmortem_kb", "init", str(root)], capture_output=True,
                          text=True, env=ENV, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    taxonomy = (root / "taxonomy.yml").read_text(encoding="utf-8")
    for slug in ("api", "database", "capacity", "expired-certificate"):
        assert f"{slug}:" in taxonomy, f"the scaffold's taxonomy has no {slug}"
    (root / "postmortems" / "2026").mkdir(parents=True, exist_ok=True)
    (root / "postmortems" / "2026" / "2026-02-03-api-certificate-again.md").write_text(REPEAT, encoding="utf-8")
    (root / "postmortems" / "2026" / "2026-04-10-database-failover.md").write_text(OTHER, encoding="utf-8")
    site = mkdocs_build(root / "mkdocs.yml", root / "site")
    yield from serve(site)


@pytest.fixture(scope="module")
def sample_kb():
    kb = load_kb(KBConfig(root=ROOT))
    kb.postmortems = list(kb.visible(False))
    return kb


@pytest.fixture
def tab(browser, request, artifacts):
    """A fresh tab at the size and scheme the test asks for (``size``, ``scheme`` parameters)."""
    params = getattr(getattr(request.node, "callspec", None), "params", {})
    size, scheme = params.get("size", "desktop"), params.get("scheme", "light")
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.pmkb_errors = errors
    page.pmkb_shot = lambda name: page.screenshot(path=str(artifacts / f"{name}-{size}-{scheme}.png"),
                                                 full_page=True)
    try:
        yield page
    finally:
        context.close()


def open_page(page, site: Site, path: str):
    response = page.goto(site.page(path), wait_until="networkidle")
    assert response is not None and response.status == 200, path
    return page


def article(page) -> str:
    return page.locator("article").inner_text()


def assert_no_raw_markdown(page) -> None:
    """No Markdown syntax left as text: table rules, backticks or ** outside code."""
    text = page.evaluate("""() => {
        const a = document.querySelector("article").cloneNode(true);
        a.querySelectorAll("code, pre, script, style").forEach(e => e.remove());
        return a.innerText; }""")
    assert "| ---" not in text and "---: |" not in text, "a Markdown table shows as text"
    assert "`" not in text, [line for line in text.splitlines() if "`" in line][:3]
    assert not re.search(r"\*\*\w", text), "** shows as text"


def assert_fits(page) -> None:
    """Nothing makes the page scroll sideways (wide tables scroll inside their own box)."""
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"the page is {overflow}px wider than the screen"


def incident_with_everything(kb):
    return next(pm for pm in kb.postmortems if pm.action_items and pm.timeline and pm.root_causes)


PAGES = ["index.html", "incidents/index.html", "action-items/index.html", "insights/index.html",
         "root-causes/index.html", "tags/index.html", "404.html"]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_type_reads_clean_in_both_sizes_and_schemes(tab, sample_site, sample_kb, size, scheme):
    pm = incident_with_everything(sample_kb)
    term = f"root-causes/{pm.root_causes[0]}.html"
    for path in PAGES + [f"incidents/{pm.id}.html", term]:
        open_page(tab, sample_site, path)
        # Dark mode follows the reader's OS setting.
        assert tab.evaluate("() => document.body.getAttribute('data-md-color-scheme')") == \
            ("slate" if scheme == "dark" else "default"), path
        assert_no_raw_markdown(tab)
        assert_fits(tab)
        name = "incident" if path.startswith("incidents/") and path != "incidents/index.html" else \
            path.replace("/index.html", "").replace(".html", "").replace("/", "-")
        tab.pmkb_shot(name if path != term else "term")
    assert tab.pmkb_errors == []


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("size", list(SIZES))
def test_the_init_kb_follows_the_os_scheme_and_shows_no_raw_markdown(tab, init_site, size, scheme):
    for path in ("index.html", "incidents/2026-02-03-api-certificate-again.html", "insights/index.html",
                 "action-items/index.html", "404.html"):
        open_page(tab, init_site, path)
        assert tab.evaluate("() => document.body.getAttribute('data-md-color-scheme')") == \
            ("slate" if scheme == "dark" else "default")
        assert_no_raw_markdown(tab)
        assert_fits(tab)
        tab.pmkb_shot("init-" + path.replace("/index.html", "").replace(".html", "").replace("/", "-"))
    open_page(tab, init_site, "incidents/2026-02-03-api-certificate-again.html")
    text = article(tab)
    assert "acme" in text and "synthetic" in text  # the words of the inline Markdown stay
    assert tab.locator(".pmkb-timeline code", has_text="api-lb").count() == 1
    tab.pmkb_shot("init-incident")


def counted(pm, today) -> dict[str, int]:
    items = pm.action_items
    return {"overdue": sum(a.is_overdue(today) for a in items),
            "open": sum(a.is_open and not a.is_overdue(today) for a in items),
            "done": sum(a.status == "done" for a in items)}


@pytest.mark.parametrize("size", list(SIZES))
def test_the_first_screen_of_an_incident_answers_the_three_questions(tab, sample_site, sample_kb, size):
    today = sample_kb.config.as_of
    pm = max(sample_kb.postmortems, key=lambda p: (counted(p, today)["overdue"] > 0, len(p.action_items)))
    open_page(tab, sample_site, f"incidents/{pm.id}.html")
    assert tab.locator("h1").inner_text() == pm.title
    head = tab.locator(".pmkb-headline")
    assert head.is_visible() and pm.severity in head.inner_text() and pm.date.isoformat() in head.inner_text()
    # Severity and date said once above the write-up, not three times.
    top = tab.evaluate("""() => { const c = document.querySelector('.pmkb-card');
        const r = document.createRange(); r.setStartBefore(document.querySelector('article h1'));
        r.setEndAfter(c); return r.toString(); }""")
    assert top.count(pm.severity) == 1 and top.count(pm.date.isoformat()) == 1, top[:400]
    card = tab.locator(".pmkb-card").inner_text()
    for label in ("Time to detect", "Total duration"):
        if pm.metrics.time_to_detect is not None and pm.metrics.time_to_resolve is not None:
            assert label.upper() in card.upper(), label
    assert "IMPACT DURATION" not in card.upper()  # it was start-to-mitigated under another name
    n = counted(pm, today)
    promise = tab.locator(".pmkb-card__promise")
    text = promise.inner_text()
    assert text.startswith(f"{len(pm.action_items)} action item"), text
    assert f"{n['open']} open" in text and f"{n['done']} done" in text
    if n["overdue"]:
        assert f"{n['overdue']} overdue" in text
    if size == "desktop":
        box = promise.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 900, "the promise is below the first screen"
    # The link leads to the action items, listed there.
    promise.locator("a").click()
    tab.wait_for_function("() => location.hash === '#action-items'")
    assert tab.locator("#action-items").count() == 1
    assert tab.locator("#pmkb-action-items tbody tr").count() == len(pm.action_items)
    assert tab.pmkb_errors == []


@pytest.mark.parametrize("size", list(SIZES))
def test_action_item_tables_fit_and_become_cards_on_a_phone(tab, sample_site, sample_kb, size):
    pm = max(sample_kb.postmortems, key=lambda p: len(p.action_items))
    open_page(tab, sample_site, f"incidents/{pm.id}.html")
    table = tab.locator("#pmkb-action-items")
    fit = table.evaluate("el => [el.querySelector('table').scrollWidth, el.clientWidth]")
    assert fit[0] <= fit[1] + 1, f"the table is wider than its column: {fit}"
    # Words are not broken in the middle: cells wrap at spaces only.
    wraps = table.evaluate("el => [...el.querySelectorAll('td')].map(td => getComputedStyle(td).overflowWrap)")
    assert "anywhere" not in wraps
    status = table.locator("tbody tr").first.locator("td[data-label=Status]")
    box = status.bounding_box()
    assert box is not None and box["x"] + box["width"] <= SIZES[size][0], "the status is off-screen"
    display = table.locator("tbody tr").first.evaluate("el => getComputedStyle(el).display")
    assert display == ("block" if size == "phone" else "table-row")
    if size == "phone":
        # Each value keeps its label in the card.
        label = status.evaluate("el => getComputedStyle(el, '::before').content")
        assert "Status" in label
    tab.pmkb_shot("incident-actions")


def visible_rows(page) -> list:
    return [r for r in page.locator(".pmkb-tracker tbody tr").all() if r.is_visible()]


def tally(page) -> str:
    return page.locator(".pmkb-tally").inner_text()


@pytest.mark.parametrize("size", list(SIZES))
def test_the_tracker_counts_what_it_shows_and_keeps_its_filter_in_the_address(tab, sample_site, sample_kb, size):
    today = sample_kb.config.as_of
    items = [(pm, a) for pm in sample_kb.postmortems for a in pm.action_items]
    open_page(tab, sample_site, "action-items/index.html")
    assert len(visible_rows(tab)) == len(items)
    assert tally(tab).startswith(f"{len(items)} action items:")
    overdue = sum(a.is_overdue(today) for _, a in items)
    assert f"{overdue} overdue" in tally(tab)
    # Days late: today minus the due date, on every overdue row.
    for row in tab.locator("tr[data-status=overdue]").all():
        due = row.locator("td[data-label=Due]").inner_text().strip()
        assert row.locator("td[data-label='Days late']").inner_text().strip() == \
            str((today - dt.date.fromisoformat(due)).days)
    # Filter by the owner with the most items: every count follows.
    owners = {}
    for _, a in items:
        if a.owner:
            owners[a.owner] = owners.get(a.owner, 0) + 1
    owner = max(owners, key=lambda o: (owners[o], o))
    option = tab.locator("select[name=owner] option", has_text=owner).first.get_attribute("value")
    tab.select_option("select[name=owner]", option)
    mine = [a for _, a in items if a.owner == owner]
    assert len(visible_rows(tab)) == len(mine)
    assert tally(tab).startswith(f"{len(mine)} action item"), tally(tab)
    assert f"{sum(a.is_overdue(today) for a in mine)} overdue" in tally(tab)
    assert f"{sum(a.status == 'done' for a in mine)} done" in tally(tab)
    assert f"owner={option}" in tab.url
    # The filter survives a reload and can be shared.
    tab.reload(wait_until="networkidle")
    assert tab.locator("select[name=owner]").input_value() == option
    assert len(visible_rows(tab)) == len(mine)
    # A filter that matches nothing says so, and offers to clear the filters.
    severities = {pm.severity.lower() for pm, a in items if a.owner == owner}
    other = next((s for s in ("sev1", "sev2", "sev3", "sev4") if s not in severities
                  and tab.locator(f"select[name=severity] option[value={s}]").count()), None)
    if other:
        tab.select_option("select[name=severity]", other)
        assert visible_rows(tab) == []
        empty = tab.locator(".pmkb-empty")
        assert empty.is_visible() and "No action item matches" in empty.inner_text()
        empty.locator("button").click()
        assert len(visible_rows(tab)) == len(items) and "owner=" not in tab.url
    # Items with no owner or no due date are flagged, and can be listed alone.
    unplanned = [a for _, a in items if a.is_open and (not a.owner or not a.due)]
    tab.select_option("select[name=status]", "unplanned")
    assert len(visible_rows(tab)) == len(unplanned)
    for row in visible_rows(tab):
        assert "no owner" in row.inner_text() or "no due date" in row.inner_text()
    tab.pmkb_shot("action-items-filtered")
    assert tab.pmkb_errors == []


def test_related_incidents_earn_their_place_and_recurrence_is_true(tab, sample_site, sample_kb):
    by_title = {pm.title: pm for pm in sample_kb.postmortems}
    boxes_seen = 0
    for pm in sample_kb.postmortems:
        open_page(tab, sample_site, f"incidents/{pm.id}.html")
        for reason in tab.locator(".pmkb-related .pmkb-reason").all_inner_texts():
            parts = reason.split(" · ")
            assert all(len(p) < 120 for p in parts), reason
            assert any(p.startswith(("same root cause", "same component", "linked by", "links to", "similar words"))
                       for p in parts), reason
            assert "Add monitoring" not in reason  # a category most incidents share is no reason
        boxes = tab.locator(".pmkb-recurrence")
        assert boxes.count() <= 1
        if boxes.count():
            boxes_seen += 1
            titles = boxes.locator(".pmkb-recurrence__list > li > a").all_inner_texts()
            assert len(titles) == len(set(titles)), titles
            for title in titles:
                other = by_title[title]
                pair = any(rc in pm.root_causes and c in pm.components
                           for rc in other.root_causes for c in other.components)
                assert pair or other.id in pm.related or pm.id in other.related, (pm.id, other.id)
                assert other.date < pm.date or (other.date == pm.date)
    assert boxes_seen >= 1


@pytest.mark.parametrize("size", list(SIZES))
def test_wayfinding_on_an_incident_page(tab, sample_site, sample_kb, size):
    pm = sample_kb.postmortems[len(sample_kb.postmortems) // 2]
    open_page(tab, sample_site, f"incidents/{pm.id}.html")
    crumbs = tab.locator(".pmkb-crumbs")
    assert crumbs.is_visible() and crumbs.inner_text().startswith("Incidents")
    assert tab.locator(".pmkb-prevnext a[rel=prev]").count() == 1
    assert tab.locator(".pmkb-prevnext a[rel=next]").count() == 1
    if size == "desktop":
        active = tab.locator(".md-nav--primary a.md-nav__link--active")
        assert active.count() >= 1 and active.first.inner_text().strip() == "Incidents"
        assert not tab.locator(".pmkb-toc-phone").is_visible()
    else:
        toc = tab.locator(".pmkb-toc-phone")
        assert toc.is_visible()
        toc.locator("summary").click()
        links = toc.locator("a")
        assert links.count() >= 2
        target = links.first.get_attribute("href")
        links.first.click()
        tab.wait_for_function("h => location.hash === h", arg=target)
        assert tab.locator(target.replace("#", "#", 1)).count() == 1
    tab.locator(".pmkb-prevnext a[rel=next]").click()
    tab.wait_for_load_state("networkidle")
    assert "/incidents/" in tab.url


@pytest.mark.parametrize("scheme", SCHEMES)
def test_timeline_moments_are_labelled_and_visible_in_both_schemes(tab, sample_site, sample_kb, scheme):
    pm = next(p for p in sample_kb.postmortems if p.timeline and p.metrics.started_at and p.metrics.resolved_at)
    open_page(tab, sample_site, f"incidents/{pm.id}.html")
    legend = tab.locator(".pmkb-strip__legend").inner_text()
    assert "Started" in legend and "Resolved" in legend
    badges = tab.locator(".pmkb-moment-badge")
    assert badges.count() >= 2
    page_bg = tab.evaluate("() => getComputedStyle(document.body).backgroundColor")
    for badge in badges.all():
        assert badge.evaluate("el => getComputedStyle(el).backgroundColor") != page_bg


def test_feeds_are_discoverable_and_term_pages_roll_up(tab, sample_site, sample_kb):
    today = sample_kb.config.as_of
    for path in ("index.html", "incidents/index.html", "insights/index.html"):
        open_page(tab, sample_site, path)
        feeds = tab.eval_on_selector_all("head link[rel=alternate][type='application/atom+xml']",
                                         "els => els.map(e => e.href)")
        assert any(f.endswith("/feeds/postmortems.xml") for f in feeds), (path, feeds)
        assert tab.title().count("Postmortems") == 1, tab.title()
    cause = max((rc for pm in sample_kb.postmortems for rc in pm.root_causes),
                key=lambda rc: sum(rc in p.root_causes for p in sample_kb.postmortems))
    pms = [p for p in sample_kb.postmortems if cause in p.root_causes]
    open_page(tab, sample_site, f"root-causes/{cause}.html")
    feeds = tab.eval_on_selector_all("head link[rel=alternate][type='application/atom+xml']",
                                     "els => els.map(e => e.href)")
    assert any(f.endswith(f"/feeds/root-causes/{cause}.xml") for f in feeds), feeds
    subscribe = tab.locator("a.pmkb-subscribe")
    assert subscribe.is_visible() and subscribe.get_attribute("href").endswith(f"feeds/root-causes/{cause}.xml")
    # The feed is there, with real dates.
    feed = tab.request.get(subscribe.evaluate("a => a.href"))
    assert feed.ok and "1970-01-01" not in feed.text()
    rollup = tab.locator(".pmkb-rollup").inner_text()
    assert f"{len(pms)} incident" in rollup
    still_open = sum(a.is_open for p in pms for a in p.action_items)
    late = sum(a.is_overdue(today) for p in pms for a in p.action_items)
    if still_open:
        assert f"{still_open} action item" in rollup and (not late or f"{late} overdue" in rollup)
    # Rows do not repeat the page's own term.
    title = tab.locator("h1").inner_text()
    causes_cells = tab.locator(".pmkb-incidents tbody tr td:nth-child(4)").all_inner_texts()
    assert all(title not in cell for cell in causes_cells), causes_cells
    # Copy: plurals are words.
    open_page(tab, sample_site, "severity/index.html")
    assert "severitys" not in article(tab)
    open_page(tab, sample_site, "tags/index.html")
    listed = tab.locator(".pmkb-terms tbody tr").count()
    counts = [int(c) for c in tab.locator(".pmkb-terms tbody .pmkb-count").all_inner_texts()]
    assert listed == len(counts) and all(c >= 2 for c in counts)
    assert tab.pmkb_errors == []


def test_an_approximate_date_says_so_on_the_first_screen(tab, sample_site, sample_kb):
    approximate = [pm for pm in sample_kb.postmortems if pm.date_approximate]
    exact = next(pm for pm in sample_kb.postmortems if not pm.date_approximate)
    if not approximate:
        pytest.skip("no postmortem of the sample says its date is approximate")
    open_page(tab, sample_site, f"incidents/{approximate[0].id}.html")
    assert "approximate" in tab.locator(".pmkb-headline").inner_text()
    open_page(tab, sample_site, f"incidents/{exact.id}.html")
    assert "approximate" not in tab.locator(".pmkb-headline").inner_text()


@pytest.fixture(scope="session")
def axe_script(tmp_path_factory) -> str:
    """axe-core from the npm registry, fetched at test time into a temporary folder (never committed)."""
    import shutil
    import tarfile

    if shutil.which("npm") is None:
        pytest.skip("npm is not installed: no axe-core")
    folder = tmp_path_factory.mktemp("axe")
    proc = subprocess.run(["npm", "pack", "axe-core@4", "--silent"], cwd=folder, capture_output=True, text=True,
                          timeout=120)
    packs = list(folder.glob("axe-core-*.tgz"))
    if proc.returncode != 0 or not packs:
        pytest.skip(f"axe-core could not be fetched: {proc.stderr.strip()[:200]}")
    with tarfile.open(packs[0]) as tar:
        member = tar.getmember("package/axe.min.js")
        return tar.extractfile(member).read().decode("utf-8")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_no_serious_accessibility_violation_on_any_page_type(tab, sample_site, sample_kb, axe_script, scheme):
    pm = incident_with_everything(sample_kb)
    found = {}
    for path in PAGES + [f"incidents/{pm.id}.html", f"root-causes/{pm.root_causes[0]}.html"]:
        open_page(tab, sample_site, path)
        tab.add_script_tag(content=axe_script)
        result = tab.evaluate("""async () => {
            const r = await axe.run(document.querySelector("article"), {resultTypes: ["violations"]});
            return r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
                .map(v => v.id + ": " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | ")); }""")
        if result:
            found[path] = result
    assert found == {}


# --- charts ------------------------------------------------------------------------------------

CONTRAST_JS = """([fg, bg]) => {
    const rgb = s => s.match(/[\\d.]+/g).slice(0, 3).map(Number);
    const lum = c => { const v = c.map(x => {
                           x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; });
                       return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
    const [a, b] = [lum(rgb(fg)), lum(rgb(bg))];
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); }"""


def page_background(page) -> str:
    return page.evaluate("""() => { for (const e of [document.querySelector('.md-main'), document.body]) {
        const c = getComputedStyle(e).backgroundColor; if (c !== 'rgba(0, 0, 0, 0)') return c; }
        return 'rgb(255, 255, 255)'; }""")


def visible_charts(page):
    return [c for c in page.locator("svg.pmkb-chart").all() if c.is_visible()]


def resolved_by_severity(kb) -> dict[str, int]:
    out: dict[str, int] = {}
    for pm in kb.postmortems:
        if pm.metrics.time_to_resolve is not None:
            out[pm.severity] = out.get(pm.severity, 0) + 1
    return out


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("size", list(SIZES))
def test_charts_are_readable_in_both_sizes_and_schemes(tab, sample_site, sample_kb, size, scheme):
    # The badges' colours, as a reader sees them on the home page's recent incidents.
    open_page(tab, sample_site, "index.html")
    badge = {b.inner_text(): b.evaluate("e => getComputedStyle(e).backgroundColor")
             for b in tab.locator("article .pmkb-sev").all() if b.is_visible()}
    open_page(tab, sample_site, "insights/index.html")
    assert_fits(tab)
    background = page_background(tab)
    charts = visible_charts(tab)
    assert len(charts) == 7, "one drawing of each chart shows"
    for chart in charts:
        # Text about 12 px on screen at both sizes (never shrunk with the drawing).
        sizes = chart.evaluate("""svg => { const a = svg.getScreenCTM().a; return [...svg.querySelectorAll('text')]
            .map(t => parseFloat(getComputedStyle(t).fontSize) * a); }""")
        assert sizes and min(sizes) >= 10.5, f"chart text of {min(sizes):.1f} px on a {size} screen"
        box, frame = chart.bounding_box(), tab.locator("article").bounding_box()
        assert box["x"] >= frame["x"] - 1 and box["x"] + box["width"] <= frame["x"] + frame["width"] + 1
    # Severity: the badges' colours, each at least 3:1 against the page, and all different.
    marks = tab.evaluate("""() => { const out = {};
        for (const e of document.querySelectorAll('svg.pmkb-chart [data-severity]')) {
            if (!e.getClientRects().length || !e.closest('svg').getClientRects().length) continue;
            const s = getComputedStyle(e); out[e.getAttribute('data-severity')] = e.tagName === 'g' ? null : s.fill; }
        return out; }""")
    colours = {sev: fill for sev, fill in marks.items() if fill}
    assert set(colours) == {pm.severity for pm in sample_kb.postmortems}
    assert len(set(colours.values())) == len(colours), colours
    for sev, fill in colours.items():
        ratio = tab.evaluate(CONTRAST_JS, [fill, background])
        assert ratio >= 3, f"{sev} at {ratio:.2f}:1 against the {scheme} page"
        if sev in badge:
            assert fill == badge[sev], f"{sev}: chart {fill}, badge {badge[sev]}"
    # The bars count what the postmortems say: each bar's tooltip, summed per severity.
    counted: dict[str, int] = {}
    titles = tab.evaluate("""() => [...document.querySelectorAll('svg.pmkb-chart--stacked_bars g.bar > title')]
        .filter(t => t.closest('svg').getClientRects().length).map(t => t.textContent)""")
    for title in titles:
        for n, sev in re.findall(r"(\d+) × (\S+?)(?:,|$)", title.split(": ", 1)[1]):
            counted[sev] = counted.get(sev, 0) + int(n)
    by_sev: dict[str, int] = {}
    for pm in sample_kb.postmortems:
        by_sev[pm.severity] = by_sev.get(pm.severity, 0) + 1
    assert counted == by_sev
    # Labels sit under their own bars, and there are few enough bars to read.
    bars = tab.evaluate("""() => [...document.querySelectorAll(
            'svg.pmkb-chart--stacked_bars g.bar, svg.pmkb-chart--grouped_bars g.bar-group')]
        .filter(g => g.getClientRects().length && g.closest('svg').getClientRects().length)
        .map(g => {
            const r = [...g.querySelectorAll('rect')].map(x => x.getBoundingClientRect()).filter(x => x.width);
            const t = g.querySelector('text.x-label'); const b = t && t.getBoundingClientRect();
            return [r.length ? Math.min(...r.map(x => x.left)) : null,
                    r.length ? Math.max(...r.map(x => x.right)) : null, b ? (b.left + b.right) / 2 : null]; })""")
    assert 0 < len(bars) <= 2 * 24
    for left, right, centre in bars:
        if left is not None and centre is not None:
            assert left - 1 <= centre <= right + 1, "a label is not under its bar"
    # Fewer than 5 values: dots, never a box or a curve. The legend says how many each severity has.
    resolved = resolved_by_severity(sample_kb)
    legend = tab.evaluate("""() => [...document.querySelectorAll('svg.pmkb-chart--cumulative .legend text')]
        .filter(t => t.closest('svg').getClientRects().length).map(t => t.textContent)""")
    assert sorted(legend) == sorted(f"{sev} (n={n})" for sev, n in resolved.items())
    for sev, n in resolved.items():
        series = tab.locator(f".pmkb-chart--cumulative:visible g.series[data-severity='{sev}']")
        assert series.locator("circle").count() == (n if n < 5 else 0)
        assert series.locator("path").count() == (0 if n < 5 else 1)
    for row in tab.locator(".pmkb-chart--boxplot:visible g.box-row").all():
        n = int(re.search(r"n=(\d+)", row.locator("text.muted").text_content())[1])
        assert row.locator("circle").count() == (n if n < 5 else 0)
        assert row.locator("rect.box").count() == (0 if n < 5 else 1)
    # Time to resolve as a distribution: the table counts every resolved incident of each severity once.
    table = tab.locator("table", has=tab.locator("caption", has_text="Time to resolve by severity"))
    for sev, n in resolved.items():
        cells = table.locator("tbody tr", has=tab.locator(f"th:text-is('{sev}')")).locator("td").all_inner_texts()
        assert int(cells[0]) == n and sum(int(c) for c in cells[1:6]) == n
    tab.pmkb_shot("insights-charts")
    assert tab.pmkb_errors == []


# --- "Seen this before?" ------------------------------------------------------------------------

def pmkb_similar(root, query: str) -> list[dict]:
    import json

    proc = subprocess.run([sys.executable, "-m", "postmortem_kb", "--kb", str(root), "similar", "--format", "json",
                           query], capture_output=True, text=True, env=ENV, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)["results"]


def seen_before(page, query: str) -> list[tuple[str, str, str]]:
    """What the reader sees after pasting ``query``: (link address, title, reasons) of each result."""
    page.locator("#pmkb-seen-text").fill(query)
    page.locator("#pmkb-seen button[type=submit]").click()
    page.wait_for_function("() => document.getElementById('pmkb-seen-note').innerText.match(/similar/)")
    return [(li.locator("a").evaluate("a => a.href"), li.locator("a").inner_text(),
             li.locator(".pmkb-seen__why").inner_text() if li.locator(".pmkb-seen__why").count() else "")
            for li in page.locator("#pmkb-seen-results li").all()]


SAMPLE_QUERIES = [
    "certificate expired on the load balancer",
    "TLS handshake errors from the CDN after the wildcard cert lapsed",
    "postgres: sorry, too many clients already; connection pool exhausted",
    "kafka consumers lagging, broker packet loss",
    "DNS resolution failures for internal services",
    "disk full on a web node, 500 errors",
    "xyzzy plugh",  # nothing alike
]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("size", list(SIZES))
def test_seen_before_gives_what_pmkb_similar_gives(tab, sample_site, size, scheme):
    # Opened from disk, where fetch is refused: the index is a script.
    tab.goto((sample_site.folder / "index.html").as_uri())
    assert tab.locator("h2", has_text="Seen this before?").is_visible()
    for query in SAMPLE_QUERIES:
        want = pmkb_similar(ROOT, query)
        got = seen_before(tab, query)
        assert [(href.rsplit("/", 1)[1], title, why) for href, title, why in got] == \
            [(f"{r['id']}.html", r["title"], " · ".join(r["reasons"])) for r in want], query
        for href, _, _ in got:
            assert href.startswith((sample_site.folder / "incidents").as_uri() + "/")
            assert (sample_site.folder / "incidents" / href.rsplit("/", 1)[1]).is_file()
        note = tab.locator("#pmkb-seen-note").inner_text()
        assert (f"{len(want)} similar past incident" in note) if want else ("No past incident is similar" in note)
    assert_fits(tab)
    seen_before(tab, SAMPLE_QUERIES[0])
    tab.pmkb_shot("home-seen-before")
    # A result is a link to the incident's page.
    tab.locator("#pmkb-seen-results li a").first.click()
    tab.wait_for_load_state()
    assert tab.locator("h1").first.inner_text() == pmkb_similar(ROOT, SAMPLE_QUERIES[0])[0]["title"]
    assert tab.pmkb_errors == []


def test_seen_before_on_the_init_kb(tab, init_site):
    root = init_site.folder.parent
    open_page(tab, init_site, "index.html")
    for query in ("the api certificate expired again", "database failover paused writes", "capacity", "nothing"):
        want = pmkb_similar(root, query)
        got = seen_before(tab, query)
        assert [(href.rsplit("/", 1)[1], why) for href, _, why in got] == \
            [(f"{r['id']}.html", " · ".join(r["reasons"])) for r in want], query
    assert tab.pmkb_errors == []


# --- the home page, the 404 page and every page's description -----------------------------------

@pytest.mark.parametrize("size", list(SIZES))
def test_the_home_page_lists_its_ways_in_without_bullets(tab, sample_site, size):
    open_page(tab, sample_site, "index.html")
    items = tab.locator("article ul.pmkb-entry-points > li")
    assert items.count() >= 5
    for li in items.all():
        assert li.evaluate("e => getComputedStyle(e).listStyleType") == "none"
        assert li.evaluate("e => getComputedStyle(e, '::marker').content") in ("none", "normal", '""')
        assert li.evaluate("e => getComputedStyle(e, '::before').content") in ("none", "normal")
    # Nothing drawn left of the links: each item starts with its link's text.
    assert all(li.inner_text().split()[0] in li.locator("a").inner_text() for li in items.all())


def header_colour(page) -> str:
    return page.evaluate("() => getComputedStyle(document.querySelector('.md-header')).backgroundColor")


def check_not_found(page, folder) -> None:
    assert page.locator("article h1").inner_text() == "Page not found"
    assert page.evaluate("() => [...document.styleSheets].some(s => (s.href || '').includes('postmortems.css'))")
    links = page.evaluate("""() => [...document.querySelectorAll('.pmkb-not-found a, .md-nav a.md-nav__link')]
        .map(a => a.href)""")
    assert links
    return links


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("size", list(SIZES))
def test_the_404_page_is_styled_from_disk_at_the_root_and_under_a_sub_path(tab, sample_site, size, scheme):
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    open_page(tab, sample_site, "index.html")
    styled = header_colour(tab)
    # Opened from disk.
    tab.goto((sample_site.folder / "404.html").as_uri())
    assert header_colour(tab) == styled
    for href in check_not_found(tab, sample_site.folder):
        assert href.startswith(sample_site.folder.as_uri() + "/")
        target = href[len(sample_site.folder.as_uri()) + 1:].split("#")[0]
        assert (sample_site.folder / target).is_file() or (sample_site.folder / target / "index.html").is_file(), href
    tab.pmkb_shot("404")

    # A server that shows 404.html for a missing address (as static hosts do), the site at its root or under
    # a sub-path of the host.
    class Missing(SimpleHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - the base class's name
            pass

        def send_error(self, code, message=None, explain=None):
            if code != 404:
                return super().send_error(code, message, explain)
            body = (sample_site.folder / "404.html").read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    for served, prefix in ((sample_site.folder, "/"), (sample_site.folder.parent, f"/{sample_site.folder.name}/")):
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Missing, directory=str(served)))
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            base = f"http://127.0.0.1:{httpd.server_address[1]}{prefix}"
            addresses = [base + "404.html"] + ([base + "incidents/no/such/page.html"] if prefix == "/" else [])
            for address in addresses:
                deep = not address.endswith("/404.html")
                tab.goto(address, wait_until="networkidle")
                assert header_colour(tab) == styled, address
                for href in check_not_found(tab, served):
                    assert href.startswith(base), (address, href)
                    status = tab.request.get(href).status
                    assert status == 200, (address, href, status)
                if deep:
                    # The browser's look-ahead asks for the assets beside the missing address before the
                    # page's script sets its base: those requests fail, the page is styled all the same.
                    tab.pmkb_errors.clear()
                assert tab.pmkb_errors == [], address
        finally:
            httpd.shutdown()
            httpd.server_close()
            thread.join(timeout=10)
    assert tab.pmkb_errors == []


def meta(page) -> tuple[str, str, str]:
    return page.evaluate("""() => [document.querySelector('meta[name=description]').content,
        document.querySelector('meta[property="og:title"]').content,
        document.querySelector('meta[property="og:description"]').content]""")


def test_every_page_describes_itself(tab, sample_site, sample_kb):
    from postmortem_kb.inline import plain_text

    seen = {}
    for pm in sample_kb.postmortems:
        open_page(tab, sample_site, f"incidents/{pm.id}.html")
        description, og_title, og_description = meta(tab)
        assert og_title == pm.title and og_description == description
        assert description.startswith(f"{pm.severity} incident on {pm.date.isoformat()}")
        impact = plain_text(pm.impact)
        assert impact[:60].rsplit(" ", 1)[0] in description, (description, impact)
        assert "`" not in description and "**" not in description
        seen[pm.id] = description
    assert len(set(seen.values())) == len(seen), "two incidents share a description"
    site_wide = None
    for path in ("index.html", "incidents/index.html", "insights/index.html", "action-items/index.html"):
        open_page(tab, sample_site, path)
        description, _, og_description = meta(tab)
        assert og_description == description and description not in seen.values()
        site_wide = site_wide or description
        seen[path] = description
    assert len(set(seen.values())) == len(seen), "two pages share a description"
    open_page(tab, sample_site, "index.html")
    assert f"{len(sample_kb.postmortems)} incident postmortems" in meta(tab)[0]


@pytest.mark.parametrize("size", list(SIZES))
def test_listings_and_the_tracker_stay_out_of_the_search(tab, sample_site, sample_kb, size):
    owner = next(a.owner for pm in sample_kb.postmortems for a in pm.action_items if a.owner)
    open_page(tab, sample_site, "index.html")
    toggle = tab.locator("label.md-header__button[for='__search']")
    if toggle.is_visible():
        toggle.click()
    box = tab.locator("input.md-search__input")
    for query in ("action items overdue", owner, "incidents newest first"):
        box.fill("")
        box.press_sequentially(query, delay=20)
        tab.wait_for_function("""() => /match|result|document/i.test(
            document.querySelector('.md-search-result__meta').innerText)""", timeout=15_000)
        tab.wait_for_timeout(300)
        hrefs = tab.evaluate("() => [...document.querySelectorAll('.md-search-result__item a')].map(a => a.href)")
        listings = [h for h in hrefs if re.search(r"/(action-items|incidents|insights)/index\.html|/index\.html$", h)
                    or h.rstrip("/") == sample_site.url.rstrip("/")]
        assert listings == [], (query, listings)
    assert tab.pmkb_errors == []
