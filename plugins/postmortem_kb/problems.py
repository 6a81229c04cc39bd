"""Problems found in a postmortem: one value shared by the CLI, the site build and the tests."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

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
        kind = "" if self.is_error else "warning: "
        text = f"{self.path}:{self.line}: {self.code}: {kind}{self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    def format_github(self) -> str:
        # Workflow command syntax: data escapes %, CR, LF; properties also escape : and ,
        def esc(value: str, prop: bool = False) -> str:
            value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
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
