"""The one Jinja environment of the site: page templates, chart templates, a site's overrides.

Templates are autoescaped, and more: a generated page is Markdown that the site's own Markdown
extensions read, so a value a writer controls must not be read as Markdown syntax either. An
action item titled ``Rotate certs {: autofocus onfocus=alert(1) }`` would otherwise become an
event handler with ``attr_list``; ``--8<-- ".git/config"`` would publish a file with
``pymdownx.snippets``; ``[x](javascript:...)`` would become a link. So every value printed by
``{{ ... }}`` (and every item joined by ``| join``) is HTML-escaped *and* has the characters
that start Markdown syntax turned into numeric character references (``{`` -> ``&#123;``).
Browsers show them as written; Markdown and its extensions see no syntax: Python-Markdown
keeps character references as they are, in text and in raw HTML alike. Newlines are
references too, so no value can start a line (lists, headings, admonitions, snippets, tabs,
definition lists, abbreviations and footnote definitions all start one), and a value that
begins with a character that means something at the start of a line has it encoded.

What a template marks ``| safe`` or gets as ``Markup`` (drawn charts, rendered and sanitized
write-ups, URLs we build from slugs) is printed as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from ..charts import number
from ..inline import to_html as inline_html
from ..timeline import format_duration

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
SHIPPED = TEMPLATES / "site"

# Every character that starts inline syntax of Python-Markdown or of a common extension:
# \ ` * _ (emphasis, code, escapes), [ ] (links, footnotes, [TOC], abbreviations), { }
# (attr_list, includes, macros, critic), | (tables), ~ ^ = + (pymdownx tilde, caret, mark,
# keys, critic), : (emoji, definition lists, attr_list), $ (arithmatex), @ (magiclink
# mentions), and line breaks.
_ENTITIES = {c: f"&#{ord(c)};" for c in "\\`*_{}[]|~^=+:$@\n\r"}
_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;", **_ENTITIES})
# What means something at the start of a line: indentation, headings, lists, admonitions (!!!),
# details (???), blocks (///), horizontal rules and setext underlines, ordered lists.
_LINE_START = re.compile(r"[ \t#!?/-]|\d+[.)](?:\s|$)")


def escape_value(value: Any) -> Markup:
    """``value`` safe in a generated page's HTML and in the Markdown around it."""
    if hasattr(value, "__html__"):
        return Markup(value.__html__())
    text = str(value)
    escaped = text.translate(_ESCAPE)
    if _LINE_START.match(text):
        escaped = f"&#{ord(text[0])};" + escaped[1:] if text[0] not in "&<>\"'" else escaped
    return Markup(escaped)


def _finalize(value: Any) -> Any:
    # Numbers, None and booleans print as Jinja prints them; everything else is escaped for both.
    if value is None or isinstance(value, (bool, int, float)) or hasattr(value, "__html__"):
        return value
    return escape_value(value)


def _join(items: Iterable[Any], separator: str = "", attribute: str | None = None) -> Markup:
    values = [getattr(i, attribute) for i in items] if attribute else list(items)
    return escape_value(separator).join(escape_value(v) for v in values)


def environment(override_dirs: Iterable[str | Path | None] = ()) -> jinja2.Environment:
    """Templates from ``override_dirs`` (a site's own folders, in order) before the shipped ones.

    Page templates are found by name (``incident.md.j2``), chart templates under ``charts/``,
    in the overrides first."""
    dirs = [str(d) for d in override_dirs if d and Path(d).is_dir()] + [str(SHIPPED), str(TEMPLATES)]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(dirs), autoescape=True, trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             finalize=_finalize)
    env.filters["join"] = _join
    env.filters["e"] = env.filters["escape"] = escape_value
    env.globals["duration"] = format_duration
    env.globals["inline"] = inline_html  # a writer's inline Markdown in a value, drawn and escaped
    env.filters["n"] = number  # the chart templates' coordinates
    from .drawing import GLOBALS

    env.globals.update(GLOBALS)  # what _macros.html.j2 exports as severity_badge, term_links...
    return env


# Page templates that are also drawn in Python, for speed: the drawer gives the template's output
# byte for byte from the same context (tests/site/test_site_drawing.py compares the two). A site
# that overrides the template, or the macros it imports, gets its own template rendered instead.
Drawer = Callable[..., str]
DRAWERS: dict[str, Drawer] = {}


def draws(name: str) -> Callable[[Drawer], Drawer]:
    """Register ``function`` as the Python drawing of the shipped page template ``name``."""

    def register(function: Drawer) -> Drawer:
        DRAWERS[name] = function
        return function

    return register


def python_drawer(env: jinja2.Environment, name: str) -> Drawer | None:
    """The Python drawing of template ``name``, if it has one and the site uses the shipped template."""
    function = DRAWERS.get(name)
    if function is None:
        return None
    for shipped in (name, "_macros.html.j2"):
        # Where the loader finds the template (its source only: compiling it would cost more than
        # the drawing saves on a small site).
        try:
            filename = env.loader.get_source(env, shipped)[1] if env.loader is not None else None
        except jinja2.TemplateNotFound:
            return None
        if filename is None or Path(filename).resolve() != (SHIPPED / shipped).resolve():
            return None
    return function
