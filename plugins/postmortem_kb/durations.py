"""Durations the write-up states in words ("for 58 minutes", "Time to detect: 8 min").

The timeline gives the computed durations; writers also state them, and when the two disagree
the reader deserves both (the site shows the stated one beside the computed one) and the writer
a warning (``duration-mismatch``). Every pattern here is bounded (no nested repetition, gaps of
at most a few characters), so a line is read in linear time whatever it holds.

Which computed duration a statement is checked against is the one its words name:

- "time to detect / mitigate / resolve" (TTD, MTTR...): start to detected / mitigated / resolved;
- the impact ("for 58 minutes" in the impact field, Summary or Impact section, when it is the only
  "for ..." length there: two are phases of the impact, not its length; "impact duration",
  "outage duration", "downtime"): what users lived through, which ends when the incident is
  mitigated: start to mitigated (start to resolved when the timeline marks no mitigation);
- the whole incident ("incident duration", "total duration", "lasted"): start to resolved.

Writers use the last two loosely (an outage "lasted" until it was mitigated; the impact of a
partial mitigation runs until resolved), so a statement of either that agrees with the other
one is no disagreement either: it is kept as a statement of the one it agrees with.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .timeline import format_duration

# "1h 20m", "1 hour and 20 minutes", "58 minutes", "2 hrs", "90 min", "1.5 hours"
_AMOUNT = (r"(?P<h>\d{1,3}(?:\.\d{1,2})?)[ \t]{0,2}(?:h|hrs?|hours?)\b(?:[ \t,]{0,3}(?:and[ \t]{1,3})?"
           r"(?P<hm>\d{1,2})[ \t]{0,2}(?:m|mins?|minutes?)\b)?"
           r"|(?P<m>\d{1,4})[ \t]{0,2}(?:m|mins?|minutes?)\b")
_ABOUT = r"(?:(?:about|around|roughly|approximately|approx\.?|nearly|almost|~)[ \t]{0,3})?"
_LABELS = {
    "time_to_detect": r"time[ \t]to[ \t]detect(?:ion)?|detection[ \t]time|ttd|mttd|detected[ \t](?:after|within)",
    "time_to_mitigate": r"time[ \t]to[ \t]mitigat(?:e|ion)|mitigation[ \t]time|ttm|mttm|mitigated[ \t](?:after|within)",
    "time_to_resolve": r"time[ \t]to[ \t](?:resolve|resolution|recover|recovery)|resolution[ \t]time|ttr|mttr"
                       r"|resolved[ \t](?:after|within)",
    "impact_duration": (r"(?:total[ \t])?(?:impact|outage|incident|downtime)[ \t]duration"
                        r"|duration|lasted|downtime[ \t]of"),
}
# Among the "impact_duration" labels, those that name the impact (not the whole incident).
_IMPACT_WORDS = re.compile(r"(?i)^(?:total[ \t])?(?:impact|outage|downtime)\b")
_LABELLED = re.compile(
    r"(?i)\b(?:" + "|".join(f"(?P<{key}>{rx})" for key, rx in _LABELS.items()) + r")\b"
    r"[ \t*_]{0,3}[:=\-–—]?[ \t*_]{0,3}(?:was[ \t]{1,3}|of[ \t]{1,3})?" + _ABOUT + r"(?:" + _AMOUNT + r")")
# "for 58 minutes", in the impact field and the Impact and Summary sections: the impact's length.
_FOR = re.compile(r"(?i)\bfor[ \t]{1,3}" + _ABOUT + r"(?:" + _AMOUNT + r")")

KEYS = tuple(_LABELS)
# A statement ends with its amount, whose last digit before the unit is a match of _UNIT: a
# label starts at most _LABEL_REACH characters before that digit (the longest label, 23, the
# longest gap, 29, and the amount's digits before it, 5) and "for" at most _FOR_REACH (3, 19,
# 5). Each label holds one of _LABEL_WORDS, so a line where none is that close before an
# amount holds no statement and is not searched (most lines with an amount: "within 4 minutes").
_LABEL_REACH, _FOR_REACH = 60, 30
_LABEL_WORDS = re.compile(r"(?i)time|detect|ttd|ttm|ttr|mitigat|resol|duration|lasted|downtime")
_FOR_WORD = re.compile(r"(?i)for")
_FENCE = re.compile(r"[ \t]{0,3}(?:```|~~~)")
_CODE_SPAN = re.compile(r"`[^`\n]{0,2000}`")
_UNIT = re.compile(r"\d[ \t]{0,2}[hHmM]")


def _delta(m: re.Match) -> dt.timedelta:
    if m.group("h") is not None:
        return dt.timedelta(hours=float(m.group("h")), minutes=int(m.group("hm") or 0))
    return dt.timedelta(minutes=int(m.group("m")))


def _statements(texts: Iterable[tuple[int, str, bool]]) -> dict[str, tuple[dt.timedelta, int]]:
    """``{kind: (duration, line)}``, kinds ``time_to_*``, ``impact`` and ``total``; the first
    statement of each kind wins."""
    found: dict[str, tuple[dt.timedelta, int]] = {}
    for first_line, text, about_impact in texts:
        lengths: list[tuple[dt.timedelta, int]] = []  # every "for N minutes" of this piece
        fenced = False
        for offset, line in enumerate(text.split("\n")):
            if len(line) > 2000:
                line = line[:2000]  # a statement is a phrase, not a page
            # Code is not a statement about the incident (`amtool silence add --duration=12h`).
            if _FENCE.match(line):
                fenced = not fenced
                continue
            if fenced or ("`" not in line and not _UNIT.search(line)):
                continue  # (every amount is a digit and then h or m: most lines have none)
            line = _CODE_SPAN.sub(" ", line)
            units = [m.start() for m in _UNIT.finditer(line)]
            if not units:
                continue
            if _near(_LABEL_WORDS, line, units, _LABEL_REACH):
                for m in _LABELLED.finditer(line):
                    key = next(k for k in KEYS if m.group(k) is not None)
                    if key == "impact_duration":
                        key = "impact" if _IMPACT_WORDS.match(m.group(key)) else "total"
                    found.setdefault(key, (_delta(m), first_line + offset))
            if about_impact and len(lengths) < 2 and _near(_FOR_WORD, line, units, _FOR_REACH):
                lengths += [(_delta(m), first_line + offset) for m in _FOR.finditer(line)][:2]
        # One "for N minutes" is the impact's length; two or more ("failed for 3 minutes, then
        # was slow for 7 hours") are its phases, and none of them is the whole.
        if len(lengths) == 1:
            found.setdefault("impact", lengths[0])
    return found


def _near(words: re.Pattern[str], line: str, units: list[int], reach: int) -> bool:
    """Whether one of ``words`` ends within ``reach`` characters before one of the amounts."""
    return any(words.search(line, max(at - reach, 0), at) for at in units)


def stated_durations(texts: Iterable[tuple[int, str, bool]]) -> dict[str, tuple[dt.timedelta, int]]:
    """``{key: (duration, line)}`` from ``(first line, text, about_impact)`` pieces of a write-up;
    ``about_impact`` says whether "for N minutes" there is the impact's length. The first
    statement of each kind wins; the impact and the whole incident are both ``impact_duration``
    here (:func:`check_stated` tells them apart)."""
    found = _statements(texts)
    whole = [found.pop(k) for k in ("impact", "total") if k in found]
    if whole:
        found["impact_duration"] = min(whole, key=lambda stated: stated[1])
    return found


@dataclass
class Stated:
    """What :func:`check_stated` makes of a write-up's durations: each under the computed
    duration it is a statement of (``{metric: length}``, the model's ``stated_durations``), and
    the statements that disagree with the timeline, as ``(line, message)``."""

    lengths: dict[str, dt.timedelta] = field(default_factory=dict)
    mismatches: list[tuple[int, str]] = field(default_factory=list)


def check_stated(texts: Iterable[tuple[int, str, bool]], metrics: object) -> Stated:
    """Read the durations a write-up states and check each against the duration its words name
    (see the module's docstring); ``metrics`` has the model's ``time_to_*`` attributes. A length
    that agrees with the whole incident is kept as ``impact_duration``, the model's total."""
    out = Stated()
    found = _statements(texts)

    def computed(key: str) -> dt.timedelta | None:
        value = getattr(metrics, key, None)
        return value if isinstance(value, dt.timedelta) else None

    def keep(key: str, length: dt.timedelta) -> None:
        out.lengths.setdefault(key, length)

    for key in ("time_to_detect", "time_to_mitigate", "time_to_resolve"):
        if key in found:
            length, line = found[key]
            keep(key, length)
            value = computed(key)
            if value is not None and disagrees(length, value):
                out.mismatches.append((line, f"the write-up says the {_NAMES[key]} is {format_duration(length)}; "
                                             f"the timeline gives {format_duration(value)} ({_SPANS[key]})"))
    mitigate, total = computed("time_to_mitigate"), computed("time_to_resolve")
    for kind in ("impact", "total"):
        if kind not in found:
            continue
        length, line = found[kind]
        # The duration the words name first, the other one the writer may have meant.
        candidates = [("time_to_mitigate", mitigate), ("impact_duration", total)]
        if kind == "total":
            candidates.reverse()
        named = [(key, value) for key, value in candidates if value is not None]
        agreeing = next((key for key, value in named if not disagrees(length, value)), None)
        if agreeing is not None or not named:
            keep(agreeing or "impact_duration", length)
            continue
        keep(named[0][0], length)
        gives = " and ".join(f"{format_duration(value)} {_SPANS[key]}" for key, value in named)
        what = "the impact lasted" if kind == "impact" else "the incident lasted"
        out.mismatches.append((line, f"the write-up says {what} {format_duration(length)}; "
                                     f"the timeline gives {gives}"))
    return out


_NAMES = {"time_to_detect": "time to detect", "time_to_mitigate": "time to mitigate",
          "time_to_resolve": "time to resolve"}
_SPANS = {"time_to_detect": "from start to detected", "time_to_mitigate": "from start to mitigated",
          "time_to_resolve": "from start to resolved", "impact_duration": "from start to resolved"}


def disagrees(stated: dt.timedelta, computed: dt.timedelta) -> bool:
    """More than 5 minutes and 20% apart: rounding ("about an hour") is not a disagreement."""
    gap = abs(stated - computed)
    return gap > dt.timedelta(minutes=5) and gap > 0.2 * max(stated, computed)
