"""The plugin's options, as written under ``plugins: - postmortems:`` in mkdocs.yml.

Each option says what it does right under it; defaults shared with other engines come from
:mod:`postmortem_kb.site.options`, where they are written once.
"""

from __future__ import annotations

try:
    from mkdocs.config import config_options as c
    from mkdocs.config.base import Config
except ImportError:  # ProperDocs installed without MkDocs
    from properdocs.config import config_options as c  # type: ignore[no-redef,assignment,unused-ignore]
    from properdocs.config.base import Config  # type: ignore[no-redef,assignment,unused-ignore]

from ..site.options import FEED_LIMIT, RELATED_LIMIT, SEARCH_ENGINES, SiteOptions

_DEFAULTS = SiteOptions()


class PostmortemsConfig(Config):
    enabled = c.Type(bool, default=True)
    """Set to false to build the site without the knowledge base (e.g. a quick docs-only preview)."""

    # Where the knowledge base lives (paths relative to the folder of mkdocs.yml)
    postmortems_dir = c.Type(str, default="postmortems")
    """The folder of postmortem Markdown files, outside docs/; searched recursively."""
    taxonomy = c.Type(str, default="taxonomy.yml")
    """The KB's vocabulary: severities, root causes, components, action categories."""
    strict_terms = c.Type(bool, default=True)
    """Unknown taxonomy terms are errors (true) or warnings (false), as `pmkb --lenient` does."""

    # What is published
    drafts = c.Type(bool, default=_DEFAULTS.drafts)
    """Publish `status: draft` postmortems too (marked as drafts). `in-review` ones are always
    published, marked as in review."""
    base_path = c.Type(str, default=_DEFAULTS.base_dir)
    """A folder for every generated page, e.g. `kb` puts incidents at `kb/incidents/<id>/`.
    Empty: generated pages sit at the site root and the home page is generated."""
    related_limit = c.Type(int, default=RELATED_LIMIT)
    """How many similar incidents each incident page lists, besides the explicitly related ones."""
    feed_limit = c.Type(int, default=FEED_LIMIT)
    """How many postmortems each Atom feed carries, newest first; 0 for all (catalog.json has them all)."""

    # How it looks and how it is searched
    templates_dir = c.Optional(c.Dir(exists=True))
    """A folder of Jinja templates that replace the shipped ones of the same name (relative to
    mkdocs.yml); a folder that does not exist is an error. Templates are also looked up in
    `<theme custom_dir>/postmortems/`."""
    engine = c.Optional(c.Choice(("mkdocs", "properdocs", "zensical")))
    """The engine `pmkb build`/`pmkb serve` use by default (`--engine` and PMKB_ENGINE override it);
    the plugin itself ignores it."""
    search = c.Choice(SEARCH_ENGINES, default=_DEFAULTS.search)
    """`material`: the theme's own search. `pagefind`: build a Pagefind index after the build, with
    severity, root cause and component filters."""
    offline_search = c.Type(bool, default=True)
    """Make the theme's search work on the site opened from disk (`file://`), offline: write
    `search/search_index.js` from the search plugin's index, and load a small script of ours that,
    on `file://` pages only, runs the search worker in a hidden frame (browsers refuse workers there)."""
