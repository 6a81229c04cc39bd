"""Import runs in time linear in its input: no pattern of the importer backtracks over a long line.

Each document below repeats one short unit tens of thousands of times in one place a
pattern looks at (a heading, a table cell, a stats value, a timeline entry, a title, an
action item...). A quadratic pattern needs minutes on such a line; a linear one a few
milliseconds. The limit is generous on purpose (a slow machine must not fail it), and the
documents are large enough that a quadratic pattern cannot pass it.
"""

from __future__ import annotations

import signal
import time
from contextlib import contextmanager

import pytest

from kit import ROOT
from postmortem_kb.importer import import_document
from postmortem_kb.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy(ROOT / "taxonomy.yml")
LIMIT_SECONDS = 10
SIZE = 20_000  # characters of the repeated run: quadratic work is ~10^8 steps (tens of seconds), linear ~10^5

# Units that the importer's patterns treat specially: spaces, digits, separators, marks.
UNITS = [" ", "\t", "a ", "1", "1 ", "1:", "1.", "10:00 ", "(", " (", "a:", ": ", "**", "*", "|", " |", "- ",
         "#", " #", "# ", "[", "@", "owner: ", "UTC ", "+1", "Jan ", "1 Jan ", "not ", "resolved ", "<!--", "~",
         "12:", "2019-01-01 ", "x/", "and ", ", ", "start ", "began 10:00 ", "10:00 - ", "Label: ", "**a:** ",
         "<a> ", "  - "]
CONTEXTS = {
    "title heading": "# {run}x\n\n## Summary\n\ntext\n",
    "section heading": "# T\n\n## {run}x\n\ntext\n",
    "timeline heading": "# T\n\n## Timeline\n\n### 10:00 {run}x\n\nprose\n",
    "table cell": "# T\n\n## Timeline\n\n| Time | Event |\n|---|---|\n| 10:00 | {run}x |\n",
    "time cell": "# T\n\n## Timeline\n\n| Time | Event |\n|---|---|\n| {run}x | y |\n",
    "stats label": "# T\n\n- {run}x\n",
    "stats value": "# T\n\n- Time to detection: {run}x\n",
    "stats row": "# T\n\n| Time to detection | {run}x |\n",
    "timeline entry": "# T\n\n## Timeline\n\n- 10:00 {run}x\n",
    "timeline line": "# T\n\n## Timeline\n\n{run}x\n",
    "plain-text title": "{run}x\n\nSummary\n\nfoo\n",
    "plain-text line": "T\n\nTimeline\n\n{run}x\n",
    "action item": "# T\n\n## Action items\n\n- {run}x\n",
    "action row": "# T\n\n## Action items\n\n| Action | Owner |\n|---|---|\n| {run}x | y |\n",
    "summary": "# T\n\n## Summary\n\n{run}x\n",
    "summary window": "# T\n\n## Summary\n\nStart Time: {run} End Time: 10:00\n\n## Timeline\n\n- 10:00 a\n",
    "labelled entry": "# T\n\n## Timeline\n\n- **{run}:** 10:00 x\n",
    "grouped entry": "# T\n\n## Timeline\n\n- **Actions:**\n  - {run}x\n",
    "chat line": "# T\n\n## Timeline\n\n- 10:00 a\n[10:01] {run}x\n",
}


@contextmanager
def time_limit(seconds: int, what: str):
    def expired(signum, frame):
        raise TimeoutError(f"{what} took over {seconds} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("context", sorted(CONTEXTS))
def test_long_runs_import_in_linear_time(context):
    template = CONTEXTS[context]
    for unit in UNITS:
        run = unit * (SIZE // len(unit))
        with time_limit(LIMIT_SECONDS, f"{context} with {unit!r} * {SIZE // len(unit)}"):
            import_document(template.replace("{run}", run), source="x.md", stem="x", taxonomy=TAXONOMY)


@pytest.mark.parametrize("document", [
    # The three proofs of the issue, at a size far over the one that took 10-83 s.
    "# T\n\n## Timeline\n\n| Time | Event |\n|---|---|\n| 10:00 | " + "a " * 200_000 + "|\n",
    "# T\n\n- Time to detection: " + "1" * 400_000 + "\n",
    "# " + " " * 400_000 + "x\n\ntext\n",
    # Many lines, each a little hostile: the cost per line stays constant.
    "# T\n\n## Timeline\n\n" + "- 10:00 (  resolved not  |\n" * 20_000,
    "T\n\nTimeline\n\n" + "10:00 A:  b\n" * 20_000,
    "# T\n\n- Time to detection: 5 minutes\n\n## Timeline\n\n" + "### 10:00 alert fired\n\ntext\n\n" * 10_000,
    "# T\n\n- Time to detection: 5 minutes\n\n## Timeline\n\n" + "- 10:00 x\n- 10:05 alert fired\n" * 10_000,
    "# T\n\n## Timeline\n\n" + "- **Actions Taken:**\n  - 3:20 PM - looked\n[3:21] dana: hi\n" * 10_000,
], ids=["table cell", "digits after time to detection", "heading of spaces", "many hostile entries",
        "many plain-text entries", "many heading entries at one time",
        "many pairs of entries five minutes apart", "many groups of nested entries and chat lines"])
def test_documents_near_the_size_limit_import_in_seconds(document):
    started = time.monotonic()
    with time_limit(LIMIT_SECONDS * 3, "a document near the size limit"):
        import_document(document, source="x.md", stem="x", taxonomy=TAXONOMY)
    assert time.monotonic() - started < LIMIT_SECONDS * 3
