"""Opening the search index for ``pmkb search`` and ``pmkb index``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ._common import Context, clean, plural

if TYPE_CHECKING:
    from ..search import KBIndex, UpdateReport


def index_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--index-dir", type=click.Path(file_okay=False, path_type=Path),
                        help="Where the search index lives. Default: a folder of this KB in the user's cache "
                             "($XDG_CACHE_HOME/postmortem-kb, else ~/.cache/postmortem-kb).")(func)


def default_index_dir(obj: Context) -> Path:
    from ..search.index import default_index_dir as for_kb

    return for_kb(obj.root)


def open_index(obj: Context, index_dir: Path | None, rebuild: bool = False) -> tuple[KBIndex, UpdateReport]:
    from ..search import IndexFolderError, KBIndex

    if not obj.config.postmortems_path.is_dir():
        raise click.ClickException(f"no postmortems folder at {clean(obj.config.postmortems_path)} "
                                   "(hint: run `pmkb new` to write the first one)")
    if index_dir is not None and index_dir.resolve().is_relative_to(obj.root):
        # whoosh unpickles what it opens: an index inside the KB could have come with a pull request.
        raise click.BadParameter(f"{clean(index_dir)} is inside the knowledge base; the index must live outside "
                                 "it (a repository could ship one, and opening an index runs code from it); "
                                 "leave --index-dir out to use the user's cache", param_hint="--index-dir")
    index = KBIndex(index_dir or default_index_dir(obj), obj.config)
    try:
        report = index.rebuild() if rebuild else index.open()
    except IndexFolderError as exc:
        raise click.ClickException(clean(exc)) from None
    return index, report


def describe_update(report: UpdateReport) -> str:
    """One line on what the refresh did; empty when nothing changed."""
    parts = []
    if report.rebuilt:
        parts.append(f"index rebuilt ({clean(report.reason)}): {plural(len(report.added), 'postmortem')}")
    else:
        for label, items in (("added", report.added), ("changed", report.changed), ("deleted", report.deleted)):
            if items:
                parts.append(f"{len(items)} {label}")
        if parts:
            parts[0] = "index updated: " + parts[0]
    if report.rejected:
        parts.append(f"{plural(len(report.rejected), 'file')} with errors left out (run `pmkb validate`)")
    if report.skipped:
        parts.append(clean(report.skipped))
    return "; ".join(parts)
