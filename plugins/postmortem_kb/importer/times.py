"""Times and dates as people write them at the start of a timeline entry, read without guessing.

``read_lead(text)`` looks only at the first characters of an entry (a bounded prefix, so
that every pattern here is linear in the entry) and returns what they say:

* a clock time, plain or wrapped (``[08:47]``, ``**17:02 UTC** -``, `` `10:44` ``), with
  seconds, in 12-hour form (``2:54 PM``, ``10:45a``, ``12:29p``) or bare (``4:19``: its
  half of the day is settled later by the entries around it);
* approximate (``ca. 18:30``, ``~14:18``, ``around 9:10``) and ranges (``02:00-04:30``);
* a date before or after the time, in the forms people use (``2019-01-23``, ``01/23/2019``,
  ``23.01.2019``, ``6th Nov 2023``, ``January 23rd, 2019``, ``Nov 6``, ``Tue 6 Nov``), or a
  date alone (a day-level entry, or a date line that the following times belong to);
* a timezone after the time (``UTC``, ``Z``, ``+03:00``, ``(UTC +03:00)``, ``PDT``,
  ``PST (UTC-7)``: an explicit offset wins over an abbreviation that disagrees with it).

Nothing is filled in: a part the text does not give is None.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ..timeline import ZONE_ABBREVIATIONS

_PREFIX = 120  # characters of an entry looked at: a time is at its start

MONTHS = {m: i for i, names in enumerate(
    [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
     ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
     ("october", "oct"), ("november", "nov"), ("december", "dec")], start=1) for m in names}
_MONTH = "(?P<{}>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|rsday|urday)?\.?,?[ \t]+)?"
_ORD = r"(?:st|nd|rd|th)?"
# Dates, each a full pattern with named groups y, m (number) or mon (word), d.
_DATES = [
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\d:])"),
    re.compile(r"(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})(?![\d/])"),
    re.compile(r"(?P<a>\d{1,2})([/.-])(?P<b>\d{1,2})\2(?P<y>\d{4})(?!\d)"),  # 01/23/2019, 23.01.2019, 23-01-2019
    re.compile(_WEEKDAY + r"(?P<d>\d{1,2})(?:" + _ORD[3:-2] + r"|\.)?[ \t]+(?:of[ \t]+)?" + _MONTH.format("mon")
               + r"(?:,?[ \t]+(?P<y>\d{4}))?(?![\w:])", re.I),
    re.compile(_WEEKDAY + _MONTH.format("mon") + r"[ \t]+(?P<d>\d{1,2})" + _ORD
               + r"(?:,?[ \t]+(?P<y>\d{4}))?(?![\w:])", re.I),
]
_CLOCK = re.compile(r"(?P<h>\d{1,2})(?::|h)(?P<min>\d{2})(?::(?P<s>\d{2})(?:\.\d{1,6})?)?(?![\d:])"
                    r"(?:[ \t]?(?P<ampm>[ap])\.?(?:m\.?)?(?![a-z]))?", re.I)
_ZONE = re.compile(
    r"[ \t]*\(?[ \t]?(?:(?P<utc>UTC|GMT)(?:[ \t]?(?P<uoff>[+-][ \t]?\d{1,2}(?::?\d{2})?))?"
    r"|(?P<off>[+-]\d{2}:?\d{2})|(?P<z>Z)(?![\w])|(?P<abbr>"
    + "|".join(sorted(ZONE_ABBREVIATIONS, key=len, reverse=True))
    + r"))(?![\w])[ \t]?\)?", re.I)
_ZONE_OFFSET_NOTE = re.compile(r"[ \t]*\((?:UTC|GMT)[ \t]?(?P<off>[+-][ \t]?\d{1,2}(?::?\d{2})?)\)", re.I)
_APPROX = re.compile(r"(?:~|≈|ca\.?|circa|approx\.?|approximately|around|about|roughly|est\.?)[ \t]*", re.I)
_WRAP_OPEN = re.compile(r"(?:\*\*|__|`|\[|\(|\*|_)")
_RANGE = re.compile(r"[ \t]*(?:-|–|—|to|until|till)[ \t]*(?=[~\d])", re.I)
_TEMPLATE = re.compile(r"\{\{.{0,60}?\}\}|\[(?:insert|date|time|hh:mm|yyyy)[^\]]{0,40}\]"
                       r"|\bHH:MM\b|\bYYYY-MM-DD\b", re.I)


@dataclass
class Lead:
    """What the start of an entry says about when it happened."""

    end: int  # where the time expression (with its wrappers and separator) ends
    hour: int | None = None
    minute: int | None = None
    second: int = 0
    ampm: str | None = None  # "a" / "p" when written
    approximate: bool = False
    date: tuple[int | None, int, int] | None = None  # (year or None, month, day)
    ambiguous_date: tuple[int, int, int] | None = None  # 03/04/2019: (first, second, year), day and month unsure
    offset: str | None = None  # "+03:00" when the entry states its zone
    zone_note: str | None = None  # the zone as written
    range_end: tuple[int, int] | None = None
    text: str = ""  # the expression as written
    label: str | None = None  # a label written before the time (`Detection` in `**Detection:** 3:15 PM`)

    @property
    def has_time(self) -> bool:
        return self.hour is not None

    @property
    def bare_twelve_hour(self) -> bool:
        """A time like ``4:19`` that could be morning or afternoon."""
        return self.hour is not None and self.ampm is None and 1 <= self.hour <= 12


def _offset_text(sign: str, hours: int, minutes: int) -> str | None:
    if minutes >= 60 or hours > 14:
        return None
    return f"{sign}{hours:02d}:{minutes:02d}"


def _zone(m: re.Match) -> tuple[str | None, str]:
    """A zone match -> (offset "+HH:MM" or None, as written)."""
    written = m.group(0).strip()
    if m.group("abbr"):
        return ZONE_ABBREVIATIONS[m.group("abbr").upper()], written
    if m.group("z"):
        return "+00:00", written
    raw = m.group("off") or m.group("uoff")
    if raw is None:
        return "+00:00", written  # UTC / GMT alone
    return parse_offset_text(raw), written


def parse_offset_text(raw: str) -> str | None:
    """``+3``, ``-07``, ``+0530``, ``+05:30`` -> ``+HH:MM``."""
    raw = raw.replace(" ", "")
    sign, digits = raw[0], raw[1:].replace(":", "")
    if not digits.isdigit():
        return None
    if len(digits) <= 2:
        return _offset_text(sign, int(digits), 0)
    return _offset_text(sign, int(digits[:-2]), int(digits[-2:]))


def read_date(text: str, pos: int = 0) -> tuple[int, tuple[int | None, int, int] | None,
                                                tuple[int, int, int] | None] | None:
    """A date at ``pos`` -> (end, (year, month, day) or None, ambiguous (a, b, year) or None)."""
    for pattern in _DATES:
        m = pattern.match(text, pos)
        if not m:
            continue
        groups = m.groupdict()
        year = int(groups["y"]) if groups.get("y") else None
        if groups.get("a"):
            a, b = int(groups["a"]), int(groups["b"])
            if a > 12 and b <= 12:
                month, day = b, a
            elif b > 12 and a <= 12:
                month, day = a, b
            elif a <= 12 and b <= 12:
                return m.end(), None, (a, b, year or 0)
            else:
                continue
        elif groups.get("mon"):
            month, day = MONTHS[groups["mon"].lower().rstrip(".")], int(groups["d"])
        else:
            month, day = int(groups["m"]), int(groups["d"])
        try:
            dt.date(year or 2000, month, day)
        except ValueError:
            continue
        return m.end(), (year, month, day), None
    return None


def _skip(text: str, pos: int, chars: str = " \t") -> int:
    while pos < len(text) and text[pos] in chars:
        pos += 1
    return pos


# A short label before the time: `**Detection:** May 7, 2024, 3:15 PM`, `Resolved: 10:40`.
_LABEL_LEAD = re.compile(r"(?:\*\*|__)?(?P<label>[A-Za-z][A-Za-z /&'-]{0,30}?)[ \t]*:(?:\*\*|__)?[ \t]+"
                         r"(?=[\[(*_`~]*[\dA-Za-z])")


def read_lead(entry: str) -> Lead | None:
    """The time (and date, zone...) an entry starts with, or None when it starts with neither.

    A short label before it (``**Detection:** 3:15 PM``) is passed over: the lead then ends after
    the time, and ``label`` says what the label was.
    """
    lead = _read_lead(entry)
    if lead is not None:
        return lead
    label = _LABEL_LEAD.match(entry[:_PREFIX])
    if label is None or len(label.group("label").split()) > 4:
        return None
    lead = _read_lead(entry[label.end():])
    if lead is None:
        return None
    lead.end += label.end()
    lead.label = label.group("label").strip()
    return lead


def _read_lead(entry: str) -> Lead | None:
    text = entry[:_PREFIX]
    pos = 0
    closers: list[str] = []
    while True:  # wrappers: **, `, [, ( ... possibly nested ("**[10:44]**")
        m = _WRAP_OPEN.match(text, pos)
        if not m or len(closers) >= 3:
            break
        closers.append({"[": "]", "(": ")"}.get(m.group(0), m.group(0)))
        pos = m.end()
    lead = Lead(end=0)
    approx = _APPROX.match(text, pos)
    if approx and approx.end() > pos and (approx.group(0).startswith(("~", "≈"))
                                          or text[approx.end():approx.end() + 1].isdigit()):
        lead.approximate = True
        pos = approx.end()
    start = pos
    date = read_date(text, pos)
    if date:
        pos, lead.date, lead.ambiguous_date = date
        m = re.match(r"(?:[ \t]*,)?[ \t]*(?:T|at[ \t]|@|[ \t]|,|-[ \t])[ \t]*", text[pos:pos + 8])
        after = pos + (m.end() if m else 0)
        approx = _APPROX.match(text, after)
        if approx and approx.end() > after and text[approx.end():approx.end() + 1].isdigit():
            lead.approximate = True
            after = approx.end()
        clock = _CLOCK.match(text, after)
        if clock:
            pos = _set_clock(lead, clock)
    else:
        clock = _CLOCK.match(text, pos)
        if not clock:
            return None
        pos = _set_clock(lead, clock)
    if lead.hour is None and lead.date is None and lead.ambiguous_date is None:
        return None
    if lead.hour is not None:
        rng = _RANGE.match(text, pos)
        if rng:
            end_clock = _CLOCK.match(text, rng.end() + (1 if text[rng.end():rng.end() + 1] == "~" else 0))
            if end_clock:
                lead.range_end = (int(end_clock.group("h")), int(end_clock.group("min")))
                pos = end_clock.end()
        zone = _ZONE.match(text, pos)
        if zone and zone.group(0).strip(" \t()"):
            offset, written = _zone(zone)
            pos = zone.end()
            note = _ZONE_OFFSET_NOTE.match(text, pos)
            if note:  # "PST (UTC-7)": the offset says what was meant
                offset, written = parse_offset_text(note.group("off")), f"{written} {note.group(0).strip()}"
                pos = note.end()
            lead.offset, lead.zone_note = offset, written
        if lead.date is None and lead.ambiguous_date is None:  # the date after the time: "14:03 on 2018-02-12"
            m = re.match(r"[ \t]*(?:,|on|of)?[ \t]*", text[pos:pos + 6])
            later = read_date(text, pos + (m.end() if m else 0))
            if later:
                pos, lead.date, lead.ambiguous_date = later
    lead.text = text[start:pos].strip()
    for closer in reversed(closers):  # the wrappers close after the expression (or a little later)
        at = _skip(text, pos)
        if text.startswith(closer, at):
            pos = at + len(closer)
        elif closer in ("**", "__", "`") and text.find(closer, pos, pos + 40) > 0:
            continue  # "**10:44 the alert fires**": the emphasis covers the text too
        elif closer in ("]", ")"):
            return None  # "[10:44 is not a time]"-like text, or a link: not a lead
    sep = re.match(r"[ \t]*(?:[-–—:|,.>]+[ \t]*)?", text[pos:pos + 8])
    lead.end = pos + (sep.end() if sep else 0)
    return lead


def _set_clock(lead: Lead, m: re.Match) -> int:
    hour, minute = int(m.group("h")), int(m.group("min"))
    ampm = (m.group("ampm") or "").lower() or None
    if minute > 59 or hour > 23 or (ampm and not 1 <= hour <= 12):
        return m.start()
    lead.hour, lead.minute, lead.second = hour, minute, int(m.group("s") or 0)
    if lead.second > 59:
        lead.hour = None
        return m.start()
    lead.ampm = ampm
    return m.end()


def template_leftover(text: str) -> str | None:
    """A template placeholder left in the text (``{{ 06:10 }}``, ``[insert date]``, ``HH:MM``), if any."""
    m = _TEMPLATE.search(text[:_PREFIX])
    return m.group(0) if m else None


def hour24(hour: int, ampm: str | None) -> int:
    if ampm == "a":
        return 0 if hour == 12 else hour
    if ampm == "p":
        return 12 if hour == 12 else hour + 12
    return hour
