"""Fixtures of the browser tests: the two sites built and served once per session, one
Chromium per session, and a fresh :class:`Reader` tab per test (see browser_sites.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kit.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    Reader,
    Site,
    copy_sample_kb,
    engine_build,
    is_local,
    mkdocs_build,
    require,
    serve,
    write_hostile_kb,
)


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory) -> Iterator[Site]:
    """The repository's sample KB, built with its own mkdocs.yml."""
    require()
    site = mkdocs_build(ROOT / "mkdocs.yml", tmp_path_factory.mktemp("sample") / "site")
    yield from serve(site)


@pytest.fixture(scope="session")
def hostile_site(tmp_path_factory) -> Iterator[Site]:
    require()
    root = write_hostile_kb(tmp_path_factory.mktemp("hostile"))
    site = mkdocs_build(root / "mkdocs.yml", root / "site")
    yield from serve(site)


@pytest.fixture(scope="session")
def engine_sites(tmp_path_factory) -> Iterator:
    """``get(kb, engine)``: the sample KB (``"sample"``) or the hostile KB (``"hostile"``) built with
    `pmkb build --engine NAME` and served, each once per session whichever modules ask for it."""
    require()
    sites: dict[tuple[str, str], Site] = {}
    servers = []

    def get(kb: str, engine: str) -> Site:
        if (kb, engine) not in sites:
            root = tmp_path_factory.mktemp(f"{kb}-{engine}")
            copy_sample_kb(root) if kb == "sample" else write_hostile_kb(root)
            server = serve(engine_build(root, engine, root / "site"))
            sites[kb, engine] = next(server)
            servers.append(server)
        return sites[kb, engine]

    try:
        yield get
    finally:
        for server in servers:
            server.close()


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("PMKB_ARTIFACTS") or tmp_path_factory.mktemp("artifacts"))
    folder = folder / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# One per test module, not per session: the sync API cannot run two Playwrights at once, and other
# browser tests start their own.
@pytest.fixture(scope="module")
def browser():
    require()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def reader(browser, artifacts) -> Iterator[Reader]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    seen = Reader(page, artifacts)
    page.on("console", lambda m: seen.console_errors.append(f"{m.text} ({m.location.get('url')})")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.page_errors.append(str(e)))

    def on_dialog(dialog):
        seen.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("requestfailed", lambda r: seen.failed.append(f"{r.url}: {r.failure}") if is_local(r.url) else None)

    def guard(route):
        if is_local(route.request.url):
            route.continue_()
        else:
            seen.outside.append(route.request.url)
            route.abort()

    # On the context, so requests of workers (search) and of any new tab are guarded too; the
    # request event records what a route might not see.
    context.route("**/*", guard)
    context.on("request", lambda r: None if is_local(r.url) or r.url in seen.outside else seen.outside.append(r.url))
    try:
        yield seen
    finally:
        context.close()
