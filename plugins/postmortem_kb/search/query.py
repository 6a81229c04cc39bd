"""Searching the index: whoosh query syntax with incident field names, facet filters,
ranked hits with highlighted snippets, and counts per facet."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from whoosh import collectors, highlight, sorting
from whoosh.qparser import FieldAliasPlugin, GtLtPlugin, MultifieldParser
from whoosh.query import And, AndNot, DateRange, Every, Or, Query, Term

from ..slugs import slugify
from ..taxonomy import Taxonomy
from .index import FACET_FIELDS, REJECTED, SCHEMA, TERM_KINDS, KBIndex

# The fields a bare word is looked for in, and how much a match in each counts.
TEXT_FIELDS = {"title": 3.0, "body": 1.0, "terms": 0.5}

# What writers call a field in a query -> the index field. Hyphens cannot appear in
# whoosh field names, hence the underscores.
FIELD_ALIASES = {
    "root_causes": ["root_cause", "rootcause", "cause", "causes"],
    "components": ["component", "comp", "service"],
    "actions": ["action"],
    "tags": ["tag"],
    "authors": ["author", "by"],
    "severity": ["sev"],
    "detection": ["detected_by"],
    "date": ["on", "when"],
    "time_to_detect": ["ttd"],
    "time_to_mitigate": ["ttm"],
    "time_to_resolve": ["ttr"],
    "impact_duration": ["impact_minutes"],
}
QUERY_FIELDS = sorted(set(SCHEMA.names()) - {"kind", "digest", "mtime_ns", "size", "summary", "source"})

HIGHLIGHT_START, HIGHLIGHT_END = "\x02", "\x03"
SNIPPET_CHARS = 220


class QueryError(ValueError):
    """A query or filter the user can fix; ``hint`` says how."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass
class Filters:
    """Facet filters: values of one facet are alternatives (OR); facets combine with AND."""

    root_causes: Sequence[str] = ()
    components: Sequence[str] = ()
    actions: Sequence[str] = ()
    severities: Sequence[str] = ()
    statuses: Sequence[str] = ()
    tags: Sequence[str] = ()
    since: dt.date | None = None
    until: dt.date | None = None


@dataclass
class Hit:
    id: str
    source: str
    title: str
    date: dt.date
    severity: str
    status: str
    root_causes: list[str]
    components: list[str]
    score: float | None  # None when sorted by date
    snippet: list[tuple[str, bool]]  # (text, is_match) pieces

    def snippet_text(self, start: str = ">>", end: str = "<<") -> str:
        return "".join(f"{start}{text}{end}" if match else text for text, match in self.snippet)

    def to_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "date": self.date.isoformat(), "severity": self.severity,
                "status": self.status, "root_causes": self.root_causes, "components": self.components,
                "source": self.source, "score": None if self.score is None else round(self.score, 4),
                "snippet": self.snippet_text()}


@dataclass
class SearchResults:
    query: str
    total: int
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"query": self.query, "total": self.total, "results": [h.to_dict() for h in self.hits],
                "facets": self.facets}


class _CountingTopCollector(collectors.TopCollector):
    """The top matches by score and, in the same pass, every match (for the total and the
    facet counts): one walk over the postings instead of two."""

    def __init__(self, limit: int):
        # No skipping of low-scoring blocks and no pruning of the matcher: every match is counted.
        super().__init__(limit=limit, usequality=False, replace=0)
        self.matched: list[int] = []

    def prepare(self, top_searcher, q, context):
        super().prepare(top_searcher, q, context)
        self.matched = []

    def _collect(self, global_docnum, score):
        self.matched.append(global_docnum)
        return super()._collect(global_docnum, score)


class _SegmentFormatter(highlight.Formatter):
    """Marks matches with control characters, turned into (text, is_match) pieces later."""

    between = " … "

    def format_token(self, text, token, replace=False):
        return HIGHLIGHT_START + highlight.get_text(text, token, replace) + HIGHLIGHT_END


def _segments(marked: str) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    for i, part in enumerate(re.split(f"[{HIGHLIGHT_START}{HIGHLIGHT_END}]", marked)):
        if part:
            out.append((re.sub(r"\s+", " ", part), i % 2 == 1))
    return out


_FIELD_REF = re.compile(r"(?<![\w.:/])([A-Za-z_]\w*):(?=[\w\"'\[{(<>*-])")


def _check_fields(text: str) -> None:
    """Unknown field names would silently become words; say so instead."""
    unquoted = re.sub(r'"[^"]*"', " ", text)
    known = set(QUERY_FIELDS) | {a for names in FIELD_ALIASES.values() for a in names}
    for name in _FIELD_REF.findall(unquoted):
        if name not in known:
            import difflib

            close = difflib.get_close_matches(name, sorted(known), n=1)
            raise QueryError(f"unknown field `{name}:` in the query",
                             f"did you mean `{close[0]}:`?" if close else
                             "fields: " + ", ".join(f for f in QUERY_FIELDS if f != "terms"))


class QueryBuilder:
    """Turns query text and filters into whoosh queries, in the KB's own vocabulary."""

    def __init__(self, taxonomy: Taxonomy):
        self.taxonomy = taxonomy
        self.parser = MultifieldParser(list(TEXT_FIELDS), SCHEMA, fieldboosts=TEXT_FIELDS)
        self.parser.add_plugin(GtLtPlugin())
        self.parser.add_plugin(FieldAliasPlugin(FIELD_ALIASES))
        self._severities = {s.lower(): s for s in taxonomy.severity_ids}

    def parse(self, text: str) -> Query:
        text = text.strip()
        if not text:
            return Every()
        _check_fields(text)
        try:
            query = self.parser.parse(text)
        except Exception as exc:  # noqa: BLE001 - whoosh raises many kinds for bad syntax
            raise QueryError(f"cannot read the query: {exc}", "`pmkb search --help` shows the syntax") from None
        return self._normalize(query)

    def _normalize(self, query: Query) -> Query:
        """Facet values written as the writers write them: aliases, any case."""

        def fix(q: Query) -> Query:
            if isinstance(q, Term) and isinstance(q.text, str):
                value = self._value(q.fieldname, q.text)
                if value != q.text:
                    return Term(q.fieldname, value, boost=q.boost)
            return q

        return query.accept(fix)

    def _value(self, fieldname: str, text: str) -> str:
        if fieldname in TERM_KINDS:
            return self.taxonomy.resolve(fieldname, text) or text
        if fieldname == "severity":
            return self._severities.get(text.lower(), text)
        if fieldname == "status":
            return text.lower()
        if fieldname == "tags":
            return slugify(text) or text
        return text

    def _facet(self, kind: str, values: Iterable[str], option: str) -> Query | None:
        terms = []
        for value in values:
            if kind in TERM_KINDS:
                slug = self.taxonomy.resolve(kind, value)
                if slug is None:
                    close = self.taxonomy.suggest(kind, value)
                    raise QueryError(f"{option}: `{value}` is not a term of the taxonomy",
                                     f"did you mean `{close[0]}`?" if close else "see taxonomy.yml for the terms")
                terms.append(Term(kind, slug))
            elif kind == "severity":
                sev = self._severities.get(value.lower())
                if sev is None:
                    raise QueryError(f"{option}: `{value}` is not a severity",
                                     "use one of: " + ", ".join(self.taxonomy.severity_ids))
                terms.append(Term(kind, sev))
            else:
                terms.append(Term(kind, self._value(kind, value)))
        if not terms:
            return None
        return terms[0] if len(terms) == 1 else Or(terms)

    def filter(self, filters: Filters) -> Query | None:
        """The facet filters as one query; None when there are none."""
        parts: list[Query] = []
        for kind, values, option in (("root_causes", filters.root_causes, "--root-cause"),
                                     ("components", filters.components, "--component"),
                                     ("actions", filters.actions, "--action"),
                                     ("severity", filters.severities, "--severity"),
                                     ("status", filters.statuses, "--status"),
                                     ("tags", filters.tags, "--tag")):
            q = self._facet(kind, values, option)
            if q is not None:
                parts.append(q)
        if filters.since or filters.until:
            if filters.since and filters.until and filters.since > filters.until:
                raise QueryError("--since is after --until", "swap the two dates")
            start = dt.datetime.combine(filters.since, dt.time()) if filters.since else None
            end = dt.datetime.combine(filters.until, dt.time.max) if filters.until else None
            parts.append(DateRange("date", start, end))
        return None if not parts else parts[0] if len(parts) == 1 else And(parts)


def search(index: KBIndex, text: str = "", filters: Filters | None = None, limit: int | None = 10,
           sort: str = "relevance") -> SearchResults:
    """Ranked postmortems for a query and filters, with snippets and facet counts.

    ``sort``: "relevance" (the default; newest first when there are no words to rank by)
    or "newest".
    """
    builder = QueryBuilder(index.taxonomy)
    query = builder.parse(text)
    flt = builder.filter(filters or Filters())
    searcher = index.searcher
    # Broken files are few: masking them is cheaper than filtering on every postmortem.
    mask: Query = Term("kind", REJECTED)
    shadowed = index.shadowed_sources()
    if shadowed:
        mask = Or([mask, *(Term("source", source) for source in sorted(shadowed))])
    newest = sort == "newest" or isinstance(query, Every)
    if newest:
        results = searcher.search(query, filter=flt, mask=mask, limit=limit, terms=True,
                                  sortedby=sorting.FieldFacet("date", reverse=True))
        matched = searcher.docs_for_query(AndNot(query if flt is None else And([query, flt]), mask))
    else:
        counting = _CountingTopCollector(limit or max(1, searcher.doc_count_all()))
        collector = collectors.FilterCollector(collectors.TermsCollector(counting), flt, mask)
        searcher.search_with_collector(query, collector)
        results = collector.results()
        matched = counting.matched
    results.fragmenter = highlight.PinpointFragmenter(maxchars=SNIPPET_CHARS, surround=70, autotrim=True)
    results.formatter = _SegmentFormatter()
    hits = []
    for hit in results:
        stored = hit.fields()
        marked = hit.highlights("body", top=2) if not isinstance(query, Every) else ""
        snippet = _segments(marked) if marked else [(stored.get("summary", "")[:SNIPPET_CHARS], False)]
        hits.append(Hit(
            id=stored["id"], source=stored["source"], title=stored.get("title", ""),
            date=stored["date"].date(), severity=stored.get("severity", ""), status=stored.get("status", ""),
            root_causes=_split(stored.get("root_causes")), components=_split(stored.get("components")),
            score=None if newest else float(hit.score or 0.0), snippet=snippet))
    table = index.facet_values()
    tallies: dict[str, Counter] = {name: Counter() for name in FACET_FIELDS}
    total = 0
    for docnum in matched:
        total += 1
        for name, counter in tallies.items():
            counter.update(table[name][docnum])
    facets = {name: dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))) for name, counter in tallies.items()}
    return SearchResults(query=str(query), total=total, hits=hits, facets=facets)


def _split(value: str | None) -> list[str]:
    return [v for v in (value or "").split(",") if v]
