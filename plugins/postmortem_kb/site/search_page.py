"""The search page for sites that use Pagefind (``search: pagefind``).

mkdocs-material's own search box works on its search_index.json; Pagefind's index and UI are
written into ``pagefind/`` after the build, and need a page that loads them, with filters by
severity, root cause and component. Nothing of it comes from outside the site.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from markupsafe import Markup

from . import GeneratedPage
from .urls import SEARCH

if TYPE_CHECKING:
    from .build import SiteBuild


def pagefind_search_page(build: SiteBuild):
    if build.options.search != "pagefind":
        return
    path = build.paths.page(SEARCH)
    # The page sits in a folder whatever the URL style (search/ or search/index.html), so
    # the bundle is always this many folders up.
    prefix = "../" * path.count("/")
    yield GeneratedPage(path=path, template="search.md.j2", title="Search",
                        context={"bundle": Markup(f"{prefix}pagefind/")})
