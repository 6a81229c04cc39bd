"""Rendering writers' write-ups: the site's Markdown, minus what is not safe for them, then sanitized.

A write-up is rendered here, not by the engine, for two reasons. The site's maintainers may
enable extensions that are fine for their own pages but not for text anyone can commit:
``pymdownx.snippets`` includes files of the repository (``--8<-- ".git/config"``), and
``attr_list`` lets the text set any attribute (``{: onclick=... }``). And the rendered HTML
must be sanitized before it joins our page, whatever engine builds the site. So a write-up
is converted with the site's own extensions and their settings, except those in
:data:`UNSAFE_FOR_WRITERS`, then goes through :func:`~postmortem_kb.sanitize.sanitize_html`,
and the page gets the finished HTML, which no Markdown reads again.

Heading ids come from the site's ``toc`` settings, like on every other page, then get the
sanitizer's ``user-content-`` prefix; links to them from the table of contents, permalinks
and footnotes follow.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

import markdown

from ..sanitize import PREFIX, sanitize_html
from .options import MarkdownSetup

# Extensions never used on writers' text, and why (docs/security.md lists them too).
UNSAFE_FOR_WRITERS = {
    "markdown.extensions.attr_list": "sets any attribute on the writer's elements",
    "markdown.extensions.legacy_attrs": "sets any attribute on the writer's elements",
    "pymdownx.blocks.html": "sets any attribute on the writer's elements",
    "pymdownx.snippets": "includes files of the repository",
    "pymdownx.b64": "embeds files from the disk",
    "markdown_include.include": "includes files of the repository",
    "mdx_include": "includes files of the repository",
}


def extension_name(ext: Any) -> str:
    """The module an extension comes from: ``attr_list`` -> ``markdown.extensions.attr_list``."""
    if isinstance(ext, str):
        name = ext.split(":", 1)[0]
        return name if "." in name else f"markdown.extensions.{name}"
    module = type(ext).__module__
    return module


def writer_extensions(setup: MarkdownSetup) -> tuple[list[Any], dict[str, Any], list[str]]:
    """(extensions, their configurations, the names left out) for rendering writers' text."""
    kept: list[Any] = []
    left_out: list[str] = []
    for ext in setup.extensions:
        name = extension_name(ext)
        if name in UNSAFE_FOR_WRITERS or any(name.startswith(u + ".") for u in UNSAFE_FOR_WRITERS):
            left_out.append(name)
        else:
            kept.append(ext)
    names = {e for e in kept if isinstance(e, str)}
    configs = {k: dict(v) for k, v in setup.configs.items() if k in names}
    if not any(extension_name(e) == "markdown.extensions.tables" for e in kept):
        kept.append("tables")  # write-ups use Markdown tables
    return kept, configs, left_out


def guard_slugify(slugify):
    """The site's heading-id function, made unable to give an id of the theme's own (``__config``,
    ``__search``, ``__tabbed_1``...: mkdocs-material keeps its ids in the ``__`` namespace):
    an id it would start with ``_`` gets the ``user-content-`` prefix instead."""
    if getattr(slugify, "pmkb_guarded", False):
        return slugify

    def guarded(value: str, separator: str, *args: Any, **kwargs: Any) -> str:
        slug = slugify(value, separator, *args, **kwargs)
        return PREFIX + slug if slug.startswith("_") else slug

    guarded.pmkb_guarded = True  # type: ignore[attr-defined,unused-ignore]
    return guarded


def guard_heading_ids(configs: dict[str, dict[str, Any]]) -> None:
    """Wrap the ``toc`` extension's slugify in ``configs`` (an engine's ``mdx_configs``) in place."""
    from markdown.extensions.toc import slugify as default

    toc = configs.setdefault("toc", {})
    toc["slugify"] = guard_slugify(toc.get("slugify") or default)


class BodyRenderer:
    """Writers' Markdown to sanitized HTML, with the site's safe extensions; one per build."""

    def __init__(self, setup: MarkdownSetup | None = None):
        extensions, configs, self.left_out = writer_extensions(setup or MarkdownSetup())
        guard_heading_ids(configs)
        self._md = markdown.Markdown(extensions=extensions, extension_configs=configs)
        # A paragraph of letters and digits that no writer can guess, between the parts of a
        # write-up that our own HTML goes between (the drawn timeline).
        self._split = f"pmkbpart{secrets.token_hex(8)}n"

    def render(self, markdown_text: str) -> str:
        """One write-up (or part of one) as sanitized HTML."""
        return self.render_parts([markdown_text])[0]

    def render_parts(self, parts: Iterable[str]) -> list[str]:
        """Parts of one write-up, rendered as one document (footnotes, heading ids and tabs are
        numbered across the parts) and cut where they join, each part sanitized.

        When the writer's HTML swallows a joint (an element left open across sections), the
        parts cannot be told apart: the whole write-up comes back as the first part, and the
        others empty."""
        parts = list(parts)
        joint = f"\n\n{self._split}\n\n"
        self._md.reset()
        html = self._md.convert(joint.join(parts))
        pieces = html.split(f"<p>{self._split}</p>")
        if len(pieces) != len(parts):
            whole = html.replace(self._split, "")
            pieces = [whole] + [""] * (len(parts) - 1)
        return [sanitize_html(p) for p in pieces]
