"""Where the time of a site build goes: pyinstrument on ``mkdocs build``, summed by phase.

    python bench/profile.py 1000            # generate 1,000 postmortems, profile the build
    python bench/profile.py --kb DIR        # profile the build of an existing KB

Each sample of the build is given to the first phase of PHASES that has a frame on its
stack, so a sample counts once, in the most specific phase (the plugin's own Jinja
templates before the theme's, raw HTML parsing before the rest of Markdown). It writes the
full pyinstrument tree to bench/out/profile-<N>.txt and prints a Markdown table: phase,
seconds, share of the build. The profiler slows Python code down
(about 1.5-2x), so read shares, not seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

# (phase, function, file suffix): a sample belongs to the first phase with a frame on its stack.
# pyinstrument names functions without their class; "" matches any function of the file.
PHASES = [
    ("material search: indexing every page's HTML", "on_page_context", "material/plugins/search/plugin.py"),
    ("plugin: sharded search index", "write_search_index", "postmortem_kb/site/searchindex.py"),
    ("Markdown: raw HTML blocks (md_in_html)", "run", "markdown/extensions/md_in_html.py"),
    ("Markdown: raw HTML blocks (core)", "run", "markdown/preprocessors.py"),
    ("MkDocs: raw HTML scan, links and anchors", "run", "mkdocs/structure/pages.py"),
    ("plugin: writers' bodies (Markdown and sanitizer)", "", "postmortem_kb/site/bodies.py"),
    ("Markdown: everything else", "convert", "markdown/core.py"),
    ("plugin: related incidents (similarity)", "related", "postmortem_kb/similarity.py"),
    ("plugin: similarity index", "__init__", "postmortem_kb/similarity.py"),
    ("plugin: cross-links and recurrences", "", "postmortem_kb/crosslinks.py"),
    ("plugin: insights and charts", "", "postmortem_kb/insights.py"),
    ("plugin: insights and charts", "", "postmortem_kb/charts.py"),
    ("plugin: Jinja templates of generated pages", "draw", "postmortem_kb/site/build.py"),
    ("plugin: Jinja templates of generated pages", "render_page", "postmortem_kb/site/render.py"),
    ("plugin: putting held HTML back, page wrapper", "on_page_content", "mkdocs_plugin/plugin.py"),
    ("plugin: putting held HTML back, page wrapper", "on_post_page", "mkdocs_plugin/plugin.py"),
    ("plugin: loading and checking the KB", "load_kb", "postmortem_kb/loader.py"),
    ("plugin: Pagefind", "build_pagefind_index", "search/pagefind.py"),
    ("plugin: other (generators, feeds, exports, files)", "generate", "postmortem_kb/site/build.py"),
    ("plugin: other (generators, feeds, exports, files)", "on_files", "mkdocs_plugin/plugin.py"),
    ("theme: rendering page templates", "render", "jinja2/environment.py"),
    ("MkDocs: the rest of the build (files, nav, writing)", "build", "mkdocs/commands/build.py"),
]


def _phase(stack: list[dict]) -> str:
    for name, want_fn, want_path in PHASES:
        for frame in stack:
            if frame.get("file_path", "").endswith(want_path) and (not want_fn or frame.get("function") == want_fn):
                return name
    return "start-up and the rest"


def summarise(profile: dict) -> tuple[float, dict[str, float]]:
    """(total seconds, seconds by phase) from a pyinstrument JSON profile."""
    totals: dict[str, float] = {}

    def walk(frame: dict, stack: list[dict]) -> None:
        stack.append(frame)
        children = frame.get("children", [])
        own = frame["time"] - sum(c["time"] for c in children)
        if own > 0:
            name = _phase(stack)
            totals[name] = totals.get(name, 0.0) + own
        for child in children:
            walk(child, stack)
        stack.pop()

    walk(profile["root_frame"], [])
    return profile["duration"], totals


def profile_build(kb: Path, out_dir: Path) -> tuple[float, dict[str, float], Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    n = sum(1 for _ in (kb / "postmortems").rglob("*.md"))
    text_out = out_dir / f"profile-{n}.txt"
    with tempfile.TemporaryDirectory() as tmp:
        session = Path(tmp) / "build.pyisession"
        json_out = Path(tmp) / "profile.json"
        site = Path(tmp) / "site"
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
        cmd = [sys.executable, "-m", "pyinstrument", "-r", "pyisession", "-o", str(session), "-m", "mkdocs",
               "build", "-q", "-f", str(kb / "mkdocs.yml"), "-d", str(site)]
        subprocess.run(cmd, check=True, cwd=kb, env=env, stdout=subprocess.DEVNULL)
        # One profile, drawn twice: JSON for the phases, text for reading.
        for renderer, out, extra in (("json", json_out, []), ("text", text_out, ["--show-all"])):
            subprocess.run([sys.executable, "-m", "pyinstrument", "--load", str(session), "-r", renderer,
                            "-o", str(out), *extra], check=True, stdout=subprocess.DEVNULL)
        profile = json.loads(json_out.read_text("utf-8"))
    total, phases = summarise(profile)
    return total, phases, text_out


def table(total: float, phases: dict[str, float]) -> str:
    lines = ["| Phase | Seconds (profiled) | Share |", "|---|---|---|"]
    for name, seconds in sorted(phases.items(), key=lambda kv: -kv[1]):
        if seconds >= 0.005 * total:
            lines.append(f"| {name} | {seconds:.1f} | {seconds / total:.0%} |")
    lines.append(f"| **total** | **{total:.1f}** | 100% |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", nargs="?", type=int, default=1000, help="postmortems to generate")
    parser.add_argument("--kb", type=Path, help="profile this KB instead of generating one")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        kb = args.kb
        if kb is None:
            kb = Path(tmp) / "kb"
            generate(kb, args.count, seed=args.seed)
        total, phases, text_out = profile_build(kb.resolve(), args.out)
    print(table(total, phases), end="")
    print(f"\nFull tree: {text_out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
