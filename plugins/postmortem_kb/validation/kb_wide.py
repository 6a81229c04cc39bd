"""KB-wide rules: what one postmortem cannot say about itself.

Ids are unique (they are URLs: the file found first keeps its id, the later one is an error and
the first gets a warning), and every ``related`` id names another postmortem of the KB. The
rules read only ids, so they can also be answered for one file from the KB's ids alone
(:mod:`postmortem_kb.ids`), without loading every postmortem.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from ..model import Postmortem
from ..problems import WARNING, Problem
from ..slugs import is_valid_id


def check_kb(postmortems: list[Postmortem]) -> None:
    """Add the KB-wide problems to the postmortems they are about (in discovery order)."""
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
        pm.problems.extend(related_problems(pm, first))


def related_problems(pm: Postmortem, known: Iterable[str]) -> list[Problem]:
    """``related`` ids that are the postmortem's own or name no postmortem of the KB."""
    ids = known if isinstance(known, (set, frozenset, dict)) else set(known)
    problems = []
    for i, rid in enumerate(pm.related):
        line = pm.line_of("related", i)
        if rid == pm.id:
            problems.append(Problem(pm.source, line, "related-self", "a postmortem lists itself as related",
                                    "remove its own id from `related`"))
        elif rid not in ids:
            close = difflib.get_close_matches(rid, list(ids), n=1)
            problems.append(Problem(pm.source, line, "unknown-related", f"related id `{rid}` does not exist",
                                    f"did you mean `{close[0]}`?" if close else "use the id of an existing postmortem"))
    return problems
