"""The one loader: a KB directory (or single files) into Postmortem objects and Problems.

Every command and the site read postmortems through :func:`load_kb`. Problems are
collected, never raised: a postmortem with errors is kept out of ``kb.postmortems``
and its problems say why, each with a file and a line.
"""

from __future__ import annotations

import datetime as dt
import difflib
import errno
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

try:  # compiled to Python code: ~20x faster than jsonschema at saying "valid" (the usual answer)
    import fastjsonschema
except ImportError:  # pragma: no cover - jsonschema alone gives the same answers
    fastjsonschema = None

from .attachments import attachment_problems, strip_comments
from .durations import disagrees, stated_durations
from .files import FileRefused, read_regular_file
from .frontmatter import MAX_FILE_BYTES, read_source, to_json_value
from .kb import KBConfig, KnowledgeBase  # noqa: F401 - re-exported: `from .loader import KBConfig` still works
from .model import DURATIONS, MOMENTS, TIME_FIELDS, ActionItem, Metrics, Postmortem
from .problems import ERROR, WARNING, PostmortemError, Problem, display_path
from .slugs import is_valid_id, slugify
from .taxonomy import KIND_SINGULAR, Taxonomy, load_taxonomy
from .timeline import (
    MAX_YEAR,
    MIN_YEAR,
    SECTION_TITLES,
    TimeParseError,
    check_year,
    fixed_offset,
    format_duration,
    parse_datetime,
    parse_offset,
    parse_timeline,
    split_sections,
)
from .validation.content import control_characters_in_text, control_characters_in_values, structure_limits

# Fields of other postmortem formats (e.g. the public icco/postmortems corpus) that `pmkb import` maps.
_FOREIGN_FIELDS = {"start_time", "end_time", "categories", "keywords", "company", "product", "summary", "uuid",
                   "url", "source_fetched_at"}
_UNSAFE_URL = re.compile(r"\s*(javascript|data|vbscript|file)\s*:", re.I)
REQUIRED_SECTIONS = ("summary", "root_cause")
RECOMMENDED_SECTIONS = ("impact", "timeline", "resolution")
_MIN_REPEAT_CHARS = 60


@lru_cache(maxsize=8)
def _validator(severities: tuple[str, ...]) -> jsonschema.protocols.Validator:
    schema = front_matter_schema(severities)
    cls = jsonschema.validators.validator_for(schema)
    # Resolving a `$ref` costs more than checking the value it points to; inlined, the
    # same checks run in half the time (the schema is checked once per postmortem).
    return cls(_inline_refs(schema), format_checker=cls.FORMAT_CHECKER)


@lru_cache(maxsize=8)
def _quick_check(severities: tuple[str, ...]) -> Callable[[Any], bool]:
    """A yes/no schema check; jsonschema then explains only the front matter that fails it.

    Formats are checked by jsonschema's own format checker, so both always agree.
    """
    validator = _validator(severities)
    schema = {k: v for k, v in validator.schema.items() if k not in ("$schema", "$id")}
    if fastjsonschema is None or not _keywords(schema) <= _SHARED_KEYWORDS:
        # A keyword fastjsonschema (draft 7) might read otherwise, or ignore: no short cut.
        return validator.is_valid
    checker = validator.format_checker
    try:
        compiled = fastjsonschema.compile(schema, formats={
            name: (lambda value, name=name: checker.conforms(value, name)) for name in checker.checkers})
    except fastjsonschema.JsonSchemaException:
        return validator.is_valid

    def check(value: Any) -> bool:
        try:
            compiled(value)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    return check


_ANNOTATIONS = {"description", "default", "title", "$comment", "examples"}
# Keywords that mean the same to jsonschema (2020-12) and fastjsonschema (draft 7).
_SHARED_KEYWORDS = _ANNOTATIONS | {
    "type", "properties", "required", "additionalProperties", "items", "enum", "const", "pattern", "format",
    "maxLength", "minLength", "maxItems", "minItems", "anyOf", "allOf", "oneOf", "not",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "maxProperties", "minProperties"}


def _keywords(schema: Any) -> set[str]:
    """Every keyword used anywhere in a schema (property names are not keywords)."""
    found: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            found.add(key)
            if key in ("enum", "const") and not all(isinstance(v, str) for v in (value if key == "enum" else [value])):
                found.add(f"{key} of non-text values")  # 1 == True in Python, not in JSON Schema
            if key == "properties" and isinstance(value, dict):
                for sub in value.values():
                    found |= _keywords(sub)
            elif key not in ("enum", "const", "default", "examples", "required"):
                found |= _keywords(value)
    elif isinstance(schema, list):
        for item in schema:
            found |= _keywords(item)
    return found


def _inline_refs(schema: dict) -> dict:
    """The schema with its local ``#/$defs/...`` references replaced by what they name."""
    defs = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(x) for x in node]
        if not isinstance(node, dict):
            return node
        node = {k: walk(v) for k, v in node.items() if k != "$defs"}
        ref = node.get("$ref")
        if not (isinstance(ref, str) and ref.startswith("#/$defs/") and ref[8:] in defs):
            return node
        target = walk(defs[ref[8:]])
        rest = {k: v for k, v in node.items() if k != "$ref"}
        if (set(rest) & set(target)) - _ANNOTATIONS:
            return {"allOf": [target, rest]}  # both say the same keyword: keep both checks
        return {**target, **rest}

    return walk(schema)


def front_matter_schema(severities: Iterable[str] | None = None) -> dict:
    """The shipped JSON Schema, with the KB's own severity levels."""
    text = resources.files("postmortem_kb").joinpath("schema/postmortem.schema.json").read_text("utf-8")
    schema = json.loads(text)
    if severities:
        schema["properties"]["severity"]["enum"] = list(severities)
    return schema


def _field_name(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "front matter"


_TYPE_WORDS = {"string": "text", "array": "a list", "object": "a mapping", "integer": "a whole number",
               "null": "empty"}


def _schema_problem(err: jsonschema.ValidationError, doc_lines: dict, source: str,
                    severities: list[str]) -> Problem:
    where = tuple(err.absolute_path)
    line = next((doc_lines[where[:i]] for i in range(len(where), 0, -1) if where[:i] in doc_lines), 2)
    name = _field_name(where)
    v = err.validator
    if v == "required":
        missing = re.findall(r"'([^']+)' is a required property", err.message)
        fld = missing[0] if missing else "a field"
        full = _field_name(where + (fld,))
        examples = {"title": "title: Checkout errors after deploy", "date": "date: 2024-03-14",
                    "severity": f"severity: {severities[0] if severities else 'SEV1'}"}
        return Problem(source, line, "missing-field", f"`{full}` is required",
                       f"add `{examples.get(fld, fld + ': ...')}`")
    if v == "additionalProperties":
        extra = re.findall(r"'([^']+)' was unexpected", err.message)
        key = extra[0] if extra else "?"
        known = list(err.schema.get("properties", {}))
        close = difflib.get_close_matches(key, known, n=1)
        line = doc_lines.get(where + (key,), line)
        hint = f"did you mean `{close[0]}`?" if close else f"known fields: {', '.join(known)}"
        if not where and key in _FOREIGN_FIELDS:
            hint = "this looks like another tool's front matter: convert the file with `pmkb import FILE`"
        name = _field_name(where + (key,))
        return Problem(source, line, "unknown-field", f"`{name}` is not a postmortem field", hint)
    if v == "type" and where and where[-1] in ("date", "due"):
        return Problem(source, line, "invalid-date", f"`{name}` must be a date, not {err.instance!r}",
                       "write a real date as YYYY-MM-DD, e.g. 2024-03-14")
    if v == "type":
        want = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
        words = " or ".join(_TYPE_WORDS.get(w, w) for w in want)
        got = type(err.instance).__name__
        got = {"str": "text", "list": "a list", "dict": "a mapping", "int": "a number", "float": "a number",
               "bool": "true/false", "NoneType": "empty"}.get(got, got)
        hint = "write a list: `[a, b]` or one `- item` per line" if "array" in want else (
            "quote it: \"...\"" if "string" in want else "see docs/format.md")
        return Problem(source, line, "wrong-type", f"`{name}` must be {words}, not {got}", hint)
    if v == "enum" and isinstance(err.instance, str) and err.instance.strip().upper() == "TODO":
        allowed = ", ".join(str(x) for x in err.validator_value)
        return Problem(source, line, "todo", f"`{name}` still says TODO", f"use one of: {allowed}")
    if v == "enum":
        allowed = ", ".join(str(x) for x in err.validator_value)
        close = difflib.get_close_matches(str(err.instance), [str(x) for x in err.validator_value], n=1)
        hint = f"did you mean `{close[0]}`?" if close else f"use one of: {allowed}"
        return Problem(source, line, "invalid-value", f"`{name}` is `{err.instance}`; allowed: {allowed}", hint)
    if v in ("pattern", "format", "anyOf"):
        if where and where[-1] in ("date", "due") or v == "format":
            return Problem(source, line, "invalid-date", f"`{name}` is `{err.instance}`, not a date",
                           "write a real date as YYYY-MM-DD")
        if "id" in where or (where and where[0] == "related"):
            return Problem(source, line, "invalid-id", f"`{name}` is `{err.instance}`: ids are lowercase "
                           "letters, digits and single dashes", f"use `{slugify(err.instance)}`")
        if where and where[-1] in TIME_FIELDS:
            return Problem(source, line, "invalid-time", f"`{name}` is `{err.instance}`, not an ISO 8601 time",
                           "write YYYY-MM-DDTHH:MM+HH:MM, e.g. 2024-03-14T10:44:00+03:00")
    if v in ("maxItems", "minItems"):
        size = len(err.instance) if isinstance(err.instance, list) else 0
        bound = "at least" if v == "minItems" else "at most"
        return Problem(source, line, "invalid-length",
                       f"`{name}` has {size} item(s); {bound} {err.validator_value} allowed",
                       "list only what matters" if v == "maxItems" else "add at least one")
    if v in ("maxLength", "minLength"):
        bound = "at least" if v == "minLength" else "at most"
        if v == "minLength" and err.validator_value == 1:
            return Problem(source, line, "invalid-length", f"`{name}` is empty",
                           "fill it in, or remove the line")
        return Problem(source, line, "invalid-length",
                       f"`{name}` must be {bound} {err.validator_value} characters",
                       "shorten it, or move long text into the body" if v == "maxLength" else "fill it in")
    return Problem(source, line, "invalid-value", f"`{name}`: {err.message[:200]}", "see docs/format.md")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _normalise(fm: dict, severities: tuple[str, ...]) -> dict:
    """Forgive what has one obvious meaning: `sev1` for `SEV1`, `Published` for `published`,
    a date-time given as the incident `date` (its day is the date)."""
    out = dict(fm)
    if isinstance(out.get("date"), dt.datetime):
        out["date"] = out["date"].date()
    for key, allowed in (("severity", severities), ("status", ("draft", "in-review", "published"))):
        value = out.get(key)
        if isinstance(value, str) and value not in allowed:
            match = [a for a in allowed if a.casefold() == value.strip().casefold()]
            if match:
                out[key] = match[0]
    return out


def build_postmortem(doc, taxonomy: Taxonomy, config: KBConfig, stem: str,
                     path: Path, digest: str = "") -> Postmortem:
    """A checked SourceDocument -> Postmortem with its per-file problems attached."""
    source = doc.path
    fm = doc.front_matter
    problems: list[Problem] = []

    def add(line: int, code: str, message: str, hint: str = "", severity: str = ERROR) -> None:
        problems.append(Problem(source, line, code, message, hint, severity))

    severities = tuple(taxonomy.severity_ids)
    fm = _normalise(fm, severities)
    data = to_json_value(fm)
    errors = [] if _quick_check(severities)(data) else sorted(
        _validator(severities).iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    seen: set[tuple] = set()
    left_empty: set[Problem] = set()
    for err in errors:
        problem = _schema_problem(err, doc.lines, source, taxonomy.severity_ids)
        if (problem.line, problem.code) not in seen:
            seen.add((problem.line, problem.code))
            problems.append(problem)
            if err.validator == "minLength" and err.instance == "":
                left_empty.add(problem)  # an optional field left empty, as `pmkb new` writes it
    bad_fields = {tuple(e.absolute_path)[:1] for e in errors}
    problems.extend(control_characters_in_values(fm, doc.line_of, source))
    problems.extend(control_characters_in_text(doc.body, doc.body_line, source, "the write-up"))
    problems.extend(structure_limits(doc.body, doc.body_line, source))

    def ok(name: str) -> bool:
        return (name,) not in bad_fields and () not in bad_fields or name not in fm

    pm_id = fm.get("id") if isinstance(fm.get("id"), str) else stem
    if "id" not in fm and not is_valid_id(stem):
        add(1, "invalid-id", f"the file name `{stem}` is not a valid id and the front matter sets none",
            f"rename the file to `{slugify(stem) or 'incident'}.md` or add `id: {slugify(stem) or 'incident'}`")
    raw_date = fm.get("date")
    date = raw_date if isinstance(raw_date, dt.date) and not isinstance(raw_date, dt.datetime) else None
    if date is None and isinstance(fm.get("date"), str) and ok("date"):
        try:
            date = dt.date.fromisoformat(fm["date"])
        except ValueError:
            pass
    if date is not None and not MIN_YEAR <= date.year <= MAX_YEAR:
        add(doc.line_of(("date",)), "invalid-date", f"`date` is in the year {date.year}; dates from "
            f"{MIN_YEAR} to {MAX_YEAR} are accepted", "write the real date of the incident as YYYY-MM-DD")
        date = None
    tzinfo = None
    if isinstance(fm.get("timezone"), str):
        try:
            tzinfo = parse_offset(fm["timezone"])
        except TimeParseError as exc:
            add(doc.line_of(("timezone",)), "invalid-timezone", str(exc),
                "write an offset from -12:00 to +14:00 like +03:00, or a name like Europe/Berlin")

    def terms(kind: str) -> list[str]:
        raw = fm.get(kind)
        if not isinstance(raw, list):
            return []
        out: list[str] = []
        for i, value in enumerate(raw):
            if not isinstance(value, str) or not value.strip():
                continue
            if value.strip().upper() == "TODO":
                add(doc.line_of((kind, i)), "todo", f"`{kind}` still says TODO",
                    f"name the {KIND_SINGULAR[kind]} from taxonomy.yml")
                continue
            slug = taxonomy.resolve(kind, value)
            if slug is None:
                guesses = taxonomy.suggest(kind, value)
                hint = (f"did you mean `{guesses[0]}`?" if guesses else
                        f"add `{slugify(value)}` to {kind} in taxonomy.yml")
                add(doc.line_of((kind, i)), "unknown-term",
                    f"`{value}` is not a known {KIND_SINGULAR[kind]}", hint,
                    ERROR if config.strict_terms else WARNING)
                continue
            if slug not in out:
                out.append(slug)
        return out

    items: list[ActionItem] = []
    raw_items = fm.get("action_items") if isinstance(fm.get("action_items"), list) else []
    for i, raw in enumerate(raw_items):
        if not isinstance(raw, dict) or not isinstance(raw.get("title"), str):
            continue
        action = None
        if isinstance(raw.get("action"), str) and raw["action"].strip():
            action = taxonomy.resolve("actions", raw["action"])
            if action is None:
                guesses = taxonomy.suggest("actions", raw["action"])
                add(doc.line_of(("action_items", i, "action")), "unknown-term",
                    f"`{raw['action']}` is not a known action category",
                    f"did you mean `{guesses[0]}`?" if guesses else
                    f"add `{slugify(raw['action'])}` to actions in taxonomy.yml",
                    ERROR if config.strict_terms else WARNING)
        due = raw.get("due") if isinstance(raw.get("due"), dt.date) else None
        if due is not None and not MIN_YEAR <= due.year <= MAX_YEAR:
            add(doc.line_of(("action_items", i, "due")), "invalid-date", f"`due` is in the year {due.year}; "
                f"dates from {MIN_YEAR} to {MAX_YEAR} are accepted", "write the due date as YYYY-MM-DD")
            due = None
        items.append(ActionItem(
            title=raw["title"], type=_text(raw.get("type")) or "corrective", action=action,
            owner=_text(raw.get("owner")) or None, status=_text(raw.get("status")) or "open", due=due,
            ticket=_text(raw.get("ticket")) or None, line=doc.line_of(("action_items", i)), index=i,
            postmortem_id=pm_id))

    # What readers never see never reaches the model: pages, feeds, JSON, exports and the search
    # index all read the body and sections from here.
    body = strip_comments(doc.body)
    sections = split_sections(body, doc.body_line)
    timeline_section = next((s for s in sections if s.key == "timeline"), None)
    events = []
    if timeline_section is not None:
        events, tl_problems = parse_timeline(timeline_section.text, timeline_section.text_line, date, tzinfo)
        placeholders = [e for e in events if _is_placeholder(e.text)]
        for event in placeholders:
            add(event.line, "todo", "a timeline entry still says TODO",
                "write what happened at that time, or remove the entry")
        # A placeholder's time (`00:00 [start] TODO`) is no moment of the incident: no "0m" durations.
        events = [e for e in events if e not in placeholders]
        for found in tl_problems:
            line, message, code = found.line, found.message, found.code
            add(line, code, message, "put the entries in order; past midnight write the full date "
                "(YYYY-MM-DD HH:MM)" if code == "timeline-backwards" else
                "start each entry with a time: 10:44, 10:44 (UTC +03:00), 2024-03-14 10:44")

    metrics = Metrics()
    for name in TIME_FIELDS:
        moment = MOMENTS[name]["marker"]
        value = fm.get(name)
        at = None
        if isinstance(value, (str, dt.datetime)) and ok(name):
            try:
                at = value if isinstance(value, dt.datetime) else parse_datetime(value, tzinfo)
                if at.tzinfo is None:
                    at = at.replace(tzinfo=tzinfo or dt.timezone.utc)
                at = fixed_offset(at)
                check_year(at.astimezone(dt.timezone.utc), "the time")
            except (TimeParseError, ValueError, OverflowError) as exc:
                reason = "the date is out of range" if isinstance(exc, OverflowError) else exc
                add(doc.line_of((name,)), "invalid-time", f"`{name}`: {reason}",
                    "write YYYY-MM-DDTHH:MM+HH:MM, e.g. 2024-03-14T10:44:00+03:00")
                at = None
        if at is None:
            marked = [e for e in events if e.moment == moment and e.at is not None]
            if len(marked) > 1:
                add(marked[1].line, "duplicate-moment", f"more than one timeline entry is marked [{moment}]",
                    "mark only one entry per key moment", WARNING)
            if marked:
                at = marked[0].at
            elif moment == "start":
                at = next((e.at for e in events if e.at is not None), None)
        setattr(metrics, name, at)
    for name, label in ((n, MOMENTS[n]["label"]) for n in TIME_FIELDS if n != "started_at"):
        at = getattr(metrics, name)
        if at is not None and metrics.started_at is not None and at < metrics.started_at:
            line = doc.lines.get((name,)) or next((e.line for e in events if e.moment == label), 1)
            add(line, "negative-duration", f"the incident is {label} before it started "
                f"({at.isoformat()} < {metrics.started_at.isoformat()})",
                "check the times, dates and timezone of the key moments")
    if metrics.resolved_at and metrics.detected_at and metrics.resolved_at < metrics.detected_at:
        add(doc.lines.get(("resolved_at",), 1), "moment-order", "the incident is resolved before it was detected",
            "check the [detected] and [resolved] times")

    for key in REQUIRED_SECTIONS:
        section = next((s for s in sections if s.key == key), None)
        if section is None:
            add(doc.body_line, "missing-section", f"the `## {SECTION_TITLES[key]}` section is missing",
                f"add `## {SECTION_TITLES[key]}` with a few sentences")
        elif not _meaningful(section.text):
            add(section.line, "empty-section", f"the `## {section.title}` section is empty",
                "write what happened here, or remove the TODO")
    for key in RECOMMENDED_SECTIONS:
        section = next((s for s in sections if s.key == key), None)
        if section is not None and not _meaningful(section.text):
            add(section.line, "empty-section", f"the `## {section.title}` section is empty",
                "fill it in or remove the heading", WARNING)
    problems.extend(_repeated_text(sections, source))
    problems.extend(attachment_problems(doc.body, doc.body_line, path, config.postmortems_path,
                                        config.root, source))
    for i, raw in enumerate(raw_items):
        if isinstance(raw, dict) and "TODO" in _text(raw.get("title")):
            add(doc.line_of(("action_items", i, "title")), "todo", "an action item still says TODO",
                "write the action item or remove it")
    for i, raw in enumerate(raw_items):
        if isinstance(raw, dict) and isinstance(raw.get("ticket"), str) and _UNSAFE_URL.match(raw["ticket"]):
            add(doc.line_of(("action_items", i, "ticket")), "unsafe-url",
                "the ticket is a javascript:, data:, vbscript: or file: link",
                "give the ticket id (OPS-123) or an https:// link")
    for key in ("title", "impact", "trigger", "detection"):
        if isinstance(fm.get(key), str) and "TODO" in fm[key]:
            add(doc.line_of((key,)), "todo", f"`{key}` still says TODO", f"fill in `{key}`")

    stated = _stated_durations(fm, doc, sections)
    for key, (length, line) in stated.items():
        computed = getattr(metrics, key)
        # "failed for 12 minutes" may mean until mitigated: only a length that is neither is a disagreement
        others = [metrics.time_to_mitigate] if key == "impact_duration" else []
        if computed is not None and disagrees(length, computed) and \
                all(other is None or disagrees(length, other) for other in others):
            add(line, "duration-mismatch", f"the write-up says {DURATIONS[key]} is {format_duration(length)}; "
                f"the timeline gives {format_duration(computed)}",
                "correct the sentence or the timeline; the site shows both", WARNING)
    components, root_causes = terms("components"), terms("root_causes")
    if (_text(fm.get("status")) or "published") == "draft":
        problems[:] = [_as_draft_warning(p, left_empty) for p in problems]

    pm = Postmortem(
        id=pm_id, path=path, source=source, title=_text(fm.get("title")).strip(),
        date=date or dt.date(1970, 1, 1), severity=_text(fm.get("severity")),
        status=_text(fm.get("status")) or "published",
        authors=_texts(fm.get("authors")),
        components=components, root_causes=root_causes,
        trigger=_text(fm.get("trigger")), detection=_text(fm.get("detection")), impact=_text(fm.get("impact")),
        tags=[t for t in fm.get("tags") or [] if isinstance(t, str)] if isinstance(fm.get("tags"), list) else [],
        related=_texts(fm.get("related")),
        timezone=fm.get("timezone") if isinstance(fm.get("timezone"), str) else None, tzinfo=tzinfo,
        action_items=items, body=body, body_line=doc.body_line, sections=sections, timeline=events,
        metrics=metrics, front_matter=fm, lines=doc.lines, digest=digest, problems=problems,
        date_approximate=fm.get("date_approximate") is True,
        stated_durations={key: length for key, (length, _) in stated.items()})
    return pm


def _stated_durations(fm: dict, doc, sections) -> dict:
    """Durations stated in the impact field and the body; "for N minutes" counts as the impact's
    length only where the write-up talks about the impact (the field, Summary and Impact)."""
    pieces = []
    if isinstance(fm.get("impact"), str):
        pieces.append((doc.line_of(("impact",)), fm["impact"], True))
    pieces += [(s.text_line, s.text, s.key in ("summary", "impact", None)) for s in sections
               if s.key != "timeline"]
    return stated_durations(pieces)


# In a draft these say "not finished yet", which is what a draft is: warnings, so that a draft can be
# merged and previewed. What stops the file being read or the site being built stays an error.
DRAFT_WARNINGS = frozenset({"todo", "empty-section", "missing-section", "repeated-text"})


def _as_draft_warning(problem: Problem, left_empty: set[Problem]) -> Problem:
    if (problem.code in DRAFT_WARNINGS or problem in left_empty) and problem.is_error:
        return Problem(problem.path, problem.line, problem.code, problem.message, problem.hint, WARNING)
    return problem


def _is_placeholder(text: str) -> bool:
    return _PLACEHOLDER.fullmatch(text) is not None


_PLACEHOLDER = re.compile(r"[\s*_`.:-]*(?:TODO|TBD|FIXME)[\s*_`.:!-]*", re.I)


def _meaningful(text: str) -> bool:
    stripped = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    stripped = re.sub(r"\bTODO\b[:.]?", "", stripped).strip(" \n\t-*>_")
    return bool(stripped)


_PUNCTUATION = re.compile(r"[^\w\s]")


def _norm(text: str) -> str:
    return " ".join(_PUNCTUATION.sub("", text.lower()).split())


def _repeated_text(sections, source: str) -> list[Problem]:
    """A paragraph that appears word for word in two sections (a copy-paste slip)."""
    first_seen: dict[str, Any] = {}
    out: list[Problem] = []
    for section in sections:
        for para in re.split(r"\n\s*\n", section.text):
            key = _norm(para)
            if len(key) < _MIN_REPEAT_CHARS:
                continue
            earlier = first_seen.get(key)
            if earlier is not None and earlier is not section:
                name = earlier.title or "the introduction"
                out.append(Problem(source, section.line, "repeated-text",
                                   f"a paragraph of `## {section.title}` repeats `## {name}` word for word",
                                   "say what this section adds, or remove the copy", WARNING))
                break
            first_seen.setdefault(key, section)
    return out


def _texts(value: object) -> list[str]:
    """The text items of a front-matter list (anything else the schema has already reported)."""
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def load_file(path: Path, taxonomy: Taxonomy, config: KBConfig) -> Postmortem | list[Problem]:
    """One file -> a Postmortem (possibly with problems), or the problems that stopped it."""
    source = display_path(path, config.root)
    try:
        data = read_regular_file(path, MAX_FILE_BYTES)
    except FileRefused as exc:
        if exc.reason == "too-large":
            return [Problem(source, 1, "file-too-large", exc.message,
                            "move logs and dumps out of the postmortem and link to them")]
        return [Problem(source, 1, "not-a-file", exc.message,
                        "postmortems are Markdown files; remove it from the postmortems folder")]
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return [Problem(source, 1, "symlink-loop", "the file is a symlink that leads back to itself",
                            "remove the link, or point it at the postmortem it stands for")]
        return [Problem(source, 1, "unreadable", f"cannot read the file: {exc.strerror or exc}",
                        "check the file exists and is readable")]
    try:
        doc = read_source(data, source)
    except PostmortemError as exc:
        return exc.problems
    return build_postmortem(doc, taxonomy, config, path.stem, path, hashlib.sha1(data).hexdigest())


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
        extra = [Path(p) for p in paths]
        files = list(dict.fromkeys(files + [p for p in extra if p.resolve() not in {f.resolve() for f in files}]))
    loaded: list[Postmortem] = []
    for path in files:
        result = load_file(path, taxonomy, config)
        if isinstance(result, list):
            problems.extend(result)
        else:
            loaded.append(result)
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


def check_kb(postmortems: list[Postmortem]) -> None:
    """Checks across postmortems: unique ids, `related` ids that exist and are not self."""
    first: dict[str, Postmortem] = {}
    for pm in postmortems:
        if not is_valid_id(pm.id):
            continue
        if pm.id in first:
            other = first[pm.id]
            pm.problems.append(Problem(pm.source, pm.line_of("id"), "duplicate-id",
                                       f"id `{pm.id}` is already used by {other.source}",
                                       "give one of them another id (ids are URLs: keep the older one)"))
            other.problems.append(Problem(other.source, other.line_of("id"), "duplicate-id",
                                          f"id `{pm.id}` is also used by {pm.source}",
                                          "give one of them another id", WARNING))
        else:
            first[pm.id] = pm
    for pm in postmortems:
        for i, rid in enumerate(pm.related):
            line = pm.line_of("related", i)
            if rid == pm.id:
                pm.problems.append(Problem(pm.source, line, "related-self", "a postmortem lists itself as related",
                                           "remove its own id from `related`"))
            elif rid not in first:
                close = difflib.get_close_matches(rid, list(first), n=1)
                pm.problems.append(Problem(pm.source, line, "unknown-related", f"related id `{rid}` does not exist",
                                           f"did you mean `{close[0]}`?" if close
                                           else "use the id of an existing postmortem"))
