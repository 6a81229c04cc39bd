"""Field rules: the front-matter values the schema cannot judge alone.

The schema says a value has the right shape; these rules read it as the model needs it (a date
in the accepted years, a timezone that exists, taxonomy terms, action items) and say what is
wrong with it. Each returns ``(value, problems)``: the value is what the model keeps (None or
empty when the writer's value cannot be used), so that one bad field never hides the others.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from ..model import STATUSES, ActionItem
from ..problems import ERROR, WARNING, Problem
from ..slugs import is_valid_id, slugify
from ..taxonomy import KIND_SINGULAR, Taxonomy
from ..timeline import MAX_YEAR, MIN_YEAR, TimeParseError, parse_offset

LineOf = Callable[[tuple], int]  # the file line of a front-matter path (SourceDocument.line_of)

_UNSAFE_URL = re.compile(r"\s*(javascript|data|vbscript|file)\s*:", re.I)


def text(value: Any) -> str:
    return "" if value is None else str(value)


def texts(value: object) -> list[str]:
    """The text items of a front-matter list (anything else the schema has already reported)."""
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def normalise(fm: dict, severities: tuple[str, ...]) -> dict:
    """Forgive what has one obvious meaning: `sev1` for `SEV1`, `Published` for `published`,
    a date-time given as the incident `date` (its day is the date)."""
    out = dict(fm)
    if isinstance(out.get("date"), dt.datetime):
        out["date"] = out["date"].date()
    for key, allowed in (("severity", severities), ("status", STATUSES)):
        value = out.get(key)
        if isinstance(value, str) and value not in allowed:
            match = [a for a in allowed if a.casefold() == value.strip().casefold()]
            if match:
                out[key] = match[0]
    return out


def postmortem_id(fm: dict, stem: str, source: str) -> tuple[str, list[Problem]]:
    """The id: the front matter's, else the file name's (which must then be a valid id)."""
    value = fm.get("id")
    if isinstance(value, str):
        return value, []
    problems = []
    if "id" not in fm and not is_valid_id(stem):
        slug = slugify(stem) or "incident"
        problems.append(Problem(source, 1, "invalid-id",
                                f"the file name `{stem}` is not a valid id and the front matter sets none",
                                f"rename the file to `{slug}.md` or add `id: {slug}`"))
    return stem, problems


def incident_date(fm: dict, usable: bool, line_of: LineOf, source: str) -> tuple[dt.date | None, list[Problem]]:
    """The incident's date, if it is a real one in the accepted years."""
    raw = fm.get("date")
    date = raw if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime) else None
    if date is None and isinstance(raw, str) and usable:
        try:
            date = dt.date.fromisoformat(raw)
        except ValueError:
            pass
    if date is not None and not MIN_YEAR <= date.year <= MAX_YEAR:
        return None, [Problem(source, line_of(("date",)), "invalid-date",
                              f"`date` is in the year {date.year}; dates from {MIN_YEAR} to {MAX_YEAR} are accepted",
                              "write the real date of the incident as YYYY-MM-DD")]
    return date, []


def timezone(fm: dict, line_of: LineOf, source: str) -> tuple[dt.tzinfo | None, list[Problem]]:
    """The timezone bare times are in (an offset or an IANA name)."""
    value = fm.get("timezone")
    if not isinstance(value, str):
        return None, []
    try:
        return parse_offset(value), []
    except TimeParseError as exc:
        return None, [Problem(source, line_of(("timezone",)), "invalid-timezone", str(exc),
                              "write an offset from -12:00 to +14:00 like +03:00, or a name like Europe/Berlin")]


def terms(fm: dict, kind: str, taxonomy: Taxonomy, strict: bool, line_of: LineOf,
          source: str) -> tuple[list[str], list[Problem]]:
    """The taxonomy slugs of a term list (``components``, ``root_causes``), once each, in order."""
    raw = fm.get(kind)
    if not isinstance(raw, list):
        return [], []
    out: list[str] = []
    problems: list[Problem] = []
    for i, value in enumerate(raw):
        if not isinstance(value, str) or not value.strip():
            continue
        if value.strip().upper() == "TODO":
            problems.append(Problem(source, line_of((kind, i)), "todo", f"`{kind}` still says TODO",
                                    f"name the {KIND_SINGULAR[kind]} from taxonomy.yml"))
            continue
        slug = taxonomy.resolve(kind, value)
        if slug is None:
            guesses = taxonomy.suggest(kind, value)
            hint = f"did you mean `{guesses[0]}`?" if guesses else f"add `{slugify(value)}` to {kind} in taxonomy.yml"
            problems.append(Problem(source, line_of((kind, i)), "unknown-term",
                                    f"`{value}` is not a known {KIND_SINGULAR[kind]}", hint,
                                    ERROR if strict else WARNING))
            continue
        if slug not in out:
            out.append(slug)
    return out, problems


def action_items(fm: dict, taxonomy: Taxonomy, strict: bool, pm_id: str, line_of: LineOf,
                 source: str) -> tuple[list[ActionItem], list[Problem]]:
    """The action items with a title; their category resolved, their due date in the accepted years,
    no TODO title and no script link as the ticket."""
    raw_items = fm.get("action_items")
    if not isinstance(raw_items, list):
        return [], []
    items: list[ActionItem] = []
    problems: list[Problem] = []
    for i, raw in enumerate(raw_items):
        if not isinstance(raw, dict):
            continue
        title = raw.get("title")
        if isinstance(title, str) and "TODO" in title:
            problems.append(Problem(source, line_of(("action_items", i, "title")), "todo",
                                    "an action item still says TODO", "write the action item or remove it"))
        ticket = raw.get("ticket")
        if isinstance(ticket, str) and _UNSAFE_URL.match(ticket):
            problems.append(Problem(source, line_of(("action_items", i, "ticket")), "unsafe-url",
                                    "the ticket is a javascript:, data:, vbscript: or file: link",
                                    "give the ticket id (OPS-123) or an https:// link"))
        if not isinstance(title, str):
            continue
        action = None
        category = raw.get("action")
        if isinstance(category, str) and category.strip():
            action = taxonomy.resolve("actions", category)
            if action is None:
                guesses = taxonomy.suggest("actions", category)
                problems.append(Problem(source, line_of(("action_items", i, "action")), "unknown-term",
                                        f"`{category}` is not a known action category",
                                        f"did you mean `{guesses[0]}`?" if guesses else
                                        f"add `{slugify(category)}` to actions in taxonomy.yml",
                                        ERROR if strict else WARNING))
        due = raw.get("due") if isinstance(raw.get("due"), dt.date) else None
        if due is not None and not MIN_YEAR <= due.year <= MAX_YEAR:
            problems.append(Problem(source, line_of(("action_items", i, "due")), "invalid-date",
                                    f"`due` is in the year {due.year}; dates from {MIN_YEAR} to {MAX_YEAR} are "
                                    "accepted", "write the due date as YYYY-MM-DD"))
            due = None
        items.append(ActionItem(
            title=title, type=text(raw.get("type")) or "corrective", action=action,
            owner=text(raw.get("owner")) or None, status=text(raw.get("status")) or "open", due=due,
            ticket=text(ticket) or None, line=line_of(("action_items", i)), index=i, postmortem_id=pm_id))
    return items, problems


def todo_fields(fm: dict, line_of: LineOf, source: str) -> list[Problem]:
    """Text fields that still say TODO."""
    return [Problem(source, line_of((key,)), "todo", f"`{key}` still says TODO", f"fill in `{key}`")
            for key in ("title", "impact", "trigger", "detection")
            if isinstance(fm.get(key), str) and "TODO" in fm[key]]
