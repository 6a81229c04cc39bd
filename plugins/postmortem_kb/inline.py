"""Writers' inline Markdown in short values (a timeline entry, a reason, a feed summary).

Such values are shown inside our own HTML (a table cell, a list item) or in a feed, where
Markdown is never run: left alone, a reader would see the writer's backticks and stars.
:func:`to_html` renders the few inline forms writers use in one line of text (code spans,
strong, emphasis, links) from an HTML-escaped value, so the result is safe whatever the
value holds; :func:`plain_text` drops the same syntax for places that take text only.

Every pattern is a single pass with negated classes (no nested repetition), so the work is
linear in the length of the value.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markupsafe import Markup

_TICKS = re.compile(r"`+")
_STRONG = re.compile(r"\*\*(?=\S)([^*]+?)(?<=\S)\*\*|__(?=\S)([^_]+?)(?<=\S)__(?!\w)")
# *em* and _em_ (underscores only at word edges: snake_case_names stay as written).
_EM = re.compile(r"(?<![*\w])\*(?=[^\s*])([^*]+?)(?<=[^\s*])\*(?![*\w])"
                 r"|(?<![_\w])_(?=[^\s_])([^_]+?)(?<=[^\s_])_(?![_\w])")
_RAW_LINK = re.compile(r"\[([^\[\]]+)\]\(\s*([^()\s]+)(?:\s+\"[^\"]*\")?\s*\)")
_WEB = re.compile(r"https?://", re.I)
_SLOT = "\x00{}\x00"
_SYNTAX = re.compile(r"[`*_\[]")  # what every form drawn below starts with
_SLOT_RE = re.compile("\x00(\\d+)\x00")


def _code_spans(text: str, draw) -> str:
    """Code spans as CommonMark reads them: a run of backticks up to the next run of the same
    length. Runs are found once and matched by length, so the work stays linear."""
    runs = [(m.start(), m.end()) for m in _TICKS.finditer(text)]
    if len(runs) < 2:
        return text
    by_length: dict[int, list[int]] = {}
    for k, (start, end) in enumerate(runs):
        by_length.setdefault(end - start, []).append(k)
    pointer = dict.fromkeys(by_length, 0)
    out: list[str] = []
    last = 0
    k = 0
    while k < len(runs):
        start, end = runs[k]
        same = by_length[end - start]
        while pointer[end - start] < len(same) and same[pointer[end - start]] <= k:
            pointer[end - start] += 1
        if start < last or pointer[end - start] >= len(same):
            k += 1
            continue
        closer = same[pointer[end - start]]
        inner = text[end:runs[closer][0]]
        out.append(text[last:start])
        out.append(draw(inner.strip() or inner))
        last = runs[closer][1]
        k = closer + 1
    out.append(text[last:])
    return "".join(out)


def to_html(value: object) -> Markup:
    """The value with its inline Markdown drawn: ``code``, **strong**, *em*, and links (only web
    links stay links; any other target keeps its text). Every piece of the writer's text is
    escaped as every value of the templates is (HTML and Markdown syntax both, see
    ``site/templates.py``), so the result stays inert even where Markdown runs over it.

    The result depends on the value's text alone, and a value is often shown on several pages
    (an action item on its incident, its terms and the tracker): each short text is drawn once."""
    text = str(value)
    return _drawn(text) if len(text) <= _CACHED_LENGTH else _draw(text)


_CACHED_LENGTH = 2000  # a one-line value; a longer one is drawn each time, not kept


@lru_cache(maxsize=16384)
def _drawn(text: str) -> Markup:
    return _draw(text)


def _draw(text: str) -> Markup:
    from .site.templates import escape_value

    text = text.replace("\x00", "")
    if not _SYNTAX.search(text):
        return Markup(escape_value(text))  # no inline syntax: the value escaped, as below
    held: list[str] = []

    def hold(html: str) -> str:
        held.append(html)
        return _SLOT.format(len(held) - 1)

    def esc(part: str) -> str:
        return str(escape_value(part))

    # Code first: nothing inside a code span is syntax.
    text = _code_spans(text, lambda code: hold(f"<code>{esc(code)}</code>"))

    def link(m: re.Match) -> str:
        label, target = m.group(1), m.group(2)
        if _WEB.match(target):
            return hold(f'<a href="{esc(target)}" rel="noopener noreferrer">') + label + hold("</a>")
        return label

    text = _RAW_LINK.sub(link, text)
    text = _STRONG.sub(lambda m: hold("<strong>") + (m.group(1) or m.group(2)) + hold("</strong>"), text)
    text = _EM.sub(lambda m: hold("<em>") + (m.group(1) or m.group(2)) + hold("</em>"), text)
    return Markup(_SLOT_RE.sub(lambda m: held[int(m.group(1))], esc(text)))


def plain_text(value: object) -> str:
    """The value with its inline Markdown syntax dropped (the words kept): for feeds and meta tags."""
    text = str(value).replace("\x00", "")
    text = _code_spans(text, lambda code: code)
    text = _RAW_LINK.sub(r"\1", text)
    text = _STRONG.sub(lambda m: m.group(1) or m.group(2), text)
    text = _EM.sub(lambda m: m.group(1) or m.group(2), text)
    return " ".join(text.split())
