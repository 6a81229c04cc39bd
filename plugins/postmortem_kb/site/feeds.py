"""Atom feeds: every published postmortem, and one feed per root cause and per component.

A team follows the feed of its component or of the root causes it owns. Each feed carries the
newest ``FEED_LIMIT`` postmortems (``feed_limit`` in the site's options; 0 for all): feed readers
poll often, and the complete list is catalog.json's job. Feeds are written by
feedgen; their ``updated`` is the newest incident's date, never the time of the build, so the
same KB always gives the same bytes. Feed and entry ids are the pages' URLs when the site knows
its ``site_url``, and permanent ``urn:postmortem-kb:...`` ids when it does not (links are then
relative to the feed, which feed readers resolve against the feed's own address).
"""

from __future__ import annotations

import datetime as dt
import posixpath
from typing import Iterable

from feedgen.feed import FeedGenerator

from ..model import Postmortem
from ..taxonomy import Taxonomy
from . import GeneratedFile, SiteOptions, generator
from .exports import Urls, incident_page, page_url, published

SITE_FEED = "feeds/postmortems.xml"
FEED_LIMIT = 50
TERM_FOLDERS = {"root_causes": "root-causes", "components": "components"}
KIND_WORDS = {"root_causes": "root cause", "components": "component"}
_EMPTY_FEED_UPDATED = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def feed_path(kind: str, slug: str) -> str:
    """Where the feed of one root cause or component lives: ``feeds/root-causes/<slug>.xml``."""
    return f"feeds/{TERM_FOLDERS[kind]}/{slug}.xml"


def _moment(pm: Postmortem) -> dt.datetime:
    """When an entry happened: the incident's start, or midnight UTC of its date."""
    started = pm.metrics.started_at
    if started is not None:
        return started.astimezone(dt.timezone.utc)
    return dt.datetime.combine(pm.date, dt.time(0, 0), tzinfo=dt.timezone.utc)


def _summary(pm: Postmortem, taxonomy: Taxonomy) -> str:
    severity = taxonomy.severity(pm.severity)
    level = f"{pm.severity} ({severity.title})" if severity and severity.title else pm.severity
    text = " ".join(pm.summary.split())
    return f"{level}. {text}" if text else f"{level}."


def build_feed(title: str, subtitle: str, path: str, postmortems: Iterable[Postmortem], taxonomy: Taxonomy,
               urls: Urls, limit: int = FEED_LIMIT) -> bytes:
    """One Atom feed at ``path`` (relative to the KB's part of the site): the newest ``limit``
    postmortems (all when 0), newest first."""
    pms = sorted(postmortems, key=lambda p: (p.date, _moment(p), p.id), reverse=True)
    if limit > 0:
        pms = pms[:limit]

    def link(target: str) -> str:
        # Relative links resolve against the feed's own URL when the site_url is unknown.
        if urls.site_url:
            return urls.absolute(target)
        relative = posixpath.relpath(target or ".", posixpath.dirname(path))
        return relative + "/" if not target or target.endswith("/") else relative

    fg = FeedGenerator()
    fg.id(urls.id_for(path, "feed:" + path.removesuffix(".xml").replace("/", ":")))
    fg.title(title)
    fg.subtitle(subtitle)
    fg.link(href=link(path), rel="self", type="application/atom+xml")
    fg.link(href=link(page_url("index.md", urls.directory_urls)), rel="alternate", type="text/html")
    fg.language("en")
    fg.generator("postmortem-kb")
    fg.updated(max((_moment(p) for p in pms), default=_EMPTY_FEED_UPDATED))
    # feedgen puts the first added entry last; add oldest first so the feed reads newest first.
    for pm in reversed(pms):
        page = page_url(incident_page(pm.id), urls.directory_urls)
        entry = fg.add_entry()
        entry.id(urls.id_for(page, "incident:" + pm.id))
        entry.title(f"[{pm.severity}] {pm.title}")
        entry.link(href=link(page), rel="alternate", type="text/html")
        entry.published(_moment(pm))
        entry.updated(_moment(pm))
        entry.summary(_summary(pm, taxonomy))
        for name in pm.authors:
            entry.author(name=name)
        entry.category(term=pm.severity, scheme="severity", label=f"Severity {pm.severity}")
        for kind in ("root_causes", "components"):
            for slug in getattr(pm, kind):
                entry.category(term=slug, scheme=KIND_WORDS[kind], label=taxonomy.term(kind, slug).title)
    if not pms:
        fg.author(name="postmortem-kb")  # Atom wants an author on the feed when no entry has one
    else:
        missing = [pm for pm in pms if not pm.authors]
        if missing:
            fg.author(name="postmortem-kb")
    return fg.atom_str(pretty=True)


def all_feeds(postmortems: list[Postmortem], taxonomy: Taxonomy, urls: Urls,
              limit: int = FEED_LIMIT) -> dict[str, bytes]:
    """Every feed by path: the site's, then one per term of the taxonomy or in use."""
    feeds = {SITE_FEED: build_feed("Postmortems", "Published postmortems, newest first.", SITE_FEED,
                                   postmortems, taxonomy, urls, limit)}
    for kind in ("root_causes", "components"):
        by_term: dict[str, list[Postmortem]] = {slug: [] for slug in taxonomy.terms.get(kind, {})}
        for pm in postmortems:
            for slug in getattr(pm, kind):
                by_term.setdefault(slug, []).append(pm)
        for slug, pms in sorted(by_term.items()):
            # Every term gets a feed, even one without incidents yet: a team subscribes before it needs it.
            term = taxonomy.term(kind, slug)
            path = feed_path(kind, slug)
            feeds[path] = build_feed(f"Postmortems: {term.title}",
                                     f"Published postmortems with the {KIND_WORDS[kind]} {term.title}.",
                                     path, pms, taxonomy, urls, limit)
    return feeds


@generator
def feeds(kb, options: SiteOptions):
    urls = Urls(options)
    limit = int(options.extra.get("feed_limit", FEED_LIMIT) or 0)
    for path, content in all_feeds(published(kb, options), kb.taxonomy, urls, limit).items():
        yield GeneratedFile(urls.path(path), content)
