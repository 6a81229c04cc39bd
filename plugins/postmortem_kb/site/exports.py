"""The KB as data: ``catalog.json`` (with its JSON Schema) and one JSON file per incident.

The same catalog backs ``pmkb export``; tools around the KB read it instead of scraping pages.
Only what the site publishes is exported (drafts stay out unless the site shows them), newest
first, and nothing in it depends on the time of the build, so two builds give the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import posixpath
from importlib import metadata, resources
from typing import Any, Iterable

from ..model import Postmortem
from ..taxonomy import Taxonomy
from . import GeneratedFile, SiteOptions, generator
from .common import incident_path, site_data
from .render import page_url as _page_url

CATALOG = "catalog.json"
CATALOG_SCHEMA = "catalog.schema.json"


def published(kb, options: SiteOptions) -> list[Postmortem]:
    """What the site publishes, newest first: the site's own rule (drafts only when it shows them)."""
    return site_data(kb, options).postmortems


def incident_page(pm_id: str) -> str:
    """The Markdown path of an incident's page, relative to the KB's part of the docs."""
    return incident_path(pm_id)


def page_url(md_path: str, directory_urls: bool = True) -> str:
    """A docs path ``a/b.md`` to its URL as MkDocs makes it: ``a/b/`` (or ``a/b.html``); the root is ``""``."""
    url = _page_url(md_path, directory_urls)
    return "" if url == "./" else url


class Urls:
    """Every URL the exports and feeds give, absolute when the site says where it lives."""

    def __init__(self, options: SiteOptions):
        site_url = options.extra.get("site_url") or ""
        self.site_url = site_url.rstrip("/") + "/" if site_url else ""
        self.base = options.base_dir.strip("/")
        self.directory_urls = bool(options.extra.get("directory_urls", True))

    def path(self, path: str) -> str:
        """A path of the KB's part of the site, relative to the site root."""
        return posixpath.join(self.base, path) if self.base else path

    def absolute(self, path: str) -> str:
        """``path`` (relative to the KB's part) as a URL: absolute with a site_url, else site-relative."""
        return self.site_url + self.path(path)

    def incident(self, pm_id: str) -> str:
        return self.absolute(page_url(incident_page(pm_id), self.directory_urls))

    def incident_json(self, pm_id: str) -> str:
        return self.absolute(f"incidents/{pm_id}.json")

    def id_for(self, path: str, urn: str) -> str:
        """A permanent id: the URL when the site has a site_url, else a URN that never changes."""
        return self.absolute(path) if self.site_url else f"urn:postmortem-kb:{urn}"


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _terms(taxonomy: Taxonomy, kind: str, slugs: Iterable[str], urls: Urls) -> list[dict[str, str]]:
    folder = {"root_causes": "root-causes", "components": "components"}[kind]
    return [{"slug": s, "title": taxonomy.term(kind, s).title,
             "feed": urls.absolute(f"feeds/{folder}/{s}.xml")} for s in slugs]


def incident_record(pm: Postmortem, taxonomy: Taxonomy, as_of: dt.date, urls: Urls) -> dict[str, Any]:
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


def catalog(postmortems: Iterable[Postmortem], taxonomy: Taxonomy, as_of: dt.date, urls: Urls) -> dict[str, Any]:
    """The whole catalog, newest first (the order of ``postmortems`` as the loader gives them)."""
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
    """Stable JSON text; ``compact`` for the catalog, which grows with the KB (a third smaller)."""
    if compact:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


CSV_COLUMNS = ("id", "title", "date", "severity", "status", "root_causes", "components", "actions", "tags",
               "authors", "detection", "started_at", "detected_at", "mitigated_at", "resolved_at",
               "time_to_detect_minutes", "time_to_mitigate_minutes", "time_to_resolve_minutes",
               "impact_duration_minutes", "action_items", "open_action_items", "overdue_action_items", "url",
               "source")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    # A spreadsheet runs a cell starting with "=" as a formula: quote text from postmortems.
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def catalog_csv(data: dict[str, Any]) -> str:
    """The catalog as one CSV row per postmortem; lists are joined with ``;``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in data["postmortems"]:
        items = r["action_items"]
        row = {
            **{k: r[k] for k in ("id", "title", "date", "severity", "status", "detection", "url", "source")},
            "root_causes": ";".join(t["slug"] for t in r["root_causes"]),
            "components": ";".join(t["slug"] for t in r["components"]),
            "actions": ";".join(r["actions"]), "tags": ";".join(r["tags"]), "authors": ";".join(r["authors"]),
            **r["metrics"],
            "action_items": len(items),
            "open_action_items": sum(i["status"] in ("open", "in-progress") for i in items),
            "overdue_action_items": sum(i["overdue"] for i in items),
        }
        writer.writerow([_cell("" if row[c] is None else row[c]) for c in CSV_COLUMNS])
    return out.getvalue()


@generator
def exports(kb, options: SiteOptions):
    urls = Urls(options)
    data = catalog(published(kb, options), kb.taxonomy, kb.config.as_of, urls)
    yield GeneratedFile(urls.path(CATALOG), to_json(data, compact=True))
    schema = catalog_schema()
    yield GeneratedFile(urls.path(CATALOG_SCHEMA), to_json(schema))
    for record in data["postmortems"]:
        one = {"$schema": urls.absolute(CATALOG_SCHEMA) + "#/$defs/postmortem", **record}
        yield GeneratedFile(urls.path(f"incidents/{record['id']}.json"), to_json(one))
