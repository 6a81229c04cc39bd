"""Property tests of the import and of writing postmortems back to files.

* Any text (or any bytes in a file) given to the import gives a postmortem it can write and the
  KB can read, or a clear report of why not: never an unhandled exception.
* A valid postmortem made up by hypothesis, written by writer.py and read by the loader, is the
  postmortem that was made up; written and read once more, nothing changes (lossless).

tests/test_import_property.py checks that the import loses no line of a document; the writer's
hand-written cases (and every sample postmortem) are tests/test_import_writer.py's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kit import ROOT
from postmortem_kb.frontmatter import decode, read_source
from postmortem_kb.importer import KINDS, import_document
from postmortem_kb.importer.report import FAILED, WRITTEN
from postmortem_kb.importer.run import ImportOptions, import_files
from postmortem_kb.loader import KBConfig, build_postmortem, load_one
from postmortem_kb.problems import PostmortemError, Problem
from postmortem_kb.taxonomy import load_taxonomy
from postmortem_kb.writer import write_postmortem

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TAXONOMY = load_taxonomy(ROOT / "taxonomy.yml")
CONFIG = KBConfig(root=ROOT)
COMPONENTS = sorted(TAXONOMY.terms["components"])
ROOT_CAUSES = sorted(TAXONOMY.terms["root_causes"])
ACTIONS = sorted(TAXONOMY.terms["actions"])


def assert_clear(problems: list[Problem]) -> None:
    assert problems
    for p in problems:
        assert isinstance(p, Problem) and p.line >= 1 and p.code and p.message


# --- any input to the import ------------------------------------------------------------------

_printable = st.characters(codec="utf-8", exclude_categories=("Cs",))
# Pieces of real postmortems and of the ways they go wrong: fences, YAML, times, headings, markup.
_pieces = st.sampled_from([
    "---", "...", "+++", "title: Outage", "title: [unclosed", "date: 2024-02-30", "date: 2024-03-14",
    "severity: SEV1", "severity: SEV9", "\ttabbed: value", "a: &x [1]", "b: *x", "!!python/object:os.system",
    "- 10:00 Alert fired", "- 25:99 impossible", "14:05 UTC detected", "2024-03-14 09:00 started",
    "## Timeline", "# Root cause", "Summary", "=======", "Action Items", "- [ ] TODO fix it", "| a | b |",
    "<script>alert(1)</script>", "[x](javascript:alert(1))", "```", "\ufeff", "\r", "\x00", "é✓", "Zeitplan",
    "Impact: 3 hours", "Owner: Sam", "Due: next week", "Time to detection: 8 minutes", "{{ 7*7 }}",
])
documents = st.lists(st.one_of(_pieces, st.text(_printable, max_size=60)), max_size=40).map("\n".join)


@FUZZ
@given(st.one_of(documents, st.text(max_size=500)), st.sampled_from([None, *KINDS]), st.text(max_size=30))
def test_any_text_gives_a_postmortem_or_problems(text, kind, stem):
    # As the import reads a file: the reader's decoding first (no NUL, newlines made \n), then the import.
    try:
        decoded, _, _ = decode(text.encode("utf-8", "surrogatepass"), "x.md")
        imported = import_document(decoded, source="x.md", stem=stem, taxonomy=TAXONOMY, kind=kind)
    except PostmortemError as exc:
        assert_clear(exc.problems)
        return
    # What the import would write is a file the KB reads: a postmortem, maybe with TODOs to fill.
    doc = read_source(imported.text().encode("utf-8"), "x.md")
    pm = build_postmortem(doc, TAXONOMY, CONFIG, imported.id, ROOT / "postmortems" / f"{imported.id}.md")
    for p in pm.problems:
        assert p.line >= 1 and p.code and p.message
    assert imported.id and "/" not in imported.id and ".." not in imported.id


_encodings = st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16", "cp1252"])


@FUZZ
@given(st.one_of(st.binary(max_size=400),
                 st.tuples(documents, _encodings).map(lambda t: t[0].encode(t[1], errors="replace"))))
def test_any_file_gives_a_written_postmortem_or_a_report(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("import")
    source = folder / "in" / "incident.md"
    source.parent.mkdir()
    source.write_bytes(data)
    out = folder / "out"
    run = import_files([source], ImportOptions(out=out), TAXONOMY, KBConfig(root=folder))
    [report] = run.reports
    written = [p for p in out.rglob("*") if p.is_file()] if out.exists() else []
    if report.result == WRITTEN:
        assert len(written) == 1 and written[0].resolve().is_relative_to(out.resolve())
        loaded = load_one(written[0], TAXONOMY, KBConfig(root=folder))
        if loaded.postmortem is None:
            assert_clear(loaded.problems)
    else:
        assert report.result == FAILED and written == []
        assert report.warnings and all(w.strip() for w in report.warnings)


def test_a_document_just_under_the_size_limit_imports_or_reports(tmp_path):
    """The import adds front matter: a document just under the reader's size limit must not turn
    into a file the import itself then cannot read."""
    from postmortem_kb.frontmatter import MAX_FILE_BYTES

    line = "10:00 the service answered slowly and we kept looking at the dashboards\n"
    text = "Outage of the web tier\n\nTimeline\n" + line * ((MAX_FILE_BYTES - 100) // len(line))
    source = tmp_path / "big.txt"
    source.write_text(text, encoding="utf-8")
    assert source.stat().st_size < MAX_FILE_BYTES
    run = import_files([source], ImportOptions(out=tmp_path / "out"), TAXONOMY, KBConfig(root=tmp_path))
    [report] = run.reports
    assert report.result in (WRITTEN, FAILED)
    if report.result == FAILED:
        assert any("file-too-large" in w for w in report.warnings), report.warnings


# --- model -> file -> model -------------------------------------------------------------------

_line_chars = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"))
# A field saying TODO is reported by the validator on purpose: made postmortems say none.
words = st.text(_line_chars, min_size=1, max_size=40).map(str.strip).filter(lambda t: t and "TODO" not in t)
titles = words.filter(lambda t: "todo" not in t.lower())


def _keeps_sections(line: str) -> bool:
    """Not a line that starts a section, underlines a heading or opens a code block (which would
    hide the next sections): a section's prose, whatever else it holds."""
    return not (line.lstrip().startswith("#") or re.fullmatch(r"\s*[-=]+\s*", line) or "```" in line
                or "~~~" in line)


# Prose a valid postmortem may hold: no control character but tab (the KB refuses them: control-character).
prose = st.lists(st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"),
                                       include_characters="\t", exclude_characters="\ufffe\uffff"),
                         max_size=80).filter(_keeps_sections), max_size=4).map(
    lambda lines: "\n".join(["It went wrong."] + lines)).filter(lambda t: "TODO" not in t)
action_items = st.fixed_dictionaries(
    {"title": titles},
    optional={"type": st.sampled_from(["corrective", "preventive", "mitigative"]),
              "action": st.sampled_from(ACTIONS),
              "owner": st.one_of(st.none(), words),
              "status": st.sampled_from(["open", "in-progress", "done", "wont-do"]),
              "due": st.one_of(st.none(), st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31))),
              "ticket": st.one_of(st.from_regex(r"[A-Z]{2,5}-[1-9][0-9]{0,4}", fullmatch=True),
                                  st.integers(1, 99999),
                                  st.from_regex(r"https://tracker\.example\.org/[A-Za-z0-9_/-]{1,20}",
                                                fullmatch=True))})


@st.composite
def postmortems(draw) -> tuple[dict, str]:
    """Front matter and body of a valid postmortem."""
    date = draw(st.dates(dt.date(1995, 1, 1), dt.date(2030, 12, 31)))
    severity = draw(st.sampled_from(["SEV1", "SEV2", "SEV3", "SEV4"]))
    fm: dict = {"title": draw(titles), "date": date, "severity": severity,
                "root_causes": draw(st.lists(st.sampled_from(ROOT_CAUSES), min_size=1, max_size=3, unique=True))}
    optional = {
        "status": st.sampled_from(["draft", "in-review", "published"]),
        "authors": st.lists(words, max_size=3),
        "components": st.lists(st.sampled_from(COMPONENTS), max_size=3, unique=True),
        "trigger": prose, "detection": words, "impact": prose,
        "tags": st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,15}[a-z0-9]", fullmatch=True), max_size=4, unique=True),
        "timezone": st.sampled_from(["+00:00", "+03:00", "-05:30", "+14:00", "UTC", "Europe/Paris"]),
        "action_items": st.lists(action_items, max_size=4),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            fm[key] = draw(strategy)
    # A timeline that runs forwards, in minutes after 00:00 of the day.
    gaps = draw(st.lists(st.integers(0, 120), min_size=1, max_size=6))
    events, minute = [], draw(st.integers(0, 8 * 60))
    for gap in gaps:
        minute += gap
        # " - " ends the time: text right after a time may otherwise be its zone ("10:00 HKT").
        events.append(f"- {minute // 60:02d}:{minute % 60:02d} - {draw(words)}")
    body = (f"\n## Summary\n\n{draw(prose)}\n\n## Timeline\n\n" + "\n".join(events)
            + f"\n\n## Root cause\n\n{draw(prose)}\n")
    return fm, body


def comparable(pm) -> dict:
    """The postmortem's content: every field except where and from which bytes it was read."""
    skip = {"path", "source", "lines", "digest", "body_line"}
    out = {}
    for f in dataclasses.fields(pm):
        if f.name in skip:
            continue
        value = getattr(pm, f.name)
        if dataclasses.is_dataclass(value):
            value = dataclasses.asdict(value)
        elif isinstance(value, list) and value and dataclasses.is_dataclass(value[0]):
            value = [{k: v for k, v in dataclasses.asdict(x).items() if k != "line"} for x in value]
        out[f.name] = value
    out["problems"] = sorted((p.code, p.message) for p in pm.problems)
    return out


@FUZZ
@given(postmortems())
def test_written_postmortems_read_back_as_made(tmp_path_factory, made):
    front_matter, body = made
    root = tmp_path_factory.mktemp("kb")
    shutil.copy(ROOT / "taxonomy.yml", root / "taxonomy.yml")
    config = KBConfig(root=root)
    path = write_postmortem(root / "postmortems" / "made.md", front_matter, body)
    loaded = load_one(path, TAXONOMY, config)
    first = loaded.postmortem
    assert first is not None, [p.format_text() for p in loaded.problems]
    assert [p.format_text() for p in first.problems if p.is_error] == []
    # The model says what was made.
    assert (first.title, first.date, first.severity) == (front_matter["title"], front_matter["date"],
                                                         front_matter["severity"])
    assert first.root_causes == front_matter["root_causes"]
    assert first.components == front_matter.get("components", [])
    assert first.status == front_matter.get("status", "published")
    assert first.authors == front_matter.get("authors", [])
    assert first.tags == front_matter.get("tags", [])
    for key in ("trigger", "detection", "impact"):
        assert (getattr(first, key) or None) == (front_matter.get(key) or None), key
    made_items = front_matter.get("action_items", [])
    assert [a.title for a in first.action_items] == [a["title"] for a in made_items]
    for item, made_item in zip(first.action_items, made_items):
        assert item.owner == made_item.get("owner")
        assert item.due == made_item.get("due")
        assert item.status == made_item.get("status", "open")
        assert item.action == made_item.get("action")
        if made_item.get("ticket") is not None:
            assert str(item.ticket) == str(made_item["ticket"])
    assert first.body == body
    # Written again from the model and read again: nothing changes.
    again = write_postmortem(root / "copy" / "made.md", first.front_matter, first.body)
    second = load_one(again, TAXONOMY, config).postmortem
    assert second is not None
    assert comparable(second) == comparable(first)
    assert again.read_bytes() == path.read_bytes()
