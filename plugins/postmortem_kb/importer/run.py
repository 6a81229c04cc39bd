"""Importing many files: finding the sources, choosing safe output paths, writing (or not).

Output paths are made from slugs only (``<out>/<year>/<id>.md``), so no title, however
hostile, can name a file outside ``--out``; an existing file is never replaced unless
``force`` is given.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from ..frontmatter import decode
from ..loader import KBConfig
from ..problems import PostmortemError, display_path
from ..taxonomy import Taxonomy
from ..writer import write_postmortem
from .compose import ImportedPostmortem, import_document
from .report import EXISTS, FAILED, WOULD_WRITE, WRITTEN, FileReport

SOURCE_SUFFIXES = (".md", ".markdown", ".txt", ".text")


class SourceNotFound(Exception):
    """Sources that cannot be imported at all (a path that does not exist)."""


def find_sources(paths: Iterable[Path]) -> list[Path]:
    """The files to import: files as given, and text or Markdown files under folders (sorted)."""
    out: list[Path] = []
    for path in paths:
        if not path.exists():
            raise SourceNotFound(f"{path} does not exist")
        if path.is_file():
            out.append(path)
            continue
        for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if not name.startswith(".") and name.lower().endswith(SOURCE_SUFFIXES):
                    out.append(Path(dirpath) / name)
    return list(dict.fromkeys(out))


@dataclass
class ImportOptions:
    out: Path
    kind: str | None = None  # force one input kind
    dry_run: bool = False
    force: bool = False
    severity: str | None = None  # for documents that state none


@dataclass
class ImportRun:
    """Everything an import did, in source order."""

    reports: list[FileReport] = field(default_factory=list)
    imported: list[ImportedPostmortem] = field(default_factory=list)

    @property
    def failed(self) -> list[FileReport]:
        return [r for r in self.reports if r.result in (FAILED, EXISTS)]


def _existing_ids(out: Path) -> dict[str, Path]:
    if not out.is_dir():
        return {}
    return {p.stem: p for p in sorted(out.rglob("*.md")) if not p.name.startswith(".")}


def _target(out: Path, imported: ImportedPostmortem, pm_id: str) -> Path:
    folder = out / str(imported.date.year) if imported.date else out
    target = folder / f"{pm_id}.md"
    # A slug cannot leave `out`, but a symlinked year folder could: checked on the real path.
    if not target.resolve().is_relative_to(out.resolve()):
        raise ValueError(f"{target} would be outside {out} (a symlink?)")
    return target


def _read(path: Path, shown: str, options: ImportOptions, taxonomy: Taxonomy) -> ImportedPostmortem | list[str]:
    """One source -> its import, or the messages that say why it could not be imported."""
    try:
        text, _, _ = decode(path.read_bytes(), shown)
        return import_document(text, source=shown, stem=path.stem, taxonomy=taxonomy, kind=options.kind,
                               severity=options.severity)
    except PostmortemError as exc:
        return [p.format_text() for p in exc.problems]
    except OSError as exc:
        return [f"cannot read the file: {exc.strerror or exc}"]
    except Exception as exc:  # noqa: BLE001 - one odd document must not stop an import of hundreds
        if os.environ.get("PMKB_DEBUG"):
            raise
        return [f"internal error while importing: {type(exc).__name__}: {exc} "
                "(set PMKB_DEBUG=1 for the traceback, and please report it)"]


def import_files(sources: list[Path], options: ImportOptions, taxonomy: Taxonomy, config: KBConfig,
                 progress: Callable[[Path], None] | None = None) -> ImportRun:
    """Import every source; the report of each says what was written where, or why not."""
    run = ImportRun()
    out = options.out
    existing = _existing_ids(out)
    claimed: set[str] = set()
    for path in sources:
        shown = display_path(path, config.root)
        imported = _read(path, shown, options, taxonomy)
        if isinstance(imported, list):
            run.reports.append(FileReport(source=shown, result=FAILED, warnings=imported))
            if progress:
                progress(path)
            continue
        report = imported.report
        pm_id = imported.id
        # Two sources of this run with one id get -2, -3...; a file already in the KB is
        # the same postmortem imported before: kept unless --force.
        base, n = pm_id, 1
        while pm_id in claimed:
            n += 1
            pm_id = f"{base[:115]}-{n}"
        if pm_id != base:
            report.warnings.append(f"id `{base}` is taken by another file of this import: using `{pm_id}`")
            imported.front_matter["id"] = pm_id
        claimed.add(pm_id)
        try:
            target = existing.get(pm_id) or _target(out, imported, pm_id)
        except ValueError as exc:  # a symlinked folder under --out pointing elsewhere
            report.result = FAILED
            report.warnings.append(f"not written: {exc}")
            run.reports.append(report)
            if progress:
                progress(path)
            continue
        target_shown = display_path(target, config.root)
        report.output = target_shown
        try:
            problems = imported.check(taxonomy, config, target_shown, target)
        except PostmortemError as exc:  # e.g. a document just under the size limit, over it with its front matter
            report.result, report.output = FAILED, None
            report.warnings.extend(f"not written: {p.format_text()}" for p in exc.problems)
            run.reports.append(report)
            if progress:
                progress(path)
            continue
        report.warnings.extend(f"pmkb validate: {p.format_text()}" for p in problems)
        if target.exists() and not options.force:
            report.result, report.output = EXISTS, None
            report.warnings.append(f"{target_shown} already exists: not overwritten (use --force to replace it)")
        elif options.dry_run:
            report.result = WOULD_WRITE
        else:
            try:
                write_postmortem(target, imported.front_matter, imported.body, overwrite=options.force)
                report.result = WRITTEN
            except FileExistsError:
                report.result, report.output = EXISTS, None
                report.warnings.append(f"{target_shown} already exists: not overwritten (use --force)")
            except OSError as exc:
                report.result, report.output = FAILED, None
                report.warnings.append(f"cannot write {target_shown}: {exc.strerror or exc}")
        run.reports.append(report)
        run.imported.append(imported)
        if progress:
            progress(path)
    return run
