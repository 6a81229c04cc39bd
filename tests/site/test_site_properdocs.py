"""The plugin on ProperDocs, the maintained fork of MkDocs 1.6 (run in its own process: ProperDocs
redirects every ``mkdocs.*`` import to itself once loaded)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from kit import write_postmortem
from kit.site import write_site

pytestmark = pytest.mark.skipif(importlib.util.find_spec("properdocs") is None,
                                reason="ProperDocs is not installed (pip install properdocs)")


def properdocs(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "properdocs", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"})


def test_properdocs_builds_the_kb_strict(kb_root):
    write_postmortem(kb_root, "disk-a", date="2023-01-01")
    write_postmortem(kb_root, "disk-b", date="2024-01-01", title="Disk failure on web-2")
    write_site(kb_root)
    result = properdocs("build", "--strict", "-f", "mkdocs.yml", cwd=kb_root)
    assert result.returncode == 0, result.stderr
    site = kb_root / "site"
    assert (site / "incidents" / "disk-a" / "index.html").is_file()
    page = (site / "incidents" / "disk-b" / "index.html").read_text(encoding="utf-8")
    assert "This happened before" in page and "../disk-a/" in page
    assert (site / "root-causes" / "hardware-failure" / "index.html").is_file()


def test_properdocs_strict_fails_on_an_invalid_postmortem_with_its_line(kb_root):
    write_postmortem(kb_root, "bad", "---\ntitle: Bad\ndate: 2024-13-01\nseverity: SEV2\n---\n\n## Summary\n\nx\n")
    write_site(kb_root)
    result = properdocs("build", "--strict", "-f", "mkdocs.yml", cwd=kb_root)
    assert result.returncode != 0
    assert "postmortems/bad.md:3: invalid-date:" in result.stderr
