"""The invariant: if validation passes, the build cannot fail because of a postmortem or the
taxonomy. Hypothesis writes postmortems (and taxonomies) full of hostile values; either the
loader reports an error, or every generated page, feed and file is made and every page
converts with Python-Markdown (and, for a few examples, a real MkDocs build succeeds)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

import markdown
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kit.site import build_site, write_site
from postmortem_kb.loader import KBConfig, load_kb
from postmortem_kb.site.build import SiteBuild
from postmortem_kb.site.options import SiteOptions

# Pieces that pass validation but stress every escaping layer, and a few that must be refused.
PIECES = ["<div>", "</div>", "<script>alert(1)</script>", "[", "](", ")", "{: onclick=x }", "--8<-- \".git/config\"",
          "`", "*", "_", "#", "|", "&amp;", "<!--", "-->", "::error::", "%0A", "{{ x }}", "{% raw %}", "\\", "'", '"',
          ":", "- ", "> ", "   ", "Sev 2", "é", "💥", "javascript:alert(1)", "../../.git/config", "[x](y)",
          "![i](j.png)", "<img src=x onerror=alert(1)>", "data-md-color=x", "id=__config", "${x}", "\u00a0", " "]
REFUSED = ["\x1b[31m", "\x01", "\ufffe", "\r", "\x85", "[" * 50, "<div>" * 60, "x" * 300]
safe = st.lists(st.sampled_from(PIECES) | st.text(alphabet=st.characters(categories=["L", "N", "P", "S", "Zs"]),
                                                   max_size=6), max_size=8).map("".join)
hostile = safe
dates = st.dates(dt.date(1990, 1, 1), dt.date(2035, 12, 31)) | st.sampled_from(
    [dt.date(2024, 3, 31), dt.date(2024, 10, 27), dt.date(1900, 1, 1), dt.date(2999, 12, 31), dt.date(9999, 12, 31),
     dt.date(1, 1, 1)])
zones = st.sampled_from(["+00:00", "+14:00", "-12:00", "Europe/Berlin", "America/St_Johns", "UTC", "Z"])


@st.composite
def postmortems(draw):
    fm = {
        "title": draw(hostile) or "t",
        "date": draw(dates),
        "severity": "SEV2",
        "status": draw(st.sampled_from(["published", "draft", "in-review"])),
        "authors": [draw(hostile) or "a"],
        "components": [draw(hostile) or "c"],
        "root_causes": [draw(hostile) or "r"],
        "tags": [draw(hostile) or "t"],
        "impact": draw(hostile),
        "trigger": draw(hostile),
        "timezone": draw(zones),
        "action_items": [{"title": draw(hostile) or "a", "owner": draw(hostile), "ticket": draw(hostile),
                          "action": draw(hostile) or "add-monitoring",
                          "due": draw(st.none() | dates)}],
    }
    if draw(st.integers(0, 3)) == 0:
        fm["id"] = draw(hostile)
    elif draw(st.booleans()):
        fm["id"] = draw(st.from_regex(r"[a-z0-9]{1,10}(-[a-z0-9]{1,10}){0,3}", fullmatch=True))
    if draw(st.integers(0, 3)) == 0:  # one value that must be refused, somewhere
        key = draw(st.sampled_from(["title", "impact", "trigger"]))
        fm[key] = f"{fm[key]}{draw(st.sampled_from(REFUSED))}"
    clock = draw(st.sampled_from(["00:00", "23:59", "02:30", "10:00"]))
    timeline = f"- {clock} [start] {draw(hostile)}\n- {draw(st.sampled_from(['00:10', '03:10', '23:58']))} " \
               f"[resolved] {draw(hostile)}\n  {draw(hostile)}\n"
    body = (f"## Summary\n\n{draw(hostile) or 's'}\n\n## Timeline\n\n{timeline}\n## Root cause\n\n"
            f"{draw(hostile) or 'r'}\n\n## {draw(hostile)}\n\n{draw(hostile)}\n")
    return fm, body


def _write(root: Path, fm: dict, body: str, severity: str = "SEV3") -> None:
    (root / "postmortems").mkdir(parents=True, exist_ok=True)
    text = "---\n" + yaml.safe_dump(fm, allow_unicode=True) + "---\n" + body
    (root / "postmortems" / "x.md").write_text(text, encoding="utf-8")
    (root / "postmortems" / "ok.md").write_text(
        "---\ntitle: A plain one\ndate: 2024-01-02\nseverity: " + json.dumps(severity)
        + "\ncomponents: [web]\nroot_causes: [disk]\n---\n"
        "## Summary\n\ns\n\n## Timeline\n\n- 10:00 [start] a\n- 10:30 [resolved] b\n\n## Root cause\n\nr\n",
        encoding="utf-8")


def _generate_everything(kb) -> None:
    build = SiteBuild(kb, SiteOptions(drafts=True))
    items = build.generate()
    assert items
    for page in build.pages():
        html = markdown.markdown(page.markdown.split("---\n", 2)[-1], extensions=["toc", "tables", "admonition"])
        build.finish(page.path, html)
    for item in build.files():
        content = getattr(item, "content", None)
        if isinstance(content, (bytes, str)) and item.path.endswith(".json"):
            json.loads(content)


def _valid_hostile(title: str, item: str, clock: str, zone: str, day: dt.date) -> tuple[dict, str]:
    """A postmortem every rule accepts whose values still carry markup of HTML and Markdown extensions."""
    fm = {"title": title, "date": day, "severity": "SEV2", "status": "published", "authors": ["<b>a</b>"],
          "components": ["c"], "root_causes": ["r"], "tags": ["{{ x }}"], "impact": "[x](y) *",
          "trigger": "id=__config", "timezone": zone,
          "action_items": [{"title": item, "owner": "@x", "ticket": "OPS-1", "action": "add-monitoring", "due": None}]}
    body = (f"## Summary\n\n<img src=x onerror=alert(1)>\n\n## Timeline\n\n- {clock} [start] <div>\n"
            "- 03:10 [resolved] `x` {: onclick=x }\n\n## Root cause\n\n--8<-- \".git/config\"\n")
    return fm, body


# Always checked, whatever the generator draws: the guard below counts on them passing validation.
VALID_HOSTILE = [
    _valid_hostile("<script>alert(1)</script> {: onclick=x }", "Rotate certs {: autofocus onfocus=alert(1) }",
                   "02:30", "Europe/Berlin", dt.date(2024, 3, 31)),
    _valid_hostile("[TOC] *[abbr]: x", "--8<-- \".git/config\"", "00:00", "+14:00", dt.date(2999, 12, 30)),
    _valid_hostile("💥 &amp; ::error::%0A", "[^1] ${x}", "02:30", "America/St_Johns", dt.date(2024, 10, 27)),
]


VALID_TAXONOMIES = [
    {"severities": [{"id": "SEV1", "title": "<b>x</b>"}, {"id": "SEV2", "title": "{: onclick=x }"}],
     "components": {"web": {"title": "<i>w</i> [TOC]", "aliases": ["front"]}},
     "root_causes": {"disk": {"aliases": ["hdd", "web"]}}},
    {"severities": [{"id": "P1", "title": "--8<-- x"}, {"id": "Level-2", "title": "*[abbr]: y"}],
     "components": {"web": {"description": "<script>alert(1)</script>"}},
     "root_causes": {"disk": {"aliases": ["ui"]}}},
]


SETTINGS = settings(max_examples=100, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def test_valid_means_the_site_generates():
    generated = []

    @SETTINGS
    @given(postmortems())
    @example(VALID_HOSTILE[0])
    @example(VALID_HOSTILE[1])
    @example(VALID_HOSTILE[2])
    def check(case):
        fm, body = case
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            _write(root, fm, body)
            kb = load_kb(KBConfig(root=root))
            if kb.errors:
                return
            _generate_everything(kb)
            generated.append(len(kb.postmortems))

    check()
    # The property is only worth something if hostile postmortems do pass validation
    assert sum(n == 2 for n in generated) >= len(VALID_HOSTILE), generated


@st.composite
def taxonomies(draw):
    first = st.sampled_from(["SEV1", "P1", "Critical", "sev-0"])
    sev = [draw(st.one_of(first, first, first, hostile.map(lambda v: v or "SEV1"))),
           draw(st.sampled_from(["SEV2", "S-2", "2", "Level-2"]) | st.sampled_from(["Sev 2", "SEV1", "sev1"]))]
    words = st.sampled_from(["front", "Front End", "web_ui", "ui", "Disk"]) | st.sampled_from([")", "!!!"])
    return {"severities": [{"id": s, "title": draw(hostile)} for s in sev],
            "components": {draw(hostile) or "web": {"title": draw(hostile),
                                                    "aliases": [draw(st.one_of(words, words, hostile)) or "front"]},
                           "web": {"description": draw(hostile)}},
            "root_causes": {"disk": {"aliases": [draw(st.one_of(words, hostile)) or "hdd", "web"]}}}


def test_valid_taxonomy_means_the_site_generates():
    generated = []

    @SETTINGS
    @given(taxonomies(), postmortems())
    @example(VALID_TAXONOMIES[0], VALID_HOSTILE[0])
    @example(VALID_TAXONOMIES[1], VALID_HOSTILE[1])
    def check(taxonomy, case):
        fm, body = copy.deepcopy(case)
        fm["components"], fm["root_causes"] = ["web"], ["disk"]
        fm["severity"] = taxonomy["severities"][1]["id"]
        del fm["action_items"][0]["action"]
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            _write(root, fm, body, fm["severity"])
            (root / "taxonomy.yml").write_text(yaml.safe_dump(taxonomy, allow_unicode=True), encoding="utf-8")
            kb = load_kb(KBConfig(root=root))
            if kb.errors:
                return
            _generate_everything(kb)
            generated.append(len(kb.postmortems))

    check()
    # (no count guard here: whether a drawn taxonomy is valid depends on the draw)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(postmortems())
def test_valid_means_a_real_strict_build_succeeds(case):
    fm, body = case
    fm["status"] = "published"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _write(root, fm, body)
        if load_kb(KBConfig(root=root)).errors:
            (root / "postmortems" / "x.md").unlink()  # still build: the plain one alone
        write_site(root)
        site = build_site(root)
        assert (site / "index.html").exists()
        shutil.rmtree(site)
