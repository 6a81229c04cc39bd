"""Writing a postmortem back to the KB file format: YAML front matter, then the body.

The front matter is dumped with PyYAML's safe dumper in one stable key order, so that
files written by the import (or any tool) look alike and diff well, and so that
reading a file, writing it and reading it again gives the same postmortem.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .files import atomic_write
from .model import TIME_FIELDS

FIELD_ORDER = ("id", "title", "date", "date_approximate", "severity", "status", "authors", "components", "root_causes",
               "trigger", "detection", "impact", "tags", "related", "timezone", *TIME_FIELDS,
               "action_items")
ACTION_ITEM_ORDER = ("title", "type", "action", "owner", "status", "due", "ticket")


class _Dumper(yaml.SafeDumper):
    """Safe dumper that writes multi-line text as a literal block and never uses aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # A literal block keeps long text readable; PyYAML falls back to quoting by itself
    # when the text cannot be a block (trailing spaces, control characters).
    style = "|" if "\n" in value.strip("\n") else None
    if any(ch in value for ch in "\x85\u2028\u2029"):
        style = '"'  # YAML line breaks that a plain or single-quoted scalar would fold into spaces
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_list(dumper: yaml.SafeDumper, value: list) -> yaml.Node:
    # Short lists of words read best on one line, as writers type them: `tags: [dns, cache]`.
    flat = all(isinstance(v, (str, int, float, dt.date)) and "\n" not in str(v) for v in value)
    flow = flat and sum(len(str(v)) + 2 for v in value) <= 80
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(list, _represent_list)


def _ordered(mapping: Mapping[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    out = {key: mapping[key] for key in order if key in mapping}
    out.update((key, value) for key, value in mapping.items() if key not in out)
    return out


def ordered_front_matter(front_matter: Mapping[str, Any]) -> dict[str, Any]:
    """The front matter in the KB's key order; keys it does not know keep their order, at the end."""
    out = _ordered(front_matter, FIELD_ORDER)
    items = out.get("action_items")
    if isinstance(items, list):
        out["action_items"] = [_ordered(i, ACTION_ITEM_ORDER) if isinstance(i, Mapping) else i
                               for i in items]
    return out


def dump_front_matter(front_matter: Mapping[str, Any]) -> str:
    """YAML text of the front matter (without the ``---`` fences); dates stay YAML dates."""
    return yaml.dump(ordered_front_matter(front_matter), Dumper=_Dumper, sort_keys=False,
                     allow_unicode=True, default_flow_style=False, width=100)


def render_postmortem(front_matter: Mapping[str, Any], body: str) -> str:
    """The text of a postmortem file: ``---``, the front matter, ``---``, then the body as given."""
    return f"---\n{dump_front_matter(front_matter)}---\n{body}"


def write_postmortem(path: Path, front_matter: Mapping[str, Any], body: str, *,
                     overwrite: bool = False) -> Path:
    """Write a postmortem file; refuses to replace an existing file unless ``overwrite``.

    Raises FileExistsError when the file exists and ``overwrite`` is false.
    """
    text = render_postmortem(front_matter, body)
    path.parent.mkdir(parents=True, exist_ok=True)
    # One step either way: an interrupted write never leaves half a postmortem behind.
    return atomic_write(path, text, exclusive=not overwrite)
