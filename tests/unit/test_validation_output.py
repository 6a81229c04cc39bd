"""Problem output cannot be forged: whatever a value holds, each problem is one line that
starts with its own path (text) or its own workflow command (GitHub)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from kit import write_postmortem
from postmortem_kb.loader import KBConfig, load_kb
from postmortem_kb.problems import Problem, escape_output, format_problems

hostile = st.lists(st.sampled_from(list("ab:,%\n\r\t\x1b\x00\x85\u2028\u2029\u202e\x7f\x9b")
                                   + ["::error ", "::add-mask::"]), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(hostile, hostile, hostile, st.booleans())
def test_each_problem_is_one_line_that_starts_with_its_path(path, message, hint, error):
    problem = Problem("postmortems/" + path, 3, "yaml-syntax", message, hint, "error" if error else "warning")
    text = format_problems([problem])
    assert len(text.splitlines()) == 1 and "\r" not in text and "\x1b" not in text
    assert text.startswith("postmortems/")
    github = format_problems([problem], "github")
    assert len(github.splitlines()) == 1 and github.startswith(("::error file=", "::warning file="))
    assert github.split("::")[1].startswith(("error file=", "warning file="))
    assert json.loads(format_problems([problem], "json"))[0]["message"] == message  # JSON keeps the value


def test_escape_output_is_readable():
    assert escape_output("a\nb\r\x1b[31m\u202e") == "a\\nb\\r\\x1b[31m\\u202e"
    assert escape_output("plain: text, 100%") == "plain: text, 100%"


def test_a_forged_workflow_command_in_a_value_stays_inside_its_line(tmp_path, runner):
    from postmortem_kb.cli import cli
    write_postmortem(tmp_path, "x", '---\ntitle: "x\\n::error file=a.md,line=1::forged\\n::add-mask::abc"\n'
                     'date: 2024-03-14\nseverity: SEVX\n---\n## Summary\ns\n## Root cause\nr\n')
    for fmt in ("text", "github"):
        result = runner.invoke(cli, ["--kb", str(tmp_path), "validate", "--format", fmt])
        lines = result.output.splitlines()
        assert not any(line.startswith(("::error file=a.md", "::add-mask::")) for line in lines), result.output
        assert all(line.startswith(("postmortems/x.md:", "::error file=postmortems/x.md", "::warning file=")) or
                   " postmortem" in line for line in lines if line), result.output


def test_problems_keep_their_values_in_the_model(tmp_path):
    write_postmortem(tmp_path, "x", '---\ntitle: "a\\x1bb"\ndate: 2024-03-14\nseverity: SEV2\n---\n'
                     '## Summary\ns\n## Root cause\nr\n')
    problems = load_kb(KBConfig(root=tmp_path)).errors
    assert problems and "\x1b" not in "".join(p.format_text() for p in problems)
