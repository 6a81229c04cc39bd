"""postmortem-kb: a static knowledge base of incident postmortems.

The core (model, loader, validation, timeline, taxonomy) knows nothing of MkDocs or click;
``postmortem_kb.mkdocs_plugin`` and ``postmortem_kb.cli`` are thin adapters over it.
"""

from .loader import KBConfig, KnowledgeBase, load_kb
from .model import ActionItem, Metrics, Postmortem
from .problems import Problem
from .timeline import TimelineEvent

__all__ = ["ActionItem", "KBConfig", "KnowledgeBase", "Metrics", "Postmortem", "Problem",
           "TimelineEvent", "load_kb"]
