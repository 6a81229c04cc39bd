"""A writer who attacks the site: every page, built with the default Markdown and with the
extensions material sites commonly enable, carries no handler, no script URL, no name the theme
or the search UIs read, no file of the repository, and no attribute set from a writer's text.

Each site is built by every installed engine through `pmkb build --engine NAME` (MkDocs and
ProperDocs run the plugin; Zensical builds pages pmkb staged), in a process of its own, from the
KB's folder as CI runs it: the guarantees of docs/security.md hold whichever engine renders."""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kit.site import SECRET, THEME_IDS, html_files, parse, write_attacker_kb

ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
WRITER_PAGE = "incidents/2024-05-02-certs.html"


ENV.pop("PMKB_ENGINE", None)
ENGINES = [pytest.param(name, marks=pytest.mark.skipif(importlib.util.find_spec(name) is None,
                                                       reason=f"{name} is not installed"))
           for name in ("mkdocs", "properdocs", "zensical")]


def engine_build(root: Path, engine: str) -> Path:
    # From the KB's folder, as CI runs it: pymdownx.snippets reads files relative to it.
    proc = subprocess.run([sys.executable, "-m", "postmortem_kb", "build", "--engine", engine], cwd=root, env=ENV,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return root / "site"


@pytest.fixture(scope="module", params=ENGINES)
def engine(request) -> str:
    return request.param


@pytest.fixture(scope="module", params=["default markdown", "common extensions"])
def attacked_site(request, engine, tmp_path_factory) -> Path:
    root = write_attacker_kb(tmp_path_factory.mktemp(f"attacked-{engine}"),
                             extensions=request.param != "default markdown")
    return engine_build(root, engine)


def test_the_write_up_is_published(attacked_site):
    page = parse(attacked_site / WRITER_PAGE)
    assert "Nobody renewed them" in page.visible_text and "Certificates expired." in page.visible_text


def test_no_page_carries_a_handler_a_script_url_or_an_attribute_from_a_writer(attacked_site):
    found = []
    for path in html_files(attacked_site):
        page = parse(path)
        for tag, name, value in page.attrs:
            if name.startswith("on") or name in ("autofocus", "srcdoc", "formaction"):
                found.append((path.name, tag, name))
            if name in ("href", "src", "action", "data") and re.match(r"\s*(javascript|vbscript|data):", value, re.I):
                found.append((path.name, tag, name, value))
            if "pmkbPwned" in value and name not in ("content",):  # <meta content> is text for the theme
                found.append((path.name, tag, name, value))
        found += [(path.name, "script", s[:80]) for s in page.scripts if "pmkbPwned" in s]
    assert found == []


def test_the_theme_s_names_are_the_theme_s_alone(attacked_site):
    """``__config`` and the other names material reads occur once per page at most (its own);
    the writer's ``id``, ``name`` and ``for`` are prefixed, headings named like them too."""
    page_text = (attacked_site / WRITER_PAGE).read_text("utf-8")
    quiet_text = (attacked_site / "incidents/2024-01-10-quiet.html").read_text("utf-8")
    for name in THEME_IDS:
        for attr in ("id", "name", "for"):
            assert page_text.count(f'{attr}="{name}"') == quiet_text.count(f'{attr}="{name}"'), (attr, name)
    config = re.search(r'<script id="__config" type="application/json">(.*?)</script>', page_text, re.S)
    assert config and "mike" not in config.group(1)
    page = parse(attacked_site / WRITER_PAGE)
    writer_ids = {v for t, n, v in page.attrs if n == "id" and v.startswith("user-content-")}
    assert {"user-content-__config", "user-content-summary", "user-content-root-cause"} <= writer_ids
    assert not any(v.startswith("user-content-user-content-") for v in writer_ids)


def test_in_page_links_of_the_write_up_reach_their_targets(attacked_site):
    page = parse(attacked_site / WRITER_PAGE)
    ids = page.ids
    fragments = [u[1:] for t, u, _ in page.links if t == "a" and u.startswith("#") and len(u) > 1]
    assert "user-content-summary" in fragments
    assert [f for f in fragments if f not in ids] == []


def test_no_writer_data_attribute_reaches_a_page(attacked_site):
    def data_attributes(rel: str) -> list[tuple[str, str, str]]:
        return sorted((t, n, v) for t, n, v in parse(attacked_site / rel).attrs if n.startswith("data-"))

    # The attacked page has exactly the data-* attributes of a quiet incident page (the theme's
    # and ours), none of the writer's (data-pagefind-meta, data-pagefind-body, data-md-component).
    attacked = [a for a in data_attributes(WRITER_PAGE) if a[1] != "data-md-color-scheme"]
    quiet = [a for a in data_attributes("incidents/2024-01-10-quiet.html") if a[1] != "data-md-color-scheme"]
    assert {n for _, n, _ in attacked} == {n for _, n, _ in quiet}
    assert [a for a in attacked if a[1] == "data-pagefind-meta"] == []
    assert [a for a in attacked if a[1] == "data-pagefind-body"] == [a for a in quiet if a[1] == "data-pagefind-body"]
    assert sum(n == "data-md-component" for _, n, _ in attacked) == sum(n == "data-md-component" for _, n, _ in quiet)


def test_no_file_of_the_repository_is_published(attacked_site):
    leaked = [p for p in attacked_site.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]
    assert leaked == []


def test_pagefind_takes_no_url_or_meta_from_a_writer(tmp_path, engine):
    pytest.importorskip("pagefind")
    root = write_attacker_kb(tmp_path, extensions=True, search="pagefind")
    site = engine_build(root, engine)
    fragments = list((site / "pagefind" / "fragment").glob("*.pf_fragment"))
    assert fragments
    for fragment in fragments:
        data = gzip.decompress(fragment.read_bytes())
        record = json.loads(data[data.index(b"{"):])
        assert not record["url"].lower().lstrip().startswith("javascript"), record["url"]
        meta = record.get("meta", {})
        assert set(meta) <= {"title", "image", "image_alt"}, meta  # what Pagefind finds by itself
        assert not str(meta.get("image", "")).lower().lstrip().startswith(("javascript", "data")), meta


# A site's own template may draw values in Markdown (a list, a heading, a paragraph): the
# extensions the site enables must still see no syntax in them.
MARKDOWN_TEMPLATE = """\
# {{ pm.title }}

{{ pm.impact }}

{{ pm.trigger }}

{{ pm.detection }}

{% for item in pm.action_items %}
- {{ item.title }} ({{ item.owner }})
{% endfor %}

| Author | Tags |
| --- | --- |
| {{ pm.authors | join(", ") }} | {{ pm.tags | join(", ") }} |

{% for part in parts %}{% if part.kind != "timeline" %}{{ part.markdown | safe }}{% endif %}{% endfor %}
"""


def test_values_in_a_site_s_markdown_template_stay_text_with_every_extension(tmp_path, engine):
    root = write_attacker_kb(tmp_path, extensions=True)
    (root / "overrides").mkdir()
    (root / "overrides" / "incident.md.j2").write_text(MARKDOWN_TEMPLATE, encoding="utf-8")
    text = (root / "mkdocs.yml").read_text("utf-8").replace("      search: material\n",
                                                            "      search: material\n      templates_dir: overrides\n")
    (root / "mkdocs.yml").write_text(text, encoding="utf-8")
    site = engine_build(root, engine)
    page = parse(site / WRITER_PAGE)
    theme_ids = {v for t, n, v in parse(site / "incidents/2024-01-10-quiet.html").attrs if n == "id"}
    bad = [(t, n, v) for t, n, v in page.attrs
           if n.startswith("on") or n == "autofocus" or (n == "href" and v.lower().startswith("javascript"))
           or (n == "id" and v.startswith("_") and v not in theme_ids)]
    assert bad == []
    assert "Rotate certs {: autofocus" in page.visible_text and "[TOC]" in page.visible_text
    assert SECRET not in (site / WRITER_PAGE).read_text("utf-8")
