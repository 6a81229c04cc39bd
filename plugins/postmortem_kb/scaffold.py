"""Writing new postmortems from the shipped template."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jinja2

from .loader import KBConfig
from .slugs import slugify
from .taxonomy import Taxonomy


class ScaffoldError(Exception):
    """A new postmortem could not be written; the message says why and what to do."""


def template_env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("postmortem_kb", "templates"),
                              keep_trailing_newline=True, autoescape=False,
                              undefined=jinja2.StrictUndefined)


def render_new(title: str, taxonomy: Taxonomy, *, date: dt.date, pm_id: str,
               timezone: str = "+00:00", author: str = "") -> str:
    return template_env().get_template("new.md.j2").render(
        id=pm_id, title=title, date=date.isoformat(), timezone=timezone, author=author,
        severities=taxonomy.severity_ids,
        root_causes=list(taxonomy.terms["root_causes"]), components=list(taxonomy.terms["components"]),
        actions=list(taxonomy.terms["actions"]))


def new_postmortem(config: KBConfig, taxonomy: Taxonomy, title: str, *, date: dt.date,
                   pm_id: str | None = None, timezone: str = "+00:00", author: str = "",
                   folder: Path | None = None) -> Path:
    """Write ``postmortems/<year>/<id>.md``; refuses to overwrite an existing file.

    The id starts with the incident date (``2025-03-14-checkout-errors``), so the same title on
    another day is another incident.
    """
    title = title.strip()
    if not title:
        raise ScaffoldError("the title is empty; give one: pmkb new \"Checkout errors after deploy\"")
    if not pm_id:
        words = slugify(title)
        if not words:
            raise ScaffoldError(f"cannot make an id from {title!r}; pass --id some-words")
        pm_id = f"{date.isoformat()}-{words}"
    base = config.postmortems_path
    folder = folder if folder is not None else base / str(date.year)
    target = (folder / f"{pm_id}.md").resolve()
    if not target.is_relative_to(base):
        raise ScaffoldError(f"{target} is outside the postmortems folder {base}")
    if target.exists():
        raise ScaffoldError(f"{target} already exists; choose another --id or edit that file")
    existing = {p.stem for p in base.rglob("*.md")} if base.exists() else set()
    if pm_id in existing:
        raise ScaffoldError(f"a postmortem with id `{pm_id}` already exists; pass --id to choose another")
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "x", encoding="utf-8") as fh:
        fh.write(render_new(title, taxonomy, date=date, pm_id=pm_id, timezone=timezone, author=author))
    return target
