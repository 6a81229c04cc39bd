"""`pmkb validate` and `pmkb new`, as a writer uses them."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import jsonschema
import yaml

from kit import ROOT, write_postmortem
from postmortem_kb.cli import cli
from postmortem_kb.frontmatter import read_source, to_json_value
from postmortem_kb.loader import front_matter_schema


def run(runner, kb_root, *args):
    return runner.invoke(cli, ["--kb", str(kb_root), *args])


def test_valid_kb_exits_0(runner, kb_root):
    write_postmortem(kb_root, "ok")
    result = run(runner, kb_root, "validate")
    assert result.exit_code == 0, result.output
    assert "1 postmortem checked: 0 errors" in result.output


def test_errors_exit_1_with_path_line_code_hint(runner, kb_root):
    write_postmortem(kb_root, "bad", severity="SEV7")
    result = run(runner, kb_root, "validate")
    assert result.exit_code == 1
    line = result.stdout.strip().splitlines()[0]
    assert line.startswith("postmortems/bad.md:4: invalid-value: `severity` is `SEV7`")
    assert "(hint: " in line


def test_json_and_github_formats(runner, kb_root):
    write_postmortem(kb_root, "bad", date="2024-02-30")
    result = run(runner, kb_root, "validate", "--format", "json")
    assert result.exit_code == 1
    (problem,) = json.loads(result.stdout)
    assert problem["path"] == "postmortems/bad.md" and problem["line"] == 3
    assert problem["code"] == "invalid-date" and problem["severity"] == "error"
    result = run(runner, kb_root, "validate", "--format", "github")
    assert result.stdout.startswith("::error file=postmortems/bad.md,line=3,title=invalid-date::")


def test_paths_limit_the_report_but_check_against_the_kb(runner, kb_root):
    write_postmortem(kb_root, "a", severity="SEV9")
    b = write_postmortem(kb_root, "b")
    b.write_text(b.read_text().replace("timezone:", "related: [a]\ntimezone:"))
    result = run(runner, kb_root, "validate", str(b))
    # b is fine by itself; a's problem is not reported since only b was asked for
    assert result.exit_code == 0, result.output
    result = run(runner, kb_root, "validate", str(kb_root / "postmortems"))
    assert result.exit_code == 1


def test_strict_fails_on_warnings(runner, kb_root):
    path = write_postmortem(kb_root, "w")
    path.write_text(path.read_text() + "\n## Impact\n\n")
    assert run(runner, kb_root, "validate").exit_code == 0
    assert run(runner, kb_root, "validate", "--strict").exit_code == 1


def test_missing_path_is_a_usage_error(runner, kb_root):
    result = run(runner, kb_root, "validate", "nope.md")
    assert result.exit_code == 2 and "does not exist" in result.output


def test_sample_kb_validates():
    result = subprocess.run([sys.executable, "-m", "postmortem_kb", "--kb", str(ROOT), "validate"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_schema_validates_every_sample_postmortem():
    schema = front_matter_schema()
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    files = sorted((ROOT / "postmortems").rglob("*.md"))
    assert files
    for path in files:
        doc = read_source(path.read_bytes(), str(path))
        errors = [e.message for e in validator.iter_errors(to_json_value(doc.front_matter))]
        assert errors == [], path


def test_shipped_schema_is_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(front_matter_schema())


def test_new_writes_a_template_that_validates_once_filled(runner, kb_root):
    result = run(runner, kb_root, "new", "Checkout: 502s after deploy", "--date", "2024-06-01")
    assert result.exit_code == 0, result.output
    path = kb_root / "postmortems" / "2024" / "2024-06-01-checkout-502s-after-deploy.md"
    assert result.stdout.strip() == str(path)
    text = path.read_text()
    fm = yaml.safe_load(text.split("---\n")[1])
    assert fm["title"] == "Checkout: 502s after deploy" and fm["date"] == dt.date(2024, 6, 1)
    for heading in ("Summary", "Impact", "Timeline", "Root cause", "Resolution and recovery",
                    "Corrective and preventive measures", "Lessons learned"):
        assert f"## {heading}\n" in text
    # unfilled: a draft, so what is missing is said as warnings; --strict (and publishing) fails on them
    result = run(runner, kb_root, "validate")
    assert result.exit_code == 0, result.output
    result = run(runner, kb_root, "validate", "--strict")
    assert result.exit_code == 1
    assert {"todo", "empty-section"} <= {l.split(": ")[1] for l in result.stdout.splitlines()}
    # the writer fills in the required fields
    filled = (text.replace("severity: TODO", "severity: SEV2")
                  .replace("root_causes: [TODO]", "root_causes: [deployment]")
                  .replace("  - title: TODO", "  - title: Add a canary stage")
                  .replace('action: ""', "action: add-tests")
                  .replace("TODO\n\n## Impact", "Checkout returned 502 for 12 minutes.\n\n## Impact")
                  .replace("TODO\n\n## Resolution", "A bad build was promoted.\n\n## Resolution")
                  .replace("- 00:00 [start] TODO", "- 10:00 [start] Deploy")
                  .replace("- 00:00 [detected] TODO", "- 10:03 [detected] Alert")
                  .replace("- 00:00 [resolved] TODO", "- 10:12 [resolved] Rolled back"))
    path.write_text(filled)
    result = run(runner, kb_root, "validate")
    assert result.exit_code == 0, result.output


def test_new_refuses_to_overwrite(runner, kb_root):
    assert run(runner, kb_root, "new", "Same title", "--date", "2024-06-01").exit_code == 0
    result = run(runner, kb_root, "new", "Same title", "--date", "2024-06-01")
    assert result.exit_code == 1 and "already exists" in result.output
    # The same title on another day is another incident, with its own id.
    result = run(runner, kb_root, "new", "Same title", "--date", "2025-06-01")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith("2025/2025-06-01-same-title.md")
    result = run(runner, kb_root, "new", "Other title", "--id", "2024-06-01-same-title", "--date", "2025-06-02")
    assert result.exit_code == 1 and "already exists" in result.output


def test_new_rejects_bad_ids(runner, kb_root):
    result = run(runner, kb_root, "new", "x", "--id", "../../etc/passwd")
    assert result.exit_code == 2
    assert not list((kb_root.parent).glob("etc"))


def test_internal_errors_are_one_line(runner, kb_root, monkeypatch):
    import postmortem_kb.loader as loader_module

    def boom(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(loader_module, "load_kb", boom)
    monkeypatch.delenv("PMKB_DEBUG", raising=False)
    result = run(runner, kb_root, "validate")
    assert result.exit_code == 3
    assert "internal error: RuntimeError: kaboom" in result.output and "Traceback" not in result.output


def test_schema_command_uses_the_kb_severities(runner, kb_root):
    (kb_root / "taxonomy.yml").write_text("severities: [P0, P1]\n")
    result = run(runner, kb_root, "schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["properties"]["severity"]["enum"] == ["P0", "P1"]
    jsonschema.Draft202012Validator.check_schema(schema)
