"""``pmkb search`` and ``pmkb index``: thin click commands over :mod:`postmortem_kb.search`."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
import sys
from pathlib import Path

import click

from .cli import Context, pass_ctx
from .search import Filters, IndexFolderError, KBIndex, QueryError, UpdateReport, search as run_search

FACET_LABELS = {"severity": "severity", "root_causes": "root cause", "components": "component",
                "actions": "action", "status": "status", "year": "year"}
FACETS_SHOWN = 6  # values per facet in text output


def default_index_dir(obj: Context) -> Path:
    return obj.root / ".pmkb" / "index"


def _partial_date(value: str | None, end: bool, option: str) -> dt.date | None:
    """YYYY, YYYY-MM or YYYY-MM-DD; as an end, a year or month means its last day."""
    if value is None:
        return None
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", value.strip())
    try:
        if not m:
            raise ValueError
        year, month, day = int(m[1]), int(m[2] or (12 if end else 1)), m[3]
        if day is None:
            day = calendar.monthrange(year, month)[1] if end else 1
        return dt.date(year, month, int(day))
    except ValueError:
        raise click.BadParameter(f"`{value}` is not a date; write YYYY-MM-DD, YYYY-MM or YYYY",
                                 param_hint=option) from None


def _index_option(func):
    return click.option("--index-dir", type=click.Path(file_okay=False, path_type=Path),
                        help="Where the search index lives. Default: .pmkb/index under the KB root.")(func)


def open_index(obj: Context, index_dir: Path | None, rebuild: bool = False) -> tuple[KBIndex, UpdateReport]:
    if not obj.config.postmortems_path.is_dir():
        raise click.ClickException(f"no postmortems folder at {obj.config.postmortems_path} "
                                   "(hint: run pmkb inside a KB, or point --kb at its root)")
    index = KBIndex(index_dir or default_index_dir(obj), obj.config)
    try:
        report = index.rebuild() if rebuild else index.open()
    except IndexFolderError as exc:
        raise click.ClickException(str(exc)) from None
    return index, report


def describe_update(report: UpdateReport) -> str:
    """One line on what the refresh did; empty when nothing changed."""
    parts = []
    if report.rebuilt:
        parts.append(f"index rebuilt ({report.reason}): {len(report.added)} postmortem(s)")
    else:
        for label, items in (("added", report.added), ("changed", report.changed), ("deleted", report.deleted)):
            if items:
                parts.append(f"{len(items)} {label}")
        if parts:
            parts[0] = "index updated: " + parts[0]
    if report.rejected:
        parts.append(f"{len(report.rejected)} file(s) with errors left out (run `pmkb validate`)")
    if report.skipped:
        parts.append(report.skipped)
    return "; ".join(parts)


def _render_snippet(pieces: list[tuple[str, bool]], bold: bool) -> str:
    if bold:
        return "".join(click.style(t, bold=True) if hit else t for t, hit in pieces)
    return "".join(f">>{t}<<" if hit else t for t, hit in pieces)


@click.command()
@click.argument("query", nargs=-1)
@click.option("--root-cause", "root_causes", multiple=True, metavar="TERM",
              help="Only incidents with this root cause (a taxonomy key or alias). Repeat for any of several.")
@click.option("--component", "components", multiple=True, metavar="TERM", help="Only incidents in this component.")
@click.option("--action", "actions", multiple=True, metavar="TERM", help="Only incidents with this action category.")
@click.option("--severity", "severities", multiple=True, metavar="SEV", help="Only incidents of this severity.")
@click.option("--status", "statuses", multiple=True, type=click.Choice(["draft", "in-review", "published"]),
              help="Only postmortems in this status.")
@click.option("--tag", "tags", multiple=True, help="Only incidents with this tag.")
@click.option("--since", metavar="DATE", help="Incidents on or after DATE (YYYY-MM-DD, YYYY-MM or YYYY).")
@click.option("--until", metavar="DATE", help="Incidents on or before DATE (a year or month means its end).")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(min=1), help="How many results.")
@click.option("--sort", type=click.Choice(["relevance", "newest"]), default="relevance", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_index_option
@pass_ctx
def search(obj: Context, query: tuple[str, ...], root_causes, components, actions, severities, statuses, tags,
           since, until, limit: int, sort: str, fmt: str, index_dir: Path | None) -> None:
    """Find postmortems by words and facets.

    QUERY uses whoosh syntax with incident field names, for example

        pmkb search 'component:postgres severity:SEV1 date:[2023 to 2024] "connection pool"'

    Words are looked for in titles (which count most), bodies and facet names; AND, OR,
    NOT, "phrases", prefix* and field:value work. The index is brought up to date first:
    only postmortems that changed are read again. See docs/search.md.
    """
    filters = Filters(root_causes=root_causes, components=components, actions=actions, severities=severities,
                      statuses=statuses, tags=tags, since=_partial_date(since, False, "--since"),
                      until=_partial_date(until, True, "--until"))
    index, report = open_index(obj, index_dir)
    with index:
        note = describe_update(report)
        if note:
            click.echo(f"pmkb: {note}", err=True)
        try:
            results = run_search(index, " ".join(query), filters, limit=limit, sort=sort)
        except QueryError as exc:
            raise click.UsageError(f"{exc.message}" + (f" (hint: {exc.hint})" if exc.hint else "")) from None
    if fmt == "json":
        click.echo(json.dumps(results.to_dict(), indent=2, ensure_ascii=False))
        return
    if not results.total:
        click.echo("No postmortem matches.", err=True)
        return
    bold = sys.stdout.isatty()
    for rank, hit in enumerate(results.hits, 1):
        title = click.style(hit.title, bold=True) if bold else hit.title
        click.echo(f"{rank:>2}. {hit.severity} {hit.date.isoformat()}  {title}")
        facts = [hit.id]
        if hit.root_causes:
            facts.append("root cause: " + ", ".join(hit.root_causes))
        if hit.components:
            facts.append("component: " + ", ".join(hit.components))
        if hit.status != "published":
            facts.append(hit.status)
        click.echo("    " + " · ".join(facts))
        if hit.snippet:
            click.echo("    " + _render_snippet(hit.snippet, bold))
        click.echo(f"    {hit.source}")
    shown = len(results.hits)
    click.echo(f"\n{results.total} postmortem(s) match" + (f", {shown} shown" if shown < results.total else ""))
    for name, label in FACET_LABELS.items():
        counts = results.facets.get(name) or {}
        if counts:
            top = list(counts.items())[:FACETS_SHOWN]
            more = f" +{len(counts) - len(top)} more" if len(counts) > len(top) else ""
            click.echo(f"  {label}: " + ", ".join(f"{k} {n}" for k, n in top) + more)


@click.command("index")
@click.option("--rebuild", is_flag=True, help="Throw the index away and build it again from every postmortem.")
@_index_option
@pass_ctx
def index_command(obj: Context, rebuild: bool, index_dir: Path | None) -> None:
    """Bring the search index up to date (pmkb search does this by itself)."""
    index, report = open_index(obj, index_dir, rebuild=rebuild)
    with index:
        click.echo(describe_update(report) or "index up to date")
        click.echo(f"{index.doc_count()} postmortem(s) searchable in {index.index_dir}")
