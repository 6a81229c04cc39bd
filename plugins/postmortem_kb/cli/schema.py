"""``pmkb schema``: the JSON Schema of the front matter, for editors."""

from __future__ import annotations

import click

from ._common import Context, examples, kb_options, pass_ctx


@click.command(epilog=examples("pmkb schema > postmortem.schema.json"))
@kb_options
@pass_ctx
def schema(obj: Context) -> None:
    """Print the JSON Schema of the front matter (with this KB's severity levels), for editors.

    Point your editor's YAML support at the file to get completion and checks while writing.
    """
    import json

    from ..loader import front_matter_schema

    click.echo(json.dumps(front_matter_schema(obj.taxonomy().severity_ids), indent=2))
