"""``pmkb stats``: the figures of the insights page in the terminal (text, JSON or CSV)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from ._common import Context, clean, examples, kb_options, pass_ctx, plural
from ._period import load_for_figures, period_options

if TYPE_CHECKING:
    from ..insights import Insights


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], right: Sequence[int] = ()) -> str:
    """Plain aligned columns; numbers (columns in ``right``) aligned right."""
    cells = [[clean(h) for h in headers]] + [["" if c is None else clean(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    return "\n".join([line(cells[0]), "  ".join("-" * w for w in widths)] + [line(r) for r in cells[1:]])


def render_text(ins: Insights) -> str:
    """The figures of the insights page as terminal tables."""
    from ..insights import DURATION_TITLES, DURATIONS, format_minutes

    out: list[str] = []
    period = f" between {ins.since or 'the start'} and {ins.until or 'today'}" if ins.since or ins.until else ""
    if not ins.incidents:
        return f"No published incidents{period}."
    span = f"on {ins.first}" if ins.first == ins.last else f"from {ins.first} to {ins.last}"
    out.append(f"{plural(ins.incidents, 'incident')}{period}, {span}; action items as of {ins.as_of}.")
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
    """One figure per row; text cells quoted and neutralised for spreadsheets (catalog.to_csv)."""
    from ..catalog import to_csv
    from ..insights import stat_rows

    return to_csv(["figure", "group", "key", "value"], stat_rows(ins))


@click.command(epilog=examples("pmkb stats", "pmkb stats --since 2024 --until 2024-06",
                               "pmkb stats --format csv > figures.csv"))
@period_options
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True,
              help="csv: one figure per row (figure, group, key, value).")
@kb_options
@pass_ctx
def stats(obj: Context, since: dt.date | None, until: dt.date | None, as_of: dt.datetime | None,
          fmt: str) -> None:
    """Reliability figures: incidents, durations, recurrences, action items.

    The insights page of the site, as tables. Incidents per month and severity, by root cause and
    component, time to detect and to resolve (median, p90, spread per year), recurring pairs, and
    action items per quarter.
    """
    from ..insights import compute_insights

    if since and until and since > until:
        raise click.BadParameter(f"--since {since} is after --until {until}", param_hint="--since")
    kb = load_for_figures(obj, as_of)
    ins = compute_insights(kb.visible(), kb.taxonomy, kb.config.as_of, since, until)
    if fmt == "json":
        click.echo(json.dumps(ins.to_dict(), indent=2, ensure_ascii=False))
    elif fmt == "csv":
        click.echo(render_csv(ins), nl=False)
    else:
        click.echo(render_text(ins))
