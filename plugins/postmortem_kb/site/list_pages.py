"""The listing pages drawn in Python: each term's page and the action-item tracker.

``term.md.j2`` is drawn once per term (about 140 pages at 1,000 postmortems) and
``action_items.md.j2`` has a row per action item of the KB (four thousand at 1,000): in Jinja
each value costs a call, an attribute lookup through the environment and the ``finalize``
escaping, and ``groupby``, ``unique`` and ``sort`` run through Jinja's attribute getters. The
functions here give the same Markdown from the same context, byte for byte: every value the
template prints with ``{{ ... }}`` goes through :func:`~postmortem_kb.site.drawing.show`
(``finalize`` and autoescaping as the environment does them), the badges, tickets and the
incident table are the same functions the template calls, and the text between the tags,
with the whitespace ``trim_blocks`` and ``lstrip_blocks`` leave, is written out as it comes
out. ``tests/site/test_list_drawing.py`` renders both and compares them.

:func:`~postmortem_kb.site.templates.python_drawer` uses them only while the site keeps the
shipped templates and macros; a site's own ``term.md.j2`` or ``action_items.md.j2`` is
rendered by Jinja as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from itertools import groupby
from typing import Any

from ..inline import to_html as inline_html
from .drawing import item_status, severity_badge, show, ticket
from .templates import SHIPPED, draws, environment

# How the templates print {{ " · " }} between groups: a value cannot start a line with a
# space, so its first character is a reference (see templates.escape_value).
_DOT = str(show(" · "))
_OVERDUE = ' class="pmkb-overdue"'
_OVERDUE_TEXT = ' <strong class="pmkb-overdue-text">overdue</strong>'
_FLAG_OWNER = '<span class="pmkb-flag">no owner</span>'
_FLAG_DUE = '<span class="pmkb-flag">no due date</span>'


@cache
def _wayfinding() -> str:
    """What ``{{ wayfinding() }}`` of the shipped ``_macros.html.j2`` prints (it takes no values)."""
    return str(environment().get_template("_macros.html.j2").module.wayfinding())  # type: ignore[attr-defined]


@cache
def _template_tail(name: str, after: str) -> str:
    """The text of the shipped template ``name`` after the last ``after``: literal text (a
    script) that Jinja prints as it is, read from the template so that there is one copy."""
    source = (SHIPPED / name).read_text(encoding="utf-8")
    tail = source[source.rindex(after) + len(after):]
    if any(mark in tail for mark in ("{{", "{%", "{#")):
        raise ValueError(f"the end of {name} is not plain text any more: draw it in {__name__}")
    return tail


def _ignore_case(value: Any) -> Any:
    # Jinja's groupby, unique and sort compare strings without case by default.
    return value.lower() if isinstance(value, str) else value


def _groupby(items: Iterable[Any], attribute: str) -> list[tuple[Any, list[Any]]]:
    """Jinja's ``items | groupby(attribute)``: sorted and grouped without case, each group
    named by its first item's value."""

    def key(item: Any) -> Any:
        return _ignore_case(getattr(item, attribute))

    groups = [list(group) for _, group in groupby(sorted(items, key=key), key)]
    return [(getattr(group[0], attribute), group) for group in groups]


def _unique(values: Iterable[Any], key: Callable[[Any], Any] = _ignore_case) -> list[Any]:
    """Jinja's ``unique``: the first of each value (compared without case), in order."""
    seen: set[Any] = set()
    out = []
    for value in values:
        k = key(value)
        if k not in seen:
            seen.add(k)
            out.append(value)
    return out


def _lower(value: Any) -> Any:
    """Jinja's ``lower`` filter (Markup stays Markup)."""
    return (value if isinstance(value, str) else str(value)).lower()


class _Shown(dict):
    """``show`` of the strings a page prints many times (owners, dates, categories), each once."""

    def __missing__(self, value: str) -> str:
        shown = self[value] = str(show(value))
        return shown

    def __call__(self, value: Any) -> str:
        # Only str keys: True and 1 are the same key but print differently.
        return self[value] if type(value) is str else str(show(value))


class _Links(dict):
    """The page's ``url``, each link made once: the rows of a listing link to the same few
    severities and terms again and again (``url`` is a pure function of the path)."""

    def __init__(self, url: Callable[..., Any]):
        super().__init__()
        self.url = url

    def __missing__(self, path: str) -> Any:
        link = self[path] = self.url(path)
        return link

    def __call__(self, path: str, anchor: str = "") -> Any:
        return self.url(path, anchor) if anchor else self[path]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# --- a term's page ---------------------------------------------------------------------------

@draws("term.md.j2")
def term_page(*, page: Any, url: Callable[..., Any], paths: Any, incident_rows: Any, facet: str, entry: Any,
              facet_title: Any, today: Any, crosslinks: Any, **context: Any) -> str:
    """``term.md.j2``: what the term is, how often and how badly it struck, what is still
    promised, then every incident with it (or, for an action category, every item in it)."""
    inline = context.get("inline", inline_html)
    url = _Links(url)
    jinja = {"url": url}  # what the badges read from the template's context
    pms = entry.postmortems
    count = entry.count
    out = [f'<nav class="pmkb-crumbs" aria-label="Breadcrumb"><a href="{show(url(paths.facet(facet)))}">'
           f'{show(facet_title)}</a></nav>\n<h1>{show(page.title)}</h1>\n']
    if entry.description:
        out.append(f'<p class="pmkb-lead">{show(entry.description)}</p>\n')
    open_items = [(pm, a) for pm in pms for a in pm.action_items if a.is_open]
    span = f" from {show(pms[-1].date.isoformat())} to {show(pms[0].date.isoformat())}" if pms else ""
    feed = ""
    if facet in ("root_causes", "components"):
        folder = "root-causes" if facet == "root_causes" else "components"
        feed = (f' <a class="pmkb-subscribe" href="{show(url(paths.page(f"feeds/{folder}/{entry.slug}.xml")))}" '
                'type="application/atom+xml">Subscribe to its feed</a> (Atom) to hear of the next one.')
    out.append(f'<div class="pmkb-rollup">\n<p><span class="pmkb-count">{show(count)}</span> '
               f'incident{"" if count == 1 else "s"}{span}.{feed}</p>\n')
    if facet != "severity":
        out.append('<p><span class="pmkb-label">By severity</span> ' + _DOT.join(
            f"{severity_badge(jinja, sev, paths)} {len(group)}" for sev, group in _groupby(pms, "severity"))
            + "</p>\n")
    if facet != "years":
        out.append('<p><span class="pmkb-label">By year</span> ' + _DOT.join(
            f"{show(year)}: {len(group)}" for year, group in _groupby(pms, "year")) + "</p>\n")
    if facet != "actions":
        out.append(_promises(open_items, url, paths, today, inline))
    out.append("</div>\n")
    if facet == "actions":
        out.append(_category_items(entry, url, paths, today, inline, jinja))
    else:
        out.append(f"{incident_rows.table(pms, crosslinks, url, (facet, entry.slug))}\n")
    out.append(f"{_wayfinding()}\n")
    return "".join(out)


def _promises(open_items: list[tuple[Any, Any]], url: Callable[..., Any], paths: Any, today: Any,
              inline: Callable[[Any], Any]) -> str:
    """The open action items of a term's incidents: how many, how many late, the first ten."""
    if not open_items:
        return '<p><span class="pmkb-label">Promises</span> No action item of these incidents is still open.</p>\n'
    late = sum(1 for _, a in open_items if a.is_overdue(today))
    late_text = f', <strong class="pmkb-overdue-text">{late} overdue</strong>' if late else ""
    out = [f'<p><span class="pmkb-label">Promises</span> <a href="{show(url(paths.page("action-items/index.md")))}">'
           f'{_plural(len(open_items), "action item")} still open</a>{late_text}:</p>\n<ul class="pmkb-open-items">\n']
    for pm, a in open_items[:10]:
        if a.due:
            due = f"due {show(a.due.isoformat())}{_OVERDUE_TEXT if a.is_overdue(today) else ''}"
        else:
            due = "no due date"
        out.append(f'<li>{show(inline(a.title))} <span class="pmkb-muted">· {show(a.owner or "no owner")} · {due} · '
                   f'from <a href="{show(url(paths.incident(pm.id)))}">{show(pm.title)}</a></span></li>\n')
    out.append("</ul>\n")
    return "".join(out)


def _category_items(entry: Any, url: Callable[..., Any], paths: Any, today: Any, inline: Callable[[Any], Any],
                    jinja: dict[str, Any]) -> str:
    """An action category's page: each incident's items in that category."""
    out = ['<div class="pmkb-actions"><table>\n<thead><tr><th>Incident</th> <th>Action item</th> <th>Owner</th> '
           '<th>Status</th> <th>Due</th></tr></thead>\n<tbody>\n']
    badges: dict[Any, str] = {}  # by severity: the same badge on many rows
    for pm, items in entry.action_items():
        for i, item in enumerate(items):
            overdue = item.is_overdue(today)
            head = ""
            if i == 0:
                badge = badges.get(pm.severity)
                if badge is None:
                    badge = badges[pm.severity] = str(severity_badge(jinja, pm.severity, paths))
                head = (f'{badge} <a href="{show(url(paths.incident(pm.id)))}">{show(pm.title)}</a> '
                        f'<span class="pmkb-muted pmkb-nowrap">{show(pm.date.isoformat())}</span>')
            due = show(item.due.isoformat()) if item.due else ""
            out.append(f'<tr{_OVERDUE if overdue else ""}><td>{head}</td> <td>{show(inline(item.title))}</td> '
                       f'<td>{show(item.owner or "")}</td> <td>{item_status(item, overdue)}</td> '
                       f'<td class="pmkb-nowrap">{due}</td></tr>\n')
    out.append("</tbody>\n</table></div>\n")
    return "".join(out)


# --- the action-item tracker -----------------------------------------------------------------

_LABELS = {"overdue": "overdue", "open": "open", "in-progress": "in progress", "done": "done", "wont-do": "won't do"}
_TRACKER_TABLE = (
    '<p class="pmkb-empty" hidden>No action item matches these filters. <button type="button" '
    'class="md-button pmkb-clear">Clear filters</button></p>\n'
    '<div class="pmkb-actions pmkb-cards pmkb-tracker pmkb-scroll" tabindex="0" role="region" '
    'aria-label="Action items"><table>\n'
    '<thead><tr><th scope="col">Action item</th> <th scope="col">Owner</th> <th scope="col">Due</th> '
    '<th scope="col" class="pmkb-num">Days late</th> <th scope="col">Status</th> <th scope="col">Incident</th>'
    '</tr></thead>\n<tbody>\n')


@draws("action_items.md.j2")
def action_items_page(*, url: Callable[..., Any], paths: Any, groups: Any, today: Any, owners: Any,
                      categories: Any, category_titles: Any, **context: Any) -> str:
    """``action_items.md.j2``: every action item in one table, overdue first, with the filters'
    choices and the counts."""
    inline = context.get("inline", inline_html)
    rows = [row for group in groups for row in group[2]]
    out = ['<div class="pmkb-tracker-page">\n<h1>Action items</h1>\n<p class="pmkb-lead">Every action item of '
           f'every postmortem, overdue first (as of {show(today.isoformat())}).</p>\n']
    if rows:
        out.append(_filters(groups, owners, categories, rows))
        n = len(rows)
        tally = "".join(f' <span class="pmkb-tally__{show(key)}" data-status="{show(key)}">{len(group)}</span> '
                        f'{show(_LABELS[key])}{"," if i < len(groups) - 1 else "."}'
                        for i, (key, _title, group) in enumerate(groups))
        out.append(f'<p class="pmkb-tally" aria-live="polite"><span class="pmkb-tally__shown">{n}</span> action '
                   f'item{"" if n == 1 else "s"}<span class="pmkb-tally__of" hidden> of {n}</span>:{tally}</p>\n')
        out.append(_TRACKER_TABLE)
        _tracker_rows(out, groups, url, paths, today, category_titles, inline)
        out.append("</tbody>\n</table></div>\n")
    else:
        out.append("<p>No action items yet.</p>\n")
    out.append(_template_tail("action_items.md.j2", "{% endif %}\n"))
    return "".join(out)


def _filters(groups: Any, owners: Any, categories: Any, rows: list[Any]) -> str:
    """The tracker's form: a choice for each status, owner, category, severity and incident shown."""
    statuses = "".join(f'<option value="{show(key)}">{show(title)}</option>' for key, title, group in groups if group)
    people = "".join(f'<option value="{show(key)}">{show(name)}</option>' for key, name, _n in owners)
    kinds = "".join(f'<option value="{show(e.slug)}">{show(e.title)}</option>' for e in categories)
    severities = sorted(_unique(row["pm"].severity for row in rows), key=_ignore_case)
    levels = "".join(f'<option value="{show(_lower(s))}">{show(s)}</option>' for s in severities)
    incidents = _unique((row["pm"] for row in rows), key=lambda pm: _ignore_case(pm.id))
    named = "".join(f'<option value="{show(pm.id)}">{show(pm.date.isoformat())} {show(pm.title)}</option>'
                    for pm in incidents)
    return ('<form class="pmkb-filter" id="pmkb-filter" hidden>\n'
            f'<label>Status <select name="status"><option value="">Any status</option>{statuses}'
            '<option value="unplanned">No owner or no due date</option></select></label>\n'
            f'<label>Owner <select name="owner"><option value="">Everyone</option>{people}</select></label>\n'
            f'<label>Category <select name="category"><option value="">All categories</option>{kinds}'
            '</select></label>\n'
            f'<label>Severity <select name="severity"><option value="">All severities</option>{levels}'
            '</select></label>\n'
            f'<label>Incident <select name="incident"><option value="">All incidents</option>{named}'
            '</select></label>\n'
            '<button type="button" class="md-button pmkb-clear" hidden>Clear filters</button>\n</form>\n')


def _tracker_rows(out: list[str], groups: Any, url: Callable[..., Any], paths: Any, today: Any,
                  category_titles: Any, inline: Callable[[Any], Any]) -> None:
    jinja = {"url": url}
    shown = _Shown()
    # An incident's cells and a category's link are the same on each of its rows: drawn once.
    incidents: dict[int, tuple[str, str]] = {}
    badges: dict[Any, str] = {}
    links: dict[Any, str] = {}
    for key, _title, group in groups:
        overdue = key == "overdue"
        status = show(key)
        for row in group:
            item, pm = row["item"], row["pm"]
            drawn = incidents.get(id(pm))
            if drawn is None:
                badge = badges.get(pm.severity)
                if badge is None:
                    badge = badges[pm.severity] = str(severity_badge(jinja, pm.severity, paths))
                drawn = incidents[id(pm)] = (
                    f'data-severity="{show(_lower(pm.severity))}" data-incident="{show(pm.id)}"',
                    f'{badge} <a href="{show(url(paths.incident(pm.id)))}">{show(pm.title)}</a>')
            is_open = item.is_open
            action, tick = item.action, item.ticket
            muted = ""
            if tick or action:
                link: str | None = ""
                if action:
                    link = links.get(action)
                    if link is None:
                        link = links[action] = (f'<a href="{show(url(paths.term("actions", action)))}">'
                                                f'{show(category_titles.get(action, action))}</a>')
                between = " · " if tick and action else ""
                tick_text = f'<span class="pmkb-ticket">{ticket(tick)}</span>' if tick else ""
                muted = f'<br><span class="pmkb-muted">{link}{between}{tick_text}</span>'
            owner = shown(item.owner) if item.owner else _FLAG_OWNER if is_open else ""
            due = shown(item.due.isoformat()) if item.due else _FLAG_DUE if is_open else ""
            unplanned = ' data-unplanned="1"' if is_open and (not item.owner or not item.due) else ""
            late = show((today - item.due).days) if overdue else ""
            out.append(f'<tr data-status="{status}" data-owner="{shown(row["owner_key"])}" '
                       f'data-category="{shown(action or "")}" {drawn[0]}{unplanned}{_OVERDUE if overdue else ""}>'
                       f'<td data-label="Action item">{show(inline(item.title))}{muted}</td> '
                       f'<td data-label="Owner">{owner}</td> <td data-label="Due" class="pmkb-nowrap">{due}</td> '
                       f'<td data-label="Days late" class="pmkb-num">{late}</td> '
                       f'<td data-label="Status">{item_status(item, overdue)}</td> '
                       f'<td data-label="Incident">{drawn[1]}</td></tr>\n')
