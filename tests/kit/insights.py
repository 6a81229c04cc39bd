"""A small KB with known figures for the insights, feed and export tests (shared by test_insights,
test_feeds, test_exports and test_charts_browser). Every expected figure in those tests is computed
by hand from the table below, not by the code under test."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from kit import ROOT  # noqa: E402

AS_OF = dt.date(2025, 1, 1)

# id, date, severity, status, root causes, components, TTD min, TTR min, action items (status, due)
INCIDENTS = [
    ("disk-a", "2023-01-10", "SEV1", "published", ["hardware-failure"], ["web-server"], 5, 60,
     [("done", "2023-02-01"), ("open", "2023-03-01")]),
    ("disk-b", "2023-03-05", "SEV2", "published", ["hardware-failure"], ["web-server", "load-balancer"], 10, 120,
     [("open", "2030-01-01")]),
    ("lb-config-c", "2023-03-20", "SEV2", "published", ["configuration-change"], ["load-balancer"], 0, 30,
     [("wont-do", "2023-04-01"), ("in-progress", "2024-12-31")]),
    ("capacity-d", "2024-02-01", "SEV3", "published", ["capacity", "hardware-failure"], ["web-server"], 20, 600,
     []),
    ("lb-config-e", "2024-07-15", "SEV1", "published", ["configuration-change"], ["load-balancer"], 15, 2880,
     [("done", None)]),
    ("draft-f", "2024-08-01", "SEV4", "draft", ["hardware-failure"], ["web-server"], 1, 2, [("open", "2020-01-01")]),
    ("dns-g", "2024-09-01", "SEV3", "published", ["dns"], ["dns-resolver"], None, None, [("open", None)]),
]
PUBLISHED = ["dns-g", "lb-config-e", "capacity-d", "lb-config-c", "disk-b", "disk-a"]  # newest first


def _postmortem(pm_id, date, severity, status, root_causes, components, ttd, ttr, items) -> str:
    start = dt.datetime.fromisoformat(f"{date}T10:00:00+00:00")
    lines = ["---", f"id: {pm_id}", f"title: Incident {pm_id} <b>&</b>", f"date: {date}",
             f"severity: {severity}", f"status: {status}", "authors: [Ana Lima]",
             f"components: [{', '.join(components)}]", f"root_causes: [{', '.join(root_causes)}]",
             "detection: alert", f"impact: Customers of {pm_id} saw errors", 'timezone: "+00:00"']
    if ttd is not None:
        lines += [f"started_at: {start.isoformat()}",
                  f"detected_at: {(start + dt.timedelta(minutes=ttd)).isoformat()}",
                  f"resolved_at: {(start + dt.timedelta(minutes=ttr)).isoformat()}"]
    if items:
        lines.append("action_items:")
        for i, (state, due) in enumerate(items):
            lines += [f"  - title: Item {i} of {pm_id}", "    action: add-monitoring",
                      "    owner: Sam", f"    status: {state}"]
            if due:
                lines.append(f"    due: {due}")
    lines += ["---", "", "## Summary", "", f"Summary of {pm_id}: a thing broke and we fixed it.", "",
              "## Root cause", "", f"The root cause of {pm_id}.", ""]
    return "\n".join(lines)


def write_fixture_kb(root: Path) -> Path:
    shutil.copy(ROOT / "taxonomy.yml", root / "taxonomy.yml")
    folder = root / "postmortems"
    folder.mkdir(parents=True, exist_ok=True)
    for row in INCIDENTS:
        (folder / f"{row[0]}.md").write_text(_postmortem(*row), encoding="utf-8")
    return root
