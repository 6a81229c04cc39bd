"""Hostile and broken postmortems: each gives a clear `path:line: code` error (or a safe result),
never a traceback. One fixture per case in tests/fixtures/bad/."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kit import ROOT, write_postmortem
from kit.hostile import ACCEPTED, EXPECTED, FIXTURES
from postmortem_kb.cli import cli
from postmortem_kb.loader import KBConfig, load_kb


def kb_with(tmp_path: Path, *files: Path) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "taxonomy.yml", tmp_path / "taxonomy.yml")
    (tmp_path / "postmortems").mkdir(exist_ok=True)
    for f in files:
        shutil.copy(f, tmp_path / "postmortems" / f.name)
    return tmp_path


def test_every_fixture_has_an_expectation():
    names = {p.stem for p in FIXTURES.glob("*.md")}
    assert names == set(EXPECTED) | set(ACCEPTED)
    assert len(EXPECTED) >= 30


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_bad_input_gives_one_clear_error(case, tmp_path, runner):
    root = kb_with(tmp_path, FIXTURES / f"{case}.md")
    result = runner.invoke(cli, ["--kb", str(root), "validate"])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    code, line = EXPECTED[case]
    errors = [l for l in result.stdout.splitlines() if ": warning: " not in l.split(" (hint")[0]]
    assert any(l.startswith(f"postmortems/{case}.md:{line}: {code}: ") for l in errors), result.stdout
    assert all("(hint: " in l for l in errors)
    assert "Traceback" not in result.output


@pytest.mark.parametrize("case", ACCEPTED)
def test_accepted_oddities_load_cleanly(case, tmp_path):
    kb = load_kb(KBConfig(root=kb_with(tmp_path, FIXTURES / f"{case}.md")))
    assert kb.errors == [], [p.format_text() for p in kb.errors]
    pm = kb.postmortems[0]
    assert pm.metrics.time_to_resolve is not None
    if case == "ok-html-everywhere":
        assert pm.title == "<script>alert(1)</script> outage"  # kept as text; the site escapes it


def test_crlf_lines_are_reported_right(tmp_path, runner):
    text = (FIXTURES / "yaml-duplicate-key.md").read_text().replace("\n", "\r\n")
    root = kb_with(tmp_path)
    (root / "postmortems" / "dup.md").write_bytes(text.encode())
    result = runner.invoke(cli, ["--kb", str(root), "validate"])
    assert "postmortems/dup.md:7: duplicate-key" in result.stdout


def test_whole_bad_folder_in_a_real_process_never_tracebacks(tmp_path):
    root = kb_with(tmp_path, *FIXTURES.glob("*.md"))
    proc = subprocess.run([sys.executable, "-m", "postmortem_kb", "--kb", str(root), "validate"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    reported = {l.split(":")[0] for l in proc.stdout.splitlines()}
    assert {f"postmortems/{c}.md" for c in EXPECTED} <= reported


def _limit_memory() -> None:
    limit = 1024 * 1024 * 1024  # 1 GiB of address space
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def test_alias_bomb_fails_fast_with_bounded_memory(tmp_path):
    # 9^9 (387 million) strings if expanded; refused at the first alias instead.
    root = kb_with(tmp_path, FIXTURES / "yaml-alias-bomb.md")
    proc = subprocess.run([sys.executable, "-m", "postmortem_kb", "--kb", str(root), "validate"],
                          capture_output=True, text=True, timeout=60, preexec_fn=_limit_memory)
    assert proc.returncode == 1, proc.stderr
    assert "yaml-alias" in proc.stdout


def test_python_tag_runs_nothing(tmp_path, runner):
    marker = Path("/tmp/pwned")
    marker.unlink(missing_ok=True)
    root = kb_with(tmp_path, FIXTURES / "yaml-python-tag.md")
    runner.invoke(cli, ["--kb", str(root), "validate"])
    assert not marker.exists()


def test_ten_megabyte_body_is_refused_quickly(tmp_path, runner):
    root = kb_with(tmp_path)
    path = write_postmortem(root, "huge")
    with open(path, "a") as fh:
        fh.write(("A very long log line pasted from the incident channel. " * 20 + "\n") * 9500)
    assert path.stat().st_size > 10_000_000
    result = runner.invoke(cli, ["--kb", str(root), "validate"])
    assert result.exit_code == 1
    assert "postmortems/huge.md:1: file-too-large:" in result.stdout


def test_duplicate_ids_across_files(tmp_path, runner):
    root = kb_with(tmp_path)
    write_postmortem(root, "2023/outage")
    write_postmortem(root, "2024/outage")
    result = runner.invoke(cli, ["--kb", str(root), "validate"])
    assert result.exit_code == 1
    assert "postmortems/2024/outage.md:1: duplicate-id: id `outage` is already used by postmortems/2023/outage.md" \
        in result.stdout


def test_symlink_outside_the_kb_is_refused(tmp_path, runner):
    write_postmortem(tmp_path / "elsewhere", "secret")
    secret = tmp_path / "elsewhere" / "postmortems" / "secret.md"
    root = kb_with(tmp_path / "kb")
    os.symlink(secret, root / "postmortems" / "leak.md")
    os.symlink(tmp_path / "elsewhere" / "postmortems", root / "postmortems" / "linked-dir")
    result = runner.invoke(cli, ["--kb", str(root), "validate"])
    assert result.exit_code == 1
    assert "postmortems/leak.md:1: symlink-outside:" in result.stdout
    kb = load_kb(KBConfig(root=root))
    assert kb.postmortems == []


def test_symlink_inside_the_kb_is_followed(tmp_path):
    root = kb_with(tmp_path)
    target = write_postmortem(root, "real")
    (root / "postmortems" / "alias").mkdir()
    os.symlink(target, root / "postmortems" / "alias" / "other.md")
    kb = load_kb(KBConfig(root=root))
    assert {p.id for p in kb.postmortems} == {"real", "other"}


def test_unreadable_file_is_one_clear_line(tmp_path, runner):
    root = kb_with(tmp_path)
    os.symlink(root / "postmortems" / "gone.md", root / "postmortems" / "dangling.md")
    result = runner.invoke(cli, ["--kb", str(root), "validate"])
    assert result.exit_code == 1
    (line,) = [l for l in result.stdout.splitlines() if "dangling.md" in l]
    assert line.startswith("postmortems/dangling.md:1: unreadable: cannot read the file:") and "(hint: " in line
