"""Drafts: what says "not finished yet" is a warning in a draft, so that it can be merged and previewed.

What stops the file being read or the site being built (a bad date, a control character, an
unsafe link...) stays an error whatever the status.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..problems import WARNING, Problem

DRAFT_WARNINGS = frozenset({"todo", "empty-section", "missing-section", "repeated-text"})


def as_draft(problems: Iterable[Problem], left_empty: set[Problem]) -> list[Problem]:
    """The problems of a draft: unfinished parts (and optional fields left empty) as warnings."""
    return [Problem(p.path, p.line, p.code, p.message, p.hint, WARNING)
            if p.is_error and (p.code in DRAFT_WARNINGS or p in left_empty) else p
            for p in problems]
