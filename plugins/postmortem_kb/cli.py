"""The ``pmkb`` command: thin click commands over the core modules."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click

from .loader import KBConfig, KnowledgeBase, load_kb
from .problems import PostmortemError, format_problems
from .taxonomy import load_taxonomy

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def find_kb_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding taxonomy.yml, mkdocs.yml or postmortems/."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "taxonomy.yml").is_file() or (folder / "postmortems").is_dir() or \
                (folder / "mkdocs.yml").is_file():
            return folder
    return start


class Context:
    def __init__(self, kb_root: Path | None, lenient: bool):
        self.root = kb_root or find_kb_root(Path.cwd())
        self.config = KBConfig(root=self.root, strict_terms=not lenient)
        self._kb: KnowledgeBase | None = None

    def load(self, paths=None) -> KnowledgeBase:
        return load_kb(self.config, paths)


pass_ctx = click.make_pass_decorator(Context)


class Group(click.Group):
    """Turns any unexpected exception into one line and exit code 3, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except PostmortemError as exc:
            click.echo(format_problems(exc.problems), err=True)
            sys.exit(EXIT_PROBLEMS)
        except KeyboardInterrupt:
            click.echo("pmkb: interrupted", err=True)
            sys.exit(130)
        except Exception as exc:  # noqa: BLE001 - the one place that must catch everything
            if os.environ.get("PMKB_DEBUG"):
                raise
            click.echo(f"pmkb: internal error: {type(exc).__name__}: {exc} "
                       "(set PMKB_DEBUG=1 for the traceback, and please report it)", err=True)
            sys.exit(EXIT_INTERNAL)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--kb", "kb_root", type=click.Path(file_okay=False, path_type=Path),
              help="The KB root (holding postmortems/ and taxonomy.yml). Default: found from the current folder.")
@click.option("--lenient", is_flag=True, help="Unknown taxonomy terms are warnings, not errors.")
@click.version_option(package_name="postmortem-kb")
@click.pass_context
def cli(ctx: click.Context, kb_root: Path | None, lenient: bool) -> None:
    """Write, check, import and search incident postmortems."""
    ctx.obj = Context(kb_root, lenient)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text",
              show_default=True, help="github: workflow annotations on the pull request.")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@pass_ctx
def validate(obj: Context, paths: tuple[Path, ...], fmt: str, strict: bool) -> None:
    """Check postmortems: schema, dates, timeline, ids, taxonomy terms, sections.

    With PATHS (files or folders), report only on those, checked against the whole KB.
    Exit 1 when there are errors (or warnings with --strict), 0 otherwise.
    """
    files = []
    for p in paths:
        if not p.exists():
            raise click.BadParameter(f"{p} does not exist", param_hint="PATHS")
        files.extend(sorted(p.rglob("*.md")) if p.is_dir() else [p])
    kb = obj.load([f for f in files if f.is_file()] if paths else None)
    problems = kb.problems
    if paths:
        from .problems import display_path
        wanted = {display_path(f, obj.root) for f in files}
        problems = [p for p in problems if p.path in wanted or p.path == "taxonomy.yml"]
    errors = [p for p in problems if p.is_error]
    failing = problems if strict else errors
    if fmt == "json":
        click.echo(format_problems(problems, "json"))
    elif problems:
        click.echo(format_problems(problems, fmt))
    checked = len(files) if paths else len(kb.postmortems) + len(kb.rejected)
    if fmt != "json":
        warnings = len(problems) - len(errors)
        click.echo(f"{checked} postmortem(s) checked: {len(errors)} error(s), {warnings} warning(s)", err=True)
    sys.exit(EXIT_PROBLEMS if failing else EXIT_OK)


@cli.command()
@click.argument("title")
@click.option("--id", "pm_id", help="The id (and file name). Default: made from the title.")
@click.option("--date", "date", type=click.DateTime(formats=["%Y-%m-%d"]), help="Incident date. Default: today.")
@click.option("--timezone", default="+00:00", show_default=True, help="Offset of the timeline's times.")
@click.option("--author", default="", help="Your name.")
@pass_ctx
def new(obj: Context, title: str, pm_id: str | None, date, timezone: str, author: str) -> None:
    """Start a new postmortem from the template (never overwrites a file)."""
    from .scaffold import ScaffoldError, new_postmortem
    from .slugs import is_valid_id

    if pm_id is not None and not is_valid_id(pm_id):
        raise click.BadParameter("ids are lowercase letters, digits and single dashes", param_hint="--id")
    taxonomy = load_taxonomy(obj.config.taxonomy_path if obj.config.taxonomy_path.exists() else None)
    day = date.date() if date else dt.date.today()
    try:
        path = new_postmortem(obj.config, taxonomy, title, date=day, pm_id=pm_id,
                              timezone=timezone, author=author)
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(path)
    click.echo("Fill in severity, root_causes, the sections and the timeline, then run: pmkb validate "
               f"{path}", err=True)


@cli.command()
@pass_ctx
def schema(obj: Context) -> None:
    """Print the JSON Schema of the front matter (with this KB's severity levels), for editors."""
    import json

    from .loader import front_matter_schema

    taxonomy = load_taxonomy(obj.config.taxonomy_path if obj.config.taxonomy_path.exists() else None)
    click.echo(json.dumps(front_matter_schema(taxonomy.severity_ids), indent=2))


# Commands from other modules register here, one line each.
from .cli_import import import_command as _import; cli.add_command(_import)  # noqa: E402,E702
from .cli_publish import init as _init; cli.add_command(_init)  # noqa: E402,E702
from .cli_publish import build as _build; cli.add_command(_build)  # noqa: E402,E702
from .cli_publish import serve as _serve; cli.add_command(_serve)  # noqa: E402,E702
from .cli_search import search as _search; cli.add_command(_search)  # noqa: E402,E702
from .cli_search import index_command as _index; cli.add_command(_index)  # noqa: E402,E702
from .cli_stats import stats as _stats; cli.add_command(_stats)  # noqa: E402,E702
from .cli_stats import export as _export; cli.add_command(_export)  # noqa: E402,E702
from .cli_similar import similar as _similar; cli.add_command(_similar)  # noqa: E402,E702


def main() -> None:
    cli(prog_name="pmkb")

