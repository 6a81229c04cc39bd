"""`pmkb init --engine zensical`: a KB that CI builds with Zensical, and that says so when Zensical runs alone."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(importlib.util.find_spec("zensical") is None, reason="Zensical is not installed")]
ENV = {k: v for k, v in os.environ.items() if k != "PMKB_ENGINE"} | {"NO_MKDOCS_2_WARNING": "1"}
NOTICE = "built without its postmortems"


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=600)


def test_init_for_zensical(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    made = run(tmp_path, "postmortem_kb", "init", str(kb), "--engine", "zensical")
    assert made.returncode == 0, made.stderr
    assert "engine: zensical" in (kb / "mkdocs.yml").read_text()
    assert any(line.startswith("zensical") for line in (kb / "requirements.txt").read_text().splitlines())
    # The CI workflows run `pmkb build`, which builds with the engine the KB names.
    assert "pmkb build" in (kb / ".github" / "workflows" / "postmortems.yml").read_text()

    built = run(kb, "postmortem_kb", "build")
    assert built.returncode == 0, built.stderr
    assert (kb / "site" / "search.json").is_file()  # Zensical's own search index: it was Zensical
    home = (kb / "site" / "index.html").read_text(encoding="utf-8")
    assert NOTICE not in home and "incidents/" in home

    # MkDocs, through pmkb or alone, runs the plugin: the notice goes, the generated home page comes.
    for args in (("postmortem_kb", "build", "--engine", "mkdocs", "--site-dir", "by-mkdocs"),
                 ("mkdocs", "build", "--strict", "--site-dir", "by-mkdocs-alone")):
        result = run(kb, *args)
        assert result.returncode == 0, result.stderr
        home = (kb / args[-1] / "index.html").read_text(encoding="utf-8")
        assert NOTICE not in home and "incidents/" in home

    # Zensical alone ignores the plugin: the home page says what happened and what to run.
    alone = run(kb, "zensical", "build", "--clean")
    assert alone.returncode == 0, alone.stderr
    home = (kb / "site" / "index.html").read_text(encoding="utf-8")
    assert NOTICE in home and "pmkb build --engine zensical" in home
