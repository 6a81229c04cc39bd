"""Shell completion completes the KB's taxonomy terms and postmortem ids, and is quiet outside a KB."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from kit import ROOT


def complete(words: str, cwd: Path) -> list[str]:
    env = {**os.environ, "_PMKB_COMPLETE": "bash_complete", "COMP_WORDS": words,
           "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))}
    code = "import sys; from postmortem_kb.cli import cli; cli(prog_name='pmkb')"
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0 and not proc.stderr, proc.stderr
    return [line.split(",", 1)[1] for line in proc.stdout.splitlines() if line]


def test_facet_options_complete_taxonomy_keys_and_aliases():
    taxonomy = yaml.safe_load((ROOT / "taxonomy.yml").read_text(encoding="utf-8"))
    components = taxonomy["components"]
    key = sorted(components)[0]
    got = complete(f"pmkb search --component {key[:2]}", ROOT)
    assert key in got and all(g.startswith(key[:2]) for g in got)
    aliases = [a for spec in components.values() for a in (spec or {}).get("aliases", [])]
    if aliases:
        assert aliases[0] in complete(f"pmkb search --component {aliases[0]}", ROOT)
    assert complete("pmkb search --severity ", ROOT) == sorted(
        s if isinstance(s, str) else s.get("id", "") for s in taxonomy["severities"])


def test_similar_completes_postmortem_ids():
    ids = sorted(p.stem for p in (ROOT / "postmortems").rglob("*.md"))
    assert complete(f"pmkb similar {ids[0][:7]}", ROOT)[:1] == [ids[0]]
    assert complete("pmkb similar zzz-nothing", ROOT) == []


def test_completion_outside_a_kb_completes_nothing_and_creates_nothing(tmp_path):
    assert complete("pmkb search --component p", tmp_path) == []
    assert complete("pmkb similar 20", tmp_path) == []
    assert list(tmp_path.iterdir()) == []


def test_completion_follows_the_folders_the_site_configuration_names(tmp_path):
    (tmp_path / "incidents" / "2024").mkdir(parents=True)
    (tmp_path / "incidents" / "2024" / "2024-05-01-queue-backlog.md").write_text("---\n---\n", encoding="utf-8")
    (tmp_path / "vocab.yml").write_text("components:\n  queue-broker: {title: Queue broker}\n", encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text("site_name: KB\nplugins:\n  - postmortems:\n      postmortems_dir: incidents\n"
                                         "      taxonomy: vocab.yml\n", encoding="utf-8")
    assert complete("pmkb similar 2024-05", tmp_path) == ["2024-05-01-queue-backlog"]
    assert complete("pmkb search --component queue", tmp_path) == ["queue-broker"]
