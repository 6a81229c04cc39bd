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
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator

from ..inline import plain_text
from ..model import Postmortem
from ..taxonomy import Taxonomy
from . import GeneratedFile
from .options import FEED_LIMIT
from .urls import FEED_FOLDERS, SITE_FEED, Urls, feed_path, incident_path, served_path

if TYPE_CHECKING:
    from .build import SiteBuild

__all__ = ["FEED_LIMIT", "SITE_FEED", "all_feeds", "build_feed", "feed_path", "feeds"]

TERM_FOLDERS = FEED_FOLDERS
KIND_WORDS = {"root_causes": "root cause", "components": "component"}
_EMPTY_FEED_UPDATED = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
# What XML 1.0 cannot carry at all: control characters but tab and newlines, lone surrogates,
# U+FFFE and U+FFFF. The loader refuses them in values; a feed drops them rather than fail.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: object) -> str:
    return _NOT_XML.sub("", str(value))


def _moment(pm: Postmortem) -> dt.datetime:
    """When an entry happened: the incident's start, or midnight UTC of its date (a start
    that cannot be said in UTC, at the edge of the calendar, counts as its date)."""
    started = pm.metrics.started_at
    if started is not None:
        try:
            return started.astimezone(dt.timezone.utc)
        except (OverflowError, ValueError):
            pass
    return dt.datetime.combine(pm.date, dt.time(0, 0), tzinfo=dt.timezone.utc)


def _summary(pm: Postmortem, taxonomy: Taxonomy) -> str:
    severity = taxonomy.severity(pm.severity)
    level = f"{pm.severity} ({severity.title})" if severity and severity.title else pm.severity
    text = plain_text(pm.summary)  # feed readers show text: the writer's backticks and stars dropped
    return f"{level}. {text}" if text else f"{level}."


def _entry(pm: Postmortem, page: str, href: str, taxonomy: Taxonomy, urls: Urls) -> FeedEntry:
    """The feed entry of ``pm``, whose page is ``page``, linked as ``href``."""
    entry = FeedEntry()
    entry.id(urls.id_for(page, "incident:" + pm.id))
    entry.title(_text(f"[{pm.severity}] {pm.title}"))
    entry.link(href=href, rel="alternate", type="text/html")
    moment = _moment(pm)
    entry.published(moment)
    entry.updated(moment)
    entry.summary(_text(_summary(pm, taxonomy)))
    for name in pm.authors:
        if _text(name).strip():
            entry.author(name=_text(name))
    entry.category(term=_text(pm.severity), scheme="severity", label=_text(f"Severity {pm.severity}"))
    for kind in ("root_causes", "components"):
        for slug in getattr(pm, kind):
            entry.category(term=_text(slug), scheme=KIND_WORDS[kind], label=_text(taxonomy.term(kind, slug).title))
    return entry


def build_feed(title: str, subtitle: str, path: str, postmortems: Iterable[Postmortem], taxonomy: Taxonomy,
               urls: Urls, limit: int = FEED_LIMIT, empty_updated: dt.datetime | None = None,
               entries: dict[tuple[int, str], FeedEntry] | None = None) -> bytes:
    """One Atom feed at ``path`` (relative to the KB's part of the site): the newest ``limit``
    postmortems (all when 0), newest first. A feed without entries is as recent as
    ``empty_updated`` (the site's newest incident), never a made-up 1970.

    ``entries``: entries already made by the other feeds of the same build (an incident is in
    the site's feed and in the feed of each of its terms), by postmortem and link; an entry
    depends on nothing else, and feedgen only reads it to write a feed."""
    if entries is None:
        entries = {}
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
    fg.title(_text(title))
    fg.subtitle(_text(subtitle))
    fg.link(href=link(path), rel="self", type="application/atom+xml")
    fg.link(href=link(served_path("index.md", urls.directory_urls)), rel="alternate", type="text/html")
    fg.language("en")
    fg.generator("postmortem-kb")
    fg.updated(max((_moment(p) for p in pms), default=empty_updated or _EMPTY_FEED_UPDATED))
    # feedgen puts the first added entry last; add oldest first so the feed reads newest first.
    for pm in reversed(pms):
        page = served_path(incident_path(pm.id), urls.directory_urls)
        href = link(page)
        key = (id(pm), href)
        entry = entries.get(key)
        if entry is None:
            entry = entries[key] = _entry(pm, page, href, taxonomy, urls)
        fg.add_entry(entry)
    if not pms:
        fg.author(name="postmortem-kb")  # Atom wants an author on the feed when no entry has one
    else:
        missing = [pm for pm in pms if not any(_text(a).strip() for a in pm.authors)]
        if missing:
            fg.author(name="postmortem-kb")
    return fg.atom_str(pretty=True)


def all_feeds(postmortems: list[Postmortem], taxonomy: Taxonomy, urls: Urls,
              limit: int = FEED_LIMIT, as_of: dt.date | None = None) -> dict[str, bytes]:
    """Every feed by path: the site's, then one per term of the taxonomy or in use. Feeds without
    entries say the site's newest incident (or ``as_of``, the KB's "today", when there is none)."""
    newest = max((_moment(p) for p in postmortems), default=None)
    if newest is None and as_of is not None:
        newest = dt.datetime.combine(as_of, dt.time(0, 0), tzinfo=dt.timezone.utc)
    entries: dict[tuple[int, str], FeedEntry] = {}  # each drawn once for every feed it is in
    feeds = {SITE_FEED: build_feed("Postmortems", "Published postmortems, newest first.", SITE_FEED,
                                   postmortems, taxonomy, urls, limit, newest, entries)}
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
                                     path, pms, taxonomy, urls, limit, newest, entries)
    return feeds


def feeds(build: SiteBuild):
    urls = build.urls
    for path, content in all_feeds(build.data.postmortems, build.kb.taxonomy, urls, build.options.feed_limit,
                                   build.kb.config.as_of).items():
        yield GeneratedFile(urls.path(path), content)
    # Every page's head names its feeds (<link rel="alternate">). The theme reads such links as
    # other language versions of the site and fetches "sitemap.xml" beside each: an empty
    # sitemap there answers it, instead of a 404 on every page.
    for folder in ("feeds", *(f"feeds/{f}" for f in FEED_FOLDERS.values())):
        yield GeneratedFile(urls.path(f"{folder}/sitemap.xml"), EMPTY_SITEMAP)


EMPTY_SITEMAP = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                 '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>\n')
