"""The KB's ids without loading the KB: what checking one file against the others needs.

The KB-wide rules (:mod:`postmortem_kb.validation.kb_wide`) read only ids: a file's id must be
unused by the files found before it, and its ``related`` ids must name postmortems. Loading
10,000 postmortems to answer that for one file takes seconds; reading their ids takes
milliseconds, so ``pmkb validate <file>`` reads ids here and loads only the few files whose id
matters (the same id, or one the file relates to), with the real loader, to confirm.

A file's id is its front matter's ``id`` when that is text, else its file name. Most front
matter is simple (one ``key: value`` per line at the top level, no text running over lines
from there): its id is read from the ``id:`` line. For any other file the real reader decides
(:func:`postmortem_kb.loader.load_one`). So an id found here is the one the loader gives the
file, if the file loads at all; whether it loads is what the confirmation checks.

Ids are kept between runs in the KB's cache folder (:func:`postmortem_kb.files.kb_cache_dir`,
outside the repository), per file with its inode, size and mtime: only changed files are read
again. The cache is JSON, checked where it is used; anything wrong with it means reading the
files again.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .files import FileRefused, atomic_write, kb_cache_dir, read_regular_file
from .frontmatter import MAX_FILE_BYTES, MAX_FRONT_MATTER_BYTES, decode
from .problems import PostmortemError
from .slugs import is_valid_id

CACHE_VERSION = 3  # 3: one list per column (2: one list per file)
_UNSURE = object()  # the line scan cannot tell: ask the real reader

_FENCE = re.compile(r"-{3,}\s*")
# A top-level key, or a line of a nested value (indented, or a list item under a key).
_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)[ \t]*:(?:[ \t]+(.*))?")
_ITEM = re.compile(r"[ \t]*(?:-[ \t]+)*(?:([A-Za-z_][A-Za-z0-9_-]*)[ \t]*:(?:[ \t]+(.*))?|(.*))")
_DOUBLE = re.compile(r'"((?:[^"\\]|\\.)*)"(?:[ \t]+#.*)?')
_SINGLE = re.compile(r"'((?:[^']|'')*)'(?:[ \t]+#.*)?")
_BLOCK = re.compile(r"[|>][-+1-9]{0,2}(?:[ \t]+#.*)?")
_PLAIN_ID = re.compile(r"([a-z0-9]+(?:-[a-z0-9]+)*)(?:[ \t]+#.*)?")
_FLOW_QUOTE = re.compile(r"[\[{,:?][ \t]*[\"']")
_INDICATORS = "\"'[]{}&*!|>%@`#,?:"


def _value_fits_its_line(value: str | None) -> bool:
    """Whether a value starts and ends on its own line (so no later line belongs to it, except
    the indented lines of a block scalar or a nested mapping, which cannot be top-level keys)."""
    if not value:
        return True
    first = value[0]
    if first == '"':
        return _DOUBLE.fullmatch(value) is not None
    if first == "'":
        return _SINGLE.fullmatch(value) is not None
    if first in "|>":
        return _BLOCK.fullmatch(value) is not None
    if first in "[{":
        # A flow collection closed on its line. A quoted item could hide a bracket: not simple;
        # a quote inside a word (`O'Brien`) starts nothing.
        return _FLOW_QUOTE.search(value) is None and \
            value.count("[") == value.count("]") and value.count("{") == value.count("}")
    if first in _INDICATORS:
        return False
    return True  # a plain scalar: its continuation lines would be indented


def scan_id(text: str, stem: str) -> object:
    """The id of a postmortem's text from its front-matter lines, or ``_UNSURE``."""
    lines = text.split("\n")
    if lines[0] != "---":
        return _UNSURE
    found: object = None
    size = 0
    for line in lines[1:]:
        size += len(line) + 1
        if size > MAX_FRONT_MATTER_BYTES:
            return _UNSURE
        if _FENCE.fullmatch(line):
            return stem if found is None else found
        if not line.strip() or line.startswith("#"):
            continue
        if line[0] in " \t-":  # inside a nested value: nothing here may run on to the next line
            nested = _ITEM.fullmatch(line)
            value = (nested.group(2) if nested.group(1) else nested.group(3)) if nested else None
            if nested is None or not _value_fits_its_line((value or "").strip()):
                return _UNSURE
            continue
        key = _KEY.fullmatch(line)
        if key is None:
            return _UNSURE
        value = (key.group(2) or "").strip()
        if not _value_fits_its_line(value):
            return _UNSURE
        if key.group(1) == "id":
            if found is not None:
                return _UNSURE  # a duplicate key: the reader refuses the file
            found = _id_value(value, stem)
            if found is _UNSURE:
                return _UNSURE
    return _UNSURE  # never closed


def _id_value(value: str, stem: str) -> object:
    """The id an ``id:`` line gives: its text, or the file name when the value is not text."""
    if not value or value.startswith("#"):
        return stem  # empty: null, not text
    double = _DOUBLE.fullmatch(value)
    if double:
        return double.group(1) if "\\" not in double.group(1) else _UNSURE
    single = _SINGLE.fullmatch(value)
    if single:
        return single.group(1).replace("''", "'")
    plain = _PLAIN_ID.fullmatch(value)
    if plain is None:
        return _UNSURE  # not an id: the schema refuses it, but only the reader knows what it is
    word = plain.group(1)
    # YAML reads some plain words as numbers, booleans, null or dates: not text, so the file name.
    return stem if _resolves_to_non_text(word) else word


def _resolves_to_non_text(word: str) -> bool:
    import yaml

    return yaml.resolver.Resolver().resolve(yaml.ScalarNode, word, (True, False)) != "tag:yaml.org,2002:str"


@dataclass
class KBIds:
    """The id of every discovered file (None: the file cannot be read as a postmortem), in
    discovery order."""

    sources: list[str] = field(default_factory=list)
    ids: list[str | None] = field(default_factory=list)

    def files_with(self, wanted: str) -> list[str]:
        return [source for source, found in zip(self.sources, self.ids) if found == wanted]

    def known(self) -> list[str]:
        """The valid ids, once each, in discovery order (what a "did you mean" hint may name)."""
        return list(dict.fromkeys(i for i in self.ids if i and is_valid_id(i)))


def read_ids(entries: list[os.DirEntry], sources: list[str], kb_root: Path,
             reader: Callable[[Path], str | None], cache: bool = True) -> KBIds:
    """The ids of the discovered files; ``reader`` gives the real id of a file the scan cannot
    read (None when it does not load). Cached in the KB's cache folder unless ``cache`` is false.

    The cache lists, in discovery order, each file's inode, mtime_ns, size and id (id 0: the
    file's name, as for most files), one list per column: the file is known by its inode, which a
    rename keeps, and read again when its size or mtime moved, as git finds changed files."""
    cache_file = kb_cache_dir(kb_root) / "ids.json"
    inodes, mtimes, sizes, values = _read_cache(cache_file) if cache else ([], [], [], [])
    known = len(inodes)
    where: dict[int, int] | None = None  # inode -> its row, once files were added, removed or moved
    out = KBIds(sources)
    found_ids = out.ids
    columns: tuple[list, list, list, list] = ([], [], [], [])
    add_inode, add_mtime, add_size, add_value = (column.append for column in columns)
    changed = known != len(entries)
    for i, entry in enumerate(entries):
        try:
            info = entry.stat()
        except OSError:
            found_ids.append(_file_id(Path(entry.path), reader))
            continue
        inode = info.st_ino
        row: int | None = i
        if i >= known or inodes[i] != inode:
            if where is None:
                where = {ino: n for n, ino in enumerate(inodes)}
            row = where.get(inode)
            changed = True
        value = values[row] if row is not None and mtimes[row] == info.st_mtime_ns and \
            sizes[row] == info.st_size else False
        stem = entry.name[:-3]
        if value is None or type(value) is str:
            found = value
        elif type(value) is int and value == 0:
            found = stem
        else:
            found = _file_id(Path(entry.path), reader)
            changed = True
        found_ids.append(found)
        add_inode(inode)
        add_mtime(info.st_mtime_ns)
        add_size(info.st_size)
        add_value(0 if found == stem else found)
    if cache and changed:
        _write_cache(cache_file, columns)
    return out


def _file_id(path: Path, reader: Callable[[Path], str | None]) -> str | None:
    try:
        data = read_regular_file(path, MAX_FILE_BYTES)
        text = decode(data, str(path))[0]
    except (FileRefused, OSError, PostmortemError):
        return None  # the loader refuses it too: it takes part in no KB-wide rule
    found = scan_id(text, path.stem)
    return reader(path) if found is _UNSURE else found  # type: ignore[return-value]


def _read_cache(path: Path) -> tuple[list, list, list, list]:
    """The cached columns (inodes, mtimes, sizes, ids), all of one length, the first three of
    whole numbers; anything else reads as no cache. Each id is checked where it is used."""
    empty: tuple[list, list, list, list] = ([], [], [], [])
    try:
        data = json.loads(path.read_bytes()) if path.is_file() else None
    except (OSError, ValueError):
        return empty
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
        return empty
    columns = data.get("files")
    if not isinstance(columns, list) or len(columns) != 4 or not all(type(c) is list for c in columns):
        return empty
    inodes, mtimes, sizes, values = columns
    if not len(inodes) == len(mtimes) == len(sizes) == len(values):
        return empty
    if not all(type(x) is int for x in inodes) or not all(type(x) is int for x in mtimes) or \
            not all(type(x) is int for x in sizes):
        return empty
    return inodes, mtimes, sizes, values


def _write_cache(path: Path, columns: tuple[list, list, list, list]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write(path, json.dumps({"version": CACHE_VERSION, "files": list(columns)}, separators=(",", ":")))
    except OSError:
        pass  # a read-only or full cache folder: the next run reads the files again
