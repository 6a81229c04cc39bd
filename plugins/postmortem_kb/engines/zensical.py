"""Zensical: it ignores the postmortems plugin (the staging build comes in the next change)."""

from __future__ import annotations

from . import BuildFailed


class ZensicalEngine:
    name = "zensical"
    runs_plugin = False

    def settings(self, config_file, **_options):
        raise BuildFailed("building with Zensical is not supported yet; use --engine mkdocs or properdocs")

    def serve_site(self, config_file, **_options):
        self.settings(config_file)
