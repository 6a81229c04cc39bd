"""Every problem code, once: its default severity, its default hint and what it means.

A code is a stable name writers and CI scripts rely on (`pmkb validate --format json`),
so codes are never invented at the place a problem is found: they are listed here, and
docs/format.md's "Error codes" table is checked against this list by a test
(tests/unit/test_validation_codes.py). To add a code: add one ``Code(...)`` line in the
group it belongs to, and the code to the matching row of that table.

``severity`` is the usual one; a rule may report a code at the other level when the
context says so (an empty optional section is a warning, an empty required one an error;
``--lenient`` makes an unknown term a warning).
"""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Code:
    code: str
    severity: str
    hint: str
    meaning: str


# Where a writer reads what a field allows: the CLI prints it (installed users have no docs folder).
SCHEMA_HINT = "`pmkb schema` prints the fields and the values each allows"

_CODES = (
    # Reading the file
    Code("empty-file", ERROR, "start from `pmkb new \"Title\"` or delete the file", "the file is empty"),
    Code("binary-file", ERROR, "postmortems are UTF-8 Markdown; remove the file or save it as text",
         "the file contains NUL bytes"),
    Code("not-utf8", ERROR, "save the file as UTF-8", "the file is not valid UTF-8"),
    Code("file-too-large", ERROR, "move logs and dumps out of the postmortem and link to them",
         "the file is over the size limit"),
    Code("not-a-file", ERROR, "remove it from the postmortems folder",
         "a device, FIFO, socket or folder where a postmortem file is expected"),
    Code("symlink-loop", ERROR, "remove the link", "a symlink that leads back to itself"),
    Code("unreadable", ERROR, "check the file exists and is readable", "the file cannot be read"),
    # The front-matter block
    Code("missing-front-matter", ERROR, "put `---`, the fields, then `---` at the top",
         "the file does not start with a `---` block"),
    Code("unterminated-front-matter", ERROR, "add a line `---` after the last front-matter field",
         "the front matter is never closed"),
    Code("empty-front-matter", ERROR, "add at least title, date and severity", "the front matter is empty"),
    Code("front-matter-not-mapping", ERROR, "write one `field: value` per line",
         "the front matter is a list or a single value"),
    Code("foreign-front-matter", ERROR, "convert the file with `pmkb import FILE`",
         "TOML (`+++`) or JSON front matter in the KB, whose format is YAML"),
    Code("front-matter-syntax", ERROR, "check the syntax on this line",
         "TOML or JSON front matter that does not parse"),
    # Safe YAML
    Code("yaml-syntax", ERROR, "check the YAML syntax on this line", "the front matter is not valid YAML"),
    Code("toml-syntax", ERROR, "check the TOML syntax on this line", "`+++` front matter is not valid TOML"),
    Code("json-syntax", ERROR, "check the JSON syntax on this line", "`{ }` front matter is not valid JSON"),
    Code("duplicate-key", ERROR, "keep one of them", "a key appears twice"),
    Code("yaml-alias", ERROR, "write the value out in full", "YAML anchors and aliases are refused"),
    Code("yaml-unsafe-tag", ERROR, "front matter holds plain values only", "a YAML `!!tag` is refused"),
    Code("invalid-key", ERROR, "write `name: value`", "a key is not a plain word (merge key, list...)"),
    Code("too-deep", ERROR, "front-matter fields are at most a list of mappings", "values nested too deep"),
    Code("front-matter-too-large", ERROR, "keep long text in the body", "the front matter is over its limit"),
    # Fields
    Code("missing-field", ERROR, "add the field", "a required field is missing"),
    Code("unknown-field", ERROR, "check the spelling", "a field that is not part of the format"),
    Code("wrong-type", ERROR, SCHEMA_HINT, "a value of the wrong type"),
    Code("invalid-value", ERROR, SCHEMA_HINT, "a value that is not allowed"),
    Code("invalid-date", ERROR, "write a real date as YYYY-MM-DD", "a date that is not a real date"),
    Code("invalid-time", ERROR, "write YYYY-MM-DDTHH:MM+HH:MM", "a time that cannot be read"),
    Code("invalid-id", ERROR, "use lowercase letters, digits and single dashes", "an id that is not a slug"),
    Code("invalid-length", ERROR, SCHEMA_HINT, "a value or list too short or too long"),
    Code("invalid-timezone", ERROR, "write an offset like +03:00 or a name like Europe/Berlin",
         "the timezone is not known"),
    Code("unsafe-url", ERROR, "give the ticket id (OPS-123) or an https:// link",
         "a javascript:, data:, vbscript: or file: link"),
    # Times
    Code("timeline-backwards", ERROR, "put the entries in order", "a timeline entry earlier than the one before"),
    Code("negative-duration", ERROR, "check the times, dates and timezone", "a key moment before the start"),
    Code("moment-order", ERROR, "check the [detected] and [resolved] times", "resolved before detected"),
    Code("duplicate-moment", WARNING, "mark only one entry per key moment", "a key moment marked twice"),
    Code("duration-mismatch", WARNING, "correct the sentence or the timeline",
         "a duration stated in the write-up disagrees with the timeline"),
    # Across the KB
    Code("duplicate-id", ERROR, "give one of them another id", "two postmortems with one id"),
    Code("unknown-related", ERROR, "use the id of an existing postmortem", "a `related` id that does not exist"),
    Code("related-self", ERROR, "remove its own id from `related`", "a postmortem lists itself as related"),
    # Terms and placeholders
    Code("unknown-term", ERROR, "use a key or alias from taxonomy.yml", "a term not in the taxonomy"),
    Code("todo", ERROR, "fill it in", "a field, section or entry still saying TODO"),
    # The body
    Code("missing-section", ERROR, "add the section with a few sentences", "a required section is missing"),
    Code("empty-section", ERROR, "write what happened here", "a section with no text"),
    Code("repeated-text", WARNING, "say what this section adds", "a paragraph copied into another section"),
    Code("broken-link", WARNING, "fix the path to the other postmortem", "a link to a .md file that does not exist"),
    Code("control-character", ERROR, "delete it; only tab and newline are allowed",
         "a value or a line of the write-up holds a control character"),
    Code("too-many-headings", ERROR, "use headings for sections; long step lists as a list or table",
         "more headings than the limit"),
    Code("too-deep-markdown", ERROR, "flatten it", "lists, quotes or HTML nested deeper than the limit"),
    Code("unbalanced-brackets", ERROR, "close each `[` and link `(`, or write `\\[`",
         "unclosed brackets that make Markdown read far ahead"),
    Code("missing-attachment", WARNING, "add the file next to the postmortem or fix the path",
         "a linked file the site cannot publish"),
    Code("unsafe-attachment", ERROR, "keep attachments as plain files next to the postmortem",
         "a link to a file outside the postmortems folder, hidden, or a postmortem source"),
    # The KB's files
    Code("symlink", ERROR, "move the postmortems into the KB", "a symlinked folder is not followed"),
    Code("symlink-outside", ERROR, "copy the postmortem into the KB", "a symlink to a file outside the KB"),
    Code("no-postmortems-dir", ERROR, "create it, or point --kb at the KB root", "no postmortems folder"),
    Code("taxonomy-invalid", ERROR, "follow the shape of the commented taxonomy.yml that `pmkb init` writes",
         "taxonomy.yml is not valid"),
    Code("taxonomy-missing", ERROR, "create it or fix the path in the configuration",
         "the configured taxonomy file does not exist"),
    Code("taxonomy-unreadable", ERROR, "save taxonomy.yml as UTF-8 text", "taxonomy.yml cannot be read"),
)

CODES: dict[str, Code] = {c.code: c for c in _CODES}


def lookup(code: str) -> Code:
    """The registered code; an unregistered one is a programming error, found by the tests."""
    try:
        return CODES[code]
    except KeyError:
        raise KeyError(f"problem code {code!r} is not registered in postmortem_kb/codes.py") from None
