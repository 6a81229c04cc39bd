"""writer.py: a postmortem read, written and read again is the same postmortem."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from kit import ROOT
from kit import write_postmortem as write_fixture
from postmortem_kb.loader import KBConfig, load_kb, load_one
from postmortem_kb.taxonomy import load_taxonomy
from postmortem_kb.writer import FIELD_ORDER, dump_front_matter, render_postmortem, write_postmortem

RICH = """\
---
id: rich-example
severity: SEV1
date: 2024-03-14
title: "Checkout: 500s after deploy #42 — 'quoted' & unicode ✓"
status: in-review
authors: [Ana, "Bo: the second"]
components: [web-server, postgres]
root_causes: [software-bug, configuration-change]
trigger: |
  A deploy changed the pool size.
  Then traffic rose.
detection: alert
impact: "yes"
tags: [deploy, "2024-03-14", "null", "+10:00"]
related: []
timezone: "+10:00"
started_at: 2024-03-14T10:00:00+10:00
resolved_at: 2024-03-14 11:30
action_items:
  - ticket: OPS-1
    title: "Cap the pool: never above 50"
    type: preventive
    action: add-monitoring
    owner: null
    status: open
    due: 2030-01-01
  - title: Second item
---

## Summary

Body text with trailing spaces   
and a line that looks like front matter:
---
title: not front matter

## Timeline

- 10:00 [start] It broke.
- 10:20 [detected] Alert.
- 11:30 [resolved] Fixed.

## Root cause

A bug.
"""


def _comparable(pm) -> dict:
    """Every field of a Postmortem except where it was read from (path, lines, digest)."""
    skip = {"path", "source", "lines", "digest", "body_line", "problems"}
    out = {}
    for f in dataclasses.fields(pm):
        if f.name in skip:
            continue
        value = getattr(pm, f.name)
        if f.name == "action_items":
            value = [{k: v for k, v in dataclasses.asdict(a).items() if k != "line"} for a in value]
        elif f.name in ("sections", "timeline"):
            value = [{k: v for k, v in dataclasses.asdict(x).items() if k not in ("line", "text_line")} for x in value]
        elif f.name == "metrics":
            value = dataclasses.asdict(value)
        out[f.name] = value
    out["problems"] = sorted((p.code, p.message) for p in pm.problems)
    return out


def _round_trip(path: Path, kb_root: Path, tmp_path: Path):
    config = KBConfig(root=kb_root)
    taxonomy = load_taxonomy(kb_root / "taxonomy.yml")
    loaded = load_one(path, taxonomy, config)
    first = loaded.postmortem
    assert first is not None, loaded.problems
    copy = tmp_path / "copy" / path.name
    write_postmortem(copy, first.front_matter, first.body)
    again = load_one(copy, taxonomy, config)
    second = again.postmortem
    assert second is not None, again.problems
    return first, second


def test_rich_postmortem_round_trips(kb_root, tmp_path):
    path = write_fixture(kb_root, "rich-example", RICH)
    first, second = _round_trip(path, kb_root, tmp_path)
    assert _comparable(first) == _comparable(second)
    assert first.front_matter == second.front_matter
    assert second.body == first.body  # to the byte, trailing spaces included
    assert isinstance(second.front_matter["date"], dt.date)
    assert second.front_matter["tags"] == ["deploy", "2024-03-14", "null", "+10:00"]  # strings stay strings
    assert second.trigger == "A deploy changed the pool size.\nThen traffic rose.\n"


def test_written_keys_are_in_the_stable_order(kb_root, tmp_path):
    path = write_fixture(kb_root, "rich-example", RICH)
    first, _ = _round_trip(path, kb_root, tmp_path)
    text = (tmp_path / "copy" / path.name).read_text(encoding="utf-8")
    keys = [line.split(":")[0] for line in text.split("---\n")[1].splitlines() if line[:1].isalpha()]
    assert keys == [k for k in FIELD_ORDER if k in first.front_matter]
    items = yaml.safe_load(text.split("---\n")[1])["action_items"]
    assert list(items[0]) == ["title", "type", "action", "owner", "status", "due", "ticket"]
    assert "date: 2024-03-14\n" in text  # a date, not a quoted string


def test_every_sample_postmortem_round_trips(tmp_path):
    kb_root = tmp_path / "kb"
    shutil.copytree(ROOT / "postmortems", kb_root / "postmortems")
    shutil.copy(ROOT / "taxonomy.yml", kb_root / "taxonomy.yml")
    kb = load_kb(KBConfig(root=kb_root))
    if not kb.postmortems:
        pytest.skip("the sample KB has no postmortems")
    for pm in kb.postmortems:
        _, second = _round_trip(pm.path, kb_root, tmp_path / pm.id)
        assert _comparable(pm) == _comparable(second), pm.source


def test_unknown_keys_keep_their_order_at_the_end():
    text = dump_front_matter({"zeta": 1, "title": "T", "alpha": 2, "id": "x"})
    assert [line.split(":")[0] for line in text.splitlines()] == ["id", "title", "zeta", "alpha"]


def test_render_is_front_matter_then_body():
    text = render_postmortem({"title": "T"}, "\n## Summary\n")
    assert text == "---\ntitle: T\n---\n\n## Summary\n"


def test_write_refuses_to_overwrite(tmp_path):
    path = tmp_path / "a.md"
    write_postmortem(path, {"title": "one"}, "\n")
    with pytest.raises(FileExistsError):
        write_postmortem(path, {"title": "two"}, "\n")
    assert "one" in path.read_text()
    write_postmortem(path, {"title": "two"}, "\n", overwrite=True)
    assert "two" in path.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]  # no temporary file left behind
