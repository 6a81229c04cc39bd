"""`pmkb import` on the documents beside the project (../shared): skipped when they are absent.

Nothing from ../shared is copied into the project; these tests only read it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import pytest
import yaml

from kit import ROOT
from postmortem_kb.cli import cli
from postmortem_kb.frontmatter import read_source
from postmortem_kb.importer import import_document
from postmortem_kb.loader import KBConfig, load_kb
from postmortem_kb.taxonomy import load_taxonomy
from postmortem_kb.writer import render_postmortem

TAXONOMY = load_taxonomy(ROOT / "taxonomy.yml")


@pytest.fixture
def example(shared) -> Path:
    path = shared / "examples" / "web-500-hardware-failure.txt"
    if not path.is_file():
        pytest.skip("../shared/examples/web-500-hardware-failure.txt is absent")
    return path


@pytest.fixture
def icco(shared) -> Path:
    path = shared / "corpus" / "icco-postmortems" / "data"
    if not path.is_dir():
        pytest.skip("../shared/corpus/icco-postmortems/data is absent")
    return path


def test_example_plain_text(example, tmp_path):
    im = import_document(example.read_text(encoding="utf-8"), source=example.name, stem=example.stem,
                         taxonomy=TAXONOMY)
    assert im.kind == "text"
    events = im.report.events
    assert len(events) == 6
    moments = {e["moment"]: e for e in events if e["moment"]}
    assert moments["start"]["at"] == "10:44:00+03:00"
    assert moments["detected"]["at"] == "10:49:00+03:00"
    assert moments["resolved"]["at"] == "11:04:00+03:00"
    assert im.front_matter["timezone"] == "+03:00"
    assert im.report.metrics["computed"]["time_to_detect_minutes"] == 5
    assert im.report.metrics["computed"]["time_to_resolve_minutes"] == 20
    assert [(a["title"], a["type"] in ("corrective", "preventive")) for a in im.report.action_items] == [
        ("Redundancy and Failover Systems", True), ("Regular Maintenance", True),
        ("Enhanced Monitoring and Alerting", True), ("Incident Response Improvements", True),
        ("Documentation and Knowledge Sharing", True), ("Training and Skill Development", True)]
    assert im.front_matter["root_causes"] == ["hardware-failure"]
    assert im.front_matter["date"] == "TODO" and "date" in im.report.missing
    problems = im.check(TAXONOMY, KBConfig(root=tmp_path), "x.md", tmp_path / "x.md")
    assert any(p.code == "repeated-text" and "Resolution and Recovery" in p.message for p in problems)
    assert any(p.code == "invalid-date" for p in problems)  # the validator points at the TODO date


def test_example_through_the_command(example, runner, kb_root):
    result = runner.invoke(cli, ["--kb", str(kb_root), "import", str(example), "--report", "json"])
    assert result.exit_code == 0, result.output
    entry = json.loads(result.stdout)["files"][0]
    assert "date" in entry["missing"]
    assert any("repeated-text" in w for w in entry["warnings"])
    written = kb_root / entry["output"]
    pm_text = written.read_text(encoding="utf-8")
    assert "- 10:49 (UTC +03:00)Incident response team notified" in pm_text
    validate = runner.invoke(cli, ["--kb", str(kb_root), "validate"])
    assert validate.exit_code == 1  # the TODO date and severity, on purpose
    assert "invalid-date" in validate.stdout


def _field_of(problem, doc) -> str | None:
    """The field (or required section) a validator error is about."""
    for key in ("title", "date", "severity", "root_causes"):
        if doc.lines.get((key,)) == problem.line or any(
                k[0] == key and line == problem.line for k, line in doc.lines.items() if k):
            return key
    if problem.code in ("missing-section", "empty-section"):
        if "Summary" in problem.message:
            return "section:summary"
        if "Root cause" in problem.message:
            return "section:root_cause"
    return None


def _fill_missing(path: Path, missing: list[str]) -> None:
    """What a writer does after the import: fill in exactly the fields the report says are missing."""
    text = path.read_text(encoding="utf-8")
    head, body = text.split("---\n", 2)[1:]
    fm = yaml.safe_load(head)
    fills = {"title": "Imported incident", "severity": "SEV3", "root_causes": ["software-bug"],
             "date": dt.date(2001, 2, 3)}
    for name in missing:
        if name in fills:
            fm[name] = fills[name]
    fm.pop("status", None)  # the import marks files with TODOs as drafts; filled in, they are published
    body = re.sub(r"<!-- The imported document has no [^>]*-->\nTODO", "Filled in after the import.", body)
    path.write_text(render_postmortem(fm, body), encoding="utf-8")


@pytest.mark.slow
def test_icco_corpus_imports_validates_and_builds(icco, runner, kb_root):
    sources = sorted(icco.glob("*.md"))
    result = runner.invoke(cli, ["--kb", str(kb_root), "import", str(icco), "--report", "json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)["files"]
    assert len(report) == len(sources)
    assert all(entry["output"] for entry in report)
    by_output = {entry["output"]: entry for entry in report}

    # 1. `pmkb validate` accepts them, except for fields the source lacks, each reported missing.
    kb = load_kb(KBConfig(root=kb_root))
    errors = [p for p in kb.problems if p.is_error]
    assert errors, "the corpus has no severities: the validator should point at the TODOs"
    for problem in errors:
        entry = by_output[problem.path]
        doc = read_source((kb_root / problem.path).read_bytes(), problem.path)
        field = _field_of(problem, doc)
        assert field is not None, problem.format_text()
        assert field in entry["missing"], (problem.format_text(), entry["missing"])
    for entry in report:  # unknown terms are kept as tags, never put where they would fail
        assert not any("unknown-term" in w for w in entry["warnings"])

    # A plain (not --strict) build already works: postmortems with TODOs are skipped with a warning.
    pytest.importorskip("postmortem_kb.mkdocs_plugin.plugin")
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    (kb_root / "docs").mkdir()
    (kb_root / "mkdocs.yml").write_text(
        "site_name: Imported KB\nuse_directory_urls: false\n"
        "theme:\n  name: material\n  font: false\n"
        "plugins:\n  - postmortems\n", encoding="utf-8")
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    build(load_config(str(kb_root / "mkdocs.yml")))
    assert (kb_root / "site" / "index.html").is_file()

    # 2. Once the writer fills in what the report says is missing, every postmortem is valid ...
    for entry in report:
        _fill_missing(kb_root / entry["output"], entry["missing"])
    kb = load_kb(KBConfig(root=kb_root))
    assert [p.format_text() for p in kb.problems if p.is_error] == []
    assert len(kb.postmortems) == len(sources)

    # 3. ... and the site builds with all of them, strict.
    build(load_config(str(kb_root / "mkdocs.yml"), strict=True))
    site = kb_root / "site"
    pages = {p.stem for p in site.rglob("*.html")}
    missing_pages = [pm.id for pm in kb.postmortems if pm.id not in pages]
    assert missing_pages == []
