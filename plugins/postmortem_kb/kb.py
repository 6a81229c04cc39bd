"""A knowledge base: where it lives and how strictly it is checked (:class:`KBConfig`), and
what loading it gives (:class:`KnowledgeBase`). The defaults are defined here, once; the CLI,
the MkDocs plugin and the engines build a ``KBConfig`` and hand it to :func:`loader.load_kb`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from .model import Postmortem
from .problems import Problem
from .taxonomy import Taxonomy

DEFAULT_POSTMORTEMS_DIR = "postmortems"
"""The folder of postmortem Markdown files, relative to the KB root; searched recursively."""
DEFAULT_TAXONOMY_FILE = "taxonomy.yml"
"""The KB's vocabulary (severities, root causes, components, action categories)."""
DEFAULT_STRICT_TERMS = True
"""Unknown taxonomy terms are errors (True) or warnings (False, `pmkb --lenient`)."""


@dataclass
class KBConfig:
    """Where a KB lives and how strict its checks are; shared by the CLI and the plugin."""

    root: Path = Path(".")
    postmortems_dir: str = DEFAULT_POSTMORTEMS_DIR
    taxonomy_file: str = DEFAULT_TAXONOMY_FILE
    strict_terms: bool = DEFAULT_STRICT_TERMS
    today: dt.date | None = None  # for "overdue"; None means the real today
    taxonomy_required: bool = False
    """The configuration names the taxonomy explicitly: a missing file is a problem
    (``taxonomy-missing``), not a KB whose terms are open."""

    @property
    def postmortems_path(self) -> Path:
        return (self.root / self.postmortems_dir).resolve()

    @property
    def taxonomy_path(self) -> Path:
        return (self.root / self.taxonomy_file).resolve()

    @property
    def as_of(self) -> dt.date:
        return self.today or dt.date.today()


@dataclass
class KnowledgeBase:
    """The loaded KB: its valid postmortems (newest first) and every problem found."""

    config: KBConfig
    taxonomy: Taxonomy
    postmortems: list[Postmortem] = field(default_factory=list)  # valid ones, newest first
    problems: list[Problem] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # sources of files with errors

    def __post_init__(self) -> None:
        self.by_id = {p.id: p for p in self.postmortems}

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    def visible(self, drafts: bool = False) -> list[Postmortem]:
        """What a site shows: published and in-review postmortems, drafts only when asked."""
        return [p for p in self.postmortems if drafts or p.status != "draft"]
