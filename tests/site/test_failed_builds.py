"""A build that fails leaves the previous site exactly as it was: everything the plugin can fail
on (the KB, a template, a generator, its options) fails before MkDocs empties the site folder."""

from __future__ import annotations

import importlib.util
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort, ConfigurationError

from kit.site import pm, write_site


def snapshot(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def mkdocs(root: Path) -> None:
    logging.getLogger("mkdocs").setLevel(logging.INFO)
    build(load_config(str(root / "mkdocs.yml"), strict=True))


@pytest.fixture
def built(kb_root: Path) -> tuple[Path, dict[str, bytes]]:
    pm(kb_root, "disk-a", date="2023-03-01", title="Disk died on web-1")
    pm(kb_root, "disk-b", date="2024-05-01", title="Disk died on web-2")
    write_site(kb_root)
    mkdocs(kb_root)
    before = snapshot(kb_root / "site")
    assert "incidents/disk-a/index.html" in before
    return kb_root, before


def test_a_postmortem_error_leaves_the_previous_site_byte_for_byte(built):
    root, before = built
    (root / "postmortems" / "broken.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    with pytest.raises(Abort):
        mkdocs(root)
    assert snapshot(root / "site") == before


def test_a_failing_site_template_leaves_the_previous_site_byte_for_byte(built):
    root, before = built
    (root / "overrides").mkdir()
    (root / "overrides" / "incident.md.j2").write_text("{{ no_such_value.at_all }}\n", encoding="utf-8")
    write_site(root, templates_dir="overrides")
    with pytest.raises(Exception):  # noqa: B017 - the template's own error, whatever the engine wraps it in
        mkdocs(root)
    assert snapshot(root / "site") == before


def test_a_failing_generator_leaves_the_previous_site_byte_for_byte(built, monkeypatch):
    from postmortem_kb.site import build as site_build

    def failing(build):
        yield from ()
        raise RuntimeError("a generator failed")

    root, before = built
    monkeypatch.setattr(site_build, "GENERATORS", site_build.GENERATORS + (failing,))
    with pytest.raises(RuntimeError):
        mkdocs(root)
    assert snapshot(root / "site") == before


def test_a_mistyped_templates_dir_is_a_configuration_error(built, caplog):
    root, before = built
    write_site(root, templates_dir="overides")
    with pytest.raises((Abort, ConfigurationError)):
        mkdocs(root)
    assert any("templates_dir" in r.getMessage() and "overides" in r.getMessage() for r in caplog.records)
    assert snapshot(root / "site") == before


def test_feed_limit_is_an_option(built):
    root, _ = built
    for i in range(3):
        pm(root, f"extra-{i}", date=f"2022-0{i + 1}-10", title=f"Extra {i}")
    write_site(root, feed_limit=2)
    mkdocs(root)
    feed = (root / "site" / "feeds" / "postmortems.xml").read_text("utf-8")
    assert feed.count("<entry>") == 2


def test_a_partial_build_draws_only_the_pages_asked_for_and_draws_them_the_same(built):
    from postmortem_kb.loader import KBConfig, load_kb
    from postmortem_kb.site.build import SiteBuild

    root, _ = built
    kb = load_kb(KBConfig(root=root))
    full = SiteBuild(kb)
    wanted = {"incidents/disk-a.md", "index.md"}
    part = SiteBuild(kb, only=wanted.__contains__)
    assert [i.path for i in part.generate()] == [i.path for i in full.generate()]  # every page listed
    drawn = {p.path: p.markdown for p in part.pages()}
    assert set(drawn) == wanted  # only those drawn
    everything = {p.path: p.markdown for p in full.pages()}
    assert {path: everything[path] for path in wanted} == drawn


# --- the same through `pmkb build --engine NAME`, on every installed engine ------------------------

ENGINES = [pytest.param(name, marks=pytest.mark.skipif(importlib.util.find_spec(name) is None,
                                                       reason=f"{name} is not installed"))
           for name in ("mkdocs", "properdocs", "zensical")]


def pmkb_build(root: Path, engine: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PMKB_ENGINE"} | {"NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run([sys.executable, "-m", "postmortem_kb", "build", "--engine", engine], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_every_engine_takes_every_plugin_option_and_keeps_the_site_when_a_template_fails(kb_root: Path, engine):
    for i in range(3):
        pm(kb_root, f"disk-{i}", date=f"2023-0{i + 1}-01", title=f"Disk died on web-{i}")
    write_site(kb_root, feed_limit=2, related_limit=1)
    result = pmkb_build(kb_root, engine)
    assert result.returncode == 0, result.stderr
    feed = (kb_root / "site" / "feeds" / "postmortems.xml").read_text("utf-8")
    assert feed.count("<entry>") == 2
    before = snapshot(kb_root / "site")
    (kb_root / "overrides").mkdir()
    (kb_root / "overrides" / "incident.md.j2").write_text("{{ no_such_value.at_all }}\n", encoding="utf-8")
    write_site(kb_root, templates_dir="overrides")
    result = pmkb_build(kb_root, engine)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "no_such_value" in result.stderr, result.stderr
    assert snapshot(kb_root / "site") == before
