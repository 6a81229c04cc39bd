"""The home page: recent incidents, open action items, counts and the ways in."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ..crosslinks import FACET_TITLES, FACETS
from . import GeneratedFile, GeneratedPage
from .actions import tracker_rows
from .urls import HOME, linker

if TYPE_CHECKING:
    from .build import SiteBuild

SEEN_BEFORE = "seen-before.js"  # the index of the home page's "Seen this before?", a script (works from file://)
SEEN_LIMIT = 5  # as many as `pmkb similar` gives by default
RECENT = 10
OPEN_SHOWN = 10
TOP_TERMS = 8


def home_page(build: SiteBuild):
    data = build.data
    groups = tracker_rows(data.postmortems, data.today)
    open_items = groups["overdue"] + groups["open"] + groups["in-progress"]
    years = sorted({pm.year for pm in data.postmortems})
    here = build.paths.page(HOME)
    link = linker(here, build.options.directory_urls)
    index = data.similarity.browser_index(lambda pm_id: str(link(build.paths.incident(pm_id))))
    yield GeneratedFile(build.paths.page(SEEN_BEFORE), seen_before_script(index))
    yield GeneratedPage(
        path=here, template="home.md.j2", title="Postmortems",
        context={"recent": data.postmortems[:RECENT], "total": len(data.postmortems),
                 "first_year": years[0] if years else None, "open_items": open_items[:OPEN_SHOWN],
                 "open_count": len(open_items), "overdue_count": len(groups["overdue"]),
                 "facets": [(f, FACET_TITLES[f], len(data.crosslinks.facets[f])) for f in FACETS],
                 "top": {f: data.crosslinks.terms(f)[:TOP_TERMS] for f in ("root_causes", "components")},
                 "today": data.today, "crosslinks": data.crosslinks, "seen_before": build.paths.page(SEEN_BEFORE),
                 "seen_limit": SEEN_LIMIT},
        meta={"description": description(len(data.postmortems), years, len(open_items), len(groups["overdue"])),
              "search": {"exclude": True}})


def description(total: int, years: list[int], open_count: int, overdue: int) -> str:
    """The home page's one-line summary for link previews and search engines."""
    if not total:
        return "Incident postmortems: none published yet."
    since = f" since {years[0]}" if years else ""
    late = f", {overdue} overdue" if overdue else ""
    return (f"{total} incident postmortem{'s' if total != 1 else ''}{since}, cross-linked by root cause, component "
            f"and corrective action; {open_count} action item{'s' if open_count != 1 else ''} open{late}.")


def seen_before_script(index: dict) -> str:
    """The browser index as a script: ``<script src>`` loads it from disk too, where fetch is refused."""
    payload = json.dumps(index, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return f"window.pmkbSeenBeforeIndex = {payload};\n"
