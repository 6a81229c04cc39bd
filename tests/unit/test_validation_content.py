"""Content rules: control characters, dates the build can compute with, anchored patterns,
daylight saving, and the structural limits that keep every parser and the build linear."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from kit import ROOT, write_postmortem
from kit.pathological import pathological_cases
from postmortem_kb.loader import KBConfig, load_kb
from postmortem_kb.timeline import atx_heading

BASE = """---
title: {title}
date: {date}
severity: SEV2
authors: [{author}]
root_causes: [hardware-failure]
components: [web-server]
timezone: "{tz}"
---

## Summary

{summary}

## Timeline

{timeline}

## Root cause

A disk failed.
"""


def kb(tmp_path: Path, **fields) -> tuple[Path, list]:
    values = {"title": "Disk failure", "date": "2024-03-14", "author": "Sam", "tz": "+00:00",
              "summary": "The disk failed.", "timeline": "- 10:00 [start] x\n- 10:30 [resolved] y"}
    values.update(fields)
    (tmp_path / "taxonomy.yml").write_text((ROOT / "taxonomy.yml").read_text())
    write_postmortem(tmp_path, "x", BASE.format(**values))
    loaded = load_kb(KBConfig(root=tmp_path))
    return tmp_path, loaded


def codes(loaded) -> set[tuple[str, int]]:
    return {(p.code, p.line) for p in loaded.errors}


@pytest.mark.parametrize("field,value,line", [
    ("summary", "Latency \x1b[31mred\x1b[0m rose", 13),
    ("title", '"Disk \\x01 failure"', 2),
    ("author", '"Sam \\uFFFE"', 5),
    ("author", '"Sam \\U0010FFFF"', 5),
    ("summary", "a\x7fb", 13),
    ("summary", "C1 \x9b control", 13),
    ("title", '"carriage\\rreturn"', 2),
    ("title", '"form\\ffeed"', 2),
])
def test_control_characters_are_refused_with_their_line(tmp_path, field, value, line):
    _, loaded = kb(tmp_path, **{field: value})
    assert ("control-character", line) in codes(loaded)
    assert not loaded.postmortems


def test_control_character_in_a_key_is_refused(tmp_path):
    _, loaded = kb(tmp_path, tz='+00:00"\n"bad\\x1bkey": 1\nx: "')
    assert any(p.code == "control-character" for p in loaded.errors)


def test_tab_and_newline_are_fine(tmp_path):
    _, loaded = kb(tmp_path, summary="Columns:\tone\ttwo\n\nand a second paragraph.")
    assert loaded.errors == [], loaded.errors


@pytest.mark.parametrize("date,tz,timeline,code", [
    ("9999-12-31", "+00:00", "- 23:50 [start] x\n- 00:10 [resolved] y", "invalid-date"),
    ("0001-01-01", "-12:00", "- 00:10 [start] x\n- 00:20 [resolved] y", "invalid-date"),
    ("2999-12-31", "-12:00", "- 23:50 [start] x\n- 00:10 [resolved] y", "invalid-time"),
    ("2024-03-14", "+00:00", "- 9999-12-31 23:50 [start] x\n- 00:10 [resolved] y", "invalid-time"),
    ("2024-03-14", "+00:00", "- 0001-01-01 00:10 [start] x", "invalid-time"),
])
def test_dates_whose_arithmetic_overflows_are_refused(tmp_path, date, tz, timeline, code):
    _, loaded = kb(tmp_path, date=date, tz=tz, timeline=timeline)
    assert code in {p.code for p in loaded.errors}, loaded.problems
    assert all(p.code != "internal-error" for p in loaded.problems)


@pytest.mark.parametrize("value", ['"x\\n"', '"abc\\n"', '"a-b\\n"'])
def test_id_with_a_trailing_newline_is_refused(tmp_path, value):
    text = BASE.replace("title: {title}", "id: " + value + "\ntitle: {title}")
    (tmp_path / "taxonomy.yml").write_text((ROOT / "taxonomy.yml").read_text())
    write_postmortem(tmp_path, "x", text.format(title="T", date="2024-03-14", author="S", tz="+00:00",
                                                summary="s", timeline="- 10:00 x"))
    loaded = load_kb(KBConfig(root=tmp_path))
    assert ("invalid-id", 2) in codes(loaded)


@pytest.mark.parametrize("timeline,minutes", [
    ("- 01:55 [start] x\n- 03:10 [resolved] y", 15),  # 2024-03-31: 02:00 CET -> 03:00 CEST
    ("- 2024-03-31 01:55 [start] x\n- 2024-03-31 03:10 [resolved] y", 15),
    ("- 2024-03-30 23:55 [start] x\n- 2024-03-31 03:10 [resolved] y", 135),
])
def test_durations_across_daylight_saving_are_real_time(tmp_path, timeline, minutes):
    _, loaded = kb(tmp_path, date="2024-03-31", tz="Europe/Berlin", timeline=timeline)
    pm = loaded.postmortems[0]
    assert pm.metrics.time_to_resolve.total_seconds() / 60 == minutes
    assert pm.timeline[-1].at.utcoffset().total_seconds() == 7200  # CEST, as written


def test_front_matter_moments_across_daylight_saving(tmp_path):
    text = BASE.replace('timezone: "{tz}"', 'timezone: Europe/Berlin\nstarted_at: "2024-10-27 02:50"\n'
                        'resolved_at: "2024-10-27 02:05+01:00"')
    (tmp_path / "taxonomy.yml").write_text((ROOT / "taxonomy.yml").read_text())
    write_postmortem(tmp_path, "x", text.format(title="T", date="2024-10-27", author="S", summary="s",
                                                timeline="- 02:50 x"))
    loaded = load_kb(KBConfig(root=tmp_path))
    pm = loaded.postmortems[0]
    # 02:50 is read as the first (summer, +02:00) one; 02:05+01:00 is 15 minutes later
    assert pm.metrics.time_to_resolve.total_seconds() / 60 == 15


@pytest.mark.parametrize("line,expected", [
    ("## Timeline", (2, "Timeline")), ("## Timeline ##", (2, "Timeline")), ("##\tA #", (2, "A")),
    ("## C#", (2, "C#")), ("## ", (2, "")), ("####### x", None), ("##x", None), ("# a # b", (1, "a # b")),
    ("## " + " " * 5000 + "#" * 3 + " x", (2, "### x")),
])
def test_atx_headings(line, expected):
    assert atx_heading(line) == expected


class _Timeout(Exception):
    pass


def _alarm(*_):
    raise _Timeout


@pytest.mark.parametrize("case", pathological_cases(), ids=lambda c: c.name)
def test_pathological_inputs_load_quickly_and_are_refused_or_loaded(tmp_path, case):
    """A generous cap (10 s for what takes well under a second): a super-linear regression
    fails it; the times themselves are the benchmark's business."""
    (tmp_path / "taxonomy.yml").write_text((ROOT / "taxonomy.yml").read_text())
    write_postmortem(tmp_path, "x", case.text)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(10)
    try:
        loaded = load_kb(KBConfig(root=tmp_path))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    limit_codes = {"too-many-headings", "too-deep-markdown", "unbalanced-brackets"}
    found = {p.code for p in loaded.errors}
    if case.refused:
        assert found & limit_codes, loaded.problems
    else:
        assert not found & limit_codes, loaded.problems


def test_limits_catch_the_class_not_one_string(tmp_path):
    head = pathological_cases()[0].text.split("## ", 1)[0]
    variants = {
        "unbalanced-brackets": ["x [" * 1500, "[a](" * 1200, "![" * 1500, "[[[[ " * 400],
        "too-deep-markdown": ["".join("   " * i + "* a\n" for i in range(30)), "- " * 40 + "a",
                              "1. " * 30 + "a", "> " * 30 + "a", "<section>" * 60, "<SPAN>" * 60],
        "too-many-headings": ["".join(f"# {i}\n" for i in range(400)), "".join(f"a{i}\n===\n\n" for i in range(400))],
    }
    for code, bodies in variants.items():
        for body in bodies:
            path = write_postmortem(tmp_path, "x", head + "## Summary\n\ns\n\n## Root cause\n\nr\n\n" + body + "\n")
            (tmp_path / "taxonomy.yml").write_text((ROOT / "taxonomy.yml").read_text())
            loaded = load_kb(KBConfig(root=tmp_path))
            assert code in {p.code for p in loaded.errors}, (code, body[:40])
            path.unlink()


def test_ordinary_write_ups_are_under_every_limit():
    loaded = load_kb(KBConfig(root=ROOT))
    assert not [p for p in loaded.problems
                if p.code in ("too-many-headings", "too-deep-markdown", "unbalanced-brackets", "control-character")]
    assert len(loaded.postmortems) >= 10


def test_code_blocks_are_not_counted(tmp_path):
    head = pathological_cases()[0].text
    write_postmortem(tmp_path, "x", head + "```\n" + "[" * 5000 + "\n" + "- " * 50 + "\n```\n")
    (tmp_path / "taxonomy.yml").write_text((ROOT / "taxonomy.yml").read_text())
    assert load_kb(KBConfig(root=tmp_path)).errors == []


def test_the_quick_count_passes_only_what_the_scan_passes():
    """``within_limits`` lets a write-up skip the scan: it must never pass one the scan refuses,
    and the ordinary write-ups (and those just under a limit) are passed by the scan."""
    from postmortem_kb.validation.content import scan_structure, within_limits

    bodies = [case.text for case in pathological_cases()]
    bodies += ["- " * 20 + "a", "- " * 21 + "a", "".join("  " * i + "- a\n" for i in range(21)),
               "> " * 20 + "a", "> " * 21 + "a", "<div>" * 50, "<div>" * 51, "#\n" * 299, "#\n" * 301,
               "[" * 600 + "x" * 400, "[" * 700 + "x" * 600, "](" * 500 + "x" * 300, "1) 2. - + * a\n" * 5]
    bodies += [p.read_text(encoding="utf-8").split("\n---\n", 1)[-1]
               for p in sorted((ROOT / "postmortems").rglob("*.md"))]
    passed = 0
    for body in bodies:
        if within_limits(body):
            passed += 1
            assert scan_structure(body, 1, "x") == [], body[:60]
    assert passed > 10
