"""Durations the write-up states in words ("for 58 minutes", "Time to detect: 8 min").

The timeline gives the computed durations; writers also state them, and when the two disagree
the reader deserves both (the site shows the stated one beside the computed one) and the writer
a warning (``duration-mismatch``). Every pattern here is bounded (no nested repetition, gaps of
at most a few characters), so a line is read in linear time whatever it holds.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

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
_LABELLED = re.compile(
    r"(?i)\b(?:" + "|".join(f"(?P<{key}>{rx})" for key, rx in _LABELS.items()) + r")\b"
    r"[ \t*_]{0,3}[:=\-–—]?[ \t*_]{0,3}(?:was[ \t]{1,3}|of[ \t]{1,3})?" + _ABOUT + r"(?:" + _AMOUNT + r")")
# "for 58 minutes", in the impact field and the Impact and Summary sections: the impact's length.
_FOR = re.compile(r"(?i)\bfor[ \t]{1,3}" + _ABOUT + r"(?:" + _AMOUNT + r")")

KEYS = tuple(_LABELS)


def _delta(m: re.Match) -> dt.timedelta:
    if m.group("h") is not None:
        return dt.timedelta(hours=float(m.group("h")), minutes=int(m.group("hm") or 0))
    return dt.timedelta(minutes=int(m.group("m")))


def stated_durations(texts: Iterable[tuple[int, str, bool]]) -> dict[str, tuple[dt.timedelta, int]]:
    """``{key: (duration, line)}`` from ``(first line, text, about_impact)`` pieces of a write-up;
    ``about_impact`` says whether "for N minutes" there is the impact's length. The first
    statement of each kind wins."""
    found: dict[str, tuple[dt.timedelta, int]] = {}
    for first_line, text, about_impact in texts:
        for offset, line in enumerate(text.split("\n")):
            if len(line) > 2000:
                line = line[:2000]  # a statement is a phrase, not a page
            for m in _LABELLED.finditer(line):
                key = next(k for k in KEYS if m.group(k) is not None)
                found.setdefault(key, (_delta(m), first_line + offset))
            if about_impact and "impact_duration" not in found:
                m = _FOR.search(line)
                if m:
                    found["impact_duration"] = (_delta(m), first_line + offset)
    return found


def disagrees(stated: dt.timedelta, computed: dt.timedelta) -> bool:
    """More than 5 minutes and 20% apart: rounding ("about an hour") is not a disagreement."""
    gap = abs(stated - computed)
    return gap > dt.timedelta(minutes=5) and gap > 0.2 * max(stated, computed)
