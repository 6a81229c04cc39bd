"""What the CLI prints cannot be forged by a value, and the system's refusals are one clear line."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from kit.search_kb import make_kb, postmortem_text, write
from postmortem_kb.cli import cli
from postmortem_kb.cli._common import clean

FORGED = re.compile(r"^\s*(::|\x1b|\r)|[\x00-\x08\x0b-\x1f\x7f]", re.M)


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.mark.parametrize("value, shown", [
    ("plain text · ünïcode", "plain text · ünïcode"),
    ("two\nlines", "two\\nlines"),
    ("back\rover", "back\\rover"),
    ("\x1b[31mred", "\\u001b[31mred"),
    ("tab\there", "tab\\there"),
    ("nel\x85 ls\u2028 bidi\u202e", "nel\\u0085 ls\\u2028 bidi\\u202e"),
    (None, ""),
])
def test_clean_shows_every_control_character_as_an_escape(value, shown):
    assert clean(value) == shown
    assert "\n" not in clean(value) and "\r" not in clean(value)


def hostile_kb(tmp_path: Path) -> Path:
    """A postmortem whose values carry workflow commands after newlines (the YAML allows them)."""
    root = make_kb(tmp_path)
    body = "evicted sessions\n::error file=app.py,line=1::forged\n::add-mask::token\n"
    text = postmortem_text(title="Sessions evicted", summary=body, root_cause_text=body,
                           action_title='"Rotate keys\\n::error file=x::forged"',
                           action_status="open")
    text = text.replace("due: 2030-01-01", "due: 2020-01-01")  # overdue, so stats lists it
    (root / "postmortems" / "evicted.md").write_text(text, encoding="utf-8")
    write(root, "other", title="Another incident", date="2024-02-01")
    return root


@pytest.mark.parametrize("args", [
    ["search", "evicted"],
    ["search", "evicted", "--format", "json"],
    ["similar", "evicted sessions forged"],
    ["stats"],
])
def test_values_never_start_a_line_of_output(tmp_path, args):
    kb = hostile_kb(tmp_path)
    result = CliRunner().invoke(cli, ["--kb", str(kb), *args])
    assert result.exit_code == 0, result.output
    assert "forged" in result.output or args[0] == "similar", result.output  # the value is there, escaped
    if args[0] == "stats":  # the overdue item's title, its newline shown as an escape
        assert "Rotate keys\\n::error file=x::forged" in result.output
    assert not FORGED.search(result.stdout), result.stdout
    assert not FORGED.search(result.stderr), result.stderr


def test_a_full_disk_is_one_line(tmp_path):
    kb = hostile_kb(tmp_path)
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    result = CliRunner().invoke(cli, ["--kb", str(kb), "export", "-o", "/dev/full"])
    assert result.exit_code == 1
    assert "disk is full" in result.output and "internal error" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_an_output_under_a_file_is_one_line(tmp_path):
    kb = hostile_kb(tmp_path)
    (tmp_path / "afile").write_text("x")
    result = CliRunner().invoke(cli, ["--kb", str(kb), "export", "-o", str(tmp_path / "afile" / "out.json")])
    assert result.exit_code == 1 and "internal error" not in result.output
    assert "afile" in result.output and len(result.output.strip().splitlines()) == 1


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_folder_is_one_line(tmp_path):
    kb = hostile_kb(tmp_path)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        result = CliRunner().invoke(cli, ["--kb", str(kb), "export", "-o", str(ro / "out.json")])
    finally:
        ro.chmod(0o755)
    assert result.exit_code == 1 and "internal error" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_symlink_loop_is_never_an_internal_error(tmp_path):
    kb = hostile_kb(tmp_path)
    (kb / "postmortems" / "a").symlink_to("b")
    (kb / "postmortems" / "b").symlink_to("a")
    (kb / "postmortems" / "self").symlink_to(".")
    for args in (["validate"], ["search", "evicted"], ["similar", "evicted"], ["stats"], ["export"]):
        result = CliRunner().invoke(cli, ["--kb", str(kb), *args])
        assert result.exit_code in (0, 1, 2), (args, result.output)
        assert "internal error" not in result.output and "Traceback" not in result.output


def test_a_long_description_is_not_taken_for_a_file_name(tmp_path):
    kb = hostile_kb(tmp_path)
    text = "sessions evicted after a deploy " * 20  # 640 bytes: longer than any file name
    result = CliRunner().invoke(cli, ["--kb", str(kb), "similar", text])
    assert result.exit_code == 0, result.output
    assert "Sessions evicted" in result.output
    result = CliRunner().invoke(cli, ["--kb", str(kb), "similar", "é" * 200 + ".md"])
    assert result.exit_code in (0, 2) and "internal error" not in result.output


def test_build_log_messages_are_one_line_each(capsys):
    from postmortem_kb.cli._logs import engine_logs
    from postmortem_kb.publish import engine_logger

    with engine_logs(verbose=False, quiet=False):
        engine_logger().warning("postmortems/x.md:3: bad value `a\n::error file=y::forged`")
    err = capsys.readouterr().err
    assert err.startswith("WARNING -  postmortems/x.md:3:") and err.count("\n") == 1
    assert not FORGED.search(err)


@pytest.mark.parametrize("count, word, expected", [(0, "error", "0 errors"), (1, "error", "1 error"),
                                                    (2, "postmortem", "2 postmortems"), (1, "file", "1 file")])
def test_plurals(count, word, expected):
    from postmortem_kb.cli._common import plural

    assert plural(count, word) == expected


def test_summaries_say_one_postmortem_not_one_postmortem_s(tmp_path):
    kb = make_kb(tmp_path)
    write(kb, "only", title="Only one", date="2024-01-01")
    result = CliRunner().invoke(cli, ["--kb", str(kb), "validate"])
    assert "1 postmortem checked: 0 errors, 0 warnings" in result.output and "(s)" not in result.output
    result = CliRunner().invoke(cli, ["--kb", str(kb), "search", "only"])
    assert "1 postmortem matches" in result.output and "(s)" not in result.output


@pytest.mark.parametrize("count", [1, 2])
def test_counts_are_written_with_the_right_plural(tmp_path, count):
    root = make_kb(tmp_path)
    for i in range(count):
        write(root, f"disk-{i}", title=f"Disk full {i}", date=f"2024-0{i + 1}-01")
    runner = CliRunner()
    outputs = {}
    for args in (["validate"], ["stats"], ["export", "-o", str(tmp_path / "out.json")], ["index"],
                 ["search", "disk"]):
        result = runner.invoke(cli, ["--kb", str(root), *args])
        assert result.exit_code == 0, (args, result.output)
        assert not re.search(r"\w\((s|es)\)", result.output), (args, result.output)
        outputs[args[0]] = result.output
    word = "incident" if count == 1 else "incidents"
    assert re.search(rf"^{count} {word}, ", outputs["stats"], re.M), outputs["stats"]
    postmortems = "postmortem" if count == 1 else "postmortems"
    assert f"{count} {postmortems} checked" in outputs["validate"]
    assert f"{count} {postmortems} written" in outputs["export"]


def test_a_postmortems_problem_is_shown_at_its_own_severity():
    import logging

    from postmortem_kb.cli._logs import level_name

    def record(level: int, **extra) -> logging.LogRecord:
        rec = logging.LogRecord("mkdocs.plugins.postmortems", level, __file__, 1, "x.md:3: todo: warning: ...",
                                (), None)
        rec.__dict__.update(extra)
        return rec

    assert level_name(record(logging.INFO, pmkb_severity="warning")) == "WARNING"
    assert level_name(record(logging.ERROR, pmkb_severity="error")) == "ERROR"
    assert level_name(record(logging.INFO)) == "INFO"  # the engine's own progress stays as it is
    assert level_name(record(logging.INFO, pmkb_severity=["odd"])) == "INFO"
