"""The small pieces every generated page repeats, drawn in Python: badges, term links, tickets
and an incident's action item table.

``templates/site/_macros.html.j2`` exports these under the names its macros had
(``severity_badge``, ``status_badge``, ``item_status``, ``term_links``, ``ticket``,
``action_table``), so page templates call them as before. A Jinja macro call costs more than
the HTML it draws (its arguments, its own context, the output escaped again), and these are
called tens of thousands of times in a build; here each is one f-string, with every value
escaped by :func:`~postmortem_kb.site.templates.escape_value` exactly where the macro's
``{{ ... }}`` escaped it, so the HTML is the same byte for byte.

Each takes the template's context first (``jinja2.pass_context``) for the page's ``url``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import pass_context
from markupsafe import Markup

from ..inline import to_html as inline_html
from .templates import _ESCAPE, _LINE_START, escape_value


def escape_text(text: str) -> str:
    """``escape_value(text)`` of a plain string, as a plain string (no Markup made, as the
    drawings join it into their own text)."""
    escaped = text.translate(_ESCAPE)
    if _LINE_START.match(text) and text[0] not in "&<>\"'":
        return f"&#{ord(text[0])};{escaped[1:]}"
    return escaped


def show(value: Any) -> str:
    """``{{ value }}`` as the site's templates print it (see ``templates._finalize``)."""
    if type(value) is str:
        return escape_text(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    if value is None or isinstance(value, (bool, int, float)):
        return str(value)
    return escape_value(value)


_STATUS = {
    "in-review": Markup('<span class="pmkb-badge pmkb-status pmkb-status--in-review" '
                        'title="This postmortem is still being reviewed">In review</span>'),
    "draft": Markup('<span class="pmkb-badge pmkb-status pmkb-status--draft" '
                    'title="Draft: not published">Draft</span>'),
}
_EMPTY = Markup("")


@pass_context
def severity_badge(context: Any, severity: Any, paths: Any, filter: Any = False) -> Markup:
    return Markup(draw_severity_badge(context["url"], severity, paths, filter))


def draw_severity_badge(url: Any, severity: Any, paths: Any, filter: Any = False) -> str:
    """:func:`severity_badge` with the page's ``url`` given: for pages drawn in Python."""
    lower = str(severity).lower()
    attr = ' data-pagefind-filter="severity"' if filter else ""
    return (f'<a class="pmkb-badge pmkb-sev pmkb-sev--{escape_value(lower)}" '
            f'href="{show(url(paths.term("severity", lower)))}"{attr}>{show(severity)}</a>')


def status_badge(status: Any) -> Markup:
    return _STATUS.get(status, _EMPTY) if isinstance(status, str) else _EMPTY


def item_status(item: Any, overdue: Any) -> Markup:
    status = item.status
    more, late = (" pmkb-item--overdue", " · overdue") if overdue else ("", "")
    return Markup(f'<span class="pmkb-badge pmkb-item pmkb-item--{show(status)}{more}">'
                  f'{escape_value(str(status).replace("-", " "))}{late}</span>')


@pass_context
def term_links(context: Any, entries: Any, facet: Any, paths: Any, filter: Any = None) -> Markup:
    return Markup(draw_term_links(context["url"], entries, facet, paths, filter))


def draw_term_links(url: Any, entries: Any, facet: Any, paths: Any, filter: Any = None) -> str:
    """:func:`term_links` with the page's ``url`` given: for pages drawn in Python."""
    start = f'<a class="pmkb-term pmkb-term--{show(facet)}" href="'
    attr = f' data-pagefind-filter="{show(filter)}"' if filter else ""
    return ", ".join(f'{start}{show(url(paths.term(facet, e.slug)))}"{attr}>{show(e.title)}</a>' for e in entries)


def ticket(value: Any) -> Markup:
    """Only web links become links: the loader refuses other schemes, and this keeps it so."""
    if value and (value.startswith("https://") or value.startswith("http://")):
        return Markup(f'<a href="{show(value)}" rel="noopener noreferrer">{show(value)}</a>')
    return Markup(show(value)) if value else _EMPTY


_ACTIONS_START = ('<div class="pmkb-actions pmkb-cards" id="pmkb-action-items"><table>\n'
                  '<thead><tr><th scope="col">Action item</th> <th scope="col">Owner</th> <th scope="col">Due</th> '
                  '<th scope="col">Status</th></tr></thead>\n<tbody>\n')
_ACTIONS_END = "</tbody>\n</table></div>"
_OVERDUE = ' class="pmkb-overdue"'


@pass_context
def action_table(context: Any, rows: Any) -> Markup:
    """An incident's action items: four columns that fit beside the navigation at 1280 px; on a
    phone each row is a card (the stylesheet shows each cell's data-label)."""
    return Markup(draw_action_table(context["url"], context["paths"], rows))


def draw_action_table(url: Any, paths: Any, rows: Any) -> str:
    """:func:`action_table` with the page's ``url`` and ``paths`` given: for pages drawn in Python."""
    out = [_ACTIONS_START]
    for row in rows:
        item, overdue, category = row["item"], row["overdue"], row["category"]
        link = (f'<a href="{show(url(paths.term("actions", category.slug)))}">{show(category.title)}</a> · '
                if category else "")
        tick = f' · <span class="pmkb-ticket">{ticket(item.ticket)}</span>' if item.ticket else ""
        owner = show(item.owner) if item.owner else '<span class="pmkb-flag">no owner</span>'
        due = (show(item.due.isoformat()) if item.due else
               '<span class="pmkb-flag">no due date</span>' if item.is_open else "")
        out.append(f'<tr{_OVERDUE if overdue else ""}><td data-label="Action item">'
                   f'{inline_html(item.title)}<br><span class="pmkb-muted">{link}{show(item.type)}{tick}</span></td> '
                   f'<td data-label="Owner">{owner}</td> <td data-label="Due" class="pmkb-nowrap">{due}</td> '
                   f'<td data-label="Status">{item_status(item, overdue)}</td></tr>\n')
    out.append(_ACTIONS_END)
    return "".join(out)


@cache
def wayfinding() -> str:
    """The shipped macros' ``wayfinding()`` script, as the page templates print it (drawn once)."""
    from .templates import environment

    return str(environment().get_template("_macros.html.j2").module.wayfinding())  # type: ignore[attr-defined]


GLOBALS = {f"pmkb_{f.__name__}": f for f in (severity_badge, status_badge, item_status, term_links, ticket,
                                                action_table)}
