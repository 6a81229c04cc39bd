"""``pmkb similar``: incidents like a postmortem or a description, scored as the site scores them."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .loader import load_file
from .problems import display_path, format_problems
from .similarity import Relation, SimilarityIndex


@click.command()
@click.argument("query", metavar="PATH_OR_TEXT")
@click.option("--limit", type=click.IntRange(1, 100), default=5, show_default=True,
              help="How many similar incidents (explicitly related ones are always listed).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--drafts", is_flag=True, help="Compare with draft postmortems too.")
@click.pass_obj
def similar(obj, query: str, limit: int, fmt: str, drafts: bool) -> None:
    """Incidents similar to a postmortem (a file or an id) or to a free-text description.

    Uses the same scoring as the "Related incidents" of the site: shared root causes,
    components and corrective actions, and distinctive words; each match says why.

    \b
    pmkb similar postmortems/2024/disk.md
    pmkb similar 2024-03-14-checkout-502
    pmkb similar "web servers returned 500 after a disk failed"
    """
    kb = obj.load()
    index = SimilarityIndex(kb.visible(drafts), kb.taxonomy)
    path = Path(query)
    if path.suffix == ".md" and not path.is_file():
        raise click.BadParameter(f"{query} does not exist", param_hint="PATH_OR_TEXT")
    if path.is_file():
        described, relations = _similar_to_file(obj, kb, index, path, limit)
    elif query in kb.by_id:
        described, relations = f"postmortem {query}", index.related(kb.by_id[query], limit)
    else:
        described, relations = "the description", index.similar_to_text(query, limit)
    if fmt == "json":
        click.echo(json.dumps({"query": query, "results": [r.to_dict() for r in relations]}, indent=2))
        return
    if not relations:
        click.echo(f"No incident is similar to {described}.", err=True)
        return
    for n, relation in enumerate(relations, 1):
        click.echo(_line(n, relation))


def _similar_to_file(obj, kb, index: SimilarityIndex, path: Path, limit: int) -> tuple[str, list[Relation]]:
    resolved = path.resolve()
    known = next((pm for pm in kb.postmortems if pm.path.resolve() == resolved), None)
    if known is None:
        loaded = load_file(path, kb.taxonomy, obj.config)
        if isinstance(loaded, list):  # not readable as a postmortem at all
            raise click.ClickException(f"cannot read {display_path(path, obj.root)} as a postmortem:\n"
                                       + format_problems(loaded))
        errors = [p for p in loaded.problems if p.is_error]
        if errors:
            click.echo(f"note: {display_path(path, obj.root)} has {len(errors)} error(s); "
                       "compared as far as it could be read (see `pmkb validate`)", err=True)
        known = loaded
    return known.source, index.related(known, limit)


def _line(n: int, relation: Relation) -> str:
    pm = relation.postmortem
    head = f"{n:>2}. {pm.id}  {pm.severity}  {pm.date.isoformat()}  {pm.title}"
    why = "; ".join(relation.reasons) or "related"
    return f"{head}\n    score {relation.score:.2f}: {why}"
