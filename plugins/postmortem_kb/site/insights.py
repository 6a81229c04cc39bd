"""The insights page: the figures of :mod:`postmortem_kb.insights` as charts and tables."""

from __future__ import annotations

import posixpath

from markupsafe import Markup, escape

from .. import charts
from ..insights import DURATIONS, DURATION_TITLES, compute_insights, format_minutes
from . import GeneratedPage, SiteOptions, generator
from .common import Paths, site_path
from .exports import published
from .render import relative_url

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
    directory_urls = bool(options.extra.get("directory_urls", True))

    def link(pm_id: str) -> str:
        """From this page to an incident page, as every page of the site links (final URLs)."""
        return relative_url(here, paths.incident(pm_id), directory_urls)

    def site_link(path: str) -> str:
        """From this page (an index page, so its URL is its folder) to a file of the site."""
        return posixpath.relpath(paths.page(path), posixpath.dirname(here))

    yield GeneratedPage(
        path=here, template="insights.md.j2", title="Insights",
        context={"insights": figures, "charts": drawn, "md": md_text, "link": link, "site_link": site_link,
                 "minutes": format_minutes, "durations": DURATIONS, "duration_titles": DURATION_TITLES})
