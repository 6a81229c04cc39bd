"""`pmkb init --engine zensical`: a KB that CI builds with Zensical, and that says so when Zensical runs alone."""

from __future__ import annotations

import importlib.util
import os
import re
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


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except OSError:
        return 0, ""


def _wait_for(check, seconds: float = 90.0) -> bool:
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.5)
    return False


def test_serve_with_zensical_previews_and_follows_a_new_postmortem(tmp_path: Path) -> None:
    """`pmkb serve` on a KB made for Zensical: the home page is the generated one (not the notice),
    a postmortem written while it runs gets its page, and a half-written one is a warning, not a stop."""
    import signal

    kb = tmp_path / "kb"
    assert run(tmp_path, "postmortem_kb", "init", str(kb), "--engine", "zensical").returncode == 0
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    log = open(tmp_path / "serve.log", "w+", encoding="utf-8")  # noqa: SIM115 - read after the process ends
    proc = subprocess.Popen([sys.executable, "-m", "postmortem_kb", "serve", "-a", f"127.0.0.1:{port}"], cwd=kb,
                            env=ENV, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        assert _wait_for(lambda: _get(url + "index.html")[0] == 200), "the preview never answered"
        home = _get(url + "index.html")[1]
        assert NOTICE not in home and "incidents/" in home
        example = next((kb / "postmortems").rglob("*.md"))
        text = example.read_text(encoding="utf-8")
        new_id = "2025-07-01-second-certificate-expiry"
        written = re.sub(r"(?m)^id: .*$", f"id: {new_id}", text, count=1) if re.search(r"(?m)^id: ", text) else text
        written = re.sub(r"(?m)^title: .*$", "title: The certificate expired again", written, count=1)
        (example.parent / f"{new_id}.md").write_text(written, encoding="utf-8")
        (example.parent / "half-written.md").write_text("---\ntitle: Half\ndate: 2025-13-01\n---\n", encoding="utf-8")
        assert _wait_for(lambda: _get(url + f"incidents/{new_id}.html")[0] == 200), "the new postmortem has no page"
        assert proc.poll() is None, "the preview stopped"
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.seek(0)
        output = log.read()
        log.close()
    assert "half-written.md:3: invalid-date" in output, output
    assert "Traceback" not in output, output
