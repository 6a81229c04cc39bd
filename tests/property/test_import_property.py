"""Property: the import never loses a line of body text, whatever the document says."""

from __future__ import annotations

import datetime as dt
import json
import os
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kit import ROOT
from postmortem_kb.frontmatter import read_source
from postmortem_kb.importer import import_document, strip_added_markers
from postmortem_kb.taxonomy import load_taxonomy
from postmortem_kb.validation.content import CONTROL

TAXONOMY = load_taxonomy(ROOT / "taxonomy.yml")
_ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_UNDERLINE = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_LIST_MARK = re.compile(r"^(?:[-*+]|\d+[.)])\s+")

# Characters that matter to the parsers: Markdown marks, table pipes, colons, brackets, times.
_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"))
words = st.text(alphabet=st.sampled_from(list("abcdefghij XYZ:|#*-[]()0123456789.,é✓")) | _CHARS,
                min_size=1, max_size=40).map(lambda s: s.replace("\n", " "))
headings = st.sampled_from(["Summary", "Issue summary", "Timeline", "Root Cause", "Contributing Factors",
                            "Resolution and Recovery", "Corrective and Preventive measures", "Action Items",
                            "Lessons Learned", "Impact", "Detection", "Notes", "Timeline (UTC)"])
times = st.builds(lambda h, m, off, text: f"{h:02d}:{m:02d}{off}{text}", st.integers(0, 23), st.integers(0, 59),
                  st.sampled_from(["", " ", " (UTC +03:00)", " (UTC +03:00) ", " UTC "]),
                  st.sampled_from(["Alert fired", "Service restored", "Rolled back", "it began", "notified", ""])
                  | words)
titled = st.builds(lambda a, b: f"{a.strip() or 'Item'}: {b}", st.sampled_from(["Redundancy", "Regular Checks",
                                                                                  "Alerting", "Runbook"]), words)
rows = st.builds(lambda t, e: f"| 2024-01-0{t} 10:0{t} | {e} |", st.integers(1, 9), words)
list_items = st.builds(lambda mark, text: f"{mark} {text}", st.sampled_from(["-", "*", "1.", "- [ ]", "- [x]"]),
                       words)
stats = st.builds(lambda k, v: f"- {k}: {v}", st.sampled_from(["Severity", "Category", "Time to detection",
                                                               "Time to recovery", "Date", "Components"]),
                  st.sampled_from(["?", "N/A", "8 minutes", "SEV2", "Hardware", "2024-02-30", "web"]) | words)
# Entries in the other families and time forms the import reads: headings with prose, wrapped,
# 12-hour and approximate times, date lines.
wrapped = st.builds(lambda fmt, h, m, text: fmt.format(t=f"{h}:{m:02d}") + text,
                    st.sampled_from(["### {t} ", "### 2024-01-02 {t} - ", "- **[{t}]** ", "- `{t}` ", "* ~{t} ",
                                     "- ca. {t} ", "{t} PM ", "- {t}a ", "| {t} | ", "**January 2nd, 2024**",
                                     "- **Detection:** {t} PM - ", "  - {t} PM - ", "[{t}] dana: ", "{t} <lee> ",
                                     "- **Actions Taken:**"]),
                    st.integers(0, 12), st.integers(0, 59), words)
lines = st.one_of(words, times, titled, rows, list_items, stats, wrapped, st.just(""), st.just("---"),
                  st.just("==="), st.just("All times in UTC"), st.just("```"))


@st.composite
def section_blocks(draw, style: str) -> str:
    out = []
    for _ in range(draw(st.integers(0, 5))):
        heading = draw(headings)
        mark = {"text": "", "markdown": draw(st.sampled_from(["# ", "## ", "### "]))}[style]
        out.append(f"{mark}{heading}")
        out.extend(draw(st.lists(lines, max_size=8)))
        out.append("")
    return "\n".join(draw(st.lists(lines, max_size=4)) + [""] + out)


# The full time the import writes before an entry the KB would read at another instant.
_ADDED_TIME = re.compile(r"~?(?:\d{4}-\d{2}-\d{2} )?\d{2}:\d{2}(?::\d{2})?"
                         r"(?:[+-]\d{2}:\d{2}| \(UTC [+-]\d{2}:\d{2}\))? \u2014 ")


def _norm(line: str) -> str:
    return _ADDED_TIME.sub("", strip_added_markers(line.rstrip())).strip()


def _heading_text(line: str) -> str | None:
    m = _ATX.match(line)
    return m.group(2).strip() if m else None


def assert_no_line_lost(original: str, imported) -> None:
    """Every non-blank line of the original body is in the output body, in order.

    Allowed changes: heading marks (`#` count, `##` added to a plain-text heading, setext
    underlines turned into `#`, a timeline's heading entry turned into a list item),
    indentation, `- ` before a plain-text entry, a full time written before an entry the KB
    would read at another time, a key-moment marker the import appended; the title line
    moves into `title`.
    """
    out_lines = [_norm(line) for line in imported.body.split("\n")]
    out_headings = [_heading_text(line) for line in imported.body.split("\n")]
    src_lines = original.split("\n")
    position = 0
    for i, raw in enumerate(src_lines):
        raw = CONTROL.sub("\ufffd", raw)  # refused characters are replaced, and the report says so
        line = raw.strip()
        if not line:
            continue
        if imported.title_line is not None and raw == imported.title_line:
            continue
        previous = src_lines[i - 1].strip() if i > 0 else ""
        if _UNDERLINE.match(raw) and previous and (
                any(o.startswith(("#", "- ")) and previous in o for o in out_lines)  # a heading, or a heading entry
                or src_lines[i - 1] == imported.title_line):
            continue  # the underline of a setext heading, now a `#` heading
        wanted = _heading_text(raw)
        for j in range(position, len(out_lines)):
            # A heading entry of a timeline becomes a list item: its text is kept.
            if line in out_lines[j] or _LIST_MARK.sub("", line) in out_lines[j] or \
                    (wanted is not None and (out_headings[j] == wanted or wanted in out_lines[j])):
                position = j + 1
                break
        else:
            raise AssertionError(f"line {i + 1} lost: {raw!r}\n--- output body ---\n{imported.body}")


_SETTINGS = settings(max_examples=int(os.environ.get("PMKB_HYPOTHESIS_EXAMPLES", "100")), deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(section_blocks("text"))
def test_plain_text_import_loses_no_line(text):
    imported = import_document(text, source="x.txt", stem="x", taxonomy=TAXONOMY, kind="text")
    assert_no_line_lost(text, imported)
    read_source(imported.text().encode("utf-8"), "x.md")  # and it is a readable postmortem


@_SETTINGS
@given(section_blocks("markdown"))
def test_markdown_import_loses_no_line(text):
    imported = import_document(text, source="x.md", stem="x", taxonomy=TAXONOMY, kind="markdown")
    assert_no_line_lost(text, imported)
    read_source(imported.text().encode("utf-8"), "x.md")


@_SETTINGS
@given(section_blocks("markdown"), st.lists(words, max_size=4), words)
def test_front_matter_import_loses_no_line(body, keywords, summary):
    def quoted(value):
        return json.dumps(value, ensure_ascii=False)

    head = "\n".join(["---", f"title: {quoted(summary)}", f"keywords: {quoted(keywords)}",
                      "start_time: 2024-01-02T10:00:00Z", f"summary: {quoted(summary)}",
                      "url: https://example.org/x", "---"])
    imported = import_document(f"{head}\n{body}", source="x.md", stem="x", taxonomy=TAXONOMY,
                               kind="frontmatter")
    assert_no_line_lost(body, imported)
    assert "- Source: https://example.org/x" in imported.body
    read_source(imported.text().encode("utf-8"), "x.md")


@_SETTINGS
@given(st.text(alphabet=_CHARS, max_size=400) | st.lists(lines, max_size=30).map("\n".join),
       st.sampled_from([None, "text", "markdown", "frontmatter"]))
def test_any_text_imports_or_fails_with_a_problem(text, kind):
    from postmortem_kb.problems import PostmortemError

    try:
        imported = import_document(text, source="x", stem="x", taxonomy=TAXONOMY, kind=kind)
    except PostmortemError as exc:  # only a front matter that is not YAML is refused
        assert exc.problems and exc.problems[0].code
        return
    read_source(imported.text().encode("utf-8"), "x.md")
    json.dumps(imported.report.to_json())


@_SETTINGS
@given(section_blocks("markdown"))
def test_the_written_timeline_reads_back_as_the_report_says(text):
    """The KB's loader reads the same timeline entries, at the same instants, as the import reported."""
    from postmortem_kb.loader import KBConfig, build_postmortem

    imported = import_document(text, source="x.md", stem="x", taxonomy=TAXONOMY, kind="markdown")
    doc = read_source(imported.text().encode("utf-8"), "x.md")
    pm = build_postmortem(doc, TAXONOMY, KBConfig(root=ROOT), "x", ROOT / "x.md")
    reported = imported.report.events
    assert len(pm.timeline) == len(reported)
    for event, entry in zip(pm.timeline, reported):
        if imported.front_matter["date"] == "TODO" and len(entry["at"] or "") <= 16:
            continue  # a time of day without a date: the KB places it once the date is filled in
        if entry["at"] is None or event.at is None:
            assert entry["at"] is None and event.at is None
        elif len(entry["at"]) > 16:  # a full date-time: the very instant
            assert event.at.isoformat() == entry["at"] or event.at == dt.datetime.fromisoformat(entry["at"])
