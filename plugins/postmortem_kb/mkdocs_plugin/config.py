"""The plugin's options, as written under ``plugins: - postmortems:`` in mkdocs.yml."""

from __future__ import annotations

try:
    from mkdocs.config import config_options as c
    from mkdocs.config.base import Config
except ImportError:  # ProperDocs installed without MkDocs
    from properdocs.config import config_options as c  # type: ignore[no-redef]
    from properdocs.config.base import Config  # type: ignore[no-redef]


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
    drafts = c.Type(bool, default=False)
    """Publish `status: draft` postmortems too (marked as drafts). `in-review` ones are always
    published, marked as in review."""
    base_path = c.Type(str, default="")
    """A folder for every generated page, e.g. `kb` puts incidents at `kb/incidents/<id>/`.
    Empty: generated pages sit at the site root and the home page is generated."""
    related_limit = c.Type(int, default=5)
    """How many similar incidents each incident page lists, besides the explicitly related ones."""

    # How it looks and how it is searched
    templates_dir = c.Optional(c.Type(str))
    """A folder of Jinja templates that replace the shipped ones of the same name (relative to
    mkdocs.yml). Templates are also looked up in `<theme custom_dir>/postmortems/`."""
    search = c.Choice(("material", "pagefind"), default="material")
    """`material`: the theme's own search. `pagefind`: build a Pagefind index after the build, with
    severity, root cause and component filters."""
    offline_search = c.Type(bool, default=True)
    """Make the theme's search work on the site opened from disk (`file://`), offline: write
    `search/search_index.js` from the search plugin's index, and load a small script of ours that,
    on `file://` pages only, runs the search worker in a hidden frame (browsers refuse workers there)."""
