"""How times and durations read on every page of the site."""

from __future__ import annotations

import datetime as dt

from ..timeline import format_duration


def format_offset(at: dt.datetime) -> str:
    """``UTC+03:00``, ``UTC``."""
    offset = at.utcoffset() or dt.timedelta(0)
    if not offset:
        return "UTC"
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds() // 60))
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def format_moment(at: dt.datetime | None, tz: dt.tzinfo | None = None) -> str:
    """``2024-03-14 10:44 UTC+03:00`` in the incident's own timezone."""
    if at is None:
        return ""
    if tz is not None:
        at = at.astimezone(tz)
    return f"{at:%Y-%m-%d %H:%M} {format_offset(at)}"


def duration(delta: dt.timedelta | None) -> str:
    return format_duration(delta)


def elapsed(at: dt.datetime | None, start: dt.datetime | None) -> str:
    """``+1h 05m`` since the start, or ``""``."""
    if at is None or start is None:
        return ""
    text = format_duration(at - start)
    return text if text.startswith("-") else f"+{text}"
