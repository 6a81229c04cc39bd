"""``pmkb init``, ``pmkb build`` and ``pmkb serve``: thin commands over publish.py and initkb.py."""

from __future__ import annotations

import contextlib
import logging
import sys
from pathlib import Path

import click

from .cli import EXIT_PROBLEMS, Context, pass_ctx
from .problems import format_problems

CONFIG_FILE = click.Path(dir_okay=False, path_type=Path)


class _EchoHandler(logging.Handler):
    """Writes through click, to whatever stderr is now (click's test runner swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(self.format(record), err=True)


@contextlib.contextmanager
def _engine_logs(verbose: bool, quiet: bool):
    """Print the site engine's messages (the plugin's `path:line` problems, progress) as its own
    CLI would, for the length of one command."""
    from .publish import engine_logger

    handler = _EchoHandler()
    handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
    logger = engine_logger()
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def _config_file(obj: Context, given: Path | None) -> Path:
    from .publish import find_config_file

    return given if given is not None else find_config_file(obj.root)


@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Write into a folder that is not empty (files already there are kept, never overwritten).")
@click.option("--site-name", default=None, help="The site's title. Default: made from the folder's name.")
@click.option("--requirement", metavar="PIP-REQUIREMENT", default=None,
              help="How CI and pre-commit install postmortem-kb, e.g. 'postmortem-kb @ https://.../x.whl'. "
                   "Default: this version from the package index.")
def init(directory: Path, force: bool, site_name: str | None, requirement: str | None) -> None:
    """Make a ready postmortem knowledge base in DIRECTORY (default: here).

    It holds mkdocs.yml, taxonomy.yml, an example postmortem, a template, CI workflows for
    GitHub and GitLab, and a pre-commit hook. It validates and builds as it is.
    """
    from .initkb import InitError, init_kb

    try:
        report = init_kb(directory, force=force, site_name=site_name, requirement=requirement)
    except InitError as exc:
        raise click.ClickException(str(exc)) from None
    for path in report.written:
        click.echo(f"wrote {path}")
    for path in report.kept:
        click.echo(f"kept  {path} (already there)", err=True)
    where = "" if directory.resolve() == Path.cwd().resolve() else f"cd {directory} && "
    click.echo(f"\nNext: {where}pmkb validate && pmkb serve   (then open http://127.0.0.1:8000)", err=True)


@click.command()
@click.option("-f", "--config-file", type=CONFIG_FILE, help="The site configuration. Default: the KB's mkdocs.yml.")
@click.option("-d", "--site-dir", type=click.Path(file_okay=False, path_type=Path),
              help="The output folder, replaced whole on success. Default: site_dir of mkdocs.yml (site/).")
@click.option("--drafts", is_flag=True, help="Include draft postmortems (a preview build, not for publishing).")
@click.option("--strict/--no-strict", default=True, show_default=True,
              help="Fail on any invalid postmortem or build warning. --no-strict skips invalid postmortems.")
@click.option("-v", "--verbose", is_flag=True, help="Show the site engine's debug messages.")
@click.option("-q", "--quiet", is_flag=True, help="Show only warnings and errors.")
@pass_ctx
def build(obj: Context, config_file: Path | None, site_dir: Path | None, drafts: bool, strict: bool,
          verbose: bool, quiet: bool) -> None:
    """Validate the postmortems and build the site.

    The site is built in a new folder beside the output folder, which it replaces only when the
    whole build succeeded: a failed build leaves the previous site exactly as it was.
    Exit 1 with `path:line` problems when a postmortem is invalid.
    """
    from .publish import BuildFailed, build_site

    try:
        with _engine_logs(verbose, quiet):
            result = build_site(_config_file(obj, config_file), site_dir=site_dir, drafts=drafts,
                                strict=strict, strict_terms=obj.config.strict_terms)
    except BuildFailed as exc:
        if exc.problems:
            click.echo(format_problems(exc.problems), err=True)
        click.echo(f"pmkb build: {exc}", err=True)
        sys.exit(EXIT_PROBLEMS)
    # The problems themselves were logged by the plugin during the build, like `pmkb validate`'s.
    if result.kb is None:
        click.echo(f"Built the site into {result.site_dir} (it does not use the postmortems plugin)")
        return
    errors = sum(p.is_error for p in result.problems)
    warnings = len(result.problems) - errors
    shown = len(result.kb.visible(drafts))
    notes = [f"{n} {what}" for n, what in ((warnings, "warning(s)"), (errors, "skipped with errors")) if n]
    click.echo(f"Built {shown} postmortem(s){' with drafts' if drafts else ''} into {result.site_dir}"
               + (f" ({', '.join(notes)})" if notes else ""))


@click.command()
@click.option("-f", "--config-file", type=CONFIG_FILE, help="The site configuration. Default: the KB's mkdocs.yml.")
@click.option("-a", "--dev-addr", metavar="IP:PORT", help="Where to serve. Default: 127.0.0.1:8000.")
@click.option("--drafts/--no-drafts", default=True, show_default=True, help="Show draft postmortems too.")
@click.option("--open", "open_in_browser", is_flag=True, help="Open the site in a browser.")
@click.option("--no-livereload", is_flag=True, help="Do not rebuild and reload on changes.")
@click.option("-v", "--verbose", is_flag=True, help="Show the site engine's debug messages.")
@pass_ctx
def serve(obj: Context, config_file: Path | None, dev_addr: str | None, drafts: bool, open_in_browser: bool,
          no_livereload: bool, verbose: bool) -> None:
    """Preview the site while writing: it rebuilds and reloads when a postmortem changes.

    Invalid postmortems are skipped with a warning, so a half-written one does not stop the preview.
    """
    from .publish import BuildFailed, serve_site

    try:
        with _engine_logs(verbose, False):
            serve_site(_config_file(obj, config_file), dev_addr=dev_addr, drafts=drafts,
                       open_in_browser=open_in_browser, livereload=not no_livereload)
    except BuildFailed as exc:
        raise click.ClickException(str(exc)) from None
