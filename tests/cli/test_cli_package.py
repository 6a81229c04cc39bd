"""The CLI's shape: every command has help with examples, every module imports on its own, `pmkb --help`
loads no heavy library, and the package's imports have no cycle."""

from __future__ import annotations

import ast
import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import postmortem_kb
from postmortem_kb.cli import COMMANDS, cli

PACKAGE_DIR = Path(postmortem_kb.__file__).parent
HEAVY = ("whoosh", "jsonschema", "fastjsonschema", "nh3", "jinja2", "mkdocs", "markdown", "yaml", "feedgen",
         "slugify", "dateutil", "pymdownx", "material")


def all_modules() -> list[str]:
    names = ["postmortem_kb"]
    for info in pkgutil.walk_packages([str(PACKAGE_DIR)], prefix="postmortem_kb."):
        names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help_with_an_example(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert f"Usage: pmkb {name}" in result.output.replace("cli ", "pmkb ")
    assert "Examples:" in result.output and f"pmkb {name}" in result.output.split("Examples:")[1]
    if name != "init":  # the one command that makes a KB rather than runs on one
        assert "--kb" in result.output and "--lenient" in result.output  # global options after the name too


def test_every_command_module_is_listed_and_loads():
    group = cli
    ctx = click.Context(group)
    assert group.list_commands(ctx) == list(COMMANDS)
    for name in COMMANDS:
        command = group.get_command(ctx, name)
        assert isinstance(command, click.Command) and command.name == name
    modules = {p.stem for p in (PACKAGE_DIR / "cli").glob("*.py") if not p.stem.startswith("_")}
    assert modules == {target.split(":")[0] for target in COMMANDS.values()}, "one module per command"


@pytest.mark.parametrize("module", all_modules())
def test_every_module_imports_on_its_own(module):
    proc = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_pmkb_help_loads_no_heavy_library():
    code = ("import sys, json\n"
            "from postmortem_kb.cli import cli\n"
            "try:\n    cli.main(['--help'], prog_name='pmkb')\nexcept SystemExit:\n    pass\n"
            "print(json.dumps(sorted(sys.modules)), file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "Commands:" in proc.stdout
    loaded = set(json.loads(proc.stderr.strip().splitlines()[-1]))
    assert "click" in loaded
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}


def _top_level_imports(path: Path, module: str, is_package: bool, known: set[str]) -> set[str]:
    """Modules of postmortem_kb that ``path`` imports when it is imported (not inside functions,
    not under ``if TYPE_CHECKING``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If):
                test = ast.unparse(node.test)
                if "TYPE_CHECKING" not in test:
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, (ast.Try, ast.With)):
                visit(node.body)
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[:len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                submodules = {f"{target}.{alias.name}" for alias in node.names} & known
                found.update(submodules)
                # `from . import sibling` imports the sibling only; `from .x import name` imports x.
                if node.module or len(submodules) < len(node.names):
                    found.add(target)

    visit(tree.body)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = {}
    for name in all_modules():
        rel = name.split(".")[1:]
        init = PACKAGE_DIR.joinpath(*rel, "__init__.py")
        path, is_package = (init, True) if init.is_file() else (PACKAGE_DIR.joinpath(*rel).with_suffix(".py"), False)
        modules[name] = (path, is_package)
    known = set(modules)
    return {name: {t for t in _top_level_imports(path, name, pkg, known) if t in known and t != name}
            for name, (path, pkg) in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := dfs(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := dfs(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_package_has_no_import_cycle():
    graph = import_graph()
    assert "postmortem_kb.cli._common" in graph["postmortem_kb.cli.validate"]  # the graph sees relative imports
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def test_import_kinds_are_the_importers():
    from postmortem_kb.cli import import_
    from postmortem_kb.importer import KINDS

    assert tuple(import_.KINDS) == tuple(KINDS)


# A path into the repository (docs/format.md, plugins/postmortem_kb/...), which an installed user does
# not have; docs/index.md and docs/about.md are a KB's own pages, named as such.
REPO_PATH = re.compile(r"\bdocs/(?!index\.md|about\.md)[\w-]+\.md\b|\bplugins/postmortem_kb\b")


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def repo_paths_in_package(package: Path) -> list[str]:
    """Every string the package can show a user (literals outside docstrings, shipped data and
    templates) that names a file of the repository."""
    found = []
    for path in sorted(package.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        where = path.relative_to(package)
        if path.suffix == ".py":
            tree = ast.parse(path.read_text(encoding="utf-8"))
            docs = _docstrings(tree)
            found += [f"{where}:{node.lineno}: {node.value[:80]!r}" for node in ast.walk(tree)
                      if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
                      and REPO_PATH.search(node.value)]
        elif path.suffix in (".j2", ".html", ".js", ".json", ".yml", ".yaml", ".md", ".txt", ".css"):
            text = path.read_text(encoding="utf-8")
            found += [f"{where}:{text.count(chr(10), 0, m.start()) + 1}: {m.group()}" for m in REPO_PATH.finditer(text)]
    return found


def test_the_scan_for_repository_paths_finds_one(tmp_path):
    (tmp_path / "a.py").write_text('"""See docs/format.md."""\nHINT = "see docs/format.md"\n', encoding="utf-8")
    (tmp_path / "b.j2").write_text("{{ x }} docs/search.md\n", encoding="utf-8")
    (tmp_path / "c.py").write_text('PAGE = "docs/index.md"\n', encoding="utf-8")
    assert repo_paths_in_package(tmp_path) == ["a.py:2: 'see docs/format.md'", "b.j2:1: docs/search.md"]


def test_nothing_shown_to_a_user_names_a_file_of_the_repository():
    """Hints and help point at a command (`pmkb schema`, `pmkb CMD --help`), never at docs/*.md."""
    assert repo_paths_in_package(PACKAGE_DIR) == []
    for name in sorted(COMMANDS):
        shown = CliRunner().invoke(cli, [name, "--help"]).output
        assert not REPO_PATH.search(shown), (name, shown)
