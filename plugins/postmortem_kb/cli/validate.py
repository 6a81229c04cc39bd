"""``pmkb validate``: check postmortems against the schema, the taxonomy and each other."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ._common import EXIT_OK, EXIT_PROBLEMS, Context, examples, kb_options, pass_ctx, plural


@click.command(epilog=examples("pmkb validate", "pmkb validate postmortems/2025/2025-03-14-checkout-502.md",
                               "pmkb validate --format github --strict"))
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text",
              show_default=True, help="github: workflow annotations on the pull request.")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@kb_options
@pass_ctx
def validate(obj: Context, paths: tuple[Path, ...], fmt: str, strict: bool) -> None:
    """Check postmortems: schema, dates, timeline, ids, taxonomy terms, sections.

    With PATHS (files or folders), report only on those, with the same problems as a check of
    the whole KB: each file's own rules, and, across the KB, a unique id and `related` ids
    that exist. For those two the other postmortems are not loaded: their ids are read
    (cached outside the repository), and only files sharing an id with these, or named in
    their `related`, are loaded. A changed taxonomy.yml or mkdocs.yml among PATHS checks
    every postmortem. Exit 1 when there are errors (or warnings with --strict), 0 otherwise.
    """
    from ..problems import display_path, format_problems

    root = obj.root
    files: list[Path] = []
    whole_kb = not paths
    for p in paths:
        if not p.exists():
            raise click.BadParameter(f"{p} does not exist", param_hint="PATHS")
        if p.is_dir():
            files.extend(sorted(p.rglob("*.md")))
        elif p.suffix == ".md":
            files.append(p)
        else:  # the taxonomy or the site configuration: every postmortem depends on it
            whole_kb = True
    if whole_kb:
        kb = obj.load()
        problems = kb.problems
    else:
        from ..loader import load_files

        kb = load_files(obj.config, [f for f in files if f.is_file()])
        wanted = {display_path(f, root) for f in files}
        taxonomy = display_path(obj.config.taxonomy_path, root)
        problems = [p for p in kb.problems if p.path in wanted or p.path == taxonomy]
    errors = [p for p in problems if p.is_error]
    failing = problems if strict else errors
    if fmt == "json":
        click.echo(format_problems(problems, "json"))
    elif problems:
        click.echo(format_problems(problems, fmt))
    checked = len(kb.postmortems) + len(kb.rejected) if whole_kb else len(files)
    if fmt != "json":
        warnings = len(problems) - len(errors)
        counts = f"{plural(len(errors), 'error')}, {plural(warnings, 'warning')}"
        click.echo(f"{plural(checked, 'postmortem')} checked: {counts}", err=True)
    sys.exit(EXIT_PROBLEMS if failing else EXIT_OK)
