"""postmortem-kb: a static knowledge base of incident postmortems.

The core (model, loader, validation, timeline, taxonomy) knows nothing of MkDocs or click;
``postmortem_kb.mkdocs_plugin`` and ``postmortem_kb.cli`` are thin adapters over it.

The names below are imported on first use (PEP 562), so that ``pmkb --help`` and any
submodule import only what they need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .loader import KBConfig, KnowledgeBase, load_kb
    from .model import ActionItem, Metrics, Postmortem
    from .problems import Problem
    from .timeline import TimelineEvent

_EXPORTS = {
    "KBConfig": "loader", "KnowledgeBase": "loader", "load_kb": "loader",
    "ActionItem": "model", "Metrics": "model", "Postmortem": "model",
    "Problem": "problems", "TimelineEvent": "timeline",
}

__all__ = ["ActionItem", "KBConfig", "KnowledgeBase", "Metrics", "Postmortem", "Problem", "TimelineEvent", "load_kb"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
