"""Problems found in a postmortem: one value shared by the CLI, the site build and the tests."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one postmortem, located to a line.

    ``code`` is stable and documented (docs/format.md, "Error codes"); ``hint`` says
    what the writer should do about it.
    """

    path: str
    line: int
    code: str
    message: str
    hint: str = ""
    severity: str = ERROR

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def format_text(self) -> str:
        """One line, whatever the values hold: see :func:`escape_output`."""
        kind = "" if self.is_error else "warning: "
        where = f"{escape_output(self.path)}:{self.line}"
        text = f"{where}: {escape_output(self.code)}: {kind}{escape_output(self.message)}"
        if self.hint:
            text += f" (hint: {escape_output(self.hint)})"
        return text

    def format_github(self) -> str:
        # Workflow command syntax: data escapes %, CR, LF; properties also escape : and ,
        def esc(value: str, prop: bool = False) -> str:
            value = _UNPRINTABLE.sub(_escape_char, value.replace("%", "%25"))
            value = value.replace("\r", "%0D").replace("\n", "%0A")
            if prop:
                value = value.replace(":", "%3A").replace(",", "%2C")
            return value

        level = "error" if self.is_error else "warning"
        msg = self.message + (f" Hint: {self.hint}" if self.hint else "")
        return (
            f"::{level} file={esc(self.path, True)},line={self.line},"
            f"title={esc(self.code, True)}::{esc(msg)}"
        )

    def to_dict(self) -> dict:
        return asdict(self)


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 error``, ``2 errors``, ``0 postmortems``: a count in a message; ``plural_form`` for
    irregular words (``plural(n, "entry", "entries")``)."""
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"


# What could end, overwrite or disguise a line of output: C0/C1 controls (newline, carriage
# return, ESC...), DEL, Unicode line and paragraph separators, and bidirectional overrides.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


def _escape_char(m: re.Match) -> str:
    ch = m.group()
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if ch in named:
        return named[ch]
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def escape_output(value: object) -> str:
    """A value as it may appear inside one line of text output: newlines, carriage returns,
    terminal escapes and other controls written as ``\\n``, ``\\x1b``..., so that a value can
    neither start a line of its own (a forged ``::error``/``::add-mask::`` workflow command or
    problem line) nor overwrite one. Tabs too: a line of output stays one field per colon."""
    return _UNPRINTABLE.sub(_escape_char, str(value))


def display_path(path: Path | str, root: Path | None = None) -> str:
    """A path as the writer knows it: relative to the KB root when inside it."""
    path = Path(path)
    if root is not None:
        # The link's own name first: a symlinked postmortem is shown where the writer sees it.
        for pair in (lambda: (Path(os.path.abspath(path)), Path(os.path.abspath(root))),
                     lambda: (path.resolve(), root.resolve())):
            try:
                here, base = pair()
                return here.relative_to(base).as_posix()
            except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
                continue
    return path.as_posix()


def format_problems(problems: Iterable[Problem], fmt: str = "text") -> str:
    problems = sorted(problems)
    if fmt == "json":
        return json.dumps([p.to_dict() for p in problems], indent=2)
    if fmt == "github":
        return "\n".join(p.format_github() for p in problems)
    return "\n".join(p.format_text() for p in problems)


class PostmortemError(Exception):
    """Raised when a file cannot be read as a postmortem at all; carries its problems."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(p.format_text() for p in problems))
