"""`pmkb init`: a new KB that validates and builds as it is, with CI and pre-commit that call real commands."""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import click
import pytest
import yaml

from kit import ROOT  # noqa: E402
from postmortem_kb.cli import cli
from postmortem_kb.initkb import check_requirement, init_kb, installed_requirement
from postmortem_kb.loader import KBConfig, load_kb
from postmortem_kb.taxonomy import load_taxonomy


def tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built_kb(tmp_path_factory) -> Path:
    """One KB made by `pmkb init` and built by `pmkb build`, shared by the read-only tests below."""
    from click.testing import CliRunner

    kb = tmp_path_factory.mktemp("init") / "acme-postmortems"
    runner = CliRunner()
    result = runner.invoke(cli, ["init", str(kb)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["--kb", str(kb), "build"])
    assert result.exit_code == 0, result.output
    return kb


def test_init_writes_a_kb_that_validates_and_builds(built_kb: Path, runner, monkeypatch) -> None:
    for rel in ("mkdocs.yml", "taxonomy.yml", ".gitignore", ".github/workflows/postmortems.yml",
                ".gitlab-ci.yml", ".pre-commit-config.yaml", "requirements.txt", "templates/postmortem.md"):
        assert (built_kb / rel).is_file(), rel
    kb = load_kb(KBConfig(root=built_kb))
    assert len(kb.postmortems) == 1 and not kb.problems, kb.problems

    monkeypatch.chdir(built_kb)
    result = runner.invoke(cli, ["validate", "--strict"])
    assert result.exit_code == 0, result.output
    assert "1 postmortem checked: 0 errors, 0 warnings" in result.output

    site = built_kb / "site"
    assert (site / "index.html").is_file()
    example = kb.postmortems[0]
    pages = [p for p in site.rglob("*.html") if example.id in p.as_posix()]
    assert pages, f"no page for {example.id} in {sorted(p.name for p in site.iterdir())}"
    page = max(pages, key=lambda p: p.stat().st_size).read_text(encoding="utf-8")
    assert "expired TLS certificate took the public API down" in page
    assert "Renew load-balancer certificates automatically" in page


def test_every_new_kb_tells_an_engine_without_the_plugin_which_command_to_run(built_kb: Path, tmp_path) -> None:
    """`zensical build` run directly ignores the plugin: the home page it publishes is the notice,
    naming `pmkb build --engine zensical`; a build that runs the plugin shows its own home page."""
    from postmortem_kb.engines.notice import START, strip_notice

    home = (built_kb / "docs" / "index.md").read_text(encoding="utf-8")
    assert START in home and "pmkb build --engine zensical" in home and strip_notice(home) is None
    built = (built_kb / "site" / "index.html").read_text(encoding="utf-8")
    assert "built without its postmortems" not in built and "pmkb:engine-notice" not in built
    assert "expired TLS certificate" in built  # the generated home page, listing the incident
    for engine in (None, "mkdocs", "zensical"):
        kb = tmp_path / f"kb-{engine}"
        init_kb(kb, engine=engine)
        assert (kb / "docs" / "index.md").read_text(encoding="utf-8") == home, engine


def test_site_configuration_is_offline_safe(built_kb: Path) -> None:
    config = yaml.safe_load((built_kb / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["theme"]["name"] == "material"
    assert config["theme"]["font"] is False
    plugins = [next(iter(p)) if isinstance(p, dict) else p for p in config["plugins"]]
    assert "postmortems" in plugins
    external = set()
    for page in (built_kb / "site").rglob("*.html"):
        external |= set(re.findall(r'<(?:script|link|img)\b[^>]*(?:src|href)="((?:https?:)?//[^"]+)"',
                                   page.read_text(encoding="utf-8")))
    assert not external, sorted(external)[:5]


@pytest.mark.parametrize("kind, words", [
    ("root_causes", ["hardware failure", "configuration change", "capacity", "software bug",
                     "dependency failure", "expired certificate", "human error", "network"]),
    ("actions", ["add monitoring", "add redundancy", "update runbook", "automate", "test", "train"]),
])
def test_starting_taxonomy_knows_the_common_terms(tmp_path: Path, kind: str, words: list[str]) -> None:
    init_kb(tmp_path / "kb")
    taxonomy = load_taxonomy(tmp_path / "kb" / "taxonomy.yml")
    assert [w for w in words if taxonomy.resolve(kind, w) is None] == []
    assert len(taxonomy.terms["components"]) >= 3


def test_refuses_a_folder_that_is_not_empty(tmp_path: Path, runner) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "notes.txt").write_text("mine\n")
    result = runner.invoke(cli, ["init", str(kb)])
    assert result.exit_code == 1
    assert "not empty" in result.output and "--force" in result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in kb.iterdir()) == ["notes.txt"]


def test_force_adds_files_but_never_overwrites(tmp_path: Path, runner) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "taxonomy.yml").write_text("root_causes:\n  ours: {title: Ours}\n")
    before = (kb / "taxonomy.yml").read_bytes()
    result = runner.invoke(cli, ["init", "--force", str(kb)])
    assert result.exit_code == 0, result.output
    assert (kb / "taxonomy.yml").read_bytes() == before
    assert "kept" in result.output and "taxonomy.yml" in result.output
    assert (kb / "mkdocs.yml").is_file()


def test_a_fresh_clone_with_only_git_counts_as_empty(tmp_path: Path, runner) -> None:
    kb = tmp_path / "kb"
    (kb / ".git").mkdir(parents=True)
    result = runner.invoke(cli, ["init", str(kb)])
    assert result.exit_code == 0, result.output
    assert (kb / "mkdocs.yml").is_file()


def test_refuses_a_file(tmp_path: Path, runner) -> None:
    target = tmp_path / "kb"
    target.write_text("x")
    result = runner.invoke(cli, ["init", str(target)])
    assert result.exit_code != 0
    assert "Traceback" not in result.output


def test_site_name_reaches_the_site(tmp_path: Path) -> None:
    init_kb(tmp_path / "kb", site_name="Acme: incidents & lessons")
    config = yaml.safe_load((tmp_path / "kb" / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["site_name"] == "Acme: incidents & lessons"


def test_template_is_the_one_pmkb_new_fills_in(tmp_path: Path, runner, monkeypatch) -> None:
    kb = tmp_path / "kb"
    init_kb(kb)
    monkeypatch.chdir(kb)
    result = runner.invoke(cli, ["new", "Queue backlog after failover"])
    assert result.exit_code == 0, result.output
    written = Path(result.output.strip().splitlines()[0])

    def body(text: str) -> str:
        return text.split("\n---\n", 1)[1]

    template = (kb / "templates" / "postmortem.md").read_text(encoding="utf-8")
    assert body(written.read_text(encoding="utf-8")) == body(template)
    assert "add-monitoring" in template  # it lists this KB's own terms


def test_gitignore_keeps_built_sites_and_caches_out(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    kb = tmp_path / "kb"
    init_kb(kb)
    subprocess.run(["git", "init", "-q", str(kb)], check=True)
    paths = ["site/index.html", ".pmkb/index/x", ".pmkb-building-site-abc/index.html",
             "preview/index.html", "public/index.html", "postmortems/2025/x.md"]
    out = subprocess.run(["git", "-C", str(kb), "check-ignore", *paths], capture_output=True, text=True).stdout
    ignored = set(out.split())
    assert ignored == set(paths) - {"postmortems/2025/x.md"}


# --- CI workflows and pre-commit: they parse, and every pmkb command they call exists and works ---

def workflow_commands(kb: Path) -> list[str]:
    github = yaml.safe_load((kb / ".github/workflows/postmortems.yml").read_text(encoding="utf-8"))
    gitlab = yaml.safe_load((kb / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    lines = []
    for job in github["jobs"].values():
        lines += [step["run"] for step in job["steps"] if "run" in step]
    for job in gitlab.values():
        if isinstance(job, dict):
            lines += job.get("script", []) + job.get("before_script", [])
    return [cmd.strip() for line in lines for cmd in line.splitlines() if cmd.strip()]


def check_command_exists(argv: list[str]) -> None:
    """The click command and each option named in argv exist (as `pmkb ...` would parse them)."""
    group: click.Group = cli
    group_opts = {o for p in group.params for o in p.opts + p.secondary_opts}
    args = argv[1:]
    while args and args[0].startswith("-"):
        assert args.pop(0).split("=")[0] in group_opts
    command = group.get_command(click.Context(group), args[0])
    assert command is not None, f"`pmkb {args[0]}` does not exist"
    known = {o for p in command.params for o in p.opts + p.secondary_opts}
    for token in args[1:]:
        if token.startswith("-"):
            assert token.split("=")[0] in known, f"`pmkb {args[0]}` has no option {token}"
    command.make_context(args[0], list(args[1:]), parent=click.Context(cli))  # parses cleanly


def test_workflows_parse_and_do_what_they_promise(built_kb: Path) -> None:
    github = yaml.safe_load((built_kb / ".github/workflows/postmortems.yml").read_text(encoding="utf-8"))
    triggers = github[True] if True in github else github["on"]  # YAML 1.1 reads `on` as true
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    uses = {job_name: [s.get("uses", "").split("@")[0] for s in job["steps"]]
            for job_name, job in github["jobs"].items()}
    assert "actions/upload-pages-artifact" in uses["build"]
    assert "actions/deploy-pages" in uses["deploy"]
    assert github["jobs"]["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    check_runs = " ".join(s.get("run", "") for s in github["jobs"]["check"]["steps"])
    assert "pmkb validate --format github" in check_runs and "pmkb build" in check_runs

    gitlab = yaml.safe_load((built_kb / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    assert "merge_request_event" in str(gitlab["validate"]["rules"])
    assert gitlab["pages"]["artifacts"]["paths"] == ["public"]
    assert "CI_DEFAULT_BRANCH" in str(gitlab["pages"]["rules"])
    assert any("--site-dir public" in line for line in gitlab["pages"]["script"])


def test_every_pmkb_command_in_the_workflows_exists_and_succeeds(tmp_path: Path, runner, monkeypatch) -> None:
    kb = tmp_path / "kb"
    init_kb(kb)
    commands = workflow_commands(kb)
    pmkb = [shlex.split(c) for c in commands if c.startswith("pmkb ")]
    assert len(pmkb) >= 4, commands
    others = {shlex.split(c)[0] for c in commands if not c.startswith("pmkb ")}
    assert others <= {"pip"}, others  # nothing else is called, so nothing else can be missing
    assert any("requirements.txt" in c for c in commands)
    assert installed_requirement().requirement in (kb / "requirements.txt").read_text().splitlines()

    monkeypatch.chdir(kb)
    for argv in pmkb:
        check_command_exists(argv)
        result = runner.invoke(cli, argv[1:])
        assert result.exit_code == 0, (argv, result.output)
    assert (kb / "public" / "index.html").is_file() and (kb / "preview" / "index.html").is_file()


def test_pre_commit_hook_is_the_projects_and_runs(tmp_path: Path, runner, monkeypatch) -> None:
    shipped = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in shipped] == ["pmkb-validate"]
    hook = shipped[0]
    assert hook["entry"] == "pmkb validate" and hook["language"] == "python" and hook["pass_filenames"] is True

    kb = tmp_path / "kb"
    init_kb(kb)
    config = yaml.safe_load((kb / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    local = config["repos"][0]["hooks"][0]
    for key in ("id", "entry", "language", "files", "pass_filenames"):
        assert local[key] == hook[key], key
    files = re.compile(hook["files"])
    assert files.search("postmortems/2025/2025-06-12-api-certificate-expired.md")
    assert not files.search("docs/index.md") and not files.search("templates/postmortem.md")

    # pre-commit runs the entry with the changed files as arguments, from the repository's root.
    monkeypatch.chdir(kb)
    entry = shlex.split(hook["entry"])
    changed = "postmortems/2025/2025-06-12-api-certificate-expired.md"
    result = runner.invoke(cli, entry[1:] + [changed])
    assert result.exit_code == 0, result.output
    bad = kb / "postmortems" / "broken.md"
    bad.write_text("---\ntitle: Broken\ndate: 2025-02-30\nseverity: SEV9\n---\n\n## Summary\n\nx\n")
    result = runner.invoke(cli, entry[1:] + ["postmortems/broken.md"])
    assert result.exit_code == 1
    assert re.search(r"^postmortems/broken\.md:\d+: ", result.output, re.M), result.output


DIRECT_URLS = {  # PEP 610 direct_url.json as pip writes it, and the requirement that installs the same
    "index": (None, "postmortem-kb==0.1.0", True),
    "vcs": ('{"url": "https://github.com/acme/postmortem-kb.git", "vcs_info": {"vcs": "git", '
            '"requested_revision": "v0.1.0", "commit_id": "1f2e3d4c5b6a"}}',
            "postmortem-kb @ git+https://github.com/acme/postmortem-kb.git@1f2e3d4c5b6a", True),
    "wheel-url": ('{"url": "https://files.example/postmortem_kb-0.1.0-py3-none-any.whl", '
                  '"archive_info": {"hashes": {"sha256": "abc123"}}}',
                  "postmortem-kb @ https://files.example/postmortem_kb-0.1.0-py3-none-any.whl#sha256=abc123", True),
    "local-wheel": ('{"url": "file:///home/ana/dist/postmortem_kb-0.1.0-py3-none-any.whl", "archive_info": {}}',
                    "postmortem-kb @ file:///home/ana/dist/postmortem_kb-0.1.0-py3-none-any.whl", False),
    "checkout": ('{"url": "file:///home/ana/src/postmortem-kb", "dir_info": {"editable": true}}',
                 "postmortem-kb @ file:///home/ana/src/postmortem-kb", False),
    "local-git": ('{"url": "file:///srv/git/pmkb", "vcs_info": {"vcs": "git", "commit_id": "abc"}}',
                  "postmortem-kb @ git+file:///srv/git/pmkb@abc", False),
    "broken": ("{not json", "postmortem-kb==0.1.0", True),
}


@pytest.mark.parametrize("case", sorted(DIRECT_URLS))
def test_init_installs_the_pmkb_that_is_running(case):
    text, requirement, portable = DIRECT_URLS[case]
    install = installed_requirement(text or "", version="0.1.0")
    assert (install.requirement, install.portable) == (requirement, portable)
    assert check_requirement(install.requirement) == install.requirement  # pip can read it


def test_init_says_when_the_kb_only_works_on_this_machine(tmp_path: Path, runner) -> None:
    result = runner.invoke(cli, ["init", str(tmp_path / "kb")])
    assert result.exit_code == 0, result.output
    install = installed_requirement()
    assert install.requirement in (tmp_path / "kb" / "requirements.txt").read_text().splitlines()
    assert ("only on this machine" in result.output) == (not install.portable)
    if not install.portable:
        assert "--requirement" in result.output


def test_init_prints_quoted_next_steps(tmp_path: Path, runner, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["init", "My Team KB"])
    assert result.exit_code == 0, result.output
    steps = result.output.split("Next:")[1].splitlines()
    assert "  cd 'My Team KB'" in steps
    assert "  git init" in steps and any("pre-commit install" in s for s in steps)
    assert steps.index("  git init") < next(i for i, s in enumerate(steps) if "pre-commit install" in s)


def test_the_example_is_current_whatever_the_day(tmp_path: Path, runner) -> None:
    import datetime as dt

    for today in (dt.date(2026, 1, 5), dt.date(2031, 7, 1)):
        kb = tmp_path / str(today)
        init_kb(kb, today=today, requirement="postmortem-kb==0.1.0")
        result = runner.invoke(cli, ["--kb", str(kb), "stats", "--as-of", today.isoformat(), "--format", "json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["overdue_count"] == 0 and data["overdue"] == []


def test_the_hook_runs_on_the_taxonomy_and_the_site_config(tmp_path: Path) -> None:
    init_kb(tmp_path / "kb", requirement="postmortem-kb==0.1.0")
    hook = yaml.safe_load((tmp_path / "kb" / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"][0]
    shipped = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())[0]
    for files in (hook["files"], shipped["files"]):
        for path in ("postmortems/2024/x.md", "taxonomy.yml", "mkdocs.yml"):
            assert re.search(files, path), (files, path)
        assert not re.search(files, "docs/about.md") and not re.search(files, "README.md")


def test_validate_checks_every_postmortem_when_the_taxonomy_changes(tmp_path: Path, runner, monkeypatch) -> None:
    kb = tmp_path / "kb"
    init_kb(kb, requirement="postmortem-kb==0.1.0")
    monkeypatch.chdir(kb)
    taxonomy = (kb / "taxonomy.yml").read_text()
    assert runner.invoke(cli, ["validate", "taxonomy.yml"]).exit_code == 0
    used = yaml.safe_load(next((kb / "postmortems").rglob("*.md")).read_text().split("---")[1])["root_causes"][0]
    data = yaml.safe_load(taxonomy)
    data["root_causes"].pop(used)  # the hook's case: a term the postmortems use is removed
    (kb / "taxonomy.yml").write_text(yaml.safe_dump(data))
    result = runner.invoke(cli, ["validate", "taxonomy.yml"])
    assert result.exit_code == 1 and used in result.output


def test_requirement_says_how_ci_installs_postmortem_kb(tmp_path: Path, runner) -> None:
    spec = "postmortem-kb @ https://pypi.internal.example/wheels/postmortem_kb-0.1.0-py3-none-any.whl"
    result = runner.invoke(cli, ["init", "--requirement", spec, str(tmp_path / "kb")])
    assert result.exit_code == 0, result.output
    assert spec in (tmp_path / "kb" / "requirements.txt").read_text().splitlines()
    hooks = yaml.safe_load((tmp_path / "kb" / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    assert hooks[0]["additional_dependencies"] == [spec]


@pytest.mark.parametrize("spec", ["requests>=2", "postmortem-kb\nevil-package", "not a requirement!"])
def test_refuses_a_requirement_that_does_not_install_postmortem_kb(tmp_path: Path, runner, spec: str) -> None:
    result = runner.invoke(cli, ["init", "--requirement", spec, str(tmp_path / "kb")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert not (tmp_path / "kb").exists()


def test_a_fresh_draft_is_previewed_with_what_is_left_to_do_and_does_not_block_the_build(tmp_path, runner):
    kb = tmp_path / "kb"
    init_kb(kb)
    result = runner.invoke(cli, ["--kb", str(kb), "new", "Disk full on db-2", "--date", "2026-03-01"])
    assert result.exit_code == 0, result.output
    pm_id = "2026-03-01-disk-full-on-db-2"
    result = runner.invoke(cli, ["--kb", str(kb), "build", "--drafts", "--site-dir", str(tmp_path / "preview")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "preview" / "incidents" / f"{pm_id}.html").read_text(encoding="utf-8")
    assert "This is a draft" in page and "pmkb-draft-problems" in page
    assert "still says TODO" in page and "section is empty" in page
    # CI publishes the rest: the build passes, without the draft.
    result = runner.invoke(cli, ["--kb", str(kb), "build", "--site-dir", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "site" / "incidents" / f"{pm_id}.html").exists()
    example = tmp_path / "site" / "incidents" / "2025-06-12-api-certificate-expired.html"
    published = example.read_text(encoding="utf-8")
    assert "pmkb-draft-problems" not in published
