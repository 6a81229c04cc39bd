"""``pmkb import``: a thin click command over :mod:`postmortem_kb.importer`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ._common import EXIT_OK, EXIT_PROBLEMS, Context, clean, examples, kb_options, pass_ctx, plural

# The input kinds the importer knows (checked against importer.KINDS by a test), listed here so that
# `pmkb --help` does not import the importer.
KINDS = ("text", "markdown", "frontmatter")


@click.command("import", epilog=examples("pmkb import old-postmortems/", "pmkb import notes.txt --dry-run",
                                         "pmkb import exported/ --severity SEV3 --report json > report.json"))
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the postmortems into. Default: the KB's postmortems/ folder.")
@click.option("--format", "kind", type=click.Choice(["auto", *KINDS]), default="auto", show_default=True,
              help="Input kind; auto detects it from each file's content.")
@click.option("--report", "report_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="json: the report as JSON on stdout.")
@click.option("--dry-run", is_flag=True, help="Import and report, but write nothing.")
@click.option("--force", is_flag=True, help="Replace postmortems that already exist.")
@click.option("--split", is_flag=True,
              help="One postmortem per outage when a document describes several.")
@click.option("--severity", default=None,
              help="Severity for documents that state none (reported as inferred). Default: left as TODO.")
@kb_options
@pass_ctx
def import_command(obj: Context, sources: tuple[Path, ...], out: Path | None, kind: str, report_format: str,
                   dry_run: bool, force: bool, split: bool, severity: str | None) -> None:
    """Import existing postmortems (plain text, Markdown, other tools' front matter) into the KB.

    SOURCES are files or folders of text files (.md, .markdown, .txt, .text, .qmd, .rst, or no
    extension). Each
    document becomes one postmortem; what it does not say is left as TODO for
    `pmkb validate` to point at, and the report lists per file what was found, what
    was inferred and from what, and what is missing. Exit 1 when a file could not be
    imported (unreadable, or already in the KB without --force).
    """
    from ..importer import format_report, reports_json, summary_table
    from ..importer import run as run_module
    from ..importer.run import ImportOptions, SourceNotFound, find_sources, import_files

    taxonomy = obj.taxonomy()
    if severity is not None and severity not in taxonomy.severity_ids:
        raise click.BadParameter(f"use one of {', '.join(taxonomy.severity_ids)}", param_hint="--severity")
    try:
        files = find_sources(sources)
    except SourceNotFound as exc:
        raise click.BadParameter(clean(exc), param_hint="SOURCES") from None
    if not files:
        skipped = getattr(files, "skipped", [])
        for path, reason in skipped:
            click.echo(f"skipped {clean(path)}: {clean(reason)}", err=True)
        suffixes = ", ".join(getattr(run_module, "SOURCE_SUFFIXES", (".md", ".markdown", ".txt", ".text")))
        raise click.UsageError(f"no file to import in the given SOURCES (text files: {suffixes} or no extension)"
                               if skipped else f"no text files ({suffixes}) in the given SOURCES")
    fields: dict[str, Any] = {"out": out if out is not None else obj.config.postmortems_path,
              "kind": None if kind == "auto" else kind, "dry_run": dry_run, "force": force, "severity": severity}
    if split:  # the importer's option, when it has it
        if "split" not in getattr(ImportOptions, "__dataclass_fields__", {}):
            raise click.UsageError("--split is not available in this version of the importer")
        fields["split"] = True
    options = ImportOptions(**fields)
    with click.progressbar(length=len(files), label=f"Importing {plural(len(files), 'file')}", file=sys.stderr,
                           show_pos=True) as bar:
        run = import_files(files, options, taxonomy, obj.config, progress=lambda _path: bar.update(1))
    table = summary_table(run.reports)
    if report_format == "json":
        click.echo(reports_json(run.reports))
        click.echo(table, err=True)
    else:
        for report in run.reports:
            click.echo(format_report(report))
        click.echo()
        click.echo(table)
    if dry_run:
        click.echo("dry run: nothing was written", err=True)
    elif any(r.result == "written" for r in run.reports):
        click.echo("next: fill in the TODOs, then run `pmkb validate`", err=True)
    sys.exit(EXIT_PROBLEMS if run.failed else EXIT_OK)
