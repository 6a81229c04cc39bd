"""The whoosh index of a KB: its schema, and keeping it in step with the postmortems.

The index is a cache of the KB, never the truth: whatever is wrong with it (missing,
written by an older schema, from another taxonomy, corrupt) is answered by rebuilding it.
Two rules keep it from ever being read wrong:

* A full build is written into a fresh folder beside the index and swapped in with a
  rename, so a build that dies half-way leaves the old index (or none) in place.
* An incremental update goes through whoosh's own transaction: new segment files are
  written first and the table of contents that names them is renamed into place last,
  so a writer killed mid-update leaves the previous generation readable.

Where it lives matters: whoosh unpickles its table of contents, so opening an index runs
whatever that file says. An index is therefore never read from the repository (where a pull
request could ship one): by default it sits in the user's cache folder
(``$XDG_CACHE_HOME/postmortem-kb/``, else ``~/.cache/postmortem-kb/``), one folder per KB keyed
by a hash of the KB's resolved path (:func:`default_index_dir`), created private to the user.
A ``.pmkb/`` folder committed in a KB is never looked at.

Changes are found cheaply: every indexed document keeps its file's size, mtime and
sha1 in columns. Only files whose size or mtime moved are hashed, and only files whose
hash moved are parsed again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.index import LockError

from ..files import kb_cache_dir
from ..loader import KBConfig, discover, load_one
from ..model import Postmortem
from ..taxonomy import Taxonomy, load_taxonomy

# Bump when the schema or what goes into a field changes: an index with another
# version is not opened at all (its files carry another name) and is rebuilt.
# 3: written by whoosh3 (an index of whoosh-reloaded is rebuilt, never read by another whoosh).
SCHEMA_VERSION = 3
INDEX_NAME = f"pmkb_v{SCHEMA_VERSION}"
MARKER = "PMKB-INDEX"  # names a folder as ours, so a rebuild may replace it

POSTMORTEM, REJECTED = "postmortem", "rejected"
FACET_FIELDS = ("severity", "status", "root_causes", "components", "actions", "tags", "detection", "year")
TERM_KINDS = ("root_causes", "components", "actions")  # facets whose values are taxonomy slugs
METRIC_FIELDS = {  # index field -> key of Metrics.minutes()
    "time_to_detect": "time_to_detect_minutes",
    "time_to_mitigate": "time_to_mitigate_minutes",
    "time_to_resolve": "time_to_resolve_minutes",
    "impact_duration": "impact_duration_minutes",
}


def default_index_dir(kb_root: Path) -> Path:
    """Where the index of the KB at ``kb_root`` lives: outside the KB, one folder per resolved KB path."""
    return kb_cache_dir(kb_root) / "index"


def build_schema() -> Schema:
    text = StemmingAnalyzer()
    return Schema(
        # Bookkeeping: which file a document came from and the state it was read in.
        kind=ID(),
        source=ID(unique=True, stored=True, sortable=True),
        digest=ID(sortable=True),
        mtime_ns=NUMERIC(numtype=int, bits=64, sortable=True),
        size=NUMERIC(numtype=int, bits=64, sortable=True),
        # What is searched.
        id=ID(stored=True),
        # chars=True keeps each match's place, so snippets need no re-reading of the text.
        title=TEXT(analyzer=text, stored=True, field_boost=3.0, chars=True),
        body=TEXT(analyzer=text, stored=True, chars=True),
        authors=TEXT(stored=True),
        summary=STORED(),
        # The facets in words (titles and aliases of its terms, tags, severity) so that a
        # bare word such as `database` finds incidents filed under postgres.
        terms=TEXT(analyzer=text),
        # Facets: exact values, one token each.
        severity=ID(stored=True),
        status=ID(stored=True),
        root_causes=KEYWORD(stored=True, commas=True, lowercase=True, scorable=True),
        components=KEYWORD(stored=True, commas=True, lowercase=True, scorable=True),
        actions=KEYWORD(stored=True, commas=True, lowercase=True, scorable=True),
        tags=KEYWORD(stored=True, commas=True, lowercase=True, scorable=True),
        detection=KEYWORD(stored=True, commas=True, lowercase=True),
        date=DATETIME(stored=True, sortable=True),
        year=NUMERIC(numtype=int, stored=True, sortable=True),
        open_actions=NUMERIC(numtype=int, stored=True),
        **{name: NUMERIC(numtype=float, stored=True) for name in METRIC_FIELDS},
    )


SCHEMA = build_schema()


class IndexFolderError(Exception):
    """The index folder cannot be used (for example: it is not ours to replace)."""


@dataclass
class UpdateReport:
    """What one refresh did, by source path."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # files with errors, kept out of results
    rebuilt: bool = False
    reason: str = ""  # why it was rebuilt
    skipped: str = ""  # why it was not updated (another writer held the lock)

    @property
    def reindexed(self) -> list[str]:
        return self.added + self.changed

    @property
    def touched(self) -> bool:
        return bool(self.added or self.changed or self.deleted or self.rejected or self.rebuilt)


_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
# Headings, table rules, code ticks, emphasis (not the underscores inside names), comments.
_MARKUP = re.compile(r"^#{1,6}\s+|^\s*\|?[-:| ]+\|\s*$|`+|\*{1,3}|(?<!\w)_{1,3}|_{1,3}(?!\w)|<!--.*?-->",
                     re.M | re.S)


def plain_text(markdown: str) -> str:
    """Markdown as readable text for indexing and snippets: no link targets, no markup."""
    text = _LINK.sub(r"\1", markdown)
    text = _MARKUP.sub("", text)
    text = text.replace("|", " ")
    return re.sub(r"[ \t]+", " ", text).strip()


def kb_context(config: KBConfig, taxonomy_bytes: bytes) -> str:
    """What, besides a file itself, decides how it is indexed; a change rebuilds the index."""
    h = hashlib.sha1()
    h.update(f"{SCHEMA_VERSION}|{config.strict_terms}|".encode())
    h.update(taxonomy_bytes)
    return h.hexdigest()


def facet_words(pm: Postmortem, taxonomy: Taxonomy) -> str:
    words = [pm.severity, *pm.tags]
    for kind in TERM_KINDS:
        for slug in getattr(pm, kind):
            term = taxonomy.term(kind, slug)
            words += [slug.replace("-", " "), term.title, *term.aliases]
    return " ".join(w.replace("-", " ") for w in words if w)


def document(pm: Postmortem, taxonomy: Taxonomy, mtime_ns: int, size: int) -> dict:
    """The whoosh document for a postmortem."""
    prose = [pm.trigger, pm.impact, *(a.title for a in pm.action_items), plain_text(pm.body)]
    doc = {
        "kind": POSTMORTEM, "source": pm.source, "digest": pm.digest, "mtime_ns": mtime_ns, "size": size,
        "id": pm.id, "title": pm.title, "body": "\n\n".join(p for p in prose if p),
        "authors": ", ".join(pm.authors), "terms": facet_words(pm, taxonomy), "summary": plain_text(pm.summary)[:400],
        "severity": pm.severity, "status": pm.status,
        "root_causes": ",".join(pm.root_causes), "components": ",".join(pm.components),
        "actions": ",".join(pm.actions), "tags": ",".join(pm.tag_slugs),
        "detection": pm.detection.strip().lower(),
        "date": dt.datetime.combine(pm.date, dt.time()), "year": pm.date.year,
        "open_actions": sum(1 for a in pm.action_items if a.is_open),
    }
    minutes = pm.metrics.minutes()
    for name, key in METRIC_FIELDS.items():
        value = minutes.get(key)
        if value is not None:
            doc[name] = float(value)
    return {k: v for k, v in doc.items() if v not in ("", None)}


def _walk_order(source: str) -> list[tuple[int, str]]:
    """The order the loader discovers files in: a folder's files (sorted) before its subfolders."""
    *folders, name = source.split("/")
    return [(1, folder) for folder in folders] + [(0, name)]


def _rejected_document(source: str, digest: str, mtime_ns: int, size: int) -> dict:
    # Remembered so an unchanged broken file is not parsed again on every search.
    return {"kind": REJECTED, "source": source, "digest": digest, "mtime_ns": mtime_ns, "size": size}


@dataclass
class _Seen:
    digest: str
    mtime_ns: int
    size: int


class KBIndex:
    """A KB's whoosh index in ``index_dir``; open it once, refresh it, search it.

    Not thread-safe; one process may refresh while others read.
    """

    def __init__(self, index_dir: Path, config: KBConfig):
        self.index_dir = Path(index_dir)
        self.config = config
        taxonomy_path = config.taxonomy_path
        taxonomy_bytes = taxonomy_path.read_bytes() if taxonomy_path.is_file() else b""
        self.taxonomy: Taxonomy = load_taxonomy(taxonomy_path if taxonomy_path.is_file() else None)
        self.context = kb_context(config, taxonomy_bytes)
        self._ix: Any = None  # whoosh's FileIndex once opened (whoosh has no type hints)
        self._searcher: Any = None
        self._facets_for = None  # the searcher the facet table was read from
        self._shadowed_for = None  # the searcher the duplicated ids were read from
        self._shadowed: frozenset[str] = frozenset()
        self._facets: dict[str, list] = {}

    # -- opening -----------------------------------------------------------------------

    def _open_existing(self):
        """The index on disk if it is ours, current and readable; else None and why."""
        folder = self.index_dir
        if not folder.is_dir():
            return None, "no index yet"
        ix = None
        try:
            if not whoosh_index.exists_in(str(folder), indexname=INDEX_NAME):
                return None, "the index was written by another version of pmkb"
            ix = whoosh_index.open_dir(str(folder), indexname=INDEX_NAME)
            if not _same_schema(ix.schema, SCHEMA):
                reason = "the index schema differs from this version's"
            elif _stored_context(folder) != self.context:
                reason = "the taxonomy or settings changed"
            else:
                with ix.searcher() as searcher:
                    # Read every column we rely on, so a damaged segment shows here, not later.
                    for _ in _read_state(searcher.reader()):
                        pass
                return ix, ""
        except Exception as exc:  # noqa: BLE001 - any failure to read a cache means: rebuild it
            reason = f"the index is unreadable ({type(exc).__name__})"
        if ix is not None:
            ix.close()
        return None, reason

    def open(self, refresh: bool = True) -> UpdateReport:
        """Open the index, rebuilding it when it cannot be trusted, then bring it up to date."""
        ix, reason = self._open_existing()
        if ix is None:
            return self.rebuild(reason)
        self._set_index(ix)
        return self.refresh() if refresh else UpdateReport()

    def _set_index(self, ix) -> None:
        self.close()
        self._ix = ix

    @property
    def searcher(self):
        """One searcher, reused across searches until the index changes."""
        if self._ix is None:
            self.open()
        if self._searcher is not None and not self._searcher.up_to_date():
            # Not Searcher.refresh(): it fails on an index without segments (an empty KB).
            self._searcher.close()
            self._searcher = None
        if self._searcher is None:
            self._searcher = self._ix.searcher()
        return self._searcher

    def facet_values(self) -> dict[str, list]:
        """For each facet field, the values of every document by document number.

        Read once per index generation from the posting lists (a few terms per facet), so
        that counting facets over a search's matches is a lookup per match, not a scan.
        """
        searcher = self.searcher
        if self._facets_for is searcher:
            return self._facets
        reader = searcher.reader()
        size = reader.doc_count_all()
        table: dict[str, list] = {}
        for name in FACET_FIELDS:
            values: list = [()] * size
            if not size:
                pass
            elif name == "year":  # numeric terms are tiered: read the plain values from the column
                column = reader.column_reader("year")
                for docnum in reader.all_doc_ids():
                    values[docnum] = (str(column[docnum]),)
            else:
                for term in reader.field_terms(name):
                    for docnum in reader.postings(name, term).all_ids():
                        values[docnum] = values[docnum] + (term,)
            table[name] = values
        self._facets_for, self._facets = searcher, table
        return table

    def shadowed_sources(self) -> frozenset[str]:
        """Sources the KB rejects for an id an earlier file already uses (the loader's `duplicate-id`).

        Files are indexed one by one, so this KB-wide rule is applied when searching: as in the
        loader, the first file in the KB's order keeps the id and the others are not served.
        """
        searcher = self.searcher
        if self._shadowed_for is searcher:
            return self._shadowed
        by_id: dict[str, list[str]] = {}
        for fields in searcher.all_stored_fields():
            if fields.get("id"):  # broken files are stored without an id
                by_id.setdefault(fields["id"], []).append(fields["source"])
        shadowed = set()
        for sources in by_id.values():
            if len(sources) > 1:
                shadowed.update(sorted(sources, key=_walk_order)[1:])
        self._shadowed_for, self._shadowed = searcher, frozenset(shadowed)
        return self._shadowed

    def close(self) -> None:
        self._facets_for, self._facets = None, {}
        self._shadowed_for, self._shadowed = None, frozenset()
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        if self._ix is not None:
            self._ix.close()
            self._ix = None

    def __enter__(self) -> KBIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- reading the KB --------------------------------------------------------------------

    def _files(self) -> Iterator[tuple[str, Path, os.stat_result]]:
        root = self.config.root.resolve()
        paths, _problems = discover(self.config)
        for path in paths:
            try:
                st = path.stat()
            except OSError:
                continue
            try:
                source = path.relative_to(root).as_posix()
            except ValueError:
                source = path.as_posix()
            yield source, path, st

    def _load(self, path: Path, source: str, st: os.stat_result) -> dict:
        pm = load_one(path, self.taxonomy, self.config).postmortem
        if pm is None or any(p.is_error for p in pm.problems):
            data = path.read_bytes() if path.is_file() else b""
            return _rejected_document(source, hashlib.sha1(data).hexdigest(), st.st_mtime_ns, st.st_size)
        return document(pm, self.taxonomy, st.st_mtime_ns, st.st_size)

    # -- writing -----------------------------------------------------------------------------

    def rebuild(self, reason: str = "asked to rebuild") -> UpdateReport:
        """Index every postmortem into a new folder and swap it in place of the old one."""
        report = UpdateReport(rebuilt=True, reason=reason)
        self.close()
        folder = self.index_dir
        _check_replaceable(folder)
        folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # the cache is the user's alone
        fresh = Path(tempfile.mkdtemp(prefix=f".{folder.name}.new-", dir=folder.parent))
        try:
            (fresh / MARKER).write_text(self.context + "\n", encoding="utf-8")
            ix = whoosh_index.create_in(str(fresh), SCHEMA, indexname=INDEX_NAME)
            writer = ix.writer(limitmb=128)
            try:
                for source, path, st in self._files():
                    doc = self._load(path, source, st)
                    writer.add_document(**doc)
                    (report.added if doc["kind"] == POSTMORTEM else report.rejected).append(source)
                writer.commit()
            except BaseException:
                writer.cancel()
                raise
            ix.close()
            _swap_in(fresh, folder)
        finally:
            if fresh.exists():
                shutil.rmtree(fresh, ignore_errors=True)
        self._set_index(whoosh_index.open_dir(str(folder), indexname=INDEX_NAME))
        return report

    def refresh(self) -> UpdateReport:
        """Re-index exactly the postmortems added, changed or deleted since the last update."""
        if self._ix is None:
            return self.open()
        report = UpdateReport()
        try:
            with self._ix.searcher() as searcher:
                state = {source: seen for source, seen in _read_state(searcher.reader())}
        except Exception as exc:  # noqa: BLE001 - damaged since it was opened: rebuild
            return self.rebuild(f"the index is unreadable ({type(exc).__name__})")
        updates: list[tuple[str, Path, os.stat_result, bool]] = []  # (source, path, stat, is_new)
        present: set[str] = set()
        for source, path, st in self._files():
            present.add(source)
            seen = state.get(source)
            if seen is not None and seen.mtime_ns == st.st_mtime_ns and seen.size == st.st_size:
                continue
            if seen is not None:
                try:
                    if hashlib.sha1(path.read_bytes()).hexdigest() == seen.digest:
                        continue  # touched, not changed
                except OSError:
                    pass
            updates.append((source, path, st, seen is None))
        gone = sorted(set(state) - present)
        if not updates and not gone:
            return report
        try:
            writer = self._ix.writer(timeout=2.0)
        except LockError:
            report.skipped = "another pmkb process is updating the index; searched the last complete update"
            return report
        try:
            for source in gone:
                writer.delete_by_term("source", source)
                report.deleted.append(source)
            for source, path, st, is_new in updates:
                doc = self._load(path, source, st)
                writer.update_document(**doc)
                if doc["kind"] == REJECTED:
                    report.rejected.append(source)
                else:
                    (report.added if is_new else report.changed).append(source)
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        return report

    def doc_count(self) -> int:
        from whoosh.query import Term

        return self.searcher.search(Term("kind", POSTMORTEM), limit=None, scored=False).estimated_length()


def _same_schema(a: Schema, b: Schema) -> bool:
    if sorted(a.names()) != sorted(b.names()):
        return False
    return all(type(a[name]) is type(b[name]) and a[name].stored == b[name].stored for name in a.names())


def _stored_context(folder: Path) -> str:
    try:
        return (folder / MARKER).read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def _read_state(reader) -> Iterator[tuple[str, _Seen]]:
    """(source, digest/mtime/size) of every live document, from columns, without stored fields."""
    if reader.doc_count_all() == 0:  # an empty index has no columns at all
        return
    sources = reader.column_reader("source")
    digests = reader.column_reader("digest")
    mtimes = reader.column_reader("mtime_ns")
    sizes = reader.column_reader("size")
    for docnum in reader.all_doc_ids():
        yield sources[docnum], _Seen(digests[docnum], int(mtimes[docnum]), int(sizes[docnum]))


def _check_replaceable(folder: Path) -> None:
    if not folder.exists():
        return
    if not folder.is_dir():
        raise IndexFolderError(f"{folder} is a file, not an index folder; choose another --index-dir")
    if (folder / MARKER).exists() or not any(folder.iterdir()):
        return
    raise IndexFolderError(f"{folder} holds files that are not a pmkb index; refusing to replace it "
                      "(choose an empty or new --index-dir)")


def _swap_in(fresh: Path, folder: Path) -> None:
    """Put the folder ``fresh`` where ``folder`` is; the old one is removed after the switch."""
    old = None
    if folder.exists():
        old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
        if old.exists():
            shutil.rmtree(old)
        os.replace(folder, old)
    os.replace(fresh, folder)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
