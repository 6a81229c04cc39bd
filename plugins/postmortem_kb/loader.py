"""The one loader: a KB directory (or single files) into Postmortem objects and Problems.

Every command and the site read postmortems through :func:`load_kb` (the preview and the search
index, which read files one by one, through :func:`load_one` and :func:`assemble_kb`). Problems
are collected, never raised: a postmortem with errors is kept out of ``kb.postmortems`` and its
problems say why, each with a file and a line.

This module reads and assembles; the rules themselves are small functions in
:mod:`postmortem_kb.validation`, one module per thing they read (schema, fields, content,
sections, times, KB-wide). :func:`build_postmortem` calls them in order.
"""

from __future__ import annotations

import datetime as dt
import errno
import gc
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .attachments import attachment_problems, strip_comments
from .files import FileRefused, read_regular_file
from .frontmatter import MAX_FILE_BYTES, SourceDocument, read_source, to_json_value
from .kb import KBConfig, KnowledgeBase
from .model import Postmortem
from .problems import PostmortemError, Problem, display_path
from .taxonomy import Taxonomy, load_taxonomy
from .timeline import split_sections
from .validation import content, drafts, fields, schema, sections, times
from .validation.kb_wide import check_kb
from .validation.schema import front_matter_schema

__all__ = ["KBConfig", "KnowledgeBase", "LoadResult", "assemble_kb", "build_postmortem", "check_kb", "discover",
           "front_matter_schema", "load_files", "load_kb", "load_one"]

# The schema's two validators, under the names the benchmark's agreement check uses.
_quick_check = schema.quick_check
_validator = schema.validator


def build_postmortem(doc: SourceDocument, taxonomy: Taxonomy, config: KBConfig, stem: str,
                     path: Path, digest: str = "", postmortems_path: Path | None = None) -> Postmortem:
    """A checked SourceDocument -> Postmortem with its per-file problems attached.

    The rules run in the order a writer fixes things: the schema, characters and structure,
    then each field, the body's sections and times. A rule reads a field only when the schema
    found it usable, so one mistake is reported once. ``postmortems_path`` is
    ``config.postmortems_path`` when the caller has it already (resolving it costs system calls)."""
    source, line_of = doc.path, doc.line_of
    severities = tuple(taxonomy.severity_ids)
    fm = fields.normalise(doc.front_matter, severities)
    checked = schema.schema_problems(to_json_value(fm), doc.lines, source, severities)
    problems = list(checked.problems)
    problems += content.control_characters_in_values(fm, line_of, source)
    problems += content.control_characters_in_text(doc.body, doc.body_line, source, "the write-up")
    problems += content.structure_limits(doc.body, doc.body_line, source)

    def usable(name: str) -> bool:
        return checked.usable(fm, name)

    pm_id, found = fields.postmortem_id(fm, stem, source)
    problems += found
    date, found = fields.incident_date(fm, usable("date"), line_of, source)
    problems += found
    tzinfo, found = fields.timezone(fm, line_of, source)
    problems += found
    components, found = fields.terms(fm, "components", taxonomy, config.strict_terms, line_of, source)
    problems += found
    root_causes, found = fields.terms(fm, "root_causes", taxonomy, config.strict_terms, line_of, source)
    problems += found
    items, found = fields.action_items(fm, taxonomy, config.strict_terms, pm_id, line_of, source)
    problems += found
    problems += fields.todo_fields(fm, line_of, source)

    # What readers never see never reaches the model: pages, feeds, JSON, exports and the search
    # index all read the body and sections from here.
    body = strip_comments(doc.body)
    parts = split_sections(body, doc.body_line)
    problems += sections.section_problems(parts, doc.body_line, source)
    problems += sections.repeated_text(parts, source)
    folder = config.postmortems_path if postmortems_path is None else postmortems_path
    problems += attachment_problems(doc.body, doc.body_line, path, folder, config.root, source)
    events, found = times.timeline(parts, date, tzinfo, source)
    problems += found
    metrics, found = times.metrics(fm, usable, events, tzinfo, doc.lines, line_of, source)
    problems += found
    stated, found = times.stated(fm, parts, metrics, line_of, source)
    problems += found
    status = fields.text(fm.get("status")) or "published"
    if status == "draft":
        problems = drafts.as_draft(problems, checked.left_empty)

    tags = fm.get("tags")
    timezone = fm.get("timezone")
    return Postmortem(
        id=pm_id, path=path, source=source, title=fields.text(fm.get("title")).strip(),
        date=date or dt.date(1970, 1, 1), severity=fields.text(fm.get("severity")), status=status,
        authors=fields.texts(fm.get("authors")), components=components, root_causes=root_causes,
        trigger=fields.text(fm.get("trigger")), detection=fields.text(fm.get("detection")),
        impact=fields.text(fm.get("impact")),
        tags=[t for t in tags if isinstance(t, str)] if isinstance(tags, list) else [],
        related=fields.texts(fm.get("related")),
        timezone=timezone if isinstance(timezone, str) else None, tzinfo=tzinfo,
        action_items=items, body=body, body_line=doc.body_line, sections=parts, timeline=events,
        metrics=metrics, front_matter=fm, lines=doc.lines, digest=digest, problems=problems,
        date_approximate=fm.get("date_approximate") is True,
        stated_durations=stated)


@dataclass
class LoadResult:
    """What reading one file gives: the postmortem (None when the file could not be read as
    one) and the problems that stopped it. A postmortem's own problems are in
    ``postmortem.problems``; :attr:`all_problems` gives both."""

    postmortem: Postmortem | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def all_problems(self) -> list[Problem]:
        return self.problems + (self.postmortem.problems if self.postmortem is not None else [])


def load_one(path: Path, taxonomy: Taxonomy, config: KBConfig, source: str | None = None,
             postmortems_path: Path | None = None) -> LoadResult:
    """Read and check one file on its own (the KB-wide rules are :func:`assemble_kb`'s).

    A caller reading many files may pass what is the same for each, worked out once:
    ``source``, the file's ``display_path``, and ``config.postmortems_path``."""
    if source is None:
        source = display_path(path, config.root)
    try:
        data = read_regular_file(path, MAX_FILE_BYTES)
    except FileRefused as exc:
        if exc.reason == "too-large":
            return LoadResult(None, [Problem(source, 1, "file-too-large", exc.message,
                                             "move logs and dumps out of the postmortem and link to them")])
        return LoadResult(None, [Problem(source, 1, "not-a-file", exc.message,
                                         "postmortems are Markdown files; remove it from the postmortems folder")])
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return LoadResult(None, [Problem(source, 1, "symlink-loop",
                                             "the file is a symlink that leads back to itself",
                                             "remove the link, or point it at the postmortem it stands for")])
        return LoadResult(None, [Problem(source, 1, "unreadable", f"cannot read the file: {exc.strerror or exc}",
                                         "check the file exists and is readable")])
    try:
        doc = read_source(data, source)
    except PostmortemError as exc:
        return LoadResult(None, list(exc.problems))
    return LoadResult(build_postmortem(doc, taxonomy, config, path.stem, path, hashlib.sha1(data).hexdigest(),
                                       postmortems_path))


def discover(config: KBConfig) -> tuple[list[Path], list[Problem]]:
    """Every ``*.md`` under the postmortems folder, sorted; symlinks leaving the KB are refused."""
    entries, problems = discover_entries(config)
    return [Path(entry.path) for entry in entries], problems


def discover_entries(config: KBConfig) -> tuple[list[os.DirEntry], list[Problem]]:
    """:func:`discover` with each file's directory entry (whose ``stat()`` is cached).

    The order is the one every command reports in and the KB-wide rules read in: a folder's
    files by name, then its subfolders by name, each one whole. Hidden files and folders are
    skipped; symlinked folders are not followed; a symlinked file is read only if it stays in
    the KB. A folder that cannot be listed is skipped, as ``os.walk`` does."""
    base = config.postmortems_path
    found: list[os.DirEntry] = []
    problems: list[Problem] = []
    if not base.is_dir():
        return found, [Problem(display_path(base, config.root), 1, "no-postmortems-dir",
                               "the postmortems folder does not exist",
                               "create it, or point --kb at the KB root")]
    root = config.root.resolve()
    pending = [str(base)]  # a stack, not recursion: a folder may be nested deeper than Python recurses
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError:
            continue
        folders: list[os.DirEntry] = []
        files: list[os.DirEntry] = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            (folders if is_dir else files).append(entry)
        folders = sorted((d for d in folders if not d.name.startswith(".")), key=lambda e: e.name)
        followed = []
        for entry in folders:
            if entry.is_symlink():
                problems.append(Problem(display_path(entry.path, config.root), 1, "symlink",
                                        "symlinked folders are not followed", "move the postmortems into the KB"))
            else:
                followed.append(entry.path)
        for entry in sorted(files, key=lambda e: e.name):
            name = entry.name
            if not name.endswith(".md") or name.startswith("."):
                continue
            if entry.is_symlink() and not _link_stays_in(Path(entry.path), root, config, problems):
                continue
            found.append(entry)
        pending.extend(reversed(followed))
    return found, problems


def shown_paths(config: KBConfig, entries: list[os.DirEntry]) -> list[str]:
    """``display_path`` of each discovered file, without working it out for each one: inside
    the KB root, a file's shown path is the postmortems folder's followed by the path under it."""
    base = config.postmortems_path
    try:
        prefix = Path(os.path.abspath(base)).relative_to(Path(os.path.abspath(config.root))).as_posix()
    except ValueError:
        return [display_path(entry.path, config.root) for entry in entries]
    start = len(str(base)) + 1
    lead = "" if prefix == "." else prefix + "/"
    return [lead + entry.path[start:].replace(os.sep, "/") for entry in entries]


def admitted(config: KBConfig, paths: Iterable[Path], problems: list[Problem]) -> list[Path]:
    """The files named on a command line that may be read: a symlink among them is held to the
    rule discovery applies (it is read only if it stays in the KB); the others are reported."""
    root = config.root.resolve()
    return [Path(p) for p in paths if not Path(p).is_symlink() or _link_stays_in(Path(p), root, config, problems)]


def _link_stays_in(path: Path, root: Path, config: KBConfig, problems: list[Problem]) -> bool:
    """Whether a symlinked postmortem may be read (a dangling link is reported when read)."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):  # a loop, or dangling
        target = None
    if target is None and _is_loop(path):
        problems.append(Problem(display_path(path, config.root), 1, "symlink-loop",
                                "the file is a symlink that leads back to itself",
                                "remove the link, or point it at the postmortem it stands for"))
        return False
    if target is not None and not target.is_relative_to(root):
        problems.append(Problem(display_path(path, config.root), 1, "symlink-outside",
                                "the file is a symlink to a file outside the KB",
                                "copy the postmortem into the KB instead of linking it"))
        return False
    return True


def _is_loop(path: Path) -> bool:
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


def load_kb(config: KBConfig, paths: Iterable[Path] | None = None) -> KnowledgeBase:
    """Load and check a whole KB (or the given files, checked against the whole KB)."""
    try:
        taxonomy = load_taxonomy(config.taxonomy_path, required=config.taxonomy_required,
                                 shown=display_path(config.taxonomy_path, config.root))
    except PostmortemError as exc:
        return KnowledgeBase(config, Taxonomy(), [], exc.problems, [])
    entries, problems = discover_entries(config)
    files = [Path(entry.path) for entry in entries]
    shown = dict(zip(files, shown_paths(config, entries)))
    if paths is not None:
        known = {f.resolve() for f in files}
        files = list(dict.fromkeys(files + [p for p in admitted(config, paths, problems) if p.resolve() not in known]))
    postmortems_path = config.postmortems_path
    loaded: list[Postmortem] = []
    # Loading makes many objects and keeps most of them: the cyclic garbage collector would walk
    # the growing KB again and again (a tenth of the time at 2,000 postmortems, more with more),
    # to find almost no cycles. It is off while the files are read; after, what they made is
    # put with the oldest objects at once (see _to_oldest_generation), not walked to get there.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for path in files:
            result = load_one(path, taxonomy, config, shown.get(path), postmortems_path)
            problems.extend(result.problems)
            if result.postmortem is not None:
                loaded.append(result.postmortem)
    finally:
        _to_oldest_generation()
        if collecting:
            gc.enable()
    return assemble_kb(config, taxonomy, loaded, problems)


def _to_oldest_generation() -> None:
    """Move every object the collector tracks into its oldest generation, without walking them.

    Turned back on, the collector would walk the young objects, the whole KB just loaded
    (nearly a second at 10,000 postmortems), only to promote them. ``gc.freeze`` then
    ``gc.unfreeze`` moves them there in one step; they are still collected, by the full
    collections that walk the oldest generation as before. Not done when something else keeps
    frozen objects (``unfreeze`` would release them too)."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


def load_files(config: KBConfig, paths: Iterable[Path], cache: bool = True) -> KnowledgeBase:
    """Check the given files as :func:`load_kb` would check them in the whole KB, without loading
    the whole KB: the problems reported on these files are the same.

    The KB-wide rules need only ids (:mod:`postmortem_kb.ids`): the other files' ids are read
    (and cached), and only the files sharing an id with one of these, or named in their
    ``related``, are loaded to confirm. The KB returned holds these files (and those confirming
    files); its problems are complete for these files only."""
    try:
        taxonomy = load_taxonomy(config.taxonomy_path, required=config.taxonomy_required,
                                 shown=display_path(config.taxonomy_path, config.root))
    except PostmortemError as exc:
        return KnowledgeBase(config, Taxonomy(), [], exc.problems, [])
    from .ids import read_ids

    entries, problems = discover_entries(config)
    sources = shown_paths(config, entries)
    position = {source: i for i, source in enumerate(sources)}

    def real_id(path: Path) -> str | None:
        pm = load_one(path, taxonomy, config).postmortem
        return pm.id if pm is not None else None

    ids = read_ids(entries, sources, config.root, real_id, cache=cache)
    paths_by_source = {source: entry.path for entry, source in zip(entries, sources)}
    wanted: dict[str, Path] = {}
    for p in paths:
        wanted.setdefault(display_path(p, config.root), Path(p))
    loaded: dict[str, Postmortem] = {}
    readable = set(admitted(config, wanted.values(), problems))
    for source, path in wanted.items():
        if path not in readable:
            continue
        result = load_one(path, taxonomy, config)
        problems.extend(result.problems)
        if result.postmortem is not None:
            loaded[source] = result.postmortem
    # The files whose ids the rules compare with these: loaded for real, to know they load.
    needed = {pm.id for pm in loaded.values()} | {rid for pm in loaded.values() for rid in pm.related}
    for wanted_id in sorted(needed):
        for source in ids.files_with(wanted_id):
            if source not in loaded and source not in wanted:
                pm = load_one(Path(paths_by_source[source]), taxonomy, config).postmortem
                if pm is not None:
                    loaded[source] = pm
    given = {source: i for i, source in enumerate(wanted)}  # files outside the folder: after it, as given
    order = sorted(loaded, key=lambda s: (s not in position, position.get(s, given.get(s, 0))))
    group = [loaded[source] for source in order]
    check_kb(group, suggest=ids.known)  # a method: the ids are listed only for a hint
    kb = assemble_kb_checked(config, taxonomy, group, problems)
    kb.problems = [p for p in kb.problems if p.path in wanted or p.path == display_path(config.taxonomy_path,
                                                                                         config.root)]
    kb.rejected = [source for source in kb.rejected if source in wanted]
    kb.postmortems = [pm for pm in kb.postmortems if pm.source in wanted]
    kb.by_id = {pm.id: pm for pm in kb.postmortems}
    return kb


def assemble_kb(config: KBConfig, taxonomy: Taxonomy, loaded: list[Postmortem],
                problems: list[Problem]) -> KnowledgeBase:
    """The KB of postmortems read one by one: KB-wide checks, the rejected set apart, newest first.

    ``problems`` are those not carried by a postmortem (refused files, the folder)."""
    check_kb(loaded)
    return assemble_kb_checked(config, taxonomy, loaded, problems)


def assemble_kb_checked(config: KBConfig, taxonomy: Taxonomy, loaded: list[Postmortem],
                        problems: list[Problem]) -> KnowledgeBase:
    """:func:`assemble_kb` once the KB-wide rules have run."""
    problems = list(problems)
    good: list[Postmortem] = []
    rejected: list[str] = []
    for pm in loaded:
        problems.extend(pm.problems)
        if any(p.is_error for p in pm.problems):
            rejected.append(pm.source)
        else:
            good.append(pm)
    rejected.extend(sorted({p.path for p in problems if p.is_error} - set(rejected) - {pm.source for pm in good}))
    good.sort(key=lambda p: (p.date, p.metrics.started_at or dt.datetime.min.replace(tzinfo=dt.timezone.utc), p.id),
              reverse=True)
    return KnowledgeBase(config, taxonomy, good, sorted(set(problems)), rejected)
