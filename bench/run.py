"""The benchmark: builds, validation and search at several sizes of KB, on this machine.

    python bench/run.py --sizes 1000,5000,10000

For each size it generates that many synthetic postmortems (bench/generate.py, fixed
seed) and measures, in this one run:

* the full site build (``mkdocs build`` with the postmortems plugin, every feature on)
  against a baseline: the same postmortem pages built by plain mkdocs-material, no
  plugin, a small navigation; each build runs in its own process, whose wall time and
  peak memory (ru_maxrss, from ``os.wait4``) are recorded;
* the median size of an incident page's HTML;
* ``pmkb validate`` on the whole KB;
* the whoosh index built from scratch (``pmkb index --rebuild``) and brought up to date
  after one file changed (in-process and as the ``pmkb index`` command);
* ``pmkb search`` latency, median and 95th percentile over a fixed list of queries,
  in-process on an open index and as a command;
* the size of the site's search index (``search/search_index.json``; and the Pagefind
  bundle of the plugin's ``search: pagefind`` option, built at the smallest size).

It prints a Markdown table (and writes it to bench/out/results.md) headed by the machine
it ran on, with the targets and whether each is met. A measurement that cannot be made
(a part not installed, a build that failed) is a row saying "not available: why", never a
crash. Timings are wall-clock on a machine that may be shared: read them with the load
average printed beside them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate, mkdocs_config  # noqa: E402

QUERIES = [
    "connection pool", "replication lag", "certificate", "expired certificate", "haproxy maxconn",
    "consumer lag", "dns", "NXDOMAIN", "eviction policy", "rollback", "rolled back to the previous release",
    "partial outage runbook", "canary stage", "deploy pipeline", "rate limiter", "token signing key",
    "settlement batch", "acquirer declines", "pod eviction", "etcd latency", "bucket policy", "alert rule",
    "silence", "indexer backlog", "bounce rate", "DKIM key", "origin shield", "cache hit ratio",
    "severity:SEV1", "component:postgres", "root_cause:dns", "component:redis severity:SEV2",
    "root_cause:capacity component:kafka", "failover", "standby", "guard rail", "game day",
    "packet loss", "RAID controller", "power supply", "memory leak", "timeout", "retries",
    "error budget", "status page", "blast radius", "misconfiguration", "regression", "TLS listener",
    "hot key",
]


# mkdocs-material prints a notice about MkDocs 2 on every build; it is not part of the build.
BUILD_ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
NOT_MEASURED = "-"  # measured at other sizes only (see --command-sizes, --pagefind-sizes)


class Unavailable(Exception):
    """A measurement that cannot be made here; its message says why."""


@dataclass
class Run:
    seconds: float  # wall clock
    cpu: float  # user + system CPU seconds of the process and its children
    max_rss_kb: int
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False


def run(cmd: list[str], cwd: Path | None = None, env: dict | None = None, timeout: float | None = None) -> Run:
    """Run a command in its own process; its wall time and its own peak memory. With
    ``timeout``, a process still running after that many seconds is killed (``timed_out``)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, env=env)
        timer = threading.Timer(timeout, proc.kill) if timeout else None
        if timer:
            timer.start()
        # wait4 gives this child's own rusage (RUSAGE_CHILDREN would be the maximum over
        # every child so far).
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        timed_out = bool(timer) and not timer.is_alive() and seconds >= (timeout or 0)
        if timer:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(seconds, usage.ru_utime + usage.ru_stime, int(usage.ru_maxrss), proc.returncode,
                   out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"), timed_out)


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()

    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    return {
        "CPU": cpu, "cores": f"{usable} usable ({os.cpu_count()} online)", "RAM": ram,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "versions": ", ".join(f"{n} {version(n)}" for n in (
            "postmortem-kb", "mkdocs", "mkdocs-material", "whoosh-reloaded", "pagefind", "PyYAML")),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


# -- what is measured --------------------------------------------------------------------

def plugin_available() -> str:
    """'' when the postmortems MkDocs plugin is installed, else why not."""
    try:
        eps = metadata.entry_points(group="mkdocs.plugins")
    except Exception as exc:  # noqa: BLE001
        return f"cannot list MkDocs plugins ({exc})"
    ep = next((e for e in eps if e.name == "postmortems"), None)
    if ep is None:
        return "the `postmortems` MkDocs plugin is not installed"
    try:
        ep.load()
    except Exception as exc:  # noqa: BLE001 - a plugin still being written may not import
        return f"the postmortems plugin does not import ({type(exc).__name__}: {exc})"
    return ""


def plugin_work(kb: Path) -> dict:
    """The plugin's own work, without MkDocs: load the KB, run every page generator and draw
    every generated page from its template (what the plugin does before MkDocs converts pages)."""
    from postmortem_kb.loader import KBConfig, load_kb

    start = time.process_time()
    kb_ = load_kb(KBConfig(root=kb))
    loaded = time.process_time()
    try:
        from postmortem_kb.site import SiteOptions
        from postmortem_kb.site.build import SiteBuild
    except ImportError:  # before the site pipeline: generators called one by one
        from postmortem_kb.mkdocs_plugin.plugin import load_generators
        from postmortem_kb.site import GENERATORS, GeneratedPage, SiteOptions
        from postmortem_kb.site.render import environment, render_page

        options = SiteOptions(drafts=True, extra={"related_limit": 5, "custom_templates": None,
                                                  "directory_urls": False})
        env = environment([])
        load_generators()
        pages = 0
        for make in GENERATORS:
            for item in make(kb_, options):
                if isinstance(item, GeneratedPage):
                    render_page(item, env, False)
                    pages += 1
    else:
        from postmortem_kb.site import GeneratedPage

        items = SiteBuild(kb_, SiteOptions(drafts=True, related_limit=5, directory_urls=False)).generate()
        pages = sum(isinstance(item, GeneratedPage) for item in items)
    return {"load": loaded - start, "generate": time.process_time() - loaded, "pages": pages}


def make_baseline(kb: Path) -> Path:
    """A plain mkdocs-material project with the same postmortem pages, no plugin."""
    base = kb / "baseline"
    if base.exists():
        shutil.rmtree(base)
    docs = base / "docs"
    shutil.copytree(kb / "postmortems", docs / "postmortems")
    (docs / "index.md").write_text("# Benchmark KB\n\nThe same postmortems, no plugin.\n", "utf-8")
    (docs / "postmortems" / "index.md").write_text("# Postmortems\n\nOne page per incident.\n", "utf-8")
    (base / "mkdocs.yml").write_text(mkdocs_config("Benchmark KB (baseline)", plugin=False), "utf-8")
    return base


def build(project: Path, config: str = "mkdocs.yml") -> tuple[Run, Path]:
    site = project / "site"
    if site.exists():
        shutil.rmtree(site)
    result = run([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(project / config), "-d", str(site)],
                 cwd=project, env=BUILD_ENV)
    if result.returncode != 0:
        tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise Unavailable(f"the build failed (exit {result.returncode}): {tail[:200]}")
    return result, site


def incident_pages(site: Path, ids: set[str]) -> list[Path]:
    """The HTML page of each postmortem, wherever the site put it (…/<id>/index.html or <id>.html)."""
    pages = []
    for path in site.rglob("*.html"):
        name = path.parent.name if path.name == "index.html" else path.stem
        if name in ids:
            pages.append(path)
    return pages


def tree_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def pmkb(*args: str) -> list[str]:
    return [sys.executable, "-m", "postmortem_kb", *args]


def quantiles(samples: list[float]) -> tuple[float, float]:
    """(median, 95th percentile)"""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return statistics.median(ordered), p95


def touch_one(kb: Path) -> Path:
    """Change one postmortem's text (a sentence more), as a writer's edit would."""
    files = sorted((kb / "postmortems").rglob("*.md"))
    path = files[len(files) // 2]
    path.write_text(path.read_text("utf-8") + "\nAn engineer added this sentence after review.\n", "utf-8")
    return path


# -- the table -----------------------------------------------------------------------------

@dataclass
class Row:
    label: str
    target: str = ""
    cells: dict[int, str] = field(default_factory=dict)
    verdict: str = ""


ROWS = {  # key -> (label, target); the order of the table
    "load": ("Load average (1 min) when this size started", ""),
    "build_plugin": ("Build with the plugin, CPU (s)", ""),
    "build_base": ("Baseline build, plain mkdocs-material, CPU (s)", ""),
    "ratio": ("Plugin build / baseline build, CPU", "<= 2.0 (aim 1.3)"),
    "per_pm_plugin": ("Plugin build per postmortem, CPU (ms)", "largest size within 10% of smallest"),
    "per_pm_base": ("Baseline build per postmortem, CPU (ms)", ""),
    "rss_plugin": ("Peak memory, plugin build (MiB)", ""),
    "rss_base": ("Peak memory, baseline build (MiB)", ""),
    "rss_ratio": ("Peak memory, plugin build / baseline build", "<= 2.0"),
    "plugin_work": ("Plugin's own work without MkDocs (load + generate + templates), CPU (s)", ""),
    "pages": ("HTML pages built, plugin / baseline", ""),
    "html": ("Incident page HTML, median (KiB)", ""),
    "html_quarter": ("Incident page HTML median, whole KB / a KB of a quarter of its size", "<= 1.1"),
    "html_base": ("Baseline incident page HTML, median (KiB)", ""),
    "preview": ("A writer's save in the preview (`pmkb serve`): the changed pages written, CPU (s)", ""),
    "preview_ratio": ("Preview save / full plugin build, CPU", "<= 0.15 (aim < 1 s at 1,000, < 3 s at 10,000)"),
    "search_first": ("Site search, first query over http: downloaded (KiB), requests, time to results",
                     "<= 1,024 KiB at 2,000 and 10,000"),
    "search_file": ("Site search from file://: the first query answers", "yes"),
    "start_help": ("`pmkb --help`, CPU (s), median of 5", "< 0.2"),
    "start_validate": ("`pmkb validate <one file>`, CPU (s), median of 5", "< 0.2"),
    "validate": ("`pmkb validate`, CPU (s)", "< 10 s at 10,000"),
    "rss_validate": ("Peak memory, `pmkb validate` (MiB)", ""),
    "index_full": ("Whoosh index from scratch, `pmkb index --rebuild`, CPU (s)", ""),
    "index_one": ("Re-index one changed file, in-process refresh, CPU (s)", "< 1 s"),
    "index_one_cmd": ("Re-index one changed file, `pmkb index` command, CPU (s)", ""),
    "search_inproc": ("`pmkb search` in-process, median / p95, CPU (ms)", "median < 50 ms at 10,000"),
    "search_cmd": ("`pmkb search` command, median / p95, CPU (ms)", ""),
    "search_json": ("search_index.json, plugin / baseline (MiB)", ""),
    "pagefind": ("Pagefind bundle, plugin `search: pagefind` (MiB)", ""),
}


class Table:
    def __init__(self, sizes: list[int]):
        self.sizes = sizes
        self.rows = {key: Row(label, target) for key, (label, target) in ROWS.items()}
        self.values: dict[tuple[str, int], float] = {}  # raw numbers, for the verdicts

    def set(self, key: str, size: int, text: str, value: float | None = None) -> None:
        self.rows[key].cells[size] = text
        if value is not None:
            self.values[(key, size)] = value

    def unavailable(self, key: str, size: int, reason: str) -> None:
        self.rows[key].cells[size] = f"not available: {reason}"

    def value(self, key: str, size: int) -> float | None:
        return self.values.get((key, size))

    def verdicts(self) -> None:
        small, large = self.sizes[0], self.sizes[-1]

        def judge(key: str, ok: bool | None, how: str) -> None:
            if ok is not None:
                self.rows[key].verdict = ("met" if ok else "NOT met") + (f" ({how})" if how else "")

        def within(key: str, limit: float, unit: str = "", fmt: str = ".2f") -> None:
            """Met when the value is within ``limit`` at every size measured."""
            got = [(self.value(key, n), n) for n in self.sizes if self.value(key, n) is not None]
            if got:
                value, n = max(got)
                judge(key, value <= limit, f"worst {value:{fmt}}{unit} at {n:,}")

        within("ratio", 2.0)
        within("rss_ratio", 2.0)
        within("html_quarter", 1.1)
        within("preview_ratio", 0.15)
        within("start_help", 0.2, " s", ".3f")
        within("start_validate", 0.2, " s", ".3f")
        searched = [(self.value("search_first", n), n) for n in self.sizes if n >= 2000
                    and self.value("search_first", n) is not None]
        if searched:
            kib, n = max(searched)
            judge("search_first", kib <= 1024, f"worst {kib:,.0f} KiB at {n:,}")
        elif any(self.value("search_first", n) is not None for n in self.sizes):
            self.rows["search_first"].verdict = "the target is for 2,000 and 10,000"
        answered = [self.value("search_file", n) for n in self.sizes if self.value("search_file", n) is not None]
        if answered:
            judge("search_file", all(answered), f"{sum(answered)} of {len(answered)} sizes")
        a, b = self.value("per_pm_plugin", small), self.value("per_pm_plugin", large)
        if a and b and large > small:
            # The fixed cost of a build (start-up, theme files) is spread over fewer postmortems at
            # the small size; the marginal cost between the sizes says what each one more costs.
            marginal = (b * large - a * small) / (large - small)
            judge("per_pm_plugin", b <= a * 1.10, f"{(b / a - 1) * 100:+.0f}% from {small:,} to {large:,}; "
                  f"each postmortem between them {marginal:.2f} ms")
        below = "" if large >= 10_000 else "; the target is for 10,000"
        v = self.value("validate", large)
        if v is not None:
            judge("validate", v < 10, f"{v:.1f} s CPU at {large:,}{below}")
        worst = [self.value("index_one", n) for n in self.sizes if self.value("index_one", n) is not None]
        judge("index_one", max(worst) < 1 if worst else None, f"worst {max(worst):.2f} s CPU" if worst else "")
        v = self.value("search_inproc", large)
        if v is not None:
            judge("search_inproc", v < 50, f"{v:.0f} ms CPU at {large:,}{below}")

    def markdown(self, info: dict[str, str], notes: list[str]) -> str:
        out = ["## Machine", "", "| | |", "|---|---|"]
        out += [f"| {k} | {v} |" for k, v in info.items()]
        out += ["", "## Results", ""]
        head = ["Measurement"] + [f"{n:,} postmortems" for n in self.sizes] + ["Target", "Verdict"]
        out.append("| " + " | ".join(head) + " |")
        out.append("|" + "---|" * len(head))
        for row in self.rows.values():
            cells = [row.cells.get(n, "") for n in self.sizes]
            out.append("| " + " | ".join([row.label, *cells, row.target, row.verdict]) + " |")
        if notes:
            out += ["", *[f"- {n}" for n in notes]]
        return "\n".join(out) + "\n"


# -- one size -------------------------------------------------------------------------------

def measure_size(table: Table, n: int, work: Path, args, notes: list[str]) -> None:
    kb = work / f"kb-{n}"
    table.set("load", n, f"{os.getloadavg()[0]:.2f}")
    log(f"[{n}] generating {n} postmortems in {kb}")
    generate(kb, n, seed=args.seed)
    ids = {p.stem for p in (kb / "postmortems").rglob("*.md")}

    # Builds: baseline first, then the plugin's (same pages, same machine, one after the other).
    base = make_baseline(kb)
    base_run = None
    try:
        log(f"[{n}] baseline build")
        result, base_site = build(base)
        base_run = result
        table.set("build_base", n, f"{result.cpu:.1f} (wall {result.seconds:.1f})", result.cpu)
        table.set("per_pm_base", n, f"{result.cpu / n * 1000:.2f}", result.cpu / n * 1000)
        table.set("rss_base", n, f"{result.max_rss_kb / 1024:.0f}")
        base_pages = incident_pages(base_site, ids)
        sizes = [p.stat().st_size for p in base_pages]
        table.set("html_base", n, f"{statistics.median(sizes) / 1024:.1f}" if sizes else "no incident pages")
        base_json = base_site / "search" / "search_index.json"
        base_html_count = sum(1 for _ in base_site.rglob("*.html"))
    except Unavailable as exc:
        for key in ("build_base", "per_pm_base", "rss_base", "html_base"):
            table.unavailable(key, n, str(exc))
        base_json, base_html_count = None, None

    why = plugin_available()
    plugin_site = None
    plugin_run = None
    if why:
        for key in ("build_plugin", "ratio", "per_pm_plugin", "rss_plugin", "html", "pages", "rss_ratio"):
            table.unavailable(key, n, why)
    else:
        try:
            log(f"[{n}] plugin build")
            result, plugin_site = build(kb)
            table.set("build_plugin", n, f"{result.cpu:.1f} (wall {result.seconds:.1f})", result.cpu)
            table.set("per_pm_plugin", n, f"{result.cpu / n * 1000:.2f}", result.cpu / n * 1000)
            table.set("rss_plugin", n, f"{result.max_rss_kb / 1024:.0f}")
            plugin_run = result
            if base_run:
                ratio = result.cpu / base_run.cpu
                table.set("ratio", n, f"{ratio:.2f} (wall {result.seconds / base_run.seconds:.2f})", ratio)
                rss = result.max_rss_kb / base_run.max_rss_kb
                table.set("rss_ratio", n, f"{rss:.2f}", rss)
            else:
                table.unavailable("ratio", n, "no baseline build")
                table.unavailable("rss_ratio", n, "no baseline build")
            pages = incident_pages(plugin_site, ids)
            if pages:
                median = statistics.median(p.stat().st_size for p in pages)
                table.set("html", n, f"{median / 1024:.1f}", median)
            else:
                table.unavailable("html", n, "no incident page found in the site")
            count = sum(1 for _ in plugin_site.rglob("*.html"))
            table.set("pages", n, f"{count:,} / {base_html_count:,}" if base_html_count else f"{count:,} / -")
        except Unavailable as exc:
            for key in ("build_plugin", "ratio", "per_pm_plugin", "rss_plugin", "html", "pages", "rss_ratio"):
                table.unavailable(key, n, str(exc))
            plugin_run = None

    if plugin_site is not None and n in args.browser_sizes:
        search_in_browser(table, n, kb, plugin_site)
    else:
        for key in ("search_first", "search_file"):
            if plugin_site is None:
                table.unavailable(key, n, why or "no plugin build")
            else:
                table.set(key, n, NOT_MEASURED)
    if not why and plugin_site is not None:
        quarter_page_size(table, n, work, args, table.value("html", n))
        preview_save(table, n, kb, plugin_run)
    else:
        for key in ("html_quarter", "preview", "preview_ratio"):
            table.unavailable(key, n, why or "no plugin build")
    start_up(table, n, kb)

    if why:
        table.unavailable("plugin_work", n, why)
    else:
        log(f"[{n}] the plugin's own work")
        result = run([sys.executable, str(Path(__file__).resolve()), "--plugin-work", str(kb)])
        try:
            work_ = json.loads(result.stdout)
            table.set("plugin_work", n, f"{work_['load'] + work_['generate']:.1f} (load {work_['load']:.1f}, "
                      f"pages {work_['generate']:.1f})", work_["load"] + work_["generate"])
        except (ValueError, KeyError):
            reason = (result.stderr.strip().splitlines() or ["no output"])[-1][:160]
            table.unavailable("plugin_work", n, reason)

    plugin_json = plugin_site / "search" / "search_index.json" if plugin_site else None

    def mib(path: Path | None) -> str:
        return f"{path.stat().st_size / 2**20:.1f}" if path and path.is_file() else "-"

    if (plugin_json and plugin_json.is_file()) or (base_json and base_json.is_file()):
        shards = plugin_site / "search" / "shards" if plugin_site else None
        extra = ""
        if shards and shards.is_dir():
            files = [f.stat().st_size for f in shards.iterdir()]
            extra = f" (the plugin's sharded index: {sum(files) / 2**20:.1f} MiB in {len(files):,} files)"
        table.set("search_json", n, f"{mib(plugin_json)} / {mib(base_json)}{extra}")
    else:
        table.unavailable("search_json", n, "no search/search_index.json in either site")

    if n in args.pagefind_sizes:
        pagefind_bytes(table, n, kb, why)
    else:
        table.set("pagefind", n, NOT_MEASURED)

    # pmkb validate.
    log(f"[{n}] pmkb validate")
    result = run(pmkb("--kb", str(kb), "validate"))
    if result.returncode in (0, 1):
        table.set("validate", n, f"{result.cpu:.2f} (wall {result.seconds:.2f})", result.cpu)
        table.set("rss_validate", n, f"{result.max_rss_kb / 1024:.0f}")
        if result.returncode == 1:
            notes.append(f"{n:,}: `pmkb validate` found errors in the generated KB: "
                         f"{result.stderr.strip().splitlines()[-1][:160]}")
    else:
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1][:160]
        table.unavailable("validate", n, f"exit {result.returncode}: {reason}")

    try:
        measure_search(table, n, kb, args)
    except Exception as exc:  # noqa: BLE001 - a failing part is a row that says so, not a lost run
        for key in ("index_full", "index_one", "index_one_cmd", "search_inproc", "search_cmd"):
            if n not in table.rows[key].cells:
                table.unavailable(key, n, f"{type(exc).__name__}: {str(exc)[:160]}")
    if not args.keep:
        shutil.rmtree(kb / "baseline" / "site", ignore_errors=True)
        shutil.rmtree(kb / "site", ignore_errors=True)


def chosen_incident(kb: Path) -> tuple[str, str]:
    """(id, title) of the postmortem in the middle of the KB: the one the probes look for."""
    import yaml

    files = sorted((kb / "postmortems").rglob("*.md"))
    text = files[len(files) // 2].read_text("utf-8")
    front = yaml.safe_load(text.split("---", 2)[1])
    return files[len(files) // 2].stem, str(front["title"])


def search_in_browser(table: Table, n: int, kb: Path, site: Path) -> None:
    """The first query of a reader, over http (bytes) and from file:// (does it answer)."""
    probe = HERE / "searchprobe.py"
    _, title = chosen_incident(kb)
    query = title  # the reader types the title they remember: it must come up
    log(f"[{n}] site search in Chromium: {query!r}")
    answers = {}
    for mode in ("http", "file"):
        result = run([sys.executable, str(probe), str(site), query, "--expect", title]
                     + (["--file"] if mode == "file" else []), timeout=240)
        try:
            answers[mode] = json.loads(result.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            answers[mode] = {"error": (result.stderr.strip().splitlines() or ["no output"])[-1][:160]}
    http, disk = answers["http"], answers["file"]
    if "error" in http:
        table.unavailable("search_first", n, http["error"])
    else:
        kib = http["bytes"] / 1024
        found = "" if http.get("expected_found") else "; the incident searched for is NOT among the results"
        table.set("search_first", n, f"{kib:,.0f} KiB in {http['requests']} requests, {http['seconds']:.1f} s "
                  f"({http['results']}{found})", kib)
    if "error" in disk:
        table.set("search_file", n, f"no: {disk['error']}", 0)
    else:
        ok = bool(disk.get("expected_found"))
        table.set("search_file", n, ("yes" if ok else "answers, but without the incident searched for")
                  + f" ({disk['seconds']:.1f} s, {disk['results']})", int(ok))


def quarter_page_size(table: Table, n: int, work: Path, args, whole: float | None) -> None:
    """Incident pages of a KB a quarter of the size: a page must not grow with the KB."""
    quarter = max(1, n // 4)
    kb = work / f"kb-{n}-quarter"
    log(f"[{n}] plugin build of a KB of {quarter:,} (incident page size)")
    generate(kb, quarter, seed=args.seed)
    ids = {p.stem for p in (kb / "postmortems").rglob("*.md")}
    try:
        _, site = build(kb)
        pages = incident_pages(site, ids)
        if not pages or not whole:
            raise Unavailable("no incident page found in the site")
        small = statistics.median(p.stat().st_size for p in pages)
        table.set("html_quarter", n, f"{whole / small:.3f} ({whole / 1024:.1f} / {small / 1024:.1f} KiB at "
                  f"{quarter:,})", whole / small)
    except Unavailable as exc:
        table.unavailable("html_quarter", n, str(exc))
    finally:
        shutil.rmtree(kb, ignore_errors=True)


def preview_save(table: Table, n: int, kb: Path, full: Run | None) -> None:
    """A writer saves one postmortem while the preview runs: the time until its pages are written."""
    log(f"[{n}] preview: one saved postmortem")
    result = run([sys.executable, str(Path(__file__).resolve()), "--preview-save", str(kb)], timeout=1800)
    try:
        answer = json.loads(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        answer = {"error": (result.stderr.strip().splitlines() or ["no output"])[-1][:160]}
    if "error" in answer:
        table.unavailable("preview", n, answer["error"])
        table.unavailable("preview_ratio", n, answer["error"])
        return
    shown = "" if answer["updated"] else "; the changed text is NOT on the page!"
    table.set("preview", n, f"{answer['cpu']:.2f} (wall {answer['seconds']:.2f}; {answer['pages']} pages "
              f"written, {answer['how']}{shown})", answer["cpu"])
    if full is not None:
        ratio = answer["cpu"] / full.cpu
        table.set("preview_ratio", n, f"{ratio:.3f}", ratio)
    else:
        table.unavailable("preview_ratio", n, "no full build to compare with")


EDITED = "(edited in the preview)"


def retitle_one(kb: Path) -> Path:
    """A writer's save that every page showing the postmortem must reflect: a new title."""
    files = sorted((kb / "postmortems").rglob("*.md"))
    path = files[len(files) // 3]
    lines = path.read_text("utf-8").split("\n")
    i = next(i for i, line in enumerate(lines) if line.startswith("title: "))
    import yaml

    lines[i] = "title: " + json.dumps(f"{yaml.safe_load(lines[i][7:])} {EDITED}")  # JSON strings are YAML
    path.write_text("\n".join(lines), "utf-8")
    return path


def preview_child(kb: Path) -> dict:
    """In a child process: the preview's first build (not timed), then one save, timed."""
    try:
        from postmortem_kb.preview import Preview
    except ImportError as exc:
        if getattr(exc, "name", "") != "postmortem_kb.preview":
            raise
        Preview = None  # noqa: N806
    site = kb / "site-preview"
    if site.exists():
        shutil.rmtree(site)
    if Preview is None:
        # `pmkb serve` rebuilds the whole site after a save: time that full rebuild.
        from mkdocs.commands.build import build as mkdocs_build
        from mkdocs.config import load_config

        os.chdir(kb)
        path = retitle_one(kb)
        start, cpu = time.perf_counter(), time.process_time()
        mkdocs_build(load_config(str(kb / "mkdocs.yml"), site_dir=str(site)))
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        pages = sum(1 for _ in site.rglob("*.html"))
        how = "the whole site rebuilt"
    else:
        preview = Preview(kb / "mkdocs.yml", site)
        preview.build()
        path = retitle_one(kb)
        start, cpu = time.perf_counter(), time.process_time()
        written = preview.update([path])
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        pages = len(written)
        how = "only the pages that show it"
    page = next((p for p in site.rglob(f"{path.stem}*.html")), None)
    listing = site / "incidents" / "index.html"
    updated = all(p is not None and p.is_file() and EDITED in p.read_text("utf-8") for p in (page, listing))
    shutil.rmtree(site, ignore_errors=True)
    return {"cpu": cpu, "seconds": seconds, "pages": pages, "updated": updated, "how": how}


def start_up(table: Table, n: int, kb: Path) -> None:
    """How long the CLI takes to start: `pmkb --help`, and `pmkb validate` of one file."""
    one = sorted((kb / "postmortems").rglob("*.md"))[0]
    # As installed, Python reads its compiled modules from their caches: a session that turns
    # writing them off (PYTHONDONTWRITEBYTECODE) would time compiling every module instead. The
    # first run, not timed, writes them (and the KB's id cache).
    env = {k: v for k, v in BUILD_ENV.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for key, cmd in (("start_help", pmkb("--help")), ("start_validate", pmkb("--kb", str(kb), "validate", str(one)))):
        run(cmd, cwd=kb, env=env)
        runs = [run(cmd, cwd=kb, env=env) for _ in range(5)]
        bad = [r for r in runs if r.returncode not in (0, 1)]
        if bad:
            reason = (bad[0].stderr.strip().splitlines() or ["no output"])[-1][:160]
            table.unavailable(key, n, f"exit {bad[0].returncode}: {reason}")
            continue
        cpu = statistics.median(r.cpu for r in runs)
        wall = statistics.median(r.seconds for r in runs)
        table.set(key, n, f"{cpu:.3f} (wall {wall:.3f})", cpu)


def pagefind_bytes(table: Table, n: int, kb: Path, plugin_missing: str) -> None:
    if plugin_missing:
        table.unavailable("pagefind", n, plugin_missing)
        return
    config = kb / "mkdocs-pagefind.yml"
    text = (kb / "mkdocs.yml").read_text("utf-8")
    if "search: material" not in text:
        table.unavailable("pagefind", n, "the plugin's mkdocs.yml has no `search:` option to switch")
        return
    config.write_text(text.replace("search: material", "search: pagefind"), "utf-8")
    try:
        log(f"[{n}] plugin build with search: pagefind")
        site = kb / "site"
        if site.exists():
            shutil.rmtree(site)
        result = run([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(config), "-d", str(site)], cwd=kb,
                     env=BUILD_ENV)
        if result.returncode != 0:
            raise Unavailable(f"build failed: {(result.stderr.strip().splitlines() or ['?'])[-1][:160]}")
        bundle = site / "pagefind"
        if not bundle.is_dir():
            raise Unavailable("the build wrote no pagefind/ folder")
        size = tree_bytes(bundle)
        files = sum(1 for p in bundle.rglob("*") if p.is_file())
        table.set("pagefind", n, f"{size / 2**20:.1f} in {files:,} files ({result.seconds:.0f} s build)")
    except Unavailable as exc:
        table.unavailable("pagefind", n, str(exc))
    finally:
        shutil.rmtree(kb / "site", ignore_errors=True)


def measure_search(table: Table, n: int, kb: Path, args) -> None:
    try:
        from postmortem_kb.loader import KBConfig
        from postmortem_kb.search import KBIndex, search
    except ImportError as exc:
        for key in ("index_full", "index_one", "index_one_cmd", "search_inproc", "search_cmd"):
            table.unavailable(key, n, f"whoosh search is not installed ({exc})")
        return
    index_dir = kb.parent / f"{kb.name}-index"  # outside the KB: an index inside it is refused
    shutil.rmtree(index_dir, ignore_errors=True)
    log(f"[{n}] pmkb index --rebuild")
    result = run(pmkb("--kb", str(kb), "index", "--rebuild", "--index-dir", str(index_dir)))
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1][:160]
        for key in ("index_full", "index_one", "index_one_cmd", "search_inproc", "search_cmd"):
            table.unavailable(key, n, f"`pmkb index --rebuild` exit {result.returncode}: {reason}")
        return
    table.set("index_full", n, f"{result.cpu:.1f} (wall {result.seconds:.1f})", result.cpu)

    config = KBConfig(root=kb)
    index = KBIndex(index_dir, config)
    with index:
        index.open()
        touch_one(kb)
        start, cpu = time.perf_counter(), time.process_time()
        report = index.refresh()
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        changed = len(report.changed) + len(report.added)
        table.set("index_one", n, f"{cpu:.2f} (wall {seconds:.2f})" + (
            "" if changed == 1 else f" ({changed} re-indexed!)"), cpu)

        log(f"[{n}] {len(args.queries)} searches in-process")
        search(index, args.queries[0])  # the first search opens the searcher and loads columns
        times, cpus = [], []
        for q in args.queries:
            start, cpu = time.perf_counter(), time.process_time()
            search(index, q)
            times.append((time.perf_counter() - start) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
        med, p95 = quantiles(cpus)
        wall_med, wall_p95 = quantiles(times)
        table.set("search_inproc", n, f"{med:.0f} / {p95:.0f} (wall {wall_med:.0f} / {wall_p95:.0f})", med)

    touch_one(kb)
    result = run(pmkb("--kb", str(kb), "index", "--index-dir", str(index_dir)))
    if result.returncode == 0:
        table.set("index_one_cmd", n, f"{result.cpu:.2f} (wall {result.seconds:.2f})", result.cpu)
    else:
        table.unavailable("index_one_cmd", n, f"exit {result.returncode}")

    if n not in args.command_sizes:
        table.set("search_cmd", n, NOT_MEASURED)
        return
    log(f"[{n}] {len(args.command_queries)} searches as commands")
    times, cpus = [], []
    for q in args.command_queries:
        result = run(pmkb("--kb", str(kb), "search", "--index-dir", str(index_dir), q))
        if result.returncode != 0:
            table.unavailable("search_cmd", n, f"`pmkb search {q}` exit {result.returncode}")
            return
        times.append(result.seconds * 1000)
        cpus.append(result.cpu * 1000)
    med, p95 = quantiles(cpus)
    wall_med, wall_p95 = quantiles(times)
    table.set("search_cmd", n, f"{med:.0f} / {p95:.0f} (wall {wall_med:.0f} / {wall_p95:.0f})", med)


# -- pathological inputs -----------------------------------------------------------------

# Documents for `pmkb import` that made the importer's patterns super-linear (issue sizes).
IMPORT_CASES = [
    ("import: a 400-byte table cell", "# T\n\n## Timeline\n\n| Time | Event |\n|---|---|\n| 10:00 | "
     + "a " * 200 + "|\n"),
    ("import: 8 KB of digits after \"Time to detection:\"", "# T\n\n- Time to detection: " + "1" * 8192 + "\n"),
    ("import: a 1.5 KB heading", "# " + " " * 1536 + "x\n\ntext\n"),
]


def pathological_cases() -> list[tuple[str, str, bool | None]]:
    """(name, postmortem text, refused?) of the hostile bodies and values: the test kit's list
    (tests/kit/pathological.py, which the test suite runs under a time cap) when it is there."""
    try:
        sys.path.insert(0, str(HERE.parent / "tests"))
        from kit.pathological import pathological_cases as kit_cases
    except ImportError:
        kit_cases = None
    finally:
        sys.path.remove(str(HERE.parent / "tests"))
    if kit_cases is not None:
        return [(c.name, c.text, c.refused) for c in kit_cases()]
    head = ("---\ntitle: Pathological input\ndate: 2024-03-14\nseverity: SEV2\nroot_causes: [hardware-failure]\n"
            "components: [web-server]\n---\n\n## Summary\n\nSomething broke.\n\n")
    return [
        ("heading of spaces", head + "## " + " " * 3000 + "x\n", None),
        ("timeline line of ( and spaces", head + "## Timeline\n\n- 10:00 " + "( " * 32000 + "\n", None),
        ("timeline continuation lines", head + "## Timeline\n\n- 10:00 [start] x\n" + "  more\n" * 40000, None),
        ("brackets without end", head + "[" * 20000 + "\n", None),
        ("nested divs", head + "<div>" * 20000 + "x" + "</div>" * 20000 + "\n", None),
        ("many headings", head + "".join(f"### Step {i}\n\n" for i in range(10000)), None),
        ("deeply nested list", head + "".join("  " * i + "- a\n" for i in range(500)), None),
    ]


_CODE = re.compile(r":\d+: (?:error: )?([a-z][a-z0-9-]+):")


def _cell(result: Run, timeout: float, refused_by: str = "") -> str:
    if result.timed_out:
        return f"**> {timeout:.0f} s (stopped)**"
    text = f"{result.cpu:.2f} s"
    if refused_by:
        text += f", refused by validation ({refused_by})"
    elif result.returncode not in (0, 1):
        tail = (result.stderr.strip().splitlines() or ["no output"])[-1][:100]
        text += f", **exit {result.returncode}**: {tail}"
    return text


def pathological(work: Path, timeout: float) -> list[dict]:
    """Each hostile input through `pmkb validate`, the site build and `pmkb import`, timed."""
    rows = []
    for name, text, _ in pathological_cases():
        log(f"[pathological] {name}")
        kb = work / "pathological"
        shutil.rmtree(kb, ignore_errors=True)
        generate(kb, 3, seed=1)
        path = kb / "postmortems" / "2024" / "2024-03-14-pathological-input.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        result = run(pmkb("--kb", str(kb), "validate", str(path)), cwd=kb, timeout=timeout)
        codes = _CODE.findall(result.stdout + result.stderr) if result.returncode == 1 else []
        refused = codes[0] if codes else ""
        row = {"case": name, "validate": _cell(result, timeout, refused)}
        result = run([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(kb / "mkdocs.yml"), "-d",
                      str(kb / "site")], cwd=kb, env=BUILD_ENV, timeout=timeout)
        row["build"] = _cell(result, timeout)
        row["import"] = _import_cell(kb, path, timeout)
        rows.append(row)
    for name, text in IMPORT_CASES:
        log(f"[pathological] {name}")
        kb = work / "pathological"
        source = kb / "to-import" / "document.md"
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text(text, "utf-8")
        rows.append({"case": name, "validate": "", "build": "", "import": _import_cell(kb, source, timeout)})
    shutil.rmtree(work / "pathological", ignore_errors=True)
    return rows


def _import_cell(kb: Path, source: Path, timeout: float) -> str:
    out = kb / "imported"
    shutil.rmtree(out, ignore_errors=True)
    result = run(pmkb("--kb", str(kb), "import", "--dry-run", "--out", str(out), str(source)), cwd=kb,
                 timeout=timeout)
    return _cell(result, timeout)


def pathological_markdown(rows: list[dict], timeout: float) -> str:
    out = ["", "## Pathological inputs", "",
           f"One hostile postmortem (or document to import) at a time, in a KB of 3 others; CPU seconds, "
           f"each command stopped after {timeout:.0f} s. Build: `mkdocs build` of that KB (a postmortem "
           "refused by validation is left out of the site).", "",
           "| Input | `pmkb validate` | site build | `pmkb import --dry-run` |", "|---|---|---|---|"]
    out += [f"| {r['case']} | {r['validate']} | {r['build']} | {r['import']} |" for r in rows]
    return "\n".join(out) + "\n"


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000,10000",
                        help="comma-separated numbers of postmortems (default: %(default)s)")
    parser.add_argument("--work", type=Path, help="where to generate the KBs (default: a temporary folder)")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "results.md", help="the Markdown table")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--queries", type=int, default=50, help="searches timed in-process (default: 50)")
    parser.add_argument("--command-queries", type=int, default=50,
                        help="searches timed as `pmkb search` commands (default: 50)")
    parser.add_argument("--command-sizes", default="largest",
                        help="sizes at which to time search commands: 'largest', 'all' or a list")
    parser.add_argument("--pagefind-sizes", default="smallest",
                        help="sizes at which to build the site again with search: pagefind: "
                             "'smallest', 'all', 'none' or a list")
    parser.add_argument("--browser-sizes", default="all",
                        help="sizes at which to time the site search in Chromium: 'all', 'none' or a list")
    parser.add_argument("--pathological-timeout", type=float, default=30.0,
                        help="seconds after which a command on a hostile input is stopped (default: %(default)s)")
    parser.add_argument("--no-pathological", action="store_true", help="skip the pathological inputs")
    parser.add_argument("--keep", action="store_true", help="keep the generated KBs and built sites")
    parser.add_argument("--plugin-work", type=Path, help=argparse.SUPPRESS)  # one measurement, in a child
    parser.add_argument("--preview-save", type=Path, help=argparse.SUPPRESS)  # one measurement, in a child
    args = parser.parse_args(argv)
    if args.plugin_work:
        print(json.dumps(plugin_work(args.plugin_work)))
        return 0
    if args.preview_save:
        print(json.dumps(preview_child(args.preview_save.resolve())))
        return 0
    try:
        sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        parser.error("--sizes takes numbers separated by commas, e.g. 1000,5000,10000")
    if not sizes or sizes[0] < 1:
        parser.error("--sizes needs at least one positive number")

    def pick(value: str) -> set[int]:
        named = {"largest": {sizes[-1]}, "smallest": {sizes[0]}, "all": set(sizes), "none": set()}
        if value in named:
            return named[value]
        try:
            return {int(s) for s in value.split(",") if s.strip()}
        except ValueError:
            parser.error(f"`{value}`: write 'smallest', 'largest', 'all', 'none' or sizes such as 1000,5000")

    args.command_sizes = pick(args.command_sizes)
    args.pagefind_sizes = pick(args.pagefind_sizes)
    args.browser_sizes = pick(args.browser_sizes)
    args.queries = [QUERIES[i % len(QUERIES)] for i in range(args.queries)]
    args.command_queries = [QUERIES[i % len(QUERIES)] for i in range(args.command_queries)]

    info = machine()
    table = Table(sizes)
    notes: list[str] = [
        "Times are CPU seconds (user + system, from the process's rusage), with wall-clock time in "
        "brackets: the machine may be shared, and CPU time is what the work costs whatever else runs. "
        "Targets are judged on CPU time.",
        "Each build runs in its own process; peak memory is that process's ru_maxrss.",
        f"`{NOT_MEASURED}`: measured at other sizes only (--command-sizes, --pagefind-sizes).",
        f"Search latency: {len(args.queries)} fixed queries after one warm-up search; the command "
        "times include starting Python and bringing the index up to date (nothing changed).",
    ]
    work = args.work or Path(tempfile.mkdtemp(prefix="pmkb-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        for n in sizes:
            measure_size(table, n, work, args, notes)
        hostile = [] if args.no_pathological else pathological(work, args.pathological_timeout)
    finally:
        if not args.work and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    table.verdicts()
    info["load average at end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    info["benchmark wall time"] = f"{time.perf_counter() - started:.0f} s"
    text = table.markdown(info, notes)
    if hostile:
        text += pathological_markdown(hostile, args.pathological_timeout)
    print(text, end="")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, "utf-8")
    (args.out.with_suffix(".json")).write_text(json.dumps({
        "machine": info, "sizes": sizes,
        "rows": {k: {"label": r.label, "cells": {str(n): c for n, c in r.cells.items()}, "target": r.target,
                     "verdict": r.verdict} for k, r in table.rows.items()},
        "pathological": hostile}, indent=2), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
