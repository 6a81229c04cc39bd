"""A writer's walk on the built wheel, as a new user would go, in a temporary folder.

Build the wheel; install it in a fresh venv; `pmkb init`; install the new KB's own requirements.txt
in another fresh venv (what its CI does); `git init` and the pre-commit hook, which refuses a bad
commit and lets a good one through; `pmkb new`, and `serve` shows the draft (fetched over HTTP);
fill it in, and the preview redraws it; `validate`, commit, `build`, `search`, `similar`, `stats`,
`export`.

It installs packages, so it needs the package index (or a pip cache) and takes minutes: it runs
when PMKB_WRITER_WALK=1 (CI sets it), and is marked slow. The index is asked once: the wheel's
dependencies (and pre-commit's, and what pre-commit builds its hook with) are gathered into a
wheelhouse, and every install after that (the user's venv, the KB's CI venv from its own
requirements.txt, the hook's environment) resolves from it alone, as a pip cache would.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from kit import ROOT

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.environ.get("PMKB_WRITER_WALK") != "1",
                                 reason="the writer's walk installs packages: set PMKB_WRITER_WALK=1")]

FILLED = {
    "severity: TODO": "severity: SEV2",
    "status: draft": "status: published",
    "components: []": "components: [website]",
    "root_causes: [TODO]": "root_causes: [deployment]",
    "  - title: TODO": "  - title: Add a canary stage to the deploy",
    'action: ""': "action: add-tests",
    'owner: ""': "owner: Release team",
    "due: null": "due: 2099-01-31",
    "TODO\n\n## Impact": "Checkout returned 502 errors for twelve minutes after a deploy.\n\n## Impact",
    "- 00:00 [start] TODO": "- 10:00 [start] The new build reached every web node",
    "- 00:00 [detected] TODO": "- 10:03 [detected] The checkout error alert fired",
    "- 00:00 [resolved] TODO": "- 10:12 [resolved] The deploy was rolled back",
    "TODO\n\n## Resolution": "A build with a broken payment client was promoted without a canary.\n\n## Resolution",
}


def run(*args: str | Path, cwd: Path, env: dict[str, str], ok: bool = True, timeout: int = 900):
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if ok:
        assert proc.returncode == 0, f"{args}: exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def venv(path: Path, env: dict[str, str]) -> Path:
    run(sys.executable, "-m", "venv", path, cwd=path.parent, env=env)
    return path / "bin"


def fetch(url: str, ready, server: subprocess.Popen, log: Path, seconds: float = 120) -> str:
    """The page at ``url`` once ``ready(page)`` holds (the server starts, then redraws on a save)."""
    page, deadline = "", time.monotonic() + seconds
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                page = response.read().decode("utf-8")
            if ready(page):
                return page
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} never showed what was expected\n{log.read_text(encoding='utf-8')[-3000:]}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_writer_walks_from_the_wheel_to_a_served_page(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "PMKB_"))}
    env.update(HOME=str(tmp_path / "home"), XDG_CACHE_HOME=str(tmp_path / "cache"), GIT_AUTHOR_NAME="Ana",
               GIT_AUTHOR_EMAIL="ana@example.com", GIT_COMMITTER_NAME="Ana", GIT_COMMITTER_EMAIL="ana@example.com",
               PIP_DISABLE_PIP_VERSION_CHECK="1", NO_MKDOCS_2_WARNING="1",
               PIP_CACHE_DIR=os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip")),
               PRE_COMMIT_HOME=str(tmp_path / "pre-commit"))
    (tmp_path / "home").mkdir()
    # The wheel, built from a copy of the source (the checkout stays untouched).
    source = tmp_path / "source"
    top_level = {".git", "site", "artifacts", "build", "dist", ".pytest_cache"}  # not the package's own site/

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if n == "__pycache__" or n.endswith(".egg-info")}
        return skipped | (top_level & set(names) if Path(folder) == ROOT else set())

    shutil.copytree(ROOT, source, ignore=ignore)
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", tmp_path / "dist", source, cwd=tmp_path, env=env)
    wheel = next((tmp_path / "dist").glob("postmortem_kb-*.whl"))
    # One resolution against the index; from here on pip installs from these wheels only.
    wheelhouse = tmp_path / "wheelhouse"
    run(sys.executable, "-m", "pip", "wheel", "-q", "-w", wheelhouse, wheel, "pre-commit", "setuptools", "wheel",
        cwd=tmp_path, env=env)
    env.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheelhouse))

    # A new user installs the wheel and makes a KB.
    user = venv(tmp_path / "user", env)
    run(user / "pip", "install", "-q", wheel, cwd=tmp_path, env=env)
    init = run(user / "pmkb", "init", "My Team KB", cwd=tmp_path, env=env)
    kb = tmp_path / "My Team KB"
    assert "cd 'My Team KB'" in init.stderr and "git init" in init.stderr and "pre-commit install" in init.stderr
    assert "only on this machine" in init.stderr  # a wheel on disk: it says so
    requirement = (kb / "requirements.txt").read_text(encoding="utf-8")
    assert wheel.as_uri() in requirement

    # What the KB's CI does: a fresh venv with the KB's own requirements.txt.
    ci = venv(tmp_path / "ci", env)
    run(ci / "pip", "install", "-q", "-r", kb / "requirements.txt", "pre-commit", cwd=kb, env=env)
    pmkb = ci / "pmkb"
    fresh = run(pmkb, "validate", "--strict", cwd=kb, env=env)
    assert "1 postmortem checked: 0 errors, 0 warnings" in fresh.stderr, fresh.stderr

    # git and the pre-commit hook: a bad commit is refused, a good one goes through.
    run("git", "init", "-q", "-b", "main", cwd=kb, env=env)
    run(ci / "pre-commit", "install", cwd=kb, env=env)
    run("git", "add", ".", cwd=kb, env=env)
    run("git", "commit", "-q", "-m", "A new knowledge base", cwd=kb, env=env)
    example = next((kb / "postmortems").rglob("*.md"))
    good_text = example.read_text(encoding="utf-8")
    example.write_text(good_text.replace("severity: SEV", "severity: SEVX", 1), encoding="utf-8")
    run("git", "add", example, cwd=kb, env=env)
    bad = run("git", "commit", "-q", "-m", "A bad severity", cwd=kb, env=env, ok=False)
    assert bad.returncode != 0 and "severity" in bad.stdout + bad.stderr
    example.write_text(good_text, encoding="utf-8")
    taxonomy = (kb / "taxonomy.yml").read_text(encoding="utf-8")
    (kb / "taxonomy.yml").write_text(taxonomy.replace("  expired-certificate:", "  expired-certs:"), encoding="utf-8")
    run("git", "add", "-A", cwd=kb, env=env)
    bad = run("git", "commit", "-q", "-m", "Rename a term the example uses", cwd=kb, env=env, ok=False)
    assert bad.returncode != 0, "the hook runs when only taxonomy.yml changes"
    (kb / "taxonomy.yml").write_text(taxonomy, encoding="utf-8")

    # A new postmortem: previewed while it is a draft, filled in (the preview redraws it), committed
    # through the hook, built.
    new = run(pmkb, "new", "Checkout errors after deploy", "--date", "2026-11-20", cwd=kb, env=env)
    path = Path(new.stdout.strip())
    assert path.name == "2026-11-20-checkout-errors-after-deploy.md"
    pm_id = path.stem
    port = free_port()
    page_url = f"http://127.0.0.1:{port}/incidents/{pm_id}.html"
    with open(tmp_path / "serve.log", "w", encoding="utf-8") as serve_log:
        server = subprocess.Popen([str(pmkb), "serve", "--dev-addr", f"127.0.0.1:{port}"], cwd=kb, env=env,
                                  stdout=serve_log, stderr=subprocess.STDOUT, text=True)
        try:
            draft = fetch(page_url, lambda page: "This is a draft" in page, server, tmp_path / "serve.log")
            assert "Checkout errors after deploy" in draft and "still says TODO" in draft  # what is left to do
            text = path.read_text(encoding="utf-8")
            for old, filled in FILLED.items():
                assert old in text, old
                text = text.replace(old, filled)
            path.write_text(text, encoding="utf-8")
            run(pmkb, "validate", path, cwd=kb, env=env)
            page = fetch(page_url, lambda page: "Add a canary stage to the deploy" in page, server,
                         tmp_path / "serve.log")
            assert "This is a draft" not in page and "still says TODO" not in page
        finally:
            server.terminate()
            server.wait(timeout=30)
    run("git", "add", "-A", cwd=kb, env=env)
    run("git", "commit", "-q", "-m", "Checkout errors after deploy", cwd=kb, env=env)
    built = run(pmkb, "build", cwd=kb, env=env)
    assert "Built 2 postmortems" in built.stdout
    home = (kb / "site" / "index.html").read_text(encoding="utf-8")
    assert "Checkout errors after deploy" in home and "built without its postmortems" not in home

    # Search, similar, stats, export.
    found = run(pmkb, "search", "canary", "--format", "json", cwd=kb, env=env)
    assert [r["id"] for r in json.loads(found.stdout)["results"]] == [pm_id]
    similar = run(pmkb, "similar", "checkout returned 502 errors after a deploy", cwd=kb, env=env)
    assert pm_id in similar.stdout
    stats = run(pmkb, "stats", cwd=kb, env=env)
    assert "2 incidents, from " in stats.stdout, stats.stdout
    export = run(pmkb, "export", cwd=kb, env=env)
    urls = {r["id"]: r["url"] for r in json.loads(export.stdout)["postmortems"]}
    assert urls[pm_id] == f"incidents/{pm_id}.html" and (kb / "site" / urls[pm_id]).is_file()
    assert not (kb / ".pmkb").exists()
