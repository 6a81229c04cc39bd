"""The site, independent of any site engine.

Every generated page or file of the site is described here as a value (path, template,
context) by *generators*: plain functions ``(kb, options) -> iterable of GeneratedPage |
GeneratedFile``. The MkDocs plugin only turns these values into MkDocs files; another
engine could do the same. Pages are drawn by Jinja templates shipped in
``postmortem_kb/templates/site/`` and overridable by a site.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Union


@dataclass
class SiteOptions:
    """What a site owner can choose; mirrors the plugin's config."""

    drafts: bool = False
    base_dir: str = ""  # folder under docs for generated pages ("" = site root)
    search: str = "material"  # "material" or "pagefind"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class GeneratedPage:
    """A Markdown page made from a template: ``path`` is relative to docs, ends in .md,
    and is built only from slugs, so it can never leave the output folder."""

    path: str
    template: str
    context: dict[str, Any]
    title: str


@dataclass
class GeneratedFile:
    """A file copied as-is into the site (feeds, JSON exports, images)."""

    path: str
    content: Union[str, bytes]
    # Or the file on disk to copy (a writer's attachment), so that big files are not held in memory.
    source: Optional[Path] = None


Generator = Callable[[Any, SiteOptions], Iterable[Union[GeneratedPage, GeneratedFile]]]
GENERATORS: list[Generator] = []


def generator(func: Generator) -> Generator:
    """Register a function that contributes pages or files to the site."""
    GENERATORS.append(func)
    return func
