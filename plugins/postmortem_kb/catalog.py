"""The KB as data: the catalog behind ``catalog.json``, ``pmkb export`` and the CSV exports.

Tools around the KB read the catalog instead of scraping pages. Only what the caller passes is
exported (the site passes what it publishes), newest first, and nothing in it depends on the
time of the build, so the same KB always gives the same bytes.

Where the incidents are on the site (their URLs) is asked of a ``urls`` object (the site's
:class:`postmortem_kb.site.urls.Urls`), so this module knows nothing of pages.

CSV is written for spreadsheets, which run a cell that starts with ``=`` as a formula (and
``+``, ``-``, ``@``, a tab or a carriage return too), and which in many locales split cells on
``;``: :func:`csv_safe` neutralises such a cell, and each ``;``-separated part of it, with a
leading apostrophe (OWASP's advice), and :func:`to_csv` quotes every text cell.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable
from importlib import metadata, resources
from typing import Any, Protocol

from .model import Postmortem
from .taxonomy import Taxonomy

CATALOG_SCHEMA = "catalog.schema.json"


class SiteUrls(Protocol):
    site_url: str

    def absolute(self, path: str) -> str: ...
    def incident(self, pm_id: str) -> str: ...
    def incident_json(self, pm_id: str) -> str: ...
    def feed(self, kind: str, slug: str) -> str: ...


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _terms(taxonomy: Taxonomy, kind: str, slugs: Iterable[str], urls: SiteUrls) -> list[dict[str, str]]:
    return [{"slug": s, "title": taxonomy.term(kind, s).title, "feed": urls.feed(kind, s)} for s in slugs]


def incident_record(pm: Postmortem, taxonomy: Taxonomy, as_of: dt.date, urls: SiteUrls) -> dict[str, Any]:
    """One postmortem as catalog data: metadata, metrics, action items and URLs."""
    severity = taxonomy.severity(pm.severity)
    m = pm.metrics
    return {
        "id": pm.id,
        "title": pm.title,
        "date": pm.date.isoformat(),
        "severity": pm.severity,
        "severity_title": severity.title if severity else pm.severity,
        "status": pm.status,
        "summary": pm.summary,
        "impact": pm.impact,
        "trigger": pm.trigger,
        "detection": pm.detection,
        "authors": list(pm.authors),
        "root_causes": _terms(taxonomy, "root_causes", pm.root_causes, urls),
        "components": _terms(taxonomy, "components", pm.components, urls),
        "actions": list(pm.actions),
        "tags": list(pm.tags),
        "related": list(pm.related),
        "timezone": pm.timezone,
        "metrics": {
            "started_at": _iso(m.started_at), "detected_at": _iso(m.detected_at),
            "mitigated_at": _iso(m.mitigated_at), "resolved_at": _iso(m.resolved_at),
            **m.minutes(),
        },
        "action_items": [{
            "title": a.title, "type": a.type, "action": a.action, "owner": a.owner, "status": a.status,
            "due": _iso(a.due), "ticket": a.ticket, "overdue": a.is_overdue(as_of),
        } for a in pm.action_items],
        "source": pm.source,
        "url": urls.incident(pm.id),
        "json_url": urls.incident_json(pm.id),
    }


def _version() -> str:
    try:
        return metadata.version("postmortem-kb")
    except metadata.PackageNotFoundError:
        return "0"


def catalog(postmortems: Iterable[Postmortem], taxonomy: Taxonomy, as_of: dt.date, urls: SiteUrls) -> dict[str, Any]:
    """The whole catalog, in the order of ``postmortems`` (newest first, as the loader gives them)."""
    records = [incident_record(pm, taxonomy, as_of, urls) for pm in postmortems]
    return {
        "$schema": urls.absolute(CATALOG_SCHEMA),
        "generator": f"postmortem-kb {_version()}",
        "site_url": urls.site_url or None,
        "as_of": as_of.isoformat(),
        "count": len(records),
        "postmortems": records,
    }


def catalog_schema() -> dict[str, Any]:
    """The JSON Schema of catalog.json, shipped in the package."""
    text = resources.files("postmortem_kb").joinpath("schema/catalog.schema.json").read_text("utf-8")
    return json.loads(text)


def to_json(data: Any, compact: bool = False) -> str:
    """Stable JSON text; ``compact`` for the catalog, which grows with the KB (a third smaller).

    Text that UTF-8 cannot carry (a lone surrogate from a YAML ``"\\ud800"``) is written as a
    JSON escape instead of failing the build."""
    options: dict[str, Any] = {"separators": (",", ":")} if compact else {"indent": 2}
    text = json.dumps(data, ensure_ascii=False, **options) + "\n"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data, ensure_ascii=True, **options) + "\n"
    return text


# --- CSV ------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
LIST_SEPARATOR = ";"


def csv_safe(value: Any) -> Any:
    """A cell a spreadsheet shows as text: when the text, or any ``;``-separated part of it,
    starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (after spaces), that part
    gets a leading apostrophe. Numbers and None are left as they are (they are not formulas)."""
    if not isinstance(value, str):
        return value
    if not any(c in value for c in "=+-@\t\r"):
        return value
    parts = value.split(LIST_SEPARATOR)
    return LIST_SEPARATOR.join("'" + p if p.lstrip(" ").startswith(_FORMULA_START) else p for p in parts)


def to_csv(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    """CSV text: every text cell quoted (so a list joined with ``;`` stays one cell where
    spreadsheets split on ``;``) and made safe by :func:`csv_safe`; None is an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow(list(header))
    for row in rows:
        writer.writerow(["" if v is None else csv_safe(v) for v in row])
    return out.getvalue()


CSV_COLUMNS = ("id", "title", "date", "severity", "status", "root_causes", "components", "actions", "tags",
               "authors", "detection", "started_at", "detected_at", "mitigated_at", "resolved_at",
               "time_to_detect_minutes", "time_to_mitigate_minutes", "time_to_resolve_minutes",
               "impact_duration_minutes", "action_items", "open_action_items", "overdue_action_items", "url",
               "source")


def catalog_csv(data: dict[str, Any]) -> str:
    """The catalog as one CSV row per postmortem; lists are joined with ``;``."""
    rows = []
    for r in data["postmortems"]:
        items = r["action_items"]
        row = {
            **{k: r[k] for k in ("id", "title", "date", "severity", "status", "detection", "url", "source")},
            "root_causes": LIST_SEPARATOR.join(t["slug"] for t in r["root_causes"]),
            "components": LIST_SEPARATOR.join(t["slug"] for t in r["components"]),
            "actions": LIST_SEPARATOR.join(r["actions"]), "tags": LIST_SEPARATOR.join(r["tags"]),
            "authors": LIST_SEPARATOR.join(r["authors"]),
            **r["metrics"],
            "action_items": len(items),
            "open_action_items": sum(i["status"] in ("open", "in-progress") for i in items),
            "overdue_action_items": sum(i["overdue"] for i in items),
        }
        rows.append([row[c] for c in CSV_COLUMNS])
    return to_csv(CSV_COLUMNS, rows)
