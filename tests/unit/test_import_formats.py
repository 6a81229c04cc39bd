"""`pmkb import` on the formats other teams write (tests/fixtures/import/formats/, one style each).

Each fixture is written the way a different team would write its postmortem; the
assertions are what a careful reader of the document would say, and the written
postmortem must give the same events and metrics through the KB's own loader.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kit import ROOT
from postmortem_kb.frontmatter import read_source
from postmortem_kb.importer import import_document
from postmortem_kb.importer.extract import find_owner
from postmortem_kb.loader import KBConfig, build_postmortem
from postmortem_kb.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy(ROOT / "taxonomy.yml")
FORMATS = ROOT / "tests" / "fixtures" / "import" / "formats"


def imported(name: str):
    path = FORMATS / name
    stem = path.stem if path.suffix else path.name
    return import_document(path.read_text(encoding="utf-8"), source=name, stem=stem, taxonomy=TAXONOMY)


def moments(im) -> dict[str, str]:
    """Key moment -> its instant, from the timeline's markers and the front matter (one marker per entry)."""
    out = {e["moment"]: e["at"] for e in im.report.events if e["moment"]}
    for name, key in (("start", "started_at"), ("detected", "detected_at"), ("resolved", "resolved_at")):
        if key in im.front_matter:
            out[name] = im.front_matter[key].isoformat()
    return out


def loaded(im, tmp_path: Path):
    """The written postmortem as the KB reads it."""
    doc = read_source(im.text().encode("utf-8"), "x.md")
    return build_postmortem(doc, TAXONOMY, KBConfig(root=tmp_path), "x", tmp_path / "x.md")


def test_headings_with_prose_and_an_explicit_offset(tmp_path):
    im = imported("heading-entries.md")
    assert im.front_matter["title"] == "Build cache refused uploads"  # the leading date is the date
    assert im.front_matter["date"] == dt.date(2023, 7, 14)
    assert im.front_matter["timezone"] == "-07:00"  # "PST (UTC-7)" in July: the offset wins
    assert [e["time"][-5:] for e in im.report.events] == ["09:12", "09:31", "09:48", "10:05"]
    assert moments(im) == {"start": "2023-07-14T09:12:00-07:00", "detected": "2023-07-14T09:31:00-07:00",
                           "resolved": "2023-07-14T10:05:00-07:00"}
    assert "First report" in im.report.inferred["detected_at"]  # each inferred moment names its entry
    pm = loaded(im, tmp_path)
    assert len(pm.timeline) == 4  # the links above the first entry are not entries
    assert pm.metrics.time_to_resolve == dt.timedelta(minutes=53)
    items = im.front_matter["action_items"]
    assert [(a["title"], a.get("owner"), a.get("status")) for a in items] == [
        ("Alert when the cache volume is over 80%", "Build team", "done"),
        ("Run compaction on a copy", "rui", "open")]


def test_times_in_brackets_bold_and_code_approximate_and_a_pasted_chat(tmp_path):
    im = imported("list-wrapped-times.md")
    assert im.front_matter["title"] == "Search results went stale"
    times = [e["at"] for e in im.report.events]
    assert times == ["13:58:00+00:00", "14:02:00+00:00", "14:10:00+00:00", "14:18:00+00:00", "14:30:00+00:00",
                     "14:45:00+00:00"]  # the Slack thread's [14:03] and [14:04] are not entries
    assert moments(im) == {"start": "14:02:00+00:00", "detected": "14:10:00+00:00", "mitigated": "14:18:00+00:00",
                           "resolved": "14:45:00+00:00"}
    assert any("Slack thread" in w for w in im.report.warnings)
    assert len(loaded(im, tmp_path).timeline) == 6


def test_twelve_hour_times_and_a_bare_time_settled_by_its_neighbours(tmp_path):
    im = imported("twelve-hour.txt")
    assert im.front_matter["date"] == dt.date(2019, 1, 23)
    assert [e["at"][11:16] for e in im.report.events] == ["14:54", "15:10", "16:19", "16:58"]
    pm = loaded(im, tmp_path)
    assert [e.at.strftime("%H:%M") for e in pm.timeline] == ["14:54", "15:10", "16:19", "16:58"]
    assert im.front_matter["timezone"] == "-07:00"


def test_date_lines_carry_the_day_past_midnight(tmp_path):
    im = imported("date-lines.md")
    assert im.front_matter["date"] == dt.date(2023, 11, 6)
    days = [e["at"][:10] for e in im.report.events]
    assert days == ["2023-11-06", "2023-11-06", "2023-11-07", "2023-11-07", "2023-11-07"]
    # The impact table's "Incident Duration | 3h 45m" is start -> resolved: 23:55 -> 03:40.
    assert moments(im)["start"].startswith("2023-11-06T23:55")
    assert moments(im)["resolved"].startswith("2023-11-07T03:40")
    assert moments(im)["detected"].startswith("2023-11-07T00:20")
    pm = loaded(im, tmp_path)
    assert pm.metrics.time_to_resolve == dt.timedelta(hours=3, minutes=45)


def test_day_level_entries_and_ranges_are_entries(tmp_path):
    im = imported("day-level-and-ranges.md")
    events = im.report.events
    assert len(events) == 5  # the day-level row and the "..." row count, without a time
    assert [e["at"] for e in events if e["at"] is None] == [None, None]
    assert events[1]["at"] == "2022-11-08T02:00:00+00:00"  # a range starts at its first time
    assert len(loaded(im, tmp_path).timeline) == 5


def test_the_summary_window_names_start_and_end_and_template_leftovers_are_reported(tmp_path):
    im = imported("window-in-summary.md")
    assert im.front_matter["title"] == "Login outage"  # closing hashes are not part of it
    assert moments(im)["start"] == "2024-04-02T16:58:00+00:00"
    assert moments(im)["resolved"] == "2024-04-02T18:46:00+00:00"
    assert "from 16:58 to 18:46" in im.report.inferred["started_at"]
    assert any("{{ 19:00 }}" in w for w in im.report.warnings)
    assert next(e for e in im.report.events if "customer update" in e["text"])["at"] is None


@pytest.mark.parametrize("name, fmt", [("hugo-toml.md", "TOML"), ("jekyll-json.md", "JSON"),
                                       ("quarto-report.qmd", "YAML")])
def test_front_matter_of_other_site_generators_is_mapped(name, fmt):
    im = imported(name)
    assert im.report.kind == f"Markdown with {fmt} front matter"
    expected = {"hugo-toml.md": ("Queue consumers stalled after a broker upgrade", dt.date(2024, 3, 9), ["Ines"]),
                "jekyll-json.md": ("Image thumbnails missing", dt.date(2021, 5, 17), ["Sam"]),
                "quarto-report.qmd": ("DNS resolver overload", dt.date(2020, 2, 11), ["Platform team"])}[name]
    assert (im.front_matter["title"], im.front_matter["date"], im.front_matter["authors"]) == expected
    # The generator's own settings (draft, layout, format...) are left out, and said so.
    assert any("site-generator settings" in w for w in im.report.warnings)
    assert "## Source" not in im.body or "draft" not in im.body.split("## Source")[1]


def test_hugo_dates_give_the_timezone():
    im = imported("hugo-toml.md")
    assert im.front_matter["timezone"] == "+01:00"
    assert im.report.events[0]["at"] == "2024-03-09T08:15:00+01:00"


def test_several_outages_are_reported():
    im = imported("two-outages.md")
    assert any("several outages" in w for w in im.report.warnings)


@pytest.mark.parametrize("text, owner, title", [
    ("Alert when WAL archiving fails (owner: DBA team)", "DBA team", "Alert when WAL archiving fails"),
    ("Rotate the certificates [owner: @kim]", "kim", "Rotate the certificates"),
    ("Add a runbook for the queue - Owner: SRE", "SRE", "Add a runbook for the queue"),
    ("@lee: page the database team too", "lee", "page the database team too"),
    ("Ask @bob to review the quota", "bob", "Ask @bob to review the quota"),
    ("Mail the report to ops@example.com", None, "Mail the report to ops@example.com"),
])
def test_action_item_owners(text, owner, title):
    assert find_owner(text) == (owner, title)


def test_components_come_from_taxonomy_words_in_the_title():
    text = ("# Postgres WAL archiving stalled\n\n## Summary\n\nArchiving stopped for an hour.\n\n## Action items\n\n"
            "- Alert when WAL archiving fails (owner: DBA team)\n")
    im = import_document(text, source="x.md", stem="x", taxonomy=TAXONOMY)
    assert "postgres" in im.front_matter["components"]
    assert "in the title" in im.report.inferred["components"]
    assert im.front_matter["action_items"][0]["title"] == "Alert when WAL archiving fails"
    assert im.front_matter["action_items"][0]["owner"] == "DBA team"


def test_split_gives_one_postmortem_per_outage(tmp_path):
    from postmortem_kb.importer.run import ImportOptions, find_sources, import_files
    from postmortem_kb.importer.split import split_outages

    text = (FORMATS / "two-outages.md").read_text(encoding="utf-8")
    parts = split_outages(text)
    assert [name for name, _ in parts] == ["First outage", "Second outage"]
    assert all("## Root cause" in part and "No quota on the volume." in part for _, part in parts)  # shared
    options = ImportOptions(out=tmp_path, dry_run=True, split=True)
    run = import_files(find_sources([FORMATS / "two-outages.md"]), options, TAXONOMY, KBConfig(root=tmp_path))
    fms = [im.front_matter for im in run.imported]
    assert [(fm["title"], fm["date"]) for fm in fms] == [
        ("Two storage outages in one week \u2014 First outage", dt.date(2024, 1, 8)),
        ("Two storage outages in one week \u2014 Second outage", dt.date(2024, 1, 11))]
    assert [len(im.report.events) for im in run.imported] == [2, 2]
    assert len({r.output for r in run.reports}) == 2
    # Without --split: one postmortem, and a warning saying what --split would do.
    one = import_files(find_sources([FORMATS / "two-outages.md"]), ImportOptions(out=tmp_path, dry_run=True),
                       TAXONOMY, KBConfig(root=tmp_path))
    assert len(one.imported) == 1 and any("--split" in w for w in one.reports[0].warnings)


def test_a_document_with_one_outage_is_not_split():
    from postmortem_kb.importer.split import split_outages

    text = (FORMATS / "heading-entries.md").read_text(encoding="utf-8")
    assert split_outages(text) == [(None, text)]


def test_labels_before_times_and_items_grouped_under_labels(tmp_path):
    """`- **Detection:** March 3, 2024, 2:10 PM (GMT) - ...` and `- **Actions Taken:**` with timed items under it."""
    im = imported("grouped-list.md")
    assert im.front_matter["title"] == "Checkout API returned 502s"
    assert im.front_matter["timezone"] == "+00:00"  # the zone written on the first entry's time
    times = [e["at"][11:16] for e in im.report.events]
    assert times == ["14:10", "14:20", "14:45", "15:05", "15:40", "16:05"]  # the group labels are not entries
    found = moments(im)
    # The summary's "Start Time: ... 1:50 PM ... End Time: ... 4:05 PM": the start has no entry, so it is
    # written in the front matter; the end is the entry at 4:05 PM.
    assert found["start"] == "2024-03-03T13:50:00+00:00"
    assert found["detected"] == "2024-03-03T14:10:00+00:00"
    assert found["resolved"] == "2024-03-03T16:05:00+00:00"
    assert "Start Time" in im.report.inferred["started_at"]
    assert "**Actions Taken:**" in im.body and "- **Actions Taken:**" not in im.body
    pm = loaded(im, tmp_path)
    assert len(pm.timeline) == 6
    assert pm.metrics.time_to_resolve == dt.timedelta(hours=2, minutes=15)


def test_chat_lines_among_list_items_are_not_entries(tmp_path):
    im = imported("chat-in-list.md")
    assert [e["at"][11:16] for e in im.report.events] == ["09:58", "10:07", "10:15", "10:31"]
    assert any("2 chat lines among" in w for w in im.report.warnings)
    assert "  [10:08] dana: is anyone else seeing stale results?" in im.body  # kept, under the entry above
    assert len(loaded(im, tmp_path).timeline) == 4


def test_a_24_hour_timeline_is_never_read_as_12_hour():
    """Rows with leading zeros and full dates, one out of order: 11:07 stays 11:07 (not 23:07), and the
    rows after it keep their own times."""
    im = imported("rows-out-of-order.md")
    assert [e["at"][11:16] for e in im.report.events] == ["08:05", "09:40", "10:02", "11:08", "11:07", "11:59"]
    assert any("runs backwards" in w for w in im.report.warnings)
    assert im.report.metrics["stated"] == {"time_to_detect_minutes": 5.0, "time_to_resolve_minutes": 80.0}


def test_a_write_up_pasted_twice_keeps_its_sections_and_splits_by_its_titles(tmp_path):
    from postmortem_kb.importer.split import split_outages

    im = imported("pasted-twice.md")
    assert im.front_matter["title"] == "Storage outage on May 2, 2024"
    assert im.front_matter["date"] == dt.date(2024, 5, 2)
    assert len(im.report.events) == 3  # the first timeline, a level-2 section as written
    assert any("several outages" in w for w in im.report.warnings)
    parts = split_outages((FORMATS / "pasted-twice.md").read_text(encoding="utf-8"))
    assert [name for name, _ in parts] == ["Postmortem: Storage outage on May 2, 2024",
                                           "Postmortem (short version for the status page)"]
    second = import_document(parts[1][1], source="x.md", stem="x", taxonomy=TAXONOMY)
    assert [e["text"] for e in second.report.events] == ["Writes fail.", "Fixed."]


def test_a_generic_heading_above_the_title():
    im = imported("readme-heading.md")
    assert im.front_matter["title"] == "Mail queue stuck"  # not `README`
    assert im.front_matter["date"] == dt.date(2022, 11, 4)
    assert moments(im)["detected"] == "2022-11-04T07:52:00+00:00"  # "Users report that ..."
    assert moments(im)["resolved"] == "2022-11-04T08:25:00+00:00"  # the summary's window ends there


@pytest.mark.parametrize("text, window", [
    ("Start Time: May 7, 2024, 3:00 PM (GMT) End Time: May 7, 2024, 8:00 PM (GMT)", ((15, 0), (20, 0))),
    ("The outage began on August 15, 2024, at 09:00 AM (EAT) and was resolved by August 15, 2024, at 01:30 PM.",
     ((9, 0), (13, 30))),
    ("**Duration:** July 14, 2023, 10:00 AM - 12:30 PM GMT", ((10, 0), (12, 30))),
    ("Logins failed from 16:58 to 18:46 UTC.", ((16, 58), (18, 46))),
    ("It happened once before, on 2019-01-08, and lasted 24 hours.", None),
])
def test_windows_stated_in_prose(text, window):
    from postmortem_kb.importer.extract import find_window

    found = find_window(text)
    assert (found[:2] if found else None) == window


def test_a_date_label_before_the_titles_date():
    text = "# incident date: 2021-04-09, cache stampede\n\n## Timeline\n\n- 10:00 Cache flushed.\n"
    im = import_document(text, source="x.md", stem="x", taxonomy=TAXONOMY)
    assert (im.front_matter["title"], im.front_matter["date"]) == ("cache stampede", dt.date(2021, 4, 9))


def test_an_entrys_own_line_names_its_moment_before_the_paragraphs_under_it():
    """The heading entry's first sentence says it; a later entry only mentions an earlier recovery, and a
    hoped-for fix ("may go away") is no recovery."""
    text = ("# Node out of disk\n\n## Timeline\n\nAll times in UTC\n\n### 2023-05-04 10:34\n\nLaunches fail.\n\n"
            "### 10:55\n\nThe cluster heals itself and launches return to normal.\n\n"
            "### 15:00\n\nA dip noticed on the dashboard. The node is cordoned, although it appears to have "
            "recovered. Removing it may go away with the next upgrade.\n")
    im = import_document(text, source="x.md", stem="x", taxonomy=TAXONOMY)
    found = moments(im)
    assert found["start"].endswith("10:34:00+00:00")
    assert found["resolved"].endswith("10:55:00+00:00")
    assert found["detected"].endswith("15:00:00+00:00")  # seen only after it was over


def test_the_start_entry_that_says_it_was_seen_is_the_detection():
    text = ("# Search down\n\n## Summary\n\nSearch failed from 10:00 AM to 11:00 AM UTC on 2024-06-08.\n\n"
            "## Timeline\n\n- **10:00 AM**: The issue was detected by monitoring.\n"
            "- **10:20 AM**: Escalated to the search team.\n- **11:00 AM**: Service restored.\n")
    im = import_document(text, source="x.md", stem="x", taxonomy=TAXONOMY)
    found = moments(im)
    assert found["start"] == found["detected"] == "2024-06-08T10:00:00+00:00"
    assert found["resolved"] == "2024-06-08T11:00:00+00:00"


def test_approximate_times_are_reported_and_kept_when_rewritten(tmp_path):
    text = ("# Queue stall\n\n## Timeline\n\nAll times in UTC.\n\n**March 2, 2024**\n\n"
            "- ca. 18:30 queue depth grows\n- 18:45 alert fired\n")
    im = import_document(text, source="x.md", stem="x", taxonomy=TAXONOMY)
    assert [e["approximate"] for e in im.report.events] == [True, False]
    assert [e.approximate for e in loaded(im, tmp_path).timeline] == [True, False]


def test_a_title_that_starts_with_a_date_and_a_time():
    text = "# 2017-11-30 4:23PM PST, Proxy out of memory\n\n## Timeline\n\n### 2017-11-30 16:22 PST\n\nNode fills.\n"
    im = import_document(text, source="x.md", stem="x", taxonomy=TAXONOMY)
    assert (im.front_matter["title"], im.front_matter["date"]) == ("Proxy out of memory", dt.date(2017, 11, 30))


def test_a_day_first_date_heading_with_a_dot_carries_the_day():
    """`### 19. April, 11:00`: the next day of the incident, and the bare times under it belong to it."""
    text = ("# Culler flood\n\n## Timeline\n\nAll times in CEST\n\n### 2018-04-18 12:35\n\nDeploy.\n\n"
            "### ~13:30-13:45\n\nLaunch success drops to zero.\n\n### 14:29\n\nOutage is reported on the chat.\n\n"
            "### 17:03\n\nBelieving the issue to be resolved, work resumes.\n\n"
            "### 19. April, 11:00\n\nFix deployed.\n\n"
            "### 11:47\n\nThe hub image is reverted; everything is okay again.\n")
    im = import_document(text, source="x.md", stem="x", taxonomy=TAXONOMY)
    assert [e["at"][:16] for e in im.report.events][-2:] == ["2018-04-19T11:00", "2018-04-19T11:47"]
    assert im.report.events[1]["approximate"] is True
    found = moments(im)
    assert found["start"].startswith("2018-04-18T13:30")  # "drops to zero"
    assert found["detected"].startswith("2018-04-18T14:29")
    assert found["resolved"].startswith("2018-04-19T11:47")  # not the entry that only believed it was resolved


@pytest.mark.parametrize("moment, text, named", [
    ("detected", "pager fired for the checkout service", True),
    ("detected", "Users report that mails do not arrive", True),
    ("detected", "Problem is identified", True),
    ("detected", "Cloud Engineering member informed of an ingress problem", True),
    ("detected", "Root cause identified as a pool limit", False),
    ("resolved", "Launch rate goes back to 100%", True),
    ("resolved", "After reverting the image, everything is okay again.", True),
    ("resolved", "The issue may go away when the node is removed", False),
    ("resolved", "Believing the issue to be resolved, work resumes", False),
    ("resolved", "The restart did not resolve the issue", False),
    ("start", "Launch success drops to zero.", True),
])
def test_words_that_name_a_moment(moment, text, named):
    from postmortem_kb.importer.extract import _moment_word
    from postmortem_kb.timeline import TimelineEvent

    event = TimelineEvent(dt.datetime(2024, 1, 2, 10, 0, tzinfo=dt.timezone.utc), "10:00", text, None, 1)
    assert (_moment_word(event, moment) is not None) == named


def test_leading_entries_a_day_before_the_rest_are_background():
    text = ("# Nodes lost\n\n## Timeline\n\nAll times in UTC.\n\n| Time | Event |\n| --- | --- |\n"
            "| 2023-02-13 07:30 | Scheduled rollover sets the wrong runtime. |\n"
            "| 2023-02-14 09:33 | Logs missing: the investigation starts. |\n"
            "| 2023-02-14 10:46 | Healthy nodes are killed. |\n| 2023-02-14 11:01 | Traffic served again. |\n")
    im = import_document(text, source="x.md", stem="x", taxonomy=TAXONOMY)
    assert moments(im)["start"] == "2023-02-14T09:33:00+00:00"
    assert im.front_matter["date"] == dt.date(2023, 2, 14)  # the day of the start, every entry being dated


def test_plain_text_headings_without_blank_lines_and_a_bold_title():
    """`Timeline:` right under the text above it is a heading; `**Postmortem: X**` is the title X; the window's
    start and end on two lines of the summary."""
    text = ("**Postmortem: Web service outage - April 10, 2024**\n\nIssue Summary:\n"
            "    Start Time: April 10, 2024, 10:30 AM (UTC)\n    End Time: April 10, 2024, 1:15 PM (UTC)\n"
            "Timeline:\n- 10:30 AM: Issue detected through monitoring alerts.\n"
            "- 11:00 AM: Escalated to the on-call engineer.\n- 12:30 PM: Load balancer settings corrected.\n"
            "Root Cause:\nA load balancer setting.\n")
    im = import_document(text, source="x.txt", stem="x", taxonomy=TAXONOMY)
    assert im.kind == "text"
    assert im.front_matter["title"] == "Web service outage - April 10, 2024"
    assert len(im.report.events) == 3
    found = moments(im)
    assert found["start"] == found["detected"] == "2024-04-10T10:30:00+00:00"
    assert found["resolved"] == "2024-04-10T13:15:00+00:00"  # the End Time, no entry at it
