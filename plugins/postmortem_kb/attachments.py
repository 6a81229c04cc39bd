"""Files a postmortem links to: graphs, screenshots, logs kept beside it.

Writers keep them in the postmortems folder (``postmortems/2024/img/latency.png``) and link
them as files from the write-up (``![p99 latency](img/latency.png)``, ``<img src=...>``,
``[full log](logs/haproxy.txt)``), which also works on a Git host. This module finds those
links, outside code, and says for each relative one whether it names a file the site can
publish (an :class:`Attachment`) or why not (a :class:`Refusal`). The loader reports the
refusals; the site publishes the attachments and points the links at them.

Only a few types are published. Not SVG nor HTML: opened directly from the site, either one
runs its scripts with the site's origin.
"""

from __future__ import annotations

import html
import posixpath
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from .problems import ERROR, WARNING, Problem

ATTACHMENT_TYPES = frozenset({"png", "jpg", "jpeg", "gif", "webp", "avif", "pdf", "txt", "log", "csv", "json"})
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
_SCRIPTABLE = frozenset({"svg", "svgz", "html", "htm", "xhtml", "xht", "xml", "js", "mjs"})
_HINT_MISSING = "add the file next to the postmortem or fix the path"
_UNSAFE = "unsafe-attachment"


@dataclass(frozen=True)
class BodyLink:
    """One link or image in a write-up, as the writer wrote it."""

    url: str  # HTML entities already decoded for links in raw HTML
    kind: str  # "image" | "link" | "definition" | "html"
    offset: int  # where the URL starts in the text


@dataclass(frozen=True)
class Attachment:
    """A file the site may publish: ``name`` is its path under the postmortems folder
    (``2024/img/latency.png``), every part of it checked."""

    file: Path
    name: str


@dataclass(frozen=True)
class Refusal:
    """Why a relative link does not name a file the site publishes."""

    message: str
    hint: str
    code: str = "missing-attachment"  # a warning; "unsafe-attachment" (an error) for a link that reaches
    # for what must never be published: outside the postmortems folder, hidden, a postmortem source


# One pass over a write-up. Code (fenced blocks, inline spans) and HTML comments are matched
# so that what they contain is left alone: a write-up about an XSS may quote an <img> tag.
# Every match starts by taking one of the characters that can start a link, code or comment
# (the text is scanned with a newline in front, for what starts a line), which lets the regex
# engine skip straight from one such character to the next: eight times faster on a write-up.
# A code span starts only at the first backtick of a run: tried from inside a long run, it would
# scan to the end of the paragraph from every backtick of it (quadratic time).
_LINKS = re.compile(r"""
[\n<`!\[]
(?:
  (?<=\n)(?P<fence>[ ]{0,3}(?P<fmark>`{3,}|~{3,})[^\n]*(?s:.*?)(?:\n[ ]{0,3}(?P=fmark)[`~]*[ \t]*(?=\n|\Z)|\Z))
| (?<=\n)(?P<definition>(?P<dlead>[ ]{0,3}\[(?!\^)[^\]\n]+\]:[ \t]*)(?:<(?P<dangle>[^<>\n]*)>|(?P<dbare>[^\s<>]+))
    (?P<drest>(?:[ \t]+(?:"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?[ \t]*)$)
| (?<=<)(?P<comment>(?s:!--.*?(?:-->|\Z)))  # unclosed: a browser reads the rest as the comment
| (?<=`)(?<!``)(?P<code>(?P<ticks>`*)(?!`)(?:[^\n]|\n(?![ \t]*(?:\n|\Z)))*?(?<!`)`(?P=ticks)(?!`))
| (?P<inline>(?:(?<=!)(?P<bang>)\[|(?<=\[))(?P<text>(?:[^\[\]\n]|\n(?![ \t]*\n)|\[[^\[\]\n]*\])*)\]
    \([ \t]*(?:<(?P<iangle>[^<>\n]*)>|(?P<ibare>(?:[^\s()<>]|\([^\s()<>]*\))+))
    (?P<ititle>[ \t]+(?:"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?[ \t]*\))
| (?<=<)(?P<html>(?P<tag>img|a)(?=[\s/>])[^<>]*>)
)""", re.X | re.M | re.I)
_HTML_URL = {"img": re.compile(r"(?<=[\s\"'/])src[ \t\n]*=[ \t\n]*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'=<>`]+))", re.I),
             "a": re.compile(r"(?<=[\s\"'/])href[ \t\n]*=[ \t\n]*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'=<>`]+))", re.I)}
_HTML_ALT = re.compile(r"(?<=[\s\"'/])alt[ \t\n]*=[ \t\n]*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'=<>`]+))", re.I)
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:", re.I)
_UNSAFE_CHARS = re.compile(r"[\\\x00-\x1f\x7f]")

# What to put in place of a link: a new URL, or None for its text alone.
Resolver = Callable[[BodyLink], "str | None"]


def body_links(markdown: str) -> Iterator[BodyLink]:
    """Every link and image of a Markdown text, outside code and comments."""
    for m in _LINKS.finditer(f"\n{markdown}"):
        yield from _links_of(m, -1)


def _links_of(m: re.Match, base: int) -> Iterator[BodyLink]:
    if m.group("inline") is not None:
        text_start = base + m.start("text") - 1
        for inner in _LINKS.finditer(f"\n{m.group('text')}"):  # an image inside a link's text
            yield from _links_of(inner, text_start)
        which = "iangle" if m.group("iangle") is not None else "ibare"
        yield BodyLink(m.group(which), _inline_kind(m), base + m.start(which))
    elif m.group("definition") is not None:
        which = "dangle" if m.group("dangle") is not None else "dbare"
        yield BodyLink(m.group(which), "definition", base + m.start(which))
    elif m.group("html") is not None:
        found = _HTML_URL[m.group("tag").lower()].search(m.group(0))
        if found:
            group = next(i for i in (1, 2, 3) if found.group(i) is not None)
            yield BodyLink(html.unescape(found.group(group)), "html", base + m.start() + found.start(group))


def strip_comments(markdown: str) -> str:
    """The text without its HTML comments (``<!-- ... -->``), as a reader never sees them; a
    comment never closed runs to the end, as a browser reads it. Comments quoted in code
    (fenced blocks, code spans) stay: they are shown as written. Each comment leaves its
    newlines behind, so every line keeps its number."""
    if "<!--" not in markdown:
        return markdown

    def replace(m: re.Match) -> str:
        if m.group("comment") is not None:
            return "\n" * m.group("comment").count("\n")
        return m.group(0)

    return _LINKS.sub(replace, f"\n{markdown}")[1:]


def _inline_kind(m: re.Match) -> str:
    return "image" if m.group("bang") is not None else "link"


def rewrite_links(markdown: str, resolve: Resolver) -> str:
    """The text with each link's URL replaced by ``resolve(link)``; where that is None, the
    link becomes its text (an image its alt text). Code and comments are left as they are."""

    def replace(m: re.Match) -> str:
        if m.group("inline") is not None:
            text = rewrite_links(m.group("text"), resolve)
            which = "iangle" if m.group("iangle") is not None else "ibare"
            kind = _inline_kind(m)
            url = resolve(BodyLink(m.group(which), kind, m.start(which) - 1))
            if url is None:
                return text
            target = f"<{url}>" if which == "iangle" else url
            return f"{'!' if kind == 'image' else ''}[{text}]({target}{m.group('ititle') or ''})"
        if m.group("definition") is not None:
            which = "dangle" if m.group("dangle") is not None else "dbare"
            url = resolve(BodyLink(m.group(which), "definition", m.start(which) - 1))
            if url is None:
                return "\n"  # the line stays, empty
            target = f"<{url}>" if which == "dangle" else url
            return f"\n{m.group('dlead')}{target}{m.group('drest')}"
        if m.group("html") is not None:
            return _rewrite_tag(m, resolve)
        return m.group(0)

    # The newline in front is kept by every replacement, and removed again.
    return _LINKS.sub(replace, f"\n{markdown}")[1:]


def _rewrite_tag(m: re.Match, resolve: Resolver) -> str:
    tag, name = m.group(0), m.group("tag").lower()
    found = _HTML_URL[name].search(tag)
    if not found:
        return tag
    group = next(i for i in (1, 2, 3) if found.group(i) is not None)
    url = resolve(BodyLink(html.unescape(found.group(group)), "html", m.start() + found.start(group) - 1))
    if url is None:
        if name == "img":  # an image that is not there reads as its description
            alt = _HTML_ALT.search(tag)
            text = next((g for g in alt.groups() if g is not None), "") if alt else ""
            return html.escape(html.unescape(text), quote=False)
        return tag[:found.start()] + tag[found.end():]  # <a> without href: plain text
    attribute = "src" if name == "img" else "href"
    return f'{tag[:found.start()]}{attribute}="{html.escape(url)}"{tag[found.end():]}'


def relative_file_link(url: str) -> tuple[str, str] | None:
    """``("img/a.png", "#x")``: the path and the rest (query, fragment) of a link to a file
    beside the write-up; None for a web address, an absolute path or an anchor."""
    url = url.strip()
    if not url or _SCHEME.match(url) or url.startswith(("/", "#", "?")):
        return None
    cut = min((i for i in (url.find("?"), url.find("#")) if i >= 0), default=len(url))
    return (url[:cut], url[cut:]) if cut else None


def find_attachment(link_path: str, folder: Path, postmortems: Path, root: Path) -> Attachment | Refusal:
    """What a relative link from a postmortem in ``folder`` names, by the rules the loader
    uses for postmortems: inside the postmortems folder, no hidden parts, no symlinked
    folders, no symlink to a file outside the KB (``root``); and a published type and size."""
    shown = unquote(link_path)
    if _UNSAFE_CHARS.search(shown):
        return Refusal(f"`{link_path}` has a backslash or a control character in its path",
                       "write the path with forward slashes, e.g. img/latency.png", _UNSAFE)
    try:
        here = folder.relative_to(postmortems).as_posix()
    except ValueError:
        return Refusal(f"`{shown}`: the postmortem is outside the postmortems folder", _HINT_MISSING)
    name = posixpath.normpath(posixpath.join(here, shown))
    parts = name.split("/")
    if posixpath.isabs(shown) or parts[0] in ("..", ".", ""):
        return Refusal(f"`{shown}` is outside the postmortems folder and is not published",
                       "keep attachments under the postmortems folder, next to the postmortem", _UNSAFE)
    if any(part.startswith(".") for part in parts):
        return Refusal(f"`{shown}` is a hidden file or in a hidden folder, which are not published",
                       "rename it without the leading dot", _UNSAFE)
    ext = posixpath.splitext(parts[-1])[1].lstrip(".").lower()
    if ext not in ATTACHMENT_TYPES:
        if ext in _SCRIPTABLE:
            return Refusal(f"`{shown}`: .{ext} files are not published: opened from the site, they could run scripts",
                           "export it as PNG or PDF and link that")
        kind = f".{ext} files are" if ext else "files without a type (extension) are"
        return Refusal(f"`{shown}`: {kind} not published",
                       f"attach one of: {', '.join(sorted(ATTACHMENT_TYPES))}")
    path = postmortems
    try:
        for part in parts[:-1]:
            path = path / part
            if path.is_symlink():
                return Refusal(f"`{shown}` is in a symlinked folder, which is not followed",
                               "move the file into the postmortems folder", _UNSAFE)
        path = path / parts[-1]
        if path.is_symlink():
            refusal = _unsafe_target(path, shown, postmortems)
            if refusal is not None:
                return refusal
        if not path.is_file():
            return Refusal(f"`{shown}` does not exist", _HINT_MISSING)
        size = path.stat().st_size
    except (OSError, ValueError, RuntimeError):  # a name too long, a symlink loop
        return Refusal(f"`{shown}` cannot be read", _HINT_MISSING)
    if size > MAX_ATTACHMENT_BYTES:
        return Refusal(f"`{shown}` is {size / 2**20:.1f} MiB; attachments over "
                       f"{MAX_ATTACHMENT_BYTES // 2**20} MiB are not published",
                       "make it smaller, or link to where it is stored")
    return Attachment(path, name)


def _unsafe_target(link: Path, shown: str, postmortems: Path) -> Refusal | None:
    """Why the file a symlinked attachment points at must not be published, if it must not:
    its name passed every rule, but what is published is its target (``.git/config``, ``.env``
    or a draft's source behind an innocent ``graph.png``)."""
    target = link.resolve(strict=True)
    base = postmortems.resolve()
    if not target.is_relative_to(base):
        return Refusal(f"`{shown}` is a symlink to a file outside the postmortems folder",
                       "copy the file next to the postmortem instead of linking it", _UNSAFE)
    inside = target.relative_to(base).parts
    if any(part.startswith(".") for part in inside):
        return Refusal(f"`{shown}` is a symlink to a hidden file", "link the file itself, not a hidden one", _UNSAFE)
    ext = target.suffix.lstrip(".").lower()
    if ext == "md":
        return Refusal(f"`{shown}` is a symlink to a postmortem source", "link the incident's page instead",
                       _UNSAFE)
    if ext not in ATTACHMENT_TYPES:
        return Refusal(f"`{shown}` is a symlink to a .{ext or '(no type)'} file, which is not published",
                       f"attach one of: {', '.join(sorted(ATTACHMENT_TYPES))}", _UNSAFE)
    return None


def is_page_link(link_path: str) -> bool:
    """A link to another postmortem's Markdown file: the site turns it into that incident's page."""
    return link_path.endswith(".md")


def postmortem_folder(path: Path, postmortems: Path) -> Path | None:
    """The folder a postmortem's relative links start from, spelled under ``postmortems``
    (the resolved postmortems folder); None when the postmortem is not in it."""
    folder = path.parent
    if folder.is_relative_to(postmortems):
        return folder  # (as found by discovery: resolving it would ask the system for every part)
    folder = folder.resolve()
    return folder if folder.is_relative_to(postmortems) else None


def attachment_problems(markdown: str, first_line: int, path: Path, postmortems: Path, root: Path,
                        source: str) -> list[Problem]:
    """``missing-attachment`` warnings and ``unsafe-attachment`` errors for the relative links of a write-up
    (starting at file line ``first_line``) that the site cannot publish. Postmortems outside the postmortems
    folder are not published, so their links are not checked."""
    folder = postmortem_folder(path, postmortems)
    if folder is None:
        return []
    problems: list[Problem] = []
    newlines: list[int] | None = None
    def line_of(offset: int) -> int:
        nonlocal newlines
        if newlines is None:
            newlines = [m.start() for m in re.finditer("\n", markdown)]
        return first_line + bisect_right(newlines, offset)

    for link in body_links(markdown):
        split = relative_file_link(link.url)
        if split is None:
            continue
        if is_page_link(split[0]):
            # Whether the other postmortem is published is the site's business; a file that is
            # not there at all is a broken link the writer can fix now.
            if not (folder / unquote(split[0])).exists():
                problems.append(Problem(source, line_of(link.offset), "broken-link",
                                        f"`{split[0]}` does not exist", "fix the path to the other postmortem",
                                        WARNING))
            continue
        found = find_attachment(split[0], folder, postmortems, root)
        if isinstance(found, Refusal):
            problems.append(Problem(source, line_of(link.offset), found.code, found.message, found.hint,
                                    ERROR if found.code == _UNSAFE else WARNING))
    return problems
