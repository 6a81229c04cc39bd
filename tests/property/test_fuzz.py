"""Property tests: any input gives a model or a clear error, never an unhandled exception."""

from __future__ import annotations

import datetime as dt
import shutil

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kit import ROOT
from postmortem_kb.frontmatter import read_source
from postmortem_kb.loader import KBConfig, build_postmortem, load_one
from postmortem_kb.problems import PostmortemError, Problem
from postmortem_kb.taxonomy import load_taxonomy
from postmortem_kb.timeline import parse_timeline, split_sections
from postmortem_kb.validation.content import CONTROL
from postmortem_kb.writer import write_postmortem

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TAXONOMY = load_taxonomy(ROOT / "taxonomy.yml")
CONFIG = KBConfig(root=ROOT)

YAML_CHARS = list("abc:-[]{}'\"&*!#|>%@` \t\n0123456789.,?<=") + ["\x00", "é", "\ufeff", "\r"]
yaml_ish = st.text(alphabet=st.sampled_from(YAML_CHARS),
                   max_size=200)


def check_problems(problems):
    assert problems and all(isinstance(p, Problem) and p.line >= 1 and p.code and p.message for p in problems)


@FUZZ
@given(st.binary(max_size=400))
def test_any_bytes_give_a_document_or_problems(data):
    try:
        doc = read_source(data, "x.md")
    except PostmortemError as exc:
        check_problems(exc.problems)
    else:
        assert isinstance(doc.front_matter, dict)


@FUZZ
@given(yaml_ish, st.text(max_size=200))
def test_any_front_matter_gives_a_model_or_problems(front, body):
    data = f"---\n{front}\n---\n{body}".encode()
    try:
        doc = read_source(data, "x.md")
    except PostmortemError as exc:
        check_problems(exc.problems)
        return
    pm = build_postmortem(doc, TAXONOMY, CONFIG, "x", ROOT / "x.md")
    for p in pm.problems:
        assert p.line >= 1 and p.code


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20) | st.dates(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12)
FIELDS = ["title", "date", "severity", "status", "id", "authors", "components", "root_causes", "trigger",
          "detection", "impact", "tags", "related", "timezone", "started_at", "detected_at", "mitigated_at",
          "resolved_at", "action_items"]


@FUZZ
@given(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=10))
def test_wrong_types_in_any_field_never_crash(fields):
    text = "---\n" + yaml.safe_dump(fields, allow_unicode=True) + "---\n## Summary\ns\n## Root cause\nr\n"
    try:
        doc = read_source(text.encode(), "x.md")
    except PostmortemError as exc:
        check_problems(exc.problems)
        return
    build_postmortem(doc, TAXONOMY, CONFIG, "x", ROOT / "x.md")


@FUZZ
@given(st.text(max_size=300), st.one_of(st.none(), st.dates()))
def test_timeline_parser_never_crashes(text, date):
    events, problems = parse_timeline(text, 1, date, None)
    for line, message in problems:
        assert line >= 1 and message
    split_sections(text, 1)


@FUZZ
@given(st.lists(st.integers(min_value=0, max_value=600), min_size=1, max_size=12),
       st.integers(min_value=-12 * 60, max_value=14 * 60).map(lambda m: m - m % 15))
def test_ordered_timelines_parse_in_order_with_the_right_offset(gaps, offset_minutes):
    zone = dt.timezone(dt.timedelta(minutes=offset_minutes))
    start = dt.datetime(2024, 2, 28, 22, 0, tzinfo=zone)
    times, t = [], start
    for gap in gaps:
        t = t + dt.timedelta(minutes=gap)
        times.append(t)
    text = "\n".join(f"- {x.strftime('%Y-%m-%d %H:%M')} event {i}" for i, x in enumerate(times))
    events, problems = parse_timeline(text, 1, start.date(), zone)
    assert problems == []
    assert [e.at for e in events] == times
    assert [e.text for e in events] == [f"event {i}" for i in range(len(times))]


@FUZZ
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60),
       st.sampled_from(["SEV1", "SEV2", "SEV3", "SEV4"]),
       st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2999, 12, 31)),
       st.lists(st.sampled_from(sorted(TAXONOMY.terms["components"])), max_size=3, unique=True))
def test_front_matter_round_trips(tmp_path_factory, title, severity, date, components):
    fields = {"title": title, "date": date, "severity": severity, "components": components,
              "root_causes": ["software-bug"]}
    root = tmp_path_factory.mktemp("kb")
    shutil.copy(ROOT / "taxonomy.yml", root / "taxonomy.yml")
    path = root / "postmortems" / "x.md"
    write_postmortem(path, fields, "## Summary\ns\n## Root cause\nr\n")
    result = load_one(path, TAXONOMY, KBConfig(root=root))
    pm = result.postmortem
    if pm is None:  # e.g. a title of only spaces or over 200 characters
        check_problems(result.problems)
        return
    errors = [p for p in pm.problems if p.is_error]
    if CONTROL.search(title):
        assert [p.code for p in errors] == ["control-character"]
        return
    if not title.strip() or len(title) > 200 or "TODO" in title:
        return
    assert errors == [], errors
    assert (pm.title, pm.date, pm.severity, pm.components) == (title.strip(), date, severity, components)


def _parsed_flow_depth(text: str) -> int:
    """How deep YAML's parser nests flow collections in text (up to where it stops on an error)."""
    depth = best = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)) and event.flow_style:
                depth += 1
                best = max(best, depth)
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)) and depth:
                depth -= 1
    except yaml.YAMLError:
        pass
    return best


FLOW_CHARS = list("ab:-[]{}'\"\\#|> ,\n?")


@FUZZ
@given(st.text(alphabet=st.sampled_from(FLOW_CHARS), max_size=120))
def test_the_nesting_pre_check_never_counts_less_than_yaml_nests(text):
    from postmortem_kb.frontmatter import yaml_flow_depth

    for candidate in (text, "a: " + text, "- " + text, "a:\n  " + text):
        # One bracket can make two levels: `[a: b]` is a sequence of a mapping.
        assert _parsed_flow_depth(candidate) <= 2 * yaml_flow_depth(candidate) + 1, candidate
