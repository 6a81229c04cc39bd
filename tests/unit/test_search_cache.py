"""The search index is a cache outside the repository: a `.pmkb/` shipped in a KB is never opened,
because opening a whoosh index unpickles its table of contents (runs code)."""

from __future__ import annotations

import builtins
import pickle
from pathlib import Path

import pytest
from click.testing import CliRunner
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage

from kit.search_kb import sample_kb
from postmortem_kb.cli import cli
from postmortem_kb.loader import KBConfig
from postmortem_kb.search import KBIndex
from postmortem_kb.search.index import INDEX_NAME, MARKER, default_index_dir


class _Payload:
    """Unpickling this creates a file: proof that code from the index ran."""

    def __init__(self, proof: Path):
        self.proof = str(proof)

    def __reduce__(self):
        return builtins.open, (self.proof, "w")


def plant_malicious_index(folder: Path, proof: Path) -> None:
    """A whoosh table of contents (the real format) whose pickled schema is ``_Payload``."""
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("planted\n")
    stream = FileStorage(str(folder)).create_file(f"_{INDEX_NAME}_1.toc")
    for size in (whoosh_index._INT_SIZE, whoosh_index._LONG_SIZE, whoosh_index._FLOAT_SIZE):
        stream.write_varint(size)
    stream.write_int(-12345)
    stream.write_int(whoosh_index._CURRENT_TOC_VERSION)
    for number in (2, 7, 5):
        stream.write_varint(number)
    stream.write_string(pickle.dumps(_Payload(proof), 2))
    stream.write_int(1)
    stream.write_int(0)
    stream.write_pickle([])
    stream.close()


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_the_planted_index_really_runs_code_when_opened(tmp_path):
    """The control: the fixture is a working exploit for anything that opens that folder."""
    kb = sample_kb(tmp_path)
    proof = tmp_path / "pwned"
    plant_malicious_index(tmp_path / "planted", proof)
    with KBIndex(tmp_path / "planted", KBConfig(root=kb)) as ix:
        try:
            ix.open()
        except Exception:  # what happens after the payload does not matter
            pass
    assert proof.exists()


@pytest.mark.parametrize("where", [".pmkb/index", ".pmkb/index/../index"])
def test_a_committed_index_never_runs(tmp_path, cache_home, where):
    kb = sample_kb(tmp_path)
    proof = tmp_path / "pwned"
    plant_malicious_index(kb / ".pmkb" / "index", proof)
    runner = CliRunner()
    result = runner.invoke(cli, ["--kb", str(kb), "search", "disk"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["--kb", str(kb), "index", "--rebuild"])
    assert result.exit_code == 0, result.output
    assert str(cache_home) in result.output
    # Pointing --index-dir into the KB (the planted folder or any other) is refused before anything is read.
    result = runner.invoke(cli, ["--kb", str(kb), "search", "--index-dir", str(kb / where), "disk"])
    assert result.exit_code == 2 and "inside the knowledge base" in result.output
    assert not proof.exists()


def test_the_cache_is_one_private_folder_per_kb(tmp_path, cache_home):
    one, other = sample_kb(tmp_path / "a"), sample_kb(tmp_path / "b")
    assert default_index_dir(one) != default_index_dir(other)
    assert default_index_dir(one) == default_index_dir(tmp_path / "a" / "kb" / ".." / "kb")
    assert default_index_dir(one).is_relative_to(cache_home / "postmortem-kb")
    result = CliRunner().invoke(cli, ["--kb", str(one), "index"])
    assert result.exit_code == 0, result.output
    assert (default_index_dir(one).parent.stat().st_mode & 0o077) == 0
    assert not (one / ".pmkb").exists()


def test_without_xdg_the_cache_is_under_home(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_index_dir(tmp_path).is_relative_to(tmp_path / "home" / ".cache" / "postmortem-kb")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # not absolute: ignored, as the spec says
    assert default_index_dir(tmp_path).is_relative_to(tmp_path / "home" / ".cache" / "postmortem-kb")


def test_an_index_of_the_previous_format_is_rebuilt_not_read(tmp_path, cache_home):
    """An index written under another format version (another whoosh, another schema) keeps its own
    file names, so this version never opens it: it builds its own beside it, in the same folder."""
    from whoosh.fields import ID, TEXT, Schema

    from postmortem_kb.search.index import SCHEMA_VERSION

    kb = sample_kb(tmp_path)
    folder = default_index_dir(kb)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("old\n")
    old_name = f"pmkb_v{SCHEMA_VERSION - 1}"
    whoosh_index.create_in(str(folder), Schema(id=ID(stored=True), text=TEXT), indexname=old_name)
    assert INDEX_NAME == f"pmkb_v{SCHEMA_VERSION}" and INDEX_NAME != old_name
    result = CliRunner().invoke(cli, ["--kb", str(kb), "search", "disk"])
    assert result.exit_code == 0, result.output
    assert "index rebuilt (the index was written by another version of pmkb)" in result.output
