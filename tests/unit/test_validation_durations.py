"""Durations named for what they measure, stated durations read from the write-up (with a
warning when they disagree with the timeline), and approximate dates and times."""

from __future__ import annotations

import datetime as dt

import pytest

from kit import write_postmortem
from postmortem_kb.durations import Stated, check_stated, disagrees, stated_durations
from postmortem_kb.loader import KBConfig, load_kb
from postmortem_kb.model import Metrics

TEXT = """---
title: Checkout errors
date: 2024-03-14
severity: SEV2
{extra}
---

## Summary

{summary}

## Timeline

- {start} [start] Deploy
- 10:03 [detected] Alert
- 10:10 [mitigated] Rolled back
- 10:29 [resolved] Caches warm

## Root cause

A bad build.
"""


def load(tmp_path, summary="It broke.", extra="", start="10:00"):
    write_postmortem(tmp_path, "x", TEXT.format(summary=summary, extra=extra, start=start))
    return load_kb(KBConfig(root=tmp_path))


def test_each_duration_is_named_for_what_it_measures(tmp_path):
    pm = load(tmp_path).postmortems[0]
    minutes = {k: v.total_seconds() / 60 for k, v in pm.metrics.durations().items()}
    assert minutes == {"time_to_detect": 3, "time_to_mitigate": 10, "time_to_resolve": 29, "impact_duration": 29}


@pytest.mark.parametrize("summary,key,minutes", [
    ("Checkout failed for 58 minutes.", "time_to_mitigate", 58),  # the impact: until mitigated
    ("It lasted about 1 hour and 5 minutes.", "impact_duration", 65),
    ("Time to detect: 20 min.", "time_to_detect", 20),
    ("**MTTR** was 2h", "time_to_resolve", 120),
])
def test_a_stated_duration_that_disagrees_is_kept_and_warned(tmp_path, summary, key, minutes):
    kb = load(tmp_path, summary=summary)
    pm = kb.postmortems[0]
    assert pm.stated_durations[key] == dt.timedelta(minutes=minutes)
    warnings = [p for p in kb.problems if p.code == "duration-mismatch"]
    assert [(p.line, p.severity) for p in warnings] == [(10, "warning")]  # the line of the sentence


@pytest.mark.parametrize("summary", ["Checkout failed for 30 minutes.", "Time to detect: 3 minutes",
                                     "Checkout failed for 10 minutes.",  # until mitigated
                                     "We were paged for 2 alerts."])
def test_agreeing_or_no_statement_gives_no_warning(tmp_path, summary):
    kb = load(tmp_path, summary=summary)
    assert not [p for p in kb.problems if p.code == "duration-mismatch"]


def test_for_n_minutes_elsewhere_is_not_the_impact():
    assert stated_durations([(1, "We waited for 50 minutes for the vendor.", False)]) == {}
    assert disagrees(dt.timedelta(minutes=60), dt.timedelta(minutes=58)) is False
    assert disagrees(dt.timedelta(minutes=58), dt.timedelta(minutes=29)) is True


def test_approximate_date_and_times(tmp_path):
    kb = load(tmp_path, extra="date_approximate: true", start="~10:00")
    pm = kb.postmortems[0]
    assert pm.date_approximate is True
    assert [e.approximate for e in pm.timeline] == [True, False, False, False]
    assert pm.timeline[0].text == "Deploy" and pm.metrics.time_to_resolve == dt.timedelta(minutes=29)
    for word in ("about 10:00", "approx. 10:00", "ca. 10:00", "≈10:00"):
        pm = load(tmp_path, start=word).postmortems[0]
        assert pm.timeline[0].approximate and pm.timeline[0].at.hour == 10, word


def test_stated_durations_are_linear():
    line = "time to detect " * 5000 + "for " + "1" * 5000
    stated_durations([(1, line, True), (1, "for 1 " * 20000, True)])


def at(minutes: int | None) -> dt.datetime | None:
    return None if minutes is None else dt.datetime(2024, 3, 14, 10, 0) + dt.timedelta(minutes=minutes)


def metrics(detected=12, mitigated=47, resolved=90) -> Metrics:
    return Metrics(at(0), at(detected), at(mitigated), at(resolved))


@pytest.mark.parametrize("text,kept_as", [
    ("API calls failed for 47 minutes.", "time_to_mitigate"),      # the impact, start to mitigated
    ("API calls failed for 90 minutes.", "impact_duration"),       # ... or the writer meant until resolved
    ("Outage duration: 45 min", "time_to_mitigate"),
    ("The incident lasted 1.5 hours.", "impact_duration"),          # the whole incident, start to resolved
    ("The incident lasted 47 minutes.", "time_to_mitigate"),        # ... or it "lasted" until mitigated
])
def test_a_stated_length_agreeing_with_what_its_words_name_is_no_mismatch(text, kept_as):
    stated = check_stated([(1, text, True)], metrics())
    assert stated.mismatches == []
    assert list(stated.lengths) == [kept_as]


def test_a_mismatch_names_the_durations_the_words_name():
    impact = check_stated([(3, "API calls failed for 20 minutes.", True)], metrics())
    assert impact.lengths == {"time_to_mitigate": dt.timedelta(minutes=20)}
    [(line, message)] = impact.mismatches
    assert line == 3 and "the impact lasted 20m" in message
    assert message.index("47m from start to mitigated") < message.index("1h 30m from start to resolved")
    whole = check_stated([(5, "The incident lasted 4 hours.", True)], metrics())
    [(line, message)] = whole.mismatches
    assert line == 5 and "the incident lasted 4h" in message
    assert whole.lengths == {"impact_duration": dt.timedelta(hours=4)}
    assert message.index("1h 30m from start to resolved") < message.index("47m from start to mitigated")
    detect = check_stated([(1, "Time to detect: 40 min", False)], metrics())
    assert [m for _, m in detect.mismatches] == ["the write-up says the time to detect is 40m; "
                                                 "the timeline gives 12m (from start to detected)"]


def test_without_a_mitigation_the_impact_is_checked_against_the_whole_incident():
    stated = check_stated([(1, "Payments failed for 20 minutes.", True)], metrics(mitigated=None))
    [(_, message)] = stated.mismatches
    assert "1h 30m from start to resolved" in message and "mitigated" not in message
    assert check_stated([(1, "Payments failed for 85 minutes.", True)], metrics(mitigated=None)).mismatches == []
    # No timeline moments: nothing to disagree with, the statement is still kept for the reader.
    nothing = check_stated([(1, "Payments failed for 20 minutes.", True)], Metrics())
    assert nothing.mismatches == [] and nothing.lengths == {"impact_duration": dt.timedelta(minutes=20)}


def test_an_explicit_time_to_mitigate_wins_over_the_impact_sentence():
    stated = check_stated([(1, "Time to mitigate: 45 min. Checkout failed for 80 minutes.", True)], metrics())
    assert stated.lengths == {"time_to_mitigate": dt.timedelta(minutes=45), "impact_duration": dt.timedelta(minutes=80)}
    assert stated.mismatches == []


def test_the_example_kb_states_durations_that_agree(tmp_path):
    from postmortem_kb.initkb import init_kb
    init_kb(tmp_path / "kb")
    kb = load_kb(KBConfig(root=tmp_path / "kb"))
    assert kb.postmortems and not kb.problems
    assert all(pm.stated_durations for pm in kb.postmortems)  # it does state them, and they agree


def test_two_for_lengths_are_phases_not_the_impacts_length():
    phases = "About 1 in 6 requests failed for 3 minutes, then latency doubled for 7 hours."
    assert check_stated([(1, phases, True)], metrics()) == Stated()
    # One phase per piece: the Impact section's single length still counts.
    stated = check_stated([(1, phases, True), (5, "Checkout failed for 20 minutes.", True)], metrics())
    assert [line for line, _ in stated.mismatches] == [5]


def test_code_is_not_a_statement_about_the_incident():
    text = ("The silence was made with `amtool silence add --duration=12h`.\n"
            "```\nretention:\n  duration: 30m\n```\nTime to detect: 12 min")
    stated = check_stated([(1, text, True)], metrics())
    assert stated.mismatches == [] and list(stated.lengths) == ["time_to_detect"]


def test_the_sample_kb_states_no_duration_the_timeline_contradicts():
    from kit import ROOT

    kb = load_kb(KBConfig(root=ROOT))
    assert kb.postmortems
    assert [p.format_text() for p in kb.problems if p.code == "duration-mismatch"] == []
