"""The insights page: the figures of :mod:`postmortem_kb.insights` as charts and tables."""

from __future__ import annotations

import posixpath

from markupsafe import Markup, escape

from .. import charts
from ..insights import DURATIONS, DURATION_TITLES, compute_insights, format_minutes
from . import GeneratedPage, SiteOptions, generator
from .common import Paths, site_path
from .exports import published

PAGE = "insights/index.md"

# Characters Markdown would read as syntax inside a table cell or link text, as entities.
_MARKDOWN_SYNTAX = str.maketrans({c: f"&#{ord(c)};" for c in "\\`*_[]|#!~"})


def md_text(value: object) -> Markup:
    """Any value from a postmortem, safe in Markdown table cells and link texts: HTML-escaped,
    and Markdown punctuation turned into entities so it shows as written."""
    return Markup(str(escape(value)).translate(_MARKDOWN_SYNTAX))


def page_path(options: SiteOptions) -> str:
    return site_path(options, PAGE)


@generator
def insights_page(kb, options: SiteOptions):
    postmortems = published(kb, options)
    figures = compute_insights(postmortems, kb.taxonomy, kb.config.as_of)
    env = charts.environment(options.extra.get("custom_templates"))
    drawn = {name: charts.render(chart, env) for name, chart in charts.all_charts(figures).items()}
    here = page_path(options)
    paths = Paths(options)

    def link(pm_id: str) -> str:
        """A Markdown link to an incident page: its .md path, which MkDocs checks and turns into a URL."""
        return posixpath.relpath(paths.incident(pm_id), posixpath.dirname(here))

    def site_link(path: str) -> str:
        """A Markdown link to a generated file (catalog.json, a feed), which MkDocs also resolves."""
        return posixpath.relpath(paths.page(path), posixpath.dirname(here))

    yield GeneratedPage(
        path=here, template="insights.md.j2", title="Insights",
        context={"insights": figures, "charts": drawn, "md": md_text, "link": link, "site_link": site_link,
                 "minutes": format_minutes, "durations": DURATIONS, "duration_titles": DURATION_TITLES})
