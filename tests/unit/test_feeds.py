"""Atom feeds: parsed back with feedparser, they list exactly the published postmortems."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import feedparser
import pytest

from kit.insights import AS_OF, PUBLISHED, write_fixture_kb
from postmortem_kb.loader import KBConfig, load_kb
from postmortem_kb.site import GeneratedFile, SiteOptions
from postmortem_kb.site.build import SiteBuild
from postmortem_kb.site.feeds import SITE_FEED, _moment, build_feed, feed_path, feeds

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def kb(tmp_path):
    write_fixture_kb(tmp_path)
    return load_kb(KBConfig(root=tmp_path, today=AS_OF))


def generate(kb, **options):
    files = {f.path: f for f in feeds(SiteBuild(kb, SiteOptions(**options)))}
    assert all(isinstance(f, GeneratedFile) for f in files.values())
    return files


def parse(content):
    feed = feedparser.parse(content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    return feed


def test_site_feed_lists_exactly_the_published_postmortems_newest_first(kb):
    feed = parse(generate(kb, site_url="https://kb.example.com/")[SITE_FEED].content)
    links = [e.link for e in feed.entries]
    assert links == [f"https://kb.example.com/incidents/{pm_id}/" for pm_id in PUBLISHED]
    assert all("draft-f" not in e.id for e in feed.entries)
    assert feed.feed.id == "https://kb.example.com/feeds/postmortems.xml"
    # updated is the newest incident (dns-g, 2024-09-01, no start time: midnight UTC), not the build time
    assert feed.feed.updated == "2024-09-01T00:00:00+00:00"


def test_entries_carry_summary_severity_and_categories(kb):
    feed = parse(generate(kb, site_url="https://kb.example.com")[SITE_FEED].content)
    entry = next(e for e in feed.entries if e.link.endswith("/disk-b/"))
    assert entry.title == "[SEV2] Incident disk-b <b>&</b>"  # the text as written, escaped in the XML
    assert entry.summary.startswith("SEV2 (Major). Summary of disk-b")
    terms = {(t.scheme, t.term) for t in entry.tags}
    assert terms == {("severity", "SEV2"), ("root cause", "hardware-failure"), ("component", "web-server"),
                     ("component", "load-balancer")}
    assert entry.updated == "2023-03-05T10:00:00+00:00"  # its start time
    assert entry.author == "Ana Lima"


def test_one_feed_per_root_cause_and_component(kb):
    files = generate(kb, site_url="https://kb.example.com/")
    web = parse(files[feed_path("components", "web-server")].content)
    assert [e.link.rsplit("/", 2)[-2] for e in web.entries] == ["capacity-d", "disk-b", "disk-a"]  # not draft-f
    hw = parse(files["feeds/root-causes/hardware-failure.xml"].content)
    assert [e.link.rsplit("/", 2)[-2] for e in hw.entries] == ["capacity-d", "disk-b", "disk-a"]
    assert hw.feed.updated == "2024-02-01T10:00:00+00:00"
    lb = parse(files["feeds/components/load-balancer.xml"].content)
    assert [e.link.rsplit("/", 2)[-2] for e in lb.entries] == ["lb-config-e", "lb-config-c", "disk-b"]
    # A taxonomy term without incidents still has a (valid, empty) feed to subscribe to.
    kafka = parse(files["feeds/components/kafka.xml"].content)
    assert kafka.entries == [] and kafka.feed.title == "Postmortems: Kafka"


def test_feeds_are_the_same_bytes_every_build(kb):
    first = {p: f.content for p, f in generate(kb).items()}
    second = {p: f.content for p, f in generate(kb).items()}
    assert first == second


def test_without_site_url_ids_are_urns_and_links_relative_to_the_feed(kb):
    files = generate(kb)
    feed = parse(files[SITE_FEED].content)
    assert feed.feed.id == "urn:postmortem-kb:feed:feeds:postmortems"
    assert feed.entries[0].id == "urn:postmortem-kb:incident:dns-g"
    root = ET.fromstring(files[SITE_FEED].content)
    entry_link = root.find(f"{ATOM}entry/{ATOM}link").get("href")
    assert entry_link == "../incidents/dns-g/"
    term = ET.fromstring(files["feeds/components/web-server.xml"].content)
    assert term.find(f"{ATOM}entry/{ATOM}link").get("href") == "../../incidents/capacity-d/"


def test_an_incident_reads_the_same_in_every_feed_it_is_in(kb):
    files = generate(kb)
    entries = {}
    for path in (SITE_FEED, "feeds/components/web-server.xml", "feeds/root-causes/hardware-failure.xml"):
        root = ET.fromstring(files[path].content)
        entry = next(e for e in root.findall(f"{ATOM}entry") if e.find(f"{ATOM}id").text.endswith(":disk-b"))
        link = entry.find(f"{ATOM}link")
        entries[path] = link.get("href")
        entry.remove(link)
        entries[path, "rest"] = ET.tostring(entry)
    # Links are relative to each feed's folder; everything else is the same entry.
    assert entries[SITE_FEED] == "../incidents/disk-b/"
    assert entries["feeds/components/web-server.xml"] == "../../incidents/disk-b/"
    assert entries["feeds/root-causes/hardware-failure.xml"] == "../../incidents/disk-b/"
    assert len({entries[p, "rest"] for p in (SITE_FEED, "feeds/components/web-server.xml",
                                             "feeds/root-causes/hardware-failure.xml")}) == 1


def test_one_feed_can_be_built_alone(kb):
    build = SiteBuild(kb, SiteOptions(site_url="https://kb.example.com/"))
    pms = build.data.postmortems
    alone = build_feed("Postmortems", "Published postmortems, newest first.", SITE_FEED, pms, kb.taxonomy,
                       build.urls, empty_updated=max(_moment(p) for p in pms))
    assert alone == generate(kb, site_url="https://kb.example.com/")[SITE_FEED].content


def test_base_dir_and_plain_urls_are_respected(kb):
    files = generate(kb, base_dir="kb", site_url="https://x.example/docs/", directory_urls=False)
    assert "kb/feeds/postmortems.xml" in files
    feed = parse(files["kb/feeds/postmortems.xml"].content)
    assert feed.entries[0].link == "https://x.example/docs/kb/incidents/dns-g.html"


def test_drafts_are_in_the_feed_only_when_the_site_shows_them(kb):
    feed = parse(generate(kb, drafts=True)[SITE_FEED].content)
    assert "urn:postmortem-kb:incident:draft-f" in [e.id for e in feed.entries]


def test_feed_xml_is_well_formed_atom_with_required_elements(kb):
    for path, file in generate(kb).items():
        if path.endswith("/sitemap.xml"):  # the empty sitemaps the theme looks for beside feeds
            assert ET.fromstring(file.content).tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
            continue
        root = ET.fromstring(file.content)
        assert root.tag == f"{ATOM}feed", path
        for name in ("id", "title", "updated"):
            assert root.find(f"{ATOM}{name}") is not None, (path, name)
        for entry in root.findall(f"{ATOM}entry"):
            for name in ("id", "title", "updated", "summary"):
                assert entry.find(f"{ATOM}{name}") is not None, (path, name)


def test_feeds_carry_the_newest_entries_up_to_the_limit(kb):
    files = generate(kb, feed_limit=2)
    site = parse(files[SITE_FEED].content)
    assert [e.id.rsplit(":", 1)[1] for e in site.entries] == PUBLISHED[:2]
    assert site.feed.updated == "2024-09-01T00:00:00+00:00"
    web = parse(files["feeds/components/web-server.xml"].content)
    assert [e.id.rsplit(":", 1)[1] for e in web.entries] == ["capacity-d", "disk-b"]
    everything = parse(generate(kb, feed_limit=0)[SITE_FEED].content)
    assert len(everything.entries) == len(PUBLISHED)


ODD = ["\x1b[31mred\x1b[0m", "a\x01b", "\ufffe", "\ud800", "\x00", "tab\tand\nnewline", "\u202eevil"]


@pytest.mark.parametrize("odd", ODD)
def test_feeds_never_fail_on_values_xml_cannot_carry(kb, odd):
    """The loader refuses control characters; the feed writer must still not raise on them."""
    pm = kb.postmortems[0]
    pm.title, pm.impact, pm.authors, pm.sections = f"T {odd}", f"S {odd}", [odd, "Ana"], []
    files = generate(kb)
    feed = parse(files[SITE_FEED].content)
    titles = [e.title for e in feed.entries]
    assert any(t.startswith(f"[{pm.severity}] T") for t in titles)
