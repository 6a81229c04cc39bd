"""What a site owner chooses about the generated part of a site, as one typed value.

The MkDocs plugin's options (``mkdocs_plugin/config.py``) take their defaults from here, and
``pmkb`` and other engines make the same value directly, so each default is written once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RELATED_LIMIT = 5
FEED_LIMIT = 50
SEARCH_ENGINES = ("material", "pagefind")


@dataclass(frozen=True)
class MarkdownSetup:
    """The site's Markdown: its extensions (names or instances) and their configurations, as
    the engine reads them from ``markdown_extensions``. Writers' bodies are rendered with these,
    minus the extensions that are not safe for them (see ``site/bodies.py``)."""

    extensions: tuple[Any, ...] = ("toc", "tables", "fenced_code")
    configs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class SiteOptions:
    """Everything that decides what the generated pages and files are, for one build."""

    drafts: bool = False
    """Publish ``status: draft`` postmortems too (marked as drafts)."""
    base_dir: str = ""
    """Folder under the docs for every generated page (``""``: the site root, home page included)."""
    search: str = "material"
    """``material`` (the theme's search) or ``pagefind`` (a Pagefind index and search page)."""
    related_limit: int = RELATED_LIMIT
    """How many similar incidents each incident page lists, besides the explicitly related ones."""
    feed_limit: int = FEED_LIMIT
    """How many postmortems each Atom feed carries, newest first; 0 for all."""
    directory_urls: bool = True
    """Pages served at ``a/b/`` (True) or ``a/b.html`` (False), as the engine does."""
    site_url: str = ""
    """The site's address: feeds and exports carry absolute URLs when it is known."""
    template_dirs: tuple[Path, ...] = ()
    """Folders of templates that replace the shipped ones of the same name, searched in order."""
    markdown: MarkdownSetup = field(default_factory=MarkdownSetup)
    """The site's Markdown extensions (writers' bodies are rendered with the safe ones)."""
    extra: Mapping[str, Any] | None = None
    """Deprecated: the untyped options of earlier versions (``site_url``, ``directory_urls``,
    ``related_limit``, ``feed_limit``, ``custom_templates``), mapped onto the fields above."""

    def __post_init__(self) -> None:
        if self.search not in SEARCH_ENGINES:
            raise ValueError(f"search must be one of {', '.join(SEARCH_ENGINES)}, not {self.search!r}")
        if self.extra:
            known = {"site_url", "directory_urls", "related_limit", "feed_limit", "custom_templates"}
            unknown = set(self.extra) - known
            if unknown:
                raise TypeError(f"unknown site options: {', '.join(sorted(unknown))}")
            for key in known - {"custom_templates"}:
                if key in self.extra:
                    object.__setattr__(self, key, self.extra[key])
            if self.extra.get("custom_templates"):
                object.__setattr__(self, "template_dirs", (Path(self.extra["custom_templates"]), *self.template_dirs))
            object.__setattr__(self, "extra", None)
