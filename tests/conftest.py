"""Shared test helpers: small KBs written into tmp_path, the CLI runner."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
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


@pytest.fixture
def kb_root(tmp_path: Path) -> Path:
    """An empty KB (the project's taxonomy, no postmortems) in tmp_path."""
    shutil.copy(ROOT / "taxonomy.yml", tmp_path / "taxonomy.yml")
    (tmp_path / "postmortems").mkdir()
    return tmp_path


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def shared() -> Path:
    """../shared beside the project; tests that need it skip cleanly without it."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside the project")
    return SHARED
