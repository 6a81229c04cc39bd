"""The import report: per file, what was found, what was inferred (and from what), what is missing.

``FileReport.to_json`` gives exactly the shape documented in docs/import.md.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..problems import plural

# What the import tries to fill; a field it could neither find nor infer is "missing".
EXPECTED = ("title", "date", "severity", "root_causes", "components", "timeline", "started_at",
            "detected_at", "resolved_at", "action_items", "section:summary", "section:root_cause")

WRITTEN, WOULD_WRITE, EXISTS, FAILED, SKIPPED = "written", "would write", "exists", "failed", "skipped"


@dataclass
class FileReport:
    source: str
    output: str | None = None
    kind: str = ""
    result: str = ""
    found: list[str] = field(default_factory=list)
    inferred: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    action_items: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, dict[str, float | None]] = field(default_factory=lambda: {
        "stated": {"time_to_detect_minutes": None, "time_to_resolve_minutes": None},
        "computed": {"time_to_detect_minutes": None, "time_to_mitigate_minutes": None,
                     "time_to_resolve_minutes": None}})

    def add_found(self, name: str) -> None:
        if name not in self.found:
            self.found.append(name)
        self.inferred.pop(name, None)

    def add_inferred(self, name: str, source: str) -> None:
        if name not in self.found:
            self.inferred.setdefault(name, source)

    def has(self, name: str) -> bool:
        return name in self.found or name in self.inferred

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "output": self.output, "found": list(self.found),
                "inferred": dict(self.inferred), "missing": list(self.missing),
                "warnings": list(self.warnings), "events": list(self.events),
                "action_items": list(self.action_items), "metrics": self.metrics}


def reports_json(reports: Iterable[FileReport]) -> str:
    return json.dumps({"files": [r.to_json() for r in reports]}, indent=2, ensure_ascii=False)


def format_report(report: FileReport) -> str:
    """One file's report as text, for people."""
    if report.result == SKIPPED:
        return "\n".join([f"{report.source} -> (not written) [not read, skipped]"]
                         + [f"  skipped:  {why}" for why in report.warnings or ["not a file the import reads"]])
    target = report.output or "(not written)"
    lines = [f"{report.source} -> {target} [{report.kind}, {report.result}]"]
    if report.found:
        lines.append(f"  found:    {', '.join(report.found)}")
    for name, source in report.inferred.items():
        lines.append(f"  inferred: {name} from {source}")
    if report.missing:
        lines.append(f"  missing:  {', '.join(report.missing)}")
    for warning in report.warnings:
        lines.append(f"  warning:  {warning}")
    return "\n".join(lines)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else "\u2026" + text[-(width - 1):]


def _relative(paths: list[str]) -> tuple[str, list[str]]:
    """Paths shown relative to the folder they share, so that the table shows what differs."""
    real = [p for p in paths if p]
    if len(real) < 2:
        return "", [p or "-" for p in paths]
    try:
        common = os.path.commonpath([os.path.dirname(p) for p in real])
    except ValueError:  # absolute and relative paths mixed
        return "", [p or "-" for p in paths]
    if not common:
        return "", [p or "-" for p in paths]
    return common, [os.path.relpath(p, common) if p else "-" for p in paths]


def summary_table(reports: list[FileReport]) -> str:
    """A table of every file and a total line, for the end of a long import."""
    source_dir, sources = _relative([r.source for r in reports])
    output_dir, outputs = _relative([r.output or "" for r in reports])
    rows = [(source, output, r.kind, str(len(r.events)), str(len(r.action_items)), str(len(r.missing)), r.result)
            for r, source, output in zip(reports, sources, outputs)]
    head = ("source", "output", "kind", "events", "actions", "missing", "result")
    widths = [min(max([len(h)] + [len(row[i]) for row in rows]), cap)
              for i, (h, cap) in enumerate(zip(head, (40, 48, 26, 6, 7, 7, 11)))]
    numeric = {3, 4, 5}

    def fmt(row) -> str:
        cells = [_cut(c, w).rjust(w) if i in numeric else _cut(c, w).ljust(w)
                 for i, (c, w) in enumerate(zip(row, widths))]
        return "  ".join(cells).rstrip()

    out = [f"{name} in {folder}/" for name, folder in (("sources", source_dir), ("outputs", output_dir)) if folder]
    out += [fmt(head), "  ".join("-" * w for w in widths)]
    out.extend(fmt(row) for row in rows)
    counts: dict[str, int] = {}
    for r in reports:
        counts[r.result] = counts.get(r.result, 0) + 1
    skipped = [r for r in reports if r.result == SKIPPED]
    if skipped:
        out.append(f"skipped ({len(skipped)}): " + "; ".join(
            f"{_cut(r.source, 60)} ({r.warnings[0] if r.warnings else 'not read'})" for r in skipped[:20])
            + (f"; and {len(skipped) - 20} more" if len(skipped) > 20 else ""))
    complete = sum(1 for r in reports if not r.missing and r.result in (WRITTEN, WOULD_WRITE))
    total = ", ".join(f"{n} {result}" for result, n in counts.items())
    out.append(f"{plural(len(reports), 'file')}: {total}; {complete} with nothing missing")
    return "\n".join(out)
