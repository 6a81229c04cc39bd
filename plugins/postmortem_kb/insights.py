"""Reliability insights: what the postmortems of a period say, as figures.

Plain Python over the model; the site, ``pmkb stats`` and the exports all read these figures
from :func:`compute_insights`, so the page and the terminal never disagree.

Definitions (also in docs/insights.md):

- **Which postmortems**: the caller passes the ones it publishes (the site's rule: drafts
  excluded); ``since``/``until`` keep those whose incident ``date`` is within, both inclusive.
- **Durations** are in minutes, measured from ``started_at``: time to detect = detected - started,
  time to resolve = resolved - started. A postmortem that does not give both moments is left out
  of that distribution (and counted as ``unknown``), never guessed.
- **Quantiles** (median, quartiles, p90) use linear interpolation between closest ranks: sort the
  n values x[0..n-1]; the q-quantile is at rank h = (n - 1) * q, and is
  x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)]). This is Hyndman & Fan type 7,
  ``statistics.quantiles(method="inclusive")`` and numpy's default; it never leaves the range of
  the data and is defined from one value up. No means anywhere: one long outage makes a mean
  meaningless.
- **Shares** by root cause and component are the share of incidents that name the term. An
  incident with two root causes counts for both, so shares can add up to more than 100%.
- **Recurring pairs**: (root cause, component) pairs named together by two incidents or more;
  counted per incident with a Counter, so the work grows with the pairs each incident names,
  never with pairs of postmortems.
- **Action items per quarter**: items are *opened* in the quarter of their incident's date. The
  model has no completion date, so *done* counts, for each quarter's items, those that are done
  today (a cohort view: "of what we promised in Q1, how much is done"), never a guessed
  completion quarter. *Overdue*: not done, not dropped, with a due date before ``as_of``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .model import ActionItem, Postmortem
from .taxonomy import Taxonomy

DURATIONS = ("time_to_detect", "time_to_resolve")
DURATION_TITLES = {"time_to_detect": "Time to detect", "time_to_resolve": "Time to resolve"}


class PeriodError(ValueError):
    """A --since/--until value that is not a date, a month or a year."""


_BOUND = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


def parse_bound(text: str, end: bool = False) -> dt.date:
    """``2024`` / ``2024-03`` / ``2024-03-14`` -> a date; as an ``end`` bound, the period's last day.

    ``--until 2024`` therefore means "up to 31 December 2024", which is what people mean.
    """
    match = _BOUND.fullmatch(text.strip())
    if not match:
        raise PeriodError(f"`{text}` is not a date: write YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = int(match[1]), match[2], match[3]
    try:
        if month is None:
            return dt.date(year, 12, 31) if end else dt.date(year, 1, 1)
        m = int(month)
        if day is None:
            last = calendar.monthrange(year, m)[1] if 1 <= m <= 12 else 0
            return dt.date(year, m, last if end else 1)
        return dt.date(year, m, int(day))
    except ValueError:
        raise PeriodError(f"`{text}` is not a real date") from None


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """The q-quantile (0 <= q <= 1) of ascending values by linear interpolation (type 7)."""
    if not sorted_values:
        raise ValueError("no values")
    h = (len(sorted_values) - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (h - lo) * (sorted_values[hi] - sorted_values[lo])


@dataclass
class Distribution:
    """The spread of a duration in minutes: five-number summary plus p90."""

    count: int
    min: float
    q1: float
    median: float
    q3: float
    p90: float
    max: float
    # Every value, ascending (for dots and cumulative curves); not part of the exported figures.
    values: list[float] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def of(cls, values: Iterable[float]) -> Distribution | None:
        data = sorted(values)
        if not data:
            return None

        def r(x: float) -> float:  # minutes to the hundredth, as in Metrics.minutes()
            return round(x, 2)

        return cls(len(data), r(data[0]), r(quantile(data, 0.25)), r(quantile(data, 0.5)),
                   r(quantile(data, 0.75)), r(quantile(data, 0.9)), r(data[-1]), [r(v) for v in data])

    def within(self, minutes: float) -> int:
        """How many values are at most ``minutes``."""
        return sum(v <= minutes for v in self.values)


@dataclass
class TermCount:
    """How many incidents name a term, and their share of the period's incidents."""

    slug: str
    title: str
    count: int
    share: float  # 0..1


@dataclass
class MonthCount:
    month: str  # YYYY-MM
    by_severity: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_severity.values())


@dataclass
class DurationYear:
    """One year's (or the whole period's, year ``"all"``) duration distributions."""

    year: str
    incidents: int
    time_to_detect: Distribution | None
    time_to_resolve: Distribution | None
    unknown: dict[str, int]  # incidents without that duration


@dataclass
class SeverityDurations:
    """Time to resolve of one severity's incidents: the spread, and how many do not say."""

    severity: str
    incidents: int
    time_to_resolve: Distribution | None
    unknown: int


# Buckets of the time-to-resolve table: at most an hour, four hours, a day, a week, and beyond.
RESOLVE_BUCKETS: tuple[tuple[str, float | None], ...] = (
    ("≤ 1h", 60.0), ("1h–4h", 240.0), ("4h–1d", 1440.0), ("1d–7d", 7 * 1440.0), ("> 7d", None))


@dataclass
class RecurringPair:
    root_cause: str
    root_cause_title: str
    component: str
    component_title: str
    count: int
    incidents: list[str]  # ids, oldest first
    first: dt.date
    last: dt.date


@dataclass
class QuarterActions:
    quarter: str  # YYYY-Qn
    opened: int
    done: int
    wont_do: int
    still_open: int
    overdue: int


@dataclass
class OverdueItem:
    postmortem_id: str
    postmortem_title: str
    title: str
    owner: str | None
    due: dt.date
    days_overdue: int


@dataclass
class Insights:
    """Every figure of the insights page and ``pmkb stats``."""

    as_of: dt.date
    since: dt.date | None
    until: dt.date | None
    incidents: int
    severities: list[str]
    first: dt.date | None
    last: dt.date | None
    by_month: list[MonthCount]
    by_severity: dict[str, int]
    by_root_cause: list[TermCount]
    by_component: list[TermCount]
    durations: list[DurationYear]  # one per year, oldest first, then "all"
    recurring: list[RecurringPair]
    actions_by_quarter: list[QuarterActions]
    actions_total: dict[str, int]
    overdue: list[OverdueItem] = field(default_factory=list)
    resolve_by_severity: list[SeverityDurations] = field(default_factory=list)

    @property
    def overdue_count(self) -> int:
        return len(self.overdue)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: dates as ISO strings."""
        def clean(value: Any) -> Any:
            if isinstance(value, dt.date):
                return value.isoformat()
            if isinstance(value, dict):
                return {k: clean(v) for k, v in value.items()}
            if isinstance(value, list):
                return [clean(v) for v in value]
            return value

        data = asdict(self)
        for year in data["durations"]:
            for name in DURATIONS:
                if year[name]:
                    year[name].pop("values", None)
        for sev in data["resolve_by_severity"]:
            if sev["time_to_resolve"]:
                sev["time_to_resolve"].pop("values", None)
        data["overdue_count"] = self.overdue_count
        for month in data["by_month"]:
            month["total"] = sum(month["by_severity"].values())
        return clean(data)


def _month(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _quarter(day: dt.date) -> str:
    return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"


def _months_between(first: dt.date, last: dt.date) -> list[str]:
    out = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _quarters_between(first: dt.date, last: dt.date) -> list[str]:
    out = []
    year, q = first.year, (first.month - 1) // 3 + 1
    end = (last.year, (last.month - 1) // 3 + 1)
    while (year, q) <= end:
        out.append(f"{year:04d}-Q{q}")
        year, q = (year + 1, 1) if q == 4 else (year, q + 1)
    return out


def _minutes(delta: dt.timedelta | None) -> float | None:
    return None if delta is None else delta.total_seconds() / 60


def in_period(postmortems: Iterable[Postmortem], since: dt.date | None = None,
              until: dt.date | None = None) -> list[Postmortem]:
    """The postmortems whose incident date is within [since, until]."""
    return [p for p in postmortems if (since is None or p.date >= since) and (until is None or p.date <= until)]


def _term_counts(postmortems: list[Postmortem], taxonomy: Taxonomy, kind: str) -> list[TermCount]:
    counts: Counter[str] = Counter()
    for pm in postmortems:
        counts.update(set(getattr(pm, kind)))
    total = len(postmortems)
    out = [TermCount(slug, taxonomy.term(kind, slug).title, n, round(n / total, 4)) for slug, n in counts.items()]
    out.sort(key=lambda t: (-t.count, t.title.lower(), t.slug))
    return out


def _durations(postmortems: list[Postmortem]) -> list[DurationYear]:
    by_year: dict[str, list[Postmortem]] = {}
    for pm in sorted(postmortems, key=lambda p: p.date):
        by_year.setdefault(str(pm.year), []).append(pm)
    groups = list(by_year.items())
    if postmortems:
        groups.append(("all", postmortems))
    out = []
    for year, pms in groups:
        dists: dict[str, Distribution | None] = {}
        unknown: dict[str, int] = {}
        for name in DURATIONS:
            values = [m for m in (_minutes(getattr(p.metrics, name)) for p in pms) if m is not None]
            dists[name] = Distribution.of(values)
            unknown[name] = len(pms) - len(values)
        out.append(DurationYear(year, len(pms), dists["time_to_detect"], dists["time_to_resolve"], unknown))
    return out


def _resolve_by_severity(postmortems: list[Postmortem], severities: list[str]) -> list[SeverityDurations]:
    out = []
    for sev in severities:
        pms = [p for p in postmortems if p.severity == sev]
        if not pms:
            continue
        values = [m for m in (_minutes(p.metrics.time_to_resolve) for p in pms) if m is not None]
        out.append(SeverityDurations(sev, len(pms), Distribution.of(values), len(pms) - len(values)))
    return out


def _recurring(postmortems: list[Postmortem], taxonomy: Taxonomy, minimum: int = 2) -> list[RecurringPair]:
    counts: Counter[tuple[str, str]] = Counter()
    seen_in: dict[tuple[str, str], list[Postmortem]] = {}
    for pm in sorted(postmortems, key=lambda p: (p.date, p.id)):
        for pair in {(rc, comp) for rc in pm.root_causes for comp in pm.components}:
            counts[pair] += 1
            seen_in.setdefault(pair, []).append(pm)
    out = []
    for (rc, comp), n in counts.items():
        if n < minimum:
            continue
        pms = seen_in[(rc, comp)]
        out.append(RecurringPair(rc, taxonomy.term("root_causes", rc).title, comp,
                                 taxonomy.term("components", comp).title, n, [p.id for p in pms],
                                 pms[0].date, pms[-1].date))
    out.sort(key=lambda r: (-r.count, r.root_cause_title.lower(), r.component_title.lower()))
    return out


def _actions(postmortems: list[Postmortem], as_of: dt.date) -> tuple[list[QuarterActions], dict[str, int],
                                                                      list[OverdueItem]]:
    by_quarter: dict[str, list[ActionItem]] = {}
    overdue: list[OverdueItem] = []
    totals = Counter({"opened": 0, "done": 0, "wont_do": 0, "still_open": 0, "overdue": 0})
    for pm in postmortems:
        items = by_quarter.setdefault(_quarter(pm.date), [])
        items.extend(pm.action_items)
        for item in pm.action_items:
            if item.is_overdue(as_of) and item.due is not None:
                overdue.append(OverdueItem(pm.id, pm.title, item.title, item.owner, item.due,
                                           (as_of - item.due).days))
    quarters = []
    if postmortems:
        first = min(p.date for p in postmortems)
        last = max(p.date for p in postmortems)
        for quarter in _quarters_between(first, last):
            items = by_quarter.get(quarter, [])
            row = QuarterActions(
                quarter, opened=len(items), done=sum(i.status == "done" for i in items),
                wont_do=sum(i.status == "wont-do" for i in items), still_open=sum(i.is_open for i in items),
                overdue=sum(i.is_overdue(as_of) for i in items))
            quarters.append(row)
            for key in totals:
                totals[key] += getattr(row, key)
    overdue.sort(key=lambda o: (o.due, o.postmortem_id, o.title))
    return quarters, dict(totals), overdue


def compute_insights(postmortems: Iterable[Postmortem], taxonomy: Taxonomy, as_of: dt.date,
                     since: dt.date | None = None, until: dt.date | None = None) -> Insights:
    """All figures for the given (already published-filtered) postmortems within [since, until]."""
    pms = in_period(postmortems, since, until)
    severities = list(taxonomy.severity_ids)
    for pm in pms:  # a KB may use a level its taxonomy dropped; show it rather than lose the incident
        if pm.severity not in severities:
            severities.append(pm.severity)
    by_severity = {s: 0 for s in severities}
    month_counts: dict[str, Counter[str]] = {}
    for pm in pms:
        by_severity[pm.severity] += 1
        month_counts.setdefault(_month(pm.date), Counter())[pm.severity] += 1
    first = min((p.date for p in pms), default=None)
    last = max((p.date for p in pms), default=None)
    by_month = []
    if first and last:
        for month in _months_between(first, last):
            counts = month_counts.get(month, Counter())
            by_month.append(MonthCount(month, {s: counts.get(s, 0) for s in severities}))
    quarters, totals, overdue = _actions(pms, as_of)
    return Insights(
        as_of=as_of, since=since, until=until, incidents=len(pms), severities=severities,
        first=first, last=last, by_month=by_month, by_severity=by_severity,
        by_root_cause=_term_counts(pms, taxonomy, "root_causes"),
        by_component=_term_counts(pms, taxonomy, "components"),
        durations=_durations(pms), recurring=_recurring(pms, taxonomy),
        actions_by_quarter=quarters, actions_total=totals, overdue=overdue,
        resolve_by_severity=_resolve_by_severity(pms, severities))


def format_minutes(minutes: float | None) -> str:
    """``95.0`` -> ``1h 35m``; under an hour seconds show when there are any (``2.5`` -> ``2m 30s``)."""
    if minutes is None:
        return "–"
    seconds = round(minutes * 60)
    if seconds < 3600:
        mins, secs = divmod(seconds, 60)
        return f"{mins}m {secs:02d}s" if secs else f"{mins}m"
    total = round(minutes)
    days, rem = divmod(total, 1440)
    hours, mins = divmod(rem, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    return f"{hours}h {mins:02d}m"


def stat_rows(insights: Insights) -> list[tuple[str, str, str, Any]]:
    """Every figure as (figure, group, key, value) rows: the long form for CSV."""
    rows: list[tuple[str, str, str, Any]] = [("incidents", "", "total", insights.incidents)]
    for sev, n in insights.by_severity.items():
        rows.append(("incidents_by_severity", "", sev, n))
    for month in insights.by_month:
        for sev, n in month.by_severity.items():
            rows.append(("incidents_by_month", month.month, sev, n))
    for kind, terms in (("root_cause", insights.by_root_cause), ("component", insights.by_component)):
        for t in terms:
            rows.append((f"incidents_by_{kind}", t.slug, "count", t.count))
            rows.append((f"incidents_by_{kind}", t.slug, "share", t.share))
    for year in insights.durations:
        for name in DURATIONS:
            dist: Distribution | None = getattr(year, name)
            rows.append((f"{name}_minutes", year.year, "count", dist.count if dist else 0))
            rows.append((f"{name}_minutes", year.year, "unknown", year.unknown[name]))
            if dist:
                for key in ("min", "q1", "median", "q3", "p90", "max"):
                    rows.append((f"{name}_minutes", year.year, key, getattr(dist, key)))
    for by_sev in insights.resolve_by_severity:
        group, resolve = "time_to_resolve_minutes_by_severity", by_sev.time_to_resolve
        rows.append((group, by_sev.severity, "count", resolve.count if resolve else 0))
        rows.append((group, by_sev.severity, "unknown", by_sev.unknown))
        if resolve:
            for key in ("min", "q1", "median", "q3", "p90", "max"):
                rows.append((group, by_sev.severity, key, getattr(resolve, key)))
    for pair in insights.recurring:
        rows.append(("recurring_pairs", f"{pair.root_cause}+{pair.component}", "count", pair.count))
    for q in insights.actions_by_quarter:
        for key in ("opened", "done", "wont_do", "still_open", "overdue"):
            rows.append(("action_items_by_quarter", q.quarter, key, getattr(q, key)))
    for key, n in insights.actions_total.items():
        rows.append(("action_items", "", key, n))
    rows.append(("action_items", "", "overdue_as_of", insights.as_of.isoformat()))
    return rows
