"""The generated part of a site, independent of the engine that builds it.

Every page and file of the site is described here as a value (path, template, context) by
*generators*: plain functions ``(build) -> iterable of GeneratedPage | GeneratedFile``,
listed in :data:`postmortem_kb.site.build.GENERATORS`. A :class:`~postmortem_kb.site.build.SiteBuild`
runs them and draws the pages with the Jinja templates shipped in
``postmortem_kb/templates/site/`` (overridable by a site); the MkDocs plugin only turns the
result into MkDocs files, and another engine can write it into a copy of the docs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .options import MarkdownSetup, SiteOptions


@dataclass
class GeneratedPage:
    """A Markdown page made from a template: ``path`` is relative to docs, ends in .md,
    and is built only from slugs, so it can never leave the output folder."""

    path: str
    template: str
    context: dict[str, Any]
    title: str
    css_class: str = ""
    """A class on the page's wrapper, for our stylesheet."""
    meta: dict[str, Any] = field(default_factory=dict)
    """Front matter for the theme besides the title (``{"search": {"exclude": True}}``,
    ``"description"``...); its text is HTML-escaped, as themes print it as it is."""
    search_body: bool = False
    """Whether a search index built from the pages' HTML (Pagefind) indexes this page: incidents
    are, listings of them are not."""


@dataclass
class GeneratedFile:
    """A file copied as-is into the site (feeds, JSON exports, images)."""

    path: str
    content: str | bytes
    # Or the file on disk to copy (a writer's attachment), so that big files are not held in memory.
    source: Path | None = None


__all__ = ["GeneratedFile", "GeneratedPage", "MarkdownSetup", "SiteOptions"]
