"""The KB's vocabulary: severities, root-cause categories, components and action categories.

Postmortems name a term by its key or any alias; both are compared as slugs so
``"Hardware Failure"``, ``hardware_failure`` and ``hardware-failure`` are one term.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from .frontmatter import parse_yaml
from .model import FACETS
from .problems import PostmortemError, Problem
from .slugs import slugify
from .validation.content import control_characters_in_text, control_characters_in_values

KINDS = tuple(f.key for f in FACETS)
KIND_TITLES = {f.key: f.title for f in FACETS}
KIND_SINGULAR = {f.key: f.singular for f in FACETS}
DEFAULT_SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
SEVERITY_ID = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
MAX_TAXONOMY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Term:
    kind: str
    slug: str
    title: str
    description: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Severity:
    id: str
    title: str = ""
    description: str = ""
    rank: int = 0  # 0 is the most severe


@dataclass
class Taxonomy:
    severities: list[Severity] = field(default_factory=lambda: [
        Severity(s, s, "", i) for i, s in enumerate(DEFAULT_SEVERITIES)])
    terms: dict[str, dict[str, Term]] = field(default_factory=lambda: {k: {} for k in KINDS})
    path: str | None = None
    _lookup: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._index()

    def _index(self) -> None:
        self._lookup = {}
        for kind in KINDS:
            table: dict[str, str] = {}
            for term in self.terms.get(kind, {}).values():
                table[term.slug] = term.slug
                for alias in term.aliases:
                    table.setdefault(slugify(alias), term.slug)
            self._lookup[kind] = table

    @property
    def severity_ids(self) -> list[str]:
        return [s.id for s in self.severities]

    def severity(self, sid: str) -> Severity | None:
        return next((s for s in self.severities if s.id == sid), None)

    def is_open(self, kind: str) -> bool:
        """A kind with no terms listed accepts any term (a KB without a taxonomy yet)."""
        return not self.terms.get(kind)

    def resolve(self, kind: str, value: str) -> str | None:
        """The term slug a written value stands for, or None when unknown."""
        slug = slugify(value)
        if self.is_open(kind):
            return slug or None
        return self._lookup[kind].get(slug)

    def suggest(self, kind: str, value: str) -> list[str]:
        names = list(self._lookup.get(kind, {}))
        close = difflib.get_close_matches(slugify(value), names, n=3, cutoff=0.6)
        out: list[str] = []
        for name in close:
            slug = self._lookup[kind][name]
            if slug not in out:
                out.append(slug)
        return out

    def term(self, kind: str, slug: str) -> Term:
        """The term for a slug; terms of an open kind get a title from their slug."""
        found = self.terms.get(kind, {}).get(slug)
        return found or Term(kind, slug, slug.replace("-", " ").capitalize())


def load_taxonomy(path: Path | None, *, required: bool = False, shown: str | None = None) -> Taxonomy:
    """Read taxonomy.yml; a missing file gives the default severities and open term lists,
    unless the configuration names it (``required``): then it is a ``taxonomy-missing`` problem.

    Every term must make a URL: severity ids are words of letters and digits (``SEV2``, not
    ``Sev 2``), keys slug to distinct non-empty slugs, and no alias stands for two terms.
    ``shown`` is the path problems name (default: the file name)."""
    if path is None or not path.exists():
        if path is not None and required:
            raise PostmortemError([Problem(shown or path.name, 1, "taxonomy-missing",
                                           f"the configured taxonomy `{shown or path.name}` does not exist",
                                           "create it (`pmkb init` writes one) or fix the path in the configuration")])
        return Taxonomy(path=str(path) if path else None)
    shown = shown or path.name
    try:
        if not path.is_file():
            raise IsADirectoryError(f"`{shown}` is not a regular file")
        if path.stat().st_size > MAX_TAXONOMY_BYTES:
            raise OSError(f"`{shown}` is over {MAX_TAXONOMY_BYTES // 1024} KiB")
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise PostmortemError([Problem(shown, 1, "taxonomy-unreadable", str(exc),
                                       "save taxonomy.yml as UTF-8 text")]) from None
    problems: list[Problem] = []
    problems.extend(control_characters_in_text(text, 1, shown, "taxonomy.yml"))
    if problems:
        raise PostmortemError(problems)
    data, lines = parse_yaml(text, shown, first_line=1)
    data = data or {}
    problems.extend(control_characters_in_values(
        data, lambda where: next((lines[where[:i]] for i in range(len(where), 0, -1) if where[:i] in lines), 1),
        shown))

    def bad(where: tuple, message: str, hint: str = "") -> None:
        line = next((lines[where[:i]] for i in range(len(where), 0, -1) if where[:i] in lines), 1)
        problems.append(Problem(shown, line, "taxonomy-invalid", message, hint))

    if not isinstance(data, dict):
        bad((), "taxonomy.yml must be a mapping of severities, root_causes, components, actions")
        raise PostmortemError(problems)
    severities: list[Severity] = []
    raw_sev = data.get("severities")
    if raw_sev is not None:
        if not isinstance(raw_sev, list) or not raw_sev:
            bad(("severities",), "severities must be a non-empty list", "- id: SEV1")
        else:
            for i, item in enumerate(raw_sev):
                if isinstance(item, str):
                    item = {"id": item}
                if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                    bad(("severities", i), "each severity needs an id", "- id: SEV1")
                    continue
                if not SEVERITY_ID.fullmatch(item["id"]):
                    bad(("severities", i, "id"), f"the severity id `{item['id']}` is not a word of letters, digits "
                        "and single dashes: it is used in URLs and in the page's markup",
                        f"write `{slugify(item['id']).upper() or 'SEV1'}`")
                    continue
                taken = next((s.id for s in severities if slugify(s.id) == slugify(item["id"])), None)
                if taken is not None:
                    bad(("severities", i, "id"), f"the severity `{item['id']}` has the same URL as `{taken}`",
                        "give each severity a distinct id")
                    continue
                if not all(isinstance(item.get(k), (str, type(None))) for k in ("title", "description")):
                    bad(("severities", i), "a severity's title and description are text")
                    continue
                severities.append(Severity(item["id"], str(item.get("title") or item["id"]),
                                           str(item.get("description") or ""), i))
    terms: dict[str, dict[str, Term]] = {k: {} for k in KINDS}
    for kind in KINDS:
        raw = data.get(kind) or {}
        if not isinstance(raw, dict):
            bad((kind,), f"{kind} must be a mapping of key: {{title, description, aliases}}")
            continue
        alias_owner: dict[str, str] = {}
        for key, spec in raw.items():
            spec = spec if isinstance(spec, dict) else {"title": spec} if isinstance(spec, str) else {}
            slug = slugify(key)
            if not slug:
                bad((kind, key), f"`{key}` cannot be made into a URL slug")
                continue
            if slug in terms[kind]:
                bad((kind, key), f"`{key}` has the same URL (`{slug}`) as another {KIND_SINGULAR[kind]}",
                    "merge the two terms, or make one of them an alias of the other")
                continue
            if not all(isinstance(spec.get(k), (str, type(None))) for k in ("title", "description")):
                bad((kind, key), "a term's title and description are text")
                continue
            aliases = spec.get("aliases") or []
            if not isinstance(aliases, list) or not all(isinstance(a, (str, int, float)) for a in aliases):
                bad((kind, key, "aliases"), "aliases must be a list of words")
                aliases = []
            for j, alias in enumerate(aliases):
                other = alias_owner.get(slugify(alias))
                if not slugify(alias):
                    bad((kind, key, "aliases", j), f"the alias `{alias}` cannot be made into a URL slug")
                elif other is not None and other != slug:
                    bad((kind, key, "aliases", j), f"the alias `{alias}` also names `{other}`",
                        "an alias stands for one term: remove it from one of them")
                else:
                    alias_owner[slugify(alias)] = slug
            if alias_owner.setdefault(slug, slug) != slug:
                bad((kind, key), f"`{key}` is already an alias of `{alias_owner[slug]}`",
                    "an alias stands for one term: remove it from that term")
            terms[kind][slug] = Term(kind, slug, str(spec.get("title") or key),
                                     str(spec.get("description") or ""),
                                     tuple(str(a) for a in aliases))
    if problems:
        raise PostmortemError(problems)
    tax = Taxonomy(terms=terms, path=str(path))
    if severities:
        tax.severities = severities
    return tax
