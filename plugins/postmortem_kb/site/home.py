"""The home page: recent incidents, open action items, counts and the ways in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..crosslinks import FACET_TITLES, FACETS
from . import GeneratedPage
from .actions import tracker_rows
from .urls import HOME

if TYPE_CHECKING:
    from .build import SiteBuild

RECENT = 10
OPEN_SHOWN = 10
TOP_TERMS = 8


def home_page(build: SiteBuild):
    data = build.data
    groups = tracker_rows(data.postmortems, data.today)
    open_items = groups["overdue"] + groups["open"] + groups["in-progress"]
    years = sorted({pm.year for pm in data.postmortems})
    yield GeneratedPage(
        path=build.paths.page(HOME), template="home.md.j2", title="Postmortems",
        context={"recent": data.postmortems[:RECENT], "total": len(data.postmortems),
                 "first_year": years[0] if years else None, "open_items": open_items[:OPEN_SHOWN],
                 "open_count": len(open_items), "overdue_count": len(groups["overdue"]),
                 "facets": [(f, FACET_TITLES[f], len(data.crosslinks.facets[f])) for f in FACETS],
                 "top": {f: data.crosslinks.terms(f)[:TOP_TERMS] for f in ("root_causes", "components")},
                 "today": data.today, "crosslinks": data.crosslinks})
