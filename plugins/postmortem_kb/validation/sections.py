"""Section rules: the write-up has the sections a reader looks for, each saying something.

A postmortem needs a Summary and a Root cause (errors when missing or empty); Impact, Timeline
and Resolution are recommended (a warning when present but empty). A paragraph copied word for
word into a second section is a warning: a copy-paste slip more often than a choice.
"""

from __future__ import annotations

import re

from ..problems import WARNING, Problem
from ..timeline import SECTION_TITLES, Section

REQUIRED_SECTIONS = ("summary", "root_cause")
RECOMMENDED_SECTIONS = ("impact", "timeline", "resolution")
MIN_REPEAT_CHARS = 60
"""Paragraphs shorter than this (after normalising) may repeat: "See the dashboard." is no copy."""

_PLACEHOLDER = re.compile(r"[\s*_`.:-]*(?:TODO|TBD|FIXME)[\s*_`.:!-]*", re.I)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_TODO_WORD = re.compile(r"\bTODO\b[:.]?")
_PUNCTUATION = re.compile(r"[^\w\s]")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def is_placeholder(text: str) -> bool:
    """Text that only says TODO, TBD or FIXME (with punctuation and emphasis around it)."""
    return _PLACEHOLDER.fullmatch(text) is not None


def meaningful(text: str) -> bool:
    """Whether text says anything once comments and TODO markers are taken out."""
    if "<!--" in text:  # (each pattern needs its text: most sections have neither)
        text = _COMMENT.sub("", text)
    if "TODO" in text:
        text = _TODO_WORD.sub("", text)
    return bool(text.strip(" \n\t-*>_"))


def section_problems(sections: list[Section], body_line: int, source: str) -> list[Problem]:
    """Required sections present and filled in; recommended ones filled in when present."""
    by_key: dict[str | None, Section] = {}
    for section in sections:
        by_key.setdefault(section.key, section)
    problems = []
    for key in REQUIRED_SECTIONS:
        found = by_key.get(key)
        if found is None:
            problems.append(Problem(source, body_line, "missing-section",
                                    f"the `## {SECTION_TITLES[key]}` section is missing",
                                    f"add `## {SECTION_TITLES[key]}` with a few sentences"))
        elif not meaningful(found.text):
            problems.append(Problem(source, found.line, "empty-section", f"the `## {found.title}` section is empty",
                                    "write what happened here, or remove the TODO"))
    for key in RECOMMENDED_SECTIONS:
        found = by_key.get(key)
        if found is not None and not meaningful(found.text):
            problems.append(Problem(source, found.line, "empty-section", f"the `## {found.title}` section is empty",
                                    "fill it in or remove the heading", WARNING))
    return problems


# _PUNCTUATION for ASCII text, as a table: deleting with it is faster than the pattern.
_ASCII_PUNCTUATION = dict.fromkeys(c for c in range(128) if _PUNCTUATION.match(chr(c)))


def _norm(text: str) -> str:
    if text.isascii():
        return " ".join(text.lower().translate(_ASCII_PUNCTUATION).split())
    return " ".join(_PUNCTUATION.sub("", text.lower()).split())


def repeated_text(sections: list[Section], source: str) -> list[Problem]:
    """A paragraph that appears word for word in two sections (a copy-paste slip)."""
    first_seen: dict[str, Section] = {}
    out: list[Problem] = []
    for section in sections:
        for para in _PARAGRAPH_BREAK.split(section.text):
            key = _norm(para)
            if len(key) < MIN_REPEAT_CHARS:
                continue
            earlier = first_seen.get(key)
            if earlier is not None and earlier is not section:
                name = earlier.title or "the introduction"
                out.append(Problem(source, section.line, "repeated-text",
                                   f"a paragraph of `## {section.title}` repeats `## {name}` word for word",
                                   "say what this section adds, or remove the copy", WARNING))
                break
            first_seen.setdefault(key, section)
    return out
