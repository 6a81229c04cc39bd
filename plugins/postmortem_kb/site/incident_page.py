"""An incident's page drawn in Python: what ``templates/site/incident.md.j2`` draws, byte for byte.

The template stays the reference, and what a site renders when it overrides it (or the macros
it imports): :func:`~postmortem_kb.site.templates.python_drawer` only hands this drawing out for
the shipped ones. Here every ``{{ value }}`` of the template is :func:`~.drawing.show` (the
environment's finalize: escaped for HTML and for Markdown), every ``| join`` is :func:`_join`
(the items and the separator escaped), and the template's whitespace is spelled out as the
environment's ``trim_blocks`` and ``lstrip_blocks`` leave it: a line that ends in a block tag
(``{% endif %}``) gives no newline. ``tests/site/test_incident_drawing.py`` compares the two.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from markupsafe import Markup, soft_str

from .drawing import (
    draw_action_table,
    draw_severity_badge,
    draw_term_links,
    escape_text,
    show,
    status_badge,
    wayfinding,
)
from .templates import draws, escape_value

_IN_REVIEW = '<p class="pmkb-card__notice">This postmortem is in review: details may still change.</p>\n'
_DRAFT = '<p class="pmkb-card__notice">This is a draft, shown because the site is built with drafts.'
_APPROXIMATE = ' <span class="pmkb-approx" title="The writers say this date or time is approximate">approximate</span>'
_OVERDUE = ' <strong class="pmkb-overdue-text">overdue</strong>'
_NONE_OPEN = '<br><span class="pmkb-muted">None of its action items is still open.</span>\n'
_MORE = '<p class="pmkb-muted">Only the latest earlier incidents are listed; the root cause\'s page lists them all.</p>'
_TOC = ('<details class="pmkb-toc-phone"><summary>On this page</summary><ul class="pmkb-toc-phone__list"></ul>'
        '</details>\n\n')
_TIMELINE_START = ('<div class="pmkb-timeline pmkb-scroll" tabindex="0" role="region" aria-label="Timeline"><table>\n'
                   '<thead><tr><th scope="col">Time</th> <th scope="col">Since start</th> <th scope="col">Event</th>'
                   '</tr></thead>\n<tbody>\n')
_TIMELINE_END = "</tbody>\n</table></div>\n\n"
# Values the template prints with ``{{ ... }}`` (so escaped like any other), escaped once here.
_PLUS = escape_value("+")
_NO_OWNER = escape_value("no owner")


def _join(items: Iterable[Any], separator: str) -> str:
    """``items | join(separator)`` in the site's templates (``templates._join``)."""
    # Each item escaped as escape_value escapes it (a number too: ``-1`` starts a list item).
    return escape_text(separator).join([escape_text(v) if type(v) is str else escape_value(v) for v in items])


@draws("incident.md.j2")
def draw_incident(**context: Any) -> str:
    """The Markdown ``incident.md.j2`` renders from ``context`` (see ``site/incidents.py``)."""
    pm, url, paths, terms = context["pm"], context["url"], context["paths"], context["terms"]
    inline, actions, today = context["inline"], context["actions"], context["today"]
    older, newer = context["neighbours"]
    out: list[str] = []
    w = out.append

    # The breadcrumb, the title and the headline.
    started = context["started"]
    w(f'<nav class="pmkb-crumbs" aria-label="Breadcrumb"><a href="{show(url(paths.page("incidents/index.md")))}">'
      f'Incidents</a> <span aria-hidden="true">›</span> <a href="{show(url(paths.term("years", soft_str(pm.year))))}">'
      f'{show(pm.year)}</a></nav>\n<h1 class="pmkb-title">{show(pm.title)}</h1>\n'
      f'<p class="pmkb-headline">{draw_severity_badge(url, pm.severity, paths, filter=True)} '
      f'{status_badge(pm.status)} <span class="pmkb-when">{show(started if started else pm.date.isoformat())}'
      f'</span>{_APPROXIMATE if context["approximate"] else ""}</p>\n<div class="pmkb-card">\n')

    # The card: notices, impact, facts, promises.
    if pm.status == "in-review":
        w(_IN_REVIEW)
    elif pm.status == "draft":
        todo = pm.problems or []
        w(f'{_DRAFT} Still to do before it is published ({show(len(todo))}):</p>\n' if todo else f"{_DRAFT}</p>\n")
        if todo:
            w('<ul class="pmkb-draft-problems">')
            for p in todo[:50]:
                hint = f' <span class="pmkb-muted">({show(p.hint)})</span>' if p.hint else ""
                w(f"<li>line {show(p.line)}: {show(p.message)}{hint}</li>")
            w("</ul>")
    if pm.impact:
        w(f'<p class="pmkb-card__impact"><span class="pmkb-label">Impact</span> {show(inline(pm.impact))}</p>')
    w('<dl class="pmkb-card__facts">\n')
    for d in context["durations"]:
        value, stated = d["value"], d["stated"]
        if value:
            said = (f' <span class="pmkb-muted">from the timeline; the write-up says {show(stated)}</span>'
                    if stated else "")
            shown = f"{show(value)}{said}"
        else:
            shown = f'{show(stated)} <span class="pmkb-muted">as stated</span>'
        w(f'<div><dt>{show(d["label"])} <span class="pmkb-measures">({show(d["measures"])})</span></dt> '
          f"<dd>{shown}</dd></div>\n")
    for facet, name, filter in (("root_causes", "Root cause", "root cause"), ("components", "Component", "component")):
        entries = terms[facet]
        if entries:
            w(f'<div><dt>{name}{"s" if len(entries) > 1 else ""}</dt> '
              f"<dd>{draw_term_links(url, entries, facet, paths, filter)}</dd></div>")
    if pm.trigger:
        w(f"<div><dt>Trigger</dt> <dd>{show(inline(pm.trigger))}</dd></div>")
    if pm.detection:
        w(f"<div><dt>Detection</dt> <dd>{show(inline(pm.detection))}</dd></div>")
    w("</dl>\n")
    if actions:
        n_overdue = n_open = n_done = n_dropped = 0
        for row in actions:
            item = row["item"]
            if row["overdue"]:
                n_overdue += 1
            elif item.is_open:
                n_open += 1
            status = item.status
            n_done += status == "done"
            n_dropped += status == "wont-do"
        count = len(actions)
        late = f'<strong class="pmkb-overdue-text">{n_overdue} overdue</strong>, ' if n_overdue else ""
        dropped = f", {n_dropped} won't do" if n_dropped else ""
        w(f'<p class="pmkb-card__promise"><a href="#action-items">{count} action item{"s" if count != 1 else ""}'
          f"</a>: {late}{n_open} open, {n_done} done{dropped}</p>\n</div>\n")
    else:
        w('<p class="pmkb-card__promise">No action items recorded.</p>\n</div>\n')

    # This happened before.
    recurrence = context["recurrence"]
    if recurrence:
        earlier, more = recurrence.earlier, recurrence.more
        w(f'<div class="admonition warning pmkb-recurrence">\n<p class="admonition-title">This happened before: '
          f'{len(earlier)}{_PLUS if more else ""} earlier incident{"s" if len(earlier) != 1 or more else ""}</p>\n'
          '<ul class="pmkb-recurrence__list">\n')
        for e in earlier:
            other = e.postmortem
            w(f'<li><a href="{show(url(paths.incident(other.id)))}">{show(other.title)}</a> <span class="pmkb-nowrap">'
              f'({show(other.date.isoformat())})</span> <span class="pmkb-reason">{show(e.reason)}</span>\n')
            if e.open_items:
                w('<ul class="pmkb-recurrence__items">\n')
                days = show((today - other.date).days)
                for item in e.open_items:
                    if item.due:
                        due = f"due {show(item.due.isoformat())}{_OVERDUE if item.is_overdue(today) else ''}"
                    else:
                        due = "no due date"
                    owner = show(item.owner) if item.owner else _NO_OWNER
                    w(f'<li>Still open: {show(inline(item.title))} <span class="pmkb-muted">· {owner} · open {days} '
                      f"days · {due}</span></li>\n")
                w("</ul>\n</li>\n")
            else:
                w(f"{_NONE_OPEN}</li>\n")
        w(f"</ul>\n{_MORE}</div>\n" if more else "</ul>\n</div>\n")
    w(_TOC)

    # The write-up, with the timeline drawn where its section was.
    for part in context["parts"]:
        if part.kind != "timeline":
            w(f"{Markup(part.markdown)}\n\n")
            continue
        strip = context["strip"]
        if strip:
            moments = _join([m["label"] for m in strip], ", ")
            w(f'<div class="pmkb-strip" role="img" aria-label="Key moments: {moments}">'
              '<div class="pmkb-strip__line"></div>\n')
            labels = [(show(m["moment"]), show(m["label"])) for m in strip]
            w("".join(f'<span class="pmkb-strip__mark pmkb-strip__mark--{moment}" style="left: {show(m["left"])}%" '
                      f'title="{label}"></span>' for m, (moment, label) in zip(strip, labels)))
            w('</div>\n<ul class="pmkb-strip__legend">')
            w("".join(f'<li><span class="pmkb-strip__dot pmkb-strip__mark--{moment}" aria-hidden="true"></span> '
                      f"{label}</li>" for moment, label in labels))
            w("</ul>\n")
        w(_TIMELINE_START)
        for row in context["timeline"]:
            moment = row.moment
            if moment:
                moment = show(moment)
                w(f'<tr class="pmkb-moment pmkb-moment--{moment}"><td class="pmkb-nowrap">{show(row.time)}</td> '
                  f'<td class="pmkb-nowrap">{show(row.since_start)}</td> <td><span class="pmkb-badge pmkb-moment-badge '
                  f'pmkb-moment-badge--{moment}">{moment}</span> {show(inline(row.text))}</td></tr>\n')
            else:
                w(f'<tr><td class="pmkb-nowrap">{show(row.time)}</td> <td class="pmkb-nowrap">{show(row.since_start)}'
                  f"</td> <td>{show(inline(row.text))}</td></tr>\n")
        w(_TIMELINE_END)

    # The promises, what is alike, tags and authors, the neighbours.
    if actions:
        w(f"## Action items\n\n{draw_action_table(url, paths, actions)}\n\n")
    related = context["related"]
    if related:
        w('## Related incidents\n\n<ul class="pmkb-related">\n')
        for rel in related:
            other = rel.postmortem
            reasons = f'<br><span class="pmkb-reason">{_join(rel.reasons, " · ")}</span>' if rel.reasons else ""
            w(f'<li>{draw_severity_badge(url, other.severity, paths)} <a href="{show(url(paths.incident(other.id)))}">'
              f'{show(other.title)}</a> <span class="pmkb-muted pmkb-nowrap">{show(other.date.isoformat())}</span>'
              f"{reasons}</li>\n")
        w("</ul>\n\n")
    tags, authors = pm.tags, pm.authors
    w('<p class="pmkb-more">')
    if tags:
        w(f'<span class="pmkb-label">Tags</span> {draw_term_links(url, terms["tags"], "tags", paths)}')
    if tags and authors:
        w(" · ")
    if authors:
        w(f'<span class="pmkb-label">Written by</span> {_join(authors, ", ")}')
    w('</p>\n<nav class="pmkb-prevnext" aria-label="Previous and next incident">')
    if older:
        w(f'<a class="pmkb-prevnext__prev" rel="prev" href="{show(url(paths.incident(older.id)))}">'
          f'<span class="pmkb-label">Previous incident</span> {show(older.title)}</a>')
    if newer:
        w(f'<a class="pmkb-prevnext__next" rel="next" href="{show(url(paths.incident(newer.id)))}">'
          f'<span class="pmkb-label">Next incident</span> {show(newer.title)}</a>')
    w(f"</nav>\n{wayfinding()}\n")
    return "".join(out)
