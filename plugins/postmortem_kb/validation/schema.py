"""The schema rule: front matter against ``schema/postmortem.schema.json``, explained field by field.

Most front matter is valid, so the answer "valid" has to be cheap: a validator compiled to
Python by ``fastjsonschema`` says yes or no, and ``jsonschema`` (slower to import and to run)
is asked only to explain front matter that fails. The explanation reads jsonschema's errors
by their structure (``err.validator``, ``err.validator_value``, ``err.instance``,
``err.absolute_path``, ``err.schema``), never by their message text, which is English prose
that may change between releases.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import marshal
import re
import sys
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from ..model import TIME_FIELDS
from ..problems import Problem, plural
from ..slugs import slugify

if TYPE_CHECKING:
    import jsonschema

# Fields of other postmortem formats (e.g. the public icco/postmortems corpus) that `pmkb import` maps.
FOREIGN_FIELDS = frozenset({"start_time", "end_time", "categories", "keywords", "company", "product", "summary",
                            "uuid", "url", "source_fetched_at"})

FieldPath = tuple  # a path into the front matter: ("action_items", 2, "due")


def front_matter_schema(severities: Iterable[str] | None = None) -> dict:
    """The shipped JSON Schema, with the KB's own severity levels."""
    text = resources.files("postmortem_kb").joinpath("schema/postmortem.schema.json").read_text("utf-8")
    schema = json.loads(text)
    if severities:
        schema["properties"]["severity"]["enum"] = list(severities)
    return schema


@dataclass
class SchemaReport:
    """What the schema says about one front matter."""

    problems: list[Problem] = field(default_factory=list)
    bad_fields: set[FieldPath] = field(default_factory=set)
    """The top-level fields (as 1-tuples; ``()`` for the front matter itself) with a schema error:
    the rules after this one do not read them again."""
    left_empty: set[Problem] = field(default_factory=set)
    """Problems of optional fields left empty (as ``pmkb new`` writes them): warnings in a draft."""

    def usable(self, fm: dict, name: str) -> bool:
        """Whether a field's value passed the schema (or is absent), so later rules may read it."""
        return ((name,) not in self.bad_fields and () not in self.bad_fields) or name not in fm


def schema_problems(data: Any, lines: dict, source: str, severities: tuple[str, ...]) -> SchemaReport:
    """Check front matter (as JSON values: see ``frontmatter.to_json_value``) against the schema."""
    report = SchemaReport()
    if quick_check(severities)(data):
        return report
    errors = sorted(validator(severities).iter_errors(data),
                    key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    seen: set[tuple[int, str, str]] = set()
    for err in errors:
        report.bad_fields.add(tuple(err.absolute_path)[:1])
        for problem in explain(err, lines, source, severities):
            if (problem.line, problem.code, problem.message) in seen:
                continue
            seen.add((problem.line, problem.code, problem.message))
            report.problems.append(problem)
            if err.validator == "minLength" and err.instance == "":
                report.left_empty.add(problem)
    return report


# -- Explaining one error -----------------------------------------------------------------------

def field_name(path: Iterable[Any]) -> str:
    """``action_items[2].due`` for ``("action_items", 2, "due")``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "front matter"


_TYPE_WORDS = {"string": "text", "array": "a list", "object": "a mapping", "integer": "a whole number",
               "null": "empty", "boolean": "true/false", "number": "a number"}
_PYTHON_TYPE_WORDS = {"str": "text", "list": "a list", "dict": "a mapping", "int": "a number", "float": "a number",
                      "bool": "true/false", "NoneType": "empty"}
SCHEMA_HINT = "`pmkb schema` prints the fields and the values each allows"
_EXAMPLES = {"title": "title: Checkout errors after deploy", "date": "date: 2024-03-14"}


@dataclass(frozen=True)
class _Error:
    """One jsonschema error, located: what every explanation below reads."""

    err: jsonschema.ValidationError
    where: FieldPath
    line: int
    name: str
    source: str
    lines: dict
    severities: tuple[str, ...]

    def problem(self, code: str, message: str, hint: str, line: int | None = None) -> Problem:
        return Problem(self.source, self.line if line is None else line, code, message, hint)


def explain(err: jsonschema.ValidationError, lines: dict, source: str,
            severities: tuple[str, ...]) -> list[Problem]:
    """The problems one jsonschema error stands for, by the keyword that failed."""
    where = tuple(err.absolute_path)
    line = next((lines[where[:i]] for i in range(len(where), 0, -1) if where[:i] in lines), 2)
    found = _Error(err, where, line, field_name(where), source, lines, severities)
    rule = _EXPLAIN.get(str(err.validator))
    problems = rule(found) if rule is not None else None
    if problems is None:
        problems = [found.problem("invalid-value", f"`{found.name}`: {err.message[:200]}", SCHEMA_HINT)]
    return problems


def _required(e: _Error) -> list[Problem]:
    # One error per missing property, all with the same list: report each missing one (duplicates
    # are dropped by the caller).
    instance = e.err.instance if isinstance(e.err.instance, dict) else {}
    missing = [str(name) for name in e.err.validator_value if name not in instance]
    examples = {**_EXAMPLES, "severity": f"severity: {e.severities[0] if e.severities else 'SEV1'}"}
    return [e.problem("missing-field", f"`{field_name(e.where + (name,))}` is required",
                      f"add `{examples.get(name, name + ': ...')}`") for name in missing]


def _additional_properties(e: _Error) -> list[Problem]:
    instance = e.err.instance if isinstance(e.err.instance, dict) else {}
    known = list(e.err.schema.get("properties", {}))
    patterns = list(e.err.schema.get("patternProperties", {}))
    extras = [str(key) for key in instance
              if key not in known and not any(re.search(p, str(key)) for p in patterns)]
    out = []
    for key in extras:
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"did you mean `{close[0]}`?" if close else f"known fields: {', '.join(known)}"
        if not e.where and key in FOREIGN_FIELDS:
            hint = "this looks like another tool's front matter: convert the file with `pmkb import FILE`"
        out.append(e.problem("unknown-field", f"`{field_name(e.where + (key,))}` is not a postmortem field", hint,
                             line=e.lines.get(e.where + (key,), e.line)))
    return out


def _is_date_field(e: _Error) -> bool:
    return bool(e.where) and e.where[-1] in ("date", "due")


def _type(e: _Error) -> list[Problem]:
    instance = e.err.instance
    if _is_date_field(e):
        return [e.problem("invalid-date", f"`{e.name}` must be a date, not {instance!r}",
                          "write a real date as YYYY-MM-DD, e.g. 2024-03-14")]
    value = e.err.validator_value
    want = [str(w) for w in value] if isinstance(value, list) else [str(value)]
    words = " or ".join(_TYPE_WORDS.get(w, w) for w in want)
    got = type(instance).__name__
    hint = "write a list: `[a, b]` or one `- item` per line" if "array" in want else (
        "quote it: \"...\"" if "string" in want else SCHEMA_HINT)
    return [e.problem("wrong-type", f"`{e.name}` must be {words}, not {_PYTHON_TYPE_WORDS.get(got, got)}", hint)]


def _enum(e: _Error) -> list[Problem]:
    instance = e.err.instance
    allowed_values = [str(x) for x in e.err.validator_value]
    allowed = ", ".join(allowed_values)
    if isinstance(instance, str) and instance.strip().upper() == "TODO":
        return [e.problem("todo", f"`{e.name}` still says TODO", f"use one of: {allowed}")]
    close = difflib.get_close_matches(str(instance), allowed_values, n=1)
    hint = f"did you mean `{close[0]}`?" if close else f"use one of: {allowed}"
    return [e.problem("invalid-value", f"`{e.name}` is `{instance}`; allowed: {allowed}", hint)]


def _pattern(e: _Error) -> list[Problem] | None:
    """``pattern``, ``format`` and ``anyOf`` (a date or empty): what the field is decides the code."""
    instance = e.err.instance
    if _is_date_field(e) or e.err.validator == "format":
        return [e.problem("invalid-date", f"`{e.name}` is `{instance}`, not a date", "write a real date as YYYY-MM-DD")]
    if "id" in e.where or (e.where and e.where[0] == "related"):
        return [e.problem("invalid-id", f"`{e.name}` is `{instance}`: ids are lowercase letters, digits and "
                          "single dashes", f"use `{slugify(str(instance))}`")]
    if e.where and e.where[-1] in TIME_FIELDS:
        return [e.problem("invalid-time", f"`{e.name}` is `{instance}`, not an ISO 8601 time",
                          "write YYYY-MM-DDTHH:MM+HH:MM, e.g. 2024-03-14T10:44:00+03:00")]
    return None


def _items_length(e: _Error) -> list[Problem]:
    size = len(e.err.instance) if isinstance(e.err.instance, list) else 0
    fewest = e.err.validator == "minItems"
    return [e.problem("invalid-length",
                      f"`{e.name}` has {plural(size, 'item')}; {'at least' if fewest else 'at most'} "
                      f"{e.err.validator_value} allowed", "add at least one" if fewest else "list only what matters")]


def _text_length(e: _Error) -> list[Problem]:
    shortest = e.err.validator == "minLength"
    if shortest and e.err.validator_value == 1:
        return [e.problem("invalid-length", f"`{e.name}` is empty", "fill it in, or remove the line")]
    return [e.problem("invalid-length",
                      f"`{e.name}` must be {'at least' if shortest else 'at most'} {e.err.validator_value} characters",
                      "fill it in" if shortest else "shorten it, or move long text into the body")]


_EXPLAIN: dict[str, Callable[[_Error], list[Problem] | None]] = {
    "required": _required, "additionalProperties": _additional_properties, "type": _type, "enum": _enum,
    "pattern": _pattern, "format": _pattern, "anyOf": _pattern,
    "maxItems": _items_length, "minItems": _items_length, "maxLength": _text_length, "minLength": _text_length,
}


# -- The two validators --------------------------------------------------------------------------

@lru_cache(maxsize=8)
def validator(severities: tuple[str, ...]) -> jsonschema.protocols.Validator:
    """jsonschema's validator of the schema: the one that explains (imported only when needed)."""
    import jsonschema

    schema = front_matter_schema(severities)
    cls = jsonschema.validators.validator_for(schema)
    # Resolving a `$ref` costs more than checking the value it points to; inlined, the
    # same checks run in half the time.
    return cls(inline_refs(schema), format_checker=cls.FORMAT_CHECKER)


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


def is_date(value: object) -> bool:
    """The ``date`` format, as jsonschema checks it (RFC 3339 full-date); a test keeps the two equal."""
    import datetime as dt

    if not isinstance(value, str):
        return True
    if not _DATE.fullmatch(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


# The formats the quick check knows without jsonschema; any other sends it to jsonschema's checker.
_OWN_FORMATS: dict[str, Callable[[object], bool]] = {"date": is_date}


@lru_cache(maxsize=8)
def quick_check(severities: tuple[str, ...]) -> Callable[[Any], bool]:
    """A yes/no schema check; jsonschema then explains only the front matter that fails it."""
    schema = inline_refs(front_matter_schema(severities))
    schema = {k: v for k, v in schema.items() if k not in ("$schema", "$id")}
    try:
        import fastjsonschema
    except ImportError:  # pragma: no cover - jsonschema alone gives the same answers
        return validator(severities).is_valid
    if not keywords(schema) <= SHARED_KEYWORDS:
        # A keyword fastjsonschema (draft 7) might read otherwise, or ignore: no short cut.
        return validator(severities).is_valid
    used = formats_used(schema)
    if used <= set(_OWN_FORMATS):
        formats = {name: _OWN_FORMATS[name] for name in used}
    else:
        checker = validator(severities).format_checker
        assert checker is not None  # the validator is made with one

        def conforms(name: str) -> Callable[[object], bool]:
            return lambda value: checker.conforms(value, name)

        formats = {name: conforms(name) for name in used}
    try:
        compiled = _compiled(schema, formats)
    except fastjsonschema.JsonSchemaException:
        return validator(severities).is_valid

    def check(value: Any) -> bool:
        try:
            compiled(value)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    return check


def _compiled(schema: dict, formats: dict[str, Callable[[object], bool]]) -> Callable[[Any], Any]:
    """fastjsonschema's validator of ``schema``. Generating and compiling its code takes longer
    than checking a postmortem (10 ms), so the compiled code is kept in the user's cache folder,
    as Python keeps its own bytecode in ``__pycache__``, keyed by everything it depends on."""
    import fastjsonschema

    from ..files import atomic_write, cache_root

    key = hashlib.sha256(json.dumps([schema, sorted(formats), fastjsonschema.VERSION, sys.version],
                                    sort_keys=True, default=str).encode()).hexdigest()[:32]
    cached = cache_root() / "schema" / f"front-matter-{key}.marshal"
    code = None
    try:
        code = marshal.loads(cached.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        pass
    if not isinstance(code, types.CodeType):
        code = compile(fastjsonschema.compile_to_code(schema, formats=formats), "<front-matter schema>", "exec")
        try:
            cached.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            atomic_write(cached, marshal.dumps(code))
        except OSError:
            pass  # no cache: compiled again next time
    namespace: dict[str, Any] = {}
    exec(code, namespace)
    return functools.partial(namespace["validate"], custom_formats=formats)


ANNOTATIONS = frozenset({"description", "default", "title", "$comment", "examples"})
# Keywords that mean the same to jsonschema (2020-12) and fastjsonschema (draft 7).
SHARED_KEYWORDS = ANNOTATIONS | {
    "type", "properties", "required", "additionalProperties", "items", "enum", "const", "pattern", "format",
    "maxLength", "minLength", "maxItems", "minItems", "anyOf", "allOf", "oneOf", "not",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "maxProperties", "minProperties"}


def keywords(schema: Any) -> set[str]:
    """Every keyword used anywhere in a schema (property names are not keywords)."""
    found: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            found.add(key)
            if key in ("enum", "const") and not all(isinstance(v, str) for v in (value if key == "enum" else [value])):
                found.add(f"{key} of non-text values")  # 1 == True in Python, not in JSON Schema
            if key == "properties" and isinstance(value, dict):
                for sub in value.values():
                    found |= keywords(sub)
            elif key not in ("enum", "const", "default", "examples", "required"):
                found |= keywords(value)
    elif isinstance(schema, list):
        for item in schema:
            found |= keywords(item)
    return found


def formats_used(schema: Any) -> set[str]:
    """The ``format`` names a schema uses."""
    found: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "format" and isinstance(value, str):
                found.add(value)
            elif key not in ("enum", "const", "default", "examples", "required"):
                found |= formats_used(value)
    elif isinstance(schema, list):
        for item in schema:
            found |= formats_used(item)
    return found


def inline_refs(schema: dict) -> dict:
    """The schema with its local ``#/$defs/...`` references replaced by what they name."""
    defs = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(x) for x in node]
        if not isinstance(node, dict):
            return node
        node = {k: walk(v) for k, v in node.items() if k != "$defs"}
        ref = node.get("$ref")
        if not (isinstance(ref, str) and ref.startswith("#/$defs/") and ref[8:] in defs):
            return node
        target = walk(defs[ref[8:]])
        rest = {k: v for k, v in node.items() if k != "$ref"}
        if (set(rest) & set(target)) - ANNOTATIONS:
            return {"allOf": [target, rest]}  # both say the same keyword: keep both checks
        return {**target, **rest}

    return walk(schema)
