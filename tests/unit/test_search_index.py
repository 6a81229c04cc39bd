"""The whoosh index as a cache of the KB: incremental updates, rebuilds, and surviving crashes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.fields import ID, TEXT, Schema

import postmortem_kb.search.index as search_index
from kit.search_kb import make_kb, sample_kb, write
from postmortem_kb.loader import KBConfig
from postmortem_kb.search import IndexFolderError, KBIndex, search
from postmortem_kb.search.index import INDEX_NAME, MARKER

TESTS = Path(__file__).resolve().parents[1]


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    return sample_kb(tmp_path)


@pytest.fixture
def parsed(monkeypatch) -> list[str]:
    """The files the index parses, in order: proof of what was re-indexed."""
    seen: list[str] = []
    real = search_index.load_one

    def counting(path, taxonomy, config):
        seen.append(path.name)
        return real(path, taxonomy, config)

    monkeypatch.setattr(search_index, "load_one", counting)
    return seen


def ids(ix: KBIndex, query: str = "") -> set[str]:
    return {h.id for h in search(ix, query, limit=None).hits}


def open_index(kb: Path, tmp_path: Path) -> KBIndex:
    ix = KBIndex(tmp_path / "ix", KBConfig(root=kb))
    ix.open()
    return ix


def test_first_open_builds_then_nothing_to_do(kb, tmp_path, parsed):
    with KBIndex(tmp_path / "ix", KBConfig(root=kb)) as ix:
        report = ix.open()
        assert report.rebuilt and report.reason == "no index yet"
        assert len(report.added) == 6 and len(parsed) == 6
        parsed.clear()
        again = ix.refresh()
        assert not again.touched and parsed == []
    with KBIndex(tmp_path / "ix", KBConfig(root=kb)) as ix:  # a later run reads the same index
        assert not ix.open().touched and parsed == []
        assert ix.doc_count() == 6


def test_change_add_delete_reindex_exactly_those(kb, tmp_path, parsed):
    ix = open_index(kb, tmp_path)
    parsed.clear()
    write(kb, "redis-evict", title="Sessions evicted from Redis", date="2024-01-01", severity="SEV2",
          components="redis", root_causes="configuration-change",
          summary="Now the story mentions a quasarfrobnicator.")
    write(kb, "brand-new", title="Kafka partition stuck", date="2026-02-02", components="kafka",
          root_causes="software-bug", summary="A stuck partition.")
    (kb / "postmortems" / "cert-expiry.md").unlink()
    report = ix.refresh()
    assert report.changed == ["postmortems/redis-evict.md"]
    assert report.added == ["postmortems/brand-new.md"]
    assert report.deleted == ["postmortems/cert-expiry.md"]
    assert sorted(parsed) == ["brand-new.md", "redis-evict.md"]
    assert ids(ix, "quasarfrobnicator") == {"redis-evict"}
    assert ids(ix, "maxmemory") == set()  # the old text is gone
    assert ids(ix, "component:kafka") == {"brand-new"}
    assert ids(ix, "wildcard") == set()
    assert "cert-expiry" not in ids(ix)
    assert len(ids(ix)) == 6
    ix.close()


def test_touched_but_unchanged_file_is_not_reindexed(kb, tmp_path, parsed):
    ix = open_index(kb, tmp_path)
    parsed.clear()
    path = kb / "postmortems" / "lb-maxconn.md"
    later = time.time() + 100
    os.utime(path, (later, later))
    assert not ix.refresh().touched
    assert parsed == []
    ix.close()


def test_a_file_with_errors_is_left_out_and_not_reparsed(kb, tmp_path, parsed):
    ix = open_index(kb, tmp_path)
    (kb / "postmortems" / "pg-pool.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    parsed.clear()
    report = ix.refresh()
    assert report.rejected == ["postmortems/pg-pool.md"] and parsed == ["pg-pool.md"]
    assert "pg-pool" not in ids(ix)
    parsed.clear()
    assert not ix.refresh().touched and parsed == []
    write(kb, "pg-pool", title="Pool fixed", date="2023-06-01", summary="Back again.")
    assert ix.refresh().changed == ["postmortems/pg-pool.md"]
    assert "pg-pool" in ids(ix, "pool")
    ix.close()


def test_taxonomy_change_rebuilds(kb, tmp_path):
    ix = open_index(kb, tmp_path)
    ix.close()
    taxonomy = kb / "taxonomy.yml"
    taxonomy.write_text(taxonomy.read_text(encoding="utf-8").replace("aliases: [postgresql, database,",
                                                                     "aliases: [postgresql, pgsql, database,"))
    with KBIndex(tmp_path / "ix", KBConfig(root=kb)) as ix:
        report = ix.open()
        assert report.rebuilt and "taxonomy" in report.reason
        assert ids(ix, "component:pgsql") == {"pg-pool", "pg-wraparound"}


def test_index_from_an_older_schema_is_rebuilt(kb, tmp_path):
    folder = tmp_path / "ix"
    folder.mkdir()
    # What an older pmkb would have left: its marker, another index name, another schema.
    (folder / MARKER).write_text("an older context\n")
    old = whoosh_index.create_in(str(folder), Schema(id=ID(stored=True), text=TEXT), indexname="pmkb_v0")
    with old.writer() as w:
        w.add_document(id="stale", text="wraparound")
    with KBIndex(folder, KBConfig(root=kb)) as ix:
        report = ix.open()
        assert report.rebuilt and "another version" in report.reason
        assert ids(ix, "wraparound") == {"pg-wraparound"}
    assert not list(folder.glob("_pmkb_v0_*"))  # the old files went with the old folder


def test_same_name_but_different_schema_is_rebuilt(kb, tmp_path):
    folder = tmp_path / "ix"
    folder.mkdir()
    (folder / MARKER).write_text("whatever\n")
    odd = whoosh_index.create_in(str(folder), Schema(source=ID(stored=True, unique=True), title=TEXT(stored=True)),
                                 indexname=INDEX_NAME)
    with odd.writer() as w:
        w.add_document(source="postmortems/x.md", title="wraparound")
    with KBIndex(folder, KBConfig(root=kb)) as ix:
        report = ix.open()
        assert report.rebuilt and "schema" in report.reason
        assert ids(ix, "wraparound") == {"pg-wraparound"}


@pytest.mark.parametrize("damage", ["segments", "toc", "empty-files"])
def test_corrupt_index_is_rebuilt(kb, tmp_path, damage):
    ix = open_index(kb, tmp_path)
    ix.close()
    folder = tmp_path / "ix"
    for f in folder.iterdir():
        if f.name == MARKER:
            continue
        if damage == "segments" and f.suffix != ".toc":
            f.write_bytes(b"\x00garbage" * 50)
        elif damage == "toc" and f.suffix == ".toc":
            f.write_bytes(f.read_bytes()[:20])
        elif damage == "empty-files":
            f.write_bytes(b"")
    with KBIndex(folder, KBConfig(root=kb)) as ix:
        report = ix.open()
        assert report.rebuilt and "unreadable" in report.reason, report
        assert ids(ix, "wraparound") == {"pg-wraparound"}
        assert len(ids(ix)) == 6


def test_refuses_to_replace_a_folder_that_is_not_an_index(kb, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("precious")
    with pytest.raises(IndexFolderError, match="not a pmkb index"):
        KBIndex(folder, KBConfig(root=kb)).open()
    assert (folder / "notes.txt").read_text() == "precious"


def test_update_while_another_writer_holds_the_lock(kb, tmp_path):
    first = open_index(kb, tmp_path)
    holder = whoosh_index.open_dir(str(tmp_path / "ix"), indexname=INDEX_NAME).writer()
    try:
        write(kb, "late", title="Zorbulated queue", date="2026-03-03")
        report = first.refresh()
        assert report.skipped and not report.added
        assert "redis-evict" in ids(first)  # still searchable
    finally:
        holder.cancel()
    assert first.refresh().added == ["postmortems/late.md"]
    assert ids(first, "zorbulated") == {"late"}
    first.close()


# -- crashes -------------------------------------------------------------------------------

WORKER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    import postmortem_kb.search.index as m
    from postmortem_kb.loader import KBConfig

    real = m.load_one
    count = 0

    def slow(path, taxonomy, config):
        global count
        count += 1
        if count == {after}:
            print("mid-write", flush=True)
            time.sleep(60)  # killed here, with the writer open and documents added
        return real(path, taxonomy, config)

    m.load_one = slow
    ix = m.KBIndex(Path({index!r}), KBConfig(root=Path({kb!r})))
    ix.{call}()
    print("finished", flush=True)
""")


def kill_mid_write(kb: Path, index_dir: Path, call: str, after: int) -> None:
    code = WORKER.format(tests=str(TESTS), index=str(index_dir), kb=str(kb), call=call, after=after)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "mid-write", f"the worker did not reach the write: {line!r}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL


def add_many(kb: Path, n: int) -> None:
    for i in range(n):
        write(kb, f"bulk-{i:03d}", title=f"Bulk incident {i}", date="2025-05-05",
              summary=f"Padding text about the flurbish subsystem number {i}. " * 20)


def test_update_killed_mid_write_leaves_the_previous_index_usable(kb, tmp_path):
    ix = open_index(kb, tmp_path)
    before = ids(ix)
    ix.close()
    add_many(kb, 60)
    (kb / "postmortems" / "cert-expiry.md").unlink()
    kill_mid_write(kb, tmp_path / "ix", "open", after=40)

    with KBIndex(tmp_path / "ix", KBConfig(root=kb)) as ix:
        report = ix.open(refresh=False)
        assert not report.rebuilt, report.reason  # the previous generation was intact
        assert ids(ix) == before  # nothing half-written shows
        assert ids(ix, "wraparound") == {"pg-wraparound"}
        report = ix.refresh()
        assert len(report.added) == 60 and report.deleted == ["postmortems/cert-expiry.md"]
        assert len(ids(ix, "flurbish")) == 60


def test_first_build_killed_mid_write_leaves_no_broken_index(kb, tmp_path):
    add_many(kb, 30)
    kill_mid_write(kb, tmp_path / "ix", "open", after=20)
    assert not (tmp_path / "ix").exists()  # the half-built folder was never swapped in
    with KBIndex(tmp_path / "ix", KBConfig(root=kb)) as ix:
        assert ix.open().rebuilt
        assert len(ids(ix)) == 36


def test_rebuild_killed_mid_write_keeps_the_old_index(kb, tmp_path):
    ix = open_index(kb, tmp_path)
    before = ids(ix)
    ix.close()
    add_many(kb, 30)
    kill_mid_write(kb, tmp_path / "ix", "rebuild", after=20)
    with KBIndex(tmp_path / "ix", KBConfig(root=kb)) as ix:
        assert not ix.open(refresh=False).rebuilt
        assert ids(ix) == before
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".ix.new-")]
    for name in leftovers:  # a killed build leaves a hidden folder beside the index, never in it
        shutil.rmtree(tmp_path / name)


def test_index_dir_is_created_with_parents(tmp_path):
    root = make_kb(tmp_path)
    write(root, "one", title="Only one", date="2024-01-01")
    with KBIndex(tmp_path / "deep" / "er" / "ix", KBConfig(root=root)) as ix:
        ix.open()
        assert ids(ix) == {"one"}
