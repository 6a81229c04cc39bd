"""Drafts are work in progress; `pmkb new`'s placeholders are `todo` until filled; HTML comments
never reach the model (so never pages, feeds, JSON, exports or the search index)."""

from __future__ import annotations

import datetime as dt

import pytest

from kit import ROOT, write_postmortem
from postmortem_kb.loader import KBConfig, load_kb
from postmortem_kb.scaffold import new_postmortem
from postmortem_kb.taxonomy import load_taxonomy


def fresh(tmp_path, status="draft"):
    (tmp_path / "taxonomy.yml").write_text((ROOT / "taxonomy.yml").read_text())
    config = KBConfig(root=tmp_path)
    path = new_postmortem(config, load_taxonomy(tmp_path / "taxonomy.yml"), "Checkout errors",
                          date=dt.date(2024, 3, 14))
    if status != "draft":
        path.write_text(path.read_text().replace("status: draft", f"status: {status}"))
    return path, load_kb(config)


def test_a_fresh_draft_has_only_warnings_and_is_loaded(tmp_path):
    path, kb = fresh(tmp_path)
    assert kb.errors == [], [p.format_text() for p in kb.errors]
    assert [p.id for p in kb.postmortems] == [kb.postmortems[0].id]
    codes = {p.code for p in kb.problems}
    assert {"todo", "empty-section"} <= codes


def test_the_same_placeholders_are_errors_once_published(tmp_path):
    path, kb = fresh(tmp_path, "published")
    assert kb.postmortems == []
    todo_lines = {p.line for p in kb.errors if p.code == "todo"}
    text = path.read_text().split("\n")
    timeline = [i + 1 for i, line in enumerate(text) if line.startswith("- 00:00 [")]
    assert set(timeline) <= todo_lines  # every placeholder entry of the timeline
    severity = next(i + 1 for i, line in enumerate(text) if line.startswith("severity:"))
    assert severity in todo_lines


def test_placeholder_entries_make_no_durations(tmp_path):
    path, kb = fresh(tmp_path)
    pm = kb.postmortems[0]
    assert pm.timeline == [] and pm.metrics.time_to_resolve is None


def test_broken_yaml_in_a_draft_stays_an_error(tmp_path):
    write_postmortem(tmp_path, "x", "---\ntitle: \"unclosed\nstatus: draft\n---\n")
    assert [p.code for p in load_kb(KBConfig(root=tmp_path)).errors] == ["yaml-syntax"]


def test_a_draft_still_needs_what_the_site_needs(tmp_path):
    write_postmortem(tmp_path, "x", "---\nstatus: draft\ndate: 2024-03-14\nseverity: SEV2\n---\n## Summary\nTODO\n")
    assert "missing-field" in {p.code for p in load_kb(KBConfig(root=tmp_path)).errors}


BODY = """---
title: Comments
date: 2024-03-14
severity: SEV2
---

## Summary

Visible.<!-- a secret note --> Still visible.
<!--
several
lines -->
After.

```html
<!-- quoted in code: kept -->
```

Inline `<!-- kept too -->` code.

## Timeline

- 10:00 [start] A <!-- hidden --> B
- 10:30 [resolved] C

## Root cause

R <!-- never closed
and everything after is a comment, as a browser reads it
"""


def test_html_comments_never_reach_the_model(tmp_path):
    write_postmortem(tmp_path, "x", BODY)
    kb = load_kb(KBConfig(root=tmp_path))
    pm = kb.postmortems[0]
    everything = pm.body + "".join(s.text for s in pm.sections) + "".join(e.text for e in pm.timeline)
    for secret in ("a secret note", "several", "hidden", "never closed", "browser reads"):
        assert secret not in everything
    assert "<!-- quoted in code: kept -->" in pm.body and "`<!-- kept too -->`" in pm.body
    assert [e.text for e in pm.timeline] == ["A B", "C"]
    summary = next(s for s in pm.sections if s.key == "summary")
    after = BODY.split("\n").index("After.") + 1
    assert summary.text_line + summary.text.split("\n").index("After.") == after  # lines keep their numbers


@pytest.mark.parametrize("body", ["<!--" * 5000, "<!-- x " * 5000 + "-->", "`" * 3000 + "<!--"])
def test_comment_stripping_is_linear_and_safe(tmp_path, body):
    write_postmortem(tmp_path, "x", BODY.split("## Summary")[0] + "## Summary\n\n" + body + "\n\n## Root cause\n\nr\n")
    load_kb(KBConfig(root=tmp_path))
