"""The loader and the model: fields, lines, metrics, KB-wide checks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kit import ROOT, write_postmortem
from postmortem_kb.loader import KBConfig, load_kb
from postmortem_kb.model import Postmortem


def load(root: Path, **kw):
    return load_kb(KBConfig(root=root, today=dt.date(2026, 11, 24), **kw))


def codes(kb) -> list[tuple[str, int, str]]:
    return [(p.path, p.line, p.code) for p in kb.problems]


def test_loads_fields_and_metrics(kb_root):
    write_postmortem(kb_root, "disk")
    kb = load(kb_root)
    assert kb.problems == []
    pm = kb.by_id["disk"]
    assert isinstance(pm, Postmortem)
    assert pm.title == "Disk failure on web-1"
    assert pm.date == dt.date(2024, 3, 14)
    assert pm.components == ["web-server"] and pm.root_causes == ["hardware-failure"]
    assert pm.metrics.time_to_detect == dt.timedelta(minutes=5)
    assert pm.metrics.time_to_resolve == dt.timedelta(minutes=30)
    assert pm.metrics.time_to_mitigate is None
    assert pm.metrics.impact_duration == dt.timedelta(minutes=30)
    item = pm.action_items[0]
    expected = ("add-monitoring", "open", dt.date(2030, 1, 1), "preventive")
    assert (item.action, item.status, item.due, item.type) == expected
    assert not item.is_overdue(dt.date(2026, 11, 24)) and item.is_overdue(dt.date(2031, 1, 1))
    assert pm.line_of("action_items", 0, "due") == 14


def test_aliases_resolve_to_the_term(kb_root):
    write_postmortem(kb_root, "a", components="Nginx, PostgreSQL", root_causes="Config Change")
    pm = load(kb_root).by_id["a"]
    assert pm.components == ["web-server", "postgres"]
    assert pm.root_causes == ["configuration-change"]


def test_metrics_with_timezone_and_midnight_crossing(kb_root):
    write_postmortem(kb_root, "night", """\
        ---
        title: Night outage
        date: 2024-12-31
        severity: SEV1
        timezone: "+05:30"
        ---
        ## Summary
        It broke over new year.
        ## Timeline
        - 23:50 [start] Error rate rises.
        - 23:58 [detected] Pager fires.
        - 00:20 [mitigated] Traffic drained.
        - 01:05 [resolved] Fixed.
        ## Root cause
        A bug.
        """)
    pm = load(kb_root).by_id["night"]
    m = pm.metrics
    assert m.started_at == dt.datetime(2024, 12, 31, 23, 50, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))
    assert m.resolved_at.date() == dt.date(2025, 1, 1)
    assert m.time_to_detect == dt.timedelta(minutes=8)
    assert m.time_to_mitigate == dt.timedelta(minutes=30)
    assert m.time_to_resolve == dt.timedelta(minutes=75)


def test_explicit_timestamps_win_and_mix_offsets(kb_root):
    write_postmortem(kb_root, "x", """\
        ---
        title: Mixed offsets
        date: 2024-03-01
        severity: SEV3
        started_at: 2024-03-01T10:00:00+02:00
        detected_at: 2024-03-01T08:30:00Z
        resolved_at: "2024-03-01 12:00"
        timezone: "+02:00"
        ---
        ## Summary
        s
        ## Root cause
        r
        """)
    m = load(kb_root).by_id["x"].metrics
    assert m.time_to_detect == dt.timedelta(minutes=30)
    assert m.time_to_resolve == dt.timedelta(hours=2)


def test_iana_timezone_follows_daylight_saving(kb_root):
    for name, date in (("winter", "2024-01-15"), ("summer", "2024-07-15")):
        write_postmortem(kb_root, name, f"""\
            ---
            title: {name}
            date: {date}
            severity: SEV4
            timezone: Europe/Berlin
            ---
            ## Summary
            s
            ## Timeline
            - 12:00 [start] x
            - 12:10 [resolved] y
            ## Root cause
            r
            """)
    kb = load(kb_root)
    assert kb.by_id["winter"].metrics.started_at.utcoffset() == dt.timedelta(hours=1)
    assert kb.by_id["summer"].metrics.started_at.utcoffset() == dt.timedelta(hours=2)


def test_unknown_metrics_are_not_invented(kb_root):
    write_postmortem(kb_root, "bare", """\
        ---
        title: No timeline
        date: 2024-03-01
        severity: SEV3
        ---
        ## Summary
        s
        ## Root cause
        r
        """)
    m = load(kb_root).by_id["bare"].metrics
    assert m.started_at is None and m.time_to_detect is None and m.time_to_resolve is None


def test_duplicate_ids_name_both_files(kb_root):
    write_postmortem(kb_root, "a/same")
    write_postmortem(kb_root, "b/same")
    kb = load(kb_root)
    dup = [p for p in kb.problems if p.code == "duplicate-id"]
    assert {p.path for p in dup} == {"postmortems/a/same.md", "postmortems/b/same.md"}
    assert any("postmortems/a/same.md" in p.message for p in dup if p.path.endswith("b/same.md"))
    assert [p.source for p in kb.postmortems] == ["postmortems/a/same.md"]


def test_related_must_exist_and_not_be_self(kb_root):
    write_postmortem(kb_root, "one")
    path = write_postmortem(kb_root, "two")
    text = path.read_text().replace("timezone:", "related: [one, two, oen]\ntimezone:")
    path.write_text(text)
    kb = load(kb_root)
    found = {(p.code, p.line) for p in kb.problems if p.path.endswith("two.md")}
    assert ("related-self", 7) in found and ("unknown-related", 7) in found
    hint = next(p.hint for p in kb.problems if p.code == "unknown-related")
    assert "one" in hint


def test_unknown_term_has_did_you_mean_and_can_be_relaxed(kb_root):
    write_postmortem(kb_root, "t", root_causes="hardwre-failure")
    kb = load(kb_root)
    (problem,) = [p for p in kb.problems if p.code == "unknown-term"]
    assert problem.line == 6 and problem.is_error and "hardware-failure" in problem.hint
    kb = load(kb_root, strict_terms=False)
    (problem,) = [p for p in kb.problems if p.code == "unknown-term"]
    assert not problem.is_error and "t" in kb.by_id


def test_sections_required_and_repeated_text(kb_root):
    para = "The disk controller failed and took the whole array with it, which nobody expected to happen."
    write_postmortem(kb_root, "s", f"""\
        ---
        title: Sections
        date: 2024-03-01
        severity: SEV3
        ---
        ## Summary

        ## Root cause
        {para}
        ## Resolution and recovery
        {para}
        """)
    kb = load(kb_root)
    found = {(p.code, p.line) for p in kb.problems}
    assert ("empty-section", 6) in found
    assert ("repeated-text", 10) in found


def test_sample_kb_loads_clean_and_has_variety():
    kb = load_kb(KBConfig(root=ROOT))
    assert [p.format_text() for p in kb.errors] == []
    assert len(kb.postmortems) >= 15
    assert len({p.date.year for p in kb.postmortems}) >= 4
    assert len({p.severity for p in kb.postmortems}) == 4
    assert len({rc for p in kb.postmortems for rc in p.root_causes}) >= 6


def test_sample_web_500_metrics():
    pm = load_kb(KBConfig(root=ROOT)).by_id["web-500-hardware-failure"]
    assert pm.metrics.time_to_detect == dt.timedelta(minutes=5)
    assert pm.metrics.time_to_resolve == dt.timedelta(minutes=20)
    assert pm.metrics.started_at.utcoffset() == dt.timedelta(hours=3)


def test_postmortems_sorted_newest_first(kb_root):
    write_postmortem(kb_root, "old", date="2021-01-01")
    write_postmortem(kb_root, "new", date="2025-01-01")
    write_postmortem(kb_root, "mid", date="2023-01-01")
    assert [p.id for p in load(kb_root).postmortems] == ["new", "mid", "old"]


@pytest.mark.parametrize("value,code", [("SEV9", "invalid-value"), ("[SEV1]", "invalid-value")])
def test_configurable_severities(kb_root, value, code):
    (kb_root / "taxonomy.yml").write_text("severities: [P0, P1, P2]\n")
    write_postmortem(kb_root, "p", severity="P1", components="anything", root_causes="whatever")
    write_postmortem(kb_root, "q", severity=value)
    kb = load(kb_root)
    assert "p" in kb.by_id
    assert [p.code for p in kb.problems if p.path.endswith("q.md")] == [code]


def test_obvious_spellings_are_forgiven(kb_root):
    write_postmortem(kb_root, "lenient", """\
        ---
        title: Lenient
        date: 2024-03-01T22:10:00+02:00
        severity: sev2
        status: Published
        ---
        ## Summary
        s
        ## Root cause
        r
        """)
    kb = load(kb_root)
    assert kb.errors == []
    pm = kb.by_id["lenient"]
    assert (pm.date, pm.severity, pm.status) == (dt.date(2024, 3, 1), "SEV2", "published")


def test_another_tools_front_matter_points_to_import(kb_root):
    write_postmortem(kb_root, "foreign", """\
        ---
        title: Storage outage
        date: 2024-03-01
        severity: SEV2
        start_time: 2024-03-01T10:00:00Z
        ---
        ## Summary
        s
        ## Root cause
        r
        """)
    (problem,) = load(kb_root).problems
    assert (problem.code, problem.line) == ("unknown-field", 5) and "pmkb import" in problem.hint


# -- The schema rule reads jsonschema's errors by structure ------------------------------------

def test_every_missing_field_and_every_unknown_field_is_its_own_problem(kb_root):
    write_postmortem(kb_root, "bare", """\
        ---
        title: Only a title
        colour: red
        flavour: sour
        ---
        ## Summary
        s
        ## Root cause
        r
        """)
    found = sorted((p.code, p.message) for p in load(kb_root).problems if p.code in ("missing-field", "unknown-field"))
    assert found == [("missing-field", "`date` is required"), ("missing-field", "`severity` is required"),
                     ("unknown-field", "`colour` is not a postmortem field"),
                     ("unknown-field", "`flavour` is not a postmortem field")]
    lines = {p.message: p.line for p in load(kb_root).problems}
    assert lines["`colour` is not a postmortem field"] == 3 and lines["`flavour` is not a postmortem field"] == 4


def test_explanations_do_not_depend_on_jsonschema_message_text(kb_root, monkeypatch):
    """The messages are prose that may change between releases: replace every one of them and the
    problems (code, field, line) stay the same, except the last-resort fallback that quotes it."""
    import jsonschema

    from postmortem_kb.validation import schema

    write_postmortem(kb_root, "mixed", """\
        ---
        title: A title
        date: "2024-13-45"
        severity: SEVX
        colour: red
        components: web-server
        action_items:
          - owner: Sam
            due: someday
        ---
        ## Summary
        s
        ## Root cause
        r
        """)
    before = sorted((p.line, p.code, p.message) for p in load(kb_root).problems)
    real = schema.validator.__wrapped__

    class Garbled:
        def __init__(self, inner):
            self.inner = inner

        def iter_errors(self, data):
            for err in self.inner.iter_errors(data):
                err.message = "\u2603 no words here \u2603"
                yield err

    schema.validator.cache_clear()
    schema.quick_check.cache_clear()
    monkeypatch.setattr(schema, "validator", lambda severities: Garbled(real(severities)))
    try:
        after = sorted((p.line, p.code, p.message) for p in load(kb_root).problems)
    finally:
        monkeypatch.undo()
        schema.quick_check.cache_clear()
    assert after == before
    assert {code for _, code, _ in before} >= {"invalid-date", "invalid-value", "unknown-field", "wrong-type",
                                                "missing-field"}
    assert isinstance(real(("SEV1",)), jsonschema.protocols.Validator)


@pytest.mark.parametrize("value", ["2024-03-14", "2024-02-30", "2024-3-14", "24-03-14", "2024-03-14T10:00",
                                   "２０２４-03-14", "2024-03-14\n", " 2024-03-14", "0000-01-01", "", 20240314])
def test_the_quick_date_format_agrees_with_jsonschema(value):
    import jsonschema

    from postmortem_kb.validation.schema import is_date

    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    assert is_date(value) == checker.conforms(value, "date")


def test_load_one_gives_the_postmortem_or_what_stopped_it(kb_root):
    from postmortem_kb.loader import load_one
    from postmortem_kb.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(kb_root / "taxonomy.yml")
    good = load_one(write_postmortem(kb_root, "good"), taxonomy, KBConfig(root=kb_root))
    assert good.postmortem is not None and good.postmortem.id == "good" and good.problems == []
    broken = kb_root / "postmortems" / "broken.md"
    broken.write_text("no front matter here\n", encoding="utf-8")
    refused = load_one(broken, taxonomy, KBConfig(root=kb_root))
    assert refused.postmortem is None and [p.code for p in refused.all_problems] == ["missing-front-matter"]


# -- Checking some files against the KB's ids (pmkb validate FILE) -----------------------------

TRICKY = {
    "2020/a.md": {"id": "shared"},
    "2020/b.md": {"id": "shared", "related": "[ghost, shared, b, shared-two]"},
    "2021/c.md": {"raw_id": "id: 'shared'  # quoted"},
    "2021/d.md": {"raw_id": "id: shared\ntitle: [unclosed"},  # does not load: takes part in no rule
    "2021/e.md": {"related": "[shared, e, missing-one, d]"},
    "2022/f.md": {"raw_title": 'title: "a title that runs on\nid: fake"'},
    "2022/g.md": {"raw_id": "id: 123"},  # not text: the schema refuses it, the id is the file name
    "2022/h.md": {"raw_id": 'id: "shared-\\u0074wo"'},  # escapes: only the reader knows
    "2022/i.md": {"raw_id": "id: yes"},
    "2022/sub/shared.md": {},  # no id: its file name, after the folder's own files
    "2023/shared-two.md": {"related": "[f, fake, b]"},
    "2023/.hidden.md": {"id": "shared"},
}


def _tricky_kb(root: Path) -> None:
    for name, spec in TRICKY.items():
        lines = ["---"]
        lines.append(spec.get("raw_title", "title: A tricky one"))
        lines += ["date: 2024-03-14", "severity: SEV2"]
        if "id" in spec:
            lines.append(f"id: {spec['id']}")
        if "raw_id" in spec:
            lines.append(spec["raw_id"])
        if "related" in spec:
            lines.append(f"related: {spec['related']}")
        lines += ["---", "## Summary", "s", "## Root cause", "r", ""]
        path = root / "postmortems" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines), encoding="utf-8")


@pytest.mark.parametrize("cache", [False, True])
def test_checking_one_file_gives_the_problems_of_a_whole_kb_check(kb_root, cache, monkeypatch, tmp_path):
    from postmortem_kb.loader import load_files

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    _tricky_kb(kb_root)
    config = KBConfig(root=kb_root, today=dt.date(2026, 11, 24))
    whole = load_kb(config)
    assert {"duplicate-id", "unknown-related", "related-self", "yaml-syntax"} <= {p.code for p in whole.problems}
    for path in sorted((kb_root / "postmortems").rglob("*.md")):
        source = path.relative_to(kb_root).as_posix()
        # The whole KB loaded with the file (a hidden file is not found, but checked when named).
        reference = load_kb(config, [path])
        for attempt in range(2 if cache else 1):  # the second from the cache
            alone = load_files(config, [path], cache=cache)
            assert alone.problems == [p for p in reference.problems if p.path == source], (source, attempt)
            assert [pm.id for pm in alone.postmortems] == [pm.id for pm in reference.postmortems
                                                           if pm.source == source]


def test_the_id_cache_follows_changed_files(kb_root, monkeypatch, tmp_path):
    from postmortem_kb.loader import load_files

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    one = write_postmortem(kb_root, "one")
    two = write_postmortem(kb_root, "two")
    config = KBConfig(root=kb_root)
    assert load_files(config, [two]).problems == []
    assert list((tmp_path / "cache").rglob("ids.json"))
    text = one.read_text().replace("title:", "id: two\ntitle:", 1)
    one.write_text(text + "\n")  # another size, whatever the clock's resolution
    assert [p.code for p in load_files(config, [two]).problems] == ["duplicate-id"]


@pytest.mark.parametrize("damage", [
    "not json", "[]", '{"version": 3}', '{"version": 3, "files": [[], [], []]}',
    '{"version": 3, "files": [[1, 2], [1], [1], [0]]}', '{"version": 3, "files": [[[1]], [1], [1], [0]]}',
    '{"version": 3, "files": [["1"], ["x"], [null], ["two"]]}', '{"version": 2, "files": [[1, 2, 3, 0]]}',
])
def test_a_damaged_id_cache_reads_as_no_cache(kb_root, monkeypatch, tmp_path, damage):
    """The cache is outside the repository but may be anything: whatever is in it, the ids (and
    so the problems) are those the files give, and the next run writes a good cache."""
    from postmortem_kb.loader import load_files

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    one = write_postmortem(kb_root, "one")
    two = write_postmortem(kb_root, "two")
    one.write_text(one.read_text().replace("title:", "id: two\ntitle:", 1))
    config = KBConfig(root=kb_root)
    assert [p.code for p in load_files(config, [two]).problems] == ["duplicate-id"]
    (cache,) = (tmp_path / "cache").rglob("ids.json")
    cache.write_text(damage)
    assert [p.code for p in load_files(config, [two]).problems] == ["duplicate-id"]
    assert [p.code for p in load_files(config, [two]).problems] == ["duplicate-id"]  # from the rewritten cache


@pytest.mark.parametrize("text,expected", [
    ("---\nid: abc\ntitle: x\n---\n", "abc"),
    ("---\ntitle: x\n---\n", "stem"),
    ("---\nid: 'it''s'\n---\n", "it's"),
    ('---\nid: "abc"  # c\n---\n', "abc"),
    ("---\nid: 2024-01-01\n---\n", "stem"),
    ("---\nid: null\n---\n", "stem"),
    ("---\nid:\n---\n", "stem"),
    ("---\ntitle: \"runs\nid: on\"\n---\n", None),
    ("---\ntags: [a,\nid: b]\n---\n", None),
    ("---\nimpact: |\n  id: not-a-key\n---\n", "stem"),
    ("---\nid: a\nid: b\n---\n", None),
    ("---\n\"id\": a\n---\n", None),
    ("---\nid: abc\n", None),
    ("+++\nid = 'abc'\n+++\n", None),
    ("---\nid: Not An Id\n---\n", None),
    ("---\nitems:\n  - title: \"open\n    more\"\n---\n", None),
    ("---\nauthors: [Liam O'Brien, Ann]\nid: abc\n---\n", "abc"),
    ("---\nauthors: [a, 'b]', c]\nid: abc\n---\n", None),
])
def test_the_id_line_scan_is_sure_or_says_it_is_not(text, expected):
    from postmortem_kb.ids import _UNSURE, scan_id

    found = scan_id(text, "stem")
    assert (None if found is _UNSURE else found) == expected


def test_checking_one_file_loads_no_library_only_other_commands_need(kb_root, tmp_path):
    """`pmkb validate FILE` starts fast: no search index, no HTML, no templates, and jsonschema
    only to explain front matter that fails (a valid file never imports it)."""
    import json
    import os
    import subprocess
    import sys

    path = write_postmortem(kb_root, "fine")
    code = ("import sys, json\n"
            "from postmortem_kb.cli import cli\n"
            f"try:\n    cli.main(['--kb', {str(kb_root)!r}, 'validate', {str(path)!r}], prog_name='pmkb')\n"
            "except SystemExit as exc:\n    print('exit', exc.code, file=sys.stderr)\n"
            "print(json.dumps(sorted(sys.modules)), file=sys.stderr)")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    lines = proc.stderr.strip().splitlines()
    assert "exit 0" in lines, proc.stderr[-2000:]
    loaded = {m.split(".")[0] for m in json.loads(lines[-1])}
    assert not loaded & {"whoosh", "jsonschema", "nh3", "jinja2", "markdown", "mkdocs", "feedgen", "pymdownx"}
