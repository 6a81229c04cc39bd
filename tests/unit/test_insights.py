"""Insights, the insights page and ``pmkb stats``, checked against figures computed by hand.

The fixture KB (tests/insights_fixture.py) has six published postmortems and one draft; every
expected number below is worked out from its table in the comments, not by running the code.
"""

from __future__ import annotations

import csv
import datetime as dt
import html as html_lib
import io
import json
import re
import statistics

import markdown
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kit.insights import AS_OF, write_fixture_kb
from postmortem_kb import charts
from postmortem_kb.cli import cli
from postmortem_kb.insights import Distribution, PeriodError, compute_insights, format_minutes, parse_bound, quantile
from postmortem_kb.loader import KBConfig, load_kb
from postmortem_kb.site import SiteOptions
from postmortem_kb.site.build import SiteBuild
from postmortem_kb.site.insights import md_text


@pytest.fixture
def kb(tmp_path):
    write_fixture_kb(tmp_path)
    loaded = load_kb(KBConfig(root=tmp_path, today=AS_OF))
    assert not loaded.errors, loaded.errors
    return loaded


def figures(kb, **period):
    return compute_insights(kb.visible(), kb.taxonomy, AS_OF, **period)


# --- quantiles -------------------------------------------------------------------------------

def test_quantile_interpolates_linearly_between_closest_ranks():
    data = [30, 60, 120, 600, 2880]
    # rank h = (n-1) q: p90 -> 3.6 -> 600 + 0.6 * (2880 - 600) = 1968; median -> 2 -> 120; q1 -> 1 -> 60
    assert quantile(data, 0.9) == pytest.approx(1968)
    assert quantile(data, 0.5) == 120
    assert quantile(data, 0.25) == 60
    assert quantile([0, 5, 10], 0.9) == pytest.approx(9)  # h = 1.8 -> 5 + 0.8 * 5
    assert quantile([15, 20], 0.5) == pytest.approx(17.5)
    assert quantile([7], 0.9) == 7


@pytest.mark.parametrize("data", [[1, 2], [3, 1, 4, 1, 5, 9, 2, 6], list(range(0, 1000, 7)), [0.5, 0.25, 10]])
def test_quantile_agrees_with_the_standard_library_inclusive_method(data):
    ordered = sorted(data)
    deciles = statistics.quantiles(ordered, n=10, method="inclusive")
    quartiles = statistics.quantiles(ordered, n=4, method="inclusive")
    assert quantile(ordered, 0.9) == pytest.approx(deciles[8])
    assert quantile(ordered, 0.25) == pytest.approx(quartiles[0])
    assert quantile(ordered, 0.5) == pytest.approx(statistics.median(ordered))


def test_distribution_of_nothing_is_none_and_of_one_value_is_that_value():
    assert Distribution.of([]) is None
    one = Distribution.of([42.0])
    assert (one.min, one.q1, one.median, one.q3, one.p90, one.max, one.count) == (42, 42, 42, 42, 42, 42, 1)


# --- periods ---------------------------------------------------------------------------------

def test_period_bounds_take_a_year_a_month_or_a_day():
    assert parse_bound("2024") == dt.date(2024, 1, 1)
    assert parse_bound("2024", end=True) == dt.date(2024, 12, 31)
    assert parse_bound("2024-02", end=True) == dt.date(2024, 2, 29)
    assert parse_bound("2023-02", end=True) == dt.date(2023, 2, 28)
    assert parse_bound("2024-03-14", end=True) == dt.date(2024, 3, 14)
    for bad in ("yesterday", "2024-13", "2024-02-30", "24-01-01", ""):
        with pytest.raises(PeriodError):
            parse_bound(bad)


# --- the figures of the fixture KB -----------------------------------------------------------

def test_counts_leave_drafts_out(kb):
    f = figures(kb)
    assert f.incidents == 6  # seven files, one draft
    assert f.by_severity == {"SEV1": 2, "SEV2": 2, "SEV3": 2, "SEV4": 0}  # the draft was the only SEV4
    assert (f.first, f.last) == (dt.date(2023, 1, 10), dt.date(2024, 9, 1))


def test_incidents_per_month_by_severity_span_every_month(kb):
    f = figures(kb)
    assert len(f.by_month) == 21  # 2023-01 .. 2024-09
    nonzero = {m.month: {s: n for s, n in m.by_severity.items() if n} for m in f.by_month if m.total}
    assert nonzero == {"2023-01": {"SEV1": 1}, "2023-03": {"SEV2": 2}, "2024-02": {"SEV3": 1},
                       "2024-07": {"SEV1": 1}, "2024-09": {"SEV3": 1}}
    assert sum(m.total for m in f.by_month) == 6


def test_counts_and_shares_by_root_cause_and_component(kb):
    f = figures(kb)
    assert [(t.slug, t.count, t.share) for t in f.by_root_cause] == [
        ("hardware-failure", 3, 0.5), ("configuration-change", 2, 0.3333),
        ("capacity", 1, 0.1667), ("dns", 1, 0.1667)]
    # Two components tie at 3: ordered by title, "Load balancer" before "Web server".
    assert [(t.slug, t.count, t.share) for t in f.by_component] == [
        ("load-balancer", 3, 0.5), ("web-server", 3, 0.5), ("dns-resolver", 1, 0.1667)]


def _dist(d):
    return (d.count, d.min, d.q1, d.median, d.q3, d.p90, d.max)


def test_time_to_detect_and_resolve_per_year(kb):
    years = {y.year: y for y in figures(kb).durations}
    assert list(years) == ["2023", "2024", "all"]
    # 2023: detect [0, 5, 10], resolve [30, 60, 120]
    assert _dist(years["2023"].time_to_detect) == (3, 0, 2.5, 5, 7.5, 9, 10)
    assert _dist(years["2023"].time_to_resolve) == (3, 30, 45, 60, 90, 108, 120)
    # 2024: detect [15, 20], resolve [600, 2880]; dns-g gives no times
    assert _dist(years["2024"].time_to_detect) == (2, 15, 16.25, 17.5, 18.75, 19.5, 20)
    assert _dist(years["2024"].time_to_resolve) == (2, 600, 1170, 1740, 2310, 2652, 2880)
    assert years["2024"].unknown == {"time_to_detect": 1, "time_to_resolve": 1}
    # all: detect [0, 5, 10, 15, 20], resolve [30, 60, 120, 600, 2880]
    assert _dist(years["all"].time_to_detect) == (5, 0, 5, 10, 15, 18, 20)
    assert _dist(years["all"].time_to_resolve) == (5, 30, 60, 120, 600, 1968, 2880)


def test_recurring_root_cause_and_component_pairs(kb):
    pairs = [(r.root_cause, r.component, r.count, r.incidents) for r in figures(kb).recurring]
    assert pairs == [
        ("hardware-failure", "web-server", 3, ["disk-a", "disk-b", "capacity-d"]),
        ("configuration-change", "load-balancer", 2, ["lb-config-c", "lb-config-e"]),
    ]  # (hardware-failure, load-balancer) happened once (disk-b): not recurring


def test_action_items_per_quarter_and_overdue(kb):
    f = figures(kb)
    quarters = {q.quarter: (q.opened, q.done, q.wont_do, q.still_open, q.overdue) for q in f.actions_by_quarter}
    assert list(quarters) == ["2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4", "2024-Q1", "2024-Q2", "2024-Q3"]
    assert quarters["2023-Q1"] == (5, 1, 1, 3, 2)  # disk-a 2, disk-b 1, lb-config-c 2
    assert quarters["2024-Q1"] == (0, 0, 0, 0, 0)
    assert quarters["2024-Q3"] == (2, 1, 0, 1, 0)  # lb-config-e done, dns-g open without due date
    assert f.actions_total == {"opened": 7, "done": 2, "wont_do": 1, "still_open": 4, "overdue": 2}
    # disk-a's open item due 2023-03-01 (672 days before 2025-01-01); lb-config-c's in-progress one
    # due 2024-12-31 (1 day). The draft's item due 2020 does not count; neither does a wont-do one.
    assert f.overdue_count == 2
    assert [(o.postmortem_id, o.due, o.days_overdue) for o in f.overdue] == [
        ("disk-a", dt.date(2023, 3, 1), 672), ("lb-config-c", dt.date(2024, 12, 31), 1)]


def test_overdue_depends_on_the_as_of_day(kb):
    later = compute_insights(kb.visible(), kb.taxonomy, dt.date(2030, 1, 2))
    assert later.overdue_count == 3  # disk-b's item due 2030-01-01 is now late too
    earlier = compute_insights(kb.visible(), kb.taxonomy, dt.date(2023, 3, 2))
    assert earlier.overdue_count == 1


def test_since_and_until_keep_incidents_within_both_inclusive(kb):
    f = figures(kb, since=dt.date(2024, 1, 1))
    assert f.incidents == 3 and f.by_severity == {"SEV1": 1, "SEV2": 0, "SEV3": 2, "SEV4": 0}
    assert f.recurring == [] and f.overdue_count == 0
    assert _dist(next(y for y in f.durations if y.year == "all").time_to_detect) == (2, 15, 16.25, 17.5, 18.75,
                                                                                     19.5, 20)
    g = figures(kb, until=dt.date(2023, 3, 20))  # the last day includes lb-config-c
    assert g.incidents == 3 and g.overdue_count == 2
    assert [q.quarter for q in g.actions_by_quarter] == ["2023-Q1"]
    assert figures(kb, since=dt.date(2025, 1, 1)).incidents == 0


def test_an_empty_period_has_no_figures_but_does_not_fail(kb):
    f = figures(kb, since=dt.date(2030, 1, 1))
    assert f.by_month == [] and f.by_root_cause == [] and f.durations == [] and f.overdue == []
    for chart in charts.all_charts(f).values():
        assert "<svg" in charts.render(chart)


def test_recurring_pairs_scale_with_incidents_not_pairs_of_incidents(kb):
    # Many incidents on one pair: the count is the number of incidents, and listing stays in order.
    many = kb.visible() * 1
    for i in range(300):
        pm = kb.by_id["disk-a"]
        clone = type(pm)(**{**pm.__dict__, "id": f"clone-{i:03d}", "date": dt.date(2022, 1, 1)})
        many.append(clone)
    f = compute_insights(many, kb.taxonomy, AS_OF)
    top = f.recurring[0]
    assert (top.root_cause, top.component, top.count) == ("hardware-failure", "web-server", 303)
    assert top.first == dt.date(2022, 1, 1)


def test_format_minutes():
    assert [format_minutes(m) for m in (0, 2.5, 45, 60, 108, 1740, 2880, None)] == [
        "0m", "2m 30s", "45m", "1h 00m", "1h 48m", "1d 5h", "2d", "–"]


# --- the page --------------------------------------------------------------------------------

def render_page(kb, extensions=("tables", "toc")):
    """The insights page as the site draws it, converted by Markdown with only the extensions every
    site has (no md_in_html): the page must not need more."""
    build = SiteBuild(kb, SiteOptions())
    (page,) = [p for p in build.pages() if p.path == "insights/index.md"]
    return page.markdown, markdown.markdown(page.markdown, extensions=list(extensions))


def _cells(html):
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)]
            for r in rows]


@pytest.mark.parametrize("extensions", [("tables", "toc"), ("toc",), ("tables", "toc", "md_in_html", "attr_list")])
def test_the_page_shows_the_hand_computed_figures_in_tables(kb, extensions):
    text, html = render_page(kb, extensions)
    assert "| ---" not in html and "---:" not in html  # no Markdown table left raw
    rows = [[html_lib.unescape(c) for c in r] for r in _cells(html)]
    assert ["2023-03", "0", "2", "0", "0", "2"] in rows
    assert ["All", "2", "2", "2", "0", "6"] in rows
    assert ["Hardware failure", "3", "50%"] in rows
    assert ["Configuration change", "2", "33%"] in rows
    assert ["Load balancer", "3", "50%"] in rows
    assert ["2023", "Time to detect", "3", "5m", "9m", "0m", "2m 30s", "7m 30s", "10m", "0"] in rows
    assert ["All years", "Time to resolve", "5", "2h 00m", "1d 8h", "30m", "1h 00m", "10h 00m", "2d", "1"] in rows
    assert ["2024", "Time to detect", "2", "17m 30s", "19m 30s", "15m", "16m 15s", "18m 45s", "20m", "1"] in rows
    assert ["Hardware failure", "Web server", "3", "2023-01-10", "2024-02-01",
            "Incident disk-a <b>&</b>; Incident disk-b <b>&</b>; Incident capacity-d <b>&</b>"] in rows
    assert ["2023-Q1", "5", "1", "1", "3", "2"] in rows
    assert ["All", "7", "2", "1", "4", "2"] in rows
    # Time to resolve by severity: how many within 1h, 1-4h, 4-24h, 1-7d, beyond; median, p90, slowest.
    assert ["SEV1", "2", "1", "0", "0", "1", "0", "1d", "1d 19h", "2d", "0"] in rows
    assert ["SEV2", "2", "1", "1", "0", "0", "0", "1h 15m", "1h 51m", "2h 00m", "0"] in rows
    assert ["SEV3", "1", "0", "0", "1", "0", "0", "10h 00m", "10h 00m", "10h 00m", "1"] in rows
    assert not [r for r in rows if r and r[0] == "SEV4" and len(r) == 11]  # no published SEV4
    assert "Overdue: 2" in html
    # Every table is there, with its title.
    assert html.count("<table>") == 8  # months, root causes, components, durations, by severity, pairs, quarters,
    assert html.count("<caption>") == 8  # overdue
    # Values from postmortems are escaped: the fixture titles hold <b>&</b>.
    assert "<b>&</b>" not in html and "&lt;b&gt;&amp;&lt;/b&gt;" in html
    assert 'href="../incidents/disk-a/"' in html
    # Wide tables can be scrolled from the keyboard.
    assert html.count('class="pmkb-scroll" tabindex="0" role="region" aria-label=') == 8


def test_every_chart_is_accessible_themed_and_self_contained(kb):
    _, html = render_page(kb)
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(svgs) == 14  # seven charts, each drawn wide and narrow
    ids = set()
    for svg in svgs:
        chart_id = re.search(r'<svg[^>]* id="([^"]+)"', svg)[1]
        ids.add(chart_id)
        assert 'role="img"' in svg
        assert f'aria-labelledby="{chart_id}-title {chart_id}-desc"' in svg
        assert f'<title id="{chart_id}-title">' in svg and f'<desc id="{chart_id}-desc">' in svg
        assert "var(--md-default-fg-color" in svg
        # No external reference: the only URL is the SVG namespace itself.
        assert re.findall(r"https?://[^\s\"']+", svg) == ["http://www.w3.org/2000/svg"]
        assert not re.search(r"(href|src)=|@import|url\(", svg)
    assert len(ids) == 14
    # Each chart has its data as a table in the same section, after the chart.
    sections = [s for s in html.split("<h2") if "<svg" in s]
    assert len(sections) == 6
    assert all("<table>" in s.rsplit("</svg>", 1)[1] for s in sections)


def test_chart_numbers_are_the_figures(kb):
    f = figures(kb)
    by_month = charts.incidents_by_month(f)
    # 21 months for 6 incidents: too sparse for months, so 7 quarters.
    assert by_month.data["unit"] == "quarter" and len(by_month.data["bars"]) == 7
    stacks = {b["month"]: [(s["series"]["name"], s["value"]) for s in b["segments"]]
              for b in by_month.data["bars"] if b["segments"]}
    assert stacks == {"2023 Q1": [("SEV1", 1), ("SEV2", 2)], "2024 Q1": [("SEV3", 1)],
                      "2024 Q3": [("SEV1", 1), ("SEV3", 1)]}
    # Bar heights are proportional to counts: the 3-incident stack is three times the 1-incident one.
    heights = {b["month"]: sum(s["h"] for s in b["segments"]) for b in by_month.data["bars"]}
    assert heights["2023 Q1"] == pytest.approx(3 * heights["2024 Q1"], abs=0.02)
    # Labels are centred under their bars.
    for bar in by_month.data["bars"]:
        assert bar["label_x"] == pytest.approx(bar["x"] + bar["w"] / 2, abs=0.01)
    box = charts.durations(f, "time_to_resolve", "x")
    row = next(r for r in box.data["rows"] if r["label"] == "2023")
    assert row["min"] < row["q1"] < row["median"] < row["q3"] < row["p90"] < row["max"]
    assert row["dist"].p90 == 108
    # Three incidents are three dots, not a box; all five years' incidents make a box.
    assert not row["box"] and sorted(row["dots"]) == sorted([row["min"], row["median"], row["max"]])
    assert next(r for r in box.data["rows"] if r["label"] == "All years")["box"]
    by_sev = charts.resolve_by_severity(f)
    assert [s["severity"] for s in by_sev.data["series"]] == ["SEV1", "SEV2", "SEV3"]
    assert all(len(s["dots"]) == int(s["name"].split("n=")[1][:-1]) and not s["path"] for s in by_sev.data["series"])


def test_md_text_neutralises_html_and_markdown():
    out = str(md_text("a|b [x](javascript:alert(1)) <script>*_`"))
    assert "|" not in out and "[" not in out and "<script>" not in out and "*" not in out


# --- pmkb stats --------------------------------------------------------------------------------

def run_stats(runner, root, *args):
    return runner.invoke(cli, ["--kb", str(root), "stats", "--as-of", AS_OF.isoformat(), *args])


def test_stats_json_gives_the_same_figures(runner, tmp_path):
    write_fixture_kb(tmp_path)
    result = run_stats(runner, tmp_path, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["incidents"] == 6 and data["overdue_count"] == 2
    assert data["by_severity"] == {"SEV1": 2, "SEV2": 2, "SEV3": 2, "SEV4": 0}
    year = {y["year"]: y for y in data["durations"]}
    assert year["all"]["time_to_resolve"]["p90"] == 1968 and year["all"]["time_to_detect"]["median"] == 10
    assert year["2023"]["time_to_detect"]["p90"] == 9
    assert [(r["root_cause"], r["component"], r["count"]) for r in data["recurring"]] == [
        ("hardware-failure", "web-server", 3), ("configuration-change", "load-balancer", 2)]


def test_stats_csv_has_one_figure_per_row(runner, tmp_path):
    write_fixture_kb(tmp_path)
    result = run_stats(runner, tmp_path, "--format", "csv", "--since", "2023", "--until", "2023")
    assert result.exit_code == 0, result.output
    rows = {(r["figure"], r["group"], r["key"]): r["value"] for r in csv.DictReader(io.StringIO(result.stdout))}
    assert rows[("incidents", "", "total")] == "3"
    assert rows[("time_to_resolve_minutes", "2023", "p90")] == "108.0"
    assert rows[("time_to_detect_minutes", "all", "median")] == "5.0"
    assert rows[("incidents_by_root_cause", "hardware-failure", "count")] == "2"
    assert rows[("action_items", "", "overdue")] == "2"
    assert ("time_to_detect_minutes", "2024", "median") not in rows


def test_stats_text_shows_the_tables(runner, tmp_path):
    write_fixture_kb(tmp_path)
    result = run_stats(runner, tmp_path)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert re.search(r"\b6 incident(s|\(s\))", out)
    assert re.search(r"All years\s+Time to resolve\s+5\s+2h 00m\s+1d 8h\s+30m\s+1h 00m\s+10h 00m\s+2d\s+1", out)
    assert re.search(r"Hardware failure\s+Web server\s+3\s+2023-01-10\s+2024-02-01", out)
    assert "Overdue action items as of 2025-01-01: 2" in out
    assert re.search(r"2023-03-01\s+672\s+disk-a", out)


def test_stats_rejects_a_bad_period_with_a_usage_error(runner, tmp_path):
    write_fixture_kb(tmp_path)
    result = run_stats(runner, tmp_path, "--since", "last week")
    assert result.exit_code == 2 and "YYYY" in result.output and "Traceback" not in result.output
    result = run_stats(runner, tmp_path, "--since", "2024", "--until", "2023")
    assert result.exit_code == 2


def test_stats_of_an_empty_period(runner, tmp_path):
    write_fixture_kb(tmp_path)
    result = run_stats(runner, tmp_path, "--since", "2031")
    assert result.exit_code == 0 and "No published incidents" in result.stdout




@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=60),
       st.floats(min_value=0, max_value=1), st.floats(min_value=0, max_value=1))
def test_quantiles_stay_within_the_data_and_grow_with_q(values, q1, q2):
    data = sorted(values)
    low, high = sorted((q1, q2))
    assert data[0] <= quantile(data, low) <= quantile(data, high) + 1e-6 <= data[-1] + 1e-6
    d = Distribution.of(values)
    assert d.min <= d.q1 <= d.median <= d.q3 <= d.p90 <= d.max + 0.01


def test_hostile_action_item_titles_stay_text_in_the_page(tmp_path):
    write_fixture_kb(tmp_path)
    path = tmp_path / "postmortems" / "disk-a.md"
    path.write_text(path.read_text().replace("title: Item 1 of disk-a",
                                             "title: \"<script>alert(1)</script> | [x](javascript:alert(2)) *\""))
    kb = load_kb(KBConfig(root=tmp_path, today=AS_OF))
    assert not kb.errors, kb.errors
    _, html = render_page(kb, ("tables", "toc", "attr_list", "md_in_html"))
    assert "<script>" not in html and 'href="javascript' not in html  # shown as text, never a link
    row = next(r for r in _cells(html) if r and r[0] == "2023-03-01")
    assert len(row) == 5  # the pipe did not split the row
    assert html_lib.unescape(row[2]) == "<script>alert(1)</script> | [x](javascript:alert(2)) *"
