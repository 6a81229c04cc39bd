"""The home page: recent incidents, open action items, counts and the ways in."""

from __future__ import annotations

from ..crosslinks import FACET_TITLES, FACETS
from . import GeneratedPage, SiteOptions, generator
from .actions import tracker_rows
from .common import HOME, Paths, site_data, site_path

RECENT = 10
OPEN_SHOWN = 10
TOP_TERMS = 8


@generator
def home_page(kb, options: SiteOptions):
    data = site_data(kb, options)
    groups = tracker_rows(data.postmortems, data.today)
    open_items = groups["overdue"] + groups["open"] + groups["in-progress"]
    years = sorted({pm.year for pm in data.postmortems})
    yield GeneratedPage(
        path=site_path(options, HOME), template="home.md.j2", title="Postmortems",
        context={"recent": data.postmortems[:RECENT], "total": len(data.postmortems),
                 "first_year": years[0] if years else None, "open_items": open_items[:OPEN_SHOWN],
                 "open_count": len(open_items), "overdue_count": len(groups["overdue"]),
                 "facets": [(f, FACET_TITLES[f], len(data.crosslinks.facets[f])) for f in FACETS],
                 "top": {f: data.crosslinks.terms(f)[:TOP_TERMS] for f in ("root_causes", "components")},
                 "today": data.today, "crosslinks": data.crosslinks, "paths": Paths(options)})
