"""Importing a folder: what is read, what is skipped (and why), and how files are written."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from kit import ROOT
from postmortem_kb.frontmatter import MAX_FILE_BYTES, read_source
from postmortem_kb.importer import import_document
from postmortem_kb.importer import run as import_run
from postmortem_kb.importer.run import ImportOptions, find_sources, import_files, read_source_bytes
from postmortem_kb.loader import KBConfig
from postmortem_kb.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy(ROOT / "taxonomy.yml")
DOC = "# Queue consumers stalled\n\n## Summary\n\nThe consumers stopped.\n\n## Root cause\n\nA bug.\n"


def _tree(root: Path) -> Path:
    src = root / "src"
    (src / "nested").mkdir(parents=True)
    (src / ".drafts").mkdir()
    for name in ("a.md", "b.markdown", "c.txt", "d.qmd", "e.rst", "PM2022-009 - no extension", "nested/f.md",
                 ".drafts/g.md", ".hidden.md"):
        (src / name).write_text(DOC.replace("Queue", name.split(".")[0] or "Hidden"), encoding="utf-8")
    (src / "chart.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (src / "binary.md").write_bytes(b"# x\n\x00\x01\x02")
    (src / "huge.md").write_bytes(b"x" * (MAX_FILE_BYTES + 1))
    os.mkfifo(src / "pipe.md")
    (src / "zero.md").symlink_to("/dev/zero")
    (src / "loop.md").symlink_to(src / "loop.md")
    (src / "secret.md").symlink_to(root / "outside.md")
    (root / "outside.md").write_text("# Secret\n", encoding="utf-8")
    return src


def test_every_file_of_a_folder_is_imported_or_reported(tmp_path):
    src = _tree(tmp_path)
    sources = find_sources([src])
    names = sorted(str(p.relative_to(src)) for p in sources)
    assert names == ["PM2022-009 - no extension", "a.md", "b.markdown", "binary.md", "c.txt", "d.qmd", "e.rst",
                     "huge.md", "nested/f.md"]
    skipped = {str(p.relative_to(src)): why for p, why in sources.skipped}
    assert skipped == {
        ".drafts": "hidden folder", ".hidden.md": "hidden file",
        "chart.png": skipped["chart.png"], "pipe.md": "a named pipe (FIFO), not a file",
        "zero.md": skipped["zero.md"], "loop.md": skipped["loop.md"], "secret.md": skipped["secret.md"]}
    assert "`.png` is not a text format" in skipped["chart.png"]
    assert all("symbolic link" in skipped[n] for n in ("zero.md", "loop.md", "secret.md"))

    run = import_files(sources, ImportOptions(out=tmp_path / "out", dry_run=True), TAXONOMY, KBConfig(root=tmp_path))
    by_source = {Path(r.source).name: r for r in run.reports}
    # Every file of the folder appears in the report, once.
    assert len(run.reports) == len(sources) + len(sources.skipped)
    assert by_source["binary.md"].result == "skipped" and "binary" in by_source["binary.md"].warnings[0]
    assert by_source["huge.md"].result == "skipped" and "limit" in by_source["huge.md"].warnings[0]
    for name in ("a.md", "d.qmd", "e.rst", "PM2022-009 - no extension", "f.md"):
        assert by_source[name].result == "would write", name
    assert not run.failed  # skipping is not failing


def test_special_files_named_on_the_command_line_are_refused_before_reading(tmp_path):
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    sources = find_sources([fifo, Path("/dev/zero")])
    assert list(sources) == []
    assert [why for _, why in sources.skipped] == ["a named pipe (FIFO), not a file", "a device, not a file"]
    loop = tmp_path / "loop.md"
    loop.symlink_to(loop)
    assert "cannot read" in find_sources([loop]).skipped[0][1]


def test_a_file_swapped_for_a_fifo_after_the_scan_is_not_read(tmp_path):
    path = tmp_path / "late.md"
    os.mkfifo(path)  # open without O_NONBLOCK would block here forever
    with pytest.raises(ValueError, match="FIFO"):
        read_source_bytes(path)


def test_a_full_disk_leaves_no_empty_postmortem(tmp_path, monkeypatch):
    src = tmp_path / "a.md"
    src.write_text(DOC, encoding="utf-8")
    out = tmp_path / "out"
    options = ImportOptions(out=out)

    def full(_fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(import_run.os, "fsync", full)
    run = import_files(find_sources([src]), options, TAXONOMY, KBConfig(root=tmp_path))
    assert run.reports[0].result == "failed"
    assert "No space left on device" in " ".join(run.reports[0].warnings)
    assert [p for p in out.rglob("*") if p.is_file()] == []  # neither the postmortem nor a temporary file
    monkeypatch.undo()
    run = import_files(find_sources([src]), options, TAXONOMY, KBConfig(root=tmp_path))  # the next import works
    assert run.reports[0].result == "written"
    written = next(out.rglob("*.md"))
    assert read_source(written.read_bytes(), "x.md").front_matter["title"] == "Queue consumers stalled"


def test_an_existing_postmortem_is_never_replaced_without_force(tmp_path):
    target = tmp_path / "x.md"
    target.write_text("mine", encoding="utf-8")
    with pytest.raises(FileExistsError):
        import_run.write_new(target, "theirs")
    assert target.read_text(encoding="utf-8") == "mine"
    import_run.write_new(target, "theirs", replace=True)
    assert target.read_text(encoding="utf-8") == "theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["x.md"]


@pytest.mark.parametrize("text", ["# Title\x00 here\n\nbody\x00\n", "---\ntitle: \"a\\x00b\\x1b[31m\"\n---\nx\x07\n",
                                  "Summary\n\nA pasted \x1b[31mred\x1b[0m line and U+FFFE \ufffe.\n"])
def test_control_characters_never_give_a_postmortem_that_cannot_be_read_back(text):
    imported = import_document(text, source="x.md", stem="x", taxonomy=TAXONOMY)
    written = imported.text()
    assert not any(ord(c) < 32 and c not in "\t\n" for c in written)
    read_source(written.encode("utf-8"), "x.md")
    assert any("control character" in w for w in imported.report.warnings)
