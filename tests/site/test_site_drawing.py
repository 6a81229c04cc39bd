"""The pieces drawn in Python (site/drawing.py, site/listing.py) are the HTML the Jinja macros drew.

``tests/fixtures/site_reference/_macros.html.j2`` is ``_macros.html.j2`` as it was when every
badge, term link, ticket, action item table and listing row was a Jinja macro. A site may
replace a shipped template by its name (``template_dirs``), so the same KB is drawn once with
those macros and once with the shipped ones: every generated page must come out byte for
byte the same, for ordinary postmortems and for an attacker's (values full of HTML, Markdown
and attribute syntax), with both kinds of URL.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.site import pm, write_attacker_kb
from postmortem_kb.loader import KBConfig, load_kb
from postmortem_kb.site import SiteOptions
from postmortem_kb.site.build import SiteBuild

REFERENCE = Path(__file__).resolve().parent.parent / "fixtures" / "site_reference"


def drawn(root: Path, **options) -> dict[str, str]:
    kb = load_kb(KBConfig(root=root))
    site = SiteBuild(kb, SiteOptions(drafts=True, **options))
    return {page.path: page.markdown for page in site.pages()}


def ordinary_kb(root: Path) -> Path:
    for i, (cause, component, status) in enumerate([
            ("hardware-failure", "web-server", "published"), ("configuration-change", "load-balancer", "in-review"),
            ("hardware-failure", "web-server, load-balancer", "draft"), ("configuration-change", "web-server",
                                                                         "published")]):
        pm(root, f"incident-{i}", date=f"2023-0{i + 1}-1{i}", title=f"Incident {i} <b>&</b> *x*",
           root_causes=cause, components=component, status=status)
    return root


@pytest.mark.parametrize("directory_urls", [True, False])
@pytest.mark.parametrize("kind", ["ordinary", "attacker"])
def test_python_drawn_pieces_are_the_macros_html(tmp_path: Path, directory_urls: bool, kind: str) -> None:
    root = tmp_path / "kb"
    root.mkdir()
    if kind == "attacker":
        write_attacker_kb(root, extensions=True)
    else:
        (root / "postmortems").mkdir()
        ordinary_kb(root)
    shipped = drawn(root, directory_urls=directory_urls)
    reference = drawn(root, directory_urls=directory_urls, template_dirs=(REFERENCE,))
    assert shipped.keys() == reference.keys()
    assert any("pmkb-sev--" in text for text in shipped.values())  # the pieces are there to compare
    assert any("pmkb-incidents" in text for text in shipped.values())
    assert any("pmkb-item--" in text for text in shipped.values())
    different = [path for path in shipped if shipped[path] != reference[path]]
    assert different == []
