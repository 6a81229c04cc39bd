"""The site built by the MkDocs plugin: pages, links, escaping, offline, strictness, determinism."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import shutil
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mkdocs.exceptions import Abort

from kit import ROOT, write_postmortem
from kit.site import build_site, html_files, incident_links, is_external, parse, pm, resolve, write_site
from postmortem_kb.loader import KBConfig, load_kb
from postmortem_kb.site.urls import page_url, relative_url
from postmortem_kb.slugs import slugify


@pytest.fixture
def small_kb(kb_root: Path) -> Path:
    """Four postmortems: a recurrence, an explicit relation, one in review, one draft."""
    pm(kb_root, "disk-a", date="2023-03-01", title="Disk died on web-1", item_status="open")
    pm(kb_root, "disk-b", date="2024-05-01", title="Disk died on web-2", related="disk-a",
       item="Replace old disks", action="maintenance", item_status="done")
    pm(kb_root, "lb-config", date="2024-07-01", title="Bad LB config", components="load-balancer",
       root_causes="configuration-change", tags="haproxy, Config Push", status="in-review",
       action="config-validation", owner="Ana", due="2024-08-01",
       summary="A config push to the load balancer dropped health checks.")
    pm(kb_root, "draft-one", date="2024-09-01", title="Still writing this", status="draft",
       root_causes="dns", components="dns-resolver")
    write_site(kb_root)
    return kb_root


def site_of(root: Path, **kw) -> Path:
    return build_site(root, **kw)


def read(site: Path, rel: str) -> str:
    return (site / rel).read_text(encoding="utf-8")


def page_file(site: Path, rel_md: str, directory_urls: bool = True) -> Path:
    stem = rel_md[:-3]
    if stem.endswith("index"):
        return site / (stem + ".html")
    return site / (f"{stem}/index.html" if directory_urls else f"{stem}.html")


# The sample KB ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample_site(tmp_path_factory) -> Path:
    if not (ROOT / "mkdocs.yml").is_file() or not (ROOT / "postmortems").is_dir():
        pytest.skip("the sample KB is not beside the tests")
    out = tmp_path_factory.mktemp("sample") / "site"
    return build_site(ROOT, strict=True, site_dir=str(out))


def test_sample_kb_builds_strict_with_a_page_per_term_listing_exactly_its_incidents(sample_site):
    kb = load_kb(KBConfig(root=ROOT))
    shown = kb.visible(False)
    assert shown, "the sample KB has postmortems"
    folders = {"root_causes": "root-causes", "components": "components", "actions": "actions"}
    checked = 0
    for kind, folder in folders.items():
        used: dict[str, set[str]] = {}
        for p in shown:
            terms = p.actions if kind == "actions" else getattr(p, kind)
            for slug in terms:
                used.setdefault(slug, set()).add(p.id)
        for slug, ids in used.items():
            path = page_file(sample_site, f"{folder}/{slug}.md", directory_urls=False)
            assert path.is_file(), f"no page for {kind} {slug}"
            assert incident_links(parse(path), sample_site, path) == ids, f"{folder}/{slug}"
            checked += 1
        # The listing's counts say the same.
        listing = parse(sample_site / folder / "index.html").visible_text
        for slug, ids in used.items():
            title = kb.taxonomy.term(kind, slug).title
            assert re.search(re.escape(title) + r".*? " + str(len(ids)) + r" ", listing), (title, len(ids))
    assert checked >= 10


def test_every_link_on_the_sample_site_resolves(sample_site):
    assert_links_resolve(sample_site)


def test_sample_incident_page_has_card_timeline_actions_and_search_hooks(sample_site):
    kb = load_kb(KBConfig(root=ROOT))
    p = next(p for p in kb.visible() if p.timeline and p.action_items and p.root_causes)
    page = parse(sample_site / "incidents" / f"{p.id}.html")
    text = page.visible_text
    # The first screen: severity and date once, under the title; the promise counted.
    assert text.count(p.date.isoformat()) >= 1 and re.search(rf"{p.severity} .*{p.date.isoformat()}", text)
    assert re.search(rf"{len(p.action_items)} action items?\s*:", text)
    filters = {v for tag, k, v in page.attrs if k == "data-pagefind-filter"}
    assert {"severity", "root cause"} <= filters
    assert any(k == "data-pagefind-body" for _, k, _ in page.attrs)
    for item in p.action_items:
        assert item.title in text


# Links, determinism, offline ------------------------------------------------------------------

def assert_links_resolve(site: Path) -> None:
    broken = []
    for path in html_files(site):
        page = parse(path)
        for _tag, url, _attrs in page.links:
            if is_external(url) or url.startswith(("mailto:", "data:")) or not url or url == "#":
                continue
            target, fragment = resolve(site, path, url)
            if not target.exists():
                broken.append(f"{path.relative_to(site)}: {url}")
            elif fragment and target.suffix == ".html" and target.name != "404.html" and \
                    "pmkb" in target.read_text(encoding="utf-8") and fragment not in parse(target).ids:
                broken.append(f"{path.relative_to(site)}: {url} (no #{fragment})")
    assert not broken, "\n".join(broken[:20])


@pytest.mark.parametrize("directory_urls", [True, False])
def test_every_link_resolves_in_both_url_styles(small_kb, directory_urls):
    write_site(small_kb, directory_urls=directory_urls)
    site = site_of(small_kb)
    assert_links_resolve(site)
    assert page_file(site, "incidents/disk-a.md", directory_urls).is_file()


def test_two_builds_of_the_same_kb_are_identical(small_kb, tmp_path):
    first = site_of(small_kb, site_dir=str(tmp_path / "one"))
    time.sleep(1.1)  # a timestamp with one-second resolution would differ between the two builds
    second = site_of(small_kb, site_dir=str(tmp_path / "two"))
    files_one = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    files_two = sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert files_one == files_two
    different = [str(f) for f in files_one if (first / f).read_bytes() != (second / f).read_bytes()]
    assert different == []


def test_the_site_requests_nothing_outside_itself(small_kb):
    site = site_of(small_kb)
    outside = []
    for path in html_files(site):
        for tag, url, attrs in parse(path).links:
            loads = tag in ("script", "img", "iframe", "source", "audio", "video") or (
                tag == "link" and not {"canonical", "alternate"} & set(attrs.get("rel", "").split()))
            if loads and is_external(url):
                outside.append(f"{path.relative_to(site)}: <{tag}> {url}")
    for path in list(site.rglob("*.css")) + list(site.rglob("*.js")):
        text = path.read_text(encoding="utf-8", errors="replace")
        for m in re.finditer(r"@import\s+(?:url\()?['\"]?(https?:)?//|url\(\s*['\"]?(?:https?:)?//", text):
            outside.append(f"{path.relative_to(site)}: {text[m.start():m.start() + 80]}")
        if "fonts.googleapis" in text or "fonts.gstatic" in text:
            outside.append(f"{path.relative_to(site)}: web fonts")
    assert outside == []


# Pages from the model -------------------------------------------------------------------------

def test_incident_page_shows_recurrence_related_both_ways_and_status(small_kb):
    site = site_of(small_kb)
    b = parse(page_file(site, "incidents/disk-b.md"))
    assert "This happened before: 1 earlier incident" in b.visible_text
    # disk-a's action item is still open, listed under disk-a.
    assert "Still open: Alert on disks" in b.visible_text
    assert "disk-a" in incident_links(b, site, page_file(site, "incidents/disk-b.md"))
    a_path = page_file(site, "incidents/disk-a.md")
    a = parse(a_path)
    assert "disk-b" in incident_links(a, site, a_path), "related is shown both ways"
    assert "links to this incident" in a.visible_text
    lb = parse(page_file(site, "incidents/lb-config.md"))
    assert "In review" in lb.visible_text
    assert "overdue" in lb.visible_text  # due 2024-08-01, still open


def test_drafts_are_left_out_unless_asked(small_kb):
    site = site_of(small_kb)
    assert not page_file(site, "incidents/draft-one.md").exists()
    assert not page_file(site, "root-causes/dns.md").exists()
    assert "Still writing this" not in read(site, "index.html")
    write_site(small_kb, drafts=True)
    site = site_of(small_kb)
    page = parse(page_file(site, "incidents/draft-one.md"))
    assert "Draft" in page.visible_text
    assert page_file(site, "root-causes/dns.md").is_file()


def test_every_facet_has_term_pages_and_counts(small_kb):
    site = site_of(small_kb)
    kb = load_kb(KBConfig(root=small_kb))
    shown = kb.visible()
    for facet, folder, terms_of in (
            ("severity", "severity", lambda p: [slugify(p.severity)]),
            ("years", "years", lambda p: [str(p.year)]),
            ("tags", "tags", lambda p: p.tag_slugs)):
        used: dict[str, set[str]] = {}
        for p in shown:
            for slug in terms_of(p):
                used.setdefault(slug, set()).add(p.id)
        assert used
        for slug, ids in used.items():
            path = page_file(site, f"{folder}/{slug}.md")
            assert incident_links(parse(path), site, path) == ids, (facet, slug)
    # The tag keeps its writer's spelling on its page.
    assert "Config Push" in parse(page_file(site, "tags/config-push.md")).visible_text


def test_action_category_page_lists_the_concrete_items_with_status(small_kb):
    site = site_of(small_kb)
    text = parse(page_file(site, "actions/add-monitoring.md")).visible_text
    assert "Alert on disks (disk-a)" in text and "Add monitoring and alerting" in text
    assert "Replace old disks" not in text
    assert "Replace old disks" in parse(page_file(site, "actions/maintenance.md")).visible_text


def test_action_items_tracker_groups_overdue_first_and_filters_without_external_script(small_kb):
    site = site_of(small_kb)
    html = read(site, "action-items/index.html")
    page = parse(site / "action-items" / "index.html")
    text = page.visible_text
    assert text.index("Overdue") < text.index("Open") < text.index("Done")
    assert text.index("Alert on disks (lb-config)") < text.index("Alert on disks (disk-a)")
    owners = {v for tag, k, v in page.attrs if k == "data-owner"}
    assert owners == {"sam", "ana"}
    assert 'name="owner"' in html and 'name="category"' in html


def test_home_page_has_recent_incidents_open_items_counts_and_entry_points(small_kb):
    site = site_of(small_kb)
    page = parse(site / "index.html")
    assert incident_links(page, site, site / "index.html") >= {"disk-a", "disk-b", "lb-config"}
    hrefs = {url for tag, url, _ in page.links if tag == "a"}
    for folder in ("root-causes/", "components/", "actions/", "severity/", "years/", "tags/", "action-items/"):
        assert any(h.startswith(folder) for h in hrefs), folder


def test_generated_pages_stay_out_of_the_navigation(small_kb):
    for i in range(5):
        pm(small_kb, f"extra-{i}", date=f"2022-0{i + 1}-10", title=f"Extra {i}")
    site = site_of(small_kb)
    nav_links = re.findall(r'class="md-nav__link[^"]*"[^>]*href="([^"]+)"|href="([^"]+)"\s+class="md-nav__link',
                           read(site, "index.html"))
    targets = [a or b for a, b in nav_links]
    assert targets, "the theme draws a navigation"
    assert not [t for t in targets if re.search(r"incidents/[a-z0-9-]+/", t)]


def test_base_path_puts_every_generated_page_under_it(small_kb):
    write_site(small_kb, base_path="kb")
    (small_kb / "docs" / "index.md").write_text("# Our docs\n\nSee [the KB](kb/index.md).\n")
    site = site_of(small_kb)
    assert page_file(site, "kb/incidents/disk-a.md").is_file()
    assert not (site / "incidents").exists()
    assert "Our docs" in read(site, "index.html")
    assert_links_resolve(site)


def test_templates_can_be_overridden_by_the_site(small_kb):
    overrides = small_kb / "pm-templates"
    overrides.mkdir()
    (overrides / "term.md.j2").write_text("<p>OVERRIDDEN {{ entry.title }} {{ entry.count }}</p>\n")
    write_site(small_kb, templates_dir="pm-templates")
    site = site_of(small_kb)
    assert "OVERRIDDEN Hardware failure 2" in parse(page_file(site, "root-causes/hardware-failure.md")).visible_text


def test_a_site_page_wins_over_a_generated_one(small_kb):
    (small_kb / "docs" / "index.md").write_text("# Welcome to our incidents\n")
    site = site_of(small_kb)
    assert "Welcome to our incidents" in read(site, "index.html")


# Hostile input --------------------------------------------------------------------------------

HOSTILE_TITLE = "<script>alert('t')</script> & <img src=x onerror=alert('i')>"


def test_hostile_values_are_escaped_everywhere(kb_root):
    taxonomy = (kb_root / "taxonomy.yml").read_text()
    taxonomy = taxonomy.replace("title: Web server", "title: \"<img src=x onerror=alert('c')>\"")
    (kb_root / "taxonomy.yml").write_text(taxonomy)
    write_postmortem(kb_root, "evil", f"""\
        ---
        title: "{HOSTILE_TITLE}"
        date: 2024-03-14
        severity: SEV2
        components: [web-server]
        root_causes: [hardware-failure]
        tags: ["<script>alert('tag')</script>", "[x](javascript:alert('md'))"]
        authors: ["<b onmouseover=alert('a')>Eve</b>"]
        trigger: "<svg onload=alert('trigger')>"
        action_items:
          - title: "<img src=x onerror=alert('item')>"
            action: add-monitoring
            owner: "<script>alert('owner')</script>"
            ticket: "https://tickets.example.com/OPS-1?q=<script>alert('ticket')</script>"
            status: open
        ---

        ## Summary

        Click [here](javascript:alert('body')) or <a href="javascript:alert('raw')">here</a>.
        <script>alert('body-script')</script>
        <img src=x onerror="alert('body-img')">
        [ref]: javascript:alert('ref')

        ## Root cause

        <div onclick="alert('div')">A **disk** failed.</div>

        ## Resolution

        <img src=x onerror="alert('before-open-fence')">
        ~~~
        a code block nobody closed (the backticks below do not close a tilde fence)
        ```

        ## Lessons <img src=x onerror="alert('heading')"> <script>alert('h2')</script>

        Keep spares, run `fsck`:

        ~~~
        fsck -y /dev/sda2
        ~~~

        <img src=x onerror="alert('after-fence')">
        """)
    write_site(kb_root)
    site = site_of(kb_root)
    incident = page_file(site, "incidents/evil.md")
    page = parse(incident)
    assert "<script>alert('t')</script> & <img src=x onerror=alert('i')>" in page.visible_text
    assert "<script>alert('t')</script>" in page.title
    assert "<img src=x onerror=alert('item')>" in page.visible_text
    assert "<script>alert('owner')</script>" in page.visible_text
    assert "<img src=x onerror=alert('c')>" in page.visible_text
    assert "A **disk** failed." in page.visible_text  # raw HTML keeps its text, loses its handler
    assert "a code block nobody closed" in page.visible_text and "Action items" in page.visible_text
    for path in html_files(site):
        p = parse(path)
        assert not [s for s in p.scripts if "alert(" in s], path
        for tag, name, value in p.attrs:
            assert not (name.startswith("on") and "alert" in value), (path, tag, name, value)
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                assert not re.sub(r"[\s\x00-\x1f]", "", value).lower().startswith(("javascript:", "vbscript:")), \
                    (path, tag, value)
    # The theme's search index never carries the writer's markup (incidents are indexed from
    # their data, escaped where results are drawn: see the browser tests).
    index = json.loads(read(site, "search/search_index.json"))
    assert all("<script>" not in d.get("title", "") + d.get("text", "") for d in index["docs"])


# Strictness -----------------------------------------------------------------------------------

BROKEN = """\
---
title: Broken one
date: 2024-02-30
severity: SEV9
---

## Summary

Text.

## Root cause

Text.
"""


def test_invalid_postmortem_fails_a_strict_build_with_validate_lines_and_keeps_the_old_site(small_kb, caplog):
    site = site_of(small_kb)
    marker = site / "previous-build.txt"
    marker.write_text("still here")
    write_postmortem(small_kb, "broken", BROKEN)
    expected = [p.format_text() for p in load_kb(KBConfig(root=small_kb)).problems if p.is_error]
    assert expected
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="mkdocs"), pytest.raises(Abort):
        site_of(small_kb)
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    for line in expected:
        assert line in logged
    assert any(re.match(r"postmortems/broken\.md:\d+: [a-z-]+: ", m) for m in logged)
    assert marker.read_text() == "still here", "a failed build leaves the previous site alone"


def test_invalid_postmortem_is_skipped_with_a_warning_without_strict(small_kb, caplog):
    write_postmortem(small_kb, "broken", BROKEN)
    with caplog.at_level(logging.WARNING, logger="mkdocs"):
        site = site_of(small_kb, strict=False)
    assert any("postmortems/broken.md" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    assert not page_file(site, "incidents/broken.md").exists()
    assert page_file(site, "incidents/disk-a.md").is_file()


def test_links_between_postmortem_files_become_links_between_pages(kb_root):
    pm(kb_root, "first", date="2023-01-01")
    pm(kb_root, "second", date="2023-02-01",
       summary="Like [the first](first.md#root-cause) and [a draft](gone.md), see [docs](https://example.com/x.md).")
    write_site(kb_root, directory_urls=False)
    site = site_of(kb_root)
    page_path = page_file(site, "incidents/second.md", False)
    page = parse(page_path)
    assert "first" in incident_links(page, site, page_path)
    assert "a draft" in page.visible_text and not any("gone" in u for _, u, _ in page.links)
    assert_links_resolve(site)


def test_disabled_plugin_generates_nothing(small_kb):
    write_site(small_kb, enabled=False)
    (small_kb / "docs" / "index.md").write_text("# Plain\n")
    site = site_of(small_kb)
    assert not (site / "incidents").exists()


def test_tracker_says_which_day_overdue_is_counted_from(small_kb):
    site = site_of(small_kb)
    assert f"as of {dt.date.today().isoformat()}" in parse(site / "action-items" / "index.html").visible_text


def test_serve_watches_the_kb(small_kb):
    from mkdocs.config import load_config

    cfg = load_config(str(small_kb / "mkdocs.yml"))
    plugin = cfg.plugins["postmortems"]
    watched = []

    class Server:
        def watch(self, path, *a, **k):
            watched.append(Path(path))

    plugin.on_serve(Server(), config=cfg, builder=None)
    assert small_kb / "postmortems" in watched and small_kb / "taxonomy.yml" in watched


def test_kb_copied_from_sample_builds(tmp_path):
    if not (ROOT / "postmortems").is_dir():
        pytest.skip("no sample KB")
    shutil.copytree(ROOT / "postmortems", tmp_path / "postmortems")
    shutil.copy(ROOT / "taxonomy.yml", tmp_path / "taxonomy.yml")
    write_site(tmp_path, directory_urls=True)
    site = site_of(tmp_path)
    assert_links_resolve(site)


# The CLI agrees with the site -----------------------------------------------------------------

def related_on_page(site: Path, pm_id: str) -> list[str]:
    html = (page_file(site, f"incidents/{pm_id}.md")).read_text(encoding="utf-8")
    section = html.split('class="pmkb-related"', 1)[1].split("</ul>", 1)[0] if "pmkb-related" in html else ""
    return re.findall(r'href="\.\./([a-z0-9-]+)/"', section)


def test_pmkb_similar_lists_what_the_incident_page_lists(small_kb, runner):
    from postmortem_kb.cli import cli

    pm(small_kb, "disk-c", date="2025-01-01", title="Third disk", components="web-server, load-balancer")
    site = site_of(small_kb)
    for pm_id in ("disk-a", "disk-b", "lb-config", "disk-c"):
        result = runner.invoke(cli, ["--kb", str(small_kb), "similar", pm_id, "--format", "json"])
        assert result.exit_code == 0, result.output
        from_cli = [r["id"] for r in json.loads(result.output)["results"]]
        assert from_cli == related_on_page(site, pm_id), pm_id
    text = runner.invoke(cli, ["--kb", str(small_kb), "similar", "a disk died on the web server"])
    assert text.exit_code == 0 and "disk-" in text.output and "mentions" in text.output
    path = runner.invoke(cli, ["--kb", str(small_kb), "similar", str(small_kb / "postmortems" / "disk-b.md")])
    assert path.exit_code == 0 and "disk-a" in path.output and "linked by its writers" in path.output
    missing = runner.invoke(cli, ["--kb", str(small_kb), "similar", "nope.md"])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_templates_in_the_theme_custom_dir_override_too(small_kb):
    custom = small_kb / "overrides" / "postmortems"
    custom.mkdir(parents=True)
    (custom / "facet.md.j2").write_text("<p>CUSTOM LISTING {{ entries | length }}</p>\n")
    text = (small_kb / "mkdocs.yml").read_text().replace("  font: false\n", "  font: false\n  custom_dir: overrides\n")
    (small_kb / "mkdocs.yml").write_text(text)
    site = site_of(small_kb)
    assert "CUSTOM LISTING 2" in parse(site / "root-causes" / "index.html").visible_text


def test_a_generated_path_leaving_the_site_is_refused(small_kb, monkeypatch):
    from postmortem_kb.site import GeneratedFile
    from postmortem_kb.site import build as site_build

    def evil(build):
        yield GeneratedFile("../outside.txt", "x")

    monkeypatch.setattr(site_build, "GENERATORS", site_build.GENERATORS + (evil,))
    with pytest.raises(Abort):
        site_of(small_kb)
    assert not (small_kb / "outside.txt").exists()


# URL arithmetic -------------------------------------------------------------------------------



_segment = st.sampled_from(["incidents", "kb", "tags", "a-b", "index", "x1"])
_page = st.lists(_segment, min_size=0, max_size=3).flatmap(
    lambda folders: st.sampled_from(["index", "page", "sev2"]).map(lambda name: "/".join(folders + [name]) + ".md"))


@given(_page, _page, st.booleans())
def test_relative_url_lands_on_the_target_page(source, target, directory_urls):
    import posixpath

    def where(url: str) -> str:
        """A site-relative URL as a file: folders mean their index.html."""
        url = posixpath.normpath(url)
        return "index.html" if url == "." else url if url.endswith(".html") else f"{url}/index.html"

    here = page_url(source, directory_urls)
    folder = here if here.endswith("/") else posixpath.dirname(here)
    link = relative_url(source, target, directory_urls)
    assert not link.startswith("/") and "://" not in link
    assert where(posixpath.join(folder, link)) == where(page_url(target, directory_urls))
