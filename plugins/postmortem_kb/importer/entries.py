"""A document's timeline, whatever its format, rewritten as the entries the KB reads.

People write timelines in four families, and a document uses one of them:

``table``    rows of a table with a time column (``| Time (UTC) | Event |``);
``list``     list items that start with a time (``- 10:44 ...``, ``* **[08:47]** ...``);
``line``     plain lines that start with a time;
``heading``  headings that are times (``### 10:44``, ``### 2018-02-12 10:44 PST``) with the event in
             the paragraphs below them.

A date line or date heading (``**January 23, 2019**``, ``### Nov 6``) gives the day of the
times under it; a bare ``4:19`` among 12-hour times takes the half of the day that keeps the
entries in order. The family with the most timed entries wins; its entries are resolved to
full times here (:mod:`.times` reads each one), and then rewritten, only where needed, so
that the KB's own timeline reader (:func:`postmortem_kb.timeline.parse_timeline`) gives the
same instants: a heading entry becomes a list item with its paragraphs indented under it, and
an entry whose time the KB would read differently gets the full time in front of it (its
text as written follows). Sub-headings of chat logs and command output inside the timeline
are moved to level 2, so that their timestamps are not read as timeline entries.

Every line stays, in order; only marks and indentation change, and a full time may be added.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from ..problems import plural
from ..timeline import TimelineEvent, TimeParseError, parse_offset, parse_timeline, section_key
from .reading import atx_heading
from .times import Lead, hour24, read_date, read_lead, template_leftover

_FENCE = re.compile(r"[ \t]*(```|~~~)")
_ITEM = re.compile(r"([ \t]?)(?:[-*+]|\d{1,3}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?")
_NESTED_ITEM = re.compile(r"[ \t]{2,8}(?:[-*+]|\d{1,3}[.)])[ \t]+")
# `- **Actions Taken:**`: a label alone, the items under it the entries.
_GROUP_LABEL = re.compile(r"(?:\*\*|__)?[A-Za-z][\w /&'()-]{0,40}?(?::(?:\*\*|__)?|(?:\*\*|__):)[ \t]*")
# A chat message pasted among the entries: a time, then a nick (`<alice>`, `alice:`, `@alice:`).
_CHAT_LINE = re.compile(r"[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[ \t]?[AaPp][Mm])?[\])]?[ \t]+"
                        r"(?:<[^<>\s]{1,32}>|@?[A-Za-z][\w.-]{0,31}:(?![\d/]))")
_SEPARATOR_ROW = re.compile(r":?-{2,}:?")
_TIME_HEADER = re.compile(r"(?:time|timestamp|when|hour|clock|date(?:[ /&]+time)?|at)\b", re.I)
_CHAT = re.compile(r"\b(chat|slack|irc|discord|teams|transcript|log|logs|messages|conversation|command output|"
                   r"output|console|terminal|appendix|raw)\b", re.I)
_STAND_IN_DAY = dt.date(2000, 1, 3)
_DATE_LINE_MAX = 60  # a line that gives the day of the times below it is short


@dataclass
class Entry:
    """One timeline entry as the document writes it, resolved."""

    line: int  # index in the body's lines
    family: str
    lead: Lead | None
    text: str  # the entry's first line without its list mark or heading mark
    at: dt.datetime | None = None  # aware when a zone is known
    day: dt.date | None = None  # the day of a day-level entry (no time)
    approximate: bool = False
    cells: list[str] | None = None  # table rows: the cells
    time_cell: int = 0
    label_only: bool = False  # a list item that is only a label (`- **Actions Taken:**`)
    header: bool = False  # ... with items nested under it: a group heading, not an entry
    nested: bool = False  # a timed item nested under a group heading: an entry of its own
    chat: bool = False  # a plain line that reads as a chat message (`[14:03] alice: ...`)


@dataclass
class Timeline:
    """What :func:`rewrite_timeline` found and changed."""

    body: str
    entries: list[Entry] = field(default_factory=list)
    family: str | None = None
    notes: list[str] = field(default_factory=list)
    first_date: dt.date | None = None  # the first full date an entry or a date line gives
    timezone: str | None = None  # a zone stated by the timeline's heading or table header
    timezone_words: str | None = None
    leftovers: list[str] = field(default_factory=list)
    timeline_sections: int = 0


def _offset_of(zone: str | None) -> dt.tzinfo | None:
    if not zone:
        return None
    try:
        return parse_offset(zone)
    except TimeParseError:
        return None


def _section_bounds(lines: list[str]) -> tuple[list[tuple[int, int]], list[int]]:
    """(start, end) line ranges of level-2 timeline sections (after the heading), and their heading lines."""
    bounds, headings = [], []
    in_fence = False
    current = None
    for i, raw in enumerate(lines):
        if _FENCE.match(raw):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        head = atx_heading(raw)
        if head and len(head.group(1)) <= 2:
            if current is not None:
                bounds.append((current, i))
                current = None
            if len(head.group(1)) == 2 and section_key(head.group(2)) == "timeline":
                current = i + 1
                headings.append(i)
    if current is not None:
        bounds.append((current, len(lines)))
    return bounds, headings


def count_timelines(lines: list[str]) -> int:
    """Headings of any level that name a timeline: more than one says the document tells several outages."""
    count, in_fence = 0, False
    for raw in lines:
        if _FENCE.match(raw):
            in_fence = not in_fence
        elif not in_fence:
            head = atx_heading(raw)
            count += bool(head and section_key(head.group(2)) == "timeline")
    return count


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _candidates(lines: list[str], start: int, end: int) -> tuple[list[Entry], list[tuple[int, Lead]],
                                                                list[int], list[str]]:
    """Timed lines of each family, date lines, chat sub-headings and template leftovers in a section."""
    found: list[Entry] = []
    dates: list[tuple[int, Lead]] = []  # date lines and date headings: the day of the times below
    chats: list[int] = []
    leftovers: list[str] = []
    in_fence = False
    header: list[str] | None = None
    time_col = 0
    last_item: Entry | None = None  # the last list item that is not nested
    for i in range(start, end):
        raw = lines[i]
        if _FENCE.match(raw):
            in_fence = not in_fence
            continue
        stripped = raw.strip()
        if in_fence or not stripped or stripped.startswith(">"):
            continue
        leftover = template_leftover(stripped)
        if leftover:
            leftovers.append(f"line {i + 1}: `{leftover}`")
            continue  # an unfilled template entry has no time
        head = atx_heading(raw)
        if head:
            lead = read_lead(head.group(2))
            if lead and lead.has_time:
                found.append(Entry(i, "heading", lead, head.group(2)))
            elif lead and lead.end >= len(head.group(2).rstrip(" :")) - 1:
                dates.append((i, lead))
            elif (day_lead := _date_only(head.group(2))) is not None:
                dates.append((i, day_lead))
            elif _CHAT.search(head.group(2)):
                chats.append(i)
                break  # what follows is a log, not the timeline
            continue
        if stripped.startswith("|"):
            cells = _cells(stripped)
            if all(_SEPARATOR_ROW.fullmatch(c) for c in cells if c):
                continue
            if header is None:
                lead = read_lead(cells[0]) if cells else None
                if lead is None or not (lead.has_time or lead.date):
                    header = cells
                    time_col = next((k for k, c in enumerate(cells) if _TIME_HEADER.match(c.replace("*", ""))), 0)
                    continue
                header = []
            joined = _joined_time(cells, time_col, header)
            lead = read_lead(joined) if joined else None
            entry = Entry(i, "table", lead, stripped, cells=cells, time_cell=time_col)
            found.append(entry)
            continue
        header = None
        item = _ITEM.match(raw)
        if item:
            text = raw[item.end():].strip()
            lead = read_lead(text)
            group = lead is None and _GROUP_LABEL.fullmatch(text) is not None
            last_item = Entry(i, "list", lead, text, label_only=group)
            found.append(last_item)
            continue
        nested = _NESTED_ITEM.match(raw)
        if nested and last_item is not None and last_item.label_only:
            last_item.header = True  # `- **Actions Taken:**` with `  - 3:20 PM - ...` under it
            text = raw[nested.end():].strip()
            lead = read_lead(text)
            if lead is not None and lead.has_time:
                found.append(Entry(i, "list", lead, text, nested=True))
            continue
        if raw[:1] in (" ", "\t"):
            continue
        lead = read_lead(stripped)
        if lead and lead.has_time:
            found.append(Entry(i, "line", lead, stripped, chat=_CHAT_LINE.match(stripped) is not None))
        elif lead and len(stripped) <= _DATE_LINE_MAX and lead.end >= len(stripped.rstrip(" :*_")) - 2:
            dates.append((i, lead))
    return found, dates, chats, leftovers


def _date_only(text: str) -> Lead | None:
    """A heading that is a date and nothing else (``### Tuesday, 6 Nov:``) -> a Lead with that date."""
    value = text.strip(" *_:")
    found = read_date(value)
    if found is None or found[0] < len(value) - 1:
        return None
    end, ymd, ambiguous = found
    return Lead(end=end, date=ymd, ambiguous_date=ambiguous, text=value[:end])


def _joined_time(cells: list[str], time_col: int, header: list[str]) -> str:
    """The time of a row: its time column, with a Date column before it when the table has one."""
    if time_col >= len(cells):
        return ""
    value = cells[time_col]
    names = [h.replace("*", "").strip().lower() for h in header]
    if time_col > 0 and names and names[time_col - 1].startswith("date") and read_lead(value or "x") is not None:
        return f"{cells[time_col - 1]} {value}"
    if time_col + 1 < len(cells) and names and len(names) > time_col + 1 and names[time_col].startswith("date") \
            and names[time_col + 1].startswith("time"):
        return f"{value} {cells[time_col + 1]}"
    return value


def _family(found: list[Entry]) -> str | None:
    counts: dict[str, int] = {}
    for entry in found:
        if entry.lead is not None and (entry.lead.has_time or entry.lead.date):
            counts[entry.family] = counts.get(entry.family, 0) + 1
    if not counts:
        return None
    order = ("table", "list", "heading", "line")
    return max(order, key=lambda f: (counts.get(f, 0), -order.index(f)))


def rewrite_timeline(body: str, *, date: dt.date | None, timezone: str | None) -> Timeline:
    """Find the timeline section and rewrite its entries as the KB reads them (see the module docstring)."""
    lines = body.split("\n")
    bounds, heading_lines = _section_bounds(lines)
    result = Timeline(body=body, timeline_sections=count_timelines(lines))
    if not bounds:
        return result
    start, end = bounds[0]
    timeline_head = atx_heading(lines[heading_lines[0]])
    heading_text = timeline_head.group(2) if timeline_head else ""
    zone = timezone
    found, dates, chats, result.leftovers = _candidates(lines, start, end)
    header_zone = _header_zone(heading_text, lines[start:end])
    if header_zone and not zone:
        zone = header_zone[0]
        result.timezone, result.timezone_words = header_zone
    family = _family(found)
    result.family = family
    if family is None:
        return result
    families = {"list", "line"} if family in ("list", "line") else {family}
    entries = [e for e in found if e.family in families]
    if family == "heading":
        entries = [e for e in entries if e.lead is not None and e.lead.has_time]
    out = list(lines)
    if family == "list":
        entries = _list_entries(entries, lines, out, result)
    _resolve(entries, dates, date, zone, result)
    result.entries = entries
    for i in chats:  # a chat log's heading ends the timeline for the KB's reader too
        head = atx_heading(lines[i])
        if head is None:  # _candidates found a heading on that line
            continue
        out[i] = "## " + head.group(2)
        result.notes.append(f"`{head.group(2)}` moved to level 2: a log's timestamps are not timeline entries")
    section_end = min([end] + chats)
    if family == "heading":
        _rewrite_headings(out, entries, start, section_end)
    _make_consistent(out, entries, start, section_end, date, zone)
    result.body = "\n".join(out)
    return result


def _list_entries(entries: list[Entry], lines: list[str], out: list[str], result: Timeline) -> list[Entry]:
    """The entries of a list timeline, its group headings and pasted chat lines set aside.

    A label item with items under it (``- **Actions Taken:**`` then ``  - 3:20 PM - ...``) is a
    group heading: its list mark goes (the KB would read it as an entry without a time) and its
    timed items move to the left margin, each an entry of its own. A plain line that reads as a
    chat message (``[14:03] alice: is search stale?``) among list items is indented under the
    entry above: the KB reads it as that entry's text, not as an entry.
    """
    kept: list[Entry] = []
    chats = 0
    for entry in entries:
        if entry.header:
            item = _ITEM.match(lines[entry.line])
            if item:
                out[entry.line] = lines[entry.line][item.end():].rstrip()
            continue
        if entry.nested:
            out[entry.line] = lines[entry.line].lstrip(" \t")
        elif entry.family == "line" and entry.chat:
            out[entry.line] = "  " + lines[entry.line]
            chats += 1
            continue
        kept.append(entry)
    if chats:
        result.notes.append(f"{plural(chats, 'chat line')} among the timeline's list items: not entries, each "
                            "indented under the entry above it")
    return kept


def _header_zone(heading: str, section: list[str]) -> tuple[str, str] | None:
    """A zone stated by the timeline heading (``Timeline (all times PST)``) or a table header (``Time (UTC)``)."""
    from .extract import find_timezone_statement, timezone_name

    probe = "\n".join(["## " + heading] + [line for line in section[:12] if line.strip()][:6])
    stated = find_timezone_statement(probe)
    if stated:
        return stated
    for line in section[:12]:
        if line.strip().startswith("|"):
            for cell in _cells(line):
                m = re.match(r"(?:time|timestamp|when|date(?:[ /&]+time)?)[ \t]*\(([^()]{1,30})\)", cell, re.I)
                named = timezone_name(m.group(1)) if m else None
                if named:
                    return named, cell
            break
    return None


def _resolve(entries: list[Entry], dates: list[tuple[int, Lead]], date: dt.date | None, zone: str | None,
             result: Timeline) -> None:
    """Full times for the entries: dates carried from date lines and earlier entries, 12-hour times settled."""
    twelve_hour = any(e.lead is not None and e.lead.ampm for e in entries)
    # A timeline that writes 13:05 or 00:40 without AM/PM keeps a 24-hour clock: its 11:07 is 11:07,
    # even when written after 11:08 (rows out of order), never 23:07.
    # So does one that writes a leading zero (`07:30`) without AM/PM.
    twenty_four = any(e.lead is not None and e.lead.hour is not None and not e.lead.ampm
                      and (e.lead.hour > 12 or e.lead.hour == 0 or re.search(r"(?<!\d)0\d[:h]\d\d", e.lead.text))
                      for e in entries)
    day_first = _day_first(entries, dates)
    date_at = {i: lead for i, lead in dates}
    current = date
    previous: dt.datetime | None = None  # wall clock of the entry before
    by_line = {e.line: e for e in entries}
    for line in sorted(set(by_line) | set(date_at)):
        entry = by_line.get(line)
        if entry is None:  # a date line: the day of the times below it
            day = _date_of(date_at[line], current, date, day_first)
            if day:
                current = day
                result.first_date = result.first_date or day
            continue
        lead = entry.lead
        if lead is None or (lead.hour is None and not (lead.date or lead.ambiguous_date)):
            continue
        day = _date_of(lead, current, date, day_first) if (lead.date or lead.ambiguous_date) else None
        if day:
            current = day
            result.first_date = result.first_date or day
        entry.approximate = lead.approximate
        if lead.hour is None or lead.minute is None:  # a day-level entry
            entry.day = day
            continue
        hour = hour24(lead.hour, lead.ampm)
        base = day or current
        wall = dt.datetime.combine(base or _STAND_IN_DAY, dt.time(hour, lead.minute, lead.second))
        if lead.bare_twelve_hour and previous is not None and not twenty_four and (twelve_hour or wall < previous):
            # `4:19` among `3:50 PM` and `4:30 PM`: the half of the day that keeps the order, nearest first.
            before = previous
            options = [wall.replace(hour=lead.hour % 12), wall.replace(hour=lead.hour % 12 + 12)]
            later = [o for o in options if o >= before]
            wall = min(later, key=lambda o: o - before) if later else wall
        if day is None and previous is not None and wall < previous:
            next_day = wall + dt.timedelta(days=1)
            if next_day - previous <= dt.timedelta(hours=12):  # past midnight (the KB's reader does the same)
                wall = next_day
                current = wall.date() if current else None
        previous = wall
        offset = lead.offset or zone
        tzinfo = _offset_of(offset)
        entry.at = wall.replace(tzinfo=tzinfo) if tzinfo else wall  # without any date: on the stand-in day


def _day_first(entries: list[Entry], dates: list[tuple[int, Lead]]) -> bool | None:
    """Whether the document writes 23/01/2019 (day first), from a date that can only be read one way."""
    for lead in [e.lead for e in entries] + [lead for _, lead in dates]:
        if lead is not None and lead.date and lead.text[:2].isdigit() and re.match(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}",
                                                                                lead.text):
            first = int(lead.text[:2].rstrip("/.-"))
            return first == lead.date[2]
    return None


def _date_of(lead: Lead, current: dt.date | None, stated: dt.date | None, day_first: bool | None) -> dt.date | None:
    if lead.date:
        year, month, day = lead.date
        year = year or (current or stated or dt.date.min).year
        if year == dt.date.min.year:
            return None
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None
    if lead.ambiguous_date:
        a, b, year = lead.ambiguous_date
        readings = {"day_first": (year, b, a), "month_first": (year, a, b)}
        for name, (y, m, d) in readings.items():
            try:
                readings[name] = dt.date(y, m, d)  # type: ignore[assignment]
            except ValueError:
                readings[name] = None  # type: ignore[assignment]
        if day_first is not None:
            return readings["day_first" if day_first else "month_first"]  # type: ignore[return-value]
        for anchor in (current, stated):
            for value in readings.values():
                if anchor is not None and value == anchor:
                    return value  # type: ignore[return-value]
    return None


def _rewrite_headings(out: list[str], entries: list[Entry], start: int, end: int) -> None:
    """``### 10:44`` and its paragraphs -> ``- 10:44`` with the paragraphs indented under it."""
    firsts = {e.line for e in entries}
    inside = False
    in_fence = False
    for i in range(start, end):
        raw = out[i]
        head = atx_heading(raw) if i in firsts else None
        if head is not None:
            out[i] = "- " + head.group(2)
            inside = True
            continue
        is_fence = bool(_FENCE.match(raw))
        if not in_fence and not is_fence and atx_heading(raw):
            inside = False  # another sub-heading (a date heading) ends the entry
            continue
        if is_fence:
            in_fence = not in_fence
        if raw.strip():
            if inside or _ITEM.match(raw) or raw[:1] not in (" ", "\t"):
                # Paragraphs of an entry, and lines before the first one, are indented: the KB's reader
                # takes them as the text of the entry above (or as prose), never as entries of their own.
                out[i] = "  " + raw


def _canonical(entry: Entry, zone: str | None, dated: bool) -> str:
    """The full time written in front of an entry; ``~`` first when the document says it is approximate,
    so that the KB reads it as approximate too."""
    at = entry.at
    if at is None:
        return entry.day.isoformat() if entry.day else ""
    clock = at.strftime("%H:%M" if at.second == 0 else "%H:%M:%S")
    offset = entry.lead.offset if entry.lead is not None else None
    mark = "~" if entry.approximate else ""
    if dated:
        text = f"{mark}{at.date().isoformat()} {clock}"
        return text + (offset if offset and offset != zone else "")
    return mark + clock + (f" (UTC {offset})" if offset and offset != zone else "")


def _make_consistent(out: list[str], entries: list[Entry], start: int, end: int, date: dt.date | None,
                     zone: str | None) -> None:
    """Rewrite, with the full time in front, each entry that the KB's reader would read at another instant."""
    timed = [e for e in entries if e.at is not None]
    if not timed:
        return
    dated = date is not None or any(e.lead is not None and (e.lead.date or e.lead.ambiguous_date) for e in timed)
    tzinfo = _offset_of(zone)
    by_line = {e.line: e for e in timed}
    for _ in range(3):
        section = "\n".join(out[start:end])
        events, _problems = parse_timeline(section, start + 1, date or _STAND_IN_DAY, tzinfo)
        read = {ev.line - 1: ev for ev in events}
        wrong = [e for e in by_line.values() if not _same(read.get(e.line), e, dated)]
        if not wrong:
            return
        for entry in wrong:
            _prefix(out, entry, _canonical(entry, zone, dated))
    # Whatever is still read differently is left as written: the report gives the import's reading.


def _same(event: TimelineEvent | None, entry: Entry, dated: bool) -> bool:
    if event is None or event.at is None or entry.at is None:
        return False
    mine = entry.at
    theirs = event.at
    if mine.tzinfo is None:
        theirs = theirs.replace(tzinfo=None)
    if not dated:
        return (mine.timetz() if mine.tzinfo else mine.time()) == (theirs.timetz() if theirs.tzinfo else theirs.time())
    return mine == theirs


def _prefix(out: list[str], entry: Entry, canonical: str) -> None:
    raw = out[entry.line]
    if entry.family == "table" and entry.cells is not None:
        # The KB reads a row's time from its first cell: the full time goes in front of that cell's text,
        # the rest of the row stays as written.
        open_at = raw.find("|")
        close_at = raw.find("|", open_at + 1)
        if open_at < 0:
            return
        close_at = len(raw) if close_at < 0 else close_at
        first = raw[open_at + 1:close_at].strip()
        cell = canonical if first in ("", canonical) else f"{canonical} \u2014 {first}"
        out[entry.line] = f"{raw[:open_at + 1]} {cell} {raw[close_at:]}".rstrip()
        return
    item = _ITEM.match(raw)
    if item:
        out[entry.line] = raw[:item.end()] + canonical + " \u2014 " + raw[item.end():].lstrip()
    else:
        indent = len(raw) - len(raw.lstrip())
        out[entry.line] = raw[:indent] + "- " + canonical + " \u2014 " + raw[indent:]
