"""The rows of the incident listings, each incident's escaped once per build.

Every listing page (the incident list, the home page, each term page) shows a row per incident
it lists, so one incident's row is drawn on the incident list, its year, its severity and each
of its term pages. Drawn by the ``incident_table`` macro in Jinja, with a macro call per badge
and per term link and every value escaped again each time, those rows were the largest part of
the site's own templates. :class:`IncidentRows` keeps, per incident, the pieces of its row that
do not depend on the page (every value already escaped by
:func:`~postmortem_kb.site.templates.escape_value`, the docs paths of its links) and joins them
for each page with that page's relative links. The HTML is the macro's, byte for byte
(``tests/site/test_site.py`` draws both and compares them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from ..timeline import format_duration
from .templates import escape_value
from .urls import Paths

_TERM_CLASS = {facet: f'<a class="pmkb-term pmkb-term--{escape_value(facet)}" href="'
               for facet in ("root_causes", "components")}
_STATUS = {
    "in-review": '<span class="pmkb-badge pmkb-status pmkb-status--in-review" '
                 'title="This postmortem is still being reviewed">In review</span>',
    "draft": '<span class="pmkb-badge pmkb-status pmkb-status--draft" title="Draft: not published">Draft</span>',
}
TABLE_START = ('<div class="pmkb-incidents pmkb-scroll" tabindex="0" role="region" aria-label="Incidents"><table>\n'
               '<thead><tr><th scope="col">Date</th> <th scope="col">Severity</th> <th scope="col">Incident</th> '
               '<th scope="col">Root causes</th> <th scope="col">Components</th> <th scope="col">Time to resolve</th>'
               '</tr></thead>\n<tbody>\n')
TABLE_END = "</tbody>\n</table></div>"


@dataclass
class _Row:
    """One incident's row, escaped, with the docs paths its links go to."""

    date: str
    severity_class: str
    severity_path: str
    severity: str
    incident_path: str
    title: str
    status: str
    root_causes: list[tuple[str, str, str]]  # (slug, docs path, escaped title)
    components: list[tuple[str, str, str]]
    duration: str


class IncidentRows:
    """The incident table of listing pages, with each incident's row escaped once per build."""

    def __init__(self, paths: Paths):
        self.paths = paths
        self._rows: dict[str, _Row] = {}

    def _row(self, pm: Any, crosslinks: Any) -> _Row:
        row = self._rows.get(pm.id)
        if row is None:
            terms = crosslinks.terms_of(pm)
            paths = self.paths
            severity = str(pm.severity).lower()
            row = _Row(
                date=escape_value(pm.date.isoformat()), severity_class=escape_value(severity),
                severity_path=paths.term("severity", severity), severity=escape_value(pm.severity),
                incident_path=paths.incident(pm.id), title=escape_value(pm.title),
                status=_STATUS.get(pm.status, ""),
                root_causes=[(e.slug, paths.term("root_causes", e.slug), escape_value(e.title))
                             for e in terms["root_causes"]],
                components=[(e.slug, paths.term("components", e.slug), escape_value(e.title))
                            for e in terms["components"]],
                duration=escape_value(format_duration(pm.metrics.time_to_resolve)))
            self._rows[pm.id] = row
        return row

    def table(self, postmortems: Iterable[Any], crosslinks: Any, url: Callable[[str], str],
              skip: tuple[str, str] | None = None) -> Markup:
        """The ``incident_table`` of a page whose links ``url`` makes. ``skip``: (facet, slug) of
        the page's own term, left out of the rows' root causes or components."""
        out = [TABLE_START]
        for pm in postmortems:
            row = self._row(pm, crosslinks)
            out.append(
                f'<tr><td class="pmkb-nowrap">{row.date}</td> <td><a class="pmkb-badge pmkb-sev '
                f'pmkb-sev--{row.severity_class}" href="{url(row.severity_path)}">{row.severity}</a></td> '
                f'<td><a href="{url(row.incident_path)}">{row.title}</a> {row.status}</td> '
                f'<td>{_links(row.root_causes, "root_causes", url, skip)}</td> '
                f'<td>{_links(row.components, "components", url, skip)}</td> '
                f'<td class="pmkb-nowrap" title="From the start to resolved">{row.duration}</td></tr>\n')
        out.append(TABLE_END)
        return Markup("".join(out))


def _links(terms: list[tuple[str, str, str]], facet: str, url: Callable[[str], str],
           skip: tuple[str, str] | None) -> str:
    if skip and skip[0] == facet:
        terms = [t for t in terms if t[0] != skip[1]]
    start = _TERM_CLASS[facet]
    return ", ".join(f'{start}{url(path)}">{title}</a>' for _, path, title in terms)
