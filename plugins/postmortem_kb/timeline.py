"""The body of a postmortem: its sections, its timeline and the times in it.

A timeline entry starts with a time in one of the forms writers actually use::

    10:44                      a time on the incident date (or the day after, past midnight)
    10:44 (UTC +03:00)         with an offset
    2021-06-22 08:21           a date and a time
    2021-06-22T08:21:00+03:00  ISO 8601

and may mark a key moment with ``[start]``, ``[detected]``, ``[mitigated]`` or ``[resolved]``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .slugs import slugify

MOMENTS = ("start", "detected", "mitigated", "resolved")
_MOMENT_WORDS = {"start": "start", "started": "start", "begin": "start", "detected": "detected",
                 "detect": "detected", "mitigated": "mitigated", "mitigate": "mitigated",
                 "resolved": "resolved", "resolve": "resolved"}

# Canonical section keys and the headings writers use for them.
SECTION_ALIASES = {
    "summary": ["summary", "issue summary", "overview", "executive summary", "incident summary", "description"],
    "impact": ["impact", "customer impact", "user impact"],
    "timeline": ["timeline", "incident timeline", "chronology", "timeline of events"],
    "root_cause": ["root cause", "root causes", "root cause analysis", "contributing factors", "cause", "causes",
                   "root cause and resolution", "root cause and remediation", "cause and resolution"],
    "resolution": ["resolution and recovery", "resolution", "recovery", "mitigation", "remediation"],
    "measures": ["corrective and preventive measures", "corrective and preventative measures",
                 "action items", "corrective actions", "follow up", "follow-up", "next steps",
                 "preventive measures", "corrective measures", "preventative measures", "preventive actions",
                 "corrective and preventive actions", "follow-up actions", "action plan"],
    "lessons": ["lessons learned", "lessons learnt", "what went well", "learnings", "takeaways"],
}
SECTION_TITLES = {
    "summary": "Summary", "impact": "Impact", "timeline": "Timeline", "root_cause": "Root cause",
    "resolution": "Resolution and recovery", "measures": "Corrective and preventive measures",
    "lessons": "Lessons learned",
}
_SECTION_LOOKUP = {slugify(a): key for key, names in SECTION_ALIASES.items() for a in names}


_TRAILING_NOTE = re.compile(r"\s*\([^()]*\)\s*$")
_NAMED_OFFSET = re.compile(r"(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?")
_ZONE_NAME = re.compile(r"[A-Za-z_]+(?:/[A-Za-z0-9_+-]+)+")
_TABLE_RULE = re.compile(r":?-{2,}:?")
_SPACES = re.compile(r"\s{2,}")


def section_key(title: str) -> str | None:
    """The canonical key of a heading; a note in parentheses (``Timeline (UTC)``) is ignored."""
    key = _SECTION_LOOKUP.get(slugify(title))
    if key is None and title.rstrip().endswith(")"):
        key = _SECTION_LOOKUP.get(slugify(_TRAILING_NOTE.sub("", title)))
    return key


_HEADING_START = re.compile(r"(#{1,6})[ \t]")


def atx_heading(line: str) -> tuple[int, str] | None:
    """``(level, title)`` of an ATX heading line (``## Timeline ##``), else None.

    Done with string methods, not one regex: ``\\s+(.*?)\\s*#*\\s*$`` takes quadratic time
    on a long line of spaces and hashes."""
    m = _HEADING_START.match(line)
    if m is None:
        return None
    title = line[m.end():].strip(" \t")
    closed = title.rstrip("#")
    if closed != title and (not closed or closed[-1] in " \t"):
        title = closed.rstrip(" \t")  # the optional closing sequence of hashes
    return len(m.group(1)), title


class _HeadingPattern:
    """``_HEADING.match(line)``: what ``atx_heading`` finds, as a match with groups 1 (the
    hashes) and 2 (the title), for code written against the old regex."""

    _SPLIT = re.compile(r"(#*)\x00(.*)", re.S)

    def match(self, line: str) -> re.Match | None:
        found = atx_heading(line)
        return None if found is None else self._SPLIT.match("#" * found[0] + "\x00" + found[1])


_HEADING = _HeadingPattern()
_FENCE_LINE = re.compile(r"^\s*(```|~~~)")

_OFFSET = r"[+-]\d{1,2}(?::?\d{2})?"
_TZ_NOTE = re.compile(
    # No two `\s*` meet without something required between them: on a run of spaces the
    # engine would try every split of the run between them (quadratic time).
    rf"^\s*(?:\(\s*(?:(?i:UTC|GMT)\s*)?(?:({_OFFSET})\s*)?\)"
    # a bare offset after a time must be a full one (+03:00, -0530): "10:00 +1 more node" is text
    rf"|(?i:UTC|GMT)\s*({_OFFSET})?(?!\w)|([+-]\d{{2}}:?\d{{2}})(?![\w:])|Z(?!\w))")
# Abbreviations writers put after times ("9:16 PM PDT"), as the fixed offsets they denote.
# CST is read as US Central, the common meaning in incident write-ups.
ZONE_ABBREVIATIONS = {
    "PST": "-08:00", "PDT": "-07:00", "MST": "-07:00", "MDT": "-06:00", "CST": "-06:00", "CDT": "-05:00",
    "EST": "-05:00", "EDT": "-04:00", "AKST": "-09:00", "AKDT": "-08:00", "HST": "-10:00",
    "WET": "+00:00", "WEST": "+01:00", "BST": "+01:00", "CET": "+01:00", "CEST": "+02:00", "EET": "+02:00",
    "EEST": "+03:00", "MSK": "+03:00", "IST": "+05:30", "SGT": "+08:00", "HKT": "+08:00", "JST": "+09:00",
    "KST": "+09:00", "AEST": "+10:00", "AEDT": "+11:00", "NZST": "+12:00", "NZDT": "+13:00",
}
_TZ_ABBR = re.compile(r"^\s*(?:\(\s*)?(" + "|".join(sorted(ZONE_ABBREVIATIONS, key=len, reverse=True))
                      + r")\s*\)?(?!\w)")
_MONTHS = ("jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
           "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?")
# "June 22, 2021 08:21", "Tue 22 Jun 08:21", "Jun 22nd at 8:21 PM": a date in words, then a time.
_WORDY_DATE = re.compile(
    rf"^(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
    rf"(?:(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTHS})\.?|({_MONTHS})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?)"
    rf"(?:,?\s+(\d{{4}}))?,?\s+(?:at\s+)?(?=\d{{1,2}}:\d{{2}})", re.I)
_ISO = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:[T ]|,\s*)(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)"
    rf"(Z|{_OFFSET}(?!\d))?")
_DATE_ONLY = re.compile(r"^(\d{4}-\d{2}-\d{2})(?=\W|$)")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([ap])\.?m\.?)?(?=\W|$)", re.I)
_MARKER = re.compile(r"\[\s*(start|started|begin|detected|detect|mitigated|mitigate|resolved|resolve)\s*\]", re.I)
_LEAD = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_SEPARATOR = re.compile(r"^[\s:|\-\u2013\u2014,]+")


@dataclass
class Section:
    key: str | None  # canonical key, None for a heading we do not know
    title: str
    text: str
    line: int  # the line of the heading in the file
    text_line: int = 0  # the file line on which ``text`` starts (after blank lines)

    def __post_init__(self) -> None:
        if not self.text_line:
            self.text_line = self.line + 1


@dataclass
class TimelineEvent:
    """One line of the timeline: when, what, and which key moment it marks, if any."""

    at: dt.datetime | None
    time_text: str
    text: str
    moment: str | None
    line: int
    approximate: bool = False  # written "~10:40", "about 10:40", "approx. 10:40", "ca. 10:40"


class TimeParseError(ValueError):
    pass


# The years a date or time may have: arithmetic on them (a timeline past midnight, a timezone,
# "days late") never leaves what Python's datetime can hold (years 1 to 9999).
MIN_YEAR, MAX_YEAR = 1900, 2999


class TimelineProblem(tuple):
    """``(line, message)`` of a problem in a timeline, with its problem ``code``.

    A pair, so that ``for line, message in problems`` reads it; the code rides along."""

    code: str

    def __new__(cls, line: int, message: str, code: str = "invalid-time") -> TimelineProblem:
        self = super().__new__(cls, (line, message))
        self.code = code
        return self

    @property
    def line(self) -> int:
        return self[0]

    @property
    def message(self) -> str:
        return self[1]


def fixed_offset(at: dt.datetime) -> dt.datetime:
    """The same instant with its UTC offset as a fixed zone.

    Python subtracts and compares two datetimes that share one tzinfo object by their wall
    clocks, ignoring a daylight-saving change between them (15 minutes across the change in
    Europe/Berlin came out as 75). With fixed offsets every difference is the real one, and
    the local time shown stays the one the writer wrote."""
    offset = at.utcoffset()
    if offset is None or isinstance(at.tzinfo, dt.timezone):
        return at
    return at.replace(tzinfo=dt.timezone(offset))


def check_year(at: dt.date, what: str = "the date") -> None:
    """Raise TimeParseError for a date or time outside MIN_YEAR..MAX_YEAR."""
    if not MIN_YEAR <= at.year <= MAX_YEAR:
        raise TimeParseError(f"{what} is in the year {at.year}; dates from {MIN_YEAR} to {MAX_YEAR} are accepted")


def parse_offset(text: str) -> dt.tzinfo:
    """``+03:00``, ``+0300``, ``+3``, ``UTC+3``, ``Z``, ``UTC`` or an IANA name -> tzinfo."""
    value = str(text).strip()
    upper = value.upper()
    if upper in ("Z", "UTC", "GMT", "+00:00", "00:00"):
        return dt.timezone.utc
    if upper in ZONE_ABBREVIATIONS:
        return parse_offset(ZONE_ABBREVIATIONS[upper])
    m = _NAMED_OFFSET.fullmatch(upper)
    if m:
        hours, minutes = int(m.group(2)), int(m.group(3) or 0)
        if minutes >= 60 or hours * 60 + minutes > 14 * 60:
            raise TimeParseError(f"offset {value} is out of range (-12:00 to +14:00)")
        if m.group(1) == "-" and hours * 60 + minutes > 12 * 60:
            raise TimeParseError(f"offset {value} is out of range (-12:00 to +14:00)")
        sign = -1 if m.group(1) == "-" else 1
        return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    if _ZONE_NAME.fullmatch(value):
        from dateutil import tz  # only for a zone named by name (its import costs a command's start)

        zone = tz.gettz(value)
        if zone is not None:
            return zone
    raise TimeParseError(f"`{value}` is not a timezone")


def parse_datetime(text: str, default_tz: dt.tzinfo | None = None) -> dt.datetime:
    """An ISO 8601 date-time (or date) -> aware datetime, using default_tz when none is given."""
    value = str(text).strip()
    m = _ISO.fullmatch(value) or _ISO.match(value)
    if m and m.end() == len(value):
        date = dt.date.fromisoformat(m.group(1))
        clock = dt.time.fromisoformat(_pad(m.group(2)))
        zone = parse_offset(m.group(3)) if m.group(3) else default_tz or dt.timezone.utc
        return dt.datetime.combine(date, clock).replace(tzinfo=zone)
    if _DATE_ONLY.fullmatch(value):
        date = dt.date.fromisoformat(value)
        return dt.datetime.combine(date, dt.time()).replace(tzinfo=default_tz or dt.timezone.utc)
    raise TimeParseError(f"`{value}` is not an ISO 8601 date-time (YYYY-MM-DDTHH:MM+HH:MM)")


def _pad(clock: str) -> str:
    return clock if len(clock.split(":")[0]) == 2 else "0" + clock


def split_sections(body: str, body_line: int = 1) -> list[Section]:
    """Level-2 sections of a Markdown body (headings inside code fences are ignored)."""
    sections: list[Section] = []
    lines = body.split("\n")
    in_fence = False
    current: tuple[str, int] | None = None
    start = 0
    preamble_end = len(lines)

    def close(end: int) -> None:
        if current is not None:
            title, line = current
            raw = "\n".join(lines[start:end])
            text = raw.strip("\n")
            skipped = len(raw) - len(raw.lstrip("\n"))
            sections.append(Section(section_key(title), title, text, line, line + 1 + skipped))

    fences = "```" in body or "~~~" in body  # what a fence line holds: without, no line is one
    for i, raw in enumerate(lines):
        if fences and _FENCE_LINE.match(raw):
            in_fence = not in_fence
            continue
        if in_fence or not raw.startswith("##"):  # (a level-2 heading starts with its two hashes)
            continue
        heading = atx_heading(raw)
        if heading and heading[0] == 2:
            if current is None:
                preamble_end = i
            close(i)
            current = (heading[1], body_line + i)
            start = i + 1
    close(len(lines))
    preamble = "\n".join(lines[:preamble_end]).strip("\n")
    if preamble.strip():
        sections.insert(0, Section(None, "", preamble, body_line))
    return sections


# A time the writer marks as approximate: "~10:40", "≈ 10:40", "about 10:40", "approx. 10:40".
_APPROXIMATE = re.compile(r"(?:~|≈|(?i:about|around|approx\.?|approximately|circa|ca\.))[ \t]{0,3}(?=[*_`]?\d)")
_EMPHASIS = re.compile(r"^(\*\*|__|`|\*|_)(?=\d)")


def _split_time(text: str) -> tuple[str, dict] | None:
    """Find the time at the start of ``text``; returns (the rest, parts) or None.

    The time may be emphasised as writers often do: ``**10:44**``, `` `10:44` ``.
    """
    emphasis = _EMPHASIS.match(text)
    if emphasis:
        found = _split_time(text[emphasis.end():])
        if found is None:
            return None
        rest, parts = found
        closing = emphasis.group(1)
        if rest.startswith(closing):
            rest = rest[len(closing):]
        elif rest.lstrip().startswith(closing):
            rest = rest.lstrip()[len(closing):]
        return rest, parts
    m = _ISO.match(text)
    wordy = None if m else _WORDY_DATE.match(text)
    if m:
        parts = {"date": m.group(1), "clock": m.group(2), "offset": m.group(3)}
        rest = text[m.end():]
    else:
        if wordy:
            text = text[wordy.end():]
        m = _CLOCK.match(text)
        if not m:
            return None
        hour, minute = int(m.group(1)), int(m.group(2))
        if m.group(4):
            if not 1 <= hour <= 12:
                raise TimeParseError(f"`{m.group(0)}` is not a time")
            hour = hour % 12 + (12 if m.group(4).lower() == "p" else 0)
        if hour > 23 or minute > 59 or int(m.group(3) or 0) > 59:
            raise TimeParseError(f"`{m.group(0)}` is not a time of day")
        parts = {"date": None, "clock": f"{hour:02d}:{minute:02d}:{int(m.group(3) or 0):02d}",
                 "offset": None}
        if wordy:
            month_word = (wordy.group(2) or wordy.group(3))[:3].lower()
            months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
            month = months.index(month_word) + 1
            day = int(wordy.group(1) or wordy.group(4))
            parts["month_day"] = (int(wordy.group(5)) if wordy.group(5) else None, month, day)
        rest = text[m.end():]
    note = _TZ_NOTE.match(rest)
    if note:
        offset = note.group(1) or note.group(2) or note.group(3)
        parts["offset"] = parts["offset"] or offset or "UTC"
        rest = rest[note.end():]
    else:
        abbr = _TZ_ABBR.match(rest)
        if abbr:
            parts["offset"] = parts["offset"] or ZONE_ABBREVIATIONS[abbr.group(1)]
            rest = rest[abbr.end():]
    return rest, parts


def _entries(section_text: str, first_line: int) -> list[tuple[int, str, str | None]]:
    """(line, text, time cell) of each timeline entry: list items, table rows or time lines."""
    out: list[tuple[int, list[str], str | None]] = []  # the text in parts: joined once, at the end
    in_fence = False
    for i, raw in enumerate(section_text.split("\n")):
        line = first_line + i
        if _FENCE_LINE.match(raw):
            in_fence = not in_fence
            continue
        stripped = raw.strip()
        if in_fence or not stripped:
            continue
        if stripped.startswith("|"):
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            if all(_TABLE_RULE.fullmatch(c) for c in cells if c):
                continue  # the separator row
            if len(cells) >= 2:
                out.append((line, [" ".join(c for c in cells[1:] if c)], cells[0]))
            continue
        lead = _LEAD.match(raw)
        if lead and not raw.startswith((" ", "\t")):
            out.append((line, [raw[lead.end():].strip()], None))
        elif lead or raw.startswith((" ", "\t")):
            if out and out[-1][2] is None:  # a wrapped continuation of the previous item
                out[-1][1].append(stripped)
        elif _CLOCK.match(stripped) or _ISO.match(stripped):
            out.append((line, [stripped], None))
    return [(line, " ".join(parts), cell) for line, parts, cell in out]


def parse_timeline(section_text: str, first_line: int, date: dt.date | None,
                   default_tz: dt.tzinfo | None) -> tuple[list[TimelineEvent], list[TimelineProblem]]:
    """Timeline entries -> events; returns (events, [(line, problem message)]), each problem
    a :class:`TimelineProblem` that also says its code.

    A bare time belongs to the incident date; a bare time earlier than the one before it
    is taken to be on the next day when that makes a gap under 12 hours (a timeline that
    runs past midnight), and is reported as running backwards otherwise.
    """
    events: list[TimelineEvent] = []
    problems: list[TimelineProblem] = []
    current_date = date
    previous: dt.datetime | None = None
    table_header_skipped = False
    for line, text, cell in _entries(section_text, first_line):
        source = cell if cell is not None else text
        approx = _APPROXIMATE.match(source)
        if approx:
            source = source[approx.end():]
            if cell is None:
                text = source
        try:
            found = _split_time(source)
        except TimeParseError as exc:
            problems.append(TimelineProblem(line, str(exc)))
            found = None
        if cell is not None and found is None and not table_header_skipped and not events:
            table_header_skipped = True  # `| Time | Event |`
            continue
        at: dt.datetime | None = None
        time_text = ""
        rest = text
        if found is not None:
            after, parts = found
            time_text = source[: len(source) - len(after)].strip()
            rest = text if cell is not None else after
            try:
                zone = parse_offset(parts["offset"]) if parts["offset"] else default_tz or dt.timezone.utc
                clock = dt.time.fromisoformat(_pad(parts["clock"]))
                if parts.get("month_day"):
                    year, month, day = parts["month_day"]
                    year = year or (current_date.year if current_date else None)
                    if year is None:
                        raise TimeParseError("the entry's date has no year and the incident has no date")
                    current_date = dt.date(year, month, day)
                    at = dt.datetime.combine(current_date, clock).replace(tzinfo=zone)
                elif parts["date"]:
                    current_date = dt.date.fromisoformat(parts["date"])
                    at = dt.datetime.combine(current_date, clock).replace(tzinfo=zone)
                elif current_date is not None:
                    at = fixed_offset(dt.datetime.combine(current_date, clock).replace(tzinfo=zone))
                    if previous is not None and at < previous:
                        next_date = current_date + dt.timedelta(days=1)
                        next_day = fixed_offset(dt.datetime.combine(next_date, clock).replace(tzinfo=zone))
                        if next_day - previous <= dt.timedelta(hours=12):
                            current_date, at = next_date, next_day
                if at is not None:
                    at = fixed_offset(at)
                    check_year(at.astimezone(dt.timezone.utc), "the time")
            except (TimeParseError, ValueError, OverflowError) as exc:
                reason = "the date is out of range" if isinstance(exc, OverflowError) else exc
                problems.append(TimelineProblem(line, f"`{time_text}`: {reason}"))
                at = None
        moment = None
        marker = _MARKER.search(rest)
        if marker:
            moment = _MOMENT_WORDS[marker.group(1).lower()]
            rest = (rest[: marker.start()] + rest[marker.end():])
        rest = _SEPARATOR.sub("", rest, count=1).strip()
        if at is not None and previous is not None and at < previous:
            problems.append(TimelineProblem(line, f"{time_text} is earlier than the entry before it: "
                                             "the timeline runs backwards", "timeline-backwards"))
        if at is not None:
            previous = at
        events.append(TimelineEvent(at, time_text, _SPACES.sub(" ", rest), moment, line,
                                    approximate=approx is not None and found is not None))
    return events, problems


def format_duration(delta: dt.timedelta | None) -> str:
    """``1h 05m``, ``20m``, ``2d 3h``; an empty string when unknown."""
    if delta is None:
        return ""
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    days, rem = divmod(minutes, 1440)
    hours, mins = divmod(rem, 60)
    if days:
        return f"{sign}{days}d {hours}h" if hours else f"{sign}{days}d"
    if hours:
        return f"{sign}{hours}h {mins:02d}m"
    return f"{sign}{mins}m"
