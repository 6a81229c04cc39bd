"""What every page of the site shares: where pages live, the cross-link and similarity
indexes (computed once per build), and how times and durations read."""

from __future__ import annotations

import datetime as dt
import posixpath
from dataclasses import dataclass

from ..crosslinks import FACET_FOLDERS, CrossLinks
from ..model import Postmortem
from ..sanitize import BodyFence
from ..similarity import SimilarityIndex
from ..slugs import is_valid_id
from ..timeline import format_duration
from . import SiteOptions

HOME = "index.md"
INCIDENTS = "incidents"
ACTION_ITEMS = "action-items/index.md"
_RESERVED = {"index"}  # a term or id called "index" must not take its folder's listing page


def _name(slug: str) -> str:
    return f"{slug}_" if slug in _RESERVED else slug


def site_path(options: SiteOptions, path: str) -> str:
    """A page path under the site owner's base folder for generated pages."""
    return posixpath.join(options.base_dir.strip("/"), path) if options.base_dir.strip("/") else path


def incident_path(pm_id: str) -> str:
    """``incidents/<id>.md`` (served at ``incidents/<id>/``); ids are checked by is_valid_id."""
    if not is_valid_id(pm_id):
        raise ValueError(f"not a valid postmortem id: {pm_id!r}")
    return f"{INCIDENTS}/{_name(pm_id)}.md"


def term_path(facet: str, slug: str) -> str:
    """``root-causes/<slug>.md`` and so on; slugs come from slugify, so they are URL-safe."""
    if not is_valid_id(slug):
        raise ValueError(f"not a valid term slug: {slug!r}")
    return f"{FACET_FOLDERS[facet]}/{_name(slug)}.md"


def facet_path(facet: str) -> str:
    return f"{FACET_FOLDERS[facet]}/index.md"


class Paths:
    """Page paths for templates (``paths.incident(id)``, ``paths.term(facet, slug)``), under the base folder."""

    def __init__(self, options: SiteOptions):
        self.options = options

    def incident(self, pm_id: str) -> str:
        return site_path(self.options, incident_path(pm_id))

    def term(self, facet: str, slug: str) -> str:
        return site_path(self.options, term_path(facet, slug))

    def facet(self, facet: str) -> str:
        return site_path(self.options, facet_path(facet))

    def page(self, path: str) -> str:
        return site_path(self.options, path)


def body_fence(options: SiteOptions) -> BodyFence:
    """The build's fence around writers' Markdown. Whatever draws the site must pass each page's
    HTML through ``body_fence(options).clean(html)`` so the fenced parts are sanitized."""
    fence = options.extra.get("body_fence")
    if fence is None:
        fence = options.extra["body_fence"] = BodyFence()
    return fence


@dataclass
class SiteData:
    """The postmortems a site shows and the indexes over them, built once per build."""

    postmortems: list[Postmortem]  # newest first
    crosslinks: CrossLinks
    similarity: SimilarityIndex
    today: dt.date


def site_data(kb, options: SiteOptions) -> SiteData:
    """Shared by every generator of one build (kept in ``options.extra``)."""
    cached = options.extra.get("_site_data")
    if cached is not None and cached[0] is kb:
        return cached[1]
    # Ids that could not make a URL were refused by the loader; this is a second lock on the door.
    shown = [pm for pm in kb.visible(options.drafts) if is_valid_id(pm.id)]
    data = SiteData(shown, CrossLinks(shown, kb.taxonomy), SimilarityIndex(shown, kb.taxonomy),
                    kb.config.as_of)
    options.extra["_site_data"] = (kb, data)
    return data


def format_offset(at: dt.datetime) -> str:
    """``UTC+03:00``, ``UTC``."""
    offset = at.utcoffset() or dt.timedelta(0)
    if not offset:
        return "UTC"
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds() // 60))
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def format_moment(at: dt.datetime | None, tz: dt.tzinfo | None = None) -> str:
    """``2024-03-14 10:44 UTC+03:00`` in the incident's own timezone."""
    if at is None:
        return ""
    if tz is not None:
        at = at.astimezone(tz)
    return f"{at:%Y-%m-%d %H:%M} {format_offset(at)}"


def duration(delta: dt.timedelta | None) -> str:
    return format_duration(delta)


def elapsed(at: dt.datetime | None, start: dt.datetime | None) -> str:
    """``+1h 05m`` since the start, or ``""``."""
    if at is None or start is None:
        return ""
    text = format_duration(at - start)
    return text if text.startswith("-") else f"+{text}"
