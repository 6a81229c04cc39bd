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

from postmortem_kb.cli import cli
from postmortem_kb.loader import KBConfig, load_kb

from helpers import ROOT, write_postmortem

FIXTURES = Path(__file__).parent / "fixtures" / "bad"

# case -> (code, line) of the first error pmkb validate must report
EXPECTED = {
    "yaml-tabs": ("yaml-syntax", 6),
    "yaml-unclosed-quote": ("yaml-syntax", 2),
    "yaml-duplicate-key": ("duplicate-key", 7),
    "yaml-alias-bomb": ("yaml-alias", 5),
    "yaml-merge-key": ("invalid-key", 3),
    "yaml-python-tag": ("yaml-unsafe-tag", 2),
    "front-matter-list": ("front-matter-not-mapping", 2),
    "front-matter-scalar": ("front-matter-not-mapping", 2),
    "front-matter-missing": ("missing-front-matter", 1),
    "front-matter-unterminated": ("unterminated-front-matter", 1),
    "front-matter-empty": ("empty-front-matter", 1),
    "empty-file": ("empty-file", 1),
    "binary": ("binary-file", 3),
    "non-utf8": ("not-utf8", 2),
    "impossible-date": ("invalid-date", 3),
    "number-for-date": ("invalid-date", 3),
    "timezone-out-of-range": ("invalid-timezone", 7),
    "timezone-unknown": ("invalid-timezone", 7),
    "timeline-backwards": ("timeline-backwards", 16),
    "negative-duration": ("negative-duration", 8),
    "id-dotdot": ("invalid-id", 2),
    "id-slash": ("invalid-id", 2),
    "id-space": ("invalid-id", 2),
    "id-lookalike": ("invalid-id", 2),
    "related-missing": ("unknown-related", 7),
    "related-self": ("related-self", 8),
    "unknown-term": ("unknown-term", 6),
    "unknown-action": ("unknown-term", 9),
    "string-for-list": ("wrong-type", 5),
    "list-for-string": ("wrong-type", 2),
    "mapping-for-string": ("wrong-type", 7),
    "number-for-title": ("wrong-type", 2),
    "action-item-not-mapping": ("wrong-type", 8),
    "action-item-bad-status": ("invalid-value", 9),
    "action-item-bad-due": ("invalid-date", 9),
    "huge-list": ("invalid-length", 7),
    "deeply-nested": ("too-deep", 2),
    "deeply-nested-block": ("too-deep", 24),
    "unknown-field": ("unknown-field", 7),
    "missing-required": ("missing-field", 2),
    "javascript-ticket": ("unsafe-url", 9),
}
ACCEPTED = ["ok-bom", "ok-crlf", "ok-html-everywhere"]


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
