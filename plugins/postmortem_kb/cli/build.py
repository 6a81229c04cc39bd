"""``pmkb build``: validate and build the site, a thin wrapper over :mod:`postmortem_kb.publish`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ._common import EXIT_PROBLEMS, Context, clean, examples, kb_options, pass_ctx, plural
from ._logs import CONFIG_FILE, engine_logs, site_config

ENGINES = ("mkdocs", "properdocs", "zensical")  # postmortem_kb.engines.ENGINES, kept here so --help stays light


@click.command(epilog=examples("pmkb build", "pmkb build --site-dir public", "pmkb build --drafts --site-dir preview",
                               "pmkb build --engine zensical"))
@click.option("-f", "--config-file", type=CONFIG_FILE, help="The site configuration. Default: the KB's mkdocs.yml.")
@click.option("-d", "--site-dir", type=click.Path(file_okay=False, path_type=Path),
              help="The output folder, replaced whole on success. Default: site_dir of mkdocs.yml (site/).")
@click.option("--drafts", is_flag=True, help="Include draft postmortems (a preview build, not for publishing).")
@click.option("--strict/--no-strict", default=True, show_default=True,
              help="Fail on any invalid postmortem or build warning. --no-strict skips invalid postmortems.")
@click.option("-v", "--verbose", is_flag=True, help="Show the site engine's debug messages.")
@click.option("-q", "--quiet", is_flag=True, help="Show only warnings and errors.")
@click.option("--engine", type=click.Choice(ENGINES),
              help="The site engine. Default: PMKB_ENGINE, else `engine:` under the postmortems plugin in "
                   "mkdocs.yml, else the first installed of MkDocs, ProperDocs, Zensical.")
@kb_options
@pass_ctx
def build(obj: Context, config_file: Path | None, site_dir: Path | None, drafts: bool, strict: bool,
          verbose: bool, quiet: bool, engine: str | None) -> None:
    """Validate the postmortems and build the site.

    The site is built in a new folder beside the output folder, which it replaces only when the
    whole build succeeded: a failed build leaves the previous site exactly as it was.
    Exit 1 with `path:line` problems when a postmortem is invalid.
    """
    from ..problems import format_problems
    from ..publish import BadSiteDir, BuildFailed, build_site, find_engine

    try:
        config = site_config(obj, config_file)
        chosen = find_engine(engine, config)
        with engine_logs(verbose, quiet, chosen.name):
            result = build_site(config, site_dir=site_dir, drafts=drafts, strict=strict,
                                strict_terms=obj.config.strict_terms, engine=chosen)
    except BadSiteDir as exc:
        reason = clean(exc).removeprefix(f"--site-dir {site_dir}: ")
        raise click.BadParameter(reason, param_hint="'--site-dir'") from None
    except BuildFailed as exc:
        if exc.problems:
            click.echo(format_problems(exc.problems), err=True)
        click.echo(f"pmkb build: {clean(exc)}", err=True)
        sys.exit(EXIT_PROBLEMS)
    # The problems themselves were logged by the plugin during the build, like `pmkb validate`'s.
    if result.kb is None:
        click.echo(f"Built the site into {clean(result.site_dir)} (it does not use the postmortems plugin)")
        return
    errors = sum(p.is_error for p in result.problems)
    warnings = len(result.problems) - errors
    shown = len(result.kb.visible(drafts))
    counted = ((warnings, plural(warnings, "warning")), (errors, f"{errors} skipped with errors"))
    notes = [text for n, text in counted if n]
    click.echo(f"Built {plural(shown, 'postmortem')}{' with drafts' if drafts else ''} into {clean(result.site_dir)}"
               + (f" ({', '.join(notes)})" if notes else ""))

