"""What every ``pmkb`` command shares: the KB it runs on, exit codes, and safe output.

Private to the CLI. Import only click, the standard library and ``problems`` here: every command module
imports this one, and ``pmkb --help`` loads every command module to list them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..problems import plural  # noqa: F401 - one rule for counts in messages, shared with the core (stdlib only)

if TYPE_CHECKING:
    from ..loader import KBConfig, KnowledgeBase
    from ..taxonomy import Taxonomy

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

# What makes a folder a knowledge base (any one of them).
KB_MARKERS = ("mkdocs.yml", "postmortems")
NOT_A_KB = ("not a knowledge base here (no mkdocs.yml / postmortems/ found from this folder up); "
            "run `pmkb init` or pass --kb")

F = TypeVar("F", bound=Callable[..., Any])


class NotAKnowledgeBase(click.ClickException):
    """The command needs a KB and there is none where it was asked to run; nothing was created."""

    exit_code = EXIT_USAGE


def is_kb_root(folder: Path) -> bool:
    return (folder / "mkdocs.yml").is_file() or (folder / "postmortems").is_dir()


def find_kb_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding mkdocs.yml or postmortems/; None if there is none."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if is_kb_root(folder):
            return folder
    return None


class Context:
    """The KB a command runs on, found lazily so that ``--kb`` may come after the subcommand."""

    def __init__(self, kb_root: Path | None = None, lenient: bool = False):
        self.kb_root = kb_root
        self.lenient = lenient
        self._root: Path | None = None
        self._config: KBConfig | None = None

    @property
    def root(self) -> Path:
        if self._root is None:
            if self.kb_root is not None:
                root = self.kb_root.resolve()
                if not is_kb_root(root):
                    raise NotAKnowledgeBase(f"{clean(str(self.kb_root))} is not a knowledge base (no mkdocs.yml "
                                            "or postmortems/ in it); run `pmkb init` there or pass another --kb")
            else:
                found = find_kb_root(Path.cwd())
                if found is None:
                    raise NotAKnowledgeBase(NOT_A_KB)
                root = found
            self._root = root
        return self._root

    @property
    def config(self) -> KBConfig:
        """The KB as its site configuration describes it (the postmortems plugin's
        ``postmortems_dir`` and ``taxonomy``), so that a command checks what the build publishes;
        a taxonomy the configuration names is required (missing: ``taxonomy-missing``)."""
        if self._config is None:
            from ..loader import KBConfig

            options = site_options(self.root)
            where = {key: value.strip() for key, value in options.items()
                     if key in ("postmortems_dir", "taxonomy") and isinstance(value, str) and value.strip()}
            strict = not self.lenient and options.get("strict_terms") is not False
            self._config = KBConfig(root=self.root, strict_terms=strict,
                                    postmortems_dir=where.get("postmortems_dir", "postmortems"),
                                    taxonomy_file=where.get("taxonomy", "taxonomy.yml"),
                                    taxonomy_required="taxonomy" in where)
        return self._config

    def load(self, paths: list[Path] | None = None) -> KnowledgeBase:
        from ..loader import load_kb

        return load_kb(self.config, paths)

    def taxonomy(self) -> Taxonomy:
        """The KB's taxonomy, or the default one when the KB has no taxonomy.yml (and its
        configuration names none); a problem with it is raised as problems naming the file."""
        from ..problems import display_path
        from ..taxonomy import load_taxonomy

        config = self.config
        path = config.taxonomy_path
        return load_taxonomy(path, required=config.taxonomy_required, shown=display_path(path, config.root))


def site_options(root: Path) -> dict[str, Any]:
    """The postmortems plugin's options in the KB's site configuration (mkdocs.yml or
    properdocs.yml), as written; empty when there is none or it cannot be read."""
    for name in ("mkdocs.yml", "mkdocs.yaml", "properdocs.yml", "properdocs.yaml"):
        if (root / name).is_file():
            from ..engines import plugin_entry, read_config_leniently

            return plugin_entry(read_config_leniently(root / name).get("plugins")) or {}
    return {}


pass_ctx = click.make_pass_decorator(Context, ensure=True)


def _set_kb(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        obj = ctx.ensure_object(Context)
        obj.kb_root, obj._root, obj._config = value, None, None


def _set_lenient(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        obj = ctx.ensure_object(Context)
        obj.lenient, obj._config = True, None


KB_HELP = "The KB root (holding mkdocs.yml and postmortems/). Default: found from the current folder up."
LENIENT_HELP = "Unknown taxonomy terms are warnings, not errors."


def kb_options(func: F) -> F:
    """``--kb`` and ``--lenient``, accepted after the subcommand as well as before it."""
    func = click.option("--lenient", is_flag=True, expose_value=False, callback=_set_lenient,
                        help=LENIENT_HELP)(func)
    func = click.option("--kb", type=click.Path(exists=True, file_okay=False, path_type=Path),
                        expose_value=False, callback=_set_kb, help=KB_HELP)(func)
    return func


# Output. A value from a postmortem may hold anything; printed raw, a newline would start a line of
# its own (a forged `::error file=...::` or `::add-mask::` that GitHub Actions obeys) and `\r` or an
# escape sequence would overwrite the terminal. `clean` makes every value one visible line.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def clean(value: object) -> str:
    """``value`` as text on one line: newlines, control and bidi characters shown as escapes."""
    text = "" if value is None else str(value)
    return _UNSAFE.sub(lambda m: _NAMED.get(m[0]) or f"\\u{ord(m[0]):04x}", text)


def examples(*lines: str) -> str:
    """An "Examples" epilog for a command's help, lines kept as written (click's ``\\b``)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


# Shell completion (click's `shell_complete`): taxonomy terms and postmortem ids of the KB the
# command would run on. It runs on every Tab, so it reads only taxonomy.yml and file names, and
# never fails: no KB or a broken taxonomy just completes nothing.
def _completion_root(ctx: click.Context) -> Path | None:
    given = ctx.params.get("kb") or ctx.find_root().params.get("kb_root")
    if given:
        return Path(given).resolve()
    return find_kb_root(Path.cwd())


def complete_terms(kind: str) -> Callable[[click.Context, click.Parameter, str], list[str]]:
    """Complete the keys and aliases of one taxonomy facet (``root_causes``, ``components``,
    ``actions``) or, with ``severities``, the severity ids."""

    def complete(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[str]:
        root = _completion_root(ctx)
        if root is None:
            return []
        try:
            from ..taxonomy import load_taxonomy

            path = root / _configured(root, "taxonomy", "taxonomy.yml")
            taxonomy = load_taxonomy(path if path.is_file() else None)
            if kind == "severities":
                words = list(taxonomy.severity_ids)
            else:
                words = []
                for key, term in taxonomy.terms[kind].items():
                    words += [key, *getattr(term, "aliases", ())]
        except Exception:  # completion must never print a traceback into the shell
            return []
        return sorted({w for w in words if w.startswith(incomplete)})

    return complete


def complete_ids(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[str]:
    """Complete postmortem ids (their file names) of the KB."""
    root = _completion_root(ctx)
    try:
        folder = root / _configured(root, "postmortems_dir", "postmortems") if root else None
        if folder is None or not folder.is_dir():
            return []
        return sorted({p.stem for p in folder.rglob("*.md") if p.stem.startswith(incomplete)})[:200]
    except (OSError, ValueError):
        return []


def _configured(root: Path, option: str, default: str) -> str:
    """A path option of the postmortems plugin as the KB's site configuration gives it."""
    value = site_options(root).get(option)
    return value.strip() if isinstance(value, str) and value.strip() else default
