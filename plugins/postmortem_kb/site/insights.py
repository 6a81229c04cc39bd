"""The insights page: the figures of :mod:`postmortem_kb.insights` as charts and tables."""

from __future__ import annotations

import posixpath

from markupsafe import Markup, escape

from .. import charts
from ..insights import DURATIONS, DURATION_TITLES, compute_insights, format_minutes
from . import GeneratedPage, SiteOptions, generator
from .exports import incident_page, published

PAGE = "insights/index.md"

# Characters Markdown would read as syntax inside a table cell or link text, as entities.
_MARKDOWN_SYNTAX = str.maketrans({c: f"&#{ord(c)};" for c in "\\`*_[]|#!~"})


def md_text(value: object) -> Markup:
    """Any value from a postmortem, safe in Markdown table cells and link texts: HTML-escaped,
    and Markdown punctuation turned into entities so it shows as written."""
    return Markup(str(escape(value)).translate(_MARKDOWN_SYNTAX))


def page_path(options: SiteOptions) -> str:
    return posixpath.join(options.base_dir, PAGE) if options.base_dir else PAGE


@generator
def insights_page(kb, options: SiteOptions):
    postmortems = published(kb, options)
    figures = compute_insights(postmortems, kb.taxonomy, kb.config.as_of)
    env = charts.environment(options.extra.get("custom_templates"))
    drawn = {name: charts.render(chart, env) for name, chart in charts.all_charts(figures).items()}
    here = posixpath.dirname(page_path(options))
    base = options.base_dir

    def link(pm_id: str) -> str:
        """A Markdown link target from this page to an incident page (MkDocs resolves .md links)."""
        target = posixpath.join(base, incident_page(pm_id)) if base else incident_page(pm_id)
        return posixpath.relpath(target, here)

    def site_link(path: str) -> str:
        target = posixpath.join(base, path) if base else path
        return posixpath.relpath(target, here)

    yield GeneratedPage(
        path=page_path(options), template="insights.md.j2", title="Insights",
        context={"insights": figures, "charts": drawn, "md": md_text, "link": link, "site_link": site_link,
                 "minutes": format_minutes, "durations": DURATIONS, "duration_titles": DURATION_TITLES,
                 "titles": {pm.id: pm.title for pm in postmortems}})
