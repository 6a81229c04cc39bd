"""An incident's page drawn in Python (site/incident_page.py) is what incident.md.j2 renders.

The template is the reference: for every context a build hands the drawer (the sample KB,
a generated KB, an attacker's KB, drafts included, both kinds of URL) and for contexts made
of hostile values in every slot the template prints (HTML, attribute lists, Markdown syntax,
newlines, a value starting with ``#``, ``-`` or digits), the drawing and the Jinja rendering
of the same context must be the same text, byte for byte. A site's own ``incident.md.j2`` (or
``_macros.html.j2``) is rendered with Jinja instead of the drawing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from kit import ROOT
from kit.site import ATTACK_FRONT, pm, write_attacker_kb
from postmortem_kb.crosslinks import EarlierIncident, Recurrence, TermEntry
from postmortem_kb.inline import to_html
from postmortem_kb.loader import KBConfig, load_kb
from postmortem_kb.model import ActionItem
from postmortem_kb.problems import Problem
from postmortem_kb.similarity import Relation
from postmortem_kb.site import SiteOptions
from postmortem_kb.site.build import SiteBuild
from postmortem_kb.site.incident_page import draw_incident
from postmortem_kb.site.incidents import BodyPart, TimelineRow
from postmortem_kb.site.templates import DRAWERS, SHIPPED, environment, python_drawer

sys.path.insert(0, str(ROOT / "bench"))
import generate  # noqa: E402

TEMPLATE = "incident.md.j2"


def build_contexts(root: Path, monkeypatch: pytest.MonkeyPatch, **options: Any) -> tuple[SiteBuild, list[dict]]:
    """Every context the build hands the incident drawer (the build's own ``draw`` makes them)."""
    seen: list[dict] = []

    def record(**context: Any) -> str:
        seen.append(context)
        return draw_incident(**context)

    monkeypatch.setitem(DRAWERS, TEMPLATE, record)
    build = SiteBuild(load_kb(KBConfig(root=root)), SiteOptions(drafts=True, **options))
    build.generate()
    monkeypatch.setitem(DRAWERS, TEMPLATE, draw_incident)
    assert seen, "no incident page was drawn"
    return build, seen


def differences(build: SiteBuild, contexts: list[dict]) -> list[str]:
    """The contexts (by page and number) whose drawing is not the template's rendering."""
    template = build.templates.get_template(TEMPLATE)
    return [f"{i}: {context['page'].path}" for i, context in enumerate(contexts)
            if draw_incident(**context) != template.render(context)]


def ordinary_kb(root: Path) -> Path:
    """Drafts, reviews, recurrences and related incidents: the branches of the template."""
    (root / "postmortems").mkdir(parents=True)
    shutil.copy(ROOT / "taxonomy.yml", root / "taxonomy.yml")
    for i, (status, due) in enumerate([("published", "2020-01-01"), ("in-review", "2030-01-01"),
                                       ("draft", "2020-06-01"), ("published", "2031-01-01"),
                                       ("draft", "2021-01-01")]):
        pm(root, f"incident-{i}", date=f"2023-0{i + 1}-1{i}", title=f"Incident {i} <b>&</b> *x*", status=status,
           due=due, item_status=["open", "done", "wont-do", "in-progress", "open"][i], tags="disk, certs" if i else "",
           related="incident-0" if i == 3 else "")
    return root


@pytest.mark.parametrize("directory_urls", [False, True])
def test_the_sample_kb_s_pages_are_the_template_s(monkeypatch, directory_urls):
    build, contexts = build_contexts(ROOT, monkeypatch, directory_urls=directory_urls)
    assert differences(build, contexts) == []


def test_a_generated_kb_s_pages_are_the_template_s(monkeypatch, tmp_path):
    generate.generate(tmp_path / "kb", 80, seed=11)
    build, contexts = build_contexts(tmp_path / "kb", monkeypatch)
    assert any(c["recurrence"] for c in contexts) and any(c["related"] for c in contexts)
    assert differences(build, contexts) == []


def kb_of_kind(root, kind):
    """An ordinary KB (drafts and reviews among its postmortems) or the attacker's, at ``root``."""
    if kind == "attacker":
        root.mkdir()
        write_attacker_kb(root, extensions=True)
    else:
        ordinary_kb(root)
    return root


@pytest.mark.parametrize("kind", ["ordinary", "attacker"])
def test_drafts_reviews_and_an_attacker_s_pages_are_the_template_s(monkeypatch, tmp_path, kind):
    root = kb_of_kind(tmp_path / "kb", kind)
    build, contexts = build_contexts(root, monkeypatch)
    if kind == "ordinary":
        assert {c["pm"].status for c in contexts} == {"published", "in-review", "draft"}
    assert differences(build, contexts) == []


# --- hostile values in every slot ----------------------------------------------------------

HOSTILE = [
    ATTACK_FRONT["title"], ATTACK_FRONT["impact"], ATTACK_FRONT["trigger"], ATTACK_FRONT["detection"],
    *ATTACK_FRONT["authors"],
    "<script>alert(1)</script>", "{: onfocus=alert(1) autofocus }", "Rotate certs {: #__config onclick=x }",
    "*em* **strong** _u_ `code` [x](javascript:alert(1)) [web](https://example.com/a_b) ![i](x.png)",
    "line one\nline two\r\n# heading\n- item\n", "# heading", "## Action items", "- item", "* item", "+ item",
    "1. first", "12) twelfth", "2024", "2024-05-02", "+1h 05m", "-5", "!!! note", "??? x", "/// x", "---",
    " leading space", "\tleading tab", '--8<-- ".git/config"', '=== "Tab"', ": definition", "[^1]: note",
    "[TOC]", "a | b | c", "~~del~~ ^^ins^^ ==mark== {++add++}", "$x$ @mention :smile:", "&amp; &lt; \" ' &",
    "back\\slash\\", "Ünïcode — › · “quotes”", "x" * 300, "",
]
TODAY = dt.date(2025, 6, 1)


def _entry(facet: str, title: str, n: int) -> TermEntry:
    return TermEntry(facet, f"term-{n}", title)


def hostile_context(base: dict, others: list, value: Any, i: int) -> dict:
    """``base`` with ``value`` in every slot the template prints, and the branches chosen by ``i``."""
    bit = lambda k: bool(i >> k & 1)  # noqa: E731
    text = value if isinstance(value, str) else str(value)
    other = dataclasses.replace(others[i % len(others)], title=value)
    status = ("published", "in-review", "draft")[i % 3]
    problems = [Problem(path="x.md", line=n, code="wrong", message=value, hint=value if n % 2 else "")
                for n in range(60 if bit(1) else 2)] if bit(0) else []
    pm = dataclasses.replace(base["pm"], title=value, impact=value if bit(2) else "", trigger=value,
                             detection=value if bit(3) else "", status=status, problems=problems,
                             authors=[text, "Sam"][:1 + i % 2] if bit(4) else [], tags=[text] if bit(5) else [])
    items = [ActionItem(title=text, type=text, action="add-monitoring", owner=text if bit(k) else None, status=s,
                        due=(TODAY - dt.timedelta(days=3 - k)) if bit(k + 1) else None,
                        ticket=(f"https://tickets.example/{k}" if k % 2 else text) if bit(k + 2) else None)
             for k, s in enumerate(("open", "in-progress", "done", "wont-do"))]
    terms = {facet: [_entry(facet, text, n) for n in range((i + k) % 3)]
             for k, facet in enumerate(("root_causes", "components", "actions", "severity", "years", "tags"))}
    earlier = [EarlierIncident(other, pairs=[(_entry("root_causes", text, 1), _entry("components", text, 2))],
                               linked=bit(k), open_items=[a for a in items if a.is_open][:k])
               for k in range(1 + i % 3)]
    return {
        **base, "pm": pm, "terms": terms, "started": value if bit(6) else "", "approximate": bit(7),
        "durations": [{"label": value, "measures": value, "value": value if k % 2 else "",
                       "stated": value if k < 2 else ""} for k in range(i % 4)],
        "recurrence": Recurrence(earlier, more=bit(8)) if bit(9) or i % 5 == 0 else None,
        "neighbours": (other if bit(10) else None, other if bit(11) else None), "today": TODAY,
        "inline": to_html,
        "related": [Relation(other, 1.0, [text, "same root cause"][:k]) for k in range(i % 3)],
        "parts": [BodyPart("markdown", f"<p>{text}</p>"), BodyPart("timeline"), BodyPart("markdown", text)][:1 + i % 3],
        "timeline": [TimelineRow(text, text, text, value if k % 2 else None, k) for k in range(i % 3)],
        "strip": [{"moment": value, "left": left, "label": value} for left in (0.0, 33.33, 100.0)[:i % 4]],
        "actions": [{"item": a, "overdue": a.is_overdue(TODAY),
                     "category": _entry("actions", text, 3) if bit(12) else None} for a in items[:i % 5]],
    }


@pytest.mark.parametrize("directory_urls", [False, True])
def test_hostile_values_in_every_slot_are_drawn_as_the_template_draws_them(monkeypatch, tmp_path, directory_urls):
    build, contexts = build_contexts(ordinary_kb(tmp_path / "kb"), monkeypatch, directory_urls=directory_urls)
    others = [c["pm"] for c in contexts]
    # Strings, and what else a template may be given to print: Markup, numbers, None.
    from markupsafe import Markup

    values: list[Any] = [*HOSTILE, Markup("<b>already HTML</b>"), 0, -1, 2.5, 1e20, None, True]
    hostile = [hostile_context(contexts[i % len(contexts)], others, value, i * 37 + j)
               for i, value in enumerate(values) for j in range(8)]
    assert differences(build, hostile) == []
    # The contexts reached the branches they were made for.
    drawn = "".join(draw_incident(**c) for c in hostile)
    for piece in ("pmkb-draft-problems", "This postmortem is in review", "pmkb-recurrence__items", "pmkb-strip__mark",
                  "pmkb-related", "pmkb-prevnext__prev", "&#43; earlier incidents", "as stated", "the write-up says",
                  "overdue</strong>", "won't do", "pmkb-moment-badge--", "Written by"):
        assert piece in drawn, piece


# --- a site's own templates -----------------------------------------------------------------

def drawn_pages(root: Path, **options: Any) -> dict[str, str]:
    """The incident pages' whole Markdown (front matter, the held HTML put back)."""
    site = SiteBuild(load_kb(KBConfig(root=root)), SiteOptions(drafts=True, **options))
    return {page.path: page.markdown for page in site.pages()
            if page.path.startswith("incidents/") and page.path != "incidents/index.md"}


def test_the_shipped_template_is_drawn_in_python():
    assert python_drawer(environment(), TEMPLATE) is draw_incident


@pytest.mark.parametrize("kind", ["ordinary", "attacker"])
def test_a_copy_of_the_shipped_template_draws_the_same_pages(tmp_path, kind):
    """Whole pages through the build: the copy is rendered with Jinja, the shipped one drawn."""
    root = kb_of_kind(tmp_path / "kb", kind)
    own = tmp_path / "own"
    own.mkdir()
    shutil.copy(SHIPPED / TEMPLATE, own / TEMPLATE)
    assert python_drawer(environment([own]), TEMPLATE) is None
    shipped, rendered = drawn_pages(root), drawn_pages(root, template_dirs=(own,))
    assert len(shipped) == (2 if kind == "attacker" else 5)
    assert shipped == rendered


@pytest.mark.parametrize("name", [TEMPLATE, "_macros.html.j2"])
def test_a_site_s_own_template_is_rendered_with_jinja(tmp_path, name):
    root = ordinary_kb(tmp_path / "kb")
    own = tmp_path / "own"
    own.mkdir()
    if name == TEMPLATE:
        (own / name).write_text("Our own page for {{ pm.title }}\n", encoding="utf-8")
        mark = "Our own page for Incident "
    else:
        text = (SHIPPED / name).read_text(encoding="utf-8")
        (own / name).write_text(text.replace("<script>", "<script data-ours>"), encoding="utf-8")
        mark = "<script data-ours>"
    pages = drawn_pages(root, template_dirs=(own,))
    assert len(pages) == 5 and all(mark in text for text in pages.values())
    if name == TEMPLATE:  # and escaped as every value is
        assert "Our own page for Incident 1 &lt;b&gt;&amp;&lt;/b&gt; &#42;x&#42;\n" in pages["incidents/incident-1.md"]
    assert not any(mark in text for text in drawn_pages(root).values())
