"""``pmkb import``: existing postmortems (plain text, Markdown, other tools' front matter) into the KB.

The import never invents: what a document does not say is written as ``TODO`` for the
validator to report, and the report says per file what was found, what was inferred
(and from what) and what is missing. See docs/import.md.
"""

from .compose import ImportedPostmortem, import_document, strip_added_markers
from .reading import KINDS, detect_kind
from .report import FileReport, format_report, reports_json, summary_table

__all__ = ["KINDS", "FileReport", "ImportedPostmortem", "detect_kind", "format_report", "import_document",
           "reports_json", "strip_added_markers", "summary_table"]
