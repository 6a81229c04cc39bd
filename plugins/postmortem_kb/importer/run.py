"""Importing many files: finding the sources, choosing safe output paths, writing (or not).

Output paths are made from slugs only (``<out>/<year>/<id>.md``), so no title, however
hostile, can name a file outside ``--out``; an existing file is never replaced unless
``force`` is given.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from ..files import FileRefused, atomic_write, file_kind, read_regular_file
from ..frontmatter import MAX_FILE_BYTES, decode
from ..loader import KBConfig
from ..problems import PostmortemError, display_path
from ..taxonomy import Taxonomy
from .compose import ImportedPostmortem, import_document
from .report import EXISTS, FAILED, SKIPPED, WOULD_WRITE, WRITTEN, FileReport
from .split import split_outages

# Text files people keep postmortems in; a file without an extension is read when it is text.
SOURCE_SUFFIXES = (".md", ".markdown", ".txt", ".text", ".qmd", ".rst")
_SNIFF_BYTES = 8192


class SourceNotFound(Exception):
    """Sources that cannot be imported at all (a path that does not exist)."""


class Sources(list):
    """The files to import, in order; ``skipped`` lists the (path, reason) of every file left out."""

    def __init__(self, files: Iterable[Path] = (), skipped: Iterable[tuple[Path, str]] = (),
                 found: Iterable[Path] = ()):
        super().__init__(files)
        self.skipped: list[tuple[Path, str]] = list(skipped)
        # Files found in a folder (not named): a binary one among them is skipped, not a failure.
        self.found: set[Path] = set(found)


def _kind_of(mode: int) -> str | None:
    """Why a file of this type is not read, or None for a regular file."""
    kind = file_kind(mode)
    if kind is None or kind in ("a folder", "not a regular file"):
        return kind
    return f"{kind}, not a file"


def _walk(folder: Path, files: list[Path], skipped: list[tuple[Path, str]]) -> None:
    """Files under a folder, sorted; hidden entries, symlinks and other file types are skipped with a reason."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        skipped.append((folder, f"cannot list the folder: {exc.strerror or exc}"))
        return
    for entry in entries:
        path = Path(entry.path)
        if entry.name.startswith("."):
            skipped.append((path, "hidden folder" if entry.is_dir(follow_symlinks=False) else "hidden file"))
            continue
        if entry.is_symlink():
            # A link in a folder may point anywhere (a secret, /dev/zero, itself): not followed.
            skipped.append((path, "a symbolic link: not followed (import its target by name if you mean it)"))
            continue
        try:
            mode = entry.stat(follow_symlinks=False).st_mode
        except OSError as exc:
            skipped.append((path, f"cannot read: {exc.strerror or exc}"))
            continue
        if stat.S_ISDIR(mode):
            _walk(path, files, skipped)
            continue
        why = _kind_of(mode)
        if why:
            skipped.append((path, why))
            continue
        suffix = path.suffix.lower()
        if suffix in SOURCE_SUFFIXES or (not suffix or not re.fullmatch(r"\.[A-Za-z][A-Za-z0-9]{0,7}", suffix)):
            files.append(path)  # a name like `PM2022-009 - Bad AMI` has no real extension either
        else:
            skipped.append((path, f"`{path.suffix}` is not a text format the import reads "
                                  f"({', '.join(SOURCE_SUFFIXES)} or no extension)"))


def find_sources(paths: Iterable[Path]) -> Sources:
    """The files to import: files as given, and the text files under folders (sorted).

    Hidden files and folders, symlinks, devices, FIFOs, sockets and files of other formats
    are not read; each is listed in ``skipped`` with its reason.
    """
    files: list[Path] = []
    found: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for path in paths:
        try:
            mode = path.stat().st_mode  # a file named on the command line may be a link: followed, then checked
        except FileNotFoundError:
            if path.is_symlink():
                skipped.append((path, "a symbolic link to nothing"))
                continue
            raise SourceNotFound(f"{path} does not exist") from None
        except OSError as exc:  # ELOOP: a symlink loop
            skipped.append((path, f"cannot read: {exc.strerror or exc}"))
            continue
        if stat.S_ISDIR(mode):
            _walk(path, found, skipped)
            files.extend(found)
            continue
        why = _kind_of(mode)
        if why:
            skipped.append((path, why))
        else:
            files.append(path)
    return Sources(dict.fromkeys(files), skipped, found)


def read_source_bytes(path: Path) -> bytes:
    """The bytes of a regular file of at most the size limit, checked on the open file before reading
    (the project's one safe read). Raises ValueError with the reason when the file is not read."""
    try:
        return read_regular_file(path, MAX_FILE_BYTES)
    except FileRefused as exc:
        raise ValueError(exc.message) from None


@dataclass
class ImportOptions:
    out: Path
    kind: str | None = None  # force one input kind
    dry_run: bool = False
    force: bool = False
    severity: str | None = None  # for documents that state none
    split: bool = False  # one postmortem per outage when a document tells several (importer.split)


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


def _read(path: Path, shown: str, options: ImportOptions, taxonomy: Taxonomy,
          skip_binary: bool = False) -> ImportedPostmortem | list[ImportedPostmortem] | list[str]:
    """One source -> its import (one per outage with ``split``), or the messages that say why it could not
    be imported.

    Raises ValueError (the reason) for a file that is skipped rather than failed.
    """
    try:
        data = read_source_bytes(path)
    except OSError as exc:
        return [f"cannot read the file: {exc.strerror or exc}"]
    if skip_binary and b"\x00" in data[:_SNIFF_BYTES]:
        raise ValueError("a binary file (it contains NUL bytes)")
    stem = path.stem if path.suffix.lower() in SOURCE_SUFFIXES else path.name  # `PM2022 - v1.2 outage` has none
    try:
        text, _, _ = decode(data, shown)
        if getattr(options, "split", False):
            parts = split_outages(text, options.kind)
            if len(parts) > 1:
                out = []
                for name, part in parts:
                    one = import_document(part, source=shown, stem=stem, taxonomy=taxonomy, kind=options.kind,
                                          severity=options.severity)
                    one.report.warnings.insert(0, f"one of {len(parts)} outages of the document: `{name}`")
                    out.append(one)
                return out
        return import_document(text, source=shown, stem=stem, taxonomy=taxonomy, kind=options.kind,
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


def _shown(path: Path, root: Path) -> str:
    """The path as the report shows it; a link that cannot be resolved (a loop) is shown by its own name."""
    try:
        return display_path(path, root)
    except (OSError, RuntimeError):
        return str(Path(display_path(path.parent, root)) / path.name)


def write_new(path: Path, text: str, *, replace: bool = False) -> None:
    """Write a file whole or not at all: a temporary file in the same folder, then one rename.

    A full disk or a kill leaves no empty or half-written postmortem (which would block the
    next import); without ``replace`` an existing file is never touched (FileExistsError).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if replace:
        atomic_write(path, text)  # the project's one atomic replace
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        # No clobbering: a hard link appears whole, and fails when the file exists.
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links
            if path.exists():
                raise FileExistsError(path) from None
            os.replace(tmp, path)
        else:
            os.unlink(tmp)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def import_files(sources: list[Path], options: ImportOptions, taxonomy: Taxonomy, config: KBConfig,
                 progress: Callable[[Path], None] | None = None) -> ImportRun:
    """Import every source; the report of each says what was written where, or why not."""
    run = ImportRun()
    for path, reason in getattr(sources, "skipped", ()):
        run.reports.append(FileReport(source=_shown(path, config.root), result=SKIPPED, warnings=[reason]))
    out = options.out
    existing = _existing_ids(out)
    claimed: set[str] = set()

    def place(imported: ImportedPostmortem) -> None:
        """Choose the file of one import, check it as `pmkb validate` would, write it (or not)."""
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
            return
        target_shown = display_path(target, config.root)
        report.output = target_shown
        try:
            problems = imported.check(taxonomy, config, target_shown, target)
        except PostmortemError as exc:  # e.g. a document just under the size limit, over it with its front matter
            report.result, report.output = FAILED, None
            report.warnings.extend(f"not written: {p.format_text()}" for p in exc.problems)
            run.reports.append(report)
            return
        report.warnings.extend(f"pmkb validate: {p.format_text()}" for p in problems)
        if target.exists() and not options.force:
            report.result, report.output = EXISTS, None
            report.warnings.append(f"{target_shown} already exists: not overwritten (use --force to replace it)")
        elif options.dry_run:
            report.result = WOULD_WRITE
        else:
            try:
                write_new(target, imported.text(), replace=options.force)
                report.result = WRITTEN
            except FileExistsError:
                report.result, report.output = EXISTS, None
                report.warnings.append(f"{target_shown} already exists: not overwritten (use --force)")
            except OSError as exc:
                report.result, report.output = FAILED, None
                report.warnings.append(f"cannot write {target_shown}: {exc.strerror or exc}")
        run.reports.append(report)
        run.imported.append(imported)

    for path in sources:
        shown = _shown(path, config.root)
        try:
            imported = _read(path, shown, options, taxonomy, path in getattr(sources, "found", ()))
        except ValueError as exc:  # not a regular text file of at most the size limit: skipped, with why
            run.reports.append(FileReport(source=shown, result=SKIPPED, warnings=[str(exc)]))
            if progress:
                progress(path)
            continue
        if isinstance(imported, list) and (not imported or isinstance(imported[0], str)):
            # a list of messages (its first item a str); mypy cannot narrow a list by its items
            run.reports.append(FileReport(source=shown, result=FAILED, warnings=cast("list[str]", imported)))
            if progress:
                progress(path)
            continue
        parts = cast("list[ImportedPostmortem]", imported) if isinstance(imported, list) else [imported]
        for one in parts:
            place(one)
        if progress:
            progress(path)
    return run
