"""The KB's files: type and size checked before reading, symlink loops, and a taxonomy whose
every term makes a URL (or a problem naming taxonomy.yml and its line)."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest

from kit import ROOT, write_postmortem
from postmortem_kb.files import FileRefused, atomic_write, read_regular_file
from postmortem_kb.loader import KBConfig, load_files, load_kb


def kb(tmp_path: Path, **config) -> object:
    return load_kb(KBConfig(root=tmp_path, **config))


def codes(loaded) -> set[tuple[str, str, int]]:
    return {(p.path, p.code, p.line) for p in loaded.errors}


def test_a_fifo_is_refused_without_blocking(tmp_path):
    write_postmortem(tmp_path, "good")
    os.mkfifo(tmp_path / "postmortems" / "pipe.md")
    start = time.monotonic()
    loaded = kb(tmp_path)
    assert time.monotonic() - start < 10
    assert ("postmortems/pipe.md", "not-a-file", 1) in codes(loaded)
    assert [p.id for p in loaded.postmortems] == ["good"]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_symlink_to_a_device_is_refused(tmp_path):
    (tmp_path / "postmortems").mkdir()
    (tmp_path / "postmortems" / "zero.md").symlink_to("/dev/zero")
    loaded = kb(tmp_path)
    assert {p.code for p in loaded.errors} & {"not-a-file", "symlink-outside"}


@pytest.mark.parametrize("how", ["the whole KB", "the file named", "the file named, whole KB loaded"])
def test_a_symlink_out_of_the_kb_is_never_read_even_when_named(tmp_path, how):
    """`pmkb validate FILE` (and `load_kb(paths=...)`) apply discovery's symlink rule to the
    files they are given: a link to a postmortem outside the KB is refused, not read."""
    outside = tmp_path / "outside"
    write_postmortem(outside, "elsewhere")
    kb_root = tmp_path / "kb"
    (kb_root / "postmortems").mkdir(parents=True)
    link = kb_root / "postmortems" / "elsewhere.md"
    link.symlink_to(outside / "postmortems" / "elsewhere.md")
    config = KBConfig(root=kb_root)
    loaded = {"the whole KB": lambda: load_kb(config),
              "the file named": lambda: load_files(config, [link], cache=False),
              "the file named, whole KB loaded": lambda: load_kb(config, [link])}[how]()
    assert loaded.postmortems == []
    assert {(p.path, p.code) for p in loaded.errors} == {("postmortems/elsewhere.md", "symlink-outside")}


def test_a_socket_is_refused(tmp_path):
    (tmp_path / "postmortems").mkdir()
    path = tmp_path / "postmortems" / "s.md"
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(path))
    except OSError:
        pytest.skip("no unix sockets here")
    try:
        assert ("postmortems/s.md", "not-a-file", 1) in codes(kb(tmp_path))
    finally:
        sock.close()


def test_a_huge_sparse_file_is_refused_before_reading(tmp_path):
    (tmp_path / "postmortems").mkdir()
    path = tmp_path / "postmortems" / "huge.md"
    with open(path, "wb") as fh:
        fh.truncate(3 * 1024 ** 3)  # 3 GiB, sparse: reading it whole would take seconds and memory
    start = time.monotonic()
    loaded = kb(tmp_path)
    assert time.monotonic() - start < 10
    assert ("postmortems/huge.md", "file-too-large", 1) in codes(loaded)


@pytest.mark.parametrize("links", [[("loop.md", "loop.md")], [("a.md", "b.md"), ("b.md", "a.md")]])
def test_a_symlink_loop_is_one_clear_problem(tmp_path, links, runner):
    write_postmortem(tmp_path, "good")
    for name, target in links:
        (tmp_path / "postmortems" / name).symlink_to(target)
    loaded = kb(tmp_path)
    assert {p.code for p in loaded.errors} == {"symlink-loop"}
    assert len(loaded.errors) == len(links)
    assert [p.id for p in loaded.postmortems] == ["good"]


def test_read_regular_file_limits(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x" * 10)
    assert read_regular_file(path, 10) == b"x" * 10
    with pytest.raises(FileRefused) as exc:
        read_regular_file(path, 9)
    assert exc.value.reason == "too-large"
    with pytest.raises(FileRefused) as exc:
        read_regular_file(tmp_path, 9)
    assert exc.value.reason == "not-a-file"


def test_atomic_write_replaces_in_one_step_and_cleans_up(tmp_path):
    path = tmp_path / "a.md"
    path.write_text("old")
    atomic_write(path, "new")
    assert path.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]

    with pytest.raises(TypeError):
        atomic_write(path, 12)  # type: ignore[arg-type]
    assert path.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]



def test_atomic_write_exclusive_never_replaces_and_leaves_nothing_behind(tmp_path):
    path = tmp_path / "a.md"
    atomic_write(path, "first", exclusive=True)
    with pytest.raises(FileExistsError):
        atomic_write(path, "second", exclusive=True)
    assert path.read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]


def test_atomic_write_keeps_the_mode_a_file_had_or_gets(tmp_path):
    old = os.umask(0o027)
    try:
        fresh = atomic_write(tmp_path / "new.md", "x")
        assert fresh.stat().st_mode & 0o777 == 0o640  # not mkstemp's private 0600
        shared = tmp_path / "shared.md"
        shared.write_text("x")
        shared.chmod(0o664)
        atomic_write(shared, "y")
        assert shared.stat().st_mode & 0o777 == 0o664
    finally:
        os.umask(old)


def test_writing_a_postmortem_refuses_an_existing_file_unless_asked(tmp_path):
    from postmortem_kb.writer import write_postmortem as write

    path = tmp_path / "postmortems" / "a.md"
    write(path, {"title": "A"}, "## Summary\n")
    with pytest.raises(FileExistsError):
        write(path, {"title": "B"}, "## Summary\n")
    assert "title: A" in path.read_text()
    write(path, {"title": "B"}, "## Summary\n", overwrite=True)
    assert "title: B" in path.read_text()
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.md"]


TAXONOMY_HEAD = (ROOT / "taxonomy.yml").read_text()


@pytest.mark.parametrize("text,line", [
    ("severities:\n  - id: SEV1\n  - id: Sev 2\n", 3),
    ("severities:\n  - id: SEV1\n  - id: sev1\n", 3),
    ("severities:\n  - id: \"S<1>\"\n", 2),
    ("components:\n  web:\n    title: Web\n  Web:\n    title: Web again\n", 4),
    ("components:\n  web:\n    aliases: [front]\n  api:\n    aliases: [Front]\n", 5),
    ("components:\n  web:\n    aliases: [api]\n  api:\n    title: API\n", 4),
    ("components:\n  web:\n    aliases: [\"!!!\"]\n", 3),
    ("components:\n  \"???\":\n    title: Nothing\n", 2),
    ("components:\n  web:\n    title: [a, b]\n", 2),
    ("components:\n  web:\n    title: \"A\\x1bB\"\n", 3),
])
def test_taxonomy_terms_that_make_no_url_are_taxonomy_problems(tmp_path, text, line):
    (tmp_path / "taxonomy.yml").write_text(text)
    write_postmortem(tmp_path, "good")
    loaded = kb(tmp_path)
    found = {(p.path, p.line) for p in loaded.errors if p.code.startswith("taxonomy-") or
             p.code == "control-character"}
    assert ("taxonomy.yml", line) in found, loaded.problems
    assert loaded.postmortems == []


def test_the_sample_taxonomies_are_valid():
    from postmortem_kb.taxonomy import load_taxonomy
    for path in (ROOT / "taxonomy.yml", ROOT / "plugins/postmortem_kb/scaffold_files/taxonomy.yml"):
        assert load_taxonomy(path).terms["components"]


def test_a_configured_taxonomy_that_is_missing_is_a_problem(tmp_path):
    write_postmortem(tmp_path, "good")
    loaded = kb(tmp_path, taxonomy_file="vocab.yml", taxonomy_required=True)
    assert codes(loaded) == {("vocab.yml", "taxonomy-missing", 1)}
    # not configured: a KB without a taxonomy accepts any term, as documented
    assert kb(tmp_path).errors == []


def test_a_broken_taxonomy_names_its_line(tmp_path):
    (tmp_path / "taxonomy.yml").write_text("components:\n  web:\n    title: \"unclosed\n")
    write_postmortem(tmp_path, "good")
    loaded = kb(tmp_path)
    assert [(p.path, p.code) for p in loaded.errors] == [("taxonomy.yml", "yaml-syntax")]
    assert loaded.errors[0].line == 3
