"""Every `pmkb` example in the README and the docs runs on the sample KB and finds something.

Examples are the command lines of the console blocks (with or without a `$ ` prompt). Each runs in
its own copy of the sample KB, through a shell (so `>` and `&&` work as the reader types them).
`pmkb serve` runs until stopped, so it is only checked to parse (its --help with the same options).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kit import ROOT

SOURCES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```(?:console|shell|sh|bash)?\n(.*?)^```", re.M | re.S)
FINDS = ("search", "similar", "stats", "export")


def examples() -> list[tuple[str, str]]:
    found = []
    for source in SOURCES:
        for block in BLOCK.findall(source.read_text(encoding="utf-8")):
            for line in block.splitlines():
                line = line.strip().removeprefix("$ ").strip()
                if not line.startswith("pmkb ") or "<" in line or "..." in line:
                    continue  # a placeholder to fill in, not something to run as it is
                found.append((source.name, line))
    return sorted(set(found))


def _without_comment(line: str) -> str:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split, lexer.commenters = True, "#"
    words = list(lexer)
    return shlex.join(words).replace("'>'", ">").replace("'&&'", "&&").replace("'|'", "|")


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    root.mkdir()
    for name in ("postmortems", "docs", "templates"):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, root / name)
    for name in ("taxonomy.yml", "mkdocs.yml"):
        shutil.copy(ROOT / name, root / name)
    (root / "old-postmortems").mkdir()
    (root / "old-postmortems" / "outage.txt").write_text(
        "Database outage\n\nSummary: the primary database ran out of disk.\n\nRoot cause: logs filled the disk.\n")
    return root


def test_the_docs_have_examples_of_every_command_that_finds():
    commands = {line.split()[1] for _, line in examples()}
    assert set(FINDS) <= commands, commands


@pytest.mark.parametrize("source, line", examples())
def test_example_runs_and_finds_something(sample_copy, tmp_path, source, line):
    command = _without_comment(line)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "PMKB_DEBUG": "",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    words = shlex.split(line, comments=True)
    engine = next((w.split("=", 1)[1] for w in words if w.startswith("--engine=")), None) or \
        next((words[i + 1] for i, w in enumerate(words[:-1]) if w == "--engine"), None)
    if engine and words[1] in ("build", "serve") and importlib.util.find_spec(engine) is None:
        pytest.skip(f"the {engine} engine is not installed here (it has no release for this Python)")
    command = command.replace("pmkb serve", "pmkb serve --help")
    proc = subprocess.run(["bash", "-c", command], cwd=sample_copy, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, f"{source}: {line}\n{proc.stdout[-1500:]}\n{proc.stderr[-1500:]}"
    assert "internal error" not in proc.stderr
    if words[1] in FINDS:
        written = [sample_copy / w for w in words if (sample_copy / w).is_file() and w.endswith((".csv", ".json"))]
        output = proc.stdout + "".join(p.read_text(encoding="utf-8") for p in written)
        assert output.strip(), f"{source}: {line} printed nothing"
        assert "No postmortem matches" not in proc.stderr and "No incident is similar" not in proc.stderr, line
        if "--format json" in line and words[1] == "search":
            assert '"total": 0' not in output, line
