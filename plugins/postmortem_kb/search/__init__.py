"""Search over a KB: a whoosh index kept in step with the postmortems (``index``), queries
with incident field names and facet filters (``query``), and the site's Pagefind index
(``pagefind``). Plain Python: the CLI and the MkDocs plugin are thin adapters over it."""

from .index import SCHEMA_VERSION, IndexFolderError, KBIndex, UpdateReport
from .query import Filters, Hit, QueryError, SearchResults, search

__all__ = ["SCHEMA_VERSION", "IndexFolderError", "KBIndex", "UpdateReport", "Filters", "Hit", "QueryError",
           "SearchResults", "search"]
