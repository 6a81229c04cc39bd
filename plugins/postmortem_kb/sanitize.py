"""Making a writer's HTML safe to publish.

A postmortem's body is Markdown that writers may legitimately spice with HTML (``<details>``,
``<br>``, ``<kbd>``); it may also carry, pasted from a chat log or quoted from an XSS incident,
a ``<script>``, an ``onerror=`` or a ``javascript:`` link. The body's rendered HTML therefore
goes through an allow-list sanitizer (nh3, the Python binding of the Rust *ammonia* crate),
keeping what Markdown and mkdocs-material's extensions produce and dropping everything that
could run.

Dropping what runs is not enough: the theme, the search UI and our own scripts *read* the page.
mkdocs-material takes its configuration from the element ``#__config`` and its state from
``__search``, ``__drawer``, ``__toc``...; Pagefind takes a result's URL from
``data-pagefind-meta``; our tracker reads ``data-owner``. So nothing a writer writes may carry
such a name:

- every ``id``, ``name`` and ``for`` (and the ids that ``aria-*`` attributes refer to) is
  prefixed with ``user-content-``, as GitHub does, and in-page links ``#x`` are rewritten to
  ``#user-content-x`` so footnotes, permalinks and tabs still work;
- every ``data-*`` attribute is dropped;
- classes the theme or our scripts style or select (``md-*``, ``pmkb-*``, ``pagefind-*``) are
  dropped; the ones Markdown extensions produce (``admonition``, ``highlight``...) stay;
- ``href`` and ``src`` keep only http, https, mailto and relative URLs.

Front-matter values never reach this module: templates escape them (see ``site/render.py``).
"""

from __future__ import annotations

import nh3

PREFIX = "user-content-"

_TAGS = set(nh3.ALLOWED_TAGS) | {
    "details", "summary", "figure", "figcaption", "mark", "kbd", "samp", "var", "s", "del", "ins",
    "sup", "sub", "abbr", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "th", "td",
    "caption", "colgroup", "col", "pre", "code", "span", "div", "p", "br", "hr", "img",
    "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "li", "a", "em", "strong", "label",
    "input",
}
_ATTRIBUTES = {
    "*": {"class", "id", "title", "lang", "dir", "role"},
    "a": {"href", "title", "name"},
    "img": {"src", "alt", "width", "height", "loading"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "ol": {"start", "type"},
    "abbr": {"title"},
    "details": {"open"},
    "input": {"type", "checked", "disabled", "name"},  # task lists, content tabs (radio buttons)
    "label": {"for"},
    "col": {"span"},
}
_URL_SCHEMES = {"http", "https", "mailto"}
_CLEAN_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template", "textarea", "select"}

# Attributes that name an element of the page, and those that refer to one by its id.
_NAMES = {"id", "name", "for"}
_ID_REFERENCES = {"aria-labelledby", "aria-describedby", "aria-controls", "aria-owns", "aria-activedescendant",
                  "aria-details", "aria-errormessage", "aria-flowto"}
# Classes that the theme, the search UI or our scripts style or select elements by.
_RESERVED_CLASS_PREFIXES = ("md-", "pmkb-", "pagefind")
_INPUT_TYPES = {"checkbox", "radio"}


def _prefixed(value: str) -> str:
    return value if value.startswith(PREFIX) else PREFIX + value


def _attribute(element: str, attribute: str, value: str) -> str | None:
    """nh3's callback for every allowed attribute: the value to keep, or None to drop it."""
    if attribute in _NAMES:
        value = value.strip()
        return _prefixed(value) if value else None
    if attribute in _ID_REFERENCES:
        refs = value.split()
        return " ".join(_prefixed(r) for r in refs) if refs else None
    if attribute == "href" and value.startswith("#"):
        return "#" + _prefixed(value[1:]) if len(value) > 1 else value
    if attribute == "class":
        kept = [c for c in value.split() if not c.lower().startswith(_RESERVED_CLASS_PREFIXES)]
        return " ".join(kept) if kept else None
    if element == "input" and attribute == "type":
        return value if value.lower() in _INPUT_TYPES else None
    return value


_CLEANER = nh3.Cleaner(tags=_TAGS - _CLEAN_CONTENT, clean_content_tags=_CLEAN_CONTENT, attributes=_ATTRIBUTES,
                       attribute_filter=_attribute, generic_attribute_prefixes={"aria-"},
                       url_schemes=_URL_SCHEMES, link_rel="noopener noreferrer", strip_comments=True)


def sanitize_html(html: str) -> str:
    """Keep formatting; drop scripts, event handlers, styles, frames, unsafe URLs and ``data-*``;
    prefix every name a writer gives an element (see the module's docstring)."""
    return _CLEANER.clean(html)


def anchor(fragment: str) -> str:
    """Where a link to a writer's anchor ``x`` (on another incident page) must point."""
    return _prefixed(fragment) if fragment else fragment
