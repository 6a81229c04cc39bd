"""Keeping the templates' own HTML out of Markdown.

A generated page is Markdown drawn by a template, and most of it is HTML: the incident
card, the timeline and action item tables, every listing. Python-Markdown passes such
blocks through unchanged, but only after parsing every tag of them with ``html.parser``
(twice with MkDocs, which parses raw HTML again to collect anchors): a third of a site
build. :class:`HtmlHold` takes each top-level HTML block of the template's output out of
the Markdown before it is converted, leaves a placeholder paragraph in its place, and
puts the block back into the converted page: the same HTML, without the parsing.

Writers' write-ups are held too, already rendered and sanitized (:meth:`HtmlHold.put`), so
that the site's Markdown never reads a writer's text. A template's block is held only when
Markdown would have kept it verbatim: it starts a line with a block-level tag, that tag
closes, nothing follows on the closing line, and no element in it asks for Markdown
inside (a ``markdown`` attribute). Anything else is left to Markdown.
"""

from __future__ import annotations

import marshal
import re
import secrets
import zlib
from collections.abc import Callable
from functools import lru_cache

# Python-Markdown's block-level elements whose content it keeps verbatim (void tags such
# as <hr> excepted: they have no closing tag to find the end of the block by).
BLOCK_TAGS = frozenset("""
address article aside blockquote details div dl fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6
header hgroup main menu nav ol p pre section table ul canvas dd dt iframe li math map noscript object
output progress script style summary tbody td textarea tfoot th thead tr video center svg
""".split())
_OPENING = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)(?=[\s>/])")
_MARKDOWN_ATTRIBUTE = re.compile(r"<[a-zA-Z][^>]*\smarkdown(?=[\s=>/])")
# A heading of finished HTML (its level, attributes and content): what a page's table of contents
# is read from (build.toc_tokens).
_DIGITS = re.compile(r"\d+")
HEADING = re.compile(r"<h([1-6])\b([^>]*)>(.*?)</h\1\s*>", re.S | re.I)


@lru_cache(maxsize=256)
def _tags(name: str) -> re.Pattern:
    """The opening and closing tags of the element ``name``."""
    return re.compile(rf"<{name}(?=[\s>/])|</{name}\s*>", re.I)


class HtmlHold:
    """Holds HTML blocks of generated pages between Markdown's input and its output."""

    def __init__(self) -> None:
        # Unguessable, and plain letters and digits so that Markdown leaves it alone.
        self._prefix = f"pmkbhtml{secrets.token_hex(8)}n"
        self._blocks: dict[str, str] = {}
        self._count = 0
        # Blocks packed page by page (:meth:`pack`): compressed, and which pack holds each key.
        self._packs: list[bytes | None] = []
        self._pack_of: dict[str, int] = {}
        self._unpacked: tuple[int, dict[str, str]] | None = None
        # What a page's table of contents needs of its packed blocks, kept out of the packs: each
        # block's headings (HEADING's matches, joined), and the blocks with an "<h1" in them.
        self._headings: dict[str, str] = {}
        self._h1: set[str] = set()
        # A placeholder is its own paragraph; inside an element that asked for Markdown it may
        # come out bare. (What _substitute finds, written as a pattern.)
        self._token = re.compile(rf"<p>({self._prefix}\d+)</p>|({self._prefix}\d+)")
        self._key = re.compile(rf"{self._prefix}\d+")

    def hold(self, markdown: str, fence: tuple[str, str] | None = None) -> str:
        """The page's Markdown with its template HTML blocks replaced by placeholders.

        ``fence``: the markers around the writer's parts, which are left untouched."""
        out: list[str] = []
        last = 0
        fenced = self._fence_pattern(fence) if fence else None
        for m in (fenced.finditer(markdown) if fenced is not None else ()):
            out.append(self._hold_template_part(markdown[last:m.start()]))
            out.append(m.group(0))
            last = m.end()
        out.append(self._hold_template_part(markdown[last:]))
        return "".join(out)

    def put(self, html: str) -> str:
        """Hold finished HTML (a sanitized write-up): its placeholder paragraph, to put in the
        page's Markdown in its place."""
        key = self._new_key()
        self._blocks[key] = html
        return f"\n\n{key}\n\n"

    def _new_key(self) -> str:
        self._count += 1
        return f"{self._prefix}{self._count}"

    def pack(self, markdown: str) -> None:
        """Compress the blocks held for one page's Markdown until they are given back: a site's
        generated pages are drawn before any is converted, and their HTML (tens of megabytes at
        a thousand postmortems, most of it alike) would otherwise all be in memory at once."""
        keys = [k for k in self._key.findall(markdown) if k in self._blocks]
        if not keys:
            return
        blocks = {k: self._blocks.pop(k) for k in keys}
        for key, block in blocks.items():
            if "<h" in block or "<H" in block:
                found = "".join(m.group(0) for m in HEADING.finditer(block))
                if found:
                    self._headings[key] = found
                if "<h1" in block:
                    self._h1.add(key)
        self._packs.append(zlib.compress(marshal.dumps(blocks), 1))
        for k in keys:
            self._pack_of[k] = len(self._packs) - 1

    @staticmethod
    @lru_cache(maxsize=4)
    def _fence_pattern(fence: tuple[str, str]) -> re.Pattern:
        return re.compile(re.escape(fence[0]) + r".*?" + re.escape(fence[1]), re.S)

    def release(self, html: str) -> str:
        """The converted page with every held block back in place of its placeholder."""
        if self._prefix not in html:
            return html
        return self._substitute(html, lambda key, token: self._take(key) or token)

    def _substitute(self, html: str, replace: Callable[[str, str], str]) -> str:
        """``self._token.sub`` with ``replace(key, token)`` for each placeholder, found by the prefix
        (a page is tens of kilobytes, and a pattern that starts with an alternative reads it one
        character at a time): the same tokens, the same replacements."""
        prefix, find = self._prefix, html.find
        skip = len(prefix)
        out: list[str] = []
        last = 0
        at = find(prefix)
        while at >= 0:
            digits = _DIGITS.match(html, at + skip)
            if digits is None:
                at = find(prefix, at + 1)
                continue
            start, end = at, digits.end()
            if at - 3 >= last and html.startswith("<p>", at - 3) and html.startswith("</p>", end):
                start, end = at - 3, end + 4  # the placeholder's own paragraph
            out.append(html[last:start])
            out.append(replace(html[at:digits.end()], html[start:end]))
            last = end
            at = find(prefix, end)
        out.append(html[last:])
        return "".join(out)

    def outline(self, html: str) -> tuple[str, bool]:
        """What a page's table of contents is read from, without unpacking its blocks: the page
        with each held block replaced by the block's headings, and whether the whole page has an
        ``<h1`` (in a block or around them). A block is whole elements, so no heading of the page
        starts in a block and ends outside it: the headings found are those of the whole page."""
        if self._prefix not in html:
            return html, "<h1" in html
        h1 = "<h1" in html

        def headings(key: str, token: str) -> str:
            nonlocal h1
            if key in self._blocks:  # not packed (yet): read from the block itself
                block = self._blocks[key]
                h1 = h1 or "<h1" in block
                return "".join(found.group(0) for found in HEADING.finditer(block))
            if key not in self._pack_of:
                return token
            h1 = h1 or key in self._h1
            return self._headings.get(key, "")

        return self._substitute(html, headings), h1

    def _take(self, key: str) -> str | None:
        if key in self._blocks:
            return self._blocks.pop(key)
        n = self._pack_of.get(key)
        if n is None:
            return None
        if self._unpacked is None or self._unpacked[0] != n:
            data = self._packs[n]
            if data is None:
                return None
            self._unpacked = (n, marshal.loads(zlib.decompress(data)))
        blocks = self._unpacked[1]
        del self._pack_of[key]
        self._headings.pop(key, None)
        self._h1.discard(key)
        html = blocks.pop(key, None)
        if not blocks:  # every block of the pack given back: free it
            self._packs[n] = None
            self._unpacked = None
        return html

    def _hold_template_part(self, text: str) -> str:
        """The text with its holdable blocks replaced by placeholders; lines are read in place (by
        offsets, never split out): a listing's page can be tens of megabytes."""
        if "<" not in text:
            return text
        out: list[str] = []  # lines and runs of lines, to be joined by newlines
        size = len(text)
        last_key = ""  # the block held last, while only blank lines follow it
        start = 0
        while True:
            end = text.find("\n", start)
            if end < 0:
                end = size
            found = self._block(text, start, end)
            if found is None:
                line = text[start:end]
                out.append(line)
                if line.strip():
                    last_key = ""
            else:
                end, holdable = found
                if holdable and last_key:
                    # Markdown would give back the two blocks one line apart: hold them as one, so that
                    # it has one paragraph less to read (a page is mostly such blocks).
                    self._blocks[last_key] += "\n" + text[start:end]
                elif holdable:
                    key = last_key = self._new_key()
                    self._blocks[key] = text[start:end]
                    # Markdown sets a raw block apart from what comes before and after it the same way.
                    out += ["", key, ""]
                else:
                    last_key = ""
                    out.append(text[start:end])  # left to Markdown whole, with everything inside it
            if end >= size:
                return "\n".join(out)
            start = end + 1

    @staticmethod
    def _block(text: str, start: int, end: int) -> tuple[int, bool] | None:
        """(where the raw HTML block starting on the line ``text[start:end]`` ends: the end of its
        last line, whether to hold it); None when no block starts on that line.

        Like Python-Markdown, a block starts with a block-level tag at the start of a line and
        ends with the line that closes that tag. Each line is matched on its own (``pos`` and
        ``endpos``), as Markdown reads lines."""
        m = _OPENING.match(text, start, end)
        if m is None or m.group(1).lower() not in BLOCK_TAGS:
            return None
        tags = _tags(m.group(1))
        depth = 0
        holdable = True
        size = len(text)
        while True:
            if text.find("markdown", start, end) >= 0 and _MARKDOWN_ATTRIBUTE.search(text, start, end):
                holdable = False  # md_in_html: Markdown inside this element
            for t in tags.finditer(text, start, end):
                depth += -1 if t.group(0).startswith("</") else 1
                if depth == 0:
                    # Text after the closing tag would make Markdown go on differently.
                    return end, holdable and not text[t.end():end].strip()
            if end >= size:
                # Never closed: Markdown would keep everything to the end raw, so hold nothing there.
                return size, False
            start = end + 1
            end = text.find("\n", start)
            if end < 0:
                end = size
