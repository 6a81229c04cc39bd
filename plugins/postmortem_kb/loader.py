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
           "front_matter_schema", "load_file", "load_kb", "load_one"]

# The schema's two validators, under the names the benchmark's agreement check uses.
_quick_check = schema.quick_check
_validator = schema.validator


def build_postmortem(doc: SourceDocument, taxonomy: Taxonomy, config: KBConfig, stem: str,
                     path: Path, digest: str = "") -> Postmortem:
    """A checked SourceDocument -> Postmortem with its per-file problems attached.

    The rules run in the order a writer fixes things: the schema, characters and structure,
    then each field, the body's sections and times. A rule reads a field only when the schema
    found it usable, so one mistake is reported once."""
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
    problems += attachment_problems(doc.body, doc.body_line, path, config.postmortems_path, config.root, source)
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


def load_one(path: Path, taxonomy: Taxonomy, config: KBConfig) -> LoadResult:
    """Read and check one file on its own (the KB-wide rules are :func:`assemble_kb`'s)."""
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
    return LoadResult(build_postmortem(doc, taxonomy, config, path.stem, path, hashlib.sha1(data).hexdigest()))


def load_file(path: Path, taxonomy: Taxonomy, config: KBConfig) -> Postmortem | list[Problem]:
    """Compatibility: :func:`load_one`'s answer as the postmortem or the list of problems that
    stopped it. New code uses :func:`load_one`."""
    result = load_one(path, taxonomy, config)
    return result.postmortem if result.postmortem is not None else result.problems


def discover(config: KBConfig) -> tuple[list[Path], list[Problem]]:
    """Every ``*.md`` under the postmortems folder, sorted; symlinks leaving the KB are refused."""
    base = config.postmortems_path
    root = config.root.resolve()
    found: list[Path] = []
    problems: list[Problem] = []
    if not base.is_dir():
        return found, [Problem(display_path(base, config.root), 1, "no-postmortems-dir",
                               "the postmortems folder does not exist",
                               "create it, or point --kb at the KB root")]
    for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        here = Path(dirpath)
        for d in list(dirnames):
            if (here / d).is_symlink():
                dirnames.remove(d)
                problems.append(Problem(display_path(here / d, config.root), 1, "symlink",
                                        "symlinked folders are not followed", "move the postmortems into the KB"))
        for name in sorted(filenames):
            if not name.endswith(".md") or name.startswith("."):
                continue
            path = here / name
            if path.is_symlink():
                try:
                    target = path.resolve(strict=True)
                except (OSError, RuntimeError):  # a loop; a dangling link is reported when read
                    target = None
                if target is None and _is_loop(path):
                    problems.append(Problem(display_path(path, config.root), 1, "symlink-loop",
                                            "the file is a symlink that leads back to itself",
                                            "remove the link, or point it at the postmortem it stands for"))
                    continue
                if target is not None and not target.is_relative_to(root):
                    problems.append(Problem(display_path(path, config.root), 1, "symlink-outside",
                                            "the file is a symlink to a file outside the KB",
                                            "copy the postmortem into the KB instead of linking it"))
                    continue
            found.append(path)
    return found, problems


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
    files, problems = discover(config)
    if paths is not None:
        known = {f.resolve() for f in files}
        files = list(dict.fromkeys(files + [Path(p) for p in paths if Path(p).resolve() not in known]))
    loaded: list[Postmortem] = []
    for path in files:
        result = load_one(path, taxonomy, config)
        problems.extend(result.problems)
        if result.postmortem is not None:
            loaded.append(result.postmortem)
    return assemble_kb(config, taxonomy, loaded, problems)


def assemble_kb(config: KBConfig, taxonomy: Taxonomy, loaded: list[Postmortem],
                problems: list[Problem]) -> KnowledgeBase:
    """The KB of postmortems read one by one: KB-wide checks, the rejected set apart, newest first.

    ``problems`` are those not carried by a postmortem (refused files, the folder)."""
    problems = list(problems)
    check_kb(loaded)
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
