"""The registry of problem codes is the one list: every code the package reports is in it,
and docs/format.md's "Error codes" table documents exactly its codes."""

from __future__ import annotations

import ast
import re

from kit import ROOT
from postmortem_kb.codes import CODES, ERROR, WARNING

PACKAGE = ROOT / "plugins" / "postmortem_kb"
# Calls that take a problem code, and the position of the code among their arguments.
_CODE_ARG = {"Problem": 2, "_fail": 2, "add": 1, "problem": 2, "fail": 2}


def _results(node: ast.AST) -> list[ast.Constant]:
    """The constants an expression can evaluate to (both arms of `a if test else b`, not the test)."""
    if isinstance(node, ast.Constant):
        return [node]
    if isinstance(node, ast.IfExp):
        return _results(node.body) + _results(node.orelse)
    return []


def _codes_in_source() -> dict[str, str]:
    """code -> where it is used, for every literal code passed to a problem-making call."""
    found: dict[str, str] = {}
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            values: list[ast.AST] = []
            if isinstance(node, ast.Call):
                name = node.func.id if isinstance(node.func, ast.Name) else (
                    node.func.attr if isinstance(node.func, ast.Attribute) else "")
                pos = _CODE_ARG.get(name)
                if pos is not None and len(node.args) > pos:
                    values.append(node.args[pos])
                values += [k.value for k in node.keywords if k.arg == "code"]
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "code"
                                                      for t in node.targets):
                values.append(node.value)
            for const in (c for v in values for c in _results(v)):
                if isinstance(const.value, str) and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", const.value):
                    found.setdefault(const.value, f"{path.relative_to(ROOT)}:{const.lineno}")
    return found


def _documented_codes() -> set[str]:
    text = (ROOT / "docs" / "format.md").read_text("utf-8")
    section = text.split("\n## Error codes", 1)[1].split("\n## ", 1)[0]
    codes: set[str] = set()
    for line in section.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            first = line.split("|")[1]
            codes.update(re.findall(r"`([a-z0-9-]+)`", first))
    return codes


def test_every_code_used_in_the_package_is_registered():
    used = _codes_in_source()
    assert len(used) >= 30  # the scan finds the codes (it would find none if the call names drifted)
    unregistered = {code: where for code, where in used.items() if code not in CODES}
    assert not unregistered, f"register these in postmortem_kb/codes.py: {unregistered}"


def test_docs_document_exactly_the_registry():
    documented = _documented_codes()
    assert documented - set(CODES) == set(), "documented but not registered"
    assert set(CODES) - documented == set(), "registered but not in docs/format.md's Error codes table"


def test_each_code_has_a_severity_a_hint_and_a_meaning():
    for code in CODES.values():
        assert code.severity in (ERROR, WARNING), code
        assert code.hint.strip() and code.meaning.strip(), code
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", code.code), code
