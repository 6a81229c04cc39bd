"""Synthetic postmortems for the benchmark: N files in the KB format, from a fixed seed.

Each postmortem looks like one an engineer would write: 1-3 components, 1-2 root causes
and 2-6 action items named with the terms of the repository's ``taxonomy.yml``, a timeline
with its key moments marked, the seven usual sections, and a length close to the sample
KB's (4-7 KB). Dates are spread over twelve years. The same seed gives the same files,
byte for byte, so two runs of the benchmark build the same site.

    python bench/generate.py 1000 /tmp/kb-1000

writes ``/tmp/kb-1000/postmortems/<year>/<id>.md``, ``taxonomy.yml``, ``mkdocs.yml`` (the
full site: the postmortems plugin with every feature on) and an empty ``docs/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
FIRST_DAY = dt.date(2015, 1, 1)
LAST_DAY = dt.date(2026, 10, 31)

PEOPLE = ["Amara Nwosu", "Ben Carter", "Chloe Martin", "Diego Alvarez", "Elif Yilmaz", "Fatima Zahra",
          "Gustav Lind", "Hana Sato", "Ines Duarte", "Jonas Weber", "Kavya Iyer", "Liam O'Brien",
          "Maya Cohen", "Nikolai Petrov", "Olivia Brown", "Pedro Santos", "Qi Wang", "Rosa Moreno",
          "Samuel Okafor", "Tomasz Nowak", "Usha Reddy", "Victor Dubois", "Wen Li", "Yusuf Demir"]
TEAMS = ["platform", "sre", "payments", "identity", "data", "edge", "search", "messaging", "storage"]
TICKET_PREFIXES = ["OPS", "PLAT", "SRE", "PAY", "NET", "DATA", "SEC", "INC"]
REGIONS = ["eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-south-1", "ap-northeast-1"]
TIMEZONES = ['"+00:00"', '"+01:00"', '"+02:00"', '"-05:00"', '"+05:30"', "Europe/Berlin", "America/New_York"]
DETECTIONS = ["alert", "customer report", "synthetic check", "internal report", "on-call engineer", "status page"]
SEVERITY_WEIGHTS = [("SEV1", 1), ("SEV2", 3), ("SEV3", 4), ("SEV4", 2)]
ACTION_TYPES = ["corrective", "preventive", "mitigative"]

# Words that make each component's story its own (and give the search index real vocabulary).
COMPONENT_WORDS = {
    "web-server": ["nginx worker", "upstream timeout", "keepalive pool", "static asset cache", "502 page"],
    "load-balancer": ["haproxy maxconn", "health check path", "backend pool", "TLS listener", "accept queue"],
    "postgres": ["connection pool", "replication lag", "autovacuum", "WAL volume", "long transaction"],
    "redis": ["eviction policy", "maxmemory", "session keys", "sentinel failover", "hot key"],
    "kafka": ["consumer lag", "ISR shrink", "partition leader", "retention setting", "broker disk"],
    "dns-resolver": ["ndots setting", "NXDOMAIN rate", "resolver cache", "upstream forwarder", "TTL"],
    "cdn": ["cache hit ratio", "origin shield", "purge request", "edge certificate", "stale content"],
    "api-gateway": ["rate limiter", "route table", "JWT validation", "request timeout", "retry budget"],
    "auth-service": ["token signing key", "session store", "SSO callback", "password reset flow", "OIDC discovery"],
    "payments-service": ["acquirer declines", "idempotency key", "checkout flow", "settlement batch", "3DS challenge"],
    "kubernetes": ["pod eviction", "node pool", "admission webhook", "etcd latency", "HPA target"],
    "object-storage": ["bucket policy", "multipart upload", "lifecycle rule", "presigned URL", "replication queue"],
    "ci-cd": ["deploy pipeline", "artifact cache", "canary stage", "rollback job", "runner pool"],
    "monitoring": ["alert rule", "silence", "scrape interval", "paging route", "dashboard"],
    "search-service": ["indexer backlog", "shard allocation", "mapping change", "reindex job", "query cache"],
    "email-service": ["SMTP relay", "bounce rate", "DKIM key", "send queue", "suppression list"],
}
CAUSE_STORIES = {
    "hardware-failure": "a failed {part} on {host}",
    "configuration-change": "a configuration change to the {thing} that passed review",
    "capacity": "the {thing} running out of headroom under {pct}% more traffic than usual",
    "software-bug": "a regression in release {version} that mishandled the {thing}",
    "dependency-failure": "an outage at an upstream provider that the {thing} depends on",
    "expired-certificate": "an expired certificate used by the {thing}",
    "human-error": "a manual command run against the wrong {thing}",
    "network-failure": "packet loss between {region} and the {thing}",
    "deployment": "a rollout of version {version} that went to every host at once",
    "dns": "name resolution failures for the {thing}",
    "resource-leak": "a slow leak of connections in the {thing}",
    "data-corruption": "inconsistent rows written by the {thing}",
}
PARTS = ["disk", "power supply", "RAID controller", "memory module", "network card", "fan tray"]

OPENERS = [
    "At {start} the {comp} began failing requests, and the failures spread to {comp2} within minutes.",
    "Shortly after {start}, {pct}% of requests that touched the {comp} returned errors.",
    "On {day}, customers in {region} could not complete requests served by the {comp}.",
    "The {comp} degraded at {start} and stayed degraded until the {word} was brought back under control.",
]
FILLERS = [
    "The {word} had been stable for months, which is why nobody looked at it first.",
    "Dashboards for the {comp} showed elevated latency, but the error rate stayed under the paging threshold "
    "for a while.",
    "The on-call engineer from the {team} team joined the incident channel within {n} minutes.",
    "Traffic from {region} was affected most because it has no standby for the {comp}.",
    "A similar pattern had been seen in staging, where it was written off as noise.",
    "About {n} thousand requests failed before the first mitigation took effect.",
    "Retries from clients added roughly {pct}% more load while the {word} was unhealthy.",
    "Nothing in the change log for that day mentioned the {word}.",
    "The runbook for the {comp} covered a full outage but not a partial one like this.",
    "Several teams noticed at the same time, so the first {n} minutes went into working out who owned the problem.",
    "We had capacity to spare in {region}, but moving traffic there needed a manual step.",
    "Error budgets for the month were spent in a single afternoon.",
    "Logs from the {comp} were sampled at one percent, which hid how many calls were failing.",
    "The {word} is shared by {n} services, which widened the blast radius.",
    "Support received {n} tickets in the first hour, most of them about timeouts.",
    "The incident commander split the work between the {team} and {team2} teams.",
    "Rolling back looked safe, but the {word} state had already changed and could not simply be undone.",
    "Alerting on the {word} existed, but it was routed to a channel nobody watched at night.",
]
CAUSE_LINES = [
    "The trigger was {story}.",
    "The underlying cause was {story}, which nobody had tested for.",
    "Looking further back, {story} had been possible since the {comp} was first set up.",
    "{story_cap} left the {comp} without a safe fallback.",
]
RESOLUTION_LINES = [
    "The team {fix}, and error rates returned to baseline over the next {n} minutes.",
    "Recovery came once the team {fix}; queued work drained within {n} minutes.",
    "As a stopgap the team {fix}, then kept watching the {word} until it settled.",
]
FIXES = ["rolled back to the previous release", "failed over to the standby in {region}",
         "restarted the affected {comp} pods", "raised the limit on the {word}",
         "replaced the faulty hardware", "renewed and deployed the certificate",
         "reverted the configuration change", "drained traffic away from {region}",
         "scaled the {comp} out by {n} instances", "paused the pipeline and redeployed by hand"]
LESSONS = [
    "A guard rail that only covers the normal path is not a guard rail.",
    "Dashboards that show averages hid the tail latency that customers felt.",
    "The quickest signal came from customers, which means our monitoring missed the {word}.",
    "Ownership of the {comp} was unclear, and that cost us the first part of the incident.",
    "Partial failures are harder to see than outages, and our alerts only knew about outages.",
    "We were lucky the incident happened during working hours in {region}.",
    "Runbooks need a section for the case where the obvious fix makes things worse.",
    "Changes to the {word} deserve the same review as code changes.",
]
ITEM_TITLES = {
    "add-monitoring": "Alert when the {word} of the {comp} leaves its normal range",
    "add-redundancy": "Run a standby {comp} in {region} with automatic failover",
    "update-runbook": "Write the runbook section for a partial {comp} outage",
    "automate": "Automate the {word} procedure that was done by hand",
    "add-tests": "Add an integration test covering the {word} of the {comp}",
    "training": "Hold a game day on {comp} failures for the {team} on-call rotation",
    "capacity-planning": "Size the {comp} for twice the peak and set a quota on the {word}",
    "config-validation": "Check the {word} setting in CI before it ships",
    "process-change": "Require a second reviewer for changes to the {comp}",
    "fix-bug": "Fix the handling of the {word} in the {comp}",
    "maintenance": "Schedule replacement of ageing {comp} hardware before failure",
}
TIMELINE_LINES = [
    "{comp} error rate rises above {pct}%",
    "First customer reports reach support",
    "Incident declared {severity}; {person} takes the incident commander role",
    "Investigation focuses on the {word}",
    "{person} finds the {word} misbehaving on {host}",
    "Status page updated",
    "Traffic partially shifted to {region}",
    "Suspected change identified in the deploy log",
    "Error rate back under {pct2}%",
    "Backlog on the {comp} drained",
]


class _Writer:
    """One postmortem's random choices, from one shared random generator."""

    def __init__(self, rnd: random.Random, taxonomy: dict, index: int, day: dt.date, earlier: list[str]):
        self.r = rnd
        self.t = taxonomy
        self.i = index
        self.day = day
        self.earlier = earlier
        comps = list(taxonomy["components"])
        self.components = rnd.sample(comps, rnd.randint(1, 3))
        self.root_causes = rnd.sample(list(taxonomy["root_causes"]), rnd.choices([1, 2], [3, 2])[0])
        self.comp_titles = [taxonomy["components"][c]["title"] for c in self.components]
        self.severity = rnd.choices([s for s, _ in SEVERITY_WEIGHTS], [w for _, w in SEVERITY_WEIGHTS])[0]
        self.words = [w for c in self.components for w in COMPONENT_WORDS.get(c, ["service"])]
        self.people = rnd.sample(PEOPLE, 3)
        self.host = f"{rnd.choice(['web', 'db', 'lb', 'kafka', 'node', 'cache'])}-{rnd.randint(1, 40):02d}"
        self.region = rnd.choice(REGIONS)
        self.start = dt.datetime.combine(day, dt.time(rnd.randint(0, 23), rnd.choice(range(0, 60, 1))))

    def fill(self, template: str) -> str:
        r = self.r
        values = {
            "comp": r.choice(self.comp_titles), "comp2": r.choice(self.comp_titles),
            "word": r.choice(self.words), "team": r.choice(TEAMS), "team2": r.choice(TEAMS),
            "n": r.randint(3, 90), "pct": r.randint(5, 95), "pct2": r.randint(1, 4), "region": self.region,
            "host": self.host, "person": r.choice(self.people), "severity": self.severity,
            "start": self.start.strftime("%H:%M"), "day": self.day.strftime("%d %B %Y"),
            "version": f"{r.randint(1, 9)}.{r.randint(0, 40)}.{r.randint(0, 9)}",
        }
        extra = {}
        if "{fix}" in template:
            extra["fix"] = r.choice(FIXES).format(**values)
        if "{story" in template:
            story = self.story(values)
            extra["story"], extra["story_cap"] = story, story[:1].upper() + story[1:]
        return template.format(**values, **extra)

    def story(self, values: dict) -> str:
        cause = self.r.choice(self.root_causes)
        return CAUSE_STORIES.get(cause, "a failure in the {thing}").format(
            part=self.r.choice(PARTS), host=self.host, thing=self.r.choice(self.words),
            pct=values["pct"], version=values["version"], region=self.region)

    def paragraph(self, first: list[str] | None = None, sentences: tuple[int, int] = (3, 5)) -> str:
        lines = [self.fill(self.r.choice(first))] if first else []
        lines += [self.fill(s) for s in self.r.sample(FILLERS, self.r.randint(*sentences))]
        return " ".join(lines)

    def title(self) -> str:
        word = self.r.choice(self.words)
        cause = self.t["root_causes"][self.root_causes[0]]["title"].lower()
        return self.r.choice([
            f"{self.comp_titles[0]} outage after {cause} in the {word}",
            f"{cause.capitalize()} degraded the {self.comp_titles[0]} in {self.region}",
            f"Errors from the {self.comp_titles[0]}: {word}",
            f"{self.comp_titles[0]} {word} incident",
        ])

    def timeline(self) -> tuple[list[str], list[tuple[dt.datetime, str, str]]]:
        """The section's lines and the key moments [(time, moment, text)]."""
        r = self.r
        at = self.start - dt.timedelta(minutes=r.randint(5, 40))
        entries: list[tuple[dt.datetime, str | None, str]] = [(at, None, "A change is rolled out to the "
                                                               f"{r.choice(self.words)}")]
        at = self.start
        entries.append((at, "start", self.fill(TIMELINE_LINES[0])))
        middle = [TIMELINE_LINES[k] for k in sorted(r.sample(range(1, len(TIMELINE_LINES)), r.randint(3, 7)))]
        marks = {1: "detected", len(middle) - 1: "mitigated"}
        for k, template in enumerate(middle):
            at += dt.timedelta(minutes=r.randint(2, 35))
            entries.append((at, marks.get(k), self.fill(template)))
        at += dt.timedelta(minutes=r.randint(5, 90))
        entries.append((at, "resolved", f"Incident resolved; the {r.choice(self.comp_titles)} is back to normal"))
        table = r.random() < 0.5
        out = ["| Time | Event |", "|------|-------|"] if table else []
        for when, moment, text in entries:
            clock = when.strftime("%H:%M") if when.date() == self.day else when.strftime("%Y-%m-%d %H:%M")
            mark = f"[{moment}] " if moment else ""
            out.append(f"| {clock} | {mark}{text} |" if table else f"- {clock} {mark}{text}")
        return out, entries

    def action_items(self) -> list[dict]:
        r = self.r
        actions = list(self.t["actions"])
        items = []
        for k in range(r.randint(2, 6)):
            action = r.choice(actions)
            due = self.day + dt.timedelta(days=r.randint(7, 120))
            status = r.choices(["done", "open", "in-progress", "wont-do"], [6, 2, 2, 1])[0]
            items.append({
                "title": self.fill(ITEM_TITLES.get(action, "Follow up on the {word}")),
                "type": r.choice(ACTION_TYPES), "action": action, "owner": r.choice(self.people + TEAMS),
                "status": status, "due": due.isoformat(),
                "ticket": f"{r.choice(TICKET_PREFIXES)}-{1000 + self.i * 7 + k}",
            })
        return items

    def write(self) -> tuple[str, str]:
        """(id, file text)"""
        r = self.r
        title = self.title()
        slug = "-".join("".join(ch if ch.isalnum() else " " for ch in title.lower()).split())[:48].strip("-")
        pm_id = f"{self.day.isoformat()}-{slug}-{self.i:05d}"
        timeline, entries = self.timeline()
        items = self.action_items()
        mitigated = next(e[0] for e in entries if e[1] == "mitigated")
        minutes = int((mitigated - self.start).total_seconds() // 60)
        fm: list[str] = [
            "---", f"id: {pm_id}", f"title: {_q(title)}", f"date: {self.day.isoformat()}",
            f"severity: {self.severity}",
            f"status: {r.choices(['published', 'in-review'], [9, 1])[0]}",
            f"authors: [{', '.join(_q(p) for p in self.people[: r.randint(1, 3)])}]",
            f"components: [{', '.join(self.components)}]",
            f"root_causes: [{', '.join(self.root_causes)}]",
            f"trigger: {_q(self.fill('{story_cap}'))}",
            f"detection: {r.choice(DETECTIONS)}",
            "impact: " + _q(f"About {r.randint(2, 99)}% of requests to the {self.comp_titles[0]} failed "
                            f"for {minutes} minutes"),
            f"tags: [{', '.join(sorted({_tag(w) for w in r.sample(self.words, min(3, len(self.words)))}))}]",
        ]
        if self.earlier and r.random() < 0.3:
            fm.append(f"related: [{', '.join(r.sample(self.earlier[-200:], min(len(self.earlier), r.randint(1, 2))))}]")
        fm.append(f"timezone: {r.choice(TIMEZONES)}")
        fm.append("action_items:")
        for item in items:
            fm.append(f"  - title: {_q(item['title'])}")
            for key in ("type", "action", "owner", "status", "due", "ticket"):
                fm.append(f"    {key}: {_q(item[key]) if key == 'owner' else item[key]}")
        fm.append("---")
        measures = " ".join(f"{it['title']} ({it['ticket']})." for it in items)
        body = [
            "", "## Summary", "", self.paragraph(OPENERS), "", self.paragraph(sentences=(2, 4)), "",
            "## Impact", "", self.paragraph(sentences=(3, 5)), "",
            "## Timeline", "", *timeline, "",
            "## Root cause", "", self.paragraph(CAUSE_LINES), "", self.paragraph(CAUSE_LINES, (2, 4)), "",
            "## Resolution and recovery", "", self.paragraph(RESOLUTION_LINES, (2, 4)), "",
            "## Corrective and preventive measures", "", f"We agreed on {len(items)} follow-ups. {measures}", "",
            "## Lessons learned", "",
            " ".join(self.fill(s) for s in r.sample(LESSONS, r.randint(2, 4))), "",
        ]
        return pm_id, "\n".join(fm + body)


def _q(text: str) -> str:
    """A YAML scalar that stays text whatever it holds."""
    return yaml.safe_dump(str(text), default_style=None, width=10_000).strip().removesuffix("...").strip()


def _tag(words: str) -> str:
    return "-".join(words.lower().replace("/", " ").split())


def mkdocs_config(site_name: str, plugin: bool) -> str:
    """The site's mkdocs.yml. With ``plugin``: the postmortems plugin with every feature on.

    Both sites share the theme, its features and the Markdown extensions of the project's
    own mkdocs.yml, so that the only difference between them is the plugin.
    """
    lines = [f"site_name: {site_name}", "site_url: https://kb.example.org/", "use_directory_urls: false",
             "theme:", "  name: material", "  font: false", "  features:", "    - navigation.sections",
             "    - navigation.top", "    - search.highlight",
             "markdown_extensions:", "  - toc:", "      permalink: true", "  - tables", "  - md_in_html",
             "  - admonition", "plugins:", "  - search"]
    if plugin:
        lines += PLUGIN_CONFIG
    else:
        # The baseline: a small navigation (every page still builds, reached from nowhere).
        lines += ["nav:", "  - Home: index.md", "  - Postmortems: postmortems/index.md"]
    return "\n".join(lines) + "\n"


# Every feature of the postmortems plugin on, and the navigation of the project's site
# (listings only: incident and term pages are reached from them).
PLUGIN_CONFIG = [
    "  - postmortems:", "      postmortems_dir: postmortems", "      taxonomy: taxonomy.yml",
    "      drafts: true", "      related_limit: 5", "      search: material",
    "      offline_search: true",
    "nav:", "  - Home: index.md", "  - Incidents: incidents/index.md", "  - Root causes: root-causes/index.md",
    "  - Components: components/index.md", "  - Corrective actions: actions/index.md",
    "  - Action items: action-items/index.md", "  - Browse:", "      - Severity: severity/index.md",
    "      - Years: years/index.md", "      - Tags: tags/index.md",
]


def generate(out: Path, n: int, seed: int = 1, taxonomy_file: Path = REPO / "taxonomy.yml") -> list[Path]:
    """Write ``n`` postmortems, taxonomy.yml, mkdocs.yml and an empty docs/ into ``out``."""
    taxonomy = yaml.safe_load(taxonomy_file.read_text("utf-8"))
    rnd = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    if (out / "postmortems").exists():
        shutil.rmtree(out / "postmortems")
    span = (LAST_DAY - FIRST_DAY).days
    days = sorted(FIRST_DAY + dt.timedelta(days=rnd.randint(0, span)) for _ in range(n))
    earlier: list[str] = []
    paths: list[Path] = []
    for i, day in enumerate(days):
        pm_id, text = _Writer(rnd, taxonomy, i, day, earlier).write()
        earlier.append(pm_id)
        path = out / "postmortems" / str(day.year) / f"{pm_id}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    shutil.copy(taxonomy_file, out / "taxonomy.yml")
    (out / "mkdocs.yml").write_text(mkdocs_config(f"Benchmark KB ({n} postmortems)", plugin=True), "utf-8")
    (out / "docs").mkdir(exist_ok=True)  # empty: the plugin makes the home page and every listing
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int, help="how many postmortems")
    parser.add_argument("out", type=Path, help="the folder to write the KB into")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    paths = generate(args.out, args.count, args.seed)
    print(f"{len(paths)} postmortems written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
