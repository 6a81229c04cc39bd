"""Pathological postmortems: inputs that made a parser or the site build super-linear.

``pathological_cases()`` lists them for the tests (run each under a time cap) and for the
benchmark (which times each one). Each case is a whole postmortem file's text, named for the
class of input it stands for; ``refused`` says whether validation must refuse it (a structural
limit of docs/format.md) or load it (our parsers must simply be linear on it).
"""

from __future__ import annotations

from dataclasses import dataclass

HEAD = """---
title: Pathological input
date: 2024-03-14
severity: SEV2
root_causes: [hardware-failure]
components: [web-server]
---

## Summary

Something broke.

## Root cause

A disk failed.

"""


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    refused: bool  # validation refuses it with a structural-limit problem


def _timeline(lines: str) -> str:
    return HEAD + "## Timeline\n\n" + lines


def pathological_cases(scale: int = 1) -> list[Case]:
    """The cases at their usual size times ``scale`` (every case stays under the file-size limit)."""
    n = scale
    return [
        Case("heading of spaces", HEAD + "## " + " " * 3000 * n + "x\n", False),
        Case("heading of spaces and hashes", HEAD + "##" + " #" * 3000 * n + " x\n", False),
        Case("timeline line of ( and spaces", _timeline("- 10:00 " + "( " * 32000 * n + "\n"), False),
        Case("timeline time note of ( and spaces", _timeline("10:00 (" + " " * 64000 * n + "x\n"), False),
        Case("timeline time then spaces", _timeline("- 10:00" + " \t" * 32000 * n + "x\n"), False),
        Case("heading of hashes", HEAD + "## " + "##" * 3000 * n + "x\n", False),
        Case("backtick runs", HEAD + "``" * 30000 * n + "x\n", False),
        Case("heading with parentheses", HEAD + "## Timeline " + "( " * 20000 * n + "\n\n- 10:00 x\n", False),
        Case("timeline continuation lines", _timeline("- 10:00 [start] x\n" + "  more words here\n" * 40000 * n),
             False),
        Case("timeline table row of pipes", _timeline("| 10:00 " + "|" * 60000 * n + "\n"), False),
        Case("timeline of digits and colons", _timeline("- " + "1:" * 30000 * n + "\n"), False),
        Case("timeline wordy date", _timeline("- " + "Mon " * 15000 * n + "\n"), False),
        Case("backticks without end", HEAD + "`a " * 30000 * n + "\n", False),
        Case("link text without end", HEAD + "[a](" * 2000 * n + "\n", True),
        Case("brackets without end", HEAD + "[" * 20000 * n + "\n", True),
        Case("images without end", HEAD + "![" * 10000 * n + "\n", True),
        Case("nested divs", HEAD + "<div>" * 20000 * n + "x" + "</div>" * 20000 * n + "\n", True),
        Case("many headings", HEAD + "".join(f"### Step {i}\n\n" for i in range(10000 * n)), True),
        Case("deeply nested list", HEAD + "".join("  " * i + "- a\n" for i in range(500 * n)), True),
        Case("deeply nested quote", HEAD + ">" * 1000 * n + " a\n", True),
        Case("html comment never closed", HEAD + "<!--" + " a" * 60000 * n + "\n", False),
        Case("many html comments", HEAD + "<!-- a -->" * 30000 * n + "\n", False),
        Case("line of control characters", HEAD + "\x01 " * 200000 * n + "\n", False),
    ]
