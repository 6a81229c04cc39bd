"""``pmkb serve``: preview the site while writing, a thin wrapper over :mod:`postmortem_kb.publish`."""

from __future__ import annotations

from pathlib import Path

import click

from ._common import Context, clean, examples, kb_options, pass_ctx
from ._logs import CONFIG_FILE, engine_logs, site_config


@click.command(epilog=examples("pmkb serve", "pmkb serve --dev-addr 127.0.0.1:8001 --open"))
@click.option("-f", "--config-file", type=CONFIG_FILE, help="The site configuration. Default: the KB's mkdocs.yml.")
@click.option("-a", "--dev-addr", metavar="IP:PORT", help="Where to serve. Default: 127.0.0.1:8000.")
@click.option("--drafts/--no-drafts", default=True, show_default=True, help="Show draft postmortems too.")
@click.option("--open", "open_in_browser", is_flag=True, help="Open the site in a browser.")
@click.option("--no-livereload", is_flag=True, help="Do not rebuild and reload on changes.")
@click.option("-v", "--verbose", is_flag=True, help="Show the site engine's debug messages.")
@click.option("--engine", type=click.Choice(("mkdocs", "properdocs", "zensical")),
              help="The site engine. Default: as for `pmkb build`.")
@kb_options
@pass_ctx
def serve(obj: Context, config_file: Path | None, dev_addr: str | None, drafts: bool, open_in_browser: bool,
          no_livereload: bool, verbose: bool, engine: str | None) -> None:
    """Preview the site while writing: it rebuilds and reloads when a postmortem changes.

    Invalid postmortems are skipped with a warning, so a half-written one does not stop the preview.
    """
    from ..publish import BuildFailed, find_engine, serve_site

    try:
        config = site_config(obj, config_file)
        chosen = find_engine(engine, config)
        with engine_logs(verbose, False, chosen.name):
            serve_site(config, dev_addr=dev_addr, drafts=drafts, open_in_browser=open_in_browser,
                       livereload=not no_livereload, engine=chosen)
    except BuildFailed as exc:
        raise click.ClickException(clean(exc)) from None

