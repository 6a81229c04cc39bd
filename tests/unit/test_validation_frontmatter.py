"""Front matter in every format through python-frontmatter's handlers: YAML for the KB, TOML
and JSON read (with limits and lines) for `pmkb import`, and a clear problem in the KB."""

from __future__ import annotations

import datetime as dt

import pytest

from kit import write_postmortem
from postmortem_kb.frontmatter import read_source, split_front_matter
from postmortem_kb.loader import KBConfig, load_kb
from postmortem_kb.problems import PostmortemError

YAML = "---\ntitle: Disk\ndate: 2024-03-14\ntags: [a, b]\n---\n\n## Summary\n\nx\n"
TOML = '+++\ntitle = "Disk"\ndate = 2024-03-14\ntags = ["a", "b"]\n+++\n\n## Summary\n\nx\n'
JSON = '{\n  "title": "Disk",\n  "date": "2024-03-14",\n  "tags": ["a", "b"]\n}\n\n## Summary\n\nx\n'


@pytest.mark.parametrize("text,fmt", [(YAML, "yaml"), (TOML, "toml"), (JSON, "json")])
def test_three_formats_split_with_values_lines_and_body(text, fmt):
    fm = split_front_matter(text, "x.md")
    assert fm.format == fmt
    assert fm.values["title"] == "Disk" and fm.values["tags"] == ["a", "b"]
    assert str(fm.values["date"]) == "2024-03-14"
    assert fm.lines[("title",)] == 2 and fm.lines[("tags",)] == 4
    assert fm.body.startswith("\n## Summary") and fm.body_line == 6
    first = text.split("\n").index("## Summary") + 1
    assert fm.body_line + fm.body.split("\n").index("## Summary") == first


@pytest.mark.parametrize("text,code,line", [
    ('+++\ntitle = "Disk"\ndate = \n+++\nbody', "front-matter-syntax", 3),
    ('{\n  "title": "Disk",\n  "date": \n}\nbody', "front-matter-syntax", 4),
    ('+++\ntitle = "Disk"\n', "unterminated-front-matter", 1),
    ('{\n  "title": "Disk"\n', "unterminated-front-matter", 1),
    ("+++\na = " + "[" * 40 + "]" * 40 + "\n+++\n", "too-deep", 2),
    ("{\n" + '"a": ' + "[" * 3000 + "]" * 3000 + "\n}\n", "too-deep", 1),
    ('+++\nx = "' + "a" * 200_000 + '"\n+++\n', "front-matter-too-large", 2),
    ("{\n}\nbody", "empty-front-matter", 1),
    ("---\n- a\n- b\n---\n", "front-matter-not-mapping", 2),
    ("no front matter\n", "missing-front-matter", 1),
    ("---\na: &x 1\nb: *x\n---\n", "yaml-alias", 2),
])
def test_broken_front_matter_gives_a_located_problem(text, code, line):
    with pytest.raises(PostmortemError) as exc:
        split_front_matter(text, "x.md")
    assert [(p.code, p.line) for p in exc.value.problems] == [(code, line)]


def test_toml_dates_and_times_are_plain_values():
    fm = split_front_matter('+++\ndate = 2024-03-14\nstarted_at = 2024-03-14T10:44:00+03:00\n+++\n', "x.md")
    assert fm.values["date"] == dt.date(2024, 3, 14)
    assert fm.values["started_at"].utcoffset() == dt.timedelta(hours=3)


@pytest.mark.parametrize("text", [TOML, JSON])
def test_foreign_front_matter_in_the_kb_points_to_import(tmp_path, text):
    write_postmortem(tmp_path, "hugo", text)
    errors = load_kb(KBConfig(root=tmp_path)).errors
    assert [(p.code, p.line) for p in errors] == [("foreign-front-matter", 1)]
    assert "pmkb import" in errors[0].hint


def test_read_source_is_unchanged_for_yaml():
    doc = read_source(YAML.encode(), "x.md")
    assert doc.front_matter["title"] == "Disk" and doc.body_line == 6 and doc.lines[("date",)] == 3


# -- Nesting depth: brackets in text are not nesting ------------------------------------------

def _read(front_matter: str):
    return read_source(f"---\n{front_matter}\n---\n\n## Summary\n\nx\n".encode(), "x.md")


@pytest.mark.parametrize("value", [
    '"' + "[" * 40 + '"',
    "'" + "[" * 40 + "'",
    '"a \\" ' + "[" * 40 + '"',  # an escaped quote does not end it
    "'it''s " + "{" * 40 + "'",  # nor does a doubled one
    "'" + "[" * 20 + "\n  " + "{" * 20 + "'",  # over two lines
    "Release [" + "[" * 30 + " notes",  # a plain scalar: brackets after text are text
])
def test_a_title_full_of_brackets_is_not_nested_too_deep(value):
    doc = _read(f"title: {value}\ndate: 2024-03-14")
    assert doc.front_matter["title"].count("[") + doc.front_matter["title"].count("{") >= 30


def test_brackets_in_comments_and_block_scalars_are_not_nesting():
    doc = _read("impact: |\n  " + "[" * 40 + "\n  more\ntags: [a]  # " + "[" * 40 + "\ndate: 2024-03-14")
    assert doc.front_matter["tags"] == ["a"] and doc.front_matter["impact"].startswith("[" * 40)


@pytest.mark.parametrize("front_matter", [
    "a: " + "[" * 17 + "]" * 17,
    "a: " + "{b: " * 17 + "}" * 17,
    "a: [\"x\", " + "[" * 17 + "]" * 17 + "]",  # a quoted item closes before the nesting
    "a: " + "[" * 17 + "'" + "]" * 17,  # a quote inside a flow collection but not at an item's start
    "]" * 40 + "\na: " + "[" * 17,  # closers first cannot hide openers later
    "a: [" + "'x'," * 5 + "[" * 17 + "]" * 18,
])
def test_real_nesting_is_still_refused_before_yaml_reads_it(front_matter):
    with pytest.raises(PostmortemError) as caught:
        _read(front_matter)
    assert caught.value.problems[0].code in ("too-deep", "yaml-syntax")


@pytest.mark.parametrize("lead", ["a: -'", "a: x'", 'a: b"', "a: 'x' ", "a: |x\n", "a: [x'", "a: {'x': [y'",
                                  "a:\n  - 'x' [", "a: ['''"])
def test_deep_nesting_behind_a_false_quote_is_refused_or_read_as_text(lead):
    # 20,000 levels would take YAML's parser deep into recursion if the pre-check missed them:
    # each is refused before parsing, or YAML reads the brackets as the text they are.
    try:
        doc = _read(lead + "[" * 20000 + "]" * 20000)
    except PostmortemError as exc:
        assert exc.problems[0].code in ("too-deep", "yaml-syntax")
    else:
        assert isinstance(doc.front_matter["a"], str) and "[" * 20000 in doc.front_matter["a"]


def test_plain_dates_read_as_pyyaml_reads_them():
    import random

    import yaml

    from postmortem_kb.frontmatter import parse_yaml

    rnd = random.Random(0)
    for _ in range(2000):
        value = f"{rnd.randint(0, 9999):04d}-{rnd.randint(0, 19):02d}-{rnd.randint(0, 39):02d}"
        try:
            ours = parse_yaml(f"d: {value}\n", "x.md")[0]["d"]
        except PostmortemError as exc:
            ours = exc.problems[0].message
        try:
            theirs = yaml.safe_load(f"d: {value}\n")["d"]
        except yaml.YAMLError as exc:
            theirs = f"`{value}` cannot be read: {str(exc).splitlines()[-1]}"
        except ValueError as exc:
            theirs = f"`{value}` cannot be read: {exc}"
        assert ours == theirs, value
