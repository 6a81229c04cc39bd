"""Reading an existing document: which kind it is, and its text as a Markdown body.

Three kinds are understood, told apart by their content:

``text``
    plain text whose sections start with heading lines ("Issue summary", "Timeline",
    "Root Cause", ...); the headings become ``## `` headings, timeline lines and
    ``Title: description`` lines become list items so that each stays on its own line.
``markdown``
    Markdown from a postmortem template, without front matter; the ``# Title`` becomes
    the title and the sections are moved to level 2, the level the KB reads.
``frontmatter``
    Markdown with another tool's YAML front matter (``start_time``, ``categories``,
    ``keywords``, ``summary``, ``url``...); the front matter is read safely and mapped
    by :mod:`.extract`.

Every line of the original body is kept; only heading marks change.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..frontmatter import MAX_DEPTH, MAX_FRONT_MATTER_BYTES, line_in_message, parse_yaml, split, toml_module
from ..problems import PostmortemError, Problem, plural
from ..slugs import slugify
from ..timeline import SECTION_ALIASES

KINDS = ("text", "markdown", "frontmatter")
KIND_NAMES = {"text": "plain text", "markdown": "Markdown", "frontmatter": "Markdown with front matter"}

# Headings a plain-text write-up uses besides the sections the KB knows by name.
_OTHER_HEADINGS = {
    "detection", "background", "what went wrong", "what went well", "what happened", "references",
    "appendix", "supporting information", "trigger", "participants", "stats", "statistics",
    "metadata", "details", "incident details", "key facts", "where we got lucky", "follow up actions",
    "corrective actions", "preventive actions", "preventative actions", "action plan", "links",
    "response", "investigation", "customer impact", "impact assessment", "next steps", "notes",
}
_KNOWN_HEADINGS = {slugify(a) for names in SECTION_ALIASES.values() for a in names} | {
    slugify(a) for a in _OTHER_HEADINGS}
# Template headings that stand where the title should be written.
PLACEHOLDER_TITLES = {"incident-title", "title", "incident-name", "postmortem-title", "title-of-incident",
                      "name-of-incident", "incident-title-here", "insert-title", "your-title-here"}
# Titles that name the kind of document rather than the incident.
GENERIC_TITLES = {"postmortem", "post-mortem", "post-mortem-report", "postmortem-report", "incident-report",
                  "incident-postmortem", "incident-post-mortem", "root-cause-analysis", "rca",
                  "postmortem-template", "incident-review", "post-incident-review", "retrospective",
                  "incident-retrospective", "report", "readme", "incident",
                  "incident-summary", "outage-report"}

# "Postmortem: ", "Incident report - " before the words that name the incident.
TITLE_PREFIX = re.compile(r"^(?:post[- ]?mortem|incident(?: report| review| post[- ]?mortem)?|outage(?: report)?|"
                           r"rca|root cause analysis)(?: report)?\s*[:\u2013\u2014-]\s+", re.I)
_ATX_OPEN = re.compile(r"(#{1,6})[ \t]+")
_SETEXT = re.compile(r"^[ \t]{0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_TIME_LINE = re.compile(r"^\s*(?:\d{4}-\d{2}-\d{2}[T ,]\s*)?\d{1,2}:\d{2}(?!\d)")
# `Title: description`: a short title, a colon, then text.
_TITLED = re.compile(r"^\s*([A-Z][^:.!?]{1,78}?)\s*:\s+\S")
_TABLE = re.compile(r"^\s*\|.*\|\s*$")


class _Atx:
    """An ATX heading (``## Text ##``) as a match-like value: group(1) the marks, group(2) the text."""

    __slots__ = ("marks", "text")

    def __init__(self, marks: str, text: str):
        self.marks, self.text = marks, text

    def group(self, n: int) -> str:
        return self.marks if n == 1 else self.text


def atx_heading(line: str) -> _Atx | None:
    """``### Text ##`` -> its marks and text, in linear time (no regex backtracks over the trailing part).

    The closing hashes of the CommonMark form (``## Summary ##``) are not part of the text.
    """
    m = _ATX_OPEN.match(line)
    if m is None:
        return None
    text = line[m.end():].rstrip(" \t")
    stripped = text.rstrip("#")
    if stripped != text and (not stripped or stripped[-1] in " \t"):
        text = stripped.rstrip(" \t")
    return _Atx(m.group(1), text)


def strip_note(title: str) -> str:
    """A heading without a trailing note in parentheses: ``Timeline (all times UTC)`` -> ``Timeline``."""
    text = title.rstrip()
    if text.endswith(")") and "(" in text:
        return text[:text.find("(")].rstrip()
    return title


@dataclass
class SourceText:
    """A document turned into a Markdown body, with what its own header said."""

    kind: str
    body: str
    front_matter: dict[str, Any] = field(default_factory=dict)  # another tool's, as read
    title: str | None = None  # from a `# Title` or a first line
    title_line: str | None = None  # the line that held the title, no longer in the body
    front_matter_format: str | None = None  # "yaml", "toml" or "json"
    notes: list[str] = field(default_factory=list)


def foreign_format(text: str) -> str | None:
    """``toml`` (``+++``, Hugo's default) or ``json`` (a ``{`` line) when the text opens with such front matter."""
    first = text.split("\n", 1)[0].strip()
    if first == "+++":
        return "toml"
    if first == "{" and re.search(r"^\}[ \t]*$", text, re.M):
        return "json"
    return None


def split_foreign_front_matter(text: str, fmt: str, path: str) -> tuple[dict[str, Any], str]:
    """TOML or JSON front matter -> (values, body): split by python-frontmatter's handlers, read by the
    standard library (``tomllib``, ``json``) with the limits of our YAML reader (size, depth).

    Raises PostmortemError with the line the parser names.
    """
    import frontmatter.default_handlers as handlers  # python-frontmatter

    handler: handlers.BaseHandler
    if fmt == "json":
        handler = handlers.JSONHandler()
    else:  # its TOMLHandler needs the `toml` package; the split is the same with our reader behind it
        handler = handlers.BaseHandler(fm_boundary=re.compile(r"^\+{3}[ \t]*$", re.MULTILINE))
    try:
        fm_text, body = handler.split(text)
    except ValueError:
        raise _fm_error(path, 1, "unterminated-front-matter",
                        f"the {fmt.upper()} front matter has no closing line") from None
    if len(fm_text.encode("utf-8", "replace")) > MAX_FRONT_MATTER_BYTES:
        raise _fm_error(path, 1, "front-matter-too-large",
                        f"the front matter is over {MAX_FRONT_MATTER_BYTES // 1024} KiB")
    try:
        if fmt == "json":
            value = json.loads(fm_text)
        else:
            value = toml_module().loads(fm_text)
    except RecursionError:
        raise _fm_error(path, 1, "too-deep", f"values are nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # json.JSONDecodeError and tomllib.TOMLDecodeError are ValueErrors
        line = getattr(exc, "lineno", None) or line_in_message(str(exc)) or 1
        raise _fm_error(path, line + (1 if fmt == "toml" else 0), f"{fmt}-syntax",
                        f"the {fmt.upper()} front matter is not valid: "
                        f"{getattr(exc, 'msg', str(exc))}") from None
    if _depth(value) > MAX_DEPTH:
        raise _fm_error(path, 1, "too-deep", f"values are nested more than {MAX_DEPTH} levels deep")
    if not isinstance(value, dict):
        raise _fm_error(path, 1, "front-matter-not-mapping", f"the {fmt.upper()} front matter is not a table of fields")
    return value, body.lstrip("\n")


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max([_depth(v, level + 1) for v in value.values()] or [level + 1])
    if isinstance(value, list):
        return max([_depth(v, level + 1) for v in value] or [level + 1])
    return level


def _fm_error(path: str, line: int, code: str, message: str) -> PostmortemError:
    return PostmortemError([Problem(path, line, code, message,
                                    "fix the front matter, or remove it and import the body alone")])


def detect_kind(text: str) -> str:
    """``frontmatter``, ``markdown`` or ``text``, from the content alone."""
    lines = text.split("\n")
    if foreign_format(text):
        return "frontmatter"
    if lines and lines[0].strip() == "---":
        try:
            fm, _, _ = split(text, "<detect>")
            value, _ = parse_yaml(fm, "<detect>")
        except PostmortemError:
            value = None
        if isinstance(value, dict) and value:
            return "frontmatter"
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            return "markdown"
        if atx_heading(line) or _TABLE.match(line) and i + 1 < len(lines) and \
                re.match(r"^\s*\|?\s*:?-{2,}", lines[i + 1]):
            return "markdown"
        if i > 0 and _SETEXT.match(line) and "=" in line and lines[i - 1].strip():
            return "markdown"
    return "text"


def read_document(text: str, kind: str, path: str = "<input>") -> SourceText:
    """Text of a known kind -> SourceText. Raises PostmortemError for unreadable front matter."""
    if kind == "frontmatter":
        fmt = foreign_format(text)
        if fmt:
            value, body = split_foreign_front_matter(text, fmt, path)
        else:
            fmt = "yaml"
            fm_text, body, body_line = split(text, path)
            value, _ = parse_yaml(fm_text, path)
        if not isinstance(value, dict):
            value = {}
        source = _read_markdown(body)
        source.kind = "frontmatter"
        source.front_matter = value
        source.front_matter_format = fmt
        return source
    if kind == "markdown":
        return _read_markdown(text)
    return _read_text(text)


def _heading_key(title: str) -> str:
    slug = slugify(strip_note(title).rstrip(":"))
    return slug


def is_generic_title(title: str) -> bool:
    slug = slugify(title)
    return not slug or slug in GENERIC_TITLES or slug in PLACEHOLDER_TITLES or _heading_key(title) in _KNOWN_HEADINGS


def _read_markdown(text: str) -> SourceText:
    lines = text.split("\n")
    # Setext headings (`Title` over `=====`) become ATX headings so the KB's reader sees them.
    out: list[str] = []
    origin: list[str] = []  # the source line each line of `out` came from
    in_fence = False
    setext = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line):
            in_fence = not in_fence
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if not in_fence and line.strip() and not _LIST.match(line) and not _TABLE.match(line) \
                and not atx_heading(line) and _SETEXT.match(nxt) and len(nxt.strip()) >= 2:
            out.append(("# " if "=" in nxt else "## ") + line.strip())
            origin.append(line)
            setext += 1
            i += 2
            continue
        out.append(line)
        origin.append(line)
        i += 1
    source = SourceText("markdown", "")
    if setext:
        source.notes.append(f"{plural(setext, 'underlined heading')} written as `#` headings")
    headings = []  # (index, level, text)
    in_fence = False
    for idx, line in enumerate(out):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        m = None if in_fence else atx_heading(line)
        if m:
            headings.append((idx, len(m.group(1)), m.group(2)))
    first_text = next((idx for idx, line in enumerate(out) if line.strip()), None)
    title_idx = None
    if headings and headings[0][0] == first_text:
        # The heading that opens the document is its title, unless it names a section.
        idx, level, heading = headings[0]
        same_level = [h for h in headings if h[1] == level]
        if (len(same_level) == 1 or level == 1) and not is_generic_title(heading):
            title_idx = idx
    if title_idx is None and headings and not (headings[0][0] == first_text
                                               and slugify(headings[0][2]) in PLACEHOLDER_TITLES):
        # A generic first heading (`## README`, `# Postmortem`) above the one `# Title` of the document.
        h1 = [h for h in headings if h[1] == 1]
        if len(h1) == 1 and not is_generic_title(h1[0][2]):
            title_idx = h1[0][0]
    if title_idx is None and headings and headings[0][0] == first_text \
            and slugify(headings[0][2]) in PLACEHOLDER_TITLES:
        # A template's `# Incident Title` with the real title on the line under it.
        idx = headings[0][0]
        under = next((j for j in range(idx + 1, len(out)) if out[j].strip()), None)
        if under is not None and len(out[under].strip()) <= 150 and not atx_heading(out[under]) \
                and not _LIST.match(out[under]) and not _TABLE.match(out[under]) \
                and not out[under].strip().endswith((".", ":")):
            source.title = out[under].strip()
            source.title_line = origin[under]
            source.notes.append(f"the template heading `{headings[0][2]}` is left out; the line under it is the title")
            del out[under]
            del out[idx]
            headings = [(i - (2 if i > under else 1), lv, t) for i, lv, t in headings if i not in (idx, under)]
    if title_idx is not None:
        title_head = atx_heading(out[title_idx])
        assert title_head is not None  # title_idx is the line of one of the headings found above
        source.title = TITLE_PREFIX.sub("", title_head.group(2)).strip() or None
        source.title_line = origin[title_idx]
        del out[title_idx]
        headings = [(i - (1 if i > title_idx else 0), lv, t) for i, lv, t in headings if i != title_idx]
    # Sections go to level 2 (the level the KB reads); a generic `# Postmortem` stays as it is.
    sections = [(idx, lv, t) for idx, lv, t in headings
                if not (lv == 1 and slugify(t) in GENERIC_TITLES)]
    # The level of the sections is the level of the headings that name known sections (Summary,
    # Timeline...): a second `# Title` (a document pasted twice) or a `## README` above a `#` title
    # does not push the real sections down; a heading above that level is moved to level 2.
    known = [lv for _, lv, t in sections if _heading_key(t) in _KNOWN_HEADINGS]
    levels = [lv for _, lv, _ in sections]
    base = min(known or levels) if levels else 2
    if levels and (base != 2 or min(levels) < 2):
        shift = 2 - base
        for idx, level, _heading in sections:
            out[idx] = re.sub(r"^#{1,6}", "#" * max(2, min(6, level + shift)), out[idx], count=1)
        raised = [t for _, lv, t in sections if lv + shift < 2]
        if base != 2:
            source.notes.append(f"section headings moved from level {base} to level 2")
        if raised:
            source.notes.append(f"{plural(len(raised), 'heading')} above the sections' level moved to level 2: "
                                + ", ".join(f"`{t[:60]}`" for t in raised[:5]))
    source.body = "\n".join(out)
    return source


def _is_text_heading(lines: list[str], i: int) -> bool:
    line = lines[i].strip()
    if not line or len(line) > 60 or _LIST.match(line) or _TIME_LINE.match(line):
        return False
    prev_blank = i == 0 or not lines[i - 1].strip()
    key = _heading_key(line)
    known = key in _KNOWN_HEADINGS or any(key.startswith(k + "-and-") for k in _KNOWN_HEADINGS)
    if known and (prev_blank or line.rstrip("*_ ").endswith(":")):
        return True  # `Timeline:` right under the text before it is a heading too
    if not prev_blank:
        return False
    nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
    if line.endswith(":") and len(line.split()) <= 6 and nxt and line[:1].isupper():
        return True  # `Corrective Measures:` standing alone above its text
    letters = re.sub(r"[^A-Za-z]", "", line)
    # An ALL-CAPS short line standing alone is a heading in plain-text reports.
    return len(letters) >= 3 and letters.isupper() and not line.endswith((".", ",", ";"))


def _read_text(text: str) -> SourceText:
    lines = text.split("\n")
    source = SourceText("text", "")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    out: list[str] = []
    headings = 0
    items = _item_lines(lines)
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if i == first and _heading_key(line.strip()) not in _KNOWN_HEADINGS and not _LIST.match(line) and \
                len(line.strip()) <= 150 and not line.strip().endswith((".", ":")) and not nxt.strip() \
                and not _TIME_LINE.match(line) and not is_generic_title(line.strip()):
            source.title = line.strip()
            source.title_line = line
            continue
        if _is_text_heading(lines, i):
            out.append("## " + line.strip())
            headings += 1
            continue
        if i in items:
            if out and out[-1].strip() and not out[-1].startswith(("- ", "## ")):
                out.append("")  # a list after a paragraph needs a blank line in Markdown
            out.append("- " + line.strip())
            continue
        out.append(line)
    if headings:
        source.notes.append(f"{plural(headings, 'heading line')} written as `##` headings")
    source.body = "\n".join(out)
    return source


def _item_lines(lines: list[str]) -> set[int]:
    """Lines that are entries of their own: times, and runs of `Title: description` lines."""
    items = {i for i, line in enumerate(lines) if _TIME_LINE.match(line) and not _LIST.match(line)}
    titled = [i for i, line in enumerate(lines) if _TITLED.match(line) and not _LIST.match(line)
              and not line.startswith((" ", "\t"))]
    titled_set = set(titled)
    for i in titled:
        prev = next((j for j in range(i - 1, -1, -1) if lines[j].strip()), None)
        nxt = next((j for j in range(i + 1, len(lines)) if lines[j].strip()), None)
        if prev in titled_set or nxt in titled_set:
            items.add(i)
    return items
