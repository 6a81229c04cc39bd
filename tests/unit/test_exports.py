"""catalog.json, its schema, the per-incident JSON files and ``pmkb export``."""

from __future__ import annotations

import csv
import io
import json

import jsonschema
import pytest

from kit.insights import AS_OF, PUBLISHED, write_fixture_kb
from postmortem_kb.cli import cli
from postmortem_kb.loader import KBConfig, load_kb
from postmortem_kb.site import SiteOptions
from postmortem_kb.site.build import SiteBuild
from postmortem_kb.site.exports import CATALOG, CATALOG_SCHEMA, catalog_schema, exports


@pytest.fixture
def kb(tmp_path):
    write_fixture_kb(tmp_path)
    return load_kb(KBConfig(root=tmp_path, today=AS_OF))


def generate(kb, **options):
    return {f.path: f.content for f in exports(SiteBuild(kb, SiteOptions(**options)))}


def validator(schema):
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def test_catalog_validates_and_lists_exactly_the_published_postmortems(kb):
    files = generate(kb, site_url="https://kb.example.com/")
    data = json.loads(files[CATALOG])
    schema = json.loads(files[CATALOG_SCHEMA])
    assert schema == catalog_schema()  # the site ships the package's schema
    validator(schema).validate(data)
    assert [p["id"] for p in data["postmortems"]] == PUBLISHED
    assert data["count"] == 6 and data["as_of"] == "2025-01-01"


def test_catalog_records_hold_metadata_metrics_action_items_and_urls(kb):
    data = json.loads(generate(kb, site_url="https://kb.example.com")[CATALOG])
    rec = {p["id"]: p for p in data["postmortems"]}
    a = rec["disk-a"]
    assert a["url"] == "https://kb.example.com/incidents/disk-a/"
    assert a["json_url"] == "https://kb.example.com/incidents/disk-a.json"
    assert (a["severity"], a["severity_title"], a["status"], a["date"]) == ("SEV1", "Critical", "published",
                                                                           "2023-01-10")
    assert a["title"] == "Incident disk-a <b>&</b>"  # data stays data: JSON needs no HTML escaping
    assert [t["slug"] for t in a["root_causes"]] == ["hardware-failure"]
    assert a["components"][0]["feed"] == "https://kb.example.com/feeds/components/web-server.xml"
    assert a["metrics"]["time_to_detect_minutes"] == 5 and a["metrics"]["time_to_resolve_minutes"] == 60
    assert a["metrics"]["started_at"] == "2023-01-10T10:00:00+00:00"
    assert [(i["status"], i["due"], i["overdue"]) for i in a["action_items"]] == [
        ("done", "2023-02-01", False), ("open", "2023-03-01", True)]
    assert rec["dns-g"]["metrics"]["time_to_detect_minutes"] is None
    assert a["source"] == "postmortems/disk-a.md"


def test_one_json_per_incident_validates_against_the_catalog_entry(kb):
    files = generate(kb)
    schema = json.loads(files[CATALOG_SCHEMA])
    entry = validator({"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": "#/$defs/postmortem"})
    singles = {p: c for p, c in files.items() if p.startswith("incidents/")}
    assert sorted(singles) == sorted(f"incidents/{i}.json" for i in PUBLISHED)
    catalog = {p["id"]: p for p in json.loads(files[CATALOG])["postmortems"]}
    for _path, content in singles.items():
        one = json.loads(content)
        entry.validate(one)
        one.pop("$schema")
        assert one == catalog[one["id"]]


def test_the_schema_catches_a_wrong_catalog(kb):
    files = generate(kb)
    data = json.loads(files[CATALOG])
    check = validator(json.loads(files[CATALOG_SCHEMA]))
    data["postmortems"][0]["metrics"]["time_to_detect_minutes"] = "ten"
    assert list(check.iter_errors(data))
    data = json.loads(files[CATALOG])
    del data["postmortems"][0]["url"]
    assert list(check.iter_errors(data))


def test_exports_are_the_same_bytes_every_build_and_relative_without_site_url(kb):
    first, second = generate(kb), generate(kb)
    assert first == second
    data = json.loads(first[CATALOG])
    assert data["site_url"] is None and data["postmortems"][0]["url"] == "incidents/dns-g/"


def test_export_command_json_and_csv(runner, tmp_path):
    write_fixture_kb(tmp_path)
    result = runner.invoke(cli, ["--kb", str(tmp_path), "export", "--as-of", "2025-01-01"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    validator(catalog_schema()).validate(data)
    assert [p["id"] for p in data["postmortems"]] == PUBLISHED
    result = runner.invoke(cli, ["--kb", str(tmp_path), "export", "--format", "csv", "--as-of", "2025-01-01",
                                 "--site-url", "https://kb.example.com/"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["id"] for r in rows] == PUBLISHED
    a = next(r for r in rows if r["id"] == "disk-b")
    assert a["components"] == "web-server;load-balancer" and a["time_to_resolve_minutes"] == "120.0"
    assert a["url"] == "https://kb.example.com/incidents/disk-b/"
    assert next(r for r in rows if r["id"] == "disk-a")["overdue_action_items"] == "1"


def test_export_to_a_file_and_with_a_period(runner, tmp_path):
    write_fixture_kb(tmp_path)
    out = tmp_path / "out" / "catalog.json"
    result = runner.invoke(cli, ["--kb", str(tmp_path), "export", "-o", str(out), "--since", "2024-07"])
    assert result.exit_code == 0, result.output
    assert [p["id"] for p in json.loads(out.read_text())["postmortems"]] == ["dns-g", "lb-config-e"]
    assert [p.name for p in out.parent.iterdir()] == ["catalog.json"]  # no temporary file left


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(runner, tmp_path):
    write_fixture_kb(tmp_path)
    path = tmp_path / "postmortems" / "disk-a.md"
    path.write_text(path.read_text().replace("title: Incident disk-a <b>&</b>", 'title: "=HYPERLINK(1)"'))
    result = runner.invoke(cli, ["--kb", str(tmp_path), "export", "--format", "csv"])
    assert result.exit_code == 0, result.output
    row = next(r for r in csv.DictReader(io.StringIO(result.stdout)) if r["id"] == "disk-a")
    assert row["title"] == "'=HYPERLINK(1)"


def test_a_built_site_has_the_catalog_feeds_and_incident_json(tmp_path):
    """Through the real plugin: what `mkdocs build` writes validates and lists the published ones."""
    import importlib.util
    import os
    import subprocess
    import sys

    import feedparser

    if importlib.util.find_spec("postmortem_kb.mkdocs_plugin") is None:
        pytest.skip("the MkDocs plugin is not there yet")
    write_fixture_kb(tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text("site_name: KB\ntheme:\n  name: material\n  font: false\n"
                                         "plugins:\n  - postmortems\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", "site"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stderr
    site = tmp_path / "site"
    data = json.loads((site / "catalog.json").read_text(encoding="utf-8"))
    validator(json.loads((site / "catalog.schema.json").read_text(encoding="utf-8"))).validate(data)
    assert [p["id"] for p in data["postmortems"]] == PUBLISHED
    for record in data["postmortems"]:
        assert (site / record["url"] / "index.html").is_file()  # the URL is a real page of the site
        assert (site / record["json_url"]).is_file()
    assert not (site / "incidents" / "draft-f.json").exists()
    feed = feedparser.parse((site / "feeds" / "postmortems.xml").read_bytes())
    assert not feed.bozo and [e.id.rsplit(":", 1)[1] for e in feed.entries] == PUBLISHED


def test_the_plugin_passes_the_site_url_to_feeds_and_catalog(tmp_path):
    """With `site_url` in mkdocs.yml, the catalog's URLs and the feed's ids are absolute."""
    import os
    import subprocess
    import sys

    import feedparser

    write_fixture_kb(tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text("site_name: KB\nsite_url: https://kb.example.com/pm/\n"
                                         "theme:\n  name: material\n  font: false\nplugins:\n  - postmortems\n",
                                         encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", "site"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "site" / "catalog.json").read_text(encoding="utf-8"))
    assert data["site_url"] == "https://kb.example.com/pm/"
    assert [p["url"] for p in data["postmortems"]] == [f"https://kb.example.com/pm/incidents/{i}/" for i in PUBLISHED]
    feed = feedparser.parse((tmp_path / "site" / "feeds" / "postmortems.xml").read_bytes())
    assert feed.entries and all(e.link.startswith("https://kb.example.com/pm/incidents/") for e in feed.entries)


# Spreadsheet safety: formulas in cells, and in the ;-separated parts of list cells ---------------

from postmortem_kb.catalog import csv_safe, to_csv  # noqa: E402


@pytest.mark.parametrize("value,expected", [
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
    ("+1", "'+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("  =1+1", "'  =1+1"),
    ("a;=cmd|x", "a;'=cmd|x"), ("ok;@SUM(1);-x;fine", "ok;'@SUM(1);'-x;fine"), ("a; +1", "a;' +1"),
    ("plain text", "plain text"), ("a-b=c", "a-b=c"), ("", ""),
])
def test_csv_safe_neutralises_every_part_that_a_spreadsheet_would_run(value, expected):
    assert csv_safe(value) == expected


def test_numbers_stay_numbers():
    assert csv_safe(-3) == -3 and csv_safe(2.5) == 2.5 and csv_safe(None) is None


def test_to_csv_quotes_text_so_lists_stay_one_cell():
    text = to_csv(["a", "n"], [["x;y", 3], ["=1", None]])
    lines = text.splitlines()
    assert lines[1] == '"x;y",3' and lines[2] == "\"'=1\",\"\""


def test_catalog_csv_has_no_cell_or_part_a_spreadsheet_runs(tmp_path):
    import csv
    import io

    from kit import write_postmortem

    write_fixture_kb(tmp_path)
    write_postmortem(tmp_path, "formulas", """\
        ---
        title: "=HYPERLINK(\\"https://evil.example\\",\\"x\\")"
        date: 2024-04-01
        severity: SEV3
        authors: ["Ana", "=cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "+x"]
        tags: [ok, formula]
        components: [web-server]
        root_causes: [hardware-failure]
        detection: "\\t=1+1"
        timezone: "+00:00"
        ---

        ## Summary

        Spreadsheet bait.

        ## Root cause

        A formula.
        """)
    kb = load_kb(KBConfig(root=tmp_path, today=AS_OF))
    from postmortem_kb.catalog import catalog, catalog_csv
    from postmortem_kb.site.urls import Urls

    text = catalog_csv(catalog(kb.visible(), kb.taxonomy, AS_OF, Urls()))
    rows = list(csv.reader(io.StringIO(text)))
    assert any("formulas" in row for row in rows)
    for row in rows[1:]:
        for cell in row:
            for part in cell.split(";"):
                assert not part.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")), (cell, part)
    assert '"' in text.splitlines()[1]  # text cells are quoted


def test_json_never_fails_on_text_utf8_cannot_carry():
    from postmortem_kb.catalog import to_json

    text = to_json({"title": "broken \ud800 surrogate", "ok": "é"})
    assert json.loads(text)["title"] == "broken \ud800 surrogate"
    text.encode("utf-8")
