"""The site's search index, in small files a reader's browser loads only as a query needs them.

The theme's own index (``search/search_index.json``) holds the text of every page and is
downloaded whole before the first result: 14 MiB at 1,000 postmortems, 154 MiB at 10,000. This
one is made from the structured data the KB already has, for incidents only (listing, term,
tag and year pages stay out of search), plus the site's own pages (the theme's entries for
them, grouped by page):

* each incident is one *document*: its title, severity, date, root causes and components
  (their titles, keys and every taxonomy alias, so an alias finds its term's incidents), tags,
  the summary, impact and trigger, and the rest of the write-up at the lowest weight (its first
  :data:`BODY_CHARS` characters; only the words found in at most :data:`BODY_MAX_DOCS`
  write-ups); the text shown under a result is a one-line summary;
* ``search/shards/t-<hex>.js``: the *postings* (document numbers and weights) of every word,
  one file per word prefix (the first two characters, ``<hex>`` their UTF-8 bytes in hex); a
  prefix whose file would pass :data:`SHARD_BYTES` is split again by one more character;
* ``search/shards/d-<n>.js``: the documents themselves (address, title, text), in chunks of
  :data:`DOCS_PER_CHUNK`, fetched only for the results shown;
* ``search/shards/manifest.js``: the number of documents and every shard with its size.

Every file is a script calling ``pmkbSearchLoaded(name, data)`` with JSON data, so the same
file is read by ``fetch`` over http and by a ``<script>`` element from ``file://`` (where fetch
is refused). The query side is ``assets/pmkb-search-worker.js``: it speaks the theme's search
worker protocol, so the theme's search box and result list are unchanged.

Weights are computed here, once: a word scores by where it appears (title above facets above
text), so the browser only adds numbers. Tokens are runs of letters and digits, lower-cased, at
most :data:`MAX_TOKEN` characters (the worker splits a query the same way).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

SHARD_BYTES = 48 * 1024  # a word prefix's file is split again beyond this
DOCS_PER_CHUNK = 2  # results are scattered: a larger chunk brings mostly records nobody sees
MAX_TOKEN = 40  # longer "words" (hashes, hostile runs) are not indexed
EXCERPT_CHARS = 600  # of the summary, impact and trigger, indexed above the rest of the write-up
BODY_CHARS = 8000  # of the whole write-up, indexed at the lowest weight
BODY_MAX_DOCS = 100  # a write-up word in more write-ups than this (more than a result list shows) is not
# indexed from them: it finds nothing in particular, and such words' long lists were most of a query's download
SNIPPET_CHARS = 220  # shown under a result
SHARDS_DIR = "search/shards"

# Where a word appears, and what that is worth.
TITLE, FACET, TEXT, EXCERPT, BODY = 10.0, 5.0, 2.0, 1.0, 0.5

# Words too common to find anything by; a query ignores them too (the worker has the same list).
STOP_WORDS = frozenset("""
a an and are as at be but by for from had has have in into is it its of on or that the their
then there these this to was we were which while with
""".split())

_WORD = re.compile(r"[^\W_]+")
# The same words of ASCII text, found faster: every ASCII character that is not a letter or digit
# becomes a space, and the text is split on spaces.
_ASCII_SPACES = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})


def _words(lowered: str) -> list[str]:
    """``_WORD.findall(lowered)``."""
    if lowered.isascii():
        return lowered.translate(_ASCII_SPACES).split()
    return _WORD.findall(lowered)
_MARKUP = re.compile(r"[`*_#>|~]+|\[([^\[\]]*)\]\([^()]*\)|<[^<>]*>")
_SPACE = re.compile(r"\s+")


def tokens(text: str) -> list[str]:
    """The words of ``text`` as the index and the worker see them."""
    return [w for w in _words(text.lower()) if len(w) <= MAX_TOKEN and w not in STOP_WORDS]


_MARKUP_NO_LINK = re.compile(r"[`*_#>|~]+|<[^<>]*>")  # _MARKUP for text without "[": no link can match


def plain(text: str) -> str:
    """Markdown and tags dropped, whitespace collapsed (one linear pass each)."""
    dropped = _MARKUP.sub(_link_text, text) if "[" in text else _MARKUP_NO_LINK.sub(" ", text)
    return " ".join(dropped.split())  # what _SPACE.sub(" ", ...).strip() gives


def _link_text(m: re.Match) -> str:
    return m.group(1) or " "


def shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(" ,.;:") + "…"


@dataclass
class SearchDoc:
    """One search result: its address (relative to the site root), title, the line shown under
    it, and the texts it is found by, each with its weight."""

    url: str
    title: str
    text: str
    fields: list[tuple[str, float]] = field(default_factory=list)
    boost: float = 1.0  # the site's own pages rank below incidents that match as well
    body: str = ""  # the rest of the write-up: only its distinctive words are indexed (see build)


def incident_doc(pm, taxonomy, url: str) -> SearchDoc:
    facets: list[str] = []
    names: list[str] = []
    for kind, slugs in (("root_causes", pm.root_causes), ("components", pm.components)):
        for slug in slugs:
            term = taxonomy.terms.get(kind, {}).get(slug)
            title = term.title if term else slug
            names.append(title)
            facets += [title, slug.replace("-", " "), *(term.aliases if term else ())]
    facets += [t for t in pm.tags] + [pm.severity, str(pm.date.year)]
    summary = plain(pm.summary or "")
    impact = plain(pm.impact or "")
    excerpt = shorten(" ".join(x for x in (summary, impact, plain(pm.trigger or "")) if x), EXCERPT_CHARS)
    line = " · ".join(x for x in (pm.severity, pm.date.isoformat(), ", ".join(names)) if x)
    snippet = shorten(f"{line} — {summary}" if summary else line, SNIPPET_CHARS)
    body = plain(" ".join(f"{section.title} {section.text}" for section in pm.sections))[:BODY_CHARS]
    return SearchDoc(url=url, title=pm.title, text=snippet,
                     fields=[(pm.title, TITLE), (" ".join(facets), FACET), (summary, TEXT), (excerpt, EXCERPT)],
                     body=body)


def incident_docs(postmortems: Iterable, taxonomy, url_of: Callable[[str], str]) -> list[SearchDoc]:
    """One document per incident shown on the site, in the order given (newest first)."""
    return [incident_doc(pm, taxonomy, url_of(pm.id)) for pm in postmortems]


def page_docs(theme_index: dict, skip: Callable[[str], bool] = lambda url: False) -> list[SearchDoc]:
    """The site's own pages, from the theme's index entries (one per section), one document per
    page; ``skip(url)`` leaves a page out (the generated ones are indexed from data)."""
    pages: dict[str, dict] = {}
    for entry in theme_index.get("docs") or []:
        location = str(entry.get("location", ""))
        url = location.split("#", 1)[0]
        if skip(url):
            continue
        page = pages.setdefault(url, {"title": "", "sections": [], "text": []})
        title, text = plain(str(entry.get("title", ""))), plain(str(entry.get("text", "")))
        if "#" not in location or not page["title"]:
            page["title"] = page["title"] if "#" in location else title
        page["sections"].append(title)
        if sum(len(t) for t in page["text"]) < 20 * EXCERPT_CHARS:
            page["text"].append(text)
    docs = []
    for url, page in pages.items():
        title = page["title"] or (page["sections"][0] if page["sections"] else url)
        text = " ".join(t for t in page["text"] if t)
        docs.append(SearchDoc(url=url, title=title, text=shorten(text, SNIPPET_CHARS),
                              fields=[(title, TITLE), (" ".join(page["sections"]), FACET), (text, EXCERPT)],
                              boost=0.5))
    return docs


def _counts(text: str) -> dict[str, int]:
    """word -> how many times it is in ``text``, in the order the words first appear (the words
    of :func:`tokens`: counted first, then the long ones and stop words dropped, once each)."""
    counts = Counter(_words(text.lower()))
    dropped = counts.keys() & STOP_WORDS
    if counts and max(map(len, counts)) > MAX_TOKEN:
        dropped.update(w for w in counts if len(w) > MAX_TOKEN)
    for word in dropped:
        del counts[word]
    return counts


# 1 + log(n) for the counts most words have.
_DAMPED = [0.0] + [1 + math.log(n) for n in range(1, 64)]


def _add(scores: dict[str, float], counts: Iterable[tuple[str, int]], weight: float) -> None:
    damped, get = _DAMPED, scores.get
    for word, n in counts:
        scores[word] = get(word, 0.0) + weight * (damped[n] if n < 64 else 1 + math.log(n))


def _weights(doc: SearchDoc, body: Iterable[tuple[str, int]]) -> dict[str, int]:
    """word -> weight (1..999) in this document: each field adds its weight, with diminishing
    returns for a word repeated within a field (in quarters: whole numbers keep the files short).
    ``body``: (word, count) of the write-up's words that are indexed."""
    scores: dict[str, float] = {}
    for text, weight in doc.fields:
        _add(scores, _counts(text).items(), weight)
    _add(scores, body, BODY)
    return {w: max(1, min(999, round(4 * s * doc.boost))) for w, s in scores.items()}


def _script(name: str, data) -> bytes:
    # "</" escaped: no title can end a script element that holds this.
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")
    return f'pmkbSearchLoaded("{name}",{body});\n'.encode()


def shard_name(key: str) -> str:
    return "t-" + key.encode("utf-8").hex()


def build(docs: list[SearchDoc]) -> dict[str, bytes]:
    """File name (under ``search/shards/``) -> content, for these documents in this order.

    A word of the write-ups found in more than :data:`BODY_MAX_DOCS` of them is indexed only
    where it also appears in a document's title, facets, summary, impact or trigger: a word that
    common finds nothing in particular, and its long list of postings is what a query would download."""
    # The write-ups' word counts, kept compact until the common words are known: each document's
    # words (one string object per word, shared by every document) and their counts, as tuples.
    canonical: dict[str, str] = {}
    frequency: Counter[str] = Counter()
    bodies: list[tuple[tuple[str, ...], tuple[int, ...]]] = []
    for doc in docs:
        counts = _counts(doc.body)
        frequency.update(counts.keys())
        bodies.append((tuple(map(canonical.setdefault, counts, counts)), tuple(counts.values())))
    del canonical
    postings: dict[str, list[int]] = {}
    for number, doc in enumerate(docs):
        kept, times = bodies[number]
        bodies[number] = ((), ())  # given back as it is read
        body = [(w, n) for w, n in zip(kept, times) if frequency[w] <= BODY_MAX_DOCS]
        for word, weight in _weights(doc, body).items():
            postings.setdefault(word, []).extend((number, weight))
    del bodies, frequency

    # Each word's postings as the JSON its shard file holds ("[n,w,n,w...]"), document numbers as
    # differences (short numbers), written once: its length decides how the shards are cut.
    encoded_words: dict[str, str] = {}
    for word, flat in postings.items():
        numbers = flat[0::2]
        out = flat[:]
        out[0::2] = [b - a for a, b in zip([0, *numbers], numbers)]
        encoded_words[word] = f"[{','.join(map(str, out))}]"
    del postings
    # A word's share of its shard file, about: the word, quotes, colon and comma, and its numbers.
    sized = {word: len(word) + 3 + len(encoded) for word, encoded in encoded_words.items()}

    def size(words: list[str]) -> int:
        return sum(sized[w] for w in words)

    files: dict[str, bytes] = {}
    sizes: dict[str, int] = {}

    def emit(key: str, words: list[str]) -> None:
        if not words:
            return
        # What _script writes for {word: postings}, from the postings already written.
        body = ",".join(f"{json.dumps(w, ensure_ascii=False)}:{encoded_words[w]}" for w in sorted(words))
        content = f'pmkbSearchLoaded("{shard_name(key)}",{{{body}}});\n'.replace("</", "<\\/").encode()
        files[shard_name(key) + ".js"] = content
        sizes[key] = len(content)

    def place(key: str, words: list[str]) -> None:
        longer = [w for w in words if len(w) > len(key)]
        if size(words) <= SHARD_BYTES or not longer:
            emit(key, words)
            return
        emit(key, [w for w in words if len(w) <= len(key)])
        groups: dict[str, list[str]] = {}
        for w in longer:
            groups.setdefault(w[: len(key) + 1], []).append(w)
        for sub, group in groups.items():
            place(sub, group)

    top: dict[str, list[str]] = {}
    for word in encoded_words:
        top.setdefault(word[:2], []).append(word)
    for key, words in top.items():
        place(key, words)

    for start in range(0, len(docs), DOCS_PER_CHUNK):
        chunk = docs[start:start + DOCS_PER_CHUNK]
        files[f"d-{start // DOCS_PER_CHUNK}.js"] = _script(
            f"d-{start // DOCS_PER_CHUNK}", [[d.url, d.title, d.text] for d in chunk])
    files["manifest.js"] = _script("manifest", {"version": 1, "docs": len(docs), "chunk": DOCS_PER_CHUNK,
                                                "stop": sorted(STOP_WORDS), "max_token": MAX_TOKEN,
                                                "shards": dict(sorted(sizes.items()))})
    return files


@dataclass
class Written:
    documents: int
    files: int
    bytes: int
    largest: int


def write_search_index(site_dir: Path, postmortems: Iterable, taxonomy, url_of: Callable[[str], str],
                       skip: Callable[[str], bool] = lambda url: False) -> Written:
    """Write ``search/shards/`` into a built site and cut the theme's ``search_index.json`` down
    to its configuration, after folding its entries for the site's own pages into the shards.

    ``url_of(id)`` is an incident page's address relative to the site root; ``skip(url)`` is true
    for the generated pages (they are indexed from data, or kept out of search)."""
    site_dir = Path(site_dir)
    theme_file = site_dir / "search" / "search_index.json"
    theme: dict = {}
    if theme_file.is_file():
        theme = json.loads(theme_file.read_text("utf-8"))
    incident_urls: set[str] = set()

    def url(pm_id: str) -> str:
        address = url_of(pm_id)
        incident_urls.add(address)
        return address

    docs = incident_docs(postmortems, taxonomy, url)
    docs += page_docs(theme, lambda u: u in incident_urls or skip(u))
    files = build(docs)
    out = site_dir / SHARDS_DIR
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.js"):  # a rebuild into the same folder leaves no stale shard
        if old.name not in files:
            old.unlink()
    for name, content in files.items():
        (out / name).write_bytes(content)
    if theme_file.is_file():
        theme_file.write_text(json.dumps({"config": theme.get("config", {}), "docs": []}, separators=(",", ":")),
                              "utf-8")
    return Written(len(docs), len(files), sum(len(c) for c in files.values()),
                   max((len(c) for n, c in files.items() if n.startswith("t-")), default=0))


__all__ = ["SearchDoc", "build", "incident_docs", "page_docs", "plain", "tokens", "write_search_index"]
