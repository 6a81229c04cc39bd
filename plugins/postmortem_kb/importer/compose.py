"""One document in, one postmortem out: the front matter and body the KB reads, and the report.

The body keeps every line of the original; the import only adds: ``## `` marks on
headings, ``- `` before entries of a plain-text timeline or measures list, a
``[detected]``-style marker at the end of a timeline entry whose key moment it
inferred, and sections the KB requires (``## Summary``, ``## Root cause``) holding a
TODO when the document has none. A field the document does not give is written as
``TODO`` so that ``pmkb validate`` points at it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import timeline as _timeline
from ..frontmatter import read_source
from ..loader import KBConfig, build_postmortem
from ..model import ACTION_STATUSES, ACTION_TYPES, STATUSES
from ..problems import Problem, plural
from ..slugs import is_valid_id, slugify
from ..taxonomy import Taxonomy
from ..timeline import MOMENTS, TimelineEvent, TimeParseError, parse_offset, parse_timeline, split_sections
from ..validation.content import CONTROL as _CONTROL  # what the validator refuses, replaced on import
from ..writer import FIELD_ORDER, render_postmortem
from . import extract as ex
from .entries import rewrite_timeline
from .reading import KIND_NAMES, TITLE_PREFIX, SourceText, detect_kind, is_generic_title, read_document
from .report import EXPECTED, FileReport
from .times import read_date, read_lead

TODO = "TODO"
_MIN_YEAR, _MAX_YEAR = getattr(_timeline, "MIN_YEAR", 1900), getattr(_timeline, "MAX_YEAR", 2999)
# Times of day are parsed on this stand-in day when the document gives no date, so that
# durations between entries can still be measured; such times are reported without a date.
_STAND_IN_DAY = dt.date(2000, 1, 3)
_MOMENT_FIELDS = {"start": "started_at", "detected": "detected_at", "mitigated": "mitigated_at",
                  "resolved": "resolved_at"}
_ADDED_MARKER = re.compile(r" \[(start|detected|mitigated|resolved)\](?=[ \t]*(?:\|[ \t]*)?$)")

# Another tool's front-matter keys -> what they mean here.
_FM_KEYS = {
    "title": "title", "name": "title", "date": "date", "incident_date": "date",
    "start_time": "started_at", "started_at": "started_at", "start": "started_at", "started": "started_at",
    "start_date": "started_at", "end_time": "resolved_at", "resolved_at": "resolved_at", "end": "resolved_at",
    "ended_at": "resolved_at", "end_date": "resolved_at", "detected_at": "detected_at",
    "mitigated_at": "mitigated_at", "severity": "severity", "sev": "severity", "priority": "severity",
    "status": "status", "authors": "authors", "author": "authors", "owners": "authors",
    "categories": "root", "category": "root", "root_causes": "root", "root_cause": "root", "causes": "root",
    "cause": "root", "keywords": "any", "tags": "tag", "labels": "tag", "components": "component",
    "component": "component", "services": "component", "service": "component", "systems": "component",
    "product": "component", "products": "component", "company": "company", "organization": "company",
    "summary": "summary", "description": "summary", "abstract": "summary", "impact": "impact",
    "trigger": "trigger", "detection": "detection", "timezone": "timezone", "tz": "timezone",
    "action_items": "action_items", "id": "id", "related": "related",
}
# Front-matter keys of Jekyll, Hugo and Quarto that configure their site, not the incident.
_GENERATOR_SETTINGS = {"layout", "draft", "format", "execute", "toc", "toc-title", "weight", "slug", "aliases",
                       "permalink", "comments", "type", "image", "featured_image", "css", "js", "jupyter", "editor",
                       "engine", "output", "bibliography", "lang", "menu", "sidebar", "nav_order", "parent",
                       "published", "sitemap", "search", "hide", "template", "number-sections", "code-fold"}
_SOURCE_LABELS = {"url": "Source", "link": "Source", "source": "Source", "archive_url": "Archived copy"}
_KIND_ORDER = {"root": ("root_causes", "components"), "any": ("root_causes", "components"),
               "component": ("components",), "company": ("components",)}


@dataclass
class ImportedPostmortem:
    """A document read and turned into a postmortem, not yet written anywhere."""

    source: str
    kind: str
    front_matter: dict[str, Any]
    body: str
    report: FileReport
    date: dt.date | None = None
    original: str = ""  # the source text the body was made from (for checks that nothing was lost)
    title_line: str | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.front_matter["id"]

    def text(self) -> str:
        return render_postmortem(self.front_matter, self.body)

    def check(self, taxonomy: Taxonomy, config: KBConfig, shown: str, path: Path) -> list[Problem]:
        """What `pmkb validate` will say about the written file (checked in memory)."""
        doc = read_source(self.text().encode("utf-8"), shown)
        pm = build_postmortem(doc, taxonomy, config, path.stem, path)
        self.problems = sorted(pm.problems)
        return self.problems


def strip_added_markers(line: str) -> str:
    """A body line without the key-moment marker the import appended to it."""
    return _ADDED_MARKER.sub("", line)


def _time_iso(at: dt.datetime, dated: bool) -> str:
    return at.isoformat() if dated else at.timetz().isoformat()


def _minutes(delta: dt.timedelta | None) -> float | None:
    return None if delta is None else round(delta.total_seconds() / 60, 2)


_DATED_STEM = re.compile(r"^(\d{4}-\d{2}-\d{2})[-_ .]+(.*)$")


def _stem_date(stem: str) -> dt.date | None:
    m = _DATED_STEM.match(stem)
    try:
        return dt.date.fromisoformat(m.group(1)) if m else None
    except ValueError:
        return None


_TITLE_DATE_LABEL = re.compile(r"(?:incident[ \t]+)?(?:date|on)\b[ \t]*[:\u2013\u2014-]?[ \t]*", re.I)
_TITLE_DATE_SEPARATOR = re.compile(r"[ \t]*(?:[,:|\u2013\u2014-][ \t]*|[ \t])")


def _title_without_date(title: str) -> tuple[str, dt.date | None]:
    """``2018-02-12, Hub launch fail`` -> ("Hub launch fail", 2018-02-12); other titles as they are."""
    text = title.strip()
    label = _TITLE_DATE_LABEL.match(text)  # `incident date: 2019-02-20, ...`
    found = read_date(text, label.end() if label else 0)
    if not found or found[1] is None:
        return title, None
    end, ymd, _ = found
    assert ymd is not None  # found[1], checked above
    year, month, day = ymd
    if year is None:
        return title, None
    rest = text[end:]
    lead = read_lead(text[label.end() if label else 0:])
    if lead is not None and lead.has_time and lead.date is not None:
        rest = " " + text[(label.end() if label else 0) + lead.end:]  # `2017-11-30 4:23PM PST, OOM proxy`
    sep = _TITLE_DATE_SEPARATOR.match(rest)
    if not sep or not rest[sep.end():].strip():
        return title, None
    try:
        return rest[sep.end():].strip(), dt.date(year, month, day)
    except ValueError:
        return title, None


def _unwrapped(title: str) -> str:
    """A title without the emphasis around all of it: ``**Postmortem: Web outage**`` -> ``Postmortem: Web outage``."""
    for mark in ("**", "__", "*", "_", "`"):
        if len(title) > 2 * len(mark) and title.startswith(mark) and title.endswith(mark):
            return title[len(mark):-len(mark)].strip()
    return title


def _wordy_stem(stem: str) -> str | None:
    """A file name that reads as a title (``web-500-hardware-failure``), not an id or a uuid."""
    dated = _DATED_STEM.match(stem)
    stem = dated.group(2) if dated else stem
    words = [w for w in re.split(r"[-_\s.]+", stem) if w]
    alpha = [w for w in words if re.fullmatch(r"[A-Za-z]{2,}", w)]
    if len(alpha) < 2 or re.search(r"[0-9a-f]{8}-[0-9a-f]{4}", stem, re.I):
        return None
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def import_document(text: str, *, source: str, stem: str, taxonomy: Taxonomy, kind: str | None = None,
                    severity: str | None = None) -> ImportedPostmortem:
    """Turn one document's text into a postmortem and its report (nothing is written).

    ``kind`` forces the input kind; ``severity`` is used for a document that states none
    and is reported as inferred from the command line. Raises PostmortemError when a
    front matter cannot be read as YAML.
    """
    text, replaced = _without_control_characters(text)
    kind = kind or detect_kind(text)
    src = read_document(text, kind, source)
    src.front_matter, in_values = _clean_values(src.front_matter)
    report = FileReport(source=source, kind=KIND_NAMES[kind])
    if src.front_matter_format:
        report.kind = f"Markdown with {src.front_matter_format.upper()} front matter"
        report.add_found(f"front_matter:{src.front_matter_format}")
    if replaced + in_values:
        count = plural(replaced + in_values, "control character")
        report.warnings.append(f"{count} (NUL, escape codes...) replaced by U+FFFD: the KB refuses them in text and "
                               "values")
    report.warnings.extend(src.notes)
    state = _State(src, report, taxonomy, stem)
    state.run(severity)
    imported = ImportedPostmortem(source, kind, state.front_matter, state.body, report, state.date,
                                  src.body, src.title_line)
    return imported


# Characters the KB refuses in a postmortem (control characters but tab and newline, and the
# two non-characters U+FFFE/U+FFFF): replaced, and counted in the report, so that an import
# always gives a file that can be read back.


def _without_control_characters(text: str) -> tuple[str, int]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.subn("\ufffd", text)


def _clean_values(value: Any) -> tuple[Any, int]:
    """Another tool's front-matter values without control characters (YAML escapes can write them)."""
    if isinstance(value, str):
        return _CONTROL.subn("\ufffd", value)
    if isinstance(value, dict):
        out, n = {}, 0
        for key, item in value.items():
            clean_key, k = _clean_values(key) if isinstance(key, str) else (key, 0)
            out[clean_key], m = _clean_values(item)
            n += k + m
        return out, n
    if isinstance(value, list):
        items = [_clean_values(item) for item in value]
        return [item for item, _ in items], sum(n for _, n in items)
    return value, 0


class _State:
    """The work of one import, step by step; each step records what it found in the report."""

    def __init__(self, src: SourceText, report: FileReport, taxonomy: Taxonomy, stem: str):
        self.src, self.report, self.taxonomy, self.stem = src, report, taxonomy, stem
        self.body = src.body
        self.stats = ex.find_stats(src.body)
        self.fm: dict[str, Any] = {}  # the mapped foreign front matter: meaning -> value
        self.fm_terms: list[tuple[str, str, str]] = []  # (value, meaning, key as written)
        self.leftovers: list[tuple[str, Any]] = []
        self.front_matter: dict[str, Any] = {}
        self.date: dt.date | None = None
        self.tzinfo: dt.tzinfo | None = None
        self.timezone: str | None = None
        self.moments: dict[str, dt.datetime] = {}
        self.stated_values: dict[str, dt.datetime] = {}  # key moments stated outside the timeline
        self.naive_times = False  # a stated time without a zone
        self.events: list[TimelineEvent] = []
        self.markers: dict[int, str] = {}  # body line -> moment to append
        self.tags: list[str] = []
        self.warned: set[str] = set(report.warnings)

    # -- helpers ---------------------------------------------------------------------

    def warn(self, message: str) -> None:
        if message not in self.warned:  # a set: a document with thousands of entries stays linear
            self.warned.add(message)
            self.report.warnings.append(message)

    def stat(self, key: str) -> ex.Stat | None:
        found = self.stats.get(key)
        if found is not None and ex.is_unknown(found.value):
            self.warn(f"`{found.label}` is given as `{found.value or '(empty)'}`: left unknown")
            return None
        return found

    def sections(self):
        return split_sections(self.body, 1)

    def section(self, key: str):
        return next((s for s in self.sections() if s.key == key), None)

    def first_line(self, section) -> int:
        """The body line on which a section's text starts (Section.text has no leading blank lines)."""
        lines = self.body.split("\n")
        i = section.line  # the index of the line after the heading
        while i < len(lines) and not lines[i].strip():
            i += 1
        return i + 1

    # -- the steps -------------------------------------------------------------------

    def run(self, severity: str | None) -> None:
        self.map_front_matter()
        self.find_title()
        self.find_timezone_and_date()
        self.rewrite_timeline()
        self.find_timeline()
        self.moments_from_window()
        self.date_from_start()
        self.find_metrics()
        self.find_severity(severity)
        self.find_terms()
        self.find_people_and_text()
        self.find_action_items()
        self.compose_body()
        self.compose_front_matter()
        self.report.missing = [name for name in EXPECTED if not self.report.has(name)]
        bare = self.naive_times or any(e.at is not None and not _has_offset(e.time_text) for e in self.events)
        if bare and self.timezone is None:
            self.report.missing.append("timezone")

    def map_front_matter(self) -> None:
        settings = [str(k) for k in self.src.front_matter if str(k).lower() in _GENERATOR_SETTINGS]
        if settings:
            self.warn("site-generator settings left out (they describe another site, not the incident): "
                      + ", ".join(f"`{k}`" for k in settings))
        for key, value in self.src.front_matter.items():
            if str(key).lower() in _GENERATOR_SETTINGS:
                continue
            meaning = _FM_KEYS.get(str(key).lower())
            if meaning is None or value is None or value == "" or value == []:
                if value not in (None, "", []):
                    self.leftovers.append((str(key), value))
                continue
            if meaning in _KIND_ORDER:
                for item in ex.split_list(value if isinstance(value, list) else [value]):
                    self.fm_terms.append((item, meaning, str(key)))
            elif meaning == "tag":
                for item in ex.split_list(value if isinstance(value, list) else [value]):
                    if slugify(item) and slugify(item) not in {slugify(t) for t in self.tags}:
                        self.tags.append(item[:200])
            elif meaning in ("id", "related"):
                ids = value if isinstance(value, list) else [value]
                if ids and all(isinstance(i, str) and is_valid_id(i) for i in ids) and meaning not in self.fm:
                    self.fm[meaning] = (value, str(key))  # ids in the KB's own form are kept
                else:
                    self.leftovers.append((str(key), value))
            elif meaning not in self.fm:
                self.fm[meaning] = (value, str(key))

    def find_title(self) -> None:
        candidates = [(self.fm.get("title", (None, ""))[0], "found"),
                      (self.src.title, "found")]
        stat = self.stat("title")
        if stat:
            candidates.append((stat.value, "found"))
        self.title_date: dt.date | None = None
        for value, _how in candidates:
            if isinstance(value, str) and value.strip() and not is_generic_title(value):
                value = _unwrapped(value.strip())
                value = TITLE_PREFIX.sub("", value) or value
                value, self.title_date = _title_without_date(value)
                if is_generic_title(value):
                    continue
                self.title: str | None = re.sub(r"\s+", " ", value).strip()[:200]
                self.report.add_found("title")
                return
        wordy = _wordy_stem(self.stem)
        if wordy:
            self.title = wordy
            self.report.add_inferred("title", f"the file name `{self.stem}`")
            return
        self.title = None

    def find_timezone_and_date(self) -> None:
        # Timezone: stated, then a sentence, then the offsets the timeline's times carry.
        stated = self.fm.get("timezone")
        stat = self.stat("timezone")
        for value, _how in ((stated[0] if stated else None, "found"), (stat.value if stat else None, "found")):
            zone = ex.timezone_name(str(value)) if value else None
            if zone:
                self.set_timezone(zone)
                self.report.add_found("timezone")
                break
        else:
            sentence = ex.find_timezone_statement(self.body)
            if sentence:
                self.set_timezone(sentence[0])
                self.report.add_inferred("timezone", f"`{sentence[1]}`")
        timeline = self.section("timeline")
        probe: list[TimelineEvent] = []
        if timeline is not None:
            probe, _ = parse_timeline(timeline.text, self.first_line(timeline), _STAND_IN_DAY, None)
        if self.timezone is None:
            offsets = {e.at.utcoffset() for e in probe if e.at is not None and _has_offset(e.time_text)}
            if len(offsets) == 1:
                self.set_timezone(ex.format_offset(offsets.pop()))
                self.report.add_inferred("timezone", "the offsets written on the timeline's times")
        if self.timezone is None:
            zoned = ex.window_zone(self.summary_prose())
            if zoned:  # "Start Time: ... 10:45 AM (UTC) End Time: ... 1:30 PM (UTC)"
                self.set_timezone(zoned[0])
                self.report.add_inferred("timezone", f"the zone of the window `{zoned[1]}` in the summary")
        # Date: stated, then the first dated timeline entry, then the title, then the text.
        for meaning in ("date", "started_at"):
            if meaning in self.fm:
                value, key = self.fm[meaning]
                if meaning == "started_at":
                    self.stated_datetime("start", value, key)
                elif isinstance(value, dt.datetime) and value.tzinfo is not None and self.timezone is None:
                    self.set_timezone(ex.format_offset(value.utcoffset()))  # Hugo's `date = ...+01:00`
                    self.report.add_inferred("timezone", f"the offset of `{key}`")
                day = ex.parse_stated_date(value)
                if day and self.date is None:
                    self.date = day
                    self.report.add_found("date")
        for key in ("date", "started_at"):
            stat = self.stat(key)
            if stat and self.date is None:
                day = ex.parse_stated_date(stat.value)
                if day:
                    self.date = day
                    self.report.add_found("date")
        for key in ("started_at", "detected_at", "mitigated_at", "resolved_at"):
            stat = self.stat(key)
            if stat:
                moment = key[:-3].replace("started", "start")
                zone = stat.note and ex.timezone_name(stat.note)
                if zone and self.timezone is None:
                    self.set_timezone(zone)
                    self.report.add_inferred("timezone", f"`{stat.label} ({stat.note})`")
                self.stated_datetime(moment, stat.value, stat.label)
        for meaning in ("detected_at", "mitigated_at", "resolved_at"):
            if meaning in self.fm:
                value, key = self.fm[meaning]
                self.stated_datetime(meaning[:-3].replace("started", "start"), value, key)
        if self.date is None and "start" in self.moments:
            self.date = self.moments["start"].date()
            self.report.add_found("date")
        if self.date is None:
            dated = next((e for e in probe if e.at is not None and re.match(r"\d{4}-\d{2}-\d{2}", e.time_text)),
                         None)
            if dated:
                assert dated.at is not None  # picked for having one
                self.date = dated.at.date()
                self.report.add_inferred("date", f"the first dated timeline entry ({dated.time_text})")
        if self.date is None:  # the timeline's first date comes next (rewrite_timeline), then the title's
            first = rewrite_timeline(self.body, date=None, timezone=self.timezone).first_date
            if first is not None and _MIN_YEAR <= first.year <= _MAX_YEAR:
                self.date = first
                self.report.add_inferred("date", "the first date of the timeline")
        if self.date is None and self.title_date:
            self.date = self.title_date
            self.report.add_inferred("date", "the date that starts the title")
        if self.date is None and self.title:
            found = ex.find_date(self.title)
            if found:
                self.date = found[0]
                self.report.add_inferred("date", f"`{found[1]}` in the title")
        if self.date is None and _stem_date(self.stem):
            self.date = _stem_date(self.stem)
            self.report.add_inferred("date", f"the file name `{self.stem}`")
        if self.date is None:
            summary = self.section("summary")
            for text in ([summary.text] if summary else []) + [self.fm.get("summary", ("", ""))[0] or "",
                                                               self.body]:
                found = ex.find_date(str(text))
                if found:
                    self.date = found[0]
                    self.report.add_inferred("date", f"`{found[1]}` in the text")
                    break
        if self.date is not None and not _MIN_YEAR <= self.date.year <= _MAX_YEAR:
            self.warn(f"date: {self.date.isoformat()} is outside the years the KB accepts ({_MIN_YEAR}-{_MAX_YEAR}): "
                      "left as TODO")
            self.date = None
            self.report.found = [f for f in self.report.found if f != "date"]
            self.report.inferred.pop("date", None)
        if self.date is None:
            partial = ex.partial_date(" ".join(filter(None, [self.title or "", self.body])))
            if partial:
                self.warn(f"date: the document says only `{partial.strip()}`, without a full date: "
                          "left as TODO")

    def set_timezone(self, name: str) -> None:
        try:
            self.tzinfo = parse_offset(name)
            self.timezone = name
        except TimeParseError:
            pass

    def stated_datetime(self, moment: str, value: Any, key: str) -> None:
        if isinstance(value, dt.datetime) and value.tzinfo is not None and self.timezone is None:
            self.set_timezone(ex.format_offset(value.utcoffset()))
            self.report.add_inferred("timezone", f"the offset of `{key}`")
        at = ex.parse_stated_datetime(value, self.tzinfo)
        if at is None:
            return
        if not _MIN_YEAR <= at.year <= _MAX_YEAR:
            self.warn(f"`{key}` is in the year {at.year}, outside the years the KB accepts "
                      f"({_MIN_YEAR}-{_MAX_YEAR}): left out")
            return
        if at.timetz().replace(tzinfo=None) == dt.time(0, 0) and moment in ("start", "resolved"):
            # Midnight to the second is how tools write "this day, time unknown".
            self.warn(f"`{key}` is {at.isoformat()}: midnight is read as a date without a time")
            if moment == "start" and self.date is None:
                self.date = at.date()
                self.report.add_found("date")
            return
        if moment not in self.moments:
            self.stated_values[moment] = at  # written as stated: without a zone if it has none
            # Durations are measured the way the loader will read it: a time without a zone is UTC.
            self.moments[moment] = at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)
            self.naive_times = self.naive_times or at.tzinfo is None
            self.report.add_found(_MOMENT_FIELDS[moment])

    def rewrite_timeline(self) -> None:
        """The timeline in whatever family the document writes it -> entries the KB reads (see .entries)."""
        original = self.body
        found = rewrite_timeline(original, date=self.date, timezone=self.timezone)
        if self.date is None and found.first_date is not None and _MIN_YEAR <= found.first_date.year <= _MAX_YEAR:
            self.date = found.first_date
            self.report.add_inferred("date", "the first date of the timeline")
            found = rewrite_timeline(original, date=self.date, timezone=self.timezone)
        if found.timezone and self.timezone is None:
            self.set_timezone(found.timezone)
            self.report.add_inferred("timezone", f"`{found.timezone_words}`")
        offsets = {e.lead.offset for e in found.entries if e.lead is not None and e.lead.offset}
        if self.timezone is None and len(offsets) == 1:
            # `**Detection:** 2:10 PM (GMT)` and bare times after it: the one zone the entries write.
            zone = offsets.pop()
            written = next(e.lead.zone_note for e in found.entries if e.lead is not None and e.lead.offset)
            self.set_timezone(zone)
            self.report.add_inferred("timezone", f"the zone `{written}` written on the timeline's times")
            found = rewrite_timeline(original, date=self.date, timezone=self.timezone)
        self.body = found.body
        self.timeline_found = found
        for note in found.notes:
            self.warn(note)
        if found.leftovers:
            self.warn("template leftovers in the timeline (not read as times): " + ", ".join(found.leftovers[:10]))
        if found.timeline_sections > 1:
            self.warn(f"the document has {found.timeline_sections} timelines: it may describe several outages; "
                      "imported as one postmortem (import with --split for one per outage)")
        if self.title_date and self.date and self.title_date != self.date:
            self.warn(f"date: the title says {self.title_date.isoformat()} but {self.date_source()} says "
                      f"{self.date.isoformat()}: using {self.date.isoformat()} (a stated date, then the timeline, "
                      "come before the title and the file name)")
        stem_date = _stem_date(self.stem)
        if stem_date and self.date and stem_date != self.date:
            self.warn(f"date: the file name says {stem_date.isoformat()} but {self.date_source()} says "
                      f"{self.date.isoformat()}: using {self.date.isoformat()}")

    def date_source(self) -> str:
        if "date" in self.report.found:
            return "the document"
        return self.report.inferred.get("date", "the document")

    def find_timeline(self) -> None:
        timeline = self.section("timeline")
        if timeline is None:
            return
        day = self.date or _STAND_IN_DAY
        self.events, problems = parse_timeline(timeline.text, self.first_line(timeline), day, self.tzinfo)
        for line, message in problems[:20]:
            self.warn(f"timeline line {line}: {message}")
        if len(problems) > 20:
            self.warn(f"and {plural(len(problems) - 20, 'more timeline problem')} like these")
        if not self.events:
            self.warn(f"the `## {timeline.title}` section has no entries with a time")
            return
        self.report.add_found("timeline")
        for event in self.events:
            if event.moment and event.at is not None and event.moment not in self.moments:
                self.moments[event.moment] = event.at
                self.report.add_found(_MOMENT_FIELDS[event.moment])
        body_lines = self.body.split("\n")
        headlines = {e.line: body_lines[e.line - 1] for e in self.events if 0 < e.line <= len(body_lines)}
        guesses = ex.infer_moments(self.events, set(self.moments), self.moment_hints(), headlines)
        for moment in MOMENTS:
            guess = guesses.get(moment)
            if guess is None or moment in self.moments:
                continue
            assert guess.event.at is not None  # infer_moments guesses only among the entries with a time
            self.moments[moment] = guess.event.at
            self.report.add_inferred(_MOMENT_FIELDS[moment], guess.why)
            if guess.event.moment:  # an entry takes one marker: a second moment at it goes in the front matter
                self.stated_values[moment] = guess.event.at
                continue
            guess.event.moment = moment
            self.markers[guess.event.line] = moment
        dated = self.date is not None
        self.report.events = [
            {"at": _time_iso(e.at, dated or bool(re.match(r"\d{4}-", e.time_text))) if e.at else None,
             "time": e.time_text, "text": e.text, "moment": e.moment, "approximate": e.approximate}
            for e in self.events]

    def moments_from_window(self) -> None:
        """The start and end of a window the summary states ("from 10:00 AM to 12:30 PM GMT") when no
        timeline entry is at them: written in the front matter (``started_at``, ``resolved_at``)."""
        window = self.moment_hints().window
        if window is None or self.date is None:
            return
        (h1, m1), (h2, m2), words = window
        zone = self.tzinfo or next((e.at.tzinfo for e in self.events if e.at is not None
                                    and _has_offset(e.time_text)), None)
        begin = dt.datetime.combine(self.date, dt.time(h1, m1))
        end = dt.datetime.combine(self.date, dt.time(h2, m2))
        if end < begin:
            end += dt.timedelta(days=1)  # "from 23:10 to 01:20": past midnight
        for moment, at in (("start", begin), ("resolved", end)):
            if moment in self.moments:
                continue
            stated = at.replace(tzinfo=zone) if zone else at
            self.stated_values[moment] = stated
            self.moments[moment] = stated if stated.tzinfo else stated.replace(tzinfo=dt.timezone.utc)
            self.naive_times = self.naive_times or stated.tzinfo is None
            self.report.add_inferred(_MOMENT_FIELDS[moment], f"the window `{words}` stated in the summary "
                                                             "(no timeline entry is at that time)")

    def date_from_start(self) -> None:
        """The incident's date is the day it started, when the timeline opens with what led up to it."""
        start = self.moments.get("start")
        if start is None or self.date is None or "date" in self.report.found or start.date() == self.date:
            return
        timed = [e for e in self.events if e.at is not None]
        if timed and all(re.match(r"\d{4}-\d{2}-\d{2}", e.time_text) for e in timed):  # every entry has its day
            self.warn(f"date: the timeline starts on {self.date.isoformat()} but the incident starts on "
                      f"{start.date().isoformat()} (the start moment): using {start.date().isoformat()}")
            self.date = start.date()
            self.report.inferred["date"] = "the day of the start moment"

    def summary_prose(self) -> str:
        """The text that states the outage's window and lengths: the summary, the impact, text before any section."""
        parts = [s.text for s in self.sections() if s.key in (None, "summary", "impact")]
        summary = self.fm.get("summary", (None, ""))[0]
        return "\n".join(([str(summary)] if summary else []) + parts)

    def moment_hints(self) -> ex.MomentHints:
        """The window and durations the document states outside its timeline (summary, impact, stats)."""
        hints = ex.MomentHints()
        prose = self.summary_prose()
        hints.window = ex.find_window(prose)
        hints.window_is_final = self.date is not None
        for key, attr in (("time_to_detect", "to_detect"), ("time_to_resolve", "to_resolve"),
                          ("duration", "to_resolve")):
            stat = self.stats.get(key)
            if stat is not None and getattr(hints, attr) is None and not ex.is_unknown(stat.value):
                delta = ex.parse_duration(stat.value)
                if delta and delta.total_seconds() > 0:
                    setattr(hints, attr, (delta, f"`{stat.label}: {stat.value}`"))
        if hints.to_resolve is None:
            lasted = ex.find_lasted(prose)
            if lasted:
                hints.to_resolve = (lasted[0], f"`{lasted[1]}`")
        return hints

    def find_metrics(self) -> None:
        start = self.moments.get("start")
        computed = {}
        for moment, name in (("detected", "time_to_detect_minutes"), ("mitigated", "time_to_mitigate_minutes"),
                             ("resolved", "time_to_resolve_minutes")):
            at = self.moments.get(moment)
            computed[name] = _minutes(at - start) if at is not None and start is not None else None
        self.report.metrics["computed"] = computed
        for key, name, label in (("time_to_detect", "time_to_detect_minutes", "time to detect"),
                                 ("time_to_resolve", "time_to_resolve_minutes", "time to resolve")):
            stat = self.stat(key)
            if stat is None:
                continue
            delta = ex.parse_duration(stat.value)
            if delta is None:
                self.warn(f"`{stat.label}: {stat.value}` is not a duration this import can read")
                continue
            stated = _minutes(delta)
            assert stated is not None  # delta is not None
            self.report.metrics["stated"][name] = stated
            self.report.add_found(key)
            got = computed[name]
            if got is not None and abs(got - stated) > 1:
                self.warn(f"{label}: the document says {stat.value.strip()} ({stated:g} min) but the "
                          f"timeline gives {got:g} min")

    def find_severity(self, default: str | None) -> None:
        self.severity = None
        values = [(self.fm["severity"][0], self.fm["severity"][1])] if "severity" in self.fm else []
        stat = self.stat("severity")
        if stat:
            values.append((stat.value, stat.label))
        for value, label in values:
            parsed = ex.parse_severity(str(value), self.taxonomy)
            if parsed:
                self.severity = parsed[0]
                if parsed[1] == "found":
                    self.report.add_found("severity")
                else:
                    self.report.add_inferred("severity", f"`{label}: {value}`, {parsed[1]}")
                return
            self.warn(f"severity `{value}` is not one of {', '.join(self.taxonomy.severity_ids)}: left as TODO")
        mention = ex.find_severity_mention(self.body, self.taxonomy)
        if mention:
            self.severity = mention[0]
            self.report.add_inferred("severity", f"`{mention[1]}` in the text")
        elif default:
            self.severity = default
            self.report.add_inferred("severity", f"--severity {default} (the document states none)")

    def find_terms(self) -> None:
        chosen: dict[str, list[str]] = {"root_causes": [], "components": []}
        origins: dict[str, list[str]] = {"root_causes": [], "components": []}
        unmatched: list[str] = []
        stated = list(self.fm_terms)
        for key, meaning in (("category", "root"), ("components", "component")):
            stat = self.stat(key)
            if stat:
                stated.extend((v, meaning, stat.label) for v in ex.split_list(stat.value))
        sentences: list[str] = []
        for value, meaning, key in stated:
            hit = ex.resolve_term(value, self.taxonomy, _KIND_ORDER[meaning])
            if hit is None and meaning == "root":
                phrase = ex.match_terms(value, self.taxonomy, "root_causes", limit=1, generic=True)
                hit = ("root_causes", phrase[0][0]) if phrase else None
            if hit:
                kind, slug = hit
                if slug not in chosen[kind]:
                    chosen[kind].append(slug)
                    origins[kind].append(f"`{value}` ({key})")
                continue
            if len(value.split()) > 4 or re.search(r"[.;!?]$", value):
                sentences.append(f"`{value[:80]}` ({key})")  # a sentence, not a term: no tag either
            elif slugify(value) and slugify(value) not in {slugify(t) for t in self.tags}:
                self.tags.append(value[:200])
                unmatched.append(value)
        if sentences:
            self.warn("not matched to a taxonomy term: " + ", ".join(sentences))
        for kind in ("root_causes", "components"):
            if chosen[kind]:
                self.report.add_found(kind)
        if unmatched:
            self.warn("not in the taxonomy, kept as tags: " + ", ".join(unmatched))
        if self.tags:
            self.report.add_found("tags")
        # Words in the text: root causes from the root-cause section, components from it and the summary.
        root = [s for s in self.sections() if s.key == "root_cause"]
        if not chosen["root_causes"] and root:
            # In a section about the cause, a single word such as "DNS" or "bug" does name it.
            hits = ex.match_terms("\n".join(s.text for s in root), self.taxonomy, "root_causes", generic=True)
            chosen["root_causes"] = [slug for slug, _ in hits]
            if hits:
                words = ", ".join(f"`{w}`" for _, w in hits)
                self.report.add_inferred("root_causes", f"the words {words} in `## {root[0].title}`")
        summary = "\n".join(s.text for s in self.sections() if s.key == "summary")
        if not chosen["root_causes"]:
            # Taxonomy keys and aliases the title and the summary name ("DNS misconfiguration ...").
            for where, text, generic in (("the title", self.title or "", True), ("the summary", summary, False)):
                hits = ex.match_terms(text, self.taxonomy, "root_causes", generic=generic)
                if hits:
                    chosen["root_causes"] = [slug for slug, _ in hits]
                    words = ", ".join(f"`{w}`" for _, w in hits)
                    self.report.add_inferred("root_causes", f"the words {words} in {where}")
                    break
        if not chosen["components"]:
            # A title is a few nouns: there a single common word ("Redis", "DNS") does name a component.
            title_hits = ex.match_terms(self.title or "", self.taxonomy, "components", generic=True)
            parts = [s for s in self.sections() if s.key in ("root_cause", "summary", "impact")]
            text_hits = ex.match_terms("\n".join(s.text for s in parts), self.taxonomy, "components")
            hits = title_hits + [h for h in text_hits if h[0] not in {t for t, _ in title_hits}]
            chosen["components"] = [slug for slug, _ in hits][:5]
            if title_hits:
                words = ", ".join(f"`{w}`" for _, w in title_hits)
                self.report.add_inferred("components", f"the words {words} in the title"
                                         + (" and others in the text" if len(hits) > len(title_hits) else ""))
            elif hits:
                words = ", ".join(f"`{w}`" for _, w in hits)
                self.report.add_inferred("components", f"the words {words} in the text")
        self.root_causes, self.components = chosen["root_causes"], chosen["components"]

    def find_people_and_text(self) -> None:
        self.extra: dict[str, Any] = {}
        authors = self.fm.get("authors", (None, ""))[0]
        stat = self.stat("authors")
        names = ex.split_list(authors) if authors else ex.split_list(stat.value) if stat else []
        names = [re.sub(r"^@", "", n)[:200] for n in names if len(n) <= 200]
        if names:
            self.extra["authors"] = list(dict.fromkeys(names))
            self.report.add_found("authors")
        for key in ("impact", "trigger", "detection"):
            value = self.fm.get(key, (None, ""))[0]
            if value is None:
                stat = self.stat(key)
                value = stat.value if stat else None
            if isinstance(value, str) and value.strip() and not ex.is_unknown(value):
                self.extra[key] = re.sub(r"\s+", " ", value).strip()[:5000]
                self.report.add_found(key)
        status = self.fm.get("status", (None, ""))[0]
        if isinstance(status, str) and status in STATUSES:
            self.extra["status"] = status

    def find_action_items(self) -> None:
        self.action_items: list[dict[str, Any]] = []
        stated = self.fm.get("action_items", (None, ""))[0]
        if isinstance(stated, list):
            for raw in stated:
                if isinstance(raw, dict) and isinstance(raw.get("title"), str) and raw["title"].strip():
                    item = {k: v for k, v in raw.items() if k in ("title", "type", "action", "owner", "status",
                                                                   "due", "ticket") and v not in (None, "")}
                    if item.get("type") not in ACTION_TYPES:
                        item.pop("type", None)
                    if item.get("status") not in ACTION_STATUSES:
                        item.pop("status", None)
                    if item.get("action") and not self.taxonomy.resolve("actions", str(item["action"])):
                        self.warn(f"action category `{item.pop('action')}` is not in the taxonomy: left out "
                                  f"of `{item['title'][:60]}`")
                    item["title"], cut = ex.short_title(item["title"])
                    if cut:
                        self.warn(f"action item title shortened to {ex.MAX_TITLE} characters: `{item['title'][:60]}`")
                    self.action_items.append(item)
            if self.action_items:
                self.report.add_found("action_items")
        if not self.action_items:
            found = ex.find_action_items(self.body, self.taxonomy)
            self.action_items = [f.item for f in found]
            if found:
                hows = sorted({f.how for f in found})
                types = sorted({f.type_from for f in found})
                self.report.add_inferred("action_items", f"{plural(len(found), ' and '.join(hows))} under the "
                                         f"action headings; types from {', '.join(types)}")
                shortened = [f.item["title"] for f in found if f.notes]
                if shortened:
                    self.warn(f"{plural(len(shortened), 'action item title')} shortened to {ex.MAX_TITLE} characters; "
                              "the full text stays in the body")
        self.report.action_items = [{"title": i["title"], "type": i.get("type", "corrective")}
                                    for i in self.action_items]

    def compose_body(self) -> None:
        lines = self.body.split("\n")
        for line_no, moment in self.markers.items():
            i = line_no - 1
            text = lines[i].rstrip()
            at = len(text)
            if text.lstrip().startswith("|") and text.endswith("|"):
                at = len(text[:-1].rstrip())  # inside the last cell of a table row
            lines[i] = text[:at] + f" [{moment}]" + text[at:]
        body = "\n".join(lines).strip("\n")
        sections = split_sections(body, 1)
        has_sections = any(s.title for s in sections)
        summary_text = self.fm.get("summary", (None, ""))[0]
        summary_text = str(summary_text).strip() if summary_text else ""
        parts: list[str] = []
        if not has_sections:
            if summary_text:
                parts += ["## Summary", summary_text]
                if body.strip():
                    parts += ["## What happened", body]
            elif body.strip():
                parts += ["## Summary", body]
                self.report.add_inferred("section:summary", "the whole text (it has no sections)")
            else:
                parts += ["## Summary", "<!-- The imported document has no text. -->\nTODO"]
        else:
            has_summary = any(s.key == "summary" for s in sections)
            body_lines = body.split("\n")
            first_heading = next(s.line for s in sections if s.title) - 1
            head = "\n".join(body_lines[:first_heading])
            if head.strip():
                parts.append(head)
            if summary_text:  # another tool's summary field, ahead of the document's own sections
                parts += [summary_text] if has_summary else ["## Summary", summary_text]
            elif not has_summary:
                parts += ["## Summary", "<!-- The imported document has no summary. -->\nTODO"]
            parts.append("\n".join(body_lines[first_heading:]))
        text = "\n\n".join(p for p in parts if p.strip())
        written = split_sections(text, 1)
        for key in ("summary", "root_cause"):
            if any(s.key == key and _has_text(s.text) for s in written):
                if f"section:{key}" not in self.report.inferred:
                    self.report.add_found(f"section:{key}")
        if not any(s.key == "root_cause" for s in written):
            text += "\n\n## Root cause\n\n<!-- The imported document has no root-cause section. -->\nTODO"
        if self.leftovers:
            rows = []
            for key, value in self.leftovers:
                label = _SOURCE_LABELS.get(key.lower(), key)
                if isinstance(value, (dt.date, dt.datetime)):
                    shown = value.isoformat()
                elif isinstance(value, list):
                    shown = ", ".join(map(str, value))
                else:
                    shown = re.sub(r"\s+", " ", str(value)).strip()
                rows.append(f"- {label}: {shown}")
            text += "\n\n## Source\n\n" + "\n".join(rows)
        self.body = "\n" + text.rstrip("\n") + "\n"

    def compose_front_matter(self) -> None:
        fm: dict[str, Any] = {}
        slug = slugify(self.title) if self.title else slugify(self.stem) or "imported-postmortem"
        pm_id = f"{self.date.isoformat()}-{slug}" if self.date else slug
        pm_id = slugify(pm_id)[:120].strip("-") if not is_valid_id(pm_id) else pm_id
        own_format = bool(self.src.front_matter) and set(self.src.front_matter) <= set(FIELD_ORDER)
        if "id" in self.fm:
            pm_id = self.fm["id"][0]
            self.report.add_found("id")
        elif own_format and is_valid_id(self.stem):
            pm_id = self.stem  # a file already in the KB format: its id is its file name
        fm["id"] = pm_id or "imported-postmortem"
        fm["title"] = self.title or TODO
        fm["date"] = self.date or TODO
        fm["severity"] = self.severity or TODO
        todo = not (self.title and self.date and self.severity and self.root_causes)
        if todo:
            fm["status"] = "draft"
        elif "status" in self.extra:
            fm["status"] = self.extra["status"]
        if "authors" in self.extra:
            fm["authors"] = self.extra["authors"]
        fm["components"] = self.components
        fm["root_causes"] = self.root_causes or [TODO]
        for key in ("trigger", "detection", "impact"):
            if key in self.extra:
                fm[key] = self.extra[key]
        if self.tags:
            fm["tags"] = self.tags[:50]
        if "related" in self.fm:
            related = self.fm["related"][0]
            fm["related"] = related if isinstance(related, list) else [related]
            if len(self.tags) > 50:
                self.warn(f"{plural(len(self.tags) - 50, 'tag')} over the limit of 50 left out of the front matter")
        if self.timezone:
            fm["timezone"] = self.timezone
        for moment in sorted(self.stated_values, key=MOMENTS.index):
            fm[_MOMENT_FIELDS[moment]] = self.stated_values[moment]
        if self.action_items:
            fm["action_items"] = self.action_items
        self.front_matter = fm


def _has_text(text: str) -> bool:
    """Whether a section says something (the validator's test: not only comments and TODO)."""
    return bool(re.sub(r"\bTODO\b[:.]?", "", _without_comments(text)).strip(" \n\t-*>_"))


def _without_comments(text: str) -> str:
    """Text without its HTML comments (a loop over str.find: a pattern would rescan after each unclosed `<!--`)."""
    out, i = [], 0
    while True:
        start = text.find("<!--", i)
        if start < 0:
            out.append(text[i:])
            return "".join(out)
        end = text.find("-->", start + 4)
        out.append(text[i:start])
        if end < 0:
            return "".join(out)
        i = end + 3


def _has_offset(time_text: str) -> bool:
    return bool(re.search(r"(?i:utc|gmt)|[+-]\d{1,2}(?::?\d{2})?[ \t]*\)?$|\dZ$", time_text[:80]))
