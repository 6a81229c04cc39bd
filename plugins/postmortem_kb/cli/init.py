"""``pmkb init``: a ready knowledge-base repository, over :mod:`postmortem_kb.initkb`."""

from __future__ import annotations

from pathlib import Path

import click

from ._common import clean, examples


@click.command(epilog=examples("pmkb init incidents-kb", 'pmkb init "My Team KB" --site-name "My team\'s postmortems"',
                               "pmkb init kb --requirement 'postmortem-kb @ git+https://git.example.com/tools/"
                               "postmortem-kb@v0.1.0'"))
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
    from ..initkb import InitError, init_kb

    try:
        report = init_kb(directory, force=force, site_name=site_name, requirement=requirement)
    except InitError as exc:
        raise click.ClickException(clean(exc)) from None
    for path in report.written:
        click.echo(f"wrote {clean(path)}")
    for path in report.kept:
        click.echo(f"kept  {clean(path)} (already there)", err=True)
    where = "" if directory.resolve() == Path.cwd().resolve() else f"cd {directory} && "
    click.echo(f"\nNext: {where}pmkb validate && pmkb serve   (then open http://127.0.0.1:8000)", err=True)
