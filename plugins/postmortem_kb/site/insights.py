"""The insights page: the figures of :mod:`postmortem_kb.insights` as charts and tables."""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from markupsafe import Markup

from .. import charts
from ..inline import to_html as inline_html
from ..insights import DURATION_TITLES, DURATIONS, RESOLVE_BUCKETS, compute_insights, format_minutes
from . import GeneratedPage
from .options import SiteOptions
from .templates import escape_value
from .urls import INSIGHTS, Paths

if TYPE_CHECKING:
    from .build import SiteBuild

PAGE = INSIGHTS

def md_text(value: object) -> Markup:
    """Any value from a postmortem, safe in Markdown table cells and link texts (what every
    ``{{ value }}`` of the templates gets too: see ``site/templates.py``)."""
    return escape_value(value)


def page_path(options: SiteOptions) -> str:
    return Paths(options).page(PAGE)


def insights_page(build: SiteBuild):
    kb = build.kb
    figures = compute_insights(build.data.postmortems, kb.taxonomy, kb.config.as_of)
    wide, narrow = charts.all_charts(figures, charts.WIDE), charts.all_charts(figures, charts.NARROW)
    drawn = {name: charts.render_both(chart, narrow[name], build.templates) for name, chart in wide.items()}
    paths = build.paths
    here = paths.page(PAGE)

    def link(pm_id: str) -> Markup:
        """A Markdown link to an incident page: its .md path, which MkDocs checks and turns into a URL."""
        return Markup(posixpath.relpath(paths.incident(pm_id), posixpath.dirname(here)))

    def site_link(path: str) -> Markup:
        """A Markdown link to a generated file (catalog.json, a feed), which MkDocs also resolves."""
        return Markup(posixpath.relpath(paths.page(path), posixpath.dirname(here)))

    yield GeneratedPage(
        path=here, template="insights.md.j2", title="Insights",
        context={"insights": figures, "charts": drawn, "md": md_text, "link": link, "site_link": site_link,
                 "minutes": format_minutes, "durations": DURATIONS, "duration_titles": DURATION_TITLES,
                 "titles": {pm.id: pm.title for pm in build.data.postmortems}, "inline": inline_html,
                 "buckets": RESOLVE_BUCKETS, "min_summary": charts.MIN_SUMMARY},
        meta={"description": description(figures), "search": {"exclude": True}})


def description(figures) -> str:
    """The page's one-line summary for link previews and search engines."""
    if not figures.incidents:
        return "Reliability figures of the incident postmortems: none published yet."
    return (f"{figures.incidents} incidents from {figures.first.isoformat()} to {figures.last.isoformat()}: "
            f"by severity, root cause and component, time to detect and resolve, "
            f"{figures.overdue_count} action items overdue.")
