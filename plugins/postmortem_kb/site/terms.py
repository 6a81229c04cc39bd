"""Cross-link pages: one page per term (root cause, component, corrective action category,
severity, year, tag) listing every incident for it, and one listing per facet with counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..crosslinks import FACET_SINGULAR, FACET_TITLES, FACETS
from . import GeneratedPage

if TYPE_CHECKING:
    from .build import SiteBuild


def term_pages(build: SiteBuild):
    data = build.data
    paths = build.paths
    for facet in FACETS:
        entries = data.crosslinks.terms(facet)
        yield GeneratedPage(
            path=paths.facet(facet), template="facet.md.j2", title=FACET_TITLES[facet],
            context={"facet": facet, "entries": entries, "singular": FACET_SINGULAR[facet],
                     "unused": data.crosslinks.unused_terms(facet)})
        for entry in entries:
            yield GeneratedPage(
                path=paths.term(facet, entry.slug), template="term.md.j2", title=_title(facet, entry.title),
                context={"facet": facet, "entry": entry, "singular": FACET_SINGULAR[facet],
                         "facet_title": FACET_TITLES[facet], "today": data.today, "crosslinks": data.crosslinks})


def _title(facet: str, title: str) -> str:
    if facet == "years":
        return f"Incidents of {title}"
    if facet == "tags":
        return f"Tag: {title}"
    return title
