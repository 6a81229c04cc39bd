"""The timeline parser: time formats, key moments, midnight, order."""

from __future__ import annotations

import datetime as dt

import pytest

from postmortem_kb.timeline import TimeParseError, format_duration, parse_offset, parse_timeline, split_sections

UTC = dt.timezone.utc
PLUS3 = dt.timezone(dt.timedelta(hours=3))


def events(text, date=dt.date(2024, 5, 1), tz=None):
    evs, problems = parse_timeline(text, 1, date, tz)
    return evs, problems


@pytest.mark.parametrize("entry,expected", [
    ("- 10:44 x", dt.datetime(2024, 5, 1, 10, 44, tzinfo=UTC)),
    ("- 10:44 (UTC +03:00) x", dt.datetime(2024, 5, 1, 10, 44, tzinfo=PLUS3)),
    ("- 10:44 (UTC +03:00)x", dt.datetime(2024, 5, 1, 10, 44, tzinfo=PLUS3)),
    ("- 10:44 UTC+3: x", dt.datetime(2024, 5, 1, 10, 44, tzinfo=PLUS3)),
    ("- 2021-06-22 08:21 x", dt.datetime(2021, 6, 22, 8, 21, tzinfo=UTC)),
    ("- 2021-06-22T08:21:30+03:00 x", dt.datetime(2021, 6, 22, 8, 21, 30, tzinfo=PLUS3)),
    ("- 2021-06-22T08:21Z x", dt.datetime(2021, 6, 22, 8, 21, tzinfo=UTC)),
    ("- 2:05 PM x", dt.datetime(2024, 5, 1, 14, 5, tzinfo=UTC)),
    ("* **10:44** - x", dt.datetime(2024, 5, 1, 10, 44, tzinfo=UTC)),
    ("- `10:44 (UTC +03:00)` x", dt.datetime(2024, 5, 1, 10, 44, tzinfo=PLUS3)),
    ("- **2021-06-22 08:21** x", dt.datetime(2021, 6, 22, 8, 21, tzinfo=UTC)),
    ("| 10:44 | x |", dt.datetime(2024, 5, 1, 10, 44, tzinfo=UTC)),
    ("10:44 x", dt.datetime(2024, 5, 1, 10, 44, tzinfo=UTC)),
    ("- 9:16 PM PDT: x", dt.datetime(2024, 5, 1, 21, 16, tzinfo=dt.timezone(dt.timedelta(hours=-7)))),
    ("- June 22, 2021 08:21 UTC - x", dt.datetime(2021, 6, 22, 8, 21, tzinfo=UTC)),
    ("- Tue 22 Jun 2021 at 8:21 pm x", dt.datetime(2021, 6, 22, 20, 21, tzinfo=UTC)),
    ("- May 3rd, 11:05 (CEST) x", dt.datetime(2024, 5, 3, 11, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))),
])
def test_time_formats(entry, expected):
    evs, problems = events(entry)
    assert problems == []
    assert evs[0].at == expected
    if expected is not None:
        assert evs[0].text == "x"


def test_key_moments_and_table_header():
    text = ("| Time | Event |\n|------|-------|\n| 10:00 | a [start] |\n"
            "| 10:07 | [detected] b |\n| 11:00 | c [Resolved] |")
    evs, problems = events(text, tz=PLUS3)
    assert problems == []
    assert [(e.at.hour, e.at.minute, e.moment, e.text) for e in evs] == [
        (10, 0, "start", "a"), (10, 7, "detected", "b"), (11, 0, "resolved", "c")]
    assert evs[0].at.tzinfo == PLUS3


def test_midnight_crossing_and_backwards():
    evs, problems = events("- 23:40 a\n- 00:15 b\n- 00:50 c")
    assert [e.at.day for e in evs] == [1, 2, 2] and problems == []
    evs, problems = events("- 11:00 a\n- 09:00 b")
    assert problems and "backwards" in problems[0][1] and problems[0][0] == 2


def test_impossible_times_are_reported():
    _, problems = events("- 25:10 a")
    assert problems and "not a time" in problems[0][1]


def test_entries_without_time_are_kept():
    evs, _ = events("- 10:00 a\n- then something happened")
    assert evs[1].at is None and evs[1].text == "then something happened"


def test_wrapped_list_items_join():
    evs, _ = events("- 10:00 a long\n  entry that wraps")
    assert evs[0].text == "a long entry that wraps"


@pytest.mark.parametrize("value,minutes", [("+03:00", 180), ("-0530", -330), ("UTC+3", 180), ("Z", 0), ("+14:00", 840),
                                           ("PDT", -420), ("ist", 330)])
def test_offsets(value, minutes):
    assert parse_offset(value).utcoffset(None) == dt.timedelta(minutes=minutes)


@pytest.mark.parametrize("value", ["+15:00", "-13:00", "+03:75", "Mars/Olympus", "3 pm"])
def test_offsets_out_of_range(value):
    with pytest.raises(TimeParseError):
        parse_offset(value)


def test_sections_ignore_code_fences():
    sections = split_sections("## Summary\ns\n```\n## Timeline\n```\n## Root Cause Analysis\nr", 10)
    assert [(s.key, s.line) for s in sections] == [("summary", 10), ("root_cause", 15)]


def test_format_duration():
    assert [format_duration(dt.timedelta(minutes=m)) for m in (5, 65, 1500)] == ["5m", "1h 05m", "1d 1h"]
    assert format_duration(None) == ""


def test_timeline_lines_count_blank_lines_after_the_heading():
    sections = split_sections("## Timeline\n\n\n- 10:00 a\n- 09:00 b\n", 20)
    (section,) = sections
    assert section.text_line == 23
    _, problems = parse_timeline(section.text, section.text_line, dt.date(2024, 1, 1), None)
    assert problems[0][0] == 24


def test_words_that_are_not_dates_stay_text():
    evs, problems = events("- May the fourth be with you\n- March 10 deploys went out")
    assert problems == [] and [e.at for e in evs] == [None, None]


def test_a_short_number_after_a_time_is_text_not_an_offset():
    evs, problems = events("- 00:00 start\n- 00:05 +1 replica added")
    assert problems == []
    assert evs[1].at == dt.datetime(2024, 5, 1, 0, 5, tzinfo=UTC) and evs[1].text == "+1 replica added"
    evs, _ = events("- 10:00 +0300 x")
    assert evs[0].at.utcoffset() == dt.timedelta(hours=3)
