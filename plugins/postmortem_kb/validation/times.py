"""Time rules: the timeline, the key moments and the durations the write-up states.

The key moments (started, detected, mitigated, resolved) come from the front-matter fields
when given, else from the timeline entries marked ``[start]``, ``[detected]``...; the durations
between them are computed, never typed. The rules say when the times cannot be read, run
backwards, or disagree with what the write-up says in words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ..durations import check_stated
from ..model import MOMENTS, TIME_FIELDS, Metrics
from ..problems import WARNING, Problem
from ..timeline import (
    Section,
    TimelineEvent,
    TimeParseError,
    check_year,
    fixed_offset,
    parse_datetime,
    parse_timeline,
)
from .sections import is_placeholder

LineOf = Callable[[tuple], int]


def timeline(sections: list[Section], date: dt.date | None, tzinfo: dt.tzinfo | None,
             source: str) -> tuple[list[TimelineEvent], list[Problem]]:
    """The events of the Timeline section; placeholder entries (``00:00 [start] TODO``) are
    reported and left out, so that their times make no durations."""
    section = next((s for s in sections if s.key == "timeline"), None)
    if section is None:
        return [], []
    events, found = parse_timeline(section.text, section.text_line, date, tzinfo)
    problems = []
    placeholders = [e for e in events if is_placeholder(e.text)]
    for event in placeholders:
        problems.append(Problem(source, event.line, "todo", "a timeline entry still says TODO",
                                "write what happened at that time, or remove the entry"))
    for problem in found:
        hint = ("put the entries in order; past midnight write the full date (YYYY-MM-DD HH:MM)"
                if problem.code == "timeline-backwards" else
                "start each entry with a time: 10:44, 10:44 (UTC +03:00), 2024-03-14 10:44")
        problems.append(Problem(source, problem.line, problem.code, problem.message, hint))
    return [e for e in events if e not in placeholders], problems


def _moment_field(fm: dict, name: str, tzinfo: dt.tzinfo | None, line_of: LineOf,
                  source: str) -> tuple[dt.datetime | None, list[Problem]]:
    value = fm.get(name)
    if not isinstance(value, (str, dt.datetime)):
        return None, []
    try:
        at = value if isinstance(value, dt.datetime) else parse_datetime(value, tzinfo)
        if at.tzinfo is None:
            at = at.replace(tzinfo=tzinfo or dt.timezone.utc)
        at = fixed_offset(at)
        check_year(at.astimezone(dt.timezone.utc), "the time")
    except (TimeParseError, ValueError, OverflowError) as exc:
        reason = "the date is out of range" if isinstance(exc, OverflowError) else exc
        return None, [Problem(source, line_of((name,)), "invalid-time", f"`{name}`: {reason}",
                              "write YYYY-MM-DDTHH:MM+HH:MM, e.g. 2024-03-14T10:44:00+03:00")]
    return at, []


def metrics(fm: dict, usable: Callable[[str], bool], events: list[TimelineEvent], tzinfo: dt.tzinfo | None,
            lines: dict, line_of: LineOf, source: str) -> tuple[Metrics, list[Problem]]:
    """The key moments (fields first, then marked entries; the first timed entry as the start)
    and whether they come in order."""
    found = Metrics()
    problems: list[Problem] = []
    for name in TIME_FIELDS:
        marker = MOMENTS[name].marker
        at: dt.datetime | None = None
        if usable(name):
            at, bad = _moment_field(fm, name, tzinfo, line_of, source)
            problems += bad
        if at is None:
            marked = [e for e in events if e.moment == marker and e.at is not None]
            if len(marked) > 1:
                problems.append(Problem(source, marked[1].line, "duplicate-moment",
                                        f"more than one timeline entry is marked [{marker}]",
                                        "mark only one entry per key moment", WARNING))
            if marked:
                at = marked[0].at
            elif marker == "start":
                at = next((e.at for e in events if e.at is not None), None)
        setattr(found, name, at)
    start = found.started_at
    for name in TIME_FIELDS:
        moment = MOMENTS[name]
        at = getattr(found, name)
        if name != "started_at" and at is not None and start is not None and at < start:
            label = moment.label
            line = lines.get((name,)) or next((e.line for e in events if e.moment == moment.marker), 1)
            problems.append(Problem(source, line, "negative-duration",
                                    f"the incident is {label} before it started ({at.isoformat()} < "
                                    f"{start.isoformat()})", "check the times, dates and timezone of the key moments"))
    if found.resolved_at and found.detected_at and found.resolved_at < found.detected_at:
        problems.append(Problem(source, lines.get(("resolved_at",), 1), "moment-order",
                                "the incident is resolved before it was detected",
                                "check the [detected] and [resolved] times"))
    return found, problems


def stated(fm: dict, sections: list[Section], computed: Metrics, line_of: LineOf,
           source: str) -> tuple[dict[str, dt.timedelta], list[Problem]]:
    """The durations the write-up states (the impact field and the body), each under the computed
    duration its words name, and those the timeline contradicts (:func:`durations.check_stated`).
    "For N minutes" counts as the impact's length only where the write-up talks about the impact
    (the field, Summary and Impact)."""
    pieces: list[tuple[int, str, bool]] = []
    impact: Any = fm.get("impact")
    if isinstance(impact, str):
        pieces.append((line_of(("impact",)), impact, True))
    pieces += [(s.text_line, s.text, s.key in ("summary", "impact", None)) for s in sections if s.key != "timeline"]
    found = check_stated(pieces, computed)
    # Warnings: the site shows both, and the writer knows which one is right.
    return found.lengths, [Problem(source, line, "duration-mismatch", message,
                                   "correct the sentence or the timeline; the site shows both", WARNING)
                           for line, message in found.mismatches]
