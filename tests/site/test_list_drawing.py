"""The term pages and the action-item tracker drawn in Python (site/list_pages.py) are the
templates' output byte for byte, for ordinary and hostile KBs; a site's own template is used."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit import ROOT
from kit.site import pm, write_attacker_kb
from postmortem_kb.loader import KBConfig, load_kb
from postmortem_kb.site import SiteOptions, actions, terms
from postmortem_kb.site.build import SiteBuild
from postmortem_kb.site.templates import DRAWERS
from postmortem_kb.site.urls import linker

NAMES = ("term.md.j2", "action_items.md.j2")


def pairs(root: Path, directory_urls: bool) -> list[tuple[str, str, str]]:
    site = SiteBuild(load_kb(KBConfig(root=root)), SiteOptions(drafts=True, directory_urls=directory_urls))
    out = []
    for make in (terms.term_pages, actions.action_items_page):
        for page in make(site):
            if page.template in NAMES:
                context = {"page": page, "url": linker(page.path, directory_urls), "paths": site.paths,
                           "incident_rows": site.incident_rows, **page.context}
                jinja = site.templates.get_template(page.template).render(context)
                out.append((page.path, jinja, DRAWERS[page.template](**context)))
    return out


def hostile_kb(root: Path) -> Path:
    write_attacker_kb(root, extensions=True)
    for i, title in enumerate(["# heading {: onfocus=x }", "- list <script>alert(1)</script>", "1. *one* `x`"]):
        pm(root, f"hostile-{i}", title=title, date=f"2023-0{i + 1}-0{i + 1}", owner=f"{title} | x", due="2020-01-01",
           severity="SEV1" if i else "SEV3", item=f"{title} [a](https://x.example)")
    return root


@pytest.mark.parametrize("directory_urls", [True, False])
@pytest.mark.parametrize("kind", ["sample", "hostile"])
def test_drawers_are_the_templates_output(tmp_path: Path, kind: str, directory_urls: bool) -> None:
    root = ROOT if kind == "sample" else hostile_kb(tmp_path)
    drawn = pairs(root, directory_urls)
    assert {p for p, _, _ in drawn} >= {"action-items/index.md"} and len(drawn) > 5
    assert [path for path, jinja, python in drawn if jinja != python] == []


def test_a_sites_own_template_is_used(tmp_path: Path) -> None:
    own = tmp_path / "own"
    own.mkdir()
    (own / "term.md.j2").write_text("own term page {{ entry.slug }}\n", encoding="utf-8")
    site = SiteBuild(load_kb(KBConfig(root=ROOT)), SiteOptions(drafts=True, template_dirs=(own,)))
    pages = {p.path: p.markdown for p in site.pages()}
    assert any("own term page" in text for path, text in pages.items() if path.startswith("root-causes/"))


@pytest.mark.parametrize("css_class", ["pmkb-incident", "", 'x" onclick="y', "a&b <c> {d} | e\nf", "- list"])
@pytest.mark.parametrize("search_body", [True, False, None, "yes"])
@pytest.mark.parametrize("content", ["", "<p>pmkbhtml1n</p>\n<h2>x</h2>", "{{ not a template }} {% raw %}"])
def test_the_wrapper_drawn_in_python_is_the_templates_output(css_class, search_body, content) -> None:
    from postmortem_kb.site.templates import environment

    context = {"content": content, "wrapper": {"css_class": css_class, "search_body": search_body}}
    jinja = environment().get_template("_wrapper.html.j2").render(context)
    assert DRAWERS["_wrapper.html.j2"](**context) == jinja
