"""``pmkb init``: a ready knowledge-base repository, over :mod:`postmortem_kb.initkb`."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from ._common import clean, examples


@click.command(epilog=examples("pmkb init incidents-kb", 'pmkb init "My Team KB" --site-name "My team\'s postmortems"',
                               "pmkb init kb --requirement 'postmortem-kb @ git+https://git.example.com/tools/"
                               "postmortem-kb@v0.1.0'", "pmkb init kb --engine zensical"))
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Write into a folder that is not empty (files already there are kept, never overwritten).")
@click.option("--site-name", default=None, help="The site's title. Default: made from the folder's name.")
@click.option("--requirement", metavar="PIP-REQUIREMENT", default=None,
              help="How CI and pre-commit install postmortem-kb, e.g. 'postmortem-kb @ https://.../x.whl'. "
                   "Default: this version from the package index.")
@click.option("--engine", type=click.Choice(("mkdocs", "properdocs", "zensical")), default=None,
              help="The site engine the KB is built with (named in mkdocs.yml, installed by CI). "
                   "Default: none named; pmkb build uses the first installed of MkDocs, ProperDocs, Zensical.")
def init(directory: Path, force: bool, site_name: str | None, requirement: str | None, engine: str | None) -> None:
    """Make a ready postmortem knowledge base in DIRECTORY (default: here).

    It holds mkdocs.yml, taxonomy.yml, an example postmortem, a template, CI workflows for
    GitHub and GitLab, and a pre-commit hook. It validates and builds as it is.
    """
    from ..initkb import InitError, init_kb

    try:
        report = init_kb(directory, force=force, site_name=site_name, requirement=requirement, engine=engine)
    except InitError as exc:
        raise click.ClickException(clean(exc)) from None
    for path in report.written:
        click.echo(f"wrote {clean(path)}")
    for path in report.kept:
        click.echo(f"kept  {clean(path)} (already there)", err=True)
    install = report.install
    if install is not None:
        click.echo(f"\nCI and the pre-commit hook install: {clean(install.requirement)}", err=True)
        if not install.portable:
            click.echo(f"warning: that is {clean(install.origin)}, which exists only on this machine: the KB's CI "
                       "and its pre-commit hook will fail anywhere else. Edit requirements.txt and "
                       ".pre-commit-config.yaml, or make the KB again with --requirement "
                       "'postmortem-kb @ <a URL they reach: a wheel, or git+https://...@tag>'.", err=True)
    steps = [] if directory.resolve() == Path.cwd().resolve() else [f"cd {shlex.quote(str(directory))}"]
    steps += ["git init", "pip install pre-commit && pre-commit install", "pmkb validate", "pmkb serve"]
    click.echo("\nNext:", err=True)
    for step in steps:
        click.echo(f"  {clean(step)}", err=True)
    click.echo("then open http://127.0.0.1:8000", err=True)
