"""``pmkb index``: bring the search index up to date."""

from __future__ import annotations

from pathlib import Path

import click

from ._common import Context, clean, examples, kb_options, pass_ctx, plural
from ._index import describe_update, index_option, open_index


@click.command("index", epilog=examples("pmkb index", "pmkb index --rebuild"))
@click.option("--rebuild", is_flag=True, help="Throw the index away and build it again from every postmortem.")
@index_option
@kb_options
@pass_ctx
def index_command(obj: Context, rebuild: bool, index_dir: Path | None) -> None:
    """Bring the search index up to date (pmkb search does this by itself)."""
    index, report = open_index(obj, index_dir, rebuild=rebuild)
    with index:
        click.echo(describe_update(report) or "index up to date")
        click.echo(f"{plural(index.doc_count(), 'postmortem')} searchable in {clean(index.index_dir)}")
