"""What a document says, read out of its text: stated facts, dates, times, terms, action items.

Each function returns what it found together with *where* it found it, so that the
import report can say "inferred from ...". Nothing here makes a value up: a function
that finds nothing returns None or an empty list.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from ..slugs import slugify
from ..taxonomy import Taxonomy
from ..timeline import _FENCE_LINE as _FENCE  # one Markdown grammar
from ..timeline import _HEADING, TimelineEvent, TimeParseError, parse_offset

UNKNOWN_VALUES = {"", "?", "??", "-", "--", "n/a", "na", "none", "tbd", "tbc", "unknown", "todo", "...", "…"}

# Labels of `- Label: value` lines (and two-column tables) in template write-ups.
_STAT_LABELS = {
    "title": r"title|incident title|incident name",
    "date": r"date|incident date|date of (the )?incident|date/time|date and time|day",
    "severity": r"severity|sev|severity level|priority|incident severity|incident priority",
    "category": r"categor(y|ies)|root[ -]cause categor(y|ies)|root[ -]causes?|primary (root )?cause|"
                r"cause categor(y|ies)|incident type|type of (incident|failure)|failure type",
    "components": r"components?|services?|systems?|systems?/services?|affected (services?|systems?|"
                  r"components?)|(services?|systems?|components?) affected|products?",
    "authors": r"authors?|written by|prepared by|incident (lead|commander|owner)|owners?|owners? \(dri\)|dri",
    "time_to_detect": r"time to (detection|detect)|ttd|mttd|detection time|time to detect \(ttd\)",
    "time_to_mitigate": r"time to (mitigation|mitigate)|ttm|mttm",
    "time_to_resolve": r"time to (recovery|recover|resolution|resolve|restore|restoration|repair)|ttr|mttr|"
                       r"resolution time|recovery time|time to recover \(ttr/mttr\)|time to resolve \(ttr\)",
    "started_at": r"start(ed)?( time| at)?|incident start( time)?|start of (the )?incident|impact start|began",
    "detected_at": r"detected at|detection at|time detected",
    "mitigated_at": r"mitigated( at)?|mitigation time",
    "resolved_at": r"end( time)?|ended( at)?|resolved( at)?|incident end( time)?|end of (the )?incident|"
                   r"impact end|recovered at|resolution at",
    "timezone": r"time ?zone|tz",
    "impact": r"impact|customer impact|user impact|business impact",
    "trigger": r"trigger",
    "detection": r"detection|detected by|detection (method|source)|how (was it|it was) detected",
    "duration": r"duration|total duration|(outage|impact|incident|downtime) duration"
                r"|length of (the )?(outage|incident)",
}
_STAT_RE = {key: re.compile(rf"(?:{pattern})", re.I) for key, pattern in _STAT_LABELS.items()}
# A label is short: only the first characters of a line are looked at, so that no pattern
# runs over a long line (every pattern here is linear in its input; see tests/unit/test_import_linear.py).
_LABEL = re.compile(r"([A-Za-z][\w /&'.-]{0,40}?)[ \t]*(\([^)]{1,30}\))?[ \t]*")
_LIST_MARK = re.compile(r"[ \t]*(?:[-*+][ \t]+)?")
_MAX_LABEL = 80


def split_label(line: str) -> tuple[str, str, str] | None:
    """``- Time to detection (UTC): 8 minutes`` -> (label, note, value); None when the line has no short label."""
    lead = _LIST_MARK.match(line)
    start = lead.end() if lead else 0
    colon = line.find(":", start, start + _MAX_LABEL)
    if colon < 0:
        return None
    m = _LABEL.fullmatch(line, start, colon)
    if m is None:
        return None
    return m.group(1), m.group(2) or "", line[colon + 1:].strip()


_ACTION_SECTION = re.compile(r"action|corrective|preventive|preventative|follow-?up|next-steps|lessons")


@dataclass
class Stat:
    key: str
    label: str  # as written, e.g. "Time to detection"
    value: str
    note: str  # the parenthesis after the label, e.g. "(UTC)"
    line: int  # 1-based line in the body


def find_stats(body: str) -> dict[str, Stat]:
    """`- Label: value` lines and `| Label | value |` rows outside timelines and code; first one wins."""
    stats: dict[str, Stat] = {}
    in_fence = False
    section = ""
    for n, raw in enumerate(body.split("\n"), start=1):
        if _FENCE.match(raw):
            in_fence = not in_fence
            continue
        heading = _HEADING.match(raw)
        if heading:
            section = slugify(heading.group(2))
            continue
        if in_fence or "timeline" in section or "chronolog" in section or _ACTION_SECTION.search(section):
            continue  # an owner or a date there belongs to an entry, not to the incident
        line = raw.replace("**", "").replace("__", "")
        note = ""
        if line.strip().startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) != 2 or re.fullmatch(r":?-{2,}:?", cells[0] or "--"):
                continue
            head = cells[0].rstrip(": \t")
            m = _LABEL.fullmatch(head) if len(head) <= _MAX_LABEL else None
            if not m:
                continue
            label, note, value = m.group(1), m.group(2) or "", cells[1]
        else:
            parts = split_label(line)
            if not parts:
                continue
            label, note, value = parts
        label = label.strip()
        for key, pattern in _STAT_RE.items():
            if pattern.fullmatch(label) and key not in stats:
                stats[key] = Stat(key, label, value.strip(), note.strip("() "), n)
                break
    return stats


def is_unknown(value: Any) -> bool:
    text = "" if value is None else str(value).strip().strip("*_`").lower()
    return value is None or text in UNKNOWN_VALUES or (len(text) <= 10 and not text.strip("?-._ \u2026"))


# --- durations ---------------------------------------------------------------------

# The look-behind starts a number only where a run of digits starts: without it, each digit
# of a long run would start a match that scans the rest of the run (quadratic).
_DURATION_PART = re.compile(
    r"(?<![\d.,])(\d{1,6}(?:[.,]\d{1,6})?)[ \t]*"
    r"(d|days?|h|hrs?|hours?|m|mins?|minutes?|s|secs?|seconds?)(?![a-z])", re.I)
_UNIT_MINUTES = {"d": 1440, "h": 60, "m": 1, "s": 1 / 60}


def parse_duration(text: str) -> dt.timedelta | None:
    """``8 minutes``, ``4 hours 42 minutes``, ``1h 05m``, ``2 days``, ``01:30`` -> timedelta."""
    value = str(text).strip()
    if len(value) > 120:  # a duration is a few words; a long value is prose
        return None
    clock = re.fullmatch(r"~?\s*(\d{1,3}):(\d{2})(?::(\d{2}))?", value)
    if clock:
        return dt.timedelta(hours=int(clock.group(1)), minutes=int(clock.group(2)),
                            seconds=int(clock.group(3) or 0))
    total = 0.0
    found = False
    for number, unit in _DURATION_PART.findall(value):
        found = True
        total += float(number.replace(",", ".")) * _UNIT_MINUTES[unit[0].lower()]
    return dt.timedelta(minutes=total) if found else None


# --- dates --------------------------------------------------------------------------

_MONTHS = {m: i for i, names in enumerate(
    [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
     ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
     ("october", "oct"), ("november", "nov"), ("december", "dec")], start=1) for m in names}
_MONTH = r"(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MDY = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I)
_DMY = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+(\d{{4}})\b", re.I)
_MONTH_DAY = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!,?\s*\d{{4}})", re.I)
_ON_MONTH = re.compile(r"\b(?:on|in|of)\s+(january|february|march|april|may|june|july|august|september|"
                       r"october|november|december)\b(?!\s+\d)", re.I)


def find_date(text: str) -> tuple[dt.date, str] | None:
    """The first full date (with a year) in text -> (date, the words as written)."""
    best: tuple[int, dt.date, str] | None = None
    for pattern, order in ((_ISO_DATE, "ymd"), (_MDY, "mdy"), (_DMY, "dmy")):
        for m in pattern.finditer(text):
            parts = dict(zip(order, m.groups()))
            try:
                month = int(parts["m"]) if parts["m"].isdigit() else _MONTHS[parts["m"].lower().rstrip(".")]
                day = dt.date(int(parts["y"]), month, int(parts["d"]))
            except (ValueError, KeyError):
                continue
            if best is None or m.start() < best[0]:
                best = (m.start(), day, m.group(0))
            break
    return (best[1], best[2]) if best else None


def partial_date(text: str) -> str | None:
    """Words that name a day or a month without a year (``on may``, ``June 13``), if any."""
    flat = re.sub(r"\s+", " ", text)
    m = _MONTH_DAY.search(flat)
    if m and not m.group(1).lower().startswith("may"):
        return m.group(0)
    m = _ON_MONTH.search(flat) or (m if m else None)
    return m.group(0) if m else None


def parse_stated_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    found = find_date(str(value))
    return found[0] if found else None


def parse_stated_datetime(value: Any, tzinfo: dt.tzinfo | None) -> dt.datetime | None:
    """A full date and time as another tool or a stats line writes it -> datetime.

    Aware when the value or ``tzinfo`` gives a zone; naive otherwise (the zone is not guessed).
    """
    if isinstance(value, dt.datetime):
        return value if value.tzinfo or tzinfo is None else value.replace(tzinfo=tzinfo)
    if not isinstance(value, str):
        return None
    m = re.search(r"(\d{4}-\d{2}-\d{2})[T ,]\s*(\d{1,2}:\d{2}(?::\d{2})?)\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?",
                  value)
    if not m:
        return None
    try:
        day = dt.date.fromisoformat(m.group(1))
        clock = dt.time.fromisoformat(m.group(2).zfill(5) if len(m.group(2)) < 5 else m.group(2))
        zone = parse_offset(m.group(3)) if m.group(3) else tzinfo
    except (ValueError, TimeParseError):
        return None
    return dt.datetime.combine(day, clock).replace(tzinfo=zone)


# --- timezones ----------------------------------------------------------------------

# Abbreviations with one meaning in practice; ambiguous ones (IST, CST in Asia...) are not guessed.
_ABBREVIATIONS = {"UTC": "+00:00", "GMT": "+00:00", "Z": "+00:00", "PST": "-08:00", "PDT": "-07:00",
                  "MST": "-07:00", "MDT": "-06:00", "CDT": "-05:00", "EST": "-05:00", "EDT": "-04:00",
                  "CET": "+01:00", "CEST": "+02:00", "EET": "+02:00", "EEST": "+03:00", "MSK": "+03:00",
                  "JST": "+09:00", "KST": "+09:00", "AEST": "+10:00", "AEDT": "+11:00", "NZST": "+12:00",
                  "NZDT": "+13:00", "BST": "+01:00", "WET": "+00:00", "WEST": "+01:00"}


def timezone_name(word: str) -> str | None:
    """``UTC``, ``PDT``, ``UTC+3``, ``+03:00``, ``Europe/Berlin`` -> the KB's timezone text."""
    value = word.strip().strip("()")
    upper = value.upper().replace(" ", "")
    if upper in _ABBREVIATIONS:
        return _ABBREVIATIONS[upper]
    try:
        zone = parse_offset(value)
    except TimeParseError:
        return None
    if isinstance(zone, dt.timezone):
        return format_offset(zone.utcoffset(None))
    return value


def format_offset(delta: dt.timedelta | None) -> str:
    minutes = int((delta or dt.timedelta()).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


_TZ_TOKEN = r"(UTC\s*[+-]\s*\d{1,2}(?::?\d{2})?|GMT\s*[+-]\s*\d{1,2}(?::?\d{2})?|[+-]\d{2}:?\d{2}|[A-Z]{2,5}|" \
            r"[A-Z][a-z]+/[A-Za-z_]+)"
_TZ_STATEMENTS = [
    re.compile(rf"\ball\s+times\s+(?:are\s+|shown\s+|given\s+|listed\s+)?(?:in\s+)?{_TZ_TOKEN}(?![\w/])", re.I),
    re.compile(rf"\btimes\s+(?:are\s+)?(?:in|shown in|given in)\s+{_TZ_TOKEN}(?![\w/])", re.I),
    re.compile(rf"^#+\s*(?:incident\s+)?timeline\s*\(\s*{_TZ_TOKEN}\s*\)", re.I | re.M),
]


_EXPLICIT_OFFSET = re.compile(r"[ \t]*\([ \t]*(?:UTC|GMT)[ \t]*([+-][ \t]*\d{1,2}(?::?\d{2})?)[ \t]*\)", re.I)


def find_timezone_statement(body: str) -> tuple[str, str] | None:
    """A sentence like "All times in UTC" -> (timezone, the words as written).

    An explicit offset after the zone wins over what the abbreviation means: "PST (UTC-7)",
    written in July, is -07:00.
    """
    for pattern in _TZ_STATEMENTS:
        for m in pattern.finditer(body):
            name = timezone_name(m.group(1))
            if name:
                words = m.group(0).strip().lstrip("#").strip()
                explicit = _EXPLICIT_OFFSET.match(body, m.end())
                stated = timezone_name(explicit.group(1).replace(" ", "")) if explicit else None
                if explicit and stated:
                    return stated, words + explicit.group(0)
                return name, words
    return None


# --- severity -----------------------------------------------------------------------


def parse_severity(value: str, taxonomy: Taxonomy) -> tuple[str, str] | None:
    """A stated severity -> (level id, "found" or how it was mapped)."""
    text = str(value).strip().strip("*_`")
    ids = taxonomy.severity_ids
    squashed = re.sub(r"[\s_-]", "", text).upper()
    for sid in ids:
        if re.sub(r"[\s_-]", "", sid).upper() == squashed:
            return sid, "found"
    for sev in taxonomy.severities:
        if sev.title and slugify(sev.title) == slugify(text):
            return sev.id, f"the level titled `{sev.title}`"
    # `P1` or `Sev 1 (major)` read as a level; `P1 / P2 / P3` (an unfilled template) is not.
    m = re.fullmatch(r"(?:SEV|S|P|PRIORITY|LEVEL)?[ \t]*(?:[-_][ \t]*)?(\d)\b(?!.*\d).*", text[:120].upper())
    if m:
        number = int(m.group(1))
        same = [sid for sid in ids if re.fullmatch(rf"[A-Za-z]*[-_ ]?{number}", sid)]
        if same:
            return same[0], f"`{text}` read as level {number}"
    return None


def find_severity_mention(text: str, taxonomy: Taxonomy) -> tuple[str, str] | None:
    """A level named in the text itself (``a SEV2 incident``) -> (level id, the words)."""
    for sid in taxonomy.severity_ids:
        pattern = re.escape(sid).replace(r"\-", "[-\\s]?")
        m = re.search(rf"(?<![\w-]){pattern}(?![\w-])", text, re.I)
        if m and re.search(r"[A-Za-z]", sid) and re.search(r"\d", sid):
            return sid, m.group(0)
    return None


# --- taxonomy terms -----------------------------------------------------------------

# Single words too common in prose to name a term on their own.
_GENERIC_WORDS = {"web", "api", "cache", "storage", "edge", "login", "search", "email", "cluster", "pipeline",
                  "database", "db", "gateway", "alerting", "paging", "auth", "identity", "network", "config",
                  "hardware", "bug", "routing", "rollout", "corruption", "monitoring", "observability",
                  "payments", "checkout", "billing", "resolver", "regression", "overload", "ci", "cd", "lb",
                  "bind", "docs", "documentation", "runbook", "playbook", "failover", "redundancy", "testing",
                  "tests", "training", "automate", "automation", "capacity", "deployment", "dns", "s3", "smtp",
                  "mailer", "sso", "k8s", "cdn", "redis", "kafka", "postgres", "postgresql", "mysql",
                  "process", "review", "alerts", "alert"}


_NEGATED = re.compile(r"\b(not|no|never|nor|ruled out|rather than|instead of|unrelated to)( (a|an|the|any))? $")


_SUFFIXES = ("ations", "ation", "ings", "ing", "ures", "ure", "ed", "es", "s", "e")


def _stem(word: str) -> str:
    """A crude stem so that "misconfigured" meets "misconfiguration" and "failed" meets "failure"."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _phrases(taxonomy: Taxonomy, kind: str) -> list[tuple[tuple[str, ...], str, str]]:
    """(stemmed words, words, term slug) for a kind's keys, titles and aliases, longest first."""
    out: set[tuple[tuple[str, ...], str, str]] = set()
    for term in taxonomy.terms.get(kind, {}).values():
        for name in (term.slug, term.title, *term.aliases):
            words = re.findall(r"[a-z0-9]+", slugify(name))
            if words:
                out.add((tuple(_stem(w) for w in words), " ".join(words), term.slug))
    return sorted(out, key=lambda p: (-len(p[0]), p[1]))


def match_terms(text: str, taxonomy: Taxonomy, kind: str, *, generic: bool = False,
                limit: int = 3) -> list[tuple[str, str]]:
    """Terms of a kind named in text -> [(slug, the words of the text that named it)], first named first.

    Single common words (``web``, ``database``) only count when ``generic`` is true: in a
    stated list they name a term, in running prose they do not. A term named after a
    negation ("not a hardware failure") is not counted.
    """
    tokens = re.findall(r"[a-z0-9]+", text.lower())
    stems = [_stem(t) for t in tokens]
    starts: dict[str, list[int]] = {}
    for i, stem in enumerate(stems):
        starts.setdefault(stem, []).append(i)
    hits: dict[str, tuple[int, str]] = {}
    for phrase, words, slug in _phrases(taxonomy, kind):
        if len(phrase) == 1 and not generic and words in _GENERIC_WORDS:
            continue
        for i in starts.get(phrase[0], ()):
            if tuple(stems[i:i + len(phrase)]) != phrase:
                continue
            if _NEGATED.search(" ".join(tokens[max(0, i - 5):i]) + " "):
                continue
            if slug not in hits or i < hits[slug][0]:
                hits[slug] = (i, " ".join(tokens[i:i + len(phrase)]))
            break
    ordered = sorted(hits.items(), key=lambda kv: kv[1][0])
    return [(slug, words) for slug, (_, words) in ordered[:limit]]


def resolve_term(value: str, taxonomy: Taxonomy, kinds: tuple[str, ...]) -> tuple[str, str] | None:
    """A stated term -> (kind, slug) through Taxonomy.resolve, for the first kind that knows it."""
    for kind in kinds:
        if taxonomy.is_open(kind):
            continue
        slug = taxonomy.resolve(kind, value)
        if slug:
            return kind, slug
    return None


def split_list(value: Any) -> list[str]:
    """A stated list: a YAML list, or text separated by commas, semicolons or "and"."""
    if isinstance(value, list):
        items = [str(v) for v in value if v is not None and not isinstance(v, (dict, list))]
    elif value is None:
        items = []
    else:
        items = re.split(r",|;|\band\b|&|/", str(value))
    return [i.strip().strip("*_`") for i in items if i and not is_unknown(i)]


# --- key moments --------------------------------------------------------------------

_MOMENT_WORDS = {
    # Only words about the incident itself: "engineers began investigating" is not its start.
    "start": re.compile(r"\b(start of (the )?(incident|outage|impact|problem|issue)|"
                        r"(incident|outage|impact|errors?|problems?|issues?|degradation|disruption|failures?|"
                        r"latency|downtime) (began|begun|begins|begin|started|starts|start)|"
                        r"(outage|incident|impact) (window )?(opens|begins)|first (errors?|failures?|5\d\d)|"
                        r"(began|started) (failing|erroring|returning errors)|went down|goes down|"
                        r"(drops?|dropped|fell|falls|reach(es|ed)?) to (zero|0 ?%)|reach(es|ed)? 0 ?%|"
                        r"first (occurr?ences?|signs?|symptoms?))(?!\w)", re.I),
    "detected": re.compile(r"\b(detect(ed|s|ion)?|alert(ed|s)?( fired| fires| triggered)?|paged|pages|notified|"
                           r"notice|noticed|notices|noticing|reported|reports? (of|that|from)|first reports?|"
                           r"incoming reports?|realized|realised|informed (of|that|about)|"
                           r"(alarm|pager|page|monitor|monitoring|check|probe|slo|sla)s? "
                           r"(fired|fires|triggered|went off|goes off|tripped|burned)|alarm(s|ed)?|"
                           r"(is|are|was|were|got|gets|being) informed|"
                           r"we (observe|observed|see|saw|notice|noticed|discover|discovered|realize)|"
                           r"discovered|on-?call (was )?(engaged|paged)|"
                           r"(users?|customers?|clients?|people|someone|others|students|teams?) "
                           r"(report|reports|reported|complain|complains|complained|flagged)|"
                           r"(problem|issue|outage|incident|failure|errors?) (is |was |has been )?"
                           r"(identified|spotted|observed|found)|identified (a |the )?(problem|issue|outage)|"
                           r"(automated|automatic) (warning|alert)|warning from|user reports?)\b", re.I),
    "mitigated": re.compile(r"\b(mitigat(ed|ion|es)|workaround|rolled back|roll(ed|ing)?[ -]?back|reverted|"
                            r"failed over|failover (completed|done)|traffic (drained|shifted|moved)|"
                            r"impact (ended|stopped)|partially restored)\b", re.I),
    "resolved": re.compile(r"\b(resolved|restored|back online|back up|back to normal|recovered|fully recovered|"
                           r"recovery complete|fully operational|operating normally|(verified|confirmed|now) "
                           r"operational|operational again|all clear|incident (closed|over|ended|ends)|"
                           r"outage (ends|ended|is over|was over)|end of (the )?(outage|incident|impact)|"
                           r"(outage|incident|impact) to an end|returns? to normal|returned to normal|"
                           r"(goes|went|go) away|confirm(ed|s)? (it )?(working|fine|fixed|resolved|healthy)|"
                           r"confirmed working|working (again|normally|fine)|(build|launch|work)s? (and \w+ )?fine|"
                           r"resolution (is |was )?confirmed|issue (is |was )?(permanently )?(fixed|gone)|"
                           r"(back|returned|restored) (to|in|at) (full |normal )?(working order|normal|"
                           r"full capacity|capacity)|"
                           r"(solved|fixed|resolves|resolved) the (issue|problem|outage|incident)|"
                           r"(outage|incident) (declared |was declared |is declared )?over|"
                           r"(all )?(systems?|services?) (fully )?(operational|restored|recovered)|"
                           r"(service|traffic|launches|requests) (resumes|resumed)|back (up )?to 100 ?%|"
                           r"(everything|all|things|service) (is |was |are |were )?(okay|ok|fine|good|healthy) again)"
                           r"(?!\w)", re.I),
}
# Words that say someone was engaged rather than that the problem was seen: a detection only
# when no entry says it was seen.
_WEAK_DETECTED = re.compile(r"\b(acknowledged|escalated)\b", re.I)
_NEGATION = re.compile(r"(?:\b(not|no|never|without|yet to|failed to|n't|unable to)\s+(\w+\s+){0,2}"
                       r"|\b(may|might|could|would|will|should|hope|hoping|hoped|expect|expected|if|whether|"
                       r"believ\w*|assum\w*|think|thinking|thought|suspect\w*)\s+"
                       r"(\w+\s+){0,4})$", re.I)  # negated, or only hoped for: "the issue may go away"


def _moment_word(event: TimelineEvent, moment: str, text: str | None = None,
                 words: re.Pattern[str] | None = None) -> str | None:
    text = event.text if text is None else text
    for m in (words or _MOMENT_WORDS[moment]).finditer(text):
        if not _NEGATION.search(text[max(0, m.start() - 60): m.start()]):
            return m.group(0)
    return None


@dataclass
class MomentGuess:
    event: TimelineEvent
    why: str


@dataclass
class MomentHints:
    """What the rest of the document says about the key moments: a stated window and durations."""

    window: tuple[tuple[int, int], tuple[int, int], str] | None = None  # ((h, m), (h, m), the words)
    to_detect: tuple[dt.timedelta, str] | None = None
    to_resolve: tuple[dt.timedelta, str] | None = None  # start -> resolved (a stated duration of the outage)
    # The window's ends are the moments even when no entry is at them (the caller then writes them in
    # the front matter): its start and end are not guessed from the entries' words.
    window_is_final: bool = False


_SENTENCE_END = re.compile(r"(?<=[.!?:;])[ \t]+")


def _headline(event: TimelineEvent, line: str | None) -> str | None:
    """What an entry says first: its own line (a list item's first line, a heading's text), or, when that
    line is only its time (``### 14:03``), the first sentence of the paragraph under it."""
    if line is None:
        return None
    own = line.replace(event.time_text, " ", 1) if event.time_text else line
    if re.search(r"[A-Za-z]{3}", own):
        return own
    m = _SENTENCE_END.search(event.text[:400])
    return event.text[:m.start()] if m else event.text[:400]


def _entry(event: TimelineEvent) -> str:
    text = event.text if len(event.text) <= 60 else event.text[:59] + "\u2026"
    return f"the entry `{event.time_text} {text}`".replace("``", "`")


def infer_moments(events: list[TimelineEvent], known: set[str], hints: MomentHints | None = None,
                  headlines: dict[int, str] | None = None) -> dict[str, MomentGuess]:
    """Key moments the timeline's words (and the document's stated window and durations) name.

    In order: a window the summary states ("from 16:58 to 18:46") names the entries at its
    ends; an entry that says so ("outage begins", "alert fired", "back to normal") names its
    moment; a stated duration names the entry that far from a moment already known; else the
    start is the first entry with a time. Detected and mitigated are the first entries after
    the start that say so, resolved the last. An entry's own line (``headlines``: line -> text;
    the heading of a heading entry, the first line of a list item) is read before the paragraphs
    under it, which often discuss what happened earlier or later. Each entry marks at most one
    moment (but the start entry that says the problem was seen is the detection too), and each
    guess names the entry (and the words) it came from.
    """
    lines = headlines or {}
    hints = hints or MomentHints()
    timed = [e for e in events if e.at is not None]
    taken = {id(e) for e in timed if e.moment}
    out: dict[str, MomentGuess] = {}
    have = lambda moment: moment in known or moment in out  # noqa: E731

    def at_of(moment: str) -> dt.datetime | None:
        if moment in out:
            return out[moment].event.at
        return next((_at(e) for e in timed if e.moment == moment), None)

    def take(moment: str, event: TimelineEvent, why: str) -> None:
        out[moment] = MomentGuess(event, why)
        taken.add(id(event))

    def pick(moment: str, candidates: list[TimelineEvent]) -> bool:
        passes: list[tuple[bool, re.Pattern[str] | None]] = [(True, None), (False, None)]
        if moment == "detected":
            passes.append((False, _WEAK_DETECTED))
        for own_line, words in passes:
            for event in candidates:
                if id(event) in taken:
                    continue
                text = _headline(event, lines.get(event.line)) if own_line else None
                word = _moment_word(event, moment, text, words)
                if word:
                    take(moment, event, f"the word `{word}` in {_entry(event)}")
                    return True
        return False

    def near(target: dt.datetime, slack_minutes: float = 2) -> TimelineEvent | None:
        best = None
        for event in timed:
            gap = abs((_at(event) - target).total_seconds()) / 60
            if gap <= slack_minutes and id(event) not in taken and (best is None or gap < best[0]):
                best = (gap, event)
        return best[1] if best else None

    if hints.window:
        (h1, m1), (h2, m2), words = hints.window
        starts = [e for e in timed if (_at(e).hour, _at(e).minute) == (h1, m1) and id(e) not in taken]
        if starts and not have("start"):
            take("start", starts[0], f"the window `{words}` (its start is {_entry(starts[0])})")
        ends = [e for e in timed if (_at(e).hour, _at(e).minute) == (h2, m2) and id(e) not in taken]
        if ends and not have("resolved"):
            take("resolved", ends[-1], f"the window `{words}` (its end is {_entry(ends[-1])})")
    if hints.window and hints.window_is_final:
        known = known | {"start", "resolved"}  # stated by the window, with or without an entry at them
    if not have("start"):
        pick("start", timed)
    start = at_of("start")
    after = [e for e in timed if start is None or _at(e) >= start]
    if not have("resolved"):
        pick("resolved", list(reversed(after)))
    resolved_at = at_of("resolved")
    if not have("start") and hints.to_resolve and resolved_at is not None:
        event = near(resolved_at - hints.to_resolve[0])
        if event:
            take("start", event, f"{hints.to_resolve[1]} before the end: {_entry(event)}")
    if not have("start") and hints.to_detect:
        # The pair of entries the stated time to detect separates, the later one saying it was seen.
        by_minute: dict[tuple, list[TimelineEvent]] = {}
        for event in timed:
            by_minute.setdefault(_minute_key(_at(event)), []).append(event)
        seen = {_minute_key(_at(e)) for e in timed if _moment_word(e, "detected")}
        saying = {k: [e for e in v if _moment_word(e, "detected")] for k, v in by_minute.items() if k in seen}
        for event in timed:
            later = next((e for e in saying.get(_minute_key(_at(event) + hints.to_detect[0]), ()) if e is not event),
                         None)
            if later is not None:
                take("start", event, f"{hints.to_detect[1]} before {_entry(later)}: {_entry(event)}")
                take("detected", later, f"the word `{_moment_word(later, 'detected')}` in {_entry(later)}, "
                                        f"{hints.to_detect[1]} after the start")
                break
    if not have("start") and timed:
        # The first entry, unless it stands more than a day before the next one: then it is what led up to
        # the incident (a release two days earlier, a rollover the day before), and the start is the first
        # entry after such a gap.
        first_index = 0
        while first_index + 2 < len(timed) and \
                _at(timed[first_index + 1]) - _at(timed[first_index]) > dt.timedelta(hours=24):
            first_index += 1
        first_entry = timed[first_index]
        if id(first_entry) not in taken:
            why = f"the first timeline entry ({first_entry.time_text})" if first_index == 0 else \
                f"the first timeline entry after those more than a day before the rest ({first_entry.time_text})"
            take("start", first_entry, why)
    start = at_of("start")
    after = [e for e in timed if start is None or _at(e) >= start]
    if not have("resolved") and hints.to_resolve and start is not None:
        event = near(start + hints.to_resolve[0])
        if event:
            take("resolved", event, f"{hints.to_resolve[1]} after the start: {_entry(event)}")
    end = at_of("resolved")
    before_end = [e for e in after if end is None or _at(e) <= end]
    if not have("detected"):
        first = timed[0] if timed else None
        opening = out["start"].event if "start" in out else next((e for e in timed if e.moment == "start"), None)
        if hints.to_detect and start is not None and near(start + hints.to_detect[0], 1):
            event = near(start + hints.to_detect[0], 1)
            assert event is not None  # the search of the condition above
            take("detected", event, f"{hints.to_detect[1]} after the start: {_entry(event)}")
        elif opening is not None and _moment_word(opening, "detected"):
            # The start entry says the problem was seen ("10:00 Issue detected via an alert"): the alert
            # opens the incident, and both moments are that entry.
            word = _moment_word(opening, "detected")
            where = "the first entry" if opening is first else "the start entry"
            out["detected"] = MomentGuess(opening, f"the word `{word}` in {_entry(opening)}, {where}")
        elif not pick("detected", before_end):
            ended = {id(e) for e in before_end}
            pick("detected", [e for e in after if id(e) not in ended])  # noticed only after it was over
    detected = at_of("detected") or start
    if not have("mitigated"):
        pick("mitigated", [e for e in before_end if detected is None or _at(e) >= detected])
    return out


def _at(event: TimelineEvent) -> dt.datetime:
    """The time of an entry known to have one (infer_moments works on those only)."""
    assert event.at is not None
    return event.at


def _minute_key(at: dt.datetime) -> tuple:
    utc = at.astimezone(dt.timezone.utc) if at.tzinfo else at
    return (utc.year, utc.month, utc.day, utc.hour, utc.minute)


_TIME_WORD = r"(\d{1,2}):(\d{2})(?:[ \t]?([ap])\.?m\.?)?"
_WINDOW = re.compile(rf"\b(?:from|between)[ \t]+(?:about[ \t]+|approximately[ \t]+)?{_TIME_WORD}"
                     rf"[ \t]*(?:[A-Z]{{2,5}}[ \t]*)?"
                     rf"(?:to|until|till|and|-|\u2013)[ \t]+(?:about[ \t]+|approximately[ \t]+)?{_TIME_WORD}", re.I)
_LASTED = re.compile(r"\b(?:lasted|lasting|for|outage of|downtime of|duration of|unusable for|unavailable for|"
                     r"down for|took)[ \t]+(?:about|around|approximately|roughly|nearly|almost|~|over|just over)?[ \t]*"
                     r"((?:\d{1,4}(?:[.,]\d{1,2})?[ \t]*(?:d|days?|h|hrs?|hours?|m|mins?|minutes?)(?![a-z])"
                     r"[ \t,]*(?:and[ \t]+)?){1,3})",
                     re.I)


# "Start Time: May 7, 2024, 3:00 PM (GMT) End Time: May 7, 2024, 8:00 PM", "began ... at 09:00 AM (EAT) and was
# resolved ... at 01:30 PM": a start word, then a time, then an end word, then a time (each gap bounded).
_BEGAN_WINDOW = re.compile(rf"\b(?:start(?:ed|s)?(?:[ \t]+time)?|began|begins|outage[ \t]+began)\b[^\n]{{0,50}}?"
                           rf"(?<![\d:]){_TIME_WORD}(?![\d:])"
                           rf"[\s\S]{{0,80}}?\b(?:end(?:ed|s)?(?:[ \t]+time)?|resolved|restored|recovered|fixed)\b"
                           rf"[^\n]{{0,50}}?(?<![\d:]){_TIME_WORD}(?![\d:])", re.I)
# "**Duration:** July 14, 2023, 10:00 AM - 12:30 PM GMT", "2 hours (10:00 AM - 12:00 PM GMT)".
_RANGE_WINDOW = re.compile(rf"(?<![\d:]){_TIME_WORD}[ \t]*(?:\(?[A-Z]{{2,5}}(?:[ \t]?[+-]\d{{1,2}}(?::?\d{{2}})?)?\)?"
                           rf"[ \t]*)?(?:-|\u2013|\u2014|to)[ \t]*{_TIME_WORD}(?![\d:])", re.I)


_WINDOW_ZONE = re.compile(r"[ \t]*\(?[ \t]*((?:UTC|GMT)(?:[ \t]?[+-][ \t]?\d{1,2}(?::?\d{2})?)?|[A-Z]{2,5})\b")


def window_zone(text: str) -> tuple[str, str] | None:
    """The zone written right after the end (or the start) of the window the text states: ``... 8:00 PM (GMT)``
    -> ("+00:00", the window's words and the zone)."""
    window = find_window(text)
    if window is None:
        return None
    at = text.find(window[2])
    for probe in (text[at + len(window[2]):at + len(window[2]) + 24], window[2]):
        for m in _WINDOW_ZONE.finditer(probe):
            zone = timezone_name(m.group(1))
            if zone and re.fullmatch(r"[+-]\d{2}:\d{2}", zone):
                return zone, f"{window[2]} {m.group(1)}" if probe is not window[2] else window[2]
    return None


def find_window(text: str) -> tuple[tuple[int, int], tuple[int, int], str] | None:
    """The outage's window stated in prose -> ((16, 58), (18, 46), the words).

    "from 16:58 to 18:46 UTC", "between ... and ...", "Start Time: 3:00 PM ... End Time: 8:00 PM",
    "began at 09:00 AM and was resolved at 01:30 PM", or a bare range "10:00 AM - 12:30 PM".
    """
    m = _WINDOW.search(text) or _BEGAN_WINDOW.search(text) or _RANGE_WINDOW.search(text)
    if not m:
        return None
    h1, m1, p1, h2, m2, p2 = m.groups()
    def clock(h: str, mm: str, ampm: str | None) -> tuple[int, int]:
        hour = int(h)
        if ampm:
            hour = hour % 12 + (12 if ampm.lower() == "p" else 0)
        return hour, int(mm)
    a, b = clock(h1, m1, p1), clock(h2, m2, p2)
    if a[0] > 23 or b[0] > 23 or a[1] > 59 or b[1] > 59:
        return None
    return a, b, m.group(0).strip()


def find_lasted(text: str) -> tuple[dt.timedelta, str] | None:
    """"lasted 47 minutes", "unusable for about 1h50m" in prose -> (duration, the words)."""
    for m in _LASTED.finditer(text):
        delta = parse_duration(m.group(1).strip(" ,"))
        if delta and delta.total_seconds() > 0:
            return delta, m.group(0).strip(" ,")
    return None


# --- action items -------------------------------------------------------------------

_ACTION_HEADING = re.compile(r"action|corrective|preventive|preventative|follow[- ]?up|remediation items|"
                             r"next steps|todo|to do|measures|improvements", re.I)
_PREVENTIVE_CONTEXT = re.compile(r"\b(preventive|preventative|prevention|long[- ]term)\b", re.I)
_CORRECTIVE_CONTEXT = re.compile(r"\b(corrective|short[- ]term|immediate|remediation)\b", re.I)
_MITIGATIVE_CONTEXT = re.compile(r"\b(mitigative|mitigation)\b", re.I)
_PREVENTIVE_WORDS = re.compile(r"\b(prevent\w*|future|recurr\w*|regular\w*|proactive\w*|monitor\w*|alert\w*|"
                               r"redundan\w*|failover|training|train|document\w*|knowledge|schedul\w*|"
                               r"audit\w*|early|periodic\w*|review\w*|drills?|chaos|capacity planning)\b", re.I)
_CORRECTIVE_WORDS = re.compile(r"\b(fix\w*|replac\w*|repair\w*|patch\w*|revert\w*|roll ?back|restor\w*|"
                               r"correct\w*|remov\w*|upgrad\w*|migrat\w*|rewrit\w*|increas\w*|rais\w*)\b", re.I)
_CHECKBOX = re.compile(r"^\[([ xX])\]\s*")
_TICKET = re.compile(r"\b([A-Z][A-Z0-9]{1,9}-\d{1,7})\b")
_STATUS_WORDS = {"open": "open", "todo": "open", "to do": "open", "not started": "open", "new": "open",
                 "planned": "open", "in progress": "in-progress", "in-progress": "in-progress",
                 "doing": "in-progress", "wip": "in-progress", "started": "in-progress", "ongoing": "in-progress",
                 "done": "done", "complete": "done", "completed": "done", "closed": "done", "fixed": "done",
                 "resolved": "done", "shipped": "done", "won't do": "wont-do", "wont do": "wont-do",
                 "wont-do": "wont-do", "wontfix": "wont-do", "won't fix": "wont-do", "cancelled": "wont-do",
                 "canceled": "wont-do", "dropped": "wont-do"}
_COLUMNS = {
    "title": re.compile(r"action( item)?s?|items?|tasks?|titles?|descriptions?|what|follow[- ]?ups?|"
                        r"remediation|measures?|improvements?", re.I),
    "owner": re.compile(r"owners?|assignees?|assigned to|dri|who|responsible", re.I),
    "due": re.compile(r"due( date)?|deadline|by when|target( date)?|eta", re.I),
    "status": re.compile(r"status|state|done\??", re.I),
    "type": re.compile(r"type|kind|category", re.I),
    "ticket": re.compile(r"tickets?|issues?|links?|jira|bugs?|refs?|references?|#", re.I),
}
MAX_TITLE = 200


@dataclass
class FoundAction:
    item: dict[str, Any]
    line: int
    how: str  # "list item", "table row", "`Title: description` line"
    type_from: str  # "the heading ...", "its wording", "a Type column", "default"
    notes: list[str] = field(default_factory=list)


def short_title(text: str) -> tuple[str, bool]:
    text = re.sub(r"\s+", " ", text.replace("**", "").replace("__", "")).strip()
    if len(text) <= MAX_TITLE:
        return text, False
    cut = text[:MAX_TITLE - 1]
    sentence = max(cut.rfind(". "), cut.rfind("; "))
    cut = cut[:sentence + 1] if sentence > 60 else cut[:cut.rfind(" ")] + "\u2026"
    return cut.strip(), True


def _action_type(text: str, context: tuple[str, str] | None) -> tuple[str, str]:
    if context:
        return context
    preventive = len(_PREVENTIVE_WORDS.findall(text))
    corrective = len(_CORRECTIVE_WORDS.findall(text))
    if preventive > corrective:
        return "preventive", "the item's wording"
    if corrective:
        return "corrective", "the item's wording"
    return "corrective", "the default, corrective, where the wording names neither kind"


def _context_type(title: str) -> tuple[str, str] | None:
    p, c = _PREVENTIVE_CONTEXT.search(title), _CORRECTIVE_CONTEXT.search(title)
    if p and not c:
        return "preventive", f"`{title.strip()}`"
    if c and not p:
        return "corrective", f"`{title.strip()}`"
    if _MITIGATIVE_CONTEXT.search(title) and not p and not c:
        return "mitigative", f"`{title.strip()}`"
    return None


def _date_or_none(text: str) -> dt.date | None:
    m = _ISO_DATE.search(text or "")
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def find_action_items(body: str, taxonomy: Taxonomy) -> list[FoundAction]:
    """Action items under headings like "Action Items" or "Corrective and Preventive measures".

    Items are list items, rows of a table with an action column, or `Title: description`
    lines; prose lines in the section are not items.
    """
    lines = body.split("\n")
    found: list[FoundAction] = []
    in_fence = False
    block_level: int | None = None
    context: tuple[str, str] | None = None
    header: dict[str, int] | None = None
    for n, raw in enumerate(lines, start=1):
        if _FENCE.match(raw):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        heading = _HEADING.match(raw)
        if heading:
            level, title = len(heading.group(1)), heading.group(2)
            if block_level is not None and level <= block_level and not _ACTION_HEADING.search(title):
                block_level = None
            if _ACTION_HEADING.search(title) and not re.search(r"lessons?|went well|timeline", title, re.I):
                if block_level is None or level <= block_level:
                    block_level = level
                context = _context_type(title) or (context if block_level is not None and level > block_level
                                                   else None)
                header = None
            continue
        if block_level is None:
            continue
        stripped = raw.strip()
        if not stripped:
            continue
        if stripped.startswith("|"):
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            if all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
                continue
            if header is None:
                header = {}
                for i, cell in enumerate(cells):
                    name = cell.replace("*", "").strip()
                    for key, pattern in _COLUMNS.items():
                        if key not in header and pattern.fullmatch(name):
                            header[key] = i
                            break
                continue  # a table without an action column is not a list of action items
            if "title" not in header:
                continue
            row, columns = cells, header

            def column(key: str, row: list[str] = row, columns: dict[str, int] = columns) -> str:
                return row[columns[key]] if key in columns and columns[key] < len(row) else ""

            text = column("title")
            if is_unknown(text) or re.fullmatch(r"\d+", text):
                continue
            title, cut = short_title(text)
            item: dict[str, Any] = {"title": title}
            typed = column("type").lower()
            kind = next((k for k in ("corrective", "preventive", "mitigative") if typed.startswith(k[:6])), None)
            if kind:
                item["type"], type_from = kind, "its Type column"
            else:
                item["type"], type_from = _action_type(text, context)
            _fill(item, column("owner"), column("status"), column("due"), column("ticket") or text, taxonomy, text)
            found.append(FoundAction(item, n, "table row", type_from, ["title shortened"] if cut else []))
            continue
        header = None
        switch = re.fullmatch(r"(?:[-*+]\s+)?\**([A-Za-z][\w /&-]{2,40}?)\**\s*:\**", stripped)
        if switch and _context_type(switch.group(1)):
            context = _context_type(switch.group(1))
            continue
        lead = re.match(r"^(\s*)(?:[-*+]|\d+[.)])\s+(.*)$", raw)
        titled = None
        if lead:
            if len(lead.group(1).expandtabs()) >= 2:
                continue  # a nested detail of the item above
            text = lead.group(2).strip()
            checkbox = _CHECKBOX.match(text)
            status = None
            if checkbox:
                status = "done" if checkbox.group(1).lower() == "x" else "open"
                text = text[checkbox.end():]
            how = "list item"
        elif re.match(r"^[A-Z][^:.!?]{1,78}?\s*:\s+\S", stripped):
            text, status, how = stripped, None, "`Title: description` line"
        else:
            continue
        if is_unknown(text):
            continue
        clean = text.replace("**", "").replace("__", "")
        owner, rest = find_owner(clean)
        titled = re.match(r"^([^:.!?]{2,80}?)\s*:\s+(\S.*)$", rest)
        if titled and len(titled.group(1).split()) <= 10:
            title, cut = short_title(titled.group(1))
        else:
            title, cut = short_title(rest)
        if not title or is_unknown(title):
            continue
        item = {"title": title}
        item["type"], type_from = _action_type(clean, context)
        due = re.search(r"\bdue(?: date)?:?\s*(\d{4}-\d{2}-\d{2})", clean, re.I)
        _fill(item, owner or "", status or "", due.group(1) if due else "", clean, taxonomy, clean)
        found.append(FoundAction(item, n, how, type_from, ["title shortened"] if cut else []))
    return found


# Owners as people write them on an action item: `(owner: DBA team)`, `[owner: @kim]`,
# `- Owner: Kim` at the end, or an `@name` mention.
_OWNER_NOTE = re.compile(r"[ \t]*[(\[][ \t]*(?:owners?|assignee|assigned to|owned by|dri|who)[ \t]*[:=]?[ \t]*"
                         r"([^()\[\]\n]{1,80}?)[ \t]*[)\]]", re.I)
_OWNER_TAIL = re.compile(r"[ \t]*(?:[-\u2013\u2014,;|][ \t]*)?\b(?:owners?|assignee|assigned to|dri)[ \t]*:[ \t]*"
                         r"([^,;()\[\]\n]{1,80})$", re.I)
_MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9][\w.-]{0,38}[\w])")


def find_owner(text: str) -> tuple[str | None, str]:
    """An action item's owner and its text without the owner note: ``Alert when WAL archiving fails (owner: DBA
    team)`` -> ("DBA team", "Alert when WAL archiving fails"). A mention (``@kim``) names the owner and stays."""
    for pattern in (_OWNER_NOTE, _OWNER_TAIL):
        m = pattern.search(text[:600])
        if m and m.group(1).strip():
            rest = (text[:m.start()] + text[m.end():]).strip()
            return m.group(1).strip().lstrip("@"), rest or text
    m = _MENTION.search(text[:600])
    if m:
        rest = text
        lead = re.match(r"@[\w.-]+[ \t]*[:\u2013\u2014-][ \t]*", text)  # "@kim: rotate the certificates"
        if lead:
            rest = text[lead.end():]
        elif text.rstrip().endswith(m.group(0)) and m.start() > 0:
            rest = text[:m.start()].rstrip(" \t-,;\u2013\u2014")  # "Rotate the certificates @kim"
        return m.group(1), rest or text
    return None, text


def _fill(item: dict[str, Any], owner: str, status: str, due: str, ticket_text: str,
          taxonomy: Taxonomy, text: str) -> None:
    matched = match_terms(item["title"], taxonomy, "actions", generic=True, limit=1) or \
        match_terms(text, taxonomy, "actions", generic=True, limit=1)
    if matched:
        item["action"] = matched[0][0]
    if owner and not is_unknown(owner):
        item["owner"] = owner.strip().lstrip("@")[:200]
    state = _STATUS_WORDS.get(status.strip().strip("*_`").lower()) if status else None
    if state:
        item["status"] = state
    day = _date_or_none(due)
    if day:
        item["due"] = day
    ticket = _TICKET.search(ticket_text or "")
    if ticket:
        item["ticket"] = ticket.group(1)
