"""``pmkb stats`` and ``pmkb export``: the insights and the catalog in the terminal."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Sequence

import click

from .cli import Context, pass_ctx
from .insights import DURATION_TITLES, DURATIONS, Insights, PeriodError, compute_insights, format_minutes, \
    parse_bound, stat_rows
from .site import SiteOptions
from .site.exports import Urls, catalog, catalog_csv, to_json

_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _bound(param: str, end: bool):
    def convert(ctx: click.Context, p: click.Parameter, value: str | None) -> dt.date | None:
        if value is None:
            return None
        try:
            return parse_bound(value, end=end)
        except PeriodError as exc:
            raise click.BadParameter(str(exc), param_hint=param) from None
    return convert


def _load(obj: Context, as_of: dt.datetime | None):
    if as_of is not None:
        obj.config.today = as_of.date()
    kb = obj.load()
    if kb.errors and not kb.postmortems:
        from .problems import format_problems
        click.echo(format_problems(kb.errors), err=True)
        raise click.ClickException("no valid postmortem to count; fix the errors above (pmkb validate)")
    if kb.rejected:
        click.echo(f"pmkb: {len(kb.rejected)} postmortem(s) with errors left out; see `pmkb validate`", err=True)
    return kb


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], right: Sequence[int] = ()) -> str:
    """Plain aligned columns; numbers (columns in ``right``) aligned right."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    return "\n".join([line(cells[0]), "  ".join("-" * w for w in widths)] + [line(r) for r in cells[1:]])


def render_text(ins: Insights) -> str:
    """The figures of the insights page as terminal tables."""
    out: list[str] = []
    period = f" between {ins.since or 'the start'} and {ins.until or 'today'}" if ins.since or ins.until else ""
    if not ins.incidents:
        return f"No published incidents{period}."
    out.append(f"{ins.incidents} incident(s){period}, from {ins.first} to {ins.last}; "
               f"action items as of {ins.as_of}.")
    sev = ins.severities
    out += ["", "Incidents per month by severity",
            table(["Month", *sev, "Total"],
                  [[m.month, *(m.by_severity[s] for s in sev), m.total] for m in ins.by_month if m.total] +
                  [["All", *(ins.by_severity[s] for s in sev), ins.incidents]],
                  right=range(1, len(sev) + 2))]
    for title, terms in (("Root cause", ins.by_root_cause), ("Component", ins.by_component)):
        out += ["", f"Incidents by {title.lower()}",
                table([title, "Incidents", "Share"], [[t.title, t.count, f"{t.share:.0%}"] for t in terms],
                      right=(1, 2))]
    rows = []
    for year in ins.durations:
        for name in DURATIONS:
            d = getattr(year, name)
            label = "All years" if year.year == "all" else year.year
            rows.append([label, DURATION_TITLES[name], d.count if d else 0,
                         *((format_minutes(getattr(d, k)) for k in ("median", "p90", "min", "q1", "q3", "max"))
                           if d else ["–"] * 6), year.unknown[name]])
    out += ["", "Time to detect and to resolve (from the start; p90 by linear interpolation)",
            table(["Year", "Measure", "n", "Median", "p90", "Min", "Q1", "Q3", "Max", "Unknown"], rows,
                  right=range(2, 10))]
    out += ["", "Recurring root cause and component pairs"]
    out.append(table(["Root cause", "Component", "Incidents", "First", "Last"],
                     [[r.root_cause_title, r.component_title, r.count, r.first, r.last] for r in ins.recurring],
                     right=(2,)) if ins.recurring else "None: no root cause struck the same component twice.")
    t = ins.actions_total
    out += ["", "Action items by quarter of the incident (done = done today)",
            table(["Quarter", "Opened", "Done", "Won't do", "Still open", "Overdue"],
                  [[q.quarter, q.opened, q.done, q.wont_do, q.still_open, q.overdue]
                   for q in ins.actions_by_quarter if q.opened] +
                  [["All", t["opened"], t["done"], t["wont_do"], t["still_open"], ins.overdue_count]],
                  right=range(1, 6))]
    out += ["", f"Overdue action items as of {ins.as_of}: {ins.overdue_count}"]
    if ins.overdue:
        out.append(table(["Due", "Days late", "Incident", "Owner", "Action item"],
                         [[o.due, o.days_overdue, o.postmortem_id, o.owner or "–", o.title] for o in ins.overdue],
                         right=(1,)))
    return "\n".join(out)


def render_csv(ins: Insights) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["figure", "group", "key", "value"])
    writer.writerows(stat_rows(ins))
    return out.getvalue()


_period_options = [
    click.option("--since", callback=_bound("--since", end=False),
                 help="Only incidents on or after this day (YYYY, YYYY-MM or YYYY-MM-DD)."),
    click.option("--until", callback=_bound("--until", end=True),
                 help="Only incidents on or before this day; a year or month means its last day."),
]
_as_of_option = click.option("--as-of", "as_of", type=_DATE,
                             help="The day overdue action items are counted at (default: today).")


def _with(options):
    def apply(func):
        for option in reversed(options):
            func = option(func)
        return func
    return apply


@click.command()
@_with(_period_options)
@_as_of_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True,
              help="csv: one figure per row (figure, group, key, value).")
@pass_ctx
def stats(obj: Context, since: dt.date | None, until: dt.date | None, as_of: dt.datetime | None,
          fmt: str) -> None:
    """Reliability figures: incidents, durations, recurrences, action items.

    The insights page of the site, as tables. Incidents per month and severity, by root cause and component, time to detect and to
    resolve (median, p90, spread per year), recurring pairs, and action items per quarter.
    """
    if since and until and since > until:
        raise click.BadParameter(f"--since {since} is after --until {until}", param_hint="--since")
    kb = _load(obj, as_of)
    ins = compute_insights(kb.visible(), kb.taxonomy, kb.config.as_of, since, until)
    if fmt == "json":
        click.echo(json.dumps(ins.to_dict(), indent=2, ensure_ascii=False))
    elif fmt == "csv":
        click.echo(render_csv(ins), nl=False)
    else:
        click.echo(render_text(ins))


def _write(path: Path, text: str) -> None:
    """Write whole or not at all: a failed export never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@click.command()
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True,
              help="json: the site's catalog.json; csv: one row per postmortem.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
@click.option("--site-url", default="", help="Make URLs absolute under this address (as in mkdocs.yml).")
@_with(_period_options)
@_as_of_option
@pass_ctx
def export(obj: Context, fmt: str, output: Path | None, site_url: str, since: dt.date | None,
           until: dt.date | None, as_of: dt.datetime | None) -> None:
    """Write the catalog of published postmortems (JSON or CSV).

    JSON is the site's catalog.json (schema: catalog.schema.json); CSV has one row per postmortem.
    """
    from .insights import in_period

    kb = _load(obj, as_of)
    urls = Urls(SiteOptions(extra={"site_url": site_url}))
    data = catalog(in_period(kb.visible(), since, until), kb.taxonomy, kb.config.as_of, urls)
    text = to_json(data) if fmt == "json" else catalog_csv(data)
    if output is None:
        click.echo(text, nl=False)
    else:
        _write(output, text)
        click.echo(f"{data['count']} postmortem(s) written to {output}", err=True)
