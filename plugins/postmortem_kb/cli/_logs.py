"""The site engine's log, printed by ``pmkb build`` and ``pmkb serve`` as one safe line per message."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import click

from ._common import Context, clean


class _EchoHandler(logging.Handler):
    """Writes through click, to whatever stderr is now (click's test runner swaps it).

    The message is cleaned: a value inside it cannot start a line of its own.
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = clean(record.getMessage())
        except Exception:  # a broken format string in a library's message must not stop the build
            message = clean(record.msg)
        click.echo(f"{level_name(record):<7} -  {message}", err=True)


def level_name(record: logging.LogRecord) -> str:
    """The level a message is shown at: a postmortem's problem at its own severity. The plugin
    logs a warning at INFO, so that `mkdocs build --strict` never fails on one, and names its
    severity in ``extra={"pmkb_severity": ...}``; pmkb shows it as the WARNING it is."""
    severity = getattr(record, "pmkb_severity", None)
    return {"warning": "WARNING", "error": "ERROR"}.get(severity, record.levelname) if isinstance(severity, str) \
        else record.levelname


@contextlib.contextmanager
def engine_logs(verbose: bool, quiet: bool, engine: str | None = None) -> Iterator[None]:
    """Print the site engine's messages (the plugin's `path:line` problems, progress) as its own
    CLI would, for the length of one command."""
    from ..publish import engine_logger

    handler = _EchoHandler()
    logger = engine_logger(engine)
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


CONFIG_FILE = click.Path(dir_okay=False, path_type=Path)


def site_config(obj: Context, given: Path | None) -> Path:
    """The site configuration: the one given, or the KB's."""
    from ..publish import find_config_file

    return given if given is not None else find_config_file(obj.root)
