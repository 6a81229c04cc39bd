"""Content rules: what the site build needs from every value and from the body.

The build renders each write-up with Python-Markdown and the theme; some inputs make them
super-linear (20 KB of ``[`` took 78 s) or overflow the stack (a 500-deep list). Rather than
hope every library is linear, validation refuses the *structures* that make them slow, with
limits far above what a write-up needs (docs/format.md, "Limits"), so a postmortem that passes
``pmkb validate`` builds in a few seconds whatever it contains. Every rule here is one linear
pass over its text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..problems import ERROR, Problem

# Limits (documented in docs/format.md, "Limits")
MAX_HEADINGS = 300
MAX_LIST_DEPTH = 20
MAX_QUOTE_DEPTH = 20
MAX_HTML_DEPTH = 50
MAX_BRACKET_SCAN = 400_000  # characters Markdown reads ahead from `[` and `](` to find their end

# C0 and C1 controls except tab and newline, DEL, and Unicode noncharacters: a terminal
# colour code, \x01 or U+FFFE cannot be written into XML (feeds) and forge terminal output.
_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17))
CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_NONCHARACTERS}]")
# The same class for ASCII text (the rest of CONTROL is above U+007F), much faster to scan.
_ASCII_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def _control(text: str) -> re.Pattern[str]:
    return _ASCII_CONTROL if text.isascii() else CONTROL

_FENCE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})")
_LIST_MARKERS = re.compile(r"[ \t]*(?:(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$))+")
_LIST_MARKER = re.compile(r"(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_QUOTES = re.compile(r"[ \t]*(?:>[ \t]*)+")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(?=[\s/>])")
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
_BRACKETS = re.compile(r"\]\(|[\[\]()]")


def describe_control(ch: str) -> str:
    """``U+001B (ESC)``-style name of a control character, for messages."""
    names = {"\x1b": "ESC, a terminal colour code", "\r": "carriage return", "\x00": "NUL",
             "\x0b": "vertical tab", "\x0c": "form feed", "\x7f": "DEL"}
    name = names.get(ch)
    return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")


def _control_problem(source: str, line: int, where: str, ch: str) -> Problem:
    return Problem(source, line, "control-character",
                   f"{where} contains the control character {describe_control(ch)}",
                   "delete it (it is often pasted from a terminal); only tab and newline are allowed")


def _any_control(values: Any) -> bool:
    """Whether a key or text value of ``values`` holds a control character: one search over
    them all, which for most front matter is the whole answer."""
    texts: list[str] = []
    pending = [values]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            texts += map(str, value)
            pending += value.values()
        elif isinstance(value, list):
            pending += value
        elif isinstance(value, str):
            texts.append(value)
    joined = "\n".join(texts)
    return _control(joined).search(joined) is not None


def control_characters_in_values(values: Any, line_of, source: str) -> list[Problem]:
    """One problem per front-matter key or text value holding a control character."""
    if not _any_control(values):
        return []
    problems: list[Problem] = []

    def walk(value: Any, where: tuple) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                found = _control(str(key)).search(str(key))
                if found:
                    problems.append(_control_problem(source, line_of(where + (key,)), "a field name",
                                                     found.group()))
                walk(item, where + (key,))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, where + (i,))
        elif isinstance(value, str):
            found = _control(value).search(value)
            if found:
                name = ".".join(str(p) for p in where) or "the front matter"
                problems.append(_control_problem(source, line_of(where), f"`{name}`", found.group()))

    walk(values, ())
    return problems


def control_characters_in_text(text: str, first_line: int, source: str, what: str = "the line") -> list[Problem]:
    """One problem per line of ``text`` (starting at file line ``first_line``) with a control character."""
    problems: list[Problem] = []
    pattern = _control(text)
    line, counted, pos = first_line, 0, 0
    while len(problems) < 20:
        found = pattern.search(text, pos)
        if found is None:
            break
        line += text.count("\n", counted, found.start())
        counted = found.start()
        problems.append(_control_problem(source, line, what, found.group()))
        # One problem per line: the search goes on from the next line, so a line made of
        # control characters costs one match, not one per character.
        pos = text.find("\n", found.start()) + 1
        if pos == 0:
            break
    return problems


def _outside_fences(body: str) -> Iterable[tuple[int, str]]:
    """(index, line) of every body line outside fenced code blocks."""
    fence: str | None = None
    for i, line in enumerate(body.split("\n")):
        m = _FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)[0] * len(m.group(1))
            continue
        if fence is not None:
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]).strip():
                fence = None
            continue
        yield i, line


# A line that starts with list markers (after its indent and quote marks), from its newline.
_MARKED_LINE = re.compile(r"\n[ \t>]*(?:(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|(?=\n)|\Z))+")


def within_limits(body: str) -> bool:
    """Whether ``body`` is too small to exceed any limit of :func:`structure_limits`, by
    counts that bound what that rule counts: a heading is a line; a line's quote depth is at
    most the number of ``>`` and the HTML depth that of ``<``; a list's depth at most the list
    markers of the text; and the look-ahead at most, for each ``[`` and ``(`` (a link's ``](``
    included), the length of the text."""
    if not (body.count("\n") < MAX_HEADINGS and body.count(">") <= MAX_QUOTE_DEPTH
            and body.count("<") <= MAX_HTML_DEPTH
            and (body.count("[") + body.count("(")) * len(body) <= MAX_BRACKET_SCAN):
        return False
    markers = 0
    for m in _MARKED_LINE.finditer("\n" + body):
        markers += len(_LIST_MARKER.findall(m.group()))
        if markers > MAX_LIST_DEPTH:
            return False
    return True


def structure_limits(body: str, first_line: int, source: str) -> list[Problem]:
    """Headings, list and quote nesting, HTML nesting and bracket look-ahead within the limits."""
    if within_limits(body):
        return []  # (most write-ups: the counts are cheaper than the scan)
    return scan_structure(body, first_line, source)


def scan_structure(body: str, first_line: int, source: str) -> list[Problem]:
    """:func:`structure_limits` by reading the write-up line by line."""
    problems: list[Problem] = []
    headings = 0
    list_indents: list[int] = []
    html_depth = 0
    scan = 0
    scan_line = 0
    block: list[tuple[int, str]] = []
    reported: set[str] = set()

    def report(code: str, line: int, message: str, hint: str) -> None:
        if code not in reported:
            reported.add(code)
            problems.append(Problem(source, first_line + line, code, message, hint, ERROR))

    def close_block() -> None:
        nonlocal scan, scan_line
        cost, line = _bracket_scan(block)
        if cost and not scan_line:
            scan_line = line
        scan += cost
        block.clear()

    for i, line in _outside_fences(body):
        stripped = line.strip()
        if not stripped:
            close_block()
            list_indents.clear()
            continue
        block.append((i, line))
        if stripped.startswith("#") or (stripped.strip("=") == "" and block[:-1]):
            headings += 1
            if headings > MAX_HEADINGS:
                report("too-many-headings", i, f"the write-up has more than {MAX_HEADINGS} headings",
                       "use headings for sections; make long step lists a list or a table")
        quotes = _QUOTES.match(line)
        depth = quotes.group().count(">") if quotes else 0
        if depth > MAX_QUOTE_DEPTH:
            report("too-deep-markdown", i, f"quotes are nested {depth} levels deep (at most {MAX_QUOTE_DEPTH})",
                   "quote once; nesting that deep renders as nothing useful")
        rest = line[quotes.end():] if quotes else line
        markers = _LIST_MARKERS.match(rest)
        if markers and markers.group().strip():
            indent = len(markers.group()) - len(markers.group().lstrip(" \t"))
            while list_indents and list_indents[-1] >= indent:
                list_indents.pop()
            list_indents.append(indent)
            on_line = len(_LIST_MARKER.findall(markers.group()))
            depth = len(list_indents) + on_line - 1
            if depth > MAX_LIST_DEPTH:
                report("too-deep-markdown", i, f"lists are nested {depth} levels deep (at most {MAX_LIST_DEPTH})",
                       "flatten the list: a few levels are enough")
        for tag in _TAG.finditer(line):
            if tag.group(2).lower() in _VOID:
                continue
            if tag.group(1):
                html_depth = max(0, html_depth - 1)
            else:
                html_depth += 1
                if html_depth > MAX_HTML_DEPTH:
                    report("too-deep-markdown", i, f"HTML elements are nested more than {MAX_HTML_DEPTH} deep",
                           "close the elements you open, or write Markdown instead of HTML")
    close_block()
    if scan > MAX_BRACKET_SCAN:
        report("unbalanced-brackets", scan_line,
               f"`[` or `](` never closed make Markdown read {scan:,} characters ahead "
               f"(at most {MAX_BRACKET_SCAN:,})",
               "close each `[` with `]` and each link's `(` with `)`, or write `\\[` for a literal bracket")
    return problems


def _bracket_scan(block: list[tuple[int, str]]) -> tuple[int, int]:
    """How far Markdown reads ahead in one block (paragraph) to find the end of each ``[`` and
    of each link's ``(``: from each one to its match, or to the end of the block when there is
    none. Returns (characters, index of the first line that opens an unclosed one)."""
    if not block:
        return 0, 0
    text = "\n".join(line for _, line in block)
    starts = [0]
    for _, line in block:
        starts.append(starts[-1] + len(line) + 1)
    brackets: list[int] = []
    parens: list[int] = []
    cost = 0
    for m in _BRACKETS.finditer(text):
        at, token = m.start(), m.group()
        if token == "[" and (at == 0 or text[at - 1] != "\\"):
            brackets.append(at)
        elif token == "]" and brackets:
            cost += at - brackets.pop()
        elif token == "](":
            if brackets:
                cost += at - brackets.pop()
            parens.append(at + 1)
        elif token == "(" and parens:
            parens.append(at)
        elif token == ")" and parens:
            cost += at - parens.pop()
    end = len(text)
    unclosed = brackets + parens
    cost += sum(end - at for at in unclosed)
    if not unclosed:
        return cost, block[0][0]
    first = min(unclosed)
    for (index, _line), start, next_start in zip(block, starts, starts[1:]):
        if start <= first < next_start:
            return cost, index
    return cost, block[-1][0]
