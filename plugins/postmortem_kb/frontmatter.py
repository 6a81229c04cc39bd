"""Reading a postmortem file: decoding, splitting the front matter, and safe YAML with lines.

YAML is parsed with PyYAML's *safe* loader (the C one when available) into nodes, and the
nodes are turned into plain Python values here rather than by the constructor, so that we
know the line of every key and item, refuse duplicate keys, and refuse aliases: an alias
bomb ("billion laughs") is rejected when the first alias is met, before anything expands.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from dataclasses import dataclass, field
from typing import Any

import yaml
from frontmatter.default_handlers import BaseHandler, JSONHandler, YAMLHandler  # python-frontmatter

from .problems import PostmortemError, Problem

try:  # libyaml is ~10x faster; the pure-Python loader behaves the same.
    _BaseLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _BaseLoader = yaml.SafeLoader


def _scalar_resolvers(loader: Any) -> dict[str, tuple]:
    """The loader's implicit resolvers by a scalar's first character, as ``resolve`` reads them
    (the resolvers of that character, then those for any character)."""
    table = loader.yaml_implicit_resolvers
    anywhere = list(table.get(None, []))
    return {first: tuple(resolvers + anywhere) for first, resolvers in table.items() if first is not None}


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """The safe loader with PyYAML's tag resolution done in fewer steps: the composer asks for
    every node's tag, a Python call each. The answer is the one ``BaseResolver.resolve`` gives
    when no path resolvers are registered (none are for the safe loaders, checked below): a
    plain scalar takes the tag of the first implicit resolver for its first character that
    matches it, anything else the default tag of its kind."""

    _by_first = _scalar_resolvers(_BaseLoader)
    _anywhere: tuple = tuple(_BaseLoader.yaml_implicit_resolvers.get(None, []))

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                tag = _PLAIN_TAGS.get(value)
                if tag is None:
                    tag = next((tag for tag, regexp in self._by_first.get(value[:1], self._anywhere)
                                if regexp.match(value)), _STD_STR)
                    if len(value) <= _PLAIN_TAGS_LENGTH:
                        if len(_PLAIN_TAGS) >= _PLAIN_TAGS_SIZE:
                            _PLAIN_TAGS.clear()
                        _PLAIN_TAGS[value] = tag
                return tag
            return _STD_STR
        return _STD_SEQ if kind is yaml.SequenceNode else _STD_MAP

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass  # only path resolvers read the path

    def ascend_resolver(self) -> None:
        pass


# The tag of each short plain scalar seen (keys, words, dates: most repeat from file to file),
# as resolve() gives it: it depends on the text alone. Bounded: emptied when full.
_PLAIN_TAGS: dict[str, str] = {}
_PLAIN_TAGS_LENGTH, _PLAIN_TAGS_SIZE = 40, 4096

if (_BaseLoader.yaml_path_resolvers or _BaseLoader.DEFAULT_SCALAR_TAG != "tag:yaml.org,2002:str"
        or _BaseLoader.DEFAULT_SEQUENCE_TAG != "tag:yaml.org,2002:seq"
        or _BaseLoader.DEFAULT_MAPPING_TAG != "tag:yaml.org,2002:map"):
    _Loader = _BaseLoader  # type: ignore[misc]  # pragma: no cover - a PyYAML that resolves otherwise

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_FRONT_MATTER_BYTES = 128 * 1024
MAX_DEPTH = 16

_FENCE = re.compile(r"^(---|\.\.\.)\s*$")
_ScalarNode = yaml.ScalarNode
_STD_MAP = "tag:yaml.org,2002:map"
_STD_SEQ = "tag:yaml.org,2002:seq"
_STD_STR = "tag:yaml.org,2002:str"
_STD_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_PLAIN_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SAFE_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}

Path_ = tuple  # a path into the front matter: ("action_items", 2, "due")


@dataclass
class SourceDocument:
    """A postmortem file split into its parts, with the line of every front-matter value."""

    path: str
    front_matter: dict[str, Any]
    body: str
    body_line: int  # the file line on which the body starts
    lines: dict[Path_, int] = field(default_factory=dict)
    crlf: bool = False
    bom: bool = False

    def line_of(self, path: Path_) -> int:
        """The line of a value, or of its nearest parent that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return 1


def _fail(path: str, line: int, code: str, message: str, hint: str = "") -> PostmortemError:
    return PostmortemError([Problem(path, line, code, message, hint)])


def decode(data: bytes, path: str) -> tuple[str, bool, bool]:
    """Bytes to text with ``\\n`` newlines; returns (text, had_bom, had_crlf)."""
    if not data.strip():
        raise _fail(path, 1, "empty-file", "the file is empty",
                    "start from `pmkb new \"Title\"` or delete the file")
    if len(data) > MAX_FILE_BYTES:
        raise _fail(path, 1, "file-too-large",
                    f"the file is {len(data):,} bytes; the limit is {MAX_FILE_BYTES:,}",
                    "move logs and dumps out of the postmortem and link to them")
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise _fail(path, line, "binary-file", "the file contains NUL bytes: it is not text",
                    "postmortems are UTF-8 Markdown; remove the file or save it as text")
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _fail(path, line, "not-utf8",
                    f"byte 0x{data[exc.start]:02x} is not valid UTF-8",
                    "save the file as UTF-8 (most editors: 'Save with encoding')") from None
    crlf = "\r\n" in text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, bom, crlf


def split(text: str, path: str) -> tuple[str, str, int]:
    """Split text into (front matter, body, body start line)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise _fail(path, 1, "missing-front-matter",
                    "the file does not start with a `---` front matter block",
                    "put `---`, the fields (title, date, severity...), then `---` at the top")
    for i in range(1, len(lines)):
        if _FENCE.match(lines[i]):
            # Each front-matter line keeps its newline: a literal block (`|`) ending the front
            # matter keeps its final newline, as YAML says.
            return "".join(line + "\n" for line in lines[1:i]), "\n".join(lines[i + 1:]), i + 2
    raise _fail(path, 1, "unterminated-front-matter",
                "the front matter opened on line 1 is never closed",
                "add a line `---` after the last front-matter field")


def _flow_depth(text: str) -> int:
    """The deepest nesting of ``[`` and ``{`` in text, counting every bracket (JSON, TOML)."""
    depth = best = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            best = max(best, depth)
        elif ch in "]}":
            depth = max(depth - 1, 0)  # a stray closer never hides the openers after it
    return best


def yaml_flow_depth(text: str, stop_above: int | None = None) -> int:
    """The deepest nesting of YAML flow collections (``[...]``, ``{...}``) in text, in one pass.

    Brackets inside quoted scalars (``"..."`` with backslash escapes, ``'...'`` with ``''``),
    comments and block scalars (``|``, ``>``) are text, not nesting: a title of twenty ``[`` is
    not deep. A quote opens a scalar only where YAML opens one (at the start of a line or value,
    after ``: ``, ``- ``, ``? ``, ``[``, ``{`` or ``,``); anywhere else it is counted through.
    What it must never do is count less than the parser nests: PyYAML nests at most one more
    level per bracket (a single pair in a flow sequence, ``[a: b]``, is a mapping without
    braces), so under the limit here the parser stays shallow, and the depth of what it built
    is checked again afterwards. With ``stop_above``, the first depth over it is returned as
    soon as it is seen."""
    depth = best = 0
    n = len(text)
    i = 0
    maybe_comment_until = 0
    while True:
        found = _FLOW_SIGNIFICANT.search(text, i)
        if found is None:
            return best
        at = found.start()
        ch = text[at]
        before = at - 1
        while before >= i and text[before] in " \t":
            before -= 1  # each run of spaces is walked back once, for the character after it
        last = text[before] if before >= 0 else "\n"
        spaced = before < at - 1
        opens_value = last == "\n" or (spaced and last in ":-?") or (depth > 0 and last in "[{,")
        if ch in "[{":
            # Outside a flow collection a bracket opens one only where a value starts; after
            # other text (`title: a [draft]`) it is part of a plain scalar.
            if depth or opens_value:
                depth += 1
                if depth > best:
                    best = depth
                    if stop_above is not None and best > stop_above:
                        return best
        elif ch in "]}":
            if at >= maybe_comment_until:  # in what may be a comment, a closer may close nothing
                depth = max(depth - 1, 0)  # a stray closer never hides the openers after it
        elif ch == "#":
            if spaced or last == "\n":
                end = text.find("\n", at)
                i = n if end < 0 else end
                continue
            # Right after a bracket, comma or quote YAML may read a comment too: until the end
            # of the line, count what opens and not what closes, true either way.
            end = text.find("\n", at)
            maybe_comment_until = n if end < 0 else end
        elif ch in "\"'":
            if opens_value:
                i = (_DOUBLE_QUOTED if ch == '"' else _SINGLE_QUOTED).match(text, at).end()  # type: ignore[union-attr]
                continue
        elif depth == 0 and opens_value and _BLOCK_HEADER.match(text, at):  # `|` or `>`
            i = _end_of_block(text, text.find("\n", at), _indent(text, text.rfind("\n", 0, at) + 1))
            continue
        i = at + 1


# Characters that may change the nesting or start text that hides it.
_FLOW_SIGNIFICANT = re.compile(r"[\[\]{}#\"'|>]")
# A quoted scalar from its opening quote (to the end of text if never closed). Each alternative
# starts with another character, so matching never backtracks.
_DOUBLE_QUOTED = re.compile(r'"(?:[^"\\]+|\\.)*(?:\\|"|)', re.S)
_SINGLE_QUOTED = re.compile(r"'(?:[^']+|'')*'?")
_BLOCK_HEADER = re.compile(r"[|>][-+1-9]{0,2}[ \t]*(?:#[^\n]*)?(?:\n|\Z)")
_LINE_INDENT = re.compile(r"[ ]*")


def _indent(text: str, line_start: int) -> int:
    return _LINE_INDENT.match(text, line_start).end() - line_start  # type: ignore[union-attr]


def _end_of_block(text: str, newline: int, indent: int) -> int:
    """Where a block scalar whose key line is indented ``indent`` ends: the first line after
    ``newline`` that has text and is indented no more than that (or the end of text)."""
    n = len(text)
    while 0 <= newline < n:
        start = newline + 1
        newline = text.find("\n", start)
        end = n if newline < 0 else newline
        spaces = _indent(text, start)
        if start + spaces < end and spaces <= indent:
            return start
    return n


def _yaml_hint(problem: str) -> str:
    if "\t" in problem or "tab" in problem:
        return "YAML does not allow tabs for indentation: use spaces"
    if "quoted scalar" in problem or "stream" in problem:
        return "a quote is not closed: check the quotes on this line"
    if "mapping values are not allowed" in problem:
        return "quote values that contain ': ' (for example title: \"DB: outage\")"
    return "check the YAML syntax on this line (indentation, quotes, colons)"


def parse_yaml(text: str, path: str, first_line: int = 2) -> tuple[Any, dict]:
    """Parse front-matter YAML safely; returns (value, lines) or raises PostmortemError."""
    if len(text.encode("utf-8", "replace")) > MAX_FRONT_MATTER_BYTES:
        raise _fail(path, first_line, "front-matter-too-large",
                    f"the front matter is over {MAX_FRONT_MATTER_BYTES // 1024} KiB",
                    "keep long text in the body; the front matter holds short fields")
    # Counting brackets is cheap; walking them only matters when there are enough to nest too deep.
    if text.count("[") + text.count("{") > MAX_DEPTH and yaml_flow_depth(text, MAX_DEPTH) > MAX_DEPTH:
        raise _fail(path, first_line, "too-deep",
                    f"values are nested more than {MAX_DEPTH} levels deep",
                    "front-matter fields are at most a list of mappings")
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark is not None and "quoted scalar" in str(exc.context or ""):
            mark = exc.context_mark  # the line where the unclosed quote opened
        line = first_line + (mark.line if mark else 0)
        msg = " ".join(str(s) for s in (exc.context, exc.problem) if s)
        source_lines = text.split("\n")
        near = source_lines[mark.line] if mark and mark.line < len(source_lines) else ""
        hint = _yaml_hint("tab" if "\t" in near else msg)
        raise _fail(path, line, "yaml-syntax", f"invalid YAML: {msg}", hint) from None
    except yaml.YAMLError as exc:
        raise _fail(path, first_line, "yaml-syntax", f"invalid YAML: {exc}",
                    "check the YAML syntax") from None
    finally:
        loader.dispose()
    if node is None:
        return None, {}
    walker = _NodeWalk(path, first_line, loader)
    return walker.walk(node, (), 0), walker.lines


# The paths of front-matter values ("action_items", 0, "due"), one tuple each for every postmortem
# that has that value: a KB keeps every value's line (Postmortem.line_of), and the same few dozen
# paths repeat in every file. Bounded: emptied when it grows past _SHARED_PATHS_MAX.
_SHARED_PATHS: dict[tuple, tuple] = {}
_SHARED_PATHS_MAX = 20_000


def _shared_path(path: tuple) -> tuple:
    shared = _SHARED_PATHS.get(path)
    if shared is None:
        if len(_SHARED_PATHS) >= _SHARED_PATHS_MAX:
            _SHARED_PATHS.clear()
        shared = _SHARED_PATHS[path] = path
    return shared


class _NodeWalk:
    """YAML nodes to plain values, with the line of every key and item (``lines``); refuses
    aliases, unsafe tags, keys that are not text, duplicate keys and nesting too deep.

    A class, not a function nested in :func:`parse_yaml`: a nested function that calls itself is
    a reference cycle, and what it holds (the loader and its nodes) would wait for the cyclic
    collector, which is off while a KB loads."""

    def __init__(self, path: str, first_line: int, loader: Any):
        self.path, self.first_line, self.loader = path, first_line, loader
        self.lines: dict[Path_, int] = {}
        self.seen: set[int] = set()

    def line_of(self, n: yaml.Node) -> int:
        return self.first_line + n.start_mark.line

    def walk(self, n: yaml.Node, where: Path_, depth: int) -> Any:
        path, first_line, lines, seen, line_of = self.path, self.first_line, self.lines, self.seen, self.line_of
        if id(n) in seen:
            raise _fail(path, line_of(n), "yaml-alias",
                        "YAML anchors and aliases (&name, *name, <<) are not allowed",
                        "write the value out in full")
        seen.add(id(n))
        if depth > MAX_DEPTH:
            raise _fail(path, line_of(n), "too-deep",
                        f"values are nested more than {MAX_DEPTH} levels deep",
                        "front-matter fields are at most a list of mappings")
        lines.setdefault(where, line_of(n))
        if isinstance(n, yaml.MappingNode):
            if n.tag != _STD_MAP:
                raise self.unsafe_tag(n)
            out: dict[str, Any] = {}
            for k, v in n.value:
                if not isinstance(k, yaml.ScalarNode) or k.tag == "tag:yaml.org,2002:merge":
                    raise _fail(path, line_of(k), "invalid-key",
                                "keys must be plain words (no merge keys, lists or mappings as keys)",
                                "write `name: value`")
                key = sys.intern(str(k.value))  # the same few names in every postmortem: one copy
                if key in out:
                    raise _fail(path, line_of(k), "duplicate-key",
                                f"`{key}` appears twice (first on line {lines[where + (key,)]})",
                                "keep one of them: YAML would silently drop the first")
                inner = _shared_path(where + (key,))
                lines[inner] = first_line + k.start_mark.line
                if v.__class__ is _ScalarNode and v.tag == _STD_STR and depth < MAX_DEPTH and id(v) not in seen:
                    seen.add(id(v))  # what walk() does for a text value (most values), without the call
                    out[key] = v.value
                else:
                    out[key] = self.walk(v, inner, depth + 1)
            return out
        if isinstance(n, yaml.SequenceNode):
            if n.tag != _STD_SEQ:
                raise self.unsafe_tag(n)
            items = []
            for i, item in enumerate(n.value):
                if (item.__class__ is _ScalarNode and item.tag == _STD_STR and depth < MAX_DEPTH
                        and id(item) not in seen):
                    seen.add(id(item))
                    lines.setdefault(_shared_path(where + (i,)), first_line + item.start_mark.line)
                    items.append(item.value)
                else:
                    items.append(self.walk(item, _shared_path(where + (i,)), depth + 1))
            return items
        if n.tag not in _SAFE_SCALAR_TAGS:
            raise self.unsafe_tag(n)
        if n.tag == _STD_STR:
            return n.value  # what the str constructor returns, without its overhead (most values)
        try:
            if n.tag == _STD_TIMESTAMP and _PLAIN_DATE.fullmatch(n.value):
                return dt.date.fromisoformat(n.value)  # what the timestamp constructor gives a day, faster
            value = self.loader.construct_object(n, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            # e.g. a timestamp that is not a real date: `date: 2023-02-30`
            code = "invalid-date" if n.tag == "tag:yaml.org,2002:timestamp" else "invalid-value"
            raise _fail(path, line_of(n), code,
                        f"`{n.value}` cannot be read: {str(exc).splitlines()[-1]}",
                        "check the value; dates are YYYY-MM-DD") from None
        return value

    def unsafe_tag(self, n: yaml.Node) -> PostmortemError:
        return _fail(self.path, self.line_of(n), "yaml-unsafe-tag",
                     f"the YAML tag `{n.tag}` is not allowed",
                     "front matter holds plain text, numbers, dates, lists and mappings only")


class _TOMLHandler(BaseHandler):
    """Hugo's ``+++`` fences (python-frontmatter's own TOML handler needs the ``toml`` package;
    the split is the same, and the standard library reads what it splits)."""

    FM_BOUNDARY = re.compile(r"^\+{3,}[ \t]*$", re.MULTILINE)


# The formats writers bring from other tools, in the order python-frontmatter tries them.
HANDLERS = (("yaml", YAMLHandler()), ("toml", _TOMLHandler()), ("json", JSONHandler()))


@dataclass
class FrontMatter:
    """Front matter split from its body: the format found, the values (with the file line of
    each value where the format gives it), and where the body starts."""

    format: str  # "yaml", "toml", "json"
    values: dict[str, Any]
    lines: dict[Path_, int]
    body: str
    body_line: int


def split_front_matter(text: str, path: str) -> FrontMatter:
    """Detect and split front matter in YAML (``---``), TOML (``+++``) or JSON (a ``{`` line)
    with python-frontmatter's handlers; read it with our safe readers and the same limits.

    YAML goes through :func:`parse_yaml` (a line for every value; no aliases, tags or duplicate
    keys); TOML through ``tomllib`` and JSON through ``json``, after the size and nesting checks,
    with the line of each top-level key and the line a syntax error names. Raises
    PostmortemError (``missing-front-matter``, ``unterminated-front-matter``, ...).
    """
    # What each handler's detect() asks, keeping the match: where the opening fence ends.
    found = next(((fmt, h, m) for fmt, h in HANDLERS if (m := h.FM_BOUNDARY.match(text))), None)
    if found is None:
        raise _fail(path, 1, "missing-front-matter",
                    "the file does not start with a `---` front matter block",
                    "put `---`, the fields (title, date, severity...), then `---` at the top")
    fmt, handler, opening = found
    try:
        fm_text, body = handler.split(text)
    except ValueError:
        fence = {"yaml": "---", "toml": "+++", "json": "}"}[fmt]
        raise _fail(path, 1, "unterminated-front-matter",
                    "the front matter opened on line 1 is never closed",
                    f"add a line `{fence}` after the last front-matter field") from None
    fm_line = text.count("\n", 0, opening.end()) + 1
    # The body starts on the line after the closing fence, blank lines included (the
    # boundary pattern's `\s*` may have taken some: nothing of the write-up is dropped).
    closing = opening.end() + (len(fm_text) - 2 if fmt == "json" else len(fm_text))
    end_of_fence = text.find("\n", closing)
    body = "" if end_of_fence < 0 else text[end_of_fence + 1:]
    body_line = text.count("\n", 0, closing) + 2
    if fmt == "json":
        fm_line = 1  # the handler gives the braces back: the text starts on the opening line
    elif fm_text.startswith("\n"):
        fm_text, fm_line = fm_text[1:], fm_line + 1
    if fmt == "yaml":
        value, lines = parse_yaml(fm_text, path, first_line=fm_line)
    else:
        value, lines = _parse_foreign(fmt, fm_text, path, fm_line)
    if value is None or value == {}:
        raise _fail(path, 1, "empty-front-matter", "the front matter is empty",
                    "add at least title, date and severity")
    if not isinstance(value, dict):
        kind = "a list" if isinstance(value, list) else "a single value"
        raise _fail(path, fm_line, "front-matter-not-mapping",
                    f"the front matter is {kind}, not a set of `field: value` lines",
                    "write one `field: value` per line, e.g. `title: Database outage`")
    return FrontMatter(fmt, value, lines, body, body_line)


_TOML_KEY = re.compile(r"^[ \t]*([A-Za-z0-9_-]+|\"[^\"\n]*\")[ \t]*=", re.M)
_JSON_KEY = re.compile(r'^[ \t]*\{?[ \t]*"((?:[^"\\\n]|\\.)*)"[ \t]*:', re.M)


def _parse_foreign(fmt: str, text: str, path: str, first_line: int) -> tuple[Any, dict]:
    """TOML or JSON front matter, read by the standard library after our size and depth checks."""
    if len(text.encode("utf-8", "replace")) > MAX_FRONT_MATTER_BYTES:
        raise _fail(path, first_line, "front-matter-too-large",
                    f"the front matter is over {MAX_FRONT_MATTER_BYTES // 1024} KiB",
                    "keep long text in the body; the front matter holds short fields")
    if _flow_depth(text) > MAX_DEPTH:  # before parsing: both parsers recurse on nesting
        raise _fail(path, first_line, "too-deep", f"values are nested more than {MAX_DEPTH} levels deep",
                    "front-matter fields are at most a list of tables")
    try:
        value = json.loads(text) if fmt == "json" else toml_module().loads(text)
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10 without tomli
        raise _fail(path, first_line, "front-matter-syntax", "TOML front matter needs Python 3.11 or tomli",
                    "convert the file with `pmkb import FILE` on Python 3.11+") from None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and TOMLDecodeError are ValueErrors
        line = getattr(exc, "lineno", None) or line_in_message(str(exc)) or 1
        raise _fail(path, first_line + line - 1, "front-matter-syntax",
                    f"the {fmt.upper()} front matter is not valid: {getattr(exc, 'msg', str(exc))}",
                    "check the syntax on this line") from None
    lines: dict[Path_, int] = {}
    if isinstance(value, dict):
        for m in (_JSON_KEY if fmt == "json" else _TOML_KEY).finditer(text):
            key = m.group(1).strip('"')
            if key in value:
                lines.setdefault((key,), first_line + text.count("\n", 0, m.start()))
    return _plain(value), lines


def _plain(value: Any) -> Any:
    """TOML's dates and times as the YAML reader gives them (date, datetime); the rest as is."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.time):
        return value.isoformat()
    return value


def toml_module() -> Any:
    """``tomllib`` (Python 3.11+), else the ``tomli`` package it came from (3.10)."""
    import importlib

    try:
        return importlib.import_module("tomllib")
    except ModuleNotFoundError:  # Python 3.10
        return importlib.import_module("tomli")


def line_in_message(message: str) -> int | None:
    m = re.search(r"line (\d{1,7})", message)
    return int(m.group(1)) if m else None


def read_source(data: bytes, path: str) -> SourceDocument:
    """Read a postmortem file's bytes into a SourceDocument or raise PostmortemError.

    The KB's own format is YAML front matter: TOML or JSON front matter (split and read all
    the same, so its errors are found) is a ``foreign-front-matter`` problem pointing at
    ``pmkb import``, which converts it."""
    text, bom, crlf = decode(data, path)
    split_ = split_front_matter(text, path)
    if split_.format != "yaml":
        raise _fail(path, 1, "foreign-front-matter",
                    f"the front matter is {split_.format.upper()}; postmortems in the KB use YAML (`---`)",
                    "convert the file with `pmkb import FILE` (it reads TOML and JSON front matter)")
    return SourceDocument(path, split_.values, split_.body, split_.body_line, split_.lines, crlf, bom)


def to_json_value(value: Any) -> Any:
    """YAML values as JSON would hold them (dates as ISO text), for the JSON Schema."""
    if isinstance(value, dict):
        return {k: to_json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json_value(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value
