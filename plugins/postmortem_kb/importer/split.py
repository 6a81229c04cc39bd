"""One document that tells several outages -> one document per outage (``pmkb import --split``).

An outage is a section that has a timeline of its own. The outages are the sections at the
level just above the document's timeline headings: ``## First outage`` with a ``### Timeline``
under it, or a whole write-up pasted twice (``# Outage A`` / ``## Timeline``, then ``# Outage B``
/ ``## Timeline``). Each part keeps the document's front matter, gets the title "<document
title> — <section title>" (or the outage's own title when the outages are level-1 titles), the
outage's section and every section that belongs to no outage (a shared ``## Root cause``,
``## Action items``), in the document's order. A document with fewer than two outages is one
part: itself.
"""

from __future__ import annotations

from collections import Counter

from ..frontmatter import split as split_yaml
from ..problems import PostmortemError
from ..timeline import section_key
from .reading import _FENCE, atx_heading, detect_kind, foreign_format, read_document, split_foreign_front_matter


def _front_matter_block(text: str, kind: str) -> tuple[str, str]:
    """(the front-matter block as written, the rest) of a document."""
    if kind != "frontmatter":
        return "", text
    fmt = foreign_format(text)
    try:
        rest = split_foreign_front_matter(text, fmt, "<split>")[1] if fmt else split_yaml(text, "<split>")[1]
    except PostmortemError:
        return "", text
    if not text.endswith(rest):
        return "", text
    return text[:len(text) - len(rest)], rest


def _headings(lines: list[str]) -> list[tuple[int, int, str]]:
    """(line, level, text) of the ATX headings outside code fences."""
    out: list[tuple[int, int, str]] = []
    in_fence = False
    for i, raw in enumerate(lines):
        if _FENCE.match(raw):
            in_fence = not in_fence
            continue
        head = None if in_fence else atx_heading(raw)
        if head:
            out.append((i, len(head.group(1)), head.group(2)))
    return out


def split_outages(text: str, kind: str | None = None) -> list[tuple[str | None, str]]:
    """The document's outages as (the outage's section title, a document of its own); ``[(None, text)]``
    when it tells one."""
    kind = kind or detect_kind(text)
    try:
        source = read_document(text, kind)
    except PostmortemError:
        return [(None, text)]
    block, rest = _front_matter_block(text, kind)
    # Plain text has no heading levels: its headings (all `## ` once read) cannot nest an outage.
    lines = (source.body if kind == "text" else rest).split("\n")
    headings = _headings(lines)
    parents: Counter[int] = Counter()
    for k, (_, level, name) in enumerate(headings):
        if section_key(name) == "timeline":
            parent = next((lv for _, lv, _ in reversed(headings[:k]) if lv < level), None)
            if parent is not None:
                parents[parent] += 1
    if not parents:
        return [(None, text)]
    outage_level = max(parents, key=lambda lv: (parents[lv], lv))
    sections: list[tuple[int, int, str]] = []  # (start, end, title) at the outage level
    tops = [(i, lv, name) for i, lv, name in headings if lv <= outage_level]
    for n, (i, lv, name) in enumerate(tops):
        end = tops[n + 1][0] if n + 1 < len(tops) else len(lines)
        if lv == outage_level:
            sections.append((i, end, name))
    outages = [s for s in sections if any(section_key(name) == "timeline" and s[0] < i < s[1]
                                          for i, _, name in headings)]
    if len(outages) < 2:
        return [(None, text)]
    head = list(lines[:tops[0][0]])
    if source.title_line is not None and source.title_line in head:
        head.remove(source.title_line)
    # Sections that belong to no outage: at the outage level, or a title line above it.
    shared = [s for s in sections if s not in outages]
    title = source.title or "Imported postmortem"
    # The outage's own sections move up to the level of the shared ones (`### Timeline` under
    # `## First outage` becomes `## Timeline`); under a level-1 outage they already are there.
    shift = 1 if outage_level >= 2 else 0
    heading_at = {i for i, _, _ in headings}  # outside code fences
    parts: list[tuple[str | None, str]] = []
    for outage in outages:
        start, end, name = outage
        body = list(head)
        for section in sorted(shared + [outage]):
            s, e, _ = section
            if section == outage:
                body += [_promote(lines[j], shift) if j in heading_at else lines[j] for j in range(s + 1, e)]
            else:
                body += lines[s:e]
        part_title = name if outage_level == 1 else f"{title} \u2014 {name}"
        parts.append((name, f"{block}# {part_title}\n\n" + "\n".join(body).strip("\n") + "\n"))
    return parts


def _promote(line: str, shift: int) -> str:
    head = atx_heading(line)
    if shift and head and len(head.group(1)) > 2:
        return line[shift:]  # `### Timeline` -> `## Timeline`
    return line
