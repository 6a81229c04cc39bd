"""``pmkb export``: the catalog of published postmortems, as the site publishes it (JSON or CSV)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ._common import Context, clean, examples, kb_options, pass_ctx, plural
from ._period import load_for_figures, period_options

if TYPE_CHECKING:
    from ..site.urls import Urls


def _write(path: Path, text: str) -> None:
    """Write whole or not at all: a failed export never leaves half a file.

    A target that exists and is not a regular file (``/dev/stdout``, a pipe) is written to as it is,
    never replaced.
    """
    from ..files import atomic_write

    if path.exists() and not path.is_file():
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text)


def site_urls(obj: Context, site_url: str | None) -> Urls:
    """The URLs the KB's site gives its incidents: its ``use_directory_urls``, ``site_url`` and the
    plugin's ``base_path``, read from the site configuration (defaults when there is none)."""
    from ..engines import plugin_entry, read_config_leniently
    from ..site.options import SiteOptions
    from ..site.urls import Urls

    config: dict[str, object] = {}
    for name in ("mkdocs.yml", "properdocs.yml"):
        if (obj.root / name).is_file():
            config = read_config_leniently(obj.root / name)
            break
    plugin = plugin_entry(config.get("plugins")) or {}
    options = SiteOptions(directory_urls=bool(config.get("use_directory_urls", True)),
                          site_url=str(config.get("site_url") or ""),
                          base_dir=str(plugin.get("base_path") or "").strip("/"))
    return Urls(options, site_url=site_url)


@click.command(epilog=examples("pmkb export > catalog.json", "pmkb export --format csv -o incidents.csv",
                               "pmkb export --site-url https://postmortems.example.com/ --since 2024"))
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True,
              help="json: the site's catalog.json; csv: one row per postmortem.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
@click.option("--site-url", default=None,
              help="Make URLs absolute under this address. Default: site_url of mkdocs.yml (the site's own URLs).")
@period_options
@kb_options
@pass_ctx
def export(obj: Context, fmt: str, output: Path | None, site_url: str | None, since: dt.date | None,
           until: dt.date | None, as_of: dt.datetime | None) -> None:
    """Write the catalog of published postmortems (JSON or CSV).

    JSON is the site's catalog.json (its schema is the site's catalog.schema.json); CSV has one
    row per postmortem, safe to open in a spreadsheet. URLs are the site's own, as mkdocs.yml
    makes them.
    """
    from ..catalog import catalog, catalog_csv, to_json
    from ..insights import in_period

    kb = load_for_figures(obj, as_of)
    urls = site_urls(obj, site_url)
    data = catalog(in_period(kb.visible(), since, until), kb.taxonomy, kb.config.as_of, urls)
    text = to_json(data) if fmt == "json" else catalog_csv(data)
    if output is None:
        click.echo(text, nl=False)
    else:
        _write(output, text)
        click.echo(f"{plural(data['count'], 'postmortem')} written to {clean(output)}", err=True)
