"""``pmkb similar``: incidents like a postmortem or a description, scored as the site scores them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ._common import Context, clean, complete_ids, examples, kb_options, pass_ctx, plural

if TYPE_CHECKING:
    from ..loader import KnowledgeBase
    from ..similarity import Relation, SimilarityIndex


def _existing_file(text: str) -> Path | None:
    """``text`` as a file that exists, or None: a description is not a path, however long."""
    if "\n" in text or "\0" in text:
        return None
    try:
        path = Path(text)
        return path if path.is_file() else None
    except (OSError, ValueError):  # a name longer than the system allows, and the like
        return None


@click.command(epilog=examples("pmkb similar postmortems/2024/disk.md", "pmkb similar 2024-03-14-checkout-502",
                               'pmkb similar "web servers returned 500 after a disk failed"'))
@click.argument("query", metavar="PATH_OR_TEXT", shell_complete=complete_ids)
@click.option("--limit", type=click.IntRange(1, 100), default=5, show_default=True,
              help="How many similar incidents (explicitly related ones are always listed).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--drafts", is_flag=True, help="Compare with draft postmortems too.")
@kb_options
@pass_ctx
def similar(obj: Context, query: str, limit: int, fmt: str, drafts: bool) -> None:
    """Incidents similar to a postmortem (a file or an id) or to a free-text description.

    Uses the same scoring as the "Related incidents" of the site: shared root causes,
    components and corrective actions, and distinctive words; each match says why.
    """
    from ..similarity import SimilarityIndex

    kb = obj.load()
    index = SimilarityIndex(kb.visible(drafts), kb.taxonomy)
    path = _existing_file(query)
    if path is None and query.endswith(".md") and len(query.encode()) < 256 and "\n" not in query:
        raise click.BadParameter(f"{clean(query)} does not exist", param_hint="PATH_OR_TEXT")
    if path is not None:
        described, relations = _similar_to_file(obj, kb, index, path, limit)
    elif query in kb.by_id:
        described, relations = f"postmortem {query}", index.related(kb.by_id[query], limit)
    else:
        described, relations = "the description", index.similar_to_text(query, limit)
    if fmt == "json":
        click.echo(json.dumps({"query": query, "results": [r.to_dict() for r in relations]}, indent=2))
        return
    if not relations:
        click.echo(f"No incident is similar to {clean(described)}.", err=True)
        return
    for n, relation in enumerate(relations, 1):
        click.echo(_line(n, relation))


def _similar_to_file(obj: Context, kb: KnowledgeBase, index: SimilarityIndex, path: Path,
                     limit: int) -> tuple[str, list[Relation]]:
    from ..loader import load_one
    from ..problems import display_path, format_problems

    resolved = path.resolve()
    known = next((pm for pm in kb.postmortems if pm.path.resolve() == resolved), None)
    if known is None:
        result = load_one(path, kb.taxonomy, obj.config)
        loaded = result.postmortem
        if loaded is None:  # not readable as a postmortem at all
            raise click.ClickException(f"cannot read {clean(display_path(path, obj.root))} as a postmortem:\n"
                                       + format_problems(result.problems))
        errors = [p for p in result.all_problems if p.is_error]
        if errors:
            click.echo(f"note: {clean(display_path(path, obj.root))} has {plural(len(errors), 'error')}; "
                       "compared as far as it could be read (see `pmkb validate`)", err=True)
        known = loaded
    return known.source, index.related(known, limit)


def _line(n: int, relation: Relation) -> str:
    pm = relation.postmortem
    head = f"{n:>2}. {clean(pm.id)}  {clean(pm.severity)}  {pm.date.isoformat()}  {clean(pm.title)}"
    why = "; ".join(map(clean, relation.reasons)) or "related"
    return f"{head}\n    score {relation.score:.2f}: {why}"
