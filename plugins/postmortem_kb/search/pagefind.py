"""Site search for large KBs: a Pagefind index of the built site.

mkdocs-material's search ships one ``search_index.json`` holding the text of every page,
and a reader downloads all of it before the first result. Pagefind splits its index into
small chunks, so a first search fetches only the chunks for the words typed, whatever the
size of the KB. The ``pagefind`` Python package drives the Pagefind binary from the
``pagefind[bin]`` extra, offline.

Filters (severity, root cause, component) come from ``data-pagefind-filter`` attributes
that the incident page template puts on its facts line.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import threading
from pathlib import Path

from ..problems import plural

OUTPUT_DIR = "pagefind"  # where the bundle goes in the site; the search page loads it from there

# The theme's chrome (navigation, header, footer, search box) is the same on every page:
# indexing it would make every page match the words of the menu.
EXCLUDE_SELECTORS = [".md-header", ".md-tabs", ".md-sidebar", ".md-footer", ".md-search", ".md-skip",
                     ".md-banner", ".md-dialog", ".headerlink", "nav"]


class PagefindUnavailable(RuntimeError):
    """The Pagefind package or its binary is not installed."""


class PagefindFailed(RuntimeError):
    """Pagefind ran but could not index the site."""


def _executable() -> Path:
    try:
        from pagefind.service import get_executable
    except ImportError:
        raise PagefindUnavailable(
            "site search is set to `pagefind` but the pagefind package is not installed; "
            "install it with: pip install 'postmortem-kb[pagefind]' (or pip install 'pagefind[bin]'), "
            "or set the plugin's `search: material`") from None
    exe = get_executable()
    if exe is None or not Path(exe).is_file():
        raise PagefindUnavailable(
            "site search is set to `pagefind` but the Pagefind binary was not found; "
            "install it with: pip install 'pagefind[bin]' or set PAGEFIND_BINARY_PATH to a pagefind executable")
    return Path(exe)


async def _index(site_dir: Path, out_dir: Path) -> int:
    from pagefind.index import IndexConfig, PagefindIndex

    config = IndexConfig(exclude_selectors=EXCLUDE_SELECTORS, output_path=str(out_dir))
    async with PagefindIndex(config=config) as index:
        result = await index.add_directory(str(site_dir))
        return int(result.get("page_count", 0))


def _run(coro):
    """asyncio.run, also when called from a thread that already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=target)
    worker.start()
    worker.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def build_pagefind_index(site_dir: Path) -> None:
    """Index the built site in ``site_dir`` into ``site_dir/pagefind/``.

    The bundle is written beside the site first and swapped in whole, so a failure
    leaves the previous bundle (or none), never half of one.
    Raises PagefindUnavailable when Pagefind is not installed, PagefindFailed when it fails.
    """
    site_dir = Path(site_dir).resolve()
    if not site_dir.is_dir():
        raise PagefindFailed(f"cannot index the site: {site_dir} is not a folder")
    _executable()
    staging = Path(tempfile.mkdtemp(prefix=".pagefind-", dir=site_dir.parent))
    target = site_dir / OUTPUT_DIR
    try:
        try:
            pages = _run(_index(site_dir, staging / OUTPUT_DIR))
        except PagefindUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - the service reports failures in many shapes
            raise PagefindFailed(f"Pagefind could not index {site_dir}: {exc}") from exc
        built = staging / OUTPUT_DIR
        if not (built / "pagefind-entry.json").is_file():
            raise PagefindFailed(f"Pagefind wrote no index for {site_dir} ({plural(pages, 'page')} found)")
        old = None
        if target.exists():
            old = staging / "old"
            os.replace(target, old)
        os.replace(built, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
