"""``pmkb search``: find postmortems by words and facets, over :mod:`postmortem_kb.search`."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
import sys
from pathlib import Path

import click

from ._common import Context, clean, complete_terms, examples, kb_options, pass_ctx, plural
from ._index import describe_update, index_option, open_index

FACET_LABELS = {"severity": "severity", "root_causes": "root cause", "components": "component",
                "actions": "action", "status": "status", "year": "year"}
FACETS_SHOWN = 6  # values per facet in text output


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
        raise click.BadParameter(f"`{clean(value)}` is not a date; write YYYY-MM-DD, YYYY-MM or YYYY",
                                 param_hint=option) from None


def _render_snippet(pieces: list[tuple[str, bool]], bold: bool) -> str:
    if bold:
        return "".join(click.style(clean(t), bold=True) if hit else clean(t) for t, hit in pieces)
    return "".join(f">>{clean(t)}<<" if hit else clean(t) for t, hit in pieces)


@click.command(epilog=examples("pmkb search disk", "pmkb search 'component:postgres connections'",
                               "pmkb search --root-cause capacity --since 2024 --sort newest"))
@click.argument("query", nargs=-1)
@click.option("--root-cause", "root_causes", multiple=True, metavar="TERM",
              shell_complete=complete_terms("root_causes"),
              help="Only incidents with this root cause (a taxonomy key or alias). Repeat for any of several.")
@click.option("--component", "components", multiple=True, metavar="TERM",
              shell_complete=complete_terms("components"), help="Only incidents in this component.")
@click.option("--action", "actions", multiple=True, metavar="TERM",
              shell_complete=complete_terms("actions"), help="Only incidents with this action category.")
@click.option("--severity", "severities", multiple=True, metavar="SEV",
              shell_complete=complete_terms("severities"), help="Only incidents of this severity.")
@click.option("--status", "statuses", multiple=True, type=click.Choice(["draft", "in-review", "published"]),
              help="Only postmortems in this status.")
@click.option("--tag", "tags", multiple=True, help="Only incidents with this tag.")
@click.option("--since", metavar="DATE", help="Incidents on or after DATE (YYYY-MM-DD, YYYY-MM or YYYY).")
@click.option("--until", metavar="DATE", help="Incidents on or before DATE (a year or month means its end).")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(min=1), help="How many results.")
@click.option("--sort", type=click.Choice(["relevance", "newest"]), default="relevance", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@index_option
@kb_options
@pass_ctx
def search(obj: Context, query: tuple[str, ...], root_causes: tuple[str, ...], components: tuple[str, ...],
           actions: tuple[str, ...], severities: tuple[str, ...], statuses: tuple[str, ...], tags: tuple[str, ...],
           since: str | None, until: str | None, limit: int, sort: str, fmt: str, index_dir: Path | None) -> None:
    """Find postmortems by words and facets.

    QUERY uses whoosh syntax with incident field names, for example

        pmkb search 'component:postgres severity:SEV1 date:[2024 to 2025] "transaction id"'

    Words are looked for in titles (which count most), bodies and facet names; AND, OR,
    NOT, "phrases", prefix* and field:value work. The index is brought up to date first:
    only postmortems that changed are read again.
    """
    from ..search import Filters, QueryError
    from ..search import search as run_search

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
            raise click.UsageError(clean(exc.message) + (f" (hint: {clean(exc.hint)})" if exc.hint else "")) from None
    if fmt == "json":
        click.echo(json.dumps(results.to_dict(), indent=2, ensure_ascii=False))
        return
    if not results.total:
        click.echo("No postmortem matches.", err=True)
        return
    bold = sys.stdout.isatty()
    for rank, hit in enumerate(results.hits, 1):
        title = click.style(clean(hit.title), bold=True) if bold else clean(hit.title)
        click.echo(f"{rank:>2}. {clean(hit.severity)} {hit.date.isoformat()}  {title}")
        facts = [clean(hit.id)]
        if hit.root_causes:
            facts.append("root cause: " + ", ".join(map(clean, hit.root_causes)))
        if hit.components:
            facts.append("component: " + ", ".join(map(clean, hit.components)))
        if hit.status != "published":
            facts.append(clean(hit.status))
        click.echo("    " + " · ".join(facts))
        if hit.snippet:
            click.echo("    " + _render_snippet(hit.snippet, bold))
        click.echo(f"    {clean(hit.source)}")
    shown = len(results.hits)
    verb = "matches" if results.total == 1 else "match"
    more = f", {shown} shown" if shown < results.total else ""
    click.echo(f"\n{plural(results.total, 'postmortem')} {verb}{more}")
    for name, label in FACET_LABELS.items():
        counts = results.facets.get(name) or {}
        if counts:
            top = list(counts.items())[:FACETS_SHOWN]
            more = f" +{len(counts) - len(top)} more" if len(counts) > len(top) else ""
            click.echo(f"  {label}: " + ", ".join(f"{clean(k)} {n}" for k, n in top) + more)
