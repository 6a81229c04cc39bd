"""What ``pmkb stats`` and ``pmkb export`` share: the period options and loading the KB for figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from ._common import Context, plural

if TYPE_CHECKING:
    from ..loader import KnowledgeBase

DATE = click.DateTime(formats=["%Y-%m-%d"])


def _bound(param: str, end: bool) -> Callable[[click.Context, click.Parameter, str | None], dt.date | None]:
    def convert(ctx: click.Context, p: click.Parameter, value: str | None) -> dt.date | None:
        from ..insights import PeriodError, parse_bound

        if value is None:
            return None
        try:
            return parse_bound(value, end=end)
        except PeriodError as exc:
            raise click.BadParameter(str(exc), param_hint=param) from None
    return convert


def period_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--since, --until and --as-of."""
    func = click.option("--as-of", "as_of", type=DATE,
                        help="The day overdue action items are counted at (default: today).")(func)
    func = click.option("--until", callback=_bound("--until", end=True),
                        help="Only incidents on or before this day; a year or month means its last day.")(func)
    func = click.option("--since", callback=_bound("--since", end=False),
                        help="Only incidents on or after this day (YYYY, YYYY-MM or YYYY-MM-DD).")(func)
    return func


def load_for_figures(obj: Context, as_of: dt.datetime | None) -> KnowledgeBase:
    """The KB, with the day overdue items are counted at; rejected files are left out, and said so."""
    from ..problems import format_problems

    if as_of is not None:
        obj.config.today = as_of.date()
    kb = obj.load()
    if kb.errors and not kb.postmortems:
        click.echo(format_problems(kb.errors), err=True)
        raise click.ClickException("no valid postmortem to count; fix the errors above (pmkb validate)")
    if kb.rejected:
        left_out = plural(len(kb.rejected), "postmortem")
        click.echo(f"pmkb: {left_out} with errors left out; see `pmkb validate`", err=True)
    return kb
