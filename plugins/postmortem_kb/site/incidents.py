"""Incident pages: the header card, the write-up, the timeline, action items and related
incidents of one postmortem; and the list of every incident."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from ..model import ActionItem, Postmortem
from ..timeline import Section
from . import GeneratedPage, SiteOptions, generator
from .common import (INCIDENTS, Paths, body_fence, duration, elapsed, format_moment, incident_path, site_data,
                     site_path)


@dataclass
class BodyPart:
    """A piece of the write-up: the writer's Markdown (``markdown``), or our drawn timeline."""

    kind: str  # "markdown" | "timeline"
    markdown: str = ""


def body_parts(pm: Postmortem, options: SiteOptions, pages_by_file: dict[Path, str]) -> list[BodyPart]:
    """The write-up section by section, each fenced for the sanitizer; the timeline section is
    replaced by the drawn timeline when its entries could be read."""
    fence = body_fence(options)
    here = site_path(options, incident_path(pm.id))
    parts: list[BodyPart] = []
    for section in pm.sections:
        if section.key == "timeline" and pm.timeline:
            # The writer's heading, then the entries drawn as a strip and a table.
            parts += [BodyPart("markdown", fence.wrap(f"## {section.title}")), BodyPart("timeline")]
            continue
        text = rewrite_postmortem_links(_section_markdown(section), pm.path.parent, here, pages_by_file)
        parts.append(BodyPart("markdown", fence.wrap(text)))
    return parts


# A link to a Markdown file, inline `[text](../2021/x.md#a "title")` or as a reference definition.
_INLINE = re.compile(r"(?<!!)\[(?P<text>[^\]\n]*)\]\(\s*<?(?P<target>[^)\s<>]+?\.md)(?P<anchor>#[^)\s>]*)?>?"
                     r"(?P<title>\s+\"[^\"\n]*\")?\s*\)")
_DEFINITION = re.compile(r"^(?P<lead>[ ]{0,3}\[[^\]\n]+\]:[ \t]*<?)(?P<target>[^\s<>]+?\.md)(?P<anchor>#\S*?)?"
                         r"(?P<rest>>?(?:[ \t].*)?)$", re.M)
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:", re.I)


def rewrite_postmortem_links(markdown: str, folder: Path, here: str, pages_by_file: dict[Path, str]) -> str:
    """Writers link postmortems to each other as files (``../2021/x.md``, which also works on a Git
    host); on the site such a link goes to the incident's page. A relative ``.md`` link to anything
    the site does not publish (a draft, a rejected or missing file) keeps its text, loses the link."""

    def page_for(target: str) -> str | None:
        try:
            page = pages_by_file.get((folder / unquote(target)).resolve())
        except (OSError, ValueError):
            return None
        return None if page is None else posixpath.relpath(page, posixpath.dirname(here) or ".")

    def inline(m: re.Match) -> str:
        if _SCHEME.match(m.group("target")):
            return m.group(0)
        link = page_for(m.group("target"))
        if link is None:
            return m.group("text")
        return f"[{m.group('text')}]({link}{m.group('anchor') or ''}{m.group('title') or ''})"

    def definition(m: re.Match) -> str:
        if _SCHEME.match(m.group("target")):
            return m.group(0)
        link = page_for(m.group("target"))
        return "" if link is None else f"{m.group('lead')}{link}{m.group('anchor') or ''}{m.group('rest')}"

    return _DEFINITION.sub(definition, _INLINE.sub(inline, markdown))


def _section_markdown(section: Section) -> str:
    text = close_code_fences(section.text)
    return f"## {section.title}\n\n{text}" if section.title else text


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def close_code_fences(markdown: str) -> str:
    """Close a code block left open at the end of a section: otherwise it would swallow what
    follows, including the fence marker that tells the sanitizer where the writer's part ends."""
    opened: str | None = None
    for line in markdown.split("\n"):
        m = _FENCE.match(line)
        if not m:
            continue
        mark = m.group(1)
        if opened is None:
            opened = mark
        elif mark[0] == opened[0] and len(mark) >= len(opened) and not line.strip()[len(mark):].strip():
            opened = None
    return markdown if opened is None else f"{markdown}\n{opened}"


@dataclass
class TimelineRow:
    time: str
    since_start: str
    text: str
    moment: str | None
    line: int


def timeline_rows(pm: Postmortem) -> list[TimelineRow]:
    start = pm.metrics.started_at
    rows = []
    for event in pm.timeline:
        when = event.at.astimezone(pm.tzinfo) if event.at is not None and pm.tzinfo else event.at
        shown = event.time_text
        if when is not None:
            shown = f"{when:%H:%M}" if when.date() == pm.date else f"{when:%Y-%m-%d %H:%M}"
        rows.append(TimelineRow(shown, elapsed(event.at, start), event.text, event.moment, event.line))
    return rows


def timeline_strip(pm: Postmortem) -> list[dict]:
    """Key moments placed along the incident, as percentages from its start to its last event."""
    start = pm.metrics.started_at
    times = [e.at for e in pm.timeline if e.at is not None]
    moments = [(name, getattr(pm.metrics, f"{name}_at")) for name in ("started", "detected", "mitigated", "resolved")]
    if start is None or not times:
        return []
    end = max(times + [m for _, m in moments if m is not None])
    span = (end - start).total_seconds()
    marks = []
    for name, at in moments:
        if at is None:
            continue
        left = 0.0 if span <= 0 else round(max(0.0, min(1.0, (at - start).total_seconds() / span)) * 100, 2)
        marks.append({"moment": name, "left": left, "label": f"{name.capitalize()} {elapsed(at, start)}".strip()})
    return marks


def action_rows(items: list[ActionItem], today, crosslinks) -> list[dict]:
    return [{"item": a, "overdue": a.is_overdue(today),
             "category": crosslinks.entry("actions", a.action) if a.action else None} for a in items]


def meta_line(pm: Postmortem, root_cause_titles: list[str]) -> str:
    """``SEV2 · 2023-05-01 · Hardware failure``: what a search result shows first."""
    return " · ".join([pm.severity, pm.date.isoformat(), *root_cause_titles])


@generator
def incident_pages(kb, options: SiteOptions):
    data = site_data(kb, options)
    limit = int(options.extra.get("related_limit", 5))
    pages_by_file = {pm.path.resolve(): site_path(options, incident_path(pm.id)) for pm in data.postmortems}
    for pm in data.postmortems:
        terms = data.crosslinks.terms_of(pm)
        metrics = pm.metrics
        facts = [
            ("Started", format_moment(metrics.started_at, pm.tzinfo)),
            ("Impact duration", duration(metrics.impact_duration)),
            ("Time to detect", duration(metrics.time_to_detect)),
            ("Time to mitigate", duration(metrics.time_to_mitigate)),
            ("Time to resolve", duration(metrics.time_to_resolve)),
        ]
        yield GeneratedPage(
            path=site_path(options, incident_path(pm.id)), template="incident.md.j2", title=pm.title,
            context={
                "pm": pm, "terms": terms, "facts": [f for f in facts if f[1]],
                "meta_line": meta_line(pm, [e.title for e in terms["root_causes"]]),
                "recurrences": data.crosslinks.recurrences(pm),
                "related": data.similarity.related(pm, limit),
                "parts": body_parts(pm, options, pages_by_file), "timeline": timeline_rows(pm),
                "strip": timeline_strip(pm), "actions": action_rows(pm.action_items, data.today, data.crosslinks),
                "paths": Paths(options),
                # What a search index should hold: incidents, not listings of them.
                "wrapper": {"css_class": "pmkb-incident", "search_body": True},
            })


@generator
def incident_list(kb, options: SiteOptions):
    data = site_data(kb, options)
    yield GeneratedPage(
        path=site_path(options, f"{INCIDENTS}/index.md"), template="incidents.md.j2", title="Incidents",
        context={"postmortems": data.postmortems, "crosslinks": data.crosslinks, "paths": Paths(options)})
