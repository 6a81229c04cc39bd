"""``pmkb export``: the catalog of published postmortems, as the site publishes it (JSON or CSV)."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import click

from ._common import Context, clean, examples, kb_options, pass_ctx
from ._period import load_for_figures, period_options


def _write(path: Path, text: str) -> None:
    """Write whole or not at all: a failed export never leaves half a file.

    A target that exists and is not a regular file (``/dev/stdout``, a pipe) is written to as it is,
    never replaced.
    """
    if path.exists() and not path.is_file():
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@click.command(epilog=examples("pmkb export > catalog.json", "pmkb export --format csv -o incidents.csv",
                               "pmkb export --site-url https://postmortems.example.com/ --since 2024"))
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True,
              help="json: the site's catalog.json; csv: one row per postmortem.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
@click.option("--site-url", default="", help="Make URLs absolute under this address (as in mkdocs.yml).")
@period_options
@kb_options
@pass_ctx
def export(obj: Context, fmt: str, output: Path | None, site_url: str, since: dt.date | None,
           until: dt.date | None, as_of: dt.datetime | None) -> None:
    """Write the catalog of published postmortems (JSON or CSV).

    JSON is the site's catalog.json (schema: catalog.schema.json); CSV has one row per postmortem.
    """
    from ..insights import in_period
    from ..site import SiteOptions
    from ..site.exports import Urls, catalog, catalog_csv, to_json

    kb = load_for_figures(obj, as_of)
    urls = Urls(SiteOptions(extra={"site_url": site_url}))
    data = catalog(in_period(kb.visible(), since, until), kb.taxonomy, kb.config.as_of, urls)
    text = to_json(data) if fmt == "json" else catalog_csv(data)
    if output is None:
        click.echo(text, nl=False)
    else:
        _write(output, text)
        click.echo(f"{data['count']} postmortem(s) written to {clean(output)}", err=True)
