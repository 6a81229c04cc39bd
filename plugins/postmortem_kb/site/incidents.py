"""Incident pages: the header card, the write-up, the timeline, action items and related
incidents of one postmortem; and the list of every incident."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

from ..attachments import (Attachment, BodyLink, Refusal, find_attachment, is_page_link, postmortem_folder,
                           relative_file_link, rewrite_links)
from ..model import ActionItem, Postmortem
from ..timeline import Section
from . import GeneratedFile, GeneratedPage, SiteOptions, generator
from .common import (INCIDENTS, Paths, body_fence, duration, elapsed, format_moment, incident_path, site_data,
                     site_path)


@dataclass
class BodyPart:
    """A piece of the write-up: the writer's Markdown (``markdown``), or our drawn timeline."""

    kind: str  # "markdown" | "timeline"
    markdown: str = ""


def body_parts(pm: Postmortem, options: SiteOptions, targets: LinkTargets) -> list[BodyPart]:
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
        text = rewrite_postmortem_links(_section_markdown(section), pm.path, here, targets)
        parts.append(BodyPart("markdown", fence.wrap(text)))
    return parts


FILES = f"{INCIDENTS}/files"  # attachments, under their path in the postmortems folder


@dataclass
class LinkTargets:
    """What a write-up's relative links can reach on the site: the incident pages (by the
    postmortem's file) and the attachments in the postmortems folder. ``published`` collects
    the attachments the rewritten links point to, so that only those are copied."""

    pages_by_file: dict[Path, str]
    postmortems: Path
    root: Path
    options: SiteOptions
    published: dict[str, Attachment] = field(default_factory=dict)  # site path -> file


def rewrite_postmortem_links(markdown: str, path: Path, here: str, targets: LinkTargets) -> str:
    """Writers link postmortems to each other as files (``../2021/x.md``) and their graphs and
    logs as files beside them (``img/latency.png``), which also works on a Git host. On the
    site such a link goes to the incident's page, or to the attachment's published copy. A
    relative link to anything the site does not publish (a draft, a rejected or missing file,
    a type that is not published) keeps its text and loses the link; the loader reports the
    attachments (`missing-attachment`)."""
    folder = postmortem_folder(path, targets.postmortems)
    directory_urls = bool(targets.options.extra.get("directory_urls", True))

    def href(target: str, raw_html: bool) -> str:
        # Markdown links name the file and MkDocs turns them into URLs; raw HTML is passed
        # through as it is, so its URL must already be the one the browser follows.
        if not raw_html:
            return posixpath.relpath(target, posixpath.dirname(here) or ".")
        page, url = _served_at(here, directory_urls), _served_at(target, directory_urls)
        rel = posixpath.relpath(url, page if page.endswith("/") else posixpath.dirname(page) or ".")
        return f"{rel}/" if url.endswith("/") else rel

    def resolve(link: BodyLink) -> str | None:
        split = relative_file_link(link.url)
        if split is None:
            return link.url
        target, rest = split
        if is_page_link(target):
            if link.kind == "image":
                return link.url
            try:
                page = targets.pages_by_file.get((path.parent / unquote(target)).resolve())
            except (OSError, ValueError):
                return None
            return None if page is None else href(page, link.kind == "html") + rest
        if folder is None:
            return None
        found = find_attachment(target, folder, targets.postmortems, targets.root)
        if isinstance(found, Refusal):
            return None
        published = site_path(targets.options, f"{FILES}/{found.name}")
        targets.published.setdefault(published, found)
        return quote(href(published, link.kind == "html")) + rest

    return rewrite_links(markdown, resolve)


def _served_at(src: str, directory_urls: bool) -> str:
    """Where a page or file of the site is served, as MkDocs places it (``incidents/x/``)."""
    if not src.endswith(".md"):
        return src
    if not directory_urls:
        return f"{src[:-3]}.html"
    folder, name = posixpath.split(src[:-3])
    return f"{folder}/" if name == "index" else f"{src[:-3]}/"


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
    targets = LinkTargets(pages_by_file, kb.config.postmortems_path, kb.config.root.resolve(), options)
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
                "parts": body_parts(pm, options, targets), "timeline": timeline_rows(pm),
                "strip": timeline_strip(pm), "actions": action_rows(pm.action_items, data.today, data.crosslinks),
                "paths": Paths(options),
                # What a search index should hold: incidents, not listings of them.
                "wrapper": {"css_class": "pmkb-incident", "search_body": True},
            })
    # Only what a shown write-up links to: a draft's graphs and stray files stay off the site.
    for published, attachment in sorted(targets.published.items()):
        yield GeneratedFile(published, b"", source=attachment.file)


@generator
def incident_list(kb, options: SiteOptions):
    data = site_data(kb, options)
    yield GeneratedPage(
        path=site_path(options, f"{INCIDENTS}/index.md"), template="incidents.md.j2", title="Incidents",
        context={"postmortems": data.postmortems, "crosslinks": data.crosslinks, "paths": Paths(options)})
