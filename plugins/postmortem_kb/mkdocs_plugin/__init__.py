"""The MkDocs (and ProperDocs) plugin ``postmortems``: a thin adapter from the KB to a site.

Everything it publishes is described by :mod:`postmortem_kb.site`; the plugin loads the KB
once per build, turns generated pages into MkDocs files, and reports problems.
"""
