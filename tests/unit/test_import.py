"""`pmkb import` on documents of each kind written for these tests (tests/fixtures/import/)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import textwrap
from pathlib import Path

import pytest

from kit import ROOT
from postmortem_kb.cli import cli
from postmortem_kb.frontmatter import read_source
from postmortem_kb.importer import detect_kind, import_document
from postmortem_kb.importer.extract import parse_duration, parse_severity
from postmortem_kb.loader import KBConfig, load_kb
from postmortem_kb.taxonomy import load_taxonomy

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
TAXONOMY = load_taxonomy(ROOT / "taxonomy.yml")
REPORT_KEYS = {"source", "output", "found", "inferred", "missing", "warnings", "events", "action_items",
               "metrics"}


def imported(name: str, **kwargs):
    path = FIXTURES / name
    return import_document(path.read_text(encoding="utf-8"), source=name, stem=path.stem, taxonomy=TAXONOMY,
                           **kwargs)


def run(runner, kb_root, *args):
    return runner.invoke(cli, ["--kb", str(kb_root), "import", *map(str, args)])


def problems_of(kb_root: Path):
    kb = load_kb(KBConfig(root=kb_root))
    return kb, kb.problems


# --- detection ----------------------------------------------------------------------

@pytest.mark.parametrize("name, kind", [
    ("storage-node-psu-failure.txt", "text"), ("billing-export-outage.txt", "text"),
    ("checkout-latency.md", "markdown"), ("search-index-lag.md", "markdown"),
    ("foreign-frontmatter.md", "frontmatter"), ("foreign-no-date.md", "frontmatter"),
])
def test_kind_is_detected_from_content(name, kind):
    assert detect_kind((FIXTURES / name).read_text()) == kind


def test_kind_does_not_depend_on_the_file_name(tmp_path):
    text = (FIXTURES / "checkout-latency.md").read_text()
    assert detect_kind(text) == "markdown"
    result = import_document(text, source="x.txt", stem="x", taxonomy=TAXONOMY)
    assert result.kind == "markdown"
    assert result.front_matter["title"] == "Checkout latency after cache eviction storm"


# --- plain text -----------------------------------------------------------------------

def test_plain_text_timeline_moments_and_timezone():
    im = imported("storage-node-psu-failure.txt")
    events = im.report.events
    assert len(events) == 6
    assert [e["time"] for e in events][:2] == ["09:12 (UTC +02:00)", "09:20 (UTC +02:00)"]
    moments = {e["moment"]: e["at"] for e in events if e["moment"]}
    # No year in the document: times are reported as times of day with their offset.
    assert moments == {"start": "09:12:00+02:00", "detected": "09:20:00+02:00",
                       "mitigated": "09:31:00+02:00", "resolved": "10:07:00+02:00"}
    assert im.front_matter["timezone"] == "+02:00"
    assert im.report.metrics["computed"] == {"time_to_detect_minutes": 8.0, "time_to_mitigate_minutes": 19.0,
                                             "time_to_resolve_minutes": 55.0}
    assert "paged" in im.report.inferred["detected_at"]


def test_plain_text_action_items_and_root_cause():
    im = imported("storage-node-psu-failure.txt")
    titles = [a["title"] for a in im.front_matter["action_items"]]
    assert titles == ["Second Power Supply", "Spare Parts Check", "Standby Failover Runbook", "Power Supply Alert"]
    assert all(a["type"] in ("corrective", "preventive") for a in im.front_matter["action_items"])
    assert im.front_matter["root_causes"] == ["hardware-failure"]
    assert "root_causes" in im.report.inferred and "Root Cause" in im.report.inferred["root_causes"]


def test_date_without_a_year_is_todo_and_reported_missing():
    im = imported("storage-node-psu-failure.txt")
    assert im.front_matter["date"] == "TODO"
    assert "date" in im.report.missing
    assert any("in june" in w for w in im.report.warnings)


def test_repeated_section_text_is_reported(tmp_path):
    im = imported("storage-node-psu-failure.txt")
    problems = im.check(TAXONOMY, KBConfig(root=tmp_path), "x.md", tmp_path / "x.md")
    repeated = [p for p in problems if p.code == "repeated-text"]
    assert repeated and "Resolution and Recovery" in repeated[0].message


def test_plain_text_headings_become_sections_and_title_from_first_line():
    im = imported("billing-export-outage.txt")
    assert im.front_matter["title"] == "BILLING EXPORT OUTAGE"
    assert im.front_matter["date"] == dt.date(2024, 2, 19)
    assert im.report.inferred["date"] == "`2024-02-19` in the text"
    body_headings = [line for line in im.body.split("\n") if line.startswith("## ")]
    assert body_headings[:3] == ["## Summary:", "## Timeline:", "## Root cause:"]
    assert im.front_matter["root_causes"] == ["configuration-change"]
    done = [a for a in im.front_matter["action_items"] if a.get("status") == "done"]
    assert [a["title"] for a in done] == ["Add an alert when the export has not finished by 03:00"]
    # Bare times and no stated timezone: the timezone is reported missing, not assumed.
    assert "timezone" in im.report.missing and "timezone" not in im.front_matter


# --- Markdown from a template -----------------------------------------------------------

def test_markdown_template_stats_table_timeline_and_action_table():
    im = imported("checkout-latency.md")
    fm = im.front_matter
    assert fm["title"] == "Checkout latency after cache eviction storm"
    assert fm["date"] == dt.date(2024, 5, 7) and fm["severity"] == "SEV2"
    assert fm["timezone"] == "+00:00" and "All times in UTC" in im.report.inferred["timezone"]
    assert fm["root_causes"] == ["capacity"] and fm["components"] == ["redis", "payments-service"]
    assert fm["authors"] == ["Priya Raman", "Tom Keller"]
    # The unmatched category is kept as a tag and reported, not dropped.
    assert fm["tags"] == ["thundering herd"]
    assert any("thundering herd" in w for w in im.report.warnings)
    assert [e["moment"] for e in im.report.events] == ["start", "detected", "mitigated", "resolved"]
    assert im.report.events[0]["at"] == "2024-05-07T14:02:00+00:00"
    items = fm["action_items"]
    assert items[0] == {"title": "Alert on cache memory above 80%", "type": "preventive", "action": "add-monitoring",
                        "owner": "Priya Raman", "status": "done", "due": dt.date(2024, 6, 1)}
    assert items[1]["status"] == "in-progress" and items[1]["due"] == dt.date(2024, 7, 15)
    assert "# Checkout latency" not in im.body  # the title moved to the front matter


def test_stated_and_computed_metrics_and_their_disagreement():
    im = imported("checkout-latency.md")
    metrics = im.report.metrics
    assert metrics["stated"] == {"time_to_detect_minutes": 8.0, "time_to_resolve_minutes": 70.0}
    assert metrics["computed"]["time_to_detect_minutes"] == 8.0
    assert metrics["computed"]["time_to_resolve_minutes"] == 62.0
    disagree = [w for w in im.report.warnings if w.startswith("time to resolve")]
    assert disagree and "70" in disagree[0] and "62" in disagree[0]
    assert not [w for w in im.report.warnings if w.startswith("time to detect")]


def test_complete_markdown_import_validates_and_is_published(kb_root):
    im = imported("checkout-latency.md")
    assert im.report.missing == []
    path = kb_root / "postmortems" / f"{im.id}.md"
    path.write_text(im.text(), encoding="utf-8")
    kb, problems = problems_of(kb_root)
    assert [p for p in problems if p.is_error] == []
    pm = kb.by_id[im.id]
    assert pm.status == "published"
    assert pm.metrics.time_to_detect == dt.timedelta(minutes=8)
    assert pm.metrics.time_to_resolve == dt.timedelta(minutes=62)
    assert pm.metrics.mitigated_at.isoformat() == "2024-05-07T14:25:00+00:00"


def test_setext_headings_unknown_stats_and_list_timeline():
    im = imported("search-index-lag.md")
    assert im.front_matter["title"] == "Search index lag during reindex"
    assert im.front_matter["severity"] == "TODO" and "severity" in im.report.missing
    assert im.report.metrics["stated"] == {"time_to_detect_minutes": None, "time_to_resolve_minutes": 120.0}
    assert any("`N/A`" in w for w in im.report.warnings) and any("`?`" in w for w in im.report.warnings)
    assert [e["moment"] for e in im.report.events] == ["start", "detected", "resolved"]
    assert "## Timeline" in im.body.split("\n")
    assert [a["title"] for a in im.front_matter["action_items"]] == [
        "Move the reindex back to the night window", "Alert on index lag over 10 minutes"]


def test_markdown_with_deeper_sections_and_a_title_heading():
    text = textwrap.dedent("""\
        ## Incident: Login failures after certificate rotation

        ### Summary
        Logins failed for 20 minutes on 2025-03-02.

        ### Timeline (UTC)
        - 09:00 Certificate rotated.
        - 09:05 Alert fired for login errors.
        - 09:20 Old certificate restored, logins back to normal.

        ### Root Cause
        An expired certificate was deployed to the auth service.
        """)
    im = import_document(text, source="x.md", stem="x", taxonomy=TAXONOMY)
    assert im.front_matter["title"] == "Login failures after certificate rotation"
    assert "## Timeline (UTC)" in im.body and "### " not in im.body
    assert im.front_matter["timezone"] == "+00:00"
    assert im.front_matter["root_causes"] == ["expired-certificate"]
    assert [e["moment"] for e in im.report.events] == ["start", "detected", "resolved"]


# --- another tool's front matter ----------------------------------------------------------

def test_foreign_front_matter_is_mapped():
    im = imported("foreign-frontmatter.md")
    fm = im.front_matter
    assert fm["title"] == "Example Corp: DNS resolution failures for the API"
    assert fm["date"] == dt.date(2022, 9, 14)
    assert fm["started_at"] == dt.datetime(2022, 9, 14, 8, 30, tzinfo=dt.timezone.utc)
    assert fm["resolved_at"] == dt.datetime(2022, 9, 14, 9, 45, tzinfo=dt.timezone.utc)
    assert fm["root_causes"] == ["dns"]
    assert "cloud" in fm["tags"] and "ttl" in fm["tags"]
    assert "cloud" in next(w for w in im.report.warnings if "kept as tags" in w)
    assert im.report.metrics["computed"]["time_to_resolve_minutes"] == 75.0
    lines = im.body.split("\n")
    assert lines[lines.index("## Summary") + 2].startswith("An expired zone delegation")
    assert "- Source: https://status.example.org/incidents/42" in lines
    assert "## Root cause" in lines and "section:root_cause" in im.report.missing
    for original in ("On September 14, 2022 the API's hostname stopped resolving for most clients.",
                     "The delegation of the zone had expired at the registrar."):
        assert original in im.body


def test_foreign_front_matter_without_date_or_title_leaves_todos(kb_root):
    im = imported("foreign-no-date.md")
    assert im.front_matter["date"] == "TODO" and im.front_matter["root_causes"] == ["TODO"]
    assert {"date", "severity", "root_causes"} <= set(im.report.missing)
    path = kb_root / "postmortems" / f"{im.id}.md"
    path.write_text(im.text(), encoding="utf-8")
    _, problems = problems_of(kb_root)
    # The import marks it a draft: TODOs and empty sections are warnings there, the TODO date stays an error.
    assert "invalid-date" in {p.code for p in problems if p.is_error}
    assert {"todo", "empty-section"} <= {p.code for p in problems}


def test_format_can_be_forced():
    text = (FIXTURES / "search-index-lag.md").read_text()
    as_text = import_document(text, source="x", stem="x", taxonomy=TAXONOMY, kind="text")
    assert as_text.kind == "text"
    assert as_text.report.to_json()["source"] == "x"


# --- small parsers ------------------------------------------------------------------------

@pytest.mark.parametrize("text, minutes", [
    ("8 minutes", 8), ("4 hours 42 minutes", 282), ("1h 05m", 65), ("2 days", 2880), ("01:30", 90),
    ("90 min", 90), ("1.5 hours", 90), ("about 3 hrs", 180),
])
def test_parse_duration(text, minutes):
    assert parse_duration(text) == dt.timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["?", "soon", ""])
def test_parse_duration_unknown(text):
    assert parse_duration(text) is None


@pytest.mark.parametrize("text, level, how", [
    ("SEV2", "SEV2", "found"), ("sev-1", "SEV1", "found"), ("Critical", "SEV1", "titled"), ("P3", "SEV3", "level 3"),
])
def test_parse_severity(text, level, how):
    got = parse_severity(text, TAXONOMY)
    assert got[0] == level and how in got[1]


def test_unknown_severity_is_not_guessed():
    assert parse_severity("High", TAXONOMY) is None
    im = import_document("# Outage\n\n- Severity: High\n\n## Summary\n\nIt broke.\n", source="x", stem="x",
                         taxonomy=TAXONOMY)
    assert im.front_matter["severity"] == "TODO"
    assert any("High" in w for w in im.report.warnings)


# --- the command --------------------------------------------------------------------------

def test_cli_writes_files_that_load_and_reports_json(runner, kb_root):
    result = run(runner, kb_root, FIXTURES, "--report", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert len(report["files"]) == len([p for p in FIXTURES.rglob("*") if p.is_file()])  # every file, once
    for entry in report["files"]:
        assert set(entry) == REPORT_KEYS
        assert set(entry["metrics"]) == {"stated", "computed"}
        assert set(entry["metrics"]["stated"]) == {"time_to_detect_minutes", "time_to_resolve_minutes"}
        assert set(entry["metrics"]["computed"]) == {"time_to_detect_minutes", "time_to_mitigate_minutes",
                                                     "time_to_resolve_minutes"}
        for event in entry["events"]:
            assert set(event) == {"at", "time", "text", "moment", "approximate"}
        for item in entry["action_items"]:
            assert set(item) == {"title", "type"}
        assert (kb_root / entry["output"]).is_file()
    written = sorted((kb_root / "postmortems").rglob("*.md"))
    assert len(written) == len(report["files"])
    for path in written:  # every file is a postmortem the loader reads (maybe with TODO errors)
        read_source(path.read_bytes(), path.name)
    assert "source" in result.stderr and "result" in result.stderr  # the summary table


def test_cli_text_report_and_summary_table(runner, kb_root):
    result = run(runner, kb_root, FIXTURES / "storage-node-psu-failure.txt")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "inferred: title from the file name" in out
    assert "missing:  date, severity" in out
    assert "1 file: 1 written" in out
    assert (kb_root / "postmortems" / "storage-node-psu-failure.md").is_file()


def test_dry_run_writes_nothing(runner, kb_root):
    result = run(runner, kb_root, FIXTURES, "--dry-run")
    assert result.exit_code == 0, result.output
    assert list((kb_root / "postmortems").rglob("*")) == []
    assert "would write" in result.stdout


def test_never_overwrites_without_force(runner, kb_root):
    source = FIXTURES / "checkout-latency.md"
    assert run(runner, kb_root, source).exit_code == 0
    target = next((kb_root / "postmortems").rglob("*.md"))
    target.write_text(target.read_text() + "\nEdited by hand.\n", encoding="utf-8")
    again = run(runner, kb_root, source, "--report", "json")
    assert again.exit_code == 1
    entry = json.loads(again.stdout)["files"][0]
    assert entry["output"] is None and any("already exists" in w for w in entry["warnings"])
    assert target.read_text().endswith("Edited by hand.\n")
    forced = run(runner, kb_root, source, "--force")
    assert forced.exit_code == 0
    assert not target.read_text().endswith("Edited by hand.\n")


def test_same_id_twice_in_one_import_gets_a_suffix(runner, kb_root, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("a.md", "b.md"):
        shutil.copy(FIXTURES / "checkout-latency.md", src / name)
    result = run(runner, kb_root, src)
    assert result.exit_code == 0, result.output
    names = sorted(p.stem for p in (kb_root / "postmortems").rglob("*.md"))
    assert names == ["2024-05-07-checkout-latency-after-cache-eviction-storm",
                     "2024-05-07-checkout-latency-after-cache-eviction-storm-2"]


@pytest.mark.parametrize("title", ["../../../etc/passwd", "..", "/tmp/evil", "<script>alert(1)</script>",
                                   "C:\\Windows\\system32", "~/.ssh/id_rsa", "\u202e\u200b", "...."])
def test_hostile_titles_never_leave_out(runner, kb_root, tmp_path, title):
    src = tmp_path / "src"
    src.mkdir()
    (src / "doc.md").write_text(f"# {title}\n\n## Summary\n\nSomething broke on 2024-01-02.\n", encoding="utf-8")
    out = tmp_path / "kb-out"
    before = set(tmp_path.rglob("*"))
    result = run(runner, kb_root, src, "--out", out)
    assert result.exit_code == 0, result.output
    files = [p for p in set(tmp_path.rglob("*")) - before if p.is_file()]
    assert files and all(out in p.parents for p in files)
    assert all(p.suffix == ".md" and p.name.replace(".md", "").replace("-", "").isalnum() for p in files)


def test_bad_arguments_are_usage_errors(runner, kb_root):
    assert run(runner, kb_root, kb_root / "missing.txt").exit_code == 2
    assert run(runner, kb_root, FIXTURES, "--severity", "SEV9").exit_code == 2
    empty = kb_root / "empty-dir"
    empty.mkdir()
    assert run(runner, kb_root, empty).exit_code == 2


def test_unreadable_input_is_reported_not_a_traceback(runner, kb_root, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "binary.txt").write_bytes(b"\x00\x01\x02")
    (src / "latin1.txt").write_bytes("Panne du caf\xe9".encode("latin-1"))
    (src / "bad-yaml.md").write_text("---\ntitle: [unclosed\n---\nbody\n", encoding="utf-8")
    (src / "good.md").write_bytes((FIXTURES / "checkout-latency.md").read_bytes())
    result = run(runner, kb_root, src, "--report", "json")
    assert result.exit_code == 1
    files = {Path(f["source"]).name: f for f in json.loads(result.stdout)["files"]}
    for name in ("binary.txt", "latin1.txt"):
        assert files[name]["output"] is None and files[name]["warnings"]
    assert "binary" in files["binary.txt"]["warnings"][0]  # found in a folder: skipped, with the reason
    assert "not-utf8" in files["latin1.txt"]["warnings"][0]
    assert files["good.md"]["output"]
    assert "Traceback" not in result.output


def test_severity_option_is_reported_as_inferred(runner, kb_root):
    result = run(runner, kb_root, FIXTURES / "foreign-frontmatter.md", "--severity", "SEV3", "--report", "json")
    entry = json.loads(result.stdout)["files"][0]
    assert entry["inferred"]["severity"].startswith("--severity SEV3")
    assert "severity" not in entry["missing"]


def test_progress_goes_to_stderr(runner, kb_root):
    result = run(runner, kb_root, FIXTURES, "--report", "json")
    assert "Importing" in result.stderr
    json.loads(result.stdout)  # stdout stays parseable


def test_a_postmortem_already_in_the_kb_format_imports_unchanged(kb_root):
    from kit import write_postmortem

    path = write_postmortem(kb_root, "2024-03-14-disk-failure")
    original = read_source(path.read_bytes(), path.name)
    im = import_document(path.read_text(encoding="utf-8"), source=path.name, stem=path.stem, taxonomy=TAXONOMY)
    assert im.kind == "frontmatter"
    assert im.front_matter == {"id": "2024-03-14-disk-failure", **original.front_matter}
    assert original.body.strip() in im.body
    assert im.report.missing == [] and im.report.inferred == {} and im.report.warnings == []
    assert {"started_at", "detected_at", "resolved_at", "action_items"} <= set(im.report.found)


def test_empty_sections_are_missing_not_found():
    text = "# Cache outage on 2024-04-04\n\n## Summary\n\n## Root cause\n\nTODO\n\n## Timeline\n\n- 10:00 it broke\n"
    im = import_document(text, source="x.md", stem="x", taxonomy=TAXONOMY)
    assert {"section:summary", "section:root_cause"} <= set(im.report.missing)
    assert "section:summary" not in im.report.found


def test_unknown_terms_in_stated_fields_are_reported_never_written_as_terms():
    text = textwrap.dedent("""\
        ---
        title: Quota exhausted
        date: 2024-04-04
        severity: SEV3
        root_causes: [cosmic-rays, capacity]
        components: [flux-capacitor]
        action_items:
          - title: Raise the quota
            action: pray
        ---

        ## Summary

        The quota ran out.

        ## Root cause

        Growth.
        """)
    im = import_document(text, source="x.md", stem="x", taxonomy=TAXONOMY)
    assert im.front_matter["root_causes"] == ["capacity"]
    assert im.front_matter["components"] == []
    assert im.front_matter["tags"] == ["cosmic-rays", "flux-capacitor"]
    assert "action" not in im.front_matter["action_items"][0]
    warnings = " ".join(im.report.warnings)
    assert "cosmic-rays" in warnings and "flux-capacitor" in warnings and "`pray`" in warnings


def test_plain_text_headings_ending_in_a_colon_and_an_alert_that_opens_the_timeline():
    text = textwrap.dedent("""\
        Post-Mortem Report: API outage

        Summary:
        The API was down for an hour on 12 March 2024.

        Timeline:
        14:05 UTC+1 - Monitoring alert fired for API errors.
        14:10 UTC+1 - Engineers began investigating the API servers.
        15:05 UTC+1 - Load balancer configuration rolled back.
        15:20 UTC+1 - Service fully restored.

        Root Cause and Resolution:
        The load balancer had been misconfigured during maintenance.

        Corrective Measures:
        Configuration Review: Review every load balancer change before it ships.
        Health Checks: Add health checks on the load balancer.
        """)
    im = import_document(text, source="x.txt", stem="x", taxonomy=TAXONOMY)
    assert im.front_matter["title"] == "API outage"
    assert im.front_matter["timezone"] == "+01:00"
    # The first entry is the alert: the start (nothing says earlier) and the detection
    # (in the front matter: one marker a line).
    assert [e["moment"] for e in im.report.events] == ["start", None, "mitigated", "resolved"]
    assert "detected_at" in im.front_matter and "detected_at" in im.report.inferred
    assert im.report.metrics["computed"]["time_to_detect_minutes"] == 0
    assert im.front_matter["root_causes"] == ["configuration-change"]
    assert "misconfigured" in im.report.inferred["root_causes"]
    assert [a["title"] for a in im.front_matter["action_items"]] == ["Configuration Review", "Health Checks"]
    assert {a["type"] for a in im.front_matter["action_items"]} == {"corrective"}  # from the heading


@pytest.mark.parametrize("label, zone, written", [
    ("Start time", None, "started_at: 2024-03-14 10:00:00\n"),
    ("Start time (UTC)", "+00:00", "started_at: 2024-03-14 10:00:00+00:00\n"),
    ("Start time (PDT)", "-07:00", "started_at: 2024-03-14 10:00:00-07:00\n"),
])
def test_stated_times_keep_their_zone_or_lack_of_one(label, zone, written):
    text = f"# Queue stall\n\n- {label}: 2024-03-14 10:00\n- End time: 2024-03-14 11:30\n\n## Summary\n\nStalled.\n"
    im = import_document(text, source="x.md", stem="x", taxonomy=TAXONOMY)
    assert im.front_matter.get("timezone") == zone
    assert written in im.text()
    assert ("timezone" in im.report.missing) == (zone is None)
    assert im.report.metrics["computed"]["time_to_resolve_minutes"] == 90


def test_a_dated_file_name_gives_date_and_title_and_owners_are_not_authors():
    text = "Summary\nThe cron host ran out of disk.\n\nAction items\n- Owner: Sam\n- Rotate the logs daily\n"
    im = import_document(text, source="2023-08-01-cron-disk-full.txt", stem="2023-08-01-cron-disk-full",
                         taxonomy=TAXONOMY)
    assert im.front_matter["date"] == dt.date(2023, 8, 1)
    assert im.front_matter["title"] == "Cron disk full"
    assert im.report.inferred["date"] == "the file name `2023-08-01-cron-disk-full`"
    assert "authors" not in im.front_matter


def test_a_crash_on_one_file_is_reported_and_the_rest_imported(runner, kb_root, monkeypatch):
    from postmortem_kb.importer import run as run_module

    real = run_module.import_document

    def flaky(text, **kwargs):
        if kwargs["stem"] == "foreign-no-date":
            raise RuntimeError("boom")
        return real(text, **kwargs)

    monkeypatch.setattr(run_module, "import_document", flaky)
    monkeypatch.delenv("PMKB_DEBUG", raising=False)
    result = run(runner, kb_root, FIXTURES, "--report", "json")
    assert result.exit_code == 1
    files = {Path(f["source"]).stem: f for f in json.loads(result.stdout)["files"]}
    assert "RuntimeError: boom" in files["foreign-no-date"]["warnings"][0]
    assert sum(1 for f in files.values() if f["output"]) == len(files) - 1


def test_a_symlinked_year_folder_does_not_lead_outside_out(runner, kb_root, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "2024").symlink_to(elsewhere, target_is_directory=True)
    result = run(runner, kb_root, FIXTURES / "checkout-latency.md", "--out", out, "--report", "json")
    assert result.exit_code == 1
    entry = json.loads(result.stdout)["files"][0]
    assert entry["output"] is None and "outside" in entry["warnings"][-1]
    assert list(elsewhere.iterdir()) == []
