"""KB-wide rules: what one postmortem cannot say about itself.

Ids are unique (they are URLs: the file found first keeps its id, the later one is an error and
the first gets a warning), and every ``related`` id names another postmortem of the KB. The
rules read only ids, so they can also be answered for one file from the KB's ids alone
(:mod:`postmortem_kb.ids`), without loading every postmortem.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable

from ..model import Postmortem
from ..problems import WARNING, Problem
from ..slugs import is_valid_id


def check_kb(postmortems: list[Postmortem], suggest: Callable[[], Iterable[str]] | None = None) -> None:
    """Add the KB-wide problems to the postmortems they are about (in discovery order).

    ``suggest`` gives the ids a "did you mean" hint may name (asked only for a hint), when
    ``postmortems`` is not the whole KB; by default the ids of ``postmortems``."""
    first: dict[str, Postmortem] = {}
    for pm in postmortems:
        if not is_valid_id(pm.id):
            continue
        other = first.get(pm.id)
        if other is None:
            first[pm.id] = pm
            continue
        pm.problems.append(Problem(pm.source, pm.line_of("id"), "duplicate-id",
                                   f"id `{pm.id}` is already used by {other.source}",
                                   "give one of them another id (ids are URLs: keep the older one)"))
        other.problems.append(Problem(other.source, other.line_of("id"), "duplicate-id",
                                      f"id `{pm.id}` is also used by {pm.source}",
                                      "give one of them another id", WARNING))
    for pm in postmortems:
        pm.problems.extend(related_problems(pm, first, suggest))


def related_problems(pm: Postmortem, ids: dict[str, Postmortem] | set[str],
                     suggest: Callable[[], Iterable[str]] | None = None) -> list[Problem]:
    """``related`` ids that are the postmortem's own or name no postmortem of the KB (``ids``)."""
    problems = []
    for i, rid in enumerate(pm.related):
        line = pm.line_of("related", i)
        if rid == pm.id:
            problems.append(Problem(pm.source, line, "related-self", "a postmortem lists itself as related",
                                    "remove its own id from `related`"))
        elif rid not in ids:
            names = list(ids) if suggest is None else list(dict.fromkeys(suggest()))
            close = difflib.get_close_matches(rid, names, n=1)
            problems.append(Problem(pm.source, line, "unknown-related", f"related id `{rid}` does not exist",
                                    f"did you mean `{close[0]}`?" if close else "use the id of an existing postmortem"))
    return problems
