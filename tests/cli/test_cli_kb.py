"""Where commands run: outside a KB they say so and create nothing; --kb must exist; a busy port is one line."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from postmortem_kb.cli import COMMANDS, cli
from postmortem_kb.cli._common import NOT_A_KB

# One ordinary call of every command that runs on a KB.
CALLS = {
    "new": ["new", "Checkout errors"], "validate": ["validate"], "build": ["build"], "serve": ["serve"],
    "search": ["search", "disk"], "similar": ["similar", "disk failed"], "stats": ["stats"], "export": ["export"],
    "import": ["import", "notes.txt"], "index": ["index"], "schema": ["schema"],
}


def test_every_command_but_init_is_listed_here():
    assert set(CALLS) == set(COMMANDS) - {"init"}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_outside_a_kb_every_command_says_so_and_creates_nothing(tmp_path, monkeypatch, name):
    folder = tmp_path / "not-a-kb"
    folder.mkdir()
    (folder / "notes.txt").write_text("Some notes\n\nThe disk failed.\n")
    monkeypatch.chdir(folder)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    result = CliRunner().invoke(cli, CALLS[name])
    assert result.exit_code == 2, result.output
    assert NOT_A_KB in result.output
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize("where", ["before", "after"])
def test_a_kb_that_does_not_exist_is_a_usage_error(tmp_path, where):
    missing = str(tmp_path / "nowhere")
    args = ["--kb", missing, "validate"] if where == "before" else ["validate", "--kb", missing]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "nowhere" in result.output and "does not exist" in result.output
    assert not Path(missing).exists()


def test_global_options_work_after_the_subcommand(tmp_path, kb_root):
    (kb_root / "postmortems" / "x.md").write_text("---\ntitle: x\n---\n")
    before = CliRunner().invoke(cli, ["--kb", str(kb_root), "--lenient", "validate"])
    after = CliRunner().invoke(cli, ["validate", "--kb", str(kb_root), "--lenient"])
    assert (before.exit_code, before.output) == (after.exit_code, after.output)


def test_a_busy_port_is_one_line_naming_it_and_the_flag(tmp_path):
    root = tmp_path / "kb"
    assert CliRunner().invoke(cli, ["init", str(root), "--requirement", "postmortem-kb==0.1.0"]).exit_code == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "postmortem_kb", "--kb", str(root), "serve",
                               "--dev-addr", f"127.0.0.1:{port}"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert str(port) in lines[0] and "--dev-addr" in lines[0] and "internal error" not in lines[0]


def site_config(root: Path, options: str) -> None:
    (root / "mkdocs.yml").write_text(f"site_name: KB\nplugins:\n  - postmortems:\n{options}", encoding="utf-8")


@pytest.mark.parametrize("args", [["validate"], ["stats"], ["new", "Disk full"], ["schema"]])
def test_a_configured_taxonomy_that_is_missing_is_a_problem_naming_it(tmp_path, args):
    from kit.search_kb import make_kb, write

    root = make_kb(tmp_path)
    write(root, "disk", title="Disk full", date="2024-01-01")
    (root / "taxonomy.yml").unlink(missing_ok=True)
    site_config(root, "      taxonomy: vocab/terms.yml\n")
    result = CliRunner().invoke(cli, ["--kb", str(root), *args])
    assert result.exit_code == 1, result.output
    assert "vocab/terms.yml:1: taxonomy-missing:" in result.output
    assert not list((root / "postmortems").rglob("*disk-full*"))  # `new` wrote nothing


def test_commands_read_the_taxonomy_and_folder_the_site_configuration_names(tmp_path):
    from kit.search_kb import make_kb, write

    root = make_kb(tmp_path)
    write(root, "disk", title="Disk full", date="2024-01-01")
    (root / "postmortems").rename(root / "incidents")
    (root / "vocab.yml").write_text("severities: [{id: SEV1}, {id: SEV2}, {id: SEV3}]\n"
                                    "root_causes: {capacity: {title: Capacity}}\n", encoding="utf-8")
    site_config(root, "      postmortems_dir: incidents\n      taxonomy: vocab.yml\n")
    result = CliRunner().invoke(cli, ["--kb", str(root), "validate"])
    # The postmortem says hardware-failure, which vocab.yml does not know: it was read.
    assert result.exit_code == 1 and "1 postmortem checked" in result.output, result.output
    assert "hardware-failure" in result.output and "taxonomy-missing" not in result.output
    # Without a site configuration, no taxonomy.yml is a KB whose terms are open, not a problem.
    (root / "mkdocs.yml").unlink()
    (root / "incidents").rename(root / "postmortems")
    (root / "taxonomy.yml").unlink(missing_ok=True)
    result = CliRunner().invoke(cli, ["--kb", str(root), "validate"])
    assert result.exit_code == 0 and "taxonomy" not in result.output, result.output
