"""Making a writer's Markdown body safe to publish.

Front-matter values are escaped by the templates. The body is Markdown that writers may
legitimately spice with HTML (``<details>``, ``<br>``, ``<kbd>``); it may also carry, pasted
from a chat log or quoted from an XSS incident, a ``<script>``, an ``onerror=`` or a
``javascript:`` link. So the body's rendered HTML goes through an allow-list sanitizer
(nh3, the Python binding of the Rust *ammonia* crate), keeping what Markdown and
mkdocs-material produce and dropping everything that could run.

The page around the body (header card, timeline, action items) comes from our own
templates and is not sanitized; the body is fenced by two markers that carry a secret
made per build, so a body cannot close the fence early and smuggle HTML out of it.
"""

from __future__ import annotations

import re
import secrets

import nh3

_TAGS = set(nh3.ALLOWED_TAGS) | {
    "details", "summary", "figure", "figcaption", "mark", "kbd", "samp", "var", "s", "del", "ins",
    "sup", "sub", "abbr", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "th", "td",
    "caption", "colgroup", "col", "pre", "code", "span", "div", "p", "br", "hr", "img",
    "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "li", "a", "em", "strong", "label",
    "input",
}
_ATTRIBUTES = {
    "*": {"class", "id", "title", "lang", "dir", "role"},
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height", "loading"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "ol": {"start", "type"},
    "abbr": {"title"},
    "details": {"open"},
    "input": {"type", "checked", "disabled"},  # task lists
    "col": {"span"},
}
_URL_SCHEMES = {"http", "https", "mailto"}
_CLEAN_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template", "textarea", "select"}


def sanitize_html(html: str) -> str:
    """Keep formatting, drop scripts, event handlers, styles, frames and unsafe URLs."""
    return nh3.clean(html, tags=_TAGS - _CLEAN_CONTENT, clean_content_tags=_CLEAN_CONTENT,
                     attributes=_ATTRIBUTES, generic_attribute_prefixes={"data-", "aria-"},
                     url_schemes=_URL_SCHEMES, link_rel="noopener noreferrer", strip_comments=True)


class BodyFence:
    """Marks the writer's body in a page's Markdown, then sanitizes exactly that part of the HTML."""

    def __init__(self) -> None:
        token = secrets.token_hex(12)
        self.start = f"<!-- pmkb-body-start-{token} -->"
        self.end = f"<!-- pmkb-body-end-{token} -->"
        self._pattern = re.compile(re.escape(self.start) + r"(.*?)" + re.escape(self.end), re.S)

    def wrap(self, body_markdown: str) -> str:
        """The body between the markers, separated by blank lines so Markdown still parses it."""
        return f"{self.start}\n\n{body_markdown}\n\n{self.end}"

    def clean(self, html: str) -> str:
        """Sanitize every fenced part of rendered HTML and remove the markers."""
        return self._pattern.sub(lambda m: sanitize_html(m.group(1)), html)
