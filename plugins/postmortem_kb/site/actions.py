"""The action items tracker: every promise made in every postmortem, open and overdue first."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from ..model import ACTION_STATUSES
from ..slugs import slugify
from . import GeneratedPage, list_pages  # noqa: F401  (list_pages: the Python drawing of its page)
from .urls import ACTION_ITEMS

if TYPE_CHECKING:
    from .build import SiteBuild

GROUPS = (("overdue", "Overdue"), ("open", "Open"), ("in-progress", "In progress"), ("done", "Done"),
          ("wont-do", "Won't do"))


def tracker_rows(postmortems, today) -> dict[str, list[dict]]:
    """Action items by group (overdue first); within a group by due date, then newest incident."""
    groups: dict[str, list[dict]] = {key: [] for key, _ in GROUPS}
    for pm in postmortems:
        for item in pm.action_items:
            key = "overdue" if item.is_overdue(today) else item.status
            if key not in groups:  # a status the schema does not know cannot be reached; stay safe
                key = "open" if item.is_open else "done"
            groups[key].append({"item": item, "pm": pm, "owner_key": slugify(item.owner or "") or "nobody"})
    for rows in groups.values():
        rows.sort(key=lambda r: (r["item"].due is None, r["item"].due or today, -r["pm"].date.toordinal(),
                                 r["pm"].id, r["item"].index))
    return groups


def action_items_page(build: SiteBuild):
    data = build.data
    groups = tracker_rows(data.postmortems, data.today)
    owners: Counter = Counter()
    names: dict[str, str] = {}
    for rows in groups.values():
        for row in rows:
            owners[row["owner_key"]] += 1
            names.setdefault(row["owner_key"], row["item"].owner or "(nobody)")
    categories = data.crosslinks.terms("actions")
    yield GeneratedPage(
        path=build.paths.page(ACTION_ITEMS), template="action_items.md.j2", title="Action items",
        context={"groups": [(key, title, groups[key]) for key, title in GROUPS], "today": data.today,
                 "owners": sorted(((k, names[k], n) for k, n in owners.items()), key=lambda t: t[1].lower()),
                 "categories": categories, "category_titles": {e.slug: e.title for e in categories},
                 "statuses": ACTION_STATUSES},
        # Every item is on its incident's page, which the search finds: the tracker stays out of it.
        meta={"description": tracker_description(groups), "search": {"exclude": True}})


def tracker_description(groups: dict[str, list[dict]]) -> str:
    """The tracker's one-line summary for link previews and search engines."""
    total = sum(len(rows) for rows in groups.values())
    still = len(groups["overdue"]) + len(groups["open"]) + len(groups["in-progress"])
    return (f"Every action item of every postmortem: {total} in all, {still} still open, "
            f"{len(groups['overdue'])} overdue; filter by status, owner, category, severity and incident.")
