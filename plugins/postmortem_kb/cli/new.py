"""``pmkb new``: start a postmortem from the template."""

from __future__ import annotations

import datetime as dt

import click

from ._common import Context, clean, examples, kb_options, pass_ctx


@click.command(epilog=examples('pmkb new "Checkout errors after deploy"',
                               'pmkb new "Disk full on db-2" --date 2025-03-14 --timezone +01:00 --author "Ana"'))
@click.argument("title")
@click.option("--id", "pm_id", help="The id (and file name). Default: the incident date and words of the title.")
@click.option("--date", "date", type=click.DateTime(formats=["%Y-%m-%d"]), help="Incident date. Default: today.")
@click.option("--timezone", default="+00:00", show_default=True, help="Offset of the timeline's times.")
@click.option("--author", default="", help="Your name.")
@kb_options
@pass_ctx
def new(obj: Context, title: str, pm_id: str | None, date: dt.datetime | None, timezone: str, author: str) -> None:
    """Start a new postmortem from the template (never overwrites a file).

    Its id, and file name, start with the incident date: postmortems/<year>/<date>-<title words>.md.
    """
    from ..scaffold import ScaffoldError, new_postmortem
    from ..slugs import is_valid_id

    if pm_id is not None and not is_valid_id(pm_id):
        raise click.BadParameter("ids are lowercase letters, digits and single dashes", param_hint="--id")
    config = obj.config
    day = date.date() if date else dt.date.today()
    try:
        path = new_postmortem(config, obj.taxonomy(), title, date=day, pm_id=pm_id,
                              timezone=timezone, author=author)
    except ScaffoldError as exc:
        raise click.ClickException(clean(exc)) from None
    click.echo(path)
    click.echo(f"Fill in severity, root_causes, the sections and the timeline, then run: pmkb validate '{path}'",
               err=True)
