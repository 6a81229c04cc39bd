"""``catalog.json`` (with its JSON Schema) and one JSON file per incident, as site files.

The data itself is :mod:`postmortem_kb.catalog`'s, which ``pmkb export`` writes too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..catalog import CSV_COLUMNS, catalog, catalog_csv, catalog_schema, csv_safe, to_csv, to_json
from . import GeneratedFile
from .urls import CATALOG, CATALOG_SCHEMA, Urls, incident_json_path

if TYPE_CHECKING:
    from .build import SiteBuild

__all__ = ["CATALOG", "CATALOG_SCHEMA", "CSV_COLUMNS", "Urls", "catalog", "catalog_csv", "catalog_schema",
           "csv_safe", "exports", "to_csv", "to_json"]


def exports(build: SiteBuild):
    urls, kb = build.urls, build.kb
    data = catalog(build.data.postmortems, kb.taxonomy, kb.config.as_of, urls)
    yield GeneratedFile(urls.path(CATALOG), to_json(data, compact=True))
    yield GeneratedFile(urls.path(CATALOG_SCHEMA), to_json(catalog_schema()))
    for record in data["postmortems"]:
        one = {"$schema": urls.absolute(CATALOG_SCHEMA) + "#/$defs/postmortem", **record}
        yield GeneratedFile(urls.path(incident_json_path(record["id"])), to_json(one))
