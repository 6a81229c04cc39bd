"""The generated part of a site, independent of the engine that builds it.

Every page and file of the site is described here as a value (path, template, context) by
*generators*: plain functions ``(build) -> iterable of GeneratedPage | GeneratedFile``,
listed in :data:`postmortem_kb.site.build.GENERATORS`. A :class:`~postmortem_kb.site.build.SiteBuild`
runs them and draws the pages with the Jinja templates shipped in
``postmortem_kb/templates/site/`` (overridable by a site); the MkDocs plugin only turns the
result into MkDocs files, and another engine can write it into a copy of the docs.
"""

from __future__ import annotations

import zlib
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


class GeneratedFile:
    """A file copied as-is into the site (feeds, JSON exports, images).

    Its ``content`` is kept compressed while it waits to be written (a site's exports and feeds
    are megabytes of text, all made before the first page is converted); reading ``content``
    gives it back as it was given, ``str`` or ``bytes``."""

    __slots__ = ("path", "source", "_packed", "_text", "_small")

    # Smaller than this, a content is kept as it is: compressing it would save next to nothing.
    PACK_FROM = 1024

    def __init__(self, path: str, content: str | bytes, source: Path | None = None):
        self.path = path
        # Or the file on disk to copy (a writer's attachment), so that big files are not held in memory.
        self.source = source
        self.content = content

    @property
    def content(self) -> str | bytes:
        if self._small is not None:
            return self._small
        data = zlib.decompress(self._packed)
        return data.decode("utf-8", "surrogatepass") if self._text else data

    @content.setter
    def content(self, value: str | bytes) -> None:
        self._text = isinstance(value, str)
        if len(value) < self.PACK_FROM:
            self._small: str | bytes | None = value
            self._packed = b""
            return
        self._small = None
        data = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
        self._packed = zlib.compress(data, 1)

    @property
    def packed(self) -> bytes | None:
        """The content compressed (zlib), or None when it is kept as it is."""
        return None if self._small is not None else self._packed

    @property
    def is_text(self) -> bool:
        return self._text

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GeneratedFile):
            return NotImplemented
        return (self.path, self.content, self.source) == (other.path, other.content, other.source)

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it replaces

    def __repr__(self) -> str:
        unit = "chars" if self._text else "bytes"
        return f"GeneratedFile(path={self.path!r}, content=<{len(self.content)} {unit}>, source={self.source!r})"


__all__ = ["GeneratedFile", "GeneratedPage", "MarkdownSetup", "SiteOptions"]
