"""Related incidents: the explicit ``related`` ids both ways, and the closest others.

"Closest" means sharing root causes, components and corrective action categories, and
distinctive words of the write-up. Nothing here compares every pair of postmortems: an
inverted index maps each term and each distinctive word to the incidents that have it,
and a query scores only the incidents found through its own terms and words. A term
shared by very many incidents contributes only the incidents nearest in time to the
query (``POSTING_CAP``), so a query costs at most features x cap, whatever the KB size.

The site and ``pmkb similar`` both call :class:`SimilarityIndex`, so they never disagree.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from .crosslinks import FACET_SINGULAR, chronological_key
from .model import Postmortem
from .slugs import slugify
from .taxonomy import Taxonomy

TERM_WEIGHTS = {"root_causes": 3.0, "components": 2.0, "actions": 1.0, "tags": 0.5}
PAIR_BONUS = 1.5  # same root cause AND same component: a recurrence, the strongest hint
TEXT_WEIGHT = 6.0  # a cosine of 1.0 (same words) weighs like two shared root causes
MIN_SCORE = 1.0  # a root cause few incidents share relates alone; a component must be rarer; an action category never
# A relation needs a strong reason: a root cause or a component that not most incidents share
# (rarity at least STRONG_RARITY), or write-ups whose distinctive words are specifically alike
# (cosine at least STRONG_TEXT). Shared action categories and tags add to the score, never alone.
STRONG_RARITY = 0.25
STRONG_TEXT = 0.12
SHOWN_RARITY = 0.5  # an action category or tag is named among the reasons only when this rare
DISTINCTIVE_WORDS = 30  # words kept per postmortem, by tf-idf
POSTING_CAP = 100  # incidents taken from one term's or word's list, nearest in time first
MAX_SHOWN_WORDS = 4
SLUG_LENGTH = 80  # slugs.slugify's max_length, which the browser's copy of it follows
LOG_TABLE = 256  # the browser index carries log(1..255); a count beyond takes the browser's own log

# Words that say nothing about what happened in any postmortem.
STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having
he her here hers him his how i if in into is it its itself just me more most my no nor not now of off on
once only or other our ours out over own same she should so some such than that the their theirs them then
there these they this those through to too under until up very was we were what when where which while who
whom why will with would you your yours via per within without across around also still yet
incident incidents postmortem issue issues problem problems cause caused causes root summary impact
timeline resolution minute minutes hour hours day days time times customer customers user users
service services team we're it's didn't wasn't started start detected mitigated resolved
""".split())

# A query's posting-list windows, as (posting, lo, hi): one per term, one per word of its vector
# (None for a word no incident has).
_Windows = tuple[list[tuple[list[int], int, int]], list[tuple[list[int], int, int] | None]]
_EMPTY: list[int] = []

_WORD = re.compile(r"[a-z0-9]+(?:[-_.][a-z0-9]+)*")


def _stem(word: str) -> str:
    """Plurals folded (Harman's S-stemmer): "certificates" meets "certificate", "queries" "query"."""
    if len(word) <= 3:
        return word
    if word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if word.endswith("s") and not word.endswith(("us", "ss")):
        return word[:-1]
    return word


# What a word found by _WORD stands for: ``(stem, word)``, or None for a word that says nothing.
# Worked out once per distinct word: a KB's vocabulary is small next to its running text.
_MEANING: dict[str, tuple[str, str] | None] = {}
_MEANING_MAX = 200_000  # distinct words remembered before starting afresh


def _meaning(found: str) -> tuple[str, str] | None:
    word = found.strip("-_.")
    if len(word) < 3 or word in STOPWORDS or word.replace(".", "").isdigit():
        meaning = None
    else:
        meaning = (_stem(word), word)
    if len(_MEANING) >= _MEANING_MAX:
        _MEANING.clear()
    _MEANING[found] = meaning
    return meaning


def words(text: str) -> list[tuple[str, str]]:
    """``(stem, word)`` for every meaningful word of a text, in order."""
    out = []
    known = _MEANING
    for found in _WORD.findall(text.lower()):
        meaning = known[found] if found in known else _meaning(found)
        if meaning is not None:
            out.append(meaning)
    return out


def postmortem_text(pm: Postmortem) -> str:
    """The words of a postmortem that say what happened (the title counts twice)."""
    parts = [pm.title, pm.title, pm.trigger, pm.impact, " ".join(pm.tags)]
    for key in ("summary", "root_cause", "resolution"):
        section = pm.section(key)
        if section is not None:
            parts.append(section.text)
    return "\n".join(parts)


@dataclass
class Relation:
    """One related incident, how strongly, and why (each reason a short sentence)."""

    postmortem: Postmortem
    score: float
    reasons: list[str] = field(default_factory=list)
    explicit: bool = False

    def to_dict(self) -> dict:
        pm = self.postmortem
        return {"id": pm.id, "title": pm.title, "date": pm.date.isoformat(), "severity": pm.severity,
                "source": pm.source, "score": round(self.score, 3), "explicit": self.explicit,
                "reasons": list(self.reasons)}


@dataclass
class _Query:
    terms: list[tuple[str, str]]  # (facet, slug)
    vector: dict[str, float]  # stem -> weight, L2-normalised
    surface: dict[str, str]  # stem -> a word as written, for reasons
    position: float  # where it sits in time among the indexed incidents (index units)
    own_id: str | None = None
    related: tuple[str, ...] = ()
    mentioned: bool = False  # terms found in free text, not declared


class _Scores(Mapping[int, float]):
    """One query's scores, candidate -> score, made when asked for from the sums of :meth:`SimilarityIndex._score`:
    the shared terms' weights in the query's order, plus TEXT_WEIGHT times the sum of the shared
    words' products, plus PAIR_BONUS for a shared root cause and component, added in that order."""

    __slots__ = ("_met", "_candidates", "term_sums", "text_sums", "paired")

    def __init__(self, met: list[list[int]], term_sums: list[float], text_sums: list[float], paired: set[int]):
        self._met = met  # lists of the incidents met in the query's posting lists
        self._candidates: set[int] | None = None
        self.term_sums = term_sums  # by index position; 0.0 for one not met through a term
        self.text_sums = text_sums  # the cosines; 0.0 for one not met through a word
        self.paired = paired

    @property
    def candidates(self) -> set[int]:
        """The incidents met (the set is made when first asked for: ranking does not need it)."""
        if self._candidates is None:
            self._candidates = set().union(*self._met)
        return self._candidates

    def __getitem__(self, i: int) -> float:
        if i not in self.candidates:
            raise KeyError(i)
        return self.score(i)

    def score(self, i: int) -> float:
        """The score of incident ``i``: 0.0 for one not met, exactly as ``get(i, 0.0)`` (its sums are 0.0)."""
        score = self.term_sums[i] + TEXT_WEIGHT * self.text_sums[i]
        if i in self.paired:
            score += PAIR_BONUS
        return score

    def __iter__(self) -> Iterator[int]:
        return iter(self.candidates)

    def __len__(self) -> int:
        return len(self.candidates)


class SimilarityIndex:
    """Inverted indexes over a set of postmortems; answers "what is this like?"."""

    def __init__(self, postmortems: Iterable[Postmortem], taxonomy: Taxonomy):
        self.taxonomy = taxonomy
        # Oldest first: a posting list is then in time order and "nearest in time" is a window.
        keyed = sorted(((chronological_key(pm), pm) for pm in postmortems), key=itemgetter(0))
        self.postmortems = [pm for _, pm in keyed]
        self._keys = [key for key, _ in keyed]
        self._ids = [pm.id for pm in self.postmortems]
        self.position = {pm_id: i for i, pm_id in enumerate(self._ids)}
        self.by_id = {pm.id: pm for pm in self.postmortems}
        self.related_to: dict[str, list[str]] = defaultdict(list)  # id -> ids that list it
        counts: list[dict[str, int]] = []
        surfaces: list[dict[str, str]] = []
        df: Counter = Counter()
        for pm in self.postmortems:
            tf, surface = self._count(postmortem_text(pm))
            counts.append(tf)
            surfaces.append(surface)
            df.update(tf.keys())
            for rid in pm.related:
                if rid != pm.id:
                    self.related_to[rid].append(pm.id)
        self.df = df
        n = len(self.postmortems)
        common = max(3, n // 2)
        # Each word's idf, or None for a word in most of the KB (dropped from vectors).
        self._kept_idf: dict[str, float | None] = {
            s: self._idf(s) if n < 4 or c <= common else None for s, c in df.items()}
        self._idf_unseen = math.log((n + 1) / (0 + 1)) + 1.0  # _idf of a word no incident has
        self.vectors: list[dict[str, float]] = []
        self.surfaces = surfaces
        self.word_postings: dict[str, list[int]] = defaultdict(list)
        # The word's weight in each incident of its posting list, side by side with it.
        self.word_weights: dict[str, list[float]] = defaultdict(list)
        self.term_postings: dict[tuple[str, str], list[int]] = defaultdict(list)
        word_postings, word_weights, term_postings = self.word_postings, self.word_weights, self.term_postings
        vectors = self.vectors
        self._term_weights: dict[tuple[str, str], tuple[float, float]] = {}  # term -> (rarity, weight)
        self._titles: dict[tuple[str, str], str] = {}
        self._names: dict[tuple[str, str], str | None] = {}  # term -> its title among reasons, if named
        for i, (pm, tf) in enumerate(zip(self.postmortems, counts)):
            vector = self._vector(tf)
            vectors.append(vector)
            for stem, weight in vector.items():
                word_postings[stem].append(i)
                word_weights[stem].append(weight)
            for term in _terms(pm):
                term_postings[term].append(i)

    # Building blocks shared by indexed postmortems and queries

    @staticmethod
    def _count(text: str) -> tuple[dict[str, int], dict[str, str]]:
        """How often each stem occurs, and the first word as written that stands for it."""
        tf: dict[str, int] = {}
        surface: dict[str, str] = {}
        known = _MEANING
        # Each distinct word once, in the order of its first occurrence (so the first word of a stem wins).
        for found, count in Counter(_WORD.findall(text.lower())).items():
            meaning = known[found] if found in known else _meaning(found)
            if meaning is None:
                continue
            stem = meaning[0]
            if stem in tf:
                tf[stem] += count
            else:
                tf[stem] = count
                surface[stem] = meaning[1]
        return tf, surface

    def _idf(self, stem: str) -> float:
        n = len(self.postmortems)
        return math.log((n + 1) / (self.df.get(stem, 0) + 1)) + 1.0

    def _rarity(self, term: tuple[str, str]) -> float:
        """How much sharing ``term`` says, from 1.0 (no other incident has it) down to almost 0 (every
        incident has it): log((n + 1) / df) / log(n + 1), the inverse document frequency scaled to
        (0, 1]. "Add monitoring" is in most postmortems and says next to nothing; a rare root cause
        says a lot."""
        n = len(self.postmortems)
        df = min(len(self.term_postings.get(term, ())) or 1, n)
        if n <= 1:
            return 1.0
        return math.log((n + 1) / df) / math.log(n + 1)

    def _vector(self, tf: dict[str, int]) -> dict[str, float]:
        """The DISTINCTIVE_WORDS highest tf-idf words, normalised; words in most of the KB are dropped."""
        kept, unseen, log = self._kept_idf, self._idf_unseen, math.log
        # (-weight, stem): sorted, the highest weight first and ties by stem.
        ranked = []
        for stem, count in tf.items():
            idf = kept.get(stem, unseen)
            if idf is not None:
                ranked.append((-((1 + log(count)) * idf), stem))
        ranked.sort()
        top = ranked[:DISTINCTIVE_WORDS]
        norm = math.sqrt(sum(w * w for w, _ in top)) or 1.0
        return {stem: -w / norm for w, stem in top}

    def _window(self, posting: list[int], position: float) -> list[int]:
        lo, hi = self._bounds(posting, position)
        return posting[lo:hi]

    @staticmethod
    def _bounds(posting: list[int], position: float) -> tuple[int, int]:
        """Where the window of a posting list starts and ends."""
        if len(posting) <= POSTING_CAP:
            return 0, len(posting)
        at = bisect_left(posting, position)
        lo = max(0, min(at - POSTING_CAP // 2, len(posting) - POSTING_CAP))
        return lo, lo + POSTING_CAP

    def _in_window(self, posting: list[int], position: float, i: int) -> bool:
        lo, hi = self._bounds(posting, position)
        at = bisect_left(posting, i, lo, hi)
        return at < hi and posting[at] == i

    # Queries

    def related(self, pm: Postmortem, limit: int = 5) -> list[Relation]:
        """Explicitly related incidents (both ways) first, then up to ``limit`` closest others."""
        if pm.id in self.position and self.postmortems[self.position[pm.id]] is pm:
            i = self.position[pm.id]
            query = _Query(_terms(pm), self.vectors[i], self.surfaces[i], i, pm.id, tuple(pm.related))
        else:
            tf, surface = self._count(postmortem_text(pm))
            query = _Query(_terms(pm), self._vector(tf), surface, self._locate(chronological_key(pm)),
                           pm.id, tuple(pm.related))
        return self._answer(query, limit)

    def similar_to_text(self, text: str, limit: int = 5) -> list[Relation]:
        """Incidents like a free-text description: its words, and the taxonomy terms it names."""
        tf, surface = self._count(text)
        query = _Query(self._mentioned_terms(text), self._vector(tf), surface,
                       float(len(self.postmortems)), mentioned=True)
        return self._answer(query, limit)

    def _locate(self, key: tuple) -> int:
        """Where an incident not in the index would sit in time."""
        return bisect_left(self._keys, key)

    def _mentioned_terms(self, text: str) -> list[tuple[str, str]]:
        tokens = [w for w in re.findall(r"[a-z0-9]+", text.lower())]
        found: list[tuple[str, str]] = []
        for size in (3, 2, 1):
            for start in range(len(tokens) - size + 1):
                phrase = "-".join(tokens[start:start + size])
                for facet in ("root_causes", "components", "actions"):
                    slug = None if self.taxonomy.is_open(facet) else self.taxonomy.resolve(facet, phrase)
                    if slug is None and (facet, slugify(phrase)) in self.term_postings:
                        slug = slugify(phrase)
                    if slug and (facet, slug) not in found:
                        found.append((facet, slug))
        return found

    def _term_weight(self, term: tuple[str, str]) -> tuple[float, float]:
        """A term's rarity and the weight of sharing it, worked out once per index."""
        known = self._term_weights.get(term)
        if known is None:
            rarity = self._rarity(term)
            known = self._term_weights[term] = (rarity, TERM_WEIGHTS.get(term[0], 0.0) * rarity)
        return known

    def _score(self, query: _Query) -> tuple[_Scores, set[int], _Windows]:
        """Scores of the candidates only (the incidents met in the query's posting lists), which
        of them have a strong reason to be shown, and the windows of the query's posting lists.

        This is the hot loop of a site build (once per incident, up to features x cap
        candidates each), so it adds numbers and nothing else; why a candidate scored is
        worked out afterwards, for the few that are shown (:meth:`_shared`). The sums run in
        lists as long as the index, which are faster to add into than dicts, and a candidate's
        score is put together only when asked for (:class:`_Scores`).
        """
        n = len(self.postmortems)
        cap = POSTING_CAP
        half = cap // 2
        position = query.position
        term_postings, word_postings, word_weights = self.term_postings, self.word_postings, self.word_weights
        term_sums = [0.0] * n
        text_sums = [0.0] * n
        met: list[list[int]] = []
        # Every product of word weights is above zero, so a sum still 0.0 marks an incident not
        # met yet: the list of those met through words is built as it goes, without a set.
        met_by_words: list[int] = []
        strong: set[int] = set()
        causes: list[list[int]] = []
        components: list[list[int]] = []
        term_windows: list[tuple[list[int], int, int]] = []
        word_windows: list[tuple[list[int], int, int] | None] = []
        for term in query.terms:
            rarity, weight = self._term_weight(term)
            posting = term_postings.get(term) or _EMPTY
            size = len(posting)
            if size <= cap:
                lo, hi, window = 0, size, posting
            else:
                lo = max(0, min(bisect_left(posting, position) - half, size - cap))
                hi = lo + cap
                window = posting[lo:hi]
            term_windows.append((posting, lo, hi))
            for i in window:
                term_sums[i] += weight
            met.append(window)
            facet = term[0]
            if facet == "root_causes":
                causes.append(window)
            elif facet == "components":
                components.append(window)
            if facet in ("root_causes", "components") and rarity >= STRONG_RARITY:
                strong.update(window)
        meet = met_by_words.append
        for stem, weight in query.vector.items():
            posting = word_postings.get(stem) or _EMPTY
            if not posting:
                word_windows.append(None)
                continue
            size = len(posting)
            if size <= cap:
                lo, hi = 0, size
                window, others = posting, word_weights[stem]
            else:
                lo = max(0, min(bisect_left(posting, position) - half, size - cap))
                hi = lo + cap
                window, others = posting[lo:hi], word_weights[stem][lo:hi]
            word_windows.append((posting, lo, hi))
            for i, other in zip(window, others):
                so_far = text_sums[i]
                if so_far:
                    text_sums[i] = so_far + weight * other
                else:
                    text_sums[i] = weight * other
                    meet(i)
        met.append(met_by_words)
        strong_text = STRONG_TEXT
        strong.update([i for i in met_by_words if text_sums[i] >= strong_text])
        paired: set[int] = set()
        if causes and components:
            by_cause = set().union(*causes)
            for window in components:
                paired.update(by_cause.intersection(window))
        return _Scores(met, term_sums, text_sums, paired), strong, (term_windows, word_windows)

    def _shared(self, i: int, query: _Query, windows: _Windows | None = None
                ) -> tuple[list[tuple[str, str]], list[tuple[float, str]]]:
        """The terms and the (weight, word) pairs through which incident ``i`` met the query
        (``windows``: the query's windows, as :meth:`_score` found them)."""
        if windows is None:
            windows = self._windows(query)
        term_windows, word_windows = windows
        terms = []
        for term, (posting, lo, hi) in zip(query.terms, term_windows):
            at = bisect_left(posting, i, lo, hi)
            if at < hi and posting[at] == i:
                terms.append(term)
        vector = self.vectors[i]
        shared_words = []
        for (stem, weight), window in zip(query.vector.items(), word_windows):
            # i is in a word's posting list exactly when the word is in its vector.
            if window is not None and stem in vector:
                posting, lo, hi = window
                if lo < hi and posting[lo] <= i <= posting[hi - 1]:
                    shared_words.append((weight * vector[stem], stem))
        return terms, shared_words

    def _windows(self, query: _Query) -> _Windows:
        """Where the windows of the query's posting lists start and end."""
        term_windows = []
        for term in query.terms:
            posting = self.term_postings.get(term) or _EMPTY
            term_windows.append((posting, *self._bounds(posting, query.position)))
        word_windows: list[tuple[list[int], int, int] | None] = []
        for stem in query.vector:
            posting = self.word_postings.get(stem) or _EMPTY
            word_windows.append((posting, *self._bounds(posting, query.position)) if posting else None)
        return term_windows, word_windows

    def _answer(self, query: _Query, limit: int) -> list[Relation]:
        scores, strong, windows = self._score(query)
        explicit_ids = list(dict.fromkeys([r for r in query.related if r in self.by_id] +
                                          [r for r in self.related_to.get(query.own_id or "", [])
                                           if r in self.by_id]))
        out: list[Relation] = []
        for rid in explicit_ids:
            i = self.position[rid]
            reasons = []
            if rid in query.related:
                reasons.append("linked by its writers")
            elif query.own_id and query.own_id in self.by_id[rid].related:
                reasons.append("links to this incident")
            out.append(Relation(self.by_id[rid], scores.score(i),
                                reasons + self._reasons(i, *self._shared(i, query, windows), query), True))
        skip = set(explicit_ids) | ({query.own_id} if query.own_id else set())
        # The best limit + len(skip) are enough: skipped ones are the only ones passed over.
        for i in self._ranked(scores, strong, limit + len(skip)):
            if len(out) - len(explicit_ids) >= limit:
                break
            pm = self.postmortems[i]
            if pm.id in skip:
                continue
            out.append(Relation(pm, scores.score(i), self._reasons(i, *self._shared(i, query, windows), query)))
        return out

    def _ranked(self, scores: _Scores, strong: set[int], count: int) -> list[int]:
        """The best ``count`` candidates that may be shown (a strong reason, at least MIN_SCORE),
        by score rounded to 9 places, highest first, then by id."""
        term_sums, text_sums, paired = scores.term_sums, scores.text_sums, scores.paired
        text_weight, pair_bonus, min_score = TEXT_WEIGHT, PAIR_BONUS, MIN_SCORE
        # The sum of _Scores.__getitem__ without a call for each (adding 0.0 changes nothing).
        shown = [(score, i) for i in strong
                 if (score := term_sums[i] + text_weight * text_sums[i] + (pair_bonus if i in paired else 0.0))
                 >= min_score]
        if len(shown) > count:
            # Only those whose rounded score can reach the count-th best's need their key made:
            # rounding moves a score by less than 1e-9.
            floor = sorted([score for score, _ in shown], reverse=True)[count - 1] - 1e-8 if count else math.inf
            shown = [(score, i) for score, i in shown if score >= floor]
        ids = self._ids
        keys = sorted([(-round(score, 9), ids[i], i) for score, i in shown])
        return [i for _, _, i in keys[:count]]

    def _reasons(self, i: int, shared_terms: list[tuple[str, str]], shared_words: list[tuple[float, str]],
                 query: _Query) -> list[str]:
        """A few words each: ``same root cause: Expired certificate``, ``same component: CDN``,
        ``similar words: ocsp, stapling``. Terms most incidents share are not named."""
        reasons: list[str] = []
        verb = "mentions" if query.mentioned else "same"
        titles: dict[str, list[str]] = {}  # facet -> the titles named, in the query's order
        for term in shared_terms:
            title = self._named(term)
            if title is not None:
                titles.setdefault(term[0], []).append(title)
        for facet in ("root_causes", "components", "actions", "tags"):
            named = titles.get(facet)
            if named:
                noun = FACET_SINGULAR[facet] + ("s" if len(named) > 1 else "")
                reasons.append(f"{verb} {noun}: {', '.join(named)}")
        # (-weight, stem): the heaviest first, ties by stem.
        pairs = sorted([(-w, stem) for w, stem in shared_words])[:MAX_SHOWN_WORDS]
        if pairs and sum(w for w, _ in shared_words) >= STRONG_TEXT:
            shown = [query.surface.get(stem) or self.surfaces[i].get(stem, stem) for w, stem in pairs if w < 0]
            if shown:
                reasons.append(f"similar words: {', '.join(shown)}")
        return reasons

    def _named(self, term: tuple[str, str]) -> str | None:
        """The title a shared term is named by among the reasons, or None when too many incidents
        have it to say anything (worked out once per index)."""
        if term in self._names:
            return self._names[term]
        facet, slug = term
        floor = STRONG_RARITY if facet in ("root_causes", "components") else SHOWN_RARITY
        title = self._names[term] = self._title(facet, slug) if self._term_weight(term)[0] >= floor else None
        return title

    def browser_index(self, url_of: Callable[[str], str]) -> dict[str, Any]:
        """What a browser needs to answer :meth:`similar_to_text` exactly as here (the home page's
        "Seen this before?"; ``assets`` nothing else): every number that needs a logarithm is
        computed here, so the browser only adds, multiplies, divides and takes square roots,
        which give the same results in every IEEE 754 implementation.

        ``url_of(id)`` is the link to an incident page from the page that asks."""
        n = len(self.postmortems)
        common = max(3, n // 2)
        kept = {s: self._idf(s) for s in self.df if n < 4 or self.df[s] <= common}
        words_out = {stem: [x for pair in zip(self.word_postings[stem], self.word_weights[stem]) for x in pair]
                     for stem in sorted(self.word_postings)}
        terms_out: dict[str, dict[str, Any]] = {}
        names: dict[str, dict[str, str]] = {}
        for (facet, slug), posting in sorted(self.term_postings.items()):
            terms_out.setdefault(facet, {})[slug] = {"title": self._title(facet, slug),
                                                     "rarity": self._rarity((facet, slug)), "postings": posting}
        for facet in ("root_causes", "components", "actions"):
            # A phrase names the term its taxonomy resolves it to, else a term of that slug in use.
            table = {slug: slug for slug in terms_out.get(facet, {})}
            if not self.taxonomy.is_open(facet):
                for term in self.taxonomy.terms.get(facet, {}).values():
                    for name in (term.slug, *term.aliases):
                        key = slugify(name)
                        resolved = self.taxonomy.resolve(facet, key)
                        if key and resolved:
                            table[key] = resolved
            names[facet] = dict(sorted(table.items()))
        return {
            "version": 1, "n": n, "posting_cap": POSTING_CAP, "term_weights": TERM_WEIGHTS, "pair_bonus": PAIR_BONUS,
            "text_weight": TEXT_WEIGHT, "min_score": MIN_SCORE, "strong_rarity": STRONG_RARITY,
            "strong_text": STRONG_TEXT, "shown_rarity": SHOWN_RARITY, "distinctive_words": DISTINCTIVE_WORDS,
            "max_shown_words": MAX_SHOWN_WORDS, "slug_length": SLUG_LENGTH, "stopwords": sorted(STOPWORDS),
            "singular": {f: FACET_SINGULAR[f] for f in ("root_causes", "components", "actions", "tags")},
            # log(c) for the counts of a word in a description, and the idf of a word no incident has.
            "log": [0.0] + [math.log(c) for c in range(1, LOG_TABLE)], "idf_unseen": math.log(n + 1) + 1.0,
            "idf": dict(sorted(kept.items())), "common": sorted(s for s in self.df if s not in kept),
            "words": words_out, "terms": terms_out, "names": names,
            "docs": [[pm.id, pm.title, pm.date.isoformat(), pm.severity, url_of(pm.id)] for pm in self.postmortems],
        }

    def _title(self, facet: str, slug: str) -> str:
        if facet == "tags":
            return slug
        title = self._titles.get((facet, slug))
        if title is None:
            title = self._titles[(facet, slug)] = self.taxonomy.term(facet, slug).title
        return title


def _terms(pm: Postmortem) -> list[tuple[str, str]]:
    terms = [("root_causes", s) for s in pm.root_causes] + [("components", s) for s in pm.components]
    terms += [("actions", s) for s in pm.actions] + [("tags", s) for s in pm.tag_slugs]
    return list(dict.fromkeys(terms))
