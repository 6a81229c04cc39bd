"""Charts of the insights as inline SVG: geometry here, drawing in Jinja templates.

This module only turns figures into coordinates (scales, ticks, bars, dots, curves); the SVG
elements are written by ``templates/charts/*.svg.j2``, which a site may override. Every chart
has a ``<title>``, a ``<desc>``, ``role="img"`` and ``aria-labelledby``, and a table of its data
next to it. Nothing refers to anything outside the page.

Readability rules, whatever the data:

- severity has the badges' colours (red, orange, amber, grey by rank), through the CSS custom
  properties of ``assets/postmortems.css``, which give each scheme (light, dark) its own shade
  with at least 3:1 contrast against the page;
- a series of fewer than :data:`MIN_SUMMARY` values is drawn as one dot per value, never as a
  box or a curve that would pretend to a shape;
- a time axis has at most :data:`MAX_SLOTS` slots: months, else quarters, else years; labels sit
  centred under their bar, and only as many as fit;
- each chart is drawn twice, :data:`WIDE` and :data:`NARROW` units across, and the stylesheet
  shows the one that fits the screen, so that text is about 12 px on a laptop and on a phone.
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

from .insights import DURATION_TITLES, Distribution, Insights, MonthCount, TermCount, format_minutes

WIDE = 720
NARROW = 360
WIDTH = WIDE  # the width of a chart unless a narrow one is asked for
FONT = 12  # text size in chart units; both widths are drawn at about one unit per pixel
ROW = 24  # height of one bar or box row in horizontal charts
LEFT_LABELS = 170  # room for term names in horizontal charts (wide)
MIN_SUMMARY = 5  # fewer values than this: dots, not a box plot or a curve
MAX_SLOTS = 24  # at most this many bars along a time axis
MAX_BAR = 48  # a bar is never wider than this, however few there are
SEVERITY_COLOURS = 4  # red, orange, amber, grey: more severities than this share the last one


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
    variant: str = "wide"  # or "narrow": which screens show it (see assets/postmortems.css)


def nice_max(value: float) -> int:
    """The smallest 1/2/5 x 10^k at or above ``value`` (at least 1): a tidy axis end."""
    if value <= 1:
        return 1
    if value <= 10:  # small counts: the axis ends at the largest one
        return math.ceil(value)
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * exp >= value:
            return int(step * exp)
    return int(10 * exp)


def count_ticks(top: int) -> list[int]:
    """Whole-number ticks from 0 to ``top`` (at most about six)."""
    step = max(1, nice_max(top / 5)) if top > 5 else 1
    return list(range(0, top + 1, step))


def text_width(text: str) -> float:
    """About how wide ``text`` is at :data:`FONT` in a proportional font (chart units)."""
    return len(text) * FONT * 0.6


def severity_class(index: int) -> str:
    """The colour class of the severity at rank ``index`` (0 is the most severe)."""
    return f"sev-{min(index, SEVERITY_COLOURS - 1)}"


def _variant(width: int) -> str:
    return "narrow" if width < WIDE else "wide"


def _id(chart_id: str, width: int) -> str:
    return chart_id if width >= WIDE else f"{chart_id}-narrow"


def _label_every(slot: float, labels: Sequence[str]) -> int:
    """Label every n-th slot, n as small as lets the longest label fit with a gap."""
    longest = max((text_width(label) for label in labels), default=0.0)
    return max(1, math.ceil((longest + FONT) / max(slot, 1.0)))


def _legend(items: Sequence[dict[str, Any]], left: float, right: float,
            top: float) -> tuple[list[dict[str, Any]], float]:
    """Legend entries placed left to right, wrapping at ``right``; returns them and the bottom."""
    x, y, placed = left, top, []
    for item in items:
        w = 16 + text_width(item["name"]) + 16
        if x > left and x + w > right:
            x, y = left, y + FONT + 8
        placed.append({**item, "x": round(x, 2), "y": round(y, 2)})
        x += w
    return placed, y + FONT + 4


def _room_for_last_label(plot: dict[str, float], slots: int, labels: Sequence[str], width: int) -> float:
    """The plot's right edge, moved in so that a label centred under the last slot stays inside the chart."""
    right = plot["right"]
    if not slots:
        return right
    half = text_width(labels[-1]) / 2 + 2
    for _ in range(3):  # the slot width depends on the edge: converge in a few steps
        slot = (right - plot["left"]) / slots
        right = min(plot["right"], width - half + slot / 2)
    return round(right, 2)


# --- incidents over time --------------------------------------------------------------------

def time_slots(months: Sequence[MonthCount], limit: int | None = None) -> tuple[str, list[tuple[str, dict[str, int]]]]:
    """The months as few enough slots to read: ``("month" | "quarter" | "year", [(label, counts)])``.

    The finest unit with at most ``limit`` slots; by default :data:`MAX_SLOTS`, and no more slots
    than incidents (at least 8), so that sparse data is not a row of bars of height one."""
    if limit is None:
        limit = min(MAX_SLOTS, max(8, sum(m.total for m in months)))
    def group(key_of: Any) -> list[tuple[str, dict[str, int]]]:
        out: dict[str, dict[str, int]] = {}
        for m in months:
            counts = out.setdefault(key_of(m.month), {s: 0 for s in m.by_severity})
            for s, n in m.by_severity.items():
                counts[s] = counts.get(s, 0) + n
        return list(out.items())

    if len(months) <= limit:
        return "month", [(m.month, dict(m.by_severity)) for m in months]
    quarters = group(lambda ym: f"{ym[:4]} Q{(int(ym[5:7]) - 1) // 3 + 1}")
    if len(quarters) <= limit:
        return "quarter", quarters
    return "year", group(lambda ym: ym[:4])


def incidents_by_month(insights: Insights, chart_id: str = "chart-incidents-by-month", width: int = WIDTH) -> Chart:
    unit, slots = time_slots(insights.by_month)
    plot = {"left": 40.0, "top": 12.0, "right": width - 12.0, "bottom": 200.0 if width >= WIDE else 170.0}
    plot["right"] = _room_for_last_label(plot, len(slots), [label for label, _ in slots], width)
    top = nice_max(max((sum(c.values()) for _, c in slots), default=0))
    span = plot["bottom"] - plot["top"]
    slot = (plot["right"] - plot["left"]) / max(1, len(slots))
    gap = min(6.0, slot * 0.25)
    every = _label_every(slot, [label for label, _ in slots])
    series = [{"name": s, "cls": severity_class(i)} for i, s in enumerate(insights.severities)]
    bars = []
    for i, (label, counts) in enumerate(slots):
        w = max(1.0, min(slot - gap, MAX_BAR))
        x = plot["left"] + i * slot + (slot - w) / 2
        y = plot["bottom"]
        segments = []
        for s in series:
            n = counts.get(s["name"], 0)
            if not n:
                continue
            h = span * n / top
            y -= h
            segments.append({"y": round(y, 2), "h": round(h, 2), "series": s, "value": n})
        bars.append({"x": round(x, 2), "w": round(w, 2), "month": label, "total": sum(counts.values()),
                     "segments": segments, "label": label if i % every == 0 else "",
                     "label_x": round(x + w / 2, 2)})
    yticks = [Tick(round(plot["bottom"] - span * v / top, 2), str(v)) for v in count_ticks(top)]
    present = {s for _, counts in slots for s, n in counts.items() if n}
    legend, bottom = _legend([s for s in series if s["name"] in present], plot["left"], width - 8.0,
                             plot["bottom"] + 30)
    busiest = max(slots, key=lambda s: sum(s[1].values()), default=None)
    desc = (f"{insights.incidents} incidents from {slots[0][0]} to {slots[-1][0]}, per {unit}, stacked by "
            f"severity; the busiest {unit} was {busiest[0]} with {sum(busiest[1].values())}."
            if slots and busiest else "No incidents in this period.")
    return Chart(_id(chart_id, width), "stacked_bars", f"Incidents per {unit} by severity", desc, width,
                 int(bottom + 4), plot, {"bars": bars, "series": legend, "yticks": yticks, "unit": unit,
                                         "x_label_y": plot["bottom"] + 16}, _variant(width))


# --- shares of terms ------------------------------------------------------------------------

def term_shares(terms: Sequence[TermCount], title: str, chart_id: str, limit: int = 15, width: int = WIDTH) -> Chart:
    shown = list(terms[:limit])
    left = float(LEFT_LABELS) if width >= WIDE else 124.0
    plot = {"left": left, "top": 8.0, "right": width - 66.0, "bottom": 8.0 + ROW * max(1, len(shown))}
    top = nice_max(max((t.count for t in shown), default=0))
    keep = int((left - 12) / (FONT * 0.6))
    rows = []
    for i, t in enumerate(shown):
        w = (plot["right"] - plot["left"]) * t.count / top
        rows.append({"y": plot["top"] + i * ROW + 3, "h": ROW - 6, "w": round(w, 2), "label": t.title,
                     "short": t.title if len(t.title) <= keep else t.title[:keep - 1].rstrip() + "…",
                     "value": f"{t.count} ({t.share:.0%})", "text_y": plot["top"] + i * ROW + ROW / 2 + 4})
    more = len(terms) - len(shown)
    desc = (", ".join(f"{t.title}: {t.count} ({t.share:.0%})" for t in shown[:5]) +
            (f"; {more} more in the table." if more > 0 else ".")) if shown else "No incidents in this period."
    return Chart(_id(chart_id, width), "bars", title, desc, width, int(plot["bottom"] + 10), plot,
                 {"rows": rows, "more": more}, _variant(width))


# --- durations ------------------------------------------------------------------------------

# Durations run from seconds to days, so the axis is log10(1 + minutes): readable at both ends
# and defined at zero (detected at the very start).
_DURATION_TICKS = (0, 1, 5, 15, 60, 240, 1440, 4 * 1440, 14 * 1440, 60 * 1440, 365 * 1440)


def _symlog(minutes: float) -> float:
    return math.log10(1 + max(0.0, minutes))


def _duration_axis(high: float, left: float, right: float, low: float = 0.0) -> tuple[Any, list[Tick]]:
    """The x scale of a duration chart from the tick at or below ``low`` to the one above ``high``
    minutes, and the ticks that fit."""
    start = max((t for t in _DURATION_TICKS if t <= low), default=0)
    ticks_m = [t for t in _DURATION_TICKS if start <= t <= high]
    ticks_m.append(next((t for t in _DURATION_TICKS if t > high), _DURATION_TICKS[-1]))
    origin = _symlog(start)
    end = (_symlog(ticks_m[-1]) - origin) or 1.0

    def x(minutes: float) -> float:
        return round(left + (right - left) * (_symlog(max(minutes, start)) - origin) / end, 2)

    ticks: list[Tick] = []
    for t in ticks_m:
        label = format_minutes(t).replace(" 00m", "") if t else "0"
        pos = x(t)
        if ticks and pos - ticks[-1].pos < (text_width(ticks[-1].label) + text_width(label)) / 2 + 6:
            if t != ticks_m[-1]:
                continue
            ticks.pop()  # the axis end always has its label
        ticks.append(Tick(pos, label))
    return x, ticks


def _dots(values: Sequence[float], x: Any) -> list[float]:
    return [x(v) for v in values]


def durations(insights: Insights, name: str, chart_id: str, width: int = WIDTH) -> Chart:
    rows_in: list[tuple[str, Distribution]] = []
    for in_year in insights.durations:
        dist = getattr(in_year, name)
        if dist is not None:
            rows_in.append((in_year.year, dist))
    left = 90.0 if width >= WIDE else 74.0
    plot = {"left": left, "top": 8.0, "right": width - 24.0,
            "bottom": round(8.0 + ROW * 1.4 * max(1, len(rows_in)), 2)}
    high = max((d.max for _, d in rows_in), default=60.0)
    low = min((d.min for _, d in rows_in), default=0.0)
    x, xticks = _duration_axis(high, plot["left"], plot["right"], low)
    rows = []
    for i, (year, d) in enumerate(rows_in):
        mid = plot["top"] + i * ROW * 1.4 + ROW * 0.7
        label = "All years" if year == "all" else year
        summary = d.count >= MIN_SUMMARY
        text = (f"{label}: median {format_minutes(d.median)}, p90 {format_minutes(d.p90)}, "
                f"from {format_minutes(d.min)} to {format_minutes(d.max)} (n={d.count})" if summary else
                f"{label}: " + ", ".join(format_minutes(v) for v in d.values) + f" (n={d.count})")
        rows.append({"label": label, "count": d.count, "mid": round(mid, 2),
                     "top": round(mid - ROW * 0.35, 2), "h": round(ROW * 0.7, 2), "box": summary,
                     "dots": [] if summary else _dots(d.values, x),
                     "min": x(d.min), "q1": x(d.q1), "median": x(d.median), "q3": x(d.q3),
                     "p90": x(d.p90), "max": x(d.max), "dist": d, "text": text})
    title = f"{DURATION_TITLES[name]} per year"
    overall = next((d for year, d in rows_in if year == "all"), None)
    desc = (f"On a logarithmic scale. A year of {MIN_SUMMARY} incidents or more is a box: it spans the middle half, "
            f"the thick line is the median, the diamond is p90, whiskers reach the minimum and maximum; a "
            f"year with fewer shows each incident as a dot. Over all years the median is "
            f"{format_minutes(overall.median)} and p90 {format_minutes(overall.p90)} (n={overall.count})."
            if overall else "No postmortem in this period gives both moments.")
    return Chart(_id(chart_id, width), "boxplot", title, desc, width, int(plot["bottom"] + 30), plot,
                 {"rows": rows, "xticks": xticks, "x_label_y": plot["bottom"] + 16}, _variant(width))


def resolve_by_severity(insights: Insights, chart_id: str = "chart-resolve-by-severity", width: int = WIDTH) -> Chart:
    """Time to resolve per severity as cumulative curves: how many were resolved within a time.

    A severity with :data:`MIN_SUMMARY` incidents or more is a step curve; one with fewer, a dot
    per incident at its place on the curve it would have."""
    plot = {"left": 44.0, "top": 10.0, "right": width - 20.0, "bottom": 190.0 if width >= WIDE else 170.0}
    ranks = {s: i for i, s in enumerate(insights.severities)}
    shown = [s for s in insights.resolve_by_severity if s.time_to_resolve is not None]
    high = max((s.time_to_resolve.max for s in shown if s.time_to_resolve), default=60.0)
    low = min((s.time_to_resolve.min for s in shown if s.time_to_resolve), default=0.0)
    x, xticks = _duration_axis(high, plot["left"], plot["right"], low)
    span = plot["bottom"] - plot["top"]

    def y(share: float) -> float:
        return round(plot["bottom"] - span * share, 2)

    series: list[dict[str, Any]] = []
    for s in shown:
        d = s.time_to_resolve
        if d is None:
            continue
        n = d.count
        points = [(x(v), y((k + 1) / n), v) for k, v in enumerate(d.values)]
        path = ""
        if n >= MIN_SUMMARY:
            path = f"M{points[0][0]} {y(0)}"
            for px, py, _ in points:
                path += f" H{px} V{py}"
            path += f" H{plot['right']}"
        series.append({"name": f"{s.severity} (n={n})", "severity": s.severity,
                       "cls": severity_class(ranks.get(s.severity, SEVERITY_COLOURS)),
                       "path": path, "dots": [] if path else [{"x": px, "y": py, "value": format_minutes(v),
                                                               "share": f"{(k + 1) / n:.0%}"}
                                                              for k, (px, py, v) in enumerate(points)],
                       "text": (f"{s.severity}: median {format_minutes(d.median)}, p90 {format_minutes(d.p90)}, "
                                f"slowest {format_minutes(d.max)} (n={n})")})
    yticks = [Tick(y(v / 100), f"{v}%") for v in (0, 25, 50, 75, 100)]
    legend, bottom = _legend(series, plot["left"], width - 8.0, plot["bottom"] + 30)
    desc = ("Share of incidents resolved within a time, per severity, on a logarithmic time scale; a severity with "
            f"fewer than {MIN_SUMMARY} incidents shows each as a dot. " + "; ".join(s["text"] for s in series) + "."
            if series else "No postmortem in this period gives both its start and its resolution.")
    return Chart(_id(chart_id, width), "cumulative", "Time to resolve by severity", desc, width, int(bottom + 4),
                 plot, {"series": legend, "xticks": xticks, "yticks": yticks, "x_label_y": plot["bottom"] + 16},
                 _variant(width))


# --- action items ---------------------------------------------------------------------------

def actions_by_quarter(insights: Insights, chart_id: str = "chart-actions-by-quarter", width: int = WIDTH) -> Chart:
    quarters: list[tuple[str, int, int]] = [(q.quarter.replace("-", " "), q.opened, q.done)
                                            for q in insights.actions_by_quarter]
    unit = "quarter"
    if len(quarters) > MAX_SLOTS:
        unit = "year"
        years: dict[str, list[int]] = {}
        for label, opened, done in quarters:
            acc = years.setdefault(label[:4], [0, 0])
            acc[0] += opened
            acc[1] += done
        quarters = [(k, v[0], v[1]) for k, v in years.items()]
    plot = {"left": 40.0, "top": 12.0, "right": width - 12.0, "bottom": 180.0 if width >= WIDE else 160.0}
    plot["right"] = _room_for_last_label(plot, len(quarters), [q[0] for q in quarters], width)
    top = nice_max(max((q[1] for q in quarters), default=0))
    span = plot["bottom"] - plot["top"]
    slot = (plot["right"] - plot["left"]) / max(1, len(quarters))
    every = _label_every(slot, [q[0] for q in quarters])
    w = max(1.0, min(slot * 0.36, MAX_BAR / 2))
    groups = []
    for i, (label, opened, done) in enumerate(quarters):
        centre = plot["left"] + i * slot + slot / 2
        bars = []
        for j, (key, value) in enumerate((("opened", opened), ("done", done))):
            h = span * value / top
            bars.append({"key": key, "x": round(centre - w + j * w, 2), "w": round(w, 2),
                         "y": round(plot["bottom"] - h, 2), "h": round(h, 2), "value": value})
        groups.append({"quarter": label, "bars": bars, "label": label if i % every == 0 else "",
                       "label_x": round(centre, 2)})
    yticks = [Tick(round(plot["bottom"] - span * v / top, 2), str(v)) for v in count_ticks(top)]
    legend, bottom = _legend([{"key": "opened", "name": "Opened"}, {"key": "done", "name": "Done (today)"}],
                             plot["left"], width - 8.0, plot["bottom"] + 30)
    t = insights.actions_total
    desc = (f"{t['opened']} action items opened, {t['done']} done so far, {t['still_open']} still open, "
            f"{insights.overdue_count} overdue as of {insights.as_of.isoformat()}; per {unit} of the incident.")
    return Chart(_id(chart_id, width), "grouped_bars", f"Action items opened and done, by {unit} of the incident",
                 desc, width, int(bottom + 4), plot,
                 {"groups": groups, "yticks": yticks, "x_label_y": plot["bottom"] + 16, "series": legend},
                 _variant(width))


def all_charts(insights: Insights, width: int = WIDTH) -> dict[str, Chart]:
    """The charts of the insights page, by name, ``width`` units across."""
    return {
        "by_month": incidents_by_month(insights, width=width),
        "by_root_cause": term_shares(insights.by_root_cause, "Incidents by root cause", "chart-by-root-cause",
                                     width=width),
        "by_component": term_shares(insights.by_component, "Incidents by component", "chart-by-component",
                                    width=width),
        "time_to_detect": durations(insights, "time_to_detect", "chart-time-to-detect", width=width),
        "time_to_resolve": durations(insights, "time_to_resolve", "chart-time-to-resolve", width=width),
        "resolve_by_severity": resolve_by_severity(insights, width=width),
        "actions": actions_by_quarter(insights, width=width),
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


def render_both(wide: Chart, narrow: Chart, env: jinja2.Environment | None = None) -> Markup:
    """A chart drawn at both widths; the stylesheet shows the one that fits the screen."""
    return Markup(render(wide, env) + "\n" + render(narrow, env))
