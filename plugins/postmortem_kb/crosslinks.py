"""Cross-links: every incident indexed by the terms that describe it, and recurrences.

A *facet* is one way of grouping incidents (root cause, component, corrective action
category, severity, year, tag); a *term* is one value of a facet ("hardware-failure").
Everything here is computed once from the model, in time linear in the size of the KB:
the site, the CLI and the insights read the same index.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from .model import ActionItem, Postmortem
from .slugs import slugify
from .taxonomy import Taxonomy

# Facets in the order a reader meets them, with the URL folder and the words for them.
FACETS = ("root_causes", "components", "actions", "severity", "years", "tags")
FACET_FOLDERS = {"root_causes": "root-causes", "components": "components", "actions": "actions",
                 "severity": "severity", "years": "years", "tags": "tags"}
FACET_TITLES = {"root_causes": "Root causes", "components": "Components", "actions": "Corrective actions",
                "severity": "Severity", "years": "Years", "tags": "Tags"}
FACET_SINGULAR = {"root_causes": "root cause", "components": "component", "actions": "corrective action",
                  "severity": "severity", "years": "year", "tags": "tag"}
TAXONOMY_FACETS = ("root_causes", "components", "actions")
RECURRENCE_SHOWN = 5  # earlier incidents named in a recurrence
OPEN_ITEMS_SHOWN = 10  # earlier open action items named in a recurrence


def chronological_key(pm: Postmortem) -> tuple:
    """Oldest first: by date, then start time when known, then id (so ties never shuffle)."""
    started = pm.metrics.started_at
    return (pm.date, started.astimezone(dt.timezone.utc).replace(tzinfo=None) if started else dt.datetime.min,
            pm.id)


@dataclass
class TermEntry:
    """One term of one facet and every incident it describes, newest first."""

    facet: str
    slug: str
    title: str
    description: str = ""
    postmortems: list[Postmortem] = field(default_factory=list)
    rank: int = 0  # order among the facet's terms where the facet has one (severity, year)

    @property
    def count(self) -> int:
        return len(self.postmortems)

    def action_items(self) -> list[tuple[Postmortem, list[ActionItem]]]:
        """For an action category: each incident with its action items in that category."""
        if self.facet != "actions":
            return []
        return [(pm, [a for a in pm.action_items if a.action == self.slug]) for pm in self.postmortems]


def ordinal(n: int) -> str:
    """1 -> ``1st``, 2 -> ``2nd``, 11 -> ``11th``, 23 -> ``23rd``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _in_sentence(title: str) -> str:
    # "Hardware failure" reads "hardware failure" mid-sentence; "DNS" or "PostgreSQL" stay as written.
    if len(title) > 1 and title[0].isupper() and title[1].islower():
        return title[0].lower() + title[1:]
    return title


@dataclass
class EarlierIncident:
    """An earlier incident this one repeats, why, and its promises that are still open."""

    postmortem: Postmortem
    pairs: list[tuple[TermEntry, TermEntry]] = field(default_factory=list)  # (root cause, component) shared
    linked: bool = False  # one of the two postmortems names the other in `related`
    open_items: list[ActionItem] = field(default_factory=list)

    @property
    def reason(self) -> str:
        """``same root cause and component: Hardware failure on Web server`` or ``linked by the writer``."""
        parts = []
        if self.pairs:
            parts.append("same root cause and component: " +
                         ", ".join(f"{rc.title} on {comp.title}" for rc, comp in self.pairs))
        if self.linked:
            parts.append("linked by the writer")
        return " · ".join(parts)


@dataclass
class Recurrence:
    """This incident happened before: the earlier incidents that share a root cause *and* a
    component with it, or that the writers linked to it, each once, newest first."""

    earlier: list[EarlierIncident]
    more: bool = False  # some earlier incidents on the same pairs are not listed (only the latest are)

    @property
    def open_count(self) -> int:
        return sum(len(e.open_items) for e in self.earlier)


@dataclass
class _PairHistory:
    """The incidents of one (root cause, component) pair, oldest first, and the open action items
    made before each of them, kept as one list and a prefix length per incident (linear memory)."""

    incidents: list[Postmortem] = field(default_factory=list)
    position: dict[str, int] = field(default_factory=dict)
    open_items: list[tuple[Postmortem, ActionItem]] = field(default_factory=list)
    open_before: list[int] = field(default_factory=list)

    def add(self, pm: Postmortem) -> None:
        self.position[pm.id] = len(self.incidents)
        self.incidents.append(pm)
        self.open_before.append(len(self.open_items))
        self.open_items.extend((pm, item) for item in pm.action_items if item.is_open)


class CrossLinks:
    """The incidents of a KB by facet and term, with counts and recurrences."""

    def __init__(self, postmortems: Iterable[Postmortem], taxonomy: Taxonomy):
        self.taxonomy = taxonomy
        # Newest first, whatever order we are given, so every listing reads the same way.
        self.postmortems = sorted(postmortems, key=chronological_key, reverse=True)
        self.facets: dict[str, dict[str, TermEntry]] = {facet: {} for facet in FACETS}
        tag_spellings: dict[str, Counter] = defaultdict(Counter)
        for pm in self.postmortems:
            for facet, slug in self._terms(pm):
                entry = self.facets[facet].get(slug)
                if entry is None:
                    entry = self.facets[facet][slug] = self._new_entry(facet, slug)
                entry.postmortems.append(pm)
            for tag in pm.tags:
                if slugify(tag):
                    tag_spellings[slugify(tag)][tag] += 1
        for slug, spellings in tag_spellings.items():
            # The spelling most writers used; ties broken alphabetically for a stable title.
            self.facets["tags"][slug].title = min(spellings, key=lambda s: (-spellings[s], s))
        self._pairs = self._index_pairs()
        self._by_id = {pm.id: pm for pm in self.postmortems}
        self._order = {pm.id: i for i, pm in enumerate(self.postmortems)}
        self._linked_from: dict[str, list[str]] = defaultdict(list)  # id -> ids whose `related` name it
        for pm in self.postmortems:
            for other_id in pm.related:
                self._linked_from[other_id].append(pm.id)

    @staticmethod
    def _terms(pm: Postmortem) -> list[tuple[str, str]]:
        terms = [("root_causes", s) for s in pm.root_causes] + [("components", s) for s in pm.components]
        terms += [("actions", s) for s in pm.actions]
        terms += [("severity", slugify(pm.severity)), ("years", str(pm.year))]
        terms += [("tags", s) for s in dict.fromkeys(pm.tag_slugs)]
        return list(dict.fromkeys(t for t in terms if t[1]))

    def _new_entry(self, facet: str, slug: str) -> TermEntry:
        if facet in TAXONOMY_FACETS:
            term = self.taxonomy.term(facet, slug)
            return TermEntry(facet, slug, term.title, term.description)
        if facet == "severity":
            sev = next((s for s in self.taxonomy.severities if slugify(s.id) == slug), None)
            if sev is not None:
                title = f"{sev.id} ({sev.title})" if sev.title and sev.title != sev.id else sev.id
                return TermEntry(facet, slug, title, sev.description, rank=sev.rank)
            return TermEntry(facet, slug, slug.upper(), rank=len(self.taxonomy.severities))
        if facet == "years":
            return TermEntry(facet, slug, slug, rank=-int(slug))
        return TermEntry(facet, slug, slug)

    # Listings

    def terms(self, facet: str) -> list[TermEntry]:
        """The facet's terms for a listing: severities and years in their own order, others by count."""
        entries = list(self.facets[facet].values())
        if facet in ("severity", "years"):
            return sorted(entries, key=lambda e: (e.rank, e.slug))
        return sorted(entries, key=lambda e: (-e.count, e.title.lower(), e.slug))

    def entry(self, facet: str, slug: str) -> TermEntry | None:
        return self.facets[facet].get(slug)

    def unused_terms(self, facet: str) -> list[str]:
        """Taxonomy terms of a facet that no incident uses yet (their titles)."""
        if facet not in TAXONOMY_FACETS:
            return []
        known = self.taxonomy.terms.get(facet, {})
        return [known[s].title for s in sorted(known) if s not in self.facets[facet]]

    def terms_of(self, pm: Postmortem) -> dict[str, list[TermEntry]]:
        """Each facet's entries for one incident, in the order the postmortem lists them."""
        out: dict[str, list[TermEntry]] = {facet: [] for facet in FACETS}
        for facet, slug in self._terms(pm):
            entry = self.facets[facet].get(slug)
            if entry is not None:
                out[facet].append(entry)
        return out

    def neighbours(self, pm: Postmortem) -> tuple[Postmortem | None, Postmortem | None]:
        """(the previous incident, the next one) in time, for "previous / next" links."""
        i = self._order.get(pm.id)
        if i is None:
            return None, None
        older = self.postmortems[i + 1] if i + 1 < len(self.postmortems) else None
        newer = self.postmortems[i - 1] if i > 0 else None
        return older, newer

    def counts(self, facet: str) -> list[tuple[TermEntry, int]]:
        return [(e, e.count) for e in self.terms(facet)]

    # Recurrence

    def _index_pairs(self) -> dict[tuple[str, str], _PairHistory]:
        groups: dict[tuple[str, str], _PairHistory] = defaultdict(_PairHistory)
        for pm in reversed(self.postmortems):  # oldest first
            for rc in pm.root_causes:
                for comp in pm.components:
                    groups[(rc, comp)].add(pm)
        return dict(groups)

    def recurrence(self, pm: Postmortem) -> Recurrence | None:
        """The earlier incidents ``pm`` repeats, or None.

        An earlier incident repeats when it shares a (root cause, component) pair with ``pm`` or
        when one of the two names the other in ``related``; sharing only a root cause, or only a
        component, is a different mechanism, not a recurrence. Each earlier incident is listed
        once, whatever the number of pairs it shares, with its action items that are still open
        today (postmortems record an item's status, not the day it changed). Per pair only the
        latest RECURRENCE_SHOWN are taken: a page listing every earlier incident of a frequent
        pair would make the pages of that pair grow with the square of its size.
        """
        found: dict[str, EarlierIncident] = {}
        more = False
        for rc in pm.root_causes:
            for comp in pm.components:
                group = self._pairs.get((rc, comp))
                position = group.position.get(pm.id) if group is not None else None
                if group is None or not position:  # position 0: the pair's first incident
                    continue
                more = more or position > RECURRENCE_SHOWN
                pair = (self.facets["root_causes"][rc], self.facets["components"][comp])
                for other in group.incidents[max(0, position - RECURRENCE_SHOWN):position]:
                    entry = found.setdefault(other.id, EarlierIncident(other))
                    if pair not in entry.pairs:
                        entry.pairs.append(pair)
        key = chronological_key(pm)
        for other_id in list(dict.fromkeys([*pm.related, *self._linked_from.get(pm.id, ())]))[:RECURRENCE_SHOWN]:
            linked = self._by_id.get(other_id)
            if linked is not None and linked.id != pm.id and chronological_key(linked) < key:
                found.setdefault(linked.id, EarlierIncident(linked)).linked = True
        if not found:
            return None
        earlier = sorted(found.values(), key=lambda e: chronological_key(e.postmortem), reverse=True)
        for entry in earlier:
            entry.open_items = [a for a in entry.postmortem.action_items if a.is_open][:OPEN_ITEMS_SHOWN]
        return Recurrence(earlier, more)
