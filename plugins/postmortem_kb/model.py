"""The data model: a postmortem, its timeline events, its action items and its metrics."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .problems import Problem
from .slugs import slugify
from .timeline import Section, TimelineEvent

STATUSES = ("draft", "in-review", "published")
ACTION_TYPES = ("corrective", "preventive", "mitigative")
ACTION_STATUSES = ("open", "in-progress", "done", "wont-do")
OPEN_ACTION_STATUSES = ("open", "in-progress")
TIME_FIELDS = ("started_at", "detected_at", "mitigated_at", "resolved_at")


@dataclass(frozen=True)
class Moment:
    """A key moment: the timeline marker that sets it (``[detected]``), the word for it in
    messages, and the duration from the start to it (None for the start itself)."""

    marker: str
    label: str
    duration: str | None


# The key moments by front-matter field. Written once: nothing rebuilds one name from another.
MOMENTS = {
    "started_at": Moment("start", "started", None),
    "detected_at": Moment("detected", "detected", "time_to_detect"),
    "mitigated_at": Moment("mitigated", "mitigated", "time_to_mitigate"),
    "resolved_at": Moment("resolved", "resolved", "time_to_resolve"),
}


@dataclass(frozen=True)
class Facet:
    """One way incidents are cross-linked: its taxonomy kind, the field that names it, its labels
    and the site folder of its term pages. The one table every module reads."""

    key: str  # the taxonomy kind: taxonomy.yml's section
    field: str  # where a postmortem names it: a front-matter list, or the action items' `action`
    singular: str
    plural: str
    title: str  # the heading of its listing
    folder: str  # URL folder of its term pages


FACETS = (
    Facet("root_causes", "root_causes", "root cause", "root causes", "Root causes", "root-causes"),
    Facet("components", "components", "component", "components", "Components", "components"),
    Facet("actions", "action", "action category", "action categories", "Corrective actions", "actions"),
)
FACET = {f.key: f for f in FACETS}
DURATIONS = {"time_to_detect": "time to detect", "time_to_mitigate": "time to mitigate",
             "time_to_resolve": "time to resolve", "impact_duration": "total (start to resolved)"}


@dataclass
class ActionItem:
    """A promise made in a postmortem: what, of which kind, who, by when, and where it stands."""

    title: str
    type: str = "corrective"
    action: str | None = None  # the action category's slug
    owner: str | None = None
    status: str = "open"
    due: dt.date | None = None
    ticket: str | None = None
    line: int = 0
    index: int = 0
    postmortem_id: str = ""

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ACTION_STATUSES

    def is_overdue(self, today: dt.date) -> bool:
        return self.is_open and self.due is not None and self.due < today


@dataclass
class Metrics:
    """Key moments and the durations between them; None where the postmortem does not say."""

    started_at: dt.datetime | None = None
    detected_at: dt.datetime | None = None
    mitigated_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None

    def _since_start(self, moment: dt.datetime | None) -> dt.timedelta | None:
        if self.started_at is None or moment is None:
            return None
        return moment - self.started_at

    @property
    def time_to_detect(self) -> dt.timedelta | None:
        return self._since_start(self.detected_at)

    @property
    def time_to_mitigate(self) -> dt.timedelta | None:
        return self._since_start(self.mitigated_at)

    @property
    def time_to_resolve(self) -> dt.timedelta | None:
        return self._since_start(self.resolved_at)

    @property
    def impact_duration(self) -> dt.timedelta | None:
        """The whole incident, start to resolved (start to mitigated when it never says resolved).

        Not start-to-mitigated: that is ``time_to_mitigate``, and the writer's "for 58 minutes"
        means the whole of it."""
        return self._since_start(self.resolved_at or self.mitigated_at)

    def durations(self) -> dict[str, dt.timedelta | None]:
        """Each duration under the name of what it measures, in the order a reader asks."""
        return {key: getattr(self, key) for key in DURATIONS}

    def minutes(self) -> dict[str, float | None]:
        def m(delta: dt.timedelta | None) -> float | None:
            return None if delta is None else round(delta.total_seconds() / 60, 2)

        return {
            "time_to_detect_minutes": m(self.time_to_detect),
            "time_to_mitigate_minutes": m(self.time_to_mitigate),
            "time_to_resolve_minutes": m(self.time_to_resolve),
            "impact_duration_minutes": m(self.impact_duration),
        }


@dataclass
class Postmortem:
    """One incident write-up, read from one file."""

    id: str
    path: Path
    source: str  # the path as shown to writers, relative to the KB root
    title: str
    date: dt.date
    severity: str
    status: str = "published"
    authors: list[str] = field(default_factory=list)
    components: list[str] = field(default_factory=list)  # taxonomy slugs
    root_causes: list[str] = field(default_factory=list)
    trigger: str = ""
    detection: str = ""
    impact: str = ""
    tags: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    timezone: str | None = None
    tzinfo: dt.tzinfo | None = None
    action_items: list[ActionItem] = field(default_factory=list)
    body: str = ""
    body_line: int = 1
    sections: list[Section] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)
    metrics: Metrics = field(default_factory=Metrics)
    front_matter: dict[str, Any] = field(default_factory=dict)
    lines: dict[tuple, int] = field(default_factory=dict)
    date_approximate: bool = False  # the writer says the date is not exact (`date_approximate: true`)
    stated_durations: dict[str, dt.timedelta] = field(default_factory=dict)
    """Durations the write-up states in words ("for 58 minutes"), by the names of ``Metrics.durations``."""
    digest: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def year(self) -> int:
        return self.date.year

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    @property
    def actions(self) -> list[str]:
        """The action categories of its action items, in order, without repeats."""
        return list(dict.fromkeys(a.action for a in self.action_items if a.action))

    @property
    def tag_slugs(self) -> list[str]:
        return [slugify(t) for t in self.tags if slugify(t)]

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)

    @property
    def summary(self) -> str:
        section = self.section("summary")
        return section.text.strip() if section else self.impact

    def line_of(self, *path: Any) -> int:
        where = tuple(path)
        while where:
            if where in self.lines:
                return self.lines[where]
            where = where[:-1]
        return 1
