"""`pmkb build` and `pmkb serve`: a failed build leaves the previous site exactly as it was."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import re
import socket
import stat
import subprocess
import sys
import types
from pathlib import Path

import pytest

from kit import site_config, write_postmortem
from postmortem_kb import engines, publish
from postmortem_kb.cli import cli
from postmortem_kb.engines import mkdocs as mkdocs_engine
from postmortem_kb.engines import output
from postmortem_kb.engines.mkdocs import MkDocsEngine
from postmortem_kb.publish import BUILDING_PREFIX, MARKER, REPLACED_PREFIX, BadSiteDir, BuildFailed, build_site

MKDOCS_YML = site_config("Test postmortems")

BROKEN = """\
---
title: Broken one
date: 2024-02-30
severity: SEV2
root_causes: [hardware-failure]
---

## Summary

It broke.

## Root cause

Disks.
"""


@pytest.fixture
def kb(kb_root: Path) -> Path:
    """A small KB with a site configuration: two valid postmortems and a docs page."""
    (kb_root / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    (kb_root / "docs").mkdir()
    (kb_root / "docs" / "about.md").write_text("# About\n\nOur incidents.\n", encoding="utf-8")
    write_postmortem(kb_root, "2024-03-14-disk-failure")
    write_postmortem(kb_root, "2024-05-02-config-push", title="Bad config push", date="2024-05-02",
                     root_causes="configuration-change", components="load-balancer")
    return kb_root


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every file and folder under ``folder``: content hash and mode, to compare byte for byte."""
    out: dict[str, tuple] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        mode = stat.S_IMODE(path.lstat().st_mode)
        out[rel] = ("dir", mode) if path.is_dir() else (hashlib.sha256(path.read_bytes()).hexdigest(), mode)
    return out


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith((BUILDING_PREFIX, REPLACED_PREFIX))]


def incident_pages(site: Path, pm_id: str) -> list[Path]:
    return [p for p in site.rglob("*.html") if pm_id in p.relative_to(site).as_posix()]


def test_build_publishes_the_site(kb: Path, runner, monkeypatch) -> None:
    monkeypatch.chdir(kb)
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 0, result.output
    site = kb / "site"
    assert (site / "index.html").is_file()
    assert incident_pages(site, "2024-03-14-disk-failure") and incident_pages(site, "2024-05-02-config-push")
    assert re.search(r"Built 2 postmortems?(\(s\))? ", result.output)
    assert leftovers(kb) == []


def test_invalid_postmortem_fails_and_leaves_the_previous_site_byte_for_byte(kb: Path, runner, monkeypatch) -> None:
    monkeypatch.chdir(kb)
    assert runner.invoke(cli, ["build"]).exit_code == 0
    before = snapshot(kb / "site")
    assert len(before) > 10

    write_postmortem(kb, "2024-06-01-broken", BROKEN)
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 1
    assert "postmortems/2024-06-01-broken.md:3: invalid-date:" in result.output
    assert "Traceback" not in result.output
    assert snapshot(kb / "site") == before
    assert leftovers(kb) == []


def test_invalid_postmortem_caught_by_the_plugin_mid_build_changes_nothing(kb: Path, monkeypatch) -> None:
    """Even when the invalid postmortem reaches the site engine (no validation first), the strict
    build fails inside MkDocs and the previous site stays as it was."""
    build_site(kb / "mkdocs.yml")
    before = snapshot(kb / "site")
    write_postmortem(kb, "2024-06-01-broken", BROKEN)
    real_load_kb = publish.load_kb

    def load_kb_without_errors(config):
        loaded = real_load_kb(config)
        loaded.problems = [p for p in loaded.problems if not p.is_error]
        return loaded

    monkeypatch.setattr(publish, "load_kb", load_kb_without_errors)
    with pytest.raises(BuildFailed):
        build_site(kb / "mkdocs.yml")
    assert snapshot(kb / "site") == before
    assert leftovers(kb) == []


def test_build_warning_under_strict_after_pages_were_written_changes_nothing(kb: Path) -> None:
    build_site(kb / "mkdocs.yml")
    before = snapshot(kb / "site")
    (kb / "docs" / "about.md").write_text("# About\n\nSee [the old page](gone.md).\n", encoding="utf-8")
    with pytest.raises(BuildFailed, match="strict"):
        build_site(kb / "mkdocs.yml")
    assert snapshot(kb / "site") == before
    assert leftovers(kb) == []


def test_a_crash_after_the_engine_wrote_everything_changes_nothing(kb: Path) -> None:
    build_site(kb / "mkdocs.yml")
    before = snapshot(kb / "site")
    real = publish.find_engine()
    written: list[Path] = []

    def build_then_crash(cfg, **kwargs):
        real.build(cfg, **kwargs)
        written.extend(Path(cfg["site_dir"]).rglob("*"))
        raise RuntimeError("disk full")

    engine = MkDocsEngine(real.name, real.load_config, build_then_crash, real.serve, real.yaml_load)
    (kb / "docs" / "about.md").write_text("# About\n\nChanged.\n", encoding="utf-8")
    with pytest.raises(BuildFailed, match="disk full"):
        build_site(kb / "mkdocs.yml", engine=engine)
    assert written, "the engine wrote nothing: the test did not fail half-way"
    assert snapshot(kb / "site") == before
    assert leftovers(kb) == []


def test_success_replaces_the_whole_folder(kb: Path) -> None:
    site = kb / "site"
    site.mkdir()
    (site / MARKER).write_text("a site an earlier build made")
    (site / "stale.html").write_text("from an old build")
    build_site(kb / "mkdocs.yml")
    assert not (site / "stale.html").exists()
    assert (site / "index.html").is_file()


def test_drafts_only_in_a_preview_build(kb: Path, runner, monkeypatch) -> None:
    write_postmortem(kb, "2024-07-01-draft-outage", title="Draft outage", date="2024-07-01")
    path = kb / "postmortems" / "2024-07-01-draft-outage.md"
    path.write_text(path.read_text().replace("severity: SEV2", "severity: SEV2\nstatus: draft"))
    config_before = (kb / "mkdocs.yml").read_bytes()
    monkeypatch.chdir(kb)

    assert runner.invoke(cli, ["build"]).exit_code == 0
    assert incident_pages(kb / "site", "2024-03-14-disk-failure")
    assert not incident_pages(kb / "site", "2024-07-01-draft-outage")

    result = runner.invoke(cli, ["build", "--drafts", "--site-dir", "preview"])
    assert result.exit_code == 0, result.output
    assert incident_pages(kb / "preview", "2024-07-01-draft-outage")
    assert (kb / "mkdocs.yml").read_bytes() == config_before


def test_published_folder_is_readable_like_any_new_folder(kb: Path) -> None:
    old = os.umask(0o022)
    try:
        build_site(kb / "mkdocs.yml")
    finally:
        os.umask(old)
    assert stat.S_IMODE((kb / "site").stat().st_mode) == 0o755


def test_a_symlinked_output_folder_stays_a_link(kb: Path, tmp_path: Path) -> None:
    real = tmp_path / "www" / "postmortems"
    real.mkdir(parents=True)
    (kb / "site").symlink_to(real, target_is_directory=True)
    build_site(kb / "mkdocs.yml")
    assert (kb / "site").is_symlink()
    assert (real / "index.html").is_file()
    assert leftovers(real.parent) == []


@pytest.mark.parametrize("where", [".", ".."])
def test_refuses_an_output_folder_holding_the_kb(kb: Path, where: str) -> None:
    before = sorted(p.name for p in kb.iterdir())
    with pytest.raises(BuildFailed):
        build_site(kb / "mkdocs.yml", site_dir=kb / where)
    assert sorted(p.name for p in kb.iterdir()) == before
    assert (kb / "postmortems" / "2024-03-14-disk-failure.md").is_file()


def test_no_site_configuration_is_a_clear_error(kb_root: Path, runner, monkeypatch) -> None:
    monkeypatch.chdir(kb_root)
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 1
    assert "no mkdocs.yml" in result.output and "pmkb init" in result.output
    assert "Traceback" not in result.output


def test_config_file_option(kb: Path, runner, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["build", "--config-file", str(kb / "mkdocs.yml"), "--site-dir", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "index.html").is_file()


def test_drafts_need_the_plugin(kb: Path) -> None:
    (kb / "mkdocs.yml").write_text("site_name: x\ntheme:\n  name: material\n  font: false\n")
    with pytest.raises(BuildFailed, match="postmortems"):
        build_site(kb / "mkdocs.yml", drafts=True)


# --- pmkb serve and the engine lookup, without starting a server ---

class FakeEngine:
    def __init__(self, real: MkDocsEngine):
        self.calls: list[dict] = []
        self.engine = MkDocsEngine("fake", real.load_config, real.build,
                                   lambda **kw: self.calls.append(kw), real.yaml_load)


def test_serve_passes_its_options_to_the_engine(kb: Path, runner, monkeypatch) -> None:
    fake = FakeEngine(publish.find_engine("mkdocs"))
    monkeypatch.setattr(publish, "find_engine", lambda *args: fake.engine)
    monkeypatch.chdir(kb)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    result = runner.invoke(cli, ["serve", "-a", address, "--no-drafts"])
    assert result.exit_code == 0, result.output
    (call,) = fake.calls
    assert call["config_file"] == str(kb / "mkdocs.yml")
    assert call["dev_addr"] == address and call["livereload"] is True
    assert "plugins" not in call

    result = runner.invoke(cli, ["serve"])
    assert result.exit_code == 0, result.output
    plugins = fake.calls[-1]["plugins"]
    assert plugins == {"search": {}, "postmortems": {"drafts": True}}


def test_drafts_override_keeps_the_plugins_other_options(kb: Path) -> None:
    (kb / "mkdocs.yml").write_text(MKDOCS_YML.replace("  - postmortems\n", "  - postmortems:\n      drafts: false\n"
                                                      "      enabled: true\n"))
    engine = publish.find_engine("mkdocs")
    overrides = mkdocs_engine.plugin_overrides(engine, kb / "mkdocs.yml", drafts=True)
    assert overrides["plugins"] == {"search": {}, "postmortems": {"drafts": True, "enabled": True}}
    # The preview server loads the configuration anew with the same options on every rebuild.
    for _ in range(2):
        cfg = engine.load_config(config_file=str(kb / "mkdocs.yml"), **overrides)
        assert cfg.plugins["postmortems"].config.drafts is True
        assert list(cfg.plugins) == ["material/search", "postmortems"]


def test_properdocs_is_used_when_mkdocs_is_absent(monkeypatch) -> None:
    fake = {f"properdocs.{m}": types.SimpleNamespace(load_config="L", build="B", serve="S", yaml_load="Y")
            for m in ("config", "commands.build", "commands.serve", "utils.yaml")}
    fake["properdocs"] = fake["properdocs.replacement"] = types.SimpleNamespace()
    monkeypatch.delitem(sys.modules, "mkdocs", raising=False)
    monkeypatch.setattr(logging.getLogger("mkdocs"), "parent", logging.getLogger("mkdocs").parent)

    def import_module(name: str):
        if name.startswith("mkdocs"):
            raise ImportError(name)
        return fake[name]

    monkeypatch.setattr(mkdocs_engine.importlib, "import_module", import_module)
    monkeypatch.setattr(engines, "installed", lambda name: name != "mkdocs")
    engine = publish.find_engine()
    assert (engine.name, engine.load_config, engine.build, engine.serve) == ("properdocs", "L", "B", "S")


def test_unknown_engine_is_a_clear_error(monkeypatch) -> None:
    monkeypatch.setenv("PMKB_ENGINE", "hugo")
    with pytest.raises(BuildFailed, match="mkdocs, properdocs, zensical"):
        publish.find_engine()


def test_properdocs_cannot_stand_in_once_mkdocs_is_loaded() -> None:
    import mkdocs  # noqa: F401  (the real one, loaded by the tests above)

    if importlib.util.find_spec("properdocs") is None:
        pytest.skip("ProperDocs is not installed")
    with pytest.raises(BuildFailed, match="new process"):
        publish.find_engine("properdocs")


@pytest.mark.skipif(importlib.util.find_spec("properdocs") is None, reason="ProperDocs is not installed")
def test_build_with_properdocs(kb: Path) -> None:
    """In its own process: ProperDocs answers `mkdocs.*` imports only if loaded before MkDocs."""
    def pmkb(*args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "PMKB_ENGINE": "properdocs", "NO_MKDOCS_2_WARNING": "1"}
        return subprocess.run([sys.executable, "-c", "from postmortem_kb.cli import main; main()", *args],
                              cwd=kb, env=env, capture_output=True, text=True, timeout=300)

    result = pmkb("build")
    assert result.returncode == 0, result.stderr
    assert incident_pages(kb / "site", "2024-03-14-disk-failure")
    before = snapshot(kb / "site")
    (kb / "docs" / "about.md").write_text("# About\n\nSee [the old page](gone.md).\n", encoding="utf-8")
    result = pmkb("build")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "gone.md" in result.stderr
    assert snapshot(kb / "site") == before
    assert leftovers(kb) == []


def test_no_engine_is_a_clear_error(monkeypatch) -> None:
    monkeypatch.setattr(engines, "installed", lambda name: False)
    monkeypatch.delenv("PMKB_ENGINE", raising=False)
    with pytest.raises(BuildFailed, match=r"no site engine is installed .*; run: pip install"):
        publish.find_engine()
    with pytest.raises(BuildFailed, match=r"zensical is not installed; run: pip install 'zensical>=0.0.73'"):
        publish.find_engine("zensical")


def test_no_strict_skips_invalid_postmortems_and_builds_the_rest(kb: Path, runner, monkeypatch) -> None:
    write_postmortem(kb, "2024-06-01-broken", BROKEN)
    monkeypatch.chdir(kb)
    result = runner.invoke(cli, ["build", "--no-strict"])
    assert result.exit_code == 0, result.output
    assert "postmortems/2024-06-01-broken.md:3: invalid-date:" in result.output
    assert "1 skipped with errors" in result.output
    assert incident_pages(kb / "site", "2024-03-14-disk-failure")
    assert not incident_pages(kb / "site", "2024-06-01-broken")


def test_a_site_without_the_plugin_builds_without_a_kb(tmp_path: Path, runner) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Just docs\n")
    (tmp_path / "mkdocs.yml").write_text("site_name: x\ntheme:\n  name: material\n  font: false\n")
    result = runner.invoke(cli, ["--kb", str(tmp_path), "build"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "site" / "index.html").is_file()


def test_a_failed_swap_keeps_the_previous_site(kb: Path, monkeypatch) -> None:
    build_site(kb / "mkdocs.yml")
    before = snapshot(kb / "site")
    real_rename = os.rename

    def rename(src, dst):
        if BUILDING_PREFIX in str(src):
            raise OSError(28, "No space left on device")
        return real_rename(src, dst)

    monkeypatch.setattr(output.os, "rename", rename)
    monkeypatch.setattr(output, "_exchange", lambda a, b: False)  # where folders cannot be exchanged
    with pytest.raises(BuildFailed, match="previous site is still there"):
        build_site(kb / "mkdocs.yml")
    assert snapshot(kb / "site") == before
    assert leftovers(kb) == []


def test_build_reads_the_kb_once(kb: Path, monkeypatch) -> None:
    """The plugin loads and checks the KB itself, through the one loader: `pmkb build` does not
    read the postmortems a second time, nor hand the plugin a KB of its own."""
    from postmortem_kb.mkdocs_plugin import plugin as plugin_module

    reads = []
    real_load_kb = plugin_module.load_kb

    def counted(config):
        reads.append(config)
        return real_load_kb(config)

    monkeypatch.setattr(plugin_module, "load_kb", counted)
    monkeypatch.setattr(publish, "load_kb", counted)
    result = build_site(kb / "mkdocs.yml")
    assert incident_pages(result.site_dir, "2024-03-14-disk-failure")
    assert len(reads) == 1
    assert result.kb is not None and {pm.id for pm in result.kb.postmortems} >= {"2024-03-14-disk-failure"}


def test_lenient_terms_reach_the_plugin(kb: Path) -> None:
    """`pmkb --lenient build`: an unknown term is a warning in the plugin's own load too; without
    it the build stops on the error, with the postmortem's problem to show, and publishes nothing."""
    write_postmortem(kb, "2024-07-01-odd", title="Odd one", date="2024-07-01", root_causes="cosmic-rays")
    with pytest.raises(BuildFailed, match="nothing was published") as failed:
        build_site(kb / "mkdocs.yml")
    assert any("2024-07-01-odd" in p.format_text() and p.is_error for p in failed.value.problems)
    assert not (kb / "site").exists()
    result = build_site(kb / "mkdocs.yml", strict_terms=False)
    assert incident_pages(result.site_dir, "2024-07-01-odd")
    assert any("2024-07-01-odd" in p.format_text() and not p.is_error for p in result.problems)


# --- the output folder is a site, never the KB or its sources ---------------------------------

def kb_state(kb: Path) -> dict[str, tuple]:
    """Everything of the KB but its site: nothing of it may change when a build is refused."""
    return {k: v for k, v in snapshot(kb).items() if not k.startswith("site")}


@pytest.fixture
def kb_with_sources(kb: Path) -> Path:
    (kb / ".git").mkdir()
    (kb / ".git" / "config").write_text("[core]\n")
    (kb / "templates").mkdir()
    (kb / "templates" / "incident.md.j2").write_text("{{ title }}\n")
    (kb / "notes").mkdir()
    (kb / "notes" / "todo.txt").write_text("a folder of the writer's\n")
    return kb


@pytest.mark.parametrize("site_dir", ["postmortems", ".git", "templates", "docs", "..", ".", "notes",
                                      "postmortems/2024", ".git/site", "docs/site", "taxonomy.yml", "mkdocs.yml"])
def test_a_folder_that_is_not_a_site_is_refused_as_a_usage_error(kb_with_sources: Path, site_dir: str,
                                                                  runner, monkeypatch) -> None:
    kb = kb_with_sources
    before = kb_state(kb)
    parent_before = sorted(p.name for p in kb.parent.iterdir())
    monkeypatch.chdir(kb)
    with pytest.raises(BadSiteDir, match="^--site-dir "):
        build_site(kb / "mkdocs.yml", site_dir=Path(site_dir))
    result = runner.invoke(cli, ["build", "--site-dir", site_dir])
    assert result.exit_code == 2, result.output  # a usage error, naming the flag
    assert "Invalid value for" in result.output and "'--site-dir'" in result.output
    assert "not a valid site configuration" not in result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert kb_state(kb) == before
    assert sorted(p.name for p in kb.parent.iterdir()) == parent_before
    assert leftovers(kb) == []


def test_the_configured_site_dir_is_checked_too(kb: Path) -> None:
    (kb / "mkdocs.yml").write_text(MKDOCS_YML + "site_dir: postmortems\n")
    before = kb_state(kb)
    with pytest.raises(BuildFailed, match=r"^site_dir in mkdocs.yml: .*postmortems folder"):
        build_site(kb / "mkdocs.yml")
    assert kb_state(kb) == before


def test_only_a_site_with_the_marker_or_an_empty_folder_is_replaced(kb: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    build_site(kb / "mkdocs.yml", site_dir=out)  # empty: replaced
    assert (out / MARKER).is_file() and (out / "index.html").is_file()
    build_site(kb / "mkdocs.yml", site_dir=out)  # made by a build: replaced
    assert (out / "index.html").is_file()

    (out / MARKER).unlink()
    with pytest.raises(BadSiteDir, match="not made by `pmkb build`"):
        build_site(kb / "mkdocs.yml", site_dir=out)
    # A marker that is not a plain file (a folder, a link a writer committed) does not count.
    (out / MARKER).mkdir()
    with pytest.raises(BadSiteDir):
        build_site(kb / "mkdocs.yml", site_dir=out)
    (out / MARKER).rmdir()
    (out / MARKER).symlink_to(kb / "mkdocs.yml")
    with pytest.raises(BadSiteDir):
        build_site(kb / "mkdocs.yml", site_dir=out)
    assert (out / "index.html").is_file()


def test_a_folder_around_the_repository_is_refused(kb: Path, tmp_path: Path) -> None:
    inner = kb / "team" / "kb"
    inner.mkdir(parents=True)
    for name in ("mkdocs.yml", "taxonomy.yml"):
        (inner / name).write_bytes((kb / name).read_bytes())
    (inner / "postmortems").mkdir()
    (inner / "docs").mkdir()
    (kb / ".git").mkdir()
    for site_dir in (kb / "team", kb, kb / ".git" / "x"):
        with pytest.raises(BadSiteDir):
            build_site(inner / "mkdocs.yml", site_dir=site_dir)
    assert (kb / "postmortems" / "2024-03-14-disk-failure.md").is_file()


# --- a stopped build: the site is there at every moment, and nothing is left behind ------------

KILLED_BUILD = r"""
import os, signal, sys
from pathlib import Path
from postmortem_kb import publish
from postmortem_kb.engines import output

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

step = sys.argv[2]
if step == "before-swap":  # the engine wrote the whole site
    output.BuildFolder.mark = die
elif step == "after-exchange":  # the new site is in, the old one not removed yet
    output.shutil.rmtree = die
elif step == "between-renames":  # where folders cannot be exchanged: the old site is aside
    output._exchange = lambda a, b: False
    real_rename = os.rename
    def rename(src, dst):
        real_rename(src, dst)
        if output.REPLACED_PREFIX in str(dst):
            die()
    output.os.rename = rename
publish.build_site(Path(sys.argv[1]))
"""


def _killed_build(kb: Path, step: str) -> None:
    proc = subprocess.run([sys.executable, "-c", KILLED_BUILD, str(kb / "mkdocs.yml"), step],
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr  # it really was killed, at that step


@pytest.mark.parametrize("step", ["before-swap", "after-exchange", "between-renames"])
def test_a_build_killed_at_any_step_loses_no_site(kb: Path, step: str) -> None:
    build_site(kb / "mkdocs.yml")
    old = snapshot(kb / "site")
    (kb / "docs" / "about.md").write_text("# About\n\nChanged.\n", encoding="utf-8")
    _killed_build(kb, step)
    assert leftovers(kb), "the killed build left nothing: it was not killed half-way"
    if step == "between-renames":
        # Without an atomic exchange there is a moment with no site; the next build puts it back first.
        assert not (kb / "site").exists()
        assert output.recover(kb / "site")
        assert snapshot(kb / "site") == old
    elif step == "before-swap":
        assert snapshot(kb / "site") == old
    else:
        assert (kb / "site" / MARKER).is_file() and "Changed." in (kb / "site" / "about.html").read_text()

    result = build_site(kb / "mkdocs.yml")
    assert leftovers(kb) == []
    assert "Changed." in (kb / "site" / "about.html").read_text()
    assert step == "between-renames" or result.notes


def test_the_next_build_puts_back_a_site_left_aside(kb: Path) -> None:
    build_site(kb / "mkdocs.yml")
    old = snapshot(kb / "site")
    aside = kb / f"{REPLACED_PREFIX}site-abcd1234"
    os.rename(kb / "site", aside)
    (kb / f"{BUILDING_PREFIX}site-zz99yy88").mkdir()  # and the half-built folder of the same build
    assert output.recover(kb / "site")
    assert snapshot(kb / "site") == old and leftovers(kb) == []


def test_a_running_build_keeps_its_folder(kb: Path) -> None:
    """The next build removes only the folders of builds that are gone, not one that is running."""
    running = output.BuildFolder(kb / "site")
    try:
        (running.path / "half.html").write_text("being written")
        build_site(kb / "mkdocs.yml")
        assert (running.path / "half.html").is_file()
    finally:
        running.close()
    build_site(kb / "mkdocs.yml")
    assert not running.path.exists() and leftovers(kb) == []


def test_leftovers_of_another_output_folder_are_not_touched(kb: Path) -> None:
    other = kb / f"{BUILDING_PREFIX}site-old-abcd1234"  # site-old's, not site's
    other.mkdir()
    build_site(kb / "mkdocs.yml")
    assert other.is_dir()


# --- a read-only or full disk: one line, the old site kept -------------------------------------

def test_a_read_only_output_folder_is_one_clear_line(kb: Path, runner, monkeypatch) -> None:
    build_site(kb / "mkdocs.yml")
    before = snapshot(kb / "site")

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(kb))

    monkeypatch.setattr(output.tempfile, "mkdtemp", read_only)
    result = runner.invoke(cli, ["--kb", str(kb), "build"])
    assert result.exit_code == 1, result.output
    (line,) = result.output.strip().splitlines()
    assert "Permission denied" in line and "internal error" not in line
    assert snapshot(kb / "site") == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_really_read_only_folder(kb: Path, runner) -> None:
    build_site(kb / "mkdocs.yml")
    os.chmod(kb, 0o555)
    try:
        result = runner.invoke(cli, ["--kb", str(kb), "build"])
    finally:
        os.chmod(kb, 0o755)
    assert result.exit_code == 1 and "Permission denied" in result.output
    assert "internal error" not in result.output


def test_a_full_disk_is_one_clear_line_and_keeps_the_site(kb: Path, runner, monkeypatch) -> None:
    build_site(kb / "mkdocs.yml")
    before = snapshot(kb / "site")
    real = publish.find_engine("mkdocs")

    def full(cfg, **kwargs):
        real.build(cfg, **kwargs)
        raise OSError(28, "No space left on device", str(Path(cfg["site_dir"]) / "index.html"))

    engine = MkDocsEngine(real.name, real.load_config, full, real.serve, real.yaml_load)
    monkeypatch.setattr(publish, "find_engine", lambda *args: engine)
    result = runner.invoke(cli, ["--kb", str(kb), "build"])
    assert result.exit_code == 1, result.output
    assert "No space left on device" in result.output and "internal error" not in result.output
    assert snapshot(kb / "site") == before and leftovers(kb) == []
