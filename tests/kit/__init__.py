"""The test kit (not collected): `from kit import write_postmortem`; also kit.site, kit.search_kb, kit.insights,
kit.hostile, kit.browser.

Kept out of conftest.py so that a second conftest (tests/browser/) cannot shadow them."""

from __future__ import annotations

import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"

GOOD = """\
---
title: {title}
date: {date}
severity: {severity}
components: [{components}]
root_causes: [{root_causes}]
timezone: "+00:00"
action_items:
  - title: Add an alert on disk latency
    type: preventive
    action: add-monitoring
    owner: Sam
    status: open
    due: 2030-01-01
---

## Summary

{title}: the service was down for a while and we fixed it.

## Timeline

- 10:00 [start] Something broke.
- 10:05 [detected] An alert fired.
- 10:30 [resolved] It was fixed.

## Root cause

A {root_causes} in {components}.
"""


def write_postmortem(root: Path, name: str, text: str | None = None, **fields) -> Path:
    """Write ``postmortems/<name>.md``; ``text`` as given, or the GOOD template filled with fields."""
    values = {"title": "Disk failure on web-1", "date": "2024-03-14", "severity": "SEV2",
              "components": "web-server", "root_causes": "hardware-failure"}
    values.update(fields)
    path = root / "postmortems" / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(GOOD.format(**values) if text is None else textwrap.dedent(text), encoding="utf-8")
    return path


def site_config(name: str = "Postmortems") -> str:
    """A minimal mkdocs.yml for a test KB: material without web fonts, search, the plugin."""
    return (f"site_name: {name}\nuse_directory_urls: false\n"
            "theme:\n  name: material\n  font: false\n"
            "plugins:\n  - search\n  - postmortems\n")
