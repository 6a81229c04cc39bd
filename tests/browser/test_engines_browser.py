"""The site built by each engine, in Chromium: pages load clean, hostile values never run, search finds incidents.

The sample KB and the hostile KB are built with `pmkb build --engine NAME` (ProperDocs and
Zensical; MkDocs is the other browser tests' own) and served over http. Screenshots of the home
and an incident page at 1280x900 and 390x844, light and dark, go to the artifacts folder.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kit.browser import ENV, ROOT, Reader, require, serve, write_hostile_kb

pytestmark = pytest.mark.browser
ENGINES = [pytest.param(name, marks=pytest.mark.skipif(importlib.util.find_spec(name) is None,
                                                       reason=f"{name} is not installed"))
           for name in ("properdocs", "zensical")]
PAGES = ["index.html", "incidents/index.html", "root-causes/index.html", "action-items/index.html",
         "insights/index.html"]


def pmkb_build(root: Path, engine: str) -> Path:
    env = {k: v for k, v in ENV.items() if k != "PMKB_ENGINE"}
    proc = subprocess.run([sys.executable, "-m", "postmortem_kb", "build", "--engine", engine], cwd=root,
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root / "site"


@pytest.fixture(scope="module", params=ENGINES)
def engine_sites(request, tmp_path_factory):
    require()
    engine = request.param
    sample = tmp_path_factory.mktemp(f"sample-{engine}")
    for name in ("mkdocs.yml", "taxonomy.yml"):
        shutil.copy(ROOT / name, sample / name)
    for folder in ("docs", "postmortems"):
        shutil.copytree(ROOT / folder, sample / folder, ignore=shutil.ignore_patterns("__pycache__"))
    hostile = write_hostile_kb(tmp_path_factory.mktemp(f"hostile-{engine}"))
    sample_gen = serve(pmkb_build(sample, engine))
    hostile_gen = serve(pmkb_build(hostile, engine))
    try:
        yield engine, next(sample_gen), next(hostile_gen)
    finally:
        for gen in (sample_gen, hostile_gen):
            gen.close()


def an_incident(site_folder: Path) -> str:
    return sorted(p.name for p in (site_folder / "incidents").glob("*.html") if p.name != "index.html")[0]


def test_pages_load_clean_and_look_right(engine_sites, reader: Reader) -> None:
    engine, sample, _ = engine_sites
    incident = f"incidents/{an_incident(sample.folder)}"
    for path in [*PAGES, incident]:
        page = reader.visit(sample.page(path))
        assert page.locator(".pmkb-page").count() >= 1, f"{engine}: {path} has no generated content"
    for width, height in ((1280, 900), (390, 844)):
        reader.page.set_viewport_size({"width": width, "height": height})
        for scheme in ("light", "dark"):
            reader.page.emulate_media(color_scheme=scheme)
            for name, path in (("home", "index.html"), ("incident", incident)):
                reader.visit(sample.page(path))
                reader.screenshot(f"engine-{engine}-{name}-{width}-{scheme}")
    reader.assert_clean()


def test_hostile_values_never_run(engine_sites, reader: Reader) -> None:
    engine, _, hostile = engine_sites
    paths = sorted(p.relative_to(hostile.folder).as_posix() for p in hostile.folder.rglob("*.html"))
    assert any(p.startswith("incidents/") for p in paths)
    for path in paths:
        reader.visit(hostile.page(path))
        reader.page.mouse.move(200, 300)  # hover handlers, had any survived
        assert reader.page.evaluate("window.pmkbPwned === undefined"), f"{engine}: a payload ran on {path}"
    reader.assert_clean()


def test_search_finds_an_incident(engine_sites, reader: Reader) -> None:
    engine, sample, _ = engine_sites
    incident = an_incident(sample.folder)
    title = reader.visit(sample.page(f"incidents/{incident}")).locator("h1").first.inner_text().strip()
    word = max(title.split(), key=len)
    page = reader.visit(sample.page("index.html"))
    page.keyboard.press("/")
    page.keyboard.type(word)
    result = page.locator(f"a[href*='{incident}']").first
    result.wait_for(state="visible", timeout=10_000)
    result.click()
    page.wait_for_url(f"**/{incident}*")
    reader.assert_clean()
