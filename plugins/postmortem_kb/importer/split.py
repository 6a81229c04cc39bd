"""One document that tells several outages -> one document per outage (``pmkb import --split``).

An outage is a level-2 section that has a timeline of its own (``## First outage`` with a
``### Timeline`` under it). Each part keeps the document's front matter, gets the title
"<document title> — <section title>", the outage's section with its headings one level up
(so its ``### Timeline`` is the part's ``## Timeline``), and every section that belongs to
no outage (a shared ``## Root cause``, ``## Action items``), in the document's order. A
document with fewer than two such sections is one part: itself.
"""

from __future__ import annotations

from ..frontmatter import split as split_yaml
from ..problems import PostmortemError
from ..timeline import section_key
from .reading import atx_heading, detect_kind, foreign_format, read_document, split_foreign_front_matter


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


def split_outages(text: str, kind: str | None = None) -> list[tuple[str | None, str]]:
    """The document's outages as (the outage's section title, a document of its own); ``[(None, text)]``
    when it tells one."""
    kind = kind or detect_kind(text)
    try:
        source = read_document(text, kind)
    except PostmortemError:
        return [(None, text)]
    lines = source.body.split("\n")
    sections: list[tuple[int, int, str]] = []  # (start, end, title) of level-2 sections
    in_fence = False
    for i, raw in enumerate(lines):
        if raw.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        head = None if in_fence else atx_heading(raw)
        if head and len(head.group(1)) <= 2:
            if sections:
                sections[-1] = (sections[-1][0], i, sections[-1][2])
            sections.append((i, len(lines), head.group(2)))
    outages = [s for s in sections if _has_timeline(lines[s[0] + 1:s[1]])]
    if len(outages) < 2:
        return [(None, text)]
    head_end = sections[0][0]
    shared = [s for s in sections if s not in outages]
    block, _ = _front_matter_block(text, kind)
    title = source.title or "Imported postmortem"
    parts: list[tuple[str | None, str]] = []
    for outage in outages:
        start, end, name = outage
        body = lines[:head_end]
        for section in sorted(shared + [outage]):
            s, e, _ = section
            if section == outage:
                body += [_promote(line) for line in lines[s + 1:e]]
            else:
                body += lines[s:e]
        parts.append((name, f"{block}# {title} \u2014 {name}\n\n" + "\n".join(body).strip("\n") + "\n"))
    return parts


def _has_timeline(lines: list[str]) -> bool:
    for raw in lines:
        head = atx_heading(raw)
        if head and len(head.group(1)) >= 3 and section_key(head.group(2)) == "timeline":
            return True
    return False


def _promote(line: str) -> str:
    head = atx_heading(line)
    if head and len(head.group(1)) >= 3:
        return line[1:]  # `### Timeline` -> `## Timeline`
    return line
