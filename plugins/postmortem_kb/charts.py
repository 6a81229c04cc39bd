"""Charts of the insights as inline SVG: geometry here, drawing in Jinja templates.

This module only turns figures into coordinates (scales, ticks, bar rectangles); the SVG
elements are written by ``templates/charts/*.svg.j2``, which a site may override. Every chart
has a ``<title>``, a ``<desc>``, ``role="img"`` and ``aria-labelledby``, and a table of its data
next to it. Colours are CSS custom properties of mkdocs-material, so the light and dark schemes
both apply, with plain fallbacks outside Material. Nothing refers to anything outside the page.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from .insights import DURATION_TITLES, Insights, format_minutes

WIDTH = 720
ROW = 24  # height of one bar or box row in horizontal charts
LEFT_LABELS = 170  # room for term names in horizontal charts


@dataclass
class Tick:
    pos: float
    label: str


@dataclass
class Chart:
    """Everything a chart template needs; ``id`` is unique within the page (for aria-labelledby)."""

    id: str
    kind: str  # the template: templates/charts/<kind>.svg.j2
    title: str
    description: str
    width: int
    height: int
    plot: dict[str, float]  # left, top, right, bottom of the plotting area
    data: dict[str, Any] = field(default_factory=dict)


def nice_max(value: float) -> int:
    """The smallest 1/2/5 x 10^k at or above ``value`` (at least 1): a tidy axis end."""
    if value <= 1:
        return 1
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * exp >= value:
            return int(step * exp)
    return int(10 * exp)


def count_ticks(top: int) -> list[int]:
    """Whole-number ticks from 0 to ``top`` (at most about six)."""
    step = max(1, nice_max(top / 5)) if top > 5 else 1
    return list(range(0, top + 1, step))


def _severity_style(index: int, total: int) -> float:
    # Severity is ordered, so one hue at falling opacity reads as "worse to milder" in both schemes.
    return round(1.0 - 0.75 * index / max(1, total - 1), 2) if total > 1 else 1.0


def incidents_by_month(insights: Insights, chart_id: str = "chart-incidents-by-month") -> Chart:
    months = insights.by_month
    plot = {"left": 44.0, "top": 12.0, "right": WIDTH - 30.0, "bottom": 200.0}
    top = nice_max(max((m.total for m in months), default=0))
    span = plot["bottom"] - plot["top"]
    slot = (plot["right"] - plot["left"]) / max(1, len(months))
    gap = min(4.0, slot * 0.2)
    every = max(1, math.ceil(len(months) / 12))  # at most about 12 month labels
    series = [{"name": s, "opacity": _severity_style(i, len(insights.severities)), "index": i}
              for i, s in enumerate(insights.severities)]
    bars = []
    for i, month in enumerate(months):
        x = plot["left"] + i * slot + gap / 2
        y = plot["bottom"]
        segments = []
        for s in series:
            n = month.by_severity.get(s["name"], 0)
            if not n:
                continue
            h = span * n / top
            y -= h
            segments.append({"y": round(y, 2), "h": round(h, 2), "series": s, "value": n})
        bars.append({"x": round(x, 2), "w": round(max(1.0, slot - gap), 2), "month": month.month,
                     "total": month.total, "segments": segments,
                     "label": month.month if i % every == 0 else ""})
    yticks = [Tick(round(plot["bottom"] - span * v / top, 2), str(v)) for v in count_ticks(top)]
    busiest = max(months, key=lambda m: m.total, default=None)
    desc = (f"{insights.incidents} incidents from {months[0].month} to {months[-1].month}, "
            f"stacked by severity; the busiest month was {busiest.month} with {busiest.total}."
            if months else "No incidents in this period.")
    return Chart(chart_id, "stacked_bars", "Incidents per month by severity", desc, WIDTH, 250, plot,
                 {"bars": bars, "series": series, "yticks": yticks, "x_label_y": plot["bottom"] + 16})


def term_shares(terms: Sequence[Any], title: str, chart_id: str, limit: int = 15) -> Chart:
    shown = list(terms[:limit])
    plot = {"left": float(LEFT_LABELS), "top": 8.0, "right": WIDTH - 90.0,
            "bottom": 8.0 + ROW * max(1, len(shown))}
    top = nice_max(max((t.count for t in shown), default=0))
    rows = []
    for i, t in enumerate(shown):
        w = (plot["right"] - plot["left"]) * t.count / top
        rows.append({"y": plot["top"] + i * ROW + 3, "h": ROW - 6, "w": round(w, 2), "label": t.title,
                     "value": f"{t.count} ({t.share:.0%})", "text_y": plot["top"] + i * ROW + ROW / 2 + 4})
    more = len(terms) - len(shown)
    desc = (", ".join(f"{t.title}: {t.count} ({t.share:.0%})" for t in shown[:5]) +
            (f"; {more} more in the table." if more > 0 else ".")) if shown else "No incidents in this period."
    return Chart(chart_id, "bars", title, desc, WIDTH, int(plot["bottom"] + 10), plot,
                 {"rows": rows, "more": more})


# Durations run from seconds to days, so the axis is log10(1 + minutes): readable at both ends
# and defined at zero (detected at the very start).
_DURATION_TICKS = (0, 1, 5, 15, 60, 240, 1440, 4 * 1440, 14 * 1440, 60 * 1440, 365 * 1440)


def _symlog(minutes: float) -> float:
    return math.log10(1 + max(0.0, minutes))


def durations(insights: Insights, name: str, chart_id: str) -> Chart:
    rows_in = [(y.year, getattr(y, name)) for y in insights.durations]
    rows_in = [(year, dist) for year, dist in rows_in if dist is not None]
    plot = {"left": 90.0, "top": 8.0, "right": WIDTH - 30.0, "bottom": round(8.0 + ROW * 1.4 * max(1, len(rows_in)), 2)}
    high = max((d.max for _, d in rows_in), default=60.0)
    ticks_m = [t for t in _DURATION_TICKS if t <= high]
    ticks_m.append(next((t for t in _DURATION_TICKS if t > high), high))
    end = _symlog(ticks_m[-1])

    def x(minutes: float) -> float:
        return round(plot["left"] + (plot["right"] - plot["left"]) * _symlog(minutes) / end, 2)

    rows = []
    for i, (year, d) in enumerate(rows_in):
        mid = plot["top"] + i * ROW * 1.4 + ROW * 0.7
        rows.append({"label": "All years" if year == "all" else year, "count": d.count, "mid": round(mid, 2),
                     "top": round(mid - ROW * 0.35, 2), "h": round(ROW * 0.7, 2),
                     "min": x(d.min), "q1": x(d.q1), "median": x(d.median), "q3": x(d.q3),
                     "p90": x(d.p90), "max": x(d.max), "dist": d,
                     "text": (f"{'All years' if year == 'all' else year}: median {format_minutes(d.median)}, "
                              f"p90 {format_minutes(d.p90)}, "
                              f"from {format_minutes(d.min)} to {format_minutes(d.max)} (n={d.count})")})
    xticks = [Tick(x(t), format_minutes(t).replace(" 00m", "") if t else "0") for t in ticks_m]
    title = f"{DURATION_TITLES[name]} per year"
    overall = next((d for year, d in rows_in if year == "all"), None)
    desc = (f"Box plot on a logarithmic scale: the box spans the middle half, the thick line is the "
            f"median, the diamond is p90, whiskers reach the minimum and maximum. Over all years the "
            f"median is {format_minutes(overall.median)} and p90 {format_minutes(overall.p90)}."
            if overall else "No postmortem in this period gives both moments.")
    return Chart(chart_id, "boxplot", title, desc, WIDTH, int(plot["bottom"] + 30), plot,
                 {"rows": rows, "xticks": xticks, "x_label_y": plot["bottom"] + 16})


def actions_by_quarter(insights: Insights, chart_id: str = "chart-actions-by-quarter") -> Chart:
    quarters = insights.actions_by_quarter
    plot = {"left": 44.0, "top": 12.0, "right": WIDTH - 12.0, "bottom": 180.0}
    top = nice_max(max((q.opened for q in quarters), default=0))
    span = plot["bottom"] - plot["top"]
    slot = (plot["right"] - plot["left"]) / max(1, len(quarters))
    every = max(1, math.ceil(len(quarters) / 12))
    w = max(1.0, slot * 0.35)
    groups = []
    for i, q in enumerate(quarters):
        x0 = plot["left"] + i * slot + slot * 0.15
        bars = []
        for j, (key, value) in enumerate((("opened", q.opened), ("done", q.done))):
            h = span * value / top
            bars.append({"key": key, "x": round(x0 + j * w, 2), "w": round(w, 2),
                         "y": round(plot["bottom"] - h, 2), "h": round(h, 2), "value": value})
        groups.append({"quarter": q.quarter, "bars": bars, "label": q.quarter if i % every == 0 else "",
                       "label_x": round(plot["left"] + i * slot + slot / 2, 2)})
    yticks = [Tick(round(plot["bottom"] - span * v / top, 2), str(v)) for v in count_ticks(top)]
    t = insights.actions_total
    desc = (f"{t['opened']} action items opened, {t['done']} done so far, {t['still_open']} still open, "
            f"{insights.overdue_count} overdue as of {insights.as_of.isoformat()}.")
    return Chart(chart_id, "grouped_bars", "Action items opened and done, by quarter of the incident", desc,
                 WIDTH, 230, plot, {"groups": groups, "yticks": yticks, "x_label_y": plot["bottom"] + 16,
                                    "series": [{"key": "opened", "name": "Opened"},
                                               {"key": "done", "name": "Done (today)"}]})


def all_charts(insights: Insights) -> dict[str, Chart]:
    """The charts of the insights page, by name."""
    return {
        "by_month": incidents_by_month(insights),
        "by_root_cause": term_shares(insights.by_root_cause, "Incidents by root cause", "chart-by-root-cause"),
        "by_component": term_shares(insights.by_component, "Incidents by component", "chart-by-component"),
        "time_to_detect": durations(insights, "time_to_detect", "chart-time-to-detect"),
        "time_to_resolve": durations(insights, "time_to_resolve", "chart-time-to-resolve"),
        "actions": actions_by_quarter(insights),
    }


def environment(override_dir: str | Path | None = None) -> jinja2.Environment:
    """Chart templates: a site's own ``charts/*.svg.j2`` in ``override_dir`` win over the shipped ones."""
    loaders: list[jinja2.BaseLoader] = []
    if override_dir:
        loaders.append(jinja2.FileSystemLoader(str(override_dir)))
    loaders.append(jinja2.PackageLoader("postmortem_kb", "templates"))
    env = jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), autoescape=True, trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["n"] = number
    return env


def number(value: float) -> str:
    """A coordinate as short text: ``12.5``, ``40``; never float noise like ``108.79999999999998``."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


_BLANK_LINES = re.compile(r"\n\s*\n")


def render(chart: Chart, env: jinja2.Environment | None = None) -> Markup:
    """The chart as one inline ``<svg>``; no blank lines, so Markdown keeps it one HTML block."""
    env = env or environment()
    svg = env.get_template(f"charts/{chart.kind}.svg.j2").render(chart=chart)
    return Markup(_BLANK_LINES.sub("\n", svg.strip()))
