"""A page's front matter written as ``yaml.safe_dump(front, allow_unicode=True, sort_keys=True)``
writes it, byte for byte, without PyYAML's emitter for the usual case.

A generated page's front matter is a few keys (title, description, ``search: {exclude: true}``)
whose values are one line of text: PyYAML's pure-Python emitter was a fiftieth of a site build.
:func:`dump` writes such front matter itself, following the emitter's own rules for a top-level
mapping (the same choice of plain or single-quoted style, the same folding of long lines at
80 columns, continuation lines indented by two); anything else (lists, line breaks, characters
that need escapes) is left to ``yaml.safe_dump``.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

WIDTH = 80  # PyYAML's best_width
INDENT = 2
_STR = "tag:yaml.org,2002:str"
# One line of printable text (allow_unicode): no line breaks, tabs, controls or byte order marks.
_ONE_LINE = re.compile("[\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]+")
_resolver = yaml.resolver.Resolver()


def dump(front: dict[str, Any]) -> str:
    """``yaml.safe_dump(front, allow_unicode=True, sort_keys=True)``."""
    out: list[str] = []
    for key in sorted(front) if all(isinstance(k, str) for k in front) else ():
        if not _simple_key(key):
            break
        value = front[key]
        if isinstance(value, str):
            line = _value(key, value)
            if line is None:
                break
            out.append(line)
        elif isinstance(value, bool):
            out.append(f"{key}: {'true' if value else 'false'}\n")
        elif isinstance(value, dict) and value and all(isinstance(k, str) and _simple_key(k) and isinstance(v, bool)
                                                       for k, v in value.items()):
            out.append(f"{key}:\n" + "".join(f"{' ' * INDENT}{k}: {'true' if value[k] else 'false'}\n"
                                              for k in sorted(value)))
        else:
            break
    else:
        if front:
            return "".join(out)
    return yaml.safe_dump(front, allow_unicode=True, sort_keys=True)


def _simple_key(key: str) -> bool:
    return len(key) < 128 and _plain(key)


def _plain(text: str) -> bool:
    """Whether the emitter writes this one-line text without quotes (in block context)."""
    if not text or _ONE_LINE.fullmatch(text) is None:
        return False
    if text[0] == " " or text[-1] == " " or text.startswith(("---", "...")):
        return False
    first = text[0]
    if first in "#,[]{}&*!|>'\"%@`":
        return False
    if first in "?:-" and (len(text) == 1 or text[1] == " "):
        return False
    if ": " in text or text.endswith(":") or " #" in text:
        return False
    return _resolver.resolve(yaml.ScalarNode, text, (True, False)) == _STR


def _value(key: str, text: str) -> str | None:
    """The line(s) of ``key: text`` in a top-level mapping, or None when it takes another style."""
    if not text or _ONE_LINE.fullmatch(text) is None:
        return None
    head = f"{key}:"
    if _plain(text):
        return head + " " + _fold(text, len(head) + 1, quoted=False) + "\n"
    return head + " '" + _fold(text, len(head) + 2, quoted=True) + "'\n"


def _fold(text: str, column: int, quoted: bool) -> str:
    """The emitter's write_plain / write_single_quoted for one line of text starting at ``column``:
    a single space becomes a line break once the line is past :data:`WIDTH` (in quotes, never
    the first or last character); quotes are doubled."""
    out: list[str] = []
    spaces = False
    start = end = 0
    n = len(text)
    while end <= n:
        ch = text[end] if end < n else None
        if spaces:
            if ch != " ":
                if start + 1 == end and column > WIDTH and (not quoted or (start != 0 and end != n)):
                    out.append("\n" + " " * INDENT)
                    column = INDENT
                else:
                    out.append(text[start:end])
                    column += end - start
                start = end
        elif ch is None or ch == " " or (quoted and ch == "'"):
            if start < end:
                out.append(text[start:end])
                column += end - start
                start = end
        if quoted and ch == "'":
            out.append("''")
            column += 2
            start = end + 1
        if ch is not None:
            spaces = ch == " "
        end += 1
    return "".join(out)
