"""Cross-link pages: one page per term (root cause, component, corrective action category,
severity, year, tag) listing every incident for it, and one listing per facet with counts."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from ..crosslinks import FACET_SINGULAR, FACET_TITLES, FACETS
from ..problems import plural
from . import GeneratedPage, list_pages  # noqa: F401  (list_pages: the Python drawing of its page)

if TYPE_CHECKING:
    from .build import SiteBuild


def term_pages(build: SiteBuild):
    data = build.data
    paths = build.paths
    for facet in FACETS:
        entries = data.crosslinks.terms(facet)
        singular = FACET_SINGULAR[facet]
        yield GeneratedPage(
            path=paths.facet(facet), template="facet.md.j2", title=FACET_TITLES[facet],
            meta={"description": f"All {plural(len(entries), singular, _PLURALS.get(singular))} with their "
                                 "incident counts.", "search": {"exclude": True}},
            context={"facet": facet, "entries": entries, "singular": singular,
                     "unused": data.crosslinks.unused_terms(facet)})
        for entry in entries:
            yield GeneratedPage(
                path=paths.term(facet, entry.slug), template="term.md.j2", title=_title(facet, entry.title),
                meta={"description": describe(singular, entry, data.today), "search": {"exclude": True}},
                context={"facet": facet, "entry": entry, "singular": singular,
                         "facet_title": FACET_TITLES[facet], "today": data.today, "crosslinks": data.crosslinks})


_PLURALS = {"severity": "severities"}


def describe(singular: str, entry, today) -> str:
    """What a term page says in search results and link previews: ``Root cause: Expired
    certificate — 3 incidents (SEV1 1, SEV2 2), 2021-2024; 1 action item overdue.``"""
    pms = entry.postmortems
    severities = Counter(pm.severity for pm in pms)
    years = sorted({pm.year for pm in pms})
    span = "" if not years else f", {years[0]}" if years[0] == years[-1] else f", {years[0]}-{years[-1]}"
    overdue = sum(item.is_overdue(today) for pm in pms for item in pm.action_items)
    late = f"; {plural(overdue, 'action item')} overdue" if overdue else ""
    counts = ", ".join(f"{sev} {n}" for sev, n in sorted(severities.items()))
    return f"{singular.capitalize()}: {entry.title} — {plural(len(pms), 'incident')} ({counts}){span}{late}."


def _title(facet: str, title: str) -> str:
    if facet == "years":
        return f"Incidents of {title}"
    if facet == "tags":
        return f"Tag: {title}"
    return title
