"""Incident pages: the header card, the write-up, the timeline, action items and related
incidents of one postmortem; and the list of every incident."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from ..attachments import (
    Attachment,
    BodyLink,
    Refusal,
    find_attachment,
    is_page_link,
    postmortem_folder,
    relative_file_link,
    rewrite_links,
)
from ..inline import plain_text
from ..inline import to_html as inline_html
from ..model import ActionItem, Postmortem
from ..sanitize import anchor
from ..timeline import Section
from . import GeneratedFile, GeneratedPage
from . import incident_page as _incident_page  # noqa: F401  (draws incident.md.j2 in Python)
from .common import duration, elapsed, format_moment
from .options import SiteOptions
from .urls import INCIDENT_FILES, INCIDENTS, Paths, relative_url

if TYPE_CHECKING:
    from .build import SiteBuild


@dataclass
class BodyPart:
    """A piece of the write-up: the writer's part, rendered, sanitized and held out of Markdown
    (``markdown`` is its placeholder), or our drawn timeline."""

    kind: str  # "markdown" | "timeline"
    markdown: str = ""


def body_parts(pm: Postmortem, build: SiteBuild, targets: LinkTargets) -> list[BodyPart]:
    """The write-up, with the timeline section's entries replaced by the drawn timeline when
    they could be read. The writer's parts are rendered as one document (footnotes and heading
    ids run across sections) and cut around the timeline."""
    here = build.paths.incident(pm.id)
    chunks: list[list[str]] = [[]]
    for section in pm.sections:
        if section.key == "timeline" and pm.timeline:
            # The writer's heading, then the entries drawn as a strip and a table.
            chunks[-1].append(f"## {section.title}")
            chunks.append([])
            continue
        chunks[-1].append(rewrite_postmortem_links(_section_markdown(section), pm.path, here, targets))
    rendered = build.bodies.render_parts("\n\n".join(c) for c in chunks)
    parts: list[BodyPart] = []
    for i, html in enumerate(rendered):
        if i:
            parts.append(BodyPart("timeline"))
        if html.strip():
            parts.append(BodyPart("markdown", build.held.put(html)))
    return parts


@dataclass
class LinkTargets:
    """What a write-up's relative links can reach on the site: the incident pages (by the
    postmortem's file) and the attachments in the postmortems folder. ``published`` collects
    the attachments the rewritten links point to, so that only those are copied."""

    shown: list[Postmortem]  # the incidents that have a page
    postmortems: Path
    root: Path
    options: SiteOptions
    published: dict[str, Attachment] = field(default_factory=dict)  # site path -> file

    @cached_property
    def pages_by_file(self) -> dict[Path, str]:
        """Each incident's page by its postmortem's resolved file: looked up on disk at the first
        link from one postmortem to another, not in a KB whose write-ups link none."""
        paths = Paths(self.options)
        return {pm.path.resolve(): paths.incident(pm.id) for pm in self.shown}


def rewrite_postmortem_links(markdown: str, path: Path, here: str, targets: LinkTargets) -> str:
    """Writers link postmortems to each other as files (``../2021/x.md``) and their graphs and
    logs as files beside them (``img/latency.png``), which also works on a Git host. On the
    site such a link goes to the incident's page (an anchor in it to the writer's heading
    there, ``user-content-`` prefixed like every writer's id), or to the attachment's published
    copy. A relative link to anything the site does not publish (a draft, a rejected or missing
    file, a type that is not published) keeps its text and loses the link; the loader reports
    the attachments (`missing-attachment`). Links are the URLs the browser follows: the
    write-up is rendered by us, not by the engine."""
    directory_urls = targets.options.directory_urls
    # Where the postmortem's folder is (a path resolved on disk) is only looked up for a link
    # to an attachment, once: most sections link no file at all.
    folder: list[Path | None] = []

    def resolve(link: BodyLink) -> str | None:
        split = relative_file_link(link.url)
        if split is None:
            return link.url
        target, rest = split
        if is_page_link(target):
            if link.kind == "image":
                return link.url
            pages = targets.pages_by_file
            try:
                page = pages.get((path.parent / unquote(target)).resolve())
            except (OSError, ValueError):
                return None
            if page is None:
                return None
            query, _, fragment = rest.partition("#")
            return relative_url(here, page, directory_urls) + query + (f"#{anchor(fragment)}" if fragment else "")
        if not folder:
            folder.append(postmortem_folder(path, targets.postmortems))
        if folder[0] is None:
            return None
        found = find_attachment(target, folder[0], targets.postmortems, targets.root)
        if isinstance(found, Refusal):
            return None
        published = Paths(targets.options).page(f"{INCIDENT_FILES}/{found.name}")
        targets.published.setdefault(published, found)
        return quote(relative_url(here, published, directory_urls)) + rest

    return rewrite_links(markdown, resolve)


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
            shown = f"{when.hour:02}:{when.minute:02}" if when.date() == pm.date else f"{when:%Y-%m-%d %H:%M}"
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


DURATIONS = (
    # (metric, what the card calls it, what it measures)
    ("time_to_detect", "Time to detect", "start → detected"),
    ("time_to_mitigate", "Time to mitigate", "start → mitigated"),
    ("time_to_resolve", "Total duration", "start → resolved"),
)


def durations(pm: Postmortem) -> list[dict]:
    """Each duration the timeline gives, named for what it measures; with the writer's own figure
    beside it when the write-up states one that differs (``stated``)."""
    stated = getattr(pm, "stated_durations", None) or {}
    out = []
    for name, label, measures in DURATIONS:
        computed = getattr(pm.metrics, name)
        # "for 58 minutes" in the impact is the writer's total, start to resolved.
        said = stated.get(name) or (stated.get("impact_duration") if name == "time_to_resolve" else None)
        if computed is None and said is None:
            continue
        out.append({"label": label, "measures": measures, "value": duration(computed) if computed is not None else "",
                    "stated": duration(said) if said is not None and said != computed else ""})
    return out


def meta_line(pm: Postmortem, root_cause_titles: list[str]) -> str:
    """``SEV2 · 2023-05-01 · Hardware failure``: what a search result shows first."""
    return " · ".join([pm.severity, pm.date.isoformat(), *root_cause_titles])


DESCRIPTION_CHARS = 240  # link previews show about this much


def description(pm: Postmortem) -> str:
    """The page's one-line summary for link previews and search engines: severity, when, impact."""
    approx = " (approximate)" if getattr(pm, "date_approximate", False) else ""
    what = plain_text(pm.impact) or plain_text(pm.summary)
    text = f"{pm.severity} incident on {pm.date.isoformat()}{approx}" + (f". Impact: {what}" if what else ".")
    if len(text) > DESCRIPTION_CHARS:
        text = text[:DESCRIPTION_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;:.") + "…"
    return text


def incident_pages(build: SiteBuild):
    data = build.data
    kb, options, paths = build.kb, build.options, build.paths
    targets = LinkTargets(data.postmortems, kb.config.postmortems_path, kb.config.root.resolve(), options)
    for pm in data.postmortems:
        if not build.wants(paths.incident(pm.id)):
            # A partial build: the page is listed, not drawn (nor its write-up rendered).
            yield GeneratedPage(path=paths.incident(pm.id), template="incident.md.j2", title=pm.title,
                                context={}, css_class="pmkb-incident", search_body=True,
                                meta={"description": description(pm)})
            continue
        terms = data.crosslinks.terms_of(pm)
        yield GeneratedPage(
            path=paths.incident(pm.id), template="incident.md.j2", title=pm.title,
            # What a search index should hold: incidents, not listings of them.
            css_class="pmkb-incident", search_body=True, meta={"description": description(pm)},
            context={
                "pm": pm, "terms": terms, "started": format_moment(pm.metrics.started_at, pm.tzinfo),
                "approximate": bool(getattr(pm, "date_approximate", False)), "durations": durations(pm),
                "recurrence": data.crosslinks.recurrence(pm), "neighbours": data.crosslinks.neighbours(pm),
                "today": data.today, "inline": inline_html,
                "related": data.similarity.related(pm, options.related_limit),
                "parts": body_parts(pm, build, targets), "timeline": timeline_rows(pm),
                "strip": timeline_strip(pm), "actions": action_rows(pm.action_items, data.today, data.crosslinks),
            })
    # Only what a shown write-up links to: a draft's graphs and stray files stay off the site.
    for published, attachment in sorted(targets.published.items()):
        yield GeneratedFile(published, b"", source=attachment.file)


def incident_list(build: SiteBuild):
    yield GeneratedPage(
        path=build.paths.page(f"{INCIDENTS}/index.md"), template="incidents.md.j2", title="Incidents",
        context={"postmortems": build.data.postmortems, "crosslinks": build.data.crosslinks},
        # A listing: the incidents themselves are in the search, the list of them is not.
        meta={"description": f"All {len(build.data.postmortems)} incident postmortems, newest first, with severity, "
                             "root causes, components and time to resolve.", "search": {"exclude": True}})
