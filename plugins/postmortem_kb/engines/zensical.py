"""Zensical: it reads ``mkdocs.yml`` but ignores the postmortems plugin, so pmkb stages the pages.

A build writes a staging folder (:mod:`.staging`) beside the output folder: the docs, every
generated page already finished, and a configuration pointing at them; then runs
``zensical build`` on it in a process of its own (Zensical keeps its state in a native
runtime). The site comes out in the staging folder and is swapped in like any other engine's.

What Zensical does not do, pmkb does: ``serve`` re-stages the pages when a postmortem changes
(Zensical then reloads); for search on the site opened from disk (``file://``), the index is
also written as a script (``search.js``, which Zensical's theme loads there) and the worker runs
in a frame (``file-worker.js``, as with MkDocs).
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import yaml

from . import PLUGIN_DEFAULTS, BuildFailed, SiteSettings, plugin_entry, staging

log = logging.getLogger("zensical")


class ZensicalEngine:
    name = "zensical"
    runs_plugin = False

    def settings(self, config_file: Path, *, drafts: bool = False, strict: bool = True) -> SiteSettings:
        raw = load_raw_config(config_file)
        root = config_file.parent
        options = plugin_entry(raw.get("plugins"))
        plugin = None
        if options is not None:
            unknown = set(options) - set(PLUGIN_DEFAULTS)
            if unknown:
                word = "option" if len(unknown) == 1 else "options"
                raise BuildFailed(f"{config_file.name}: unknown {word} of the postmortems plugin: "
                                  f"{', '.join(sorted(map(str, unknown)))}")
            plugin = {**PLUGIN_DEFAULTS, **options}
            if not plugin["enabled"]:
                plugin = None
        if drafts and plugin is None:
            raise BuildFailed(f"{config_file.name} does not use the `postmortems` plugin, so there are no drafts "
                              "to show; add `- postmortems` under `plugins:`")
        theme: dict[str, Any] = raw["theme"] if isinstance(raw.get("theme"), dict) else {}
        custom_dir = theme.get("custom_dir")
        docs_dir = (root / str(raw.get("docs_dir") or "docs")).resolve()
        if not docs_dir.is_dir():
            raise BuildFailed(f"{config_file.name}: the docs folder {docs_dir} does not exist")
        return SiteSettings(config_file=config_file, docs_dir=docs_dir,
                            site_dir=(root / str(raw.get("site_dir") or "site")).resolve(), plugin=plugin,
                            use_directory_urls=bool(raw.get("use_directory_urls", True)),
                            site_url=str(raw.get("site_url") or ""),
                            custom_dir=(root / custom_dir).resolve() if custom_dir else None, loaded=raw)

    def build_into(self, settings: SiteSettings, kb: Any, site: Path, *, strict: bool, drafts: bool) -> None:
        workspace = site.parent
        try:
            config = stage(settings, kb, workspace, drafts=drafts)
        except (BuildFailed, OSError):
            raise
        except Exception as exc:  # as the MkDocs engine reports a plugin's failure: one line
            raise BuildFailed(f"the site build failed: {type(exc).__name__}: {exc}") from exc
        run_zensical(["build", "--clean", *(["--strict"] if strict else []), "-f", str(config)], workspace)
        if not (site / "index.html").is_file():
            raise BuildFailed("Zensical wrote no home page (site/index.html); run with -v to see its output")
        if staging.offline_search(settings):
            staging.write_offline_index(site)
        if settings.plugin is not None and settings.plugin["search"] == "pagefind":
            from ..search import pagefind

            try:
                pagefind.build_pagefind_index(site)
            except (pagefind.PagefindUnavailable, pagefind.PagefindFailed) as exc:
                raise BuildFailed(str(exc)) from None

    def serve_site(self, config_file: Path, *, dev_addr: str | None, drafts: bool, open_in_browser: bool,
                   livereload: bool) -> None:
        """Stage the site, serve it with Zensical, and stage it again whenever a postmortem, the
        taxonomy or the docs change (Zensical rebuilds and reloads from the staged docs)."""
        import tempfile

        from ..loader import KBConfig, load_kb

        settings = self.settings(config_file, drafts=drafts)
        with tempfile.TemporaryDirectory(prefix="pmkb-serve-") as tmp:
            workspace = Path(tmp)

            def restage() -> None:
                kb = None
                if settings.plugin is not None:
                    kb = load_kb(KBConfig(root=config_file.parent, postmortems_dir=settings.plugin["postmortems_dir"],
                                          taxonomy_file=settings.plugin["taxonomy"],
                                          strict_terms=settings.plugin["strict_terms"]))
                    for problem in kb.problems:
                        log.warning("%s", problem.format_text())
                stage(settings, kb, workspace, drafts=drafts)

            restage()
            watched = [settings.docs_dir, config_file.parent / "taxonomy.yml"]
            if settings.plugin is not None:
                watched = [settings.docs_dir, config_file.parent / settings.plugin["postmortems_dir"],
                           config_file.parent / settings.plugin["taxonomy"]]
            stop = threading.Event()
            if livereload:
                threading.Thread(target=_watch, args=(watched, restage, stop), daemon=True).start()
            args = ["serve", "-f", str(workspace / "mkdocs.yml"), *(["-a", dev_addr] if dev_addr else []),
                    *(["--open"] if open_in_browser else [])]
            try:
                run_zensical(args, workspace, capture=False)
            finally:
                stop.set()


def load_raw_config(config_file: Path) -> dict[str, Any]:
    """The site configuration as Zensical reads it (``INHERIT`` merged, ``!ENV`` resolved)."""
    try:
        from zensical.config import _yaml_load
    except ImportError as exc:
        raise BuildFailed(f"Zensical cannot be used here ({exc}); run: pip install zensical") from None
    try:
        with open(config_file, encoding="utf-8") as fh:
            raw = _yaml_load(fh)
    except OSError as exc:
        raise BuildFailed(f"cannot read {config_file}: {exc.strerror}") from None
    except Exception as exc:
        raise BuildFailed(f"{config_file.name} is not a valid site configuration: {exc}") from None
    if not isinstance(raw, dict):
        raise BuildFailed(f"{config_file.name} is not a valid site configuration: not a mapping")
    return raw


def stage(settings: SiteSettings, kb: Any, workspace: Path, *, drafts: bool) -> Path:
    """Write the staging folder in ``workspace``; returns its configuration file."""
    import shutil

    docs = workspace / "docs"
    pages_dir = workspace / "pages"
    for old in (docs, pages_dir):
        if old.exists():
            shutil.rmtree(old)
    staging.copy_docs(settings.docs_dir, docs)
    staging.stage_theme(settings, workspace)
    own = staging.own_pages(docs)
    token = staging.new_token()
    config_file = workspace / "mkdocs.yml"
    # A first configuration without the generated pages, to learn the site's Markdown as
    # Zensical normalises it; then the real one, once the pages are known.
    _write_config(config_file, staging.staged_config(settings.loaded, settings, workspace, [], pages_dir, token))
    markdown = _markdown_setup(config_file)
    if kb is None or settings.plugin is None:
        return config_file
    template_dirs = [d for d in (
        (settings.config_file.parent / settings.plugin["templates_dir"]).resolve()
        if settings.plugin.get("templates_dir") else None,
        settings.custom_dir / "postmortems" if settings.custom_dir else None) if d is not None]
    if settings.plugin.get("templates_dir") and not template_dirs[0].is_dir():
        raise BuildFailed(f"templates_dir {settings.plugin['templates_dir']} is not a folder")
    convert = _converter(markdown)
    items = staging.site_pages(kb, settings, convert, markdown, template_dirs, drafts)
    pages = staging.write_staged(items, docs, pages_dir, token, own)
    staging.copy_assets(docs, settings)
    _write_config(config_file, staging.staged_config(settings.loaded, settings, workspace, pages, pages_dir, token))
    return config_file


def _write_config(path: Path, config: dict[str, Any]) -> None:
    # The full dumper: the site's configuration may name Python objects (emoji generators).
    path.write_text(yaml.dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _markdown_setup(config_file: Path) -> tuple[list, dict]:
    from zensical.config import parse_mkdocs_config

    try:
        parsed = parse_mkdocs_config(str(config_file))
    except Exception as exc:
        raise BuildFailed(f"the site configuration is not valid for Zensical: {exc}") from None
    extensions = [e for e in parsed["markdown_extensions"] if e != staging.EXTENSION]
    configs = {k: v for k, v in parsed["mdx_configs"].items() if k != staging.EXTENSION}
    return extensions, configs


def _converter(markdown: tuple[list, dict]):
    from markdown import Markdown

    md = Markdown(extensions=markdown[0], extension_configs=markdown[1])

    def convert(text: str) -> tuple[str, list]:
        md.reset()
        html = md.convert(text)
        return html, list(getattr(md, "toc_tokens", []))

    return convert


def run_zensical(args: list[str], cwd: Path, *, capture: bool = True) -> None:
    """Run Zensical in a process of its own; its messages go to the log, a failure is BuildFailed."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_package_root(), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "zensical", *args]
    if not capture:
        served = subprocess.run(command, cwd=cwd, env=env)
        if served.returncode not in (0, -2, -15, 130, 143):  # stopped by Ctrl-C or a TERM signal
            raise BuildFailed(f"zensical {args[0]} failed (exit {served.returncode})")
        return
    proc = subprocess.run(command, cwd=cwd, env={**env, "NO_COLOR": "1", "TERM": "dumb"}, capture_output=True,
                          text=True)
    problems = report(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        shown = "; ".join(problems[:5]) or _last_line(proc.stdout + proc.stderr) or f"exit {proc.returncode}"
        raise BuildFailed(f"the Zensical build failed: {shown}")


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_WARNING = re.compile(r"^\s*(?:Warning|Error):\s*(?P<message>.+)$")
_WHERE = re.compile(r"\[\s*(?P<file>[^\]:]+):(?P<line>\d+)(?::\d+)?\s*\]")


def report(output: str) -> list[str]:
    """Log Zensical's output, its warnings as ``docs/<file>:<line>: <message>`` lines (what they
    point at is in the staging copy of the docs, which has the same paths); returns those lines.
    A traceback of its command line, which only repeats that it stopped, is not shown."""
    problems: list[str] = []
    pending: str | None = None
    in_traceback = False
    for raw in output.splitlines():
        line = _ANSI.sub("", raw).rstrip()
        if not line.strip():
            continue
        if line.startswith("Traceback (most recent call last)"):
            in_traceback = True
        if in_traceback:
            log.debug("%s", line)
            continue
        warning = _WARNING.match(line)
        where = _WHERE.search(line)
        if warning:
            pending = warning.group("message")
        elif where and pending is not None:
            problem = f"docs/{where.group('file')}:{where.group('line')}: {pending}"
            problems.append(problem)
            log.warning("%s", problem)
            pending = None
            continue
        log.debug("%s", line) if where or line.lstrip()[:1] in "│╭╰─" else log.info("%s", line)
    return problems


def _last_line(output: str) -> str:
    lines = [_ANSI.sub("", line).strip() for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _package_root() -> str:
    """The folder holding the postmortem_kb package, so Zensical's process finds our extension."""
    return str(Path(__file__).resolve().parent.parent.parent)


def _watch(paths: list[Path], restage, stop: threading.Event, interval: float = 1.0) -> None:
    def state() -> dict[str, float]:
        seen: dict[str, float] = {}
        for root in paths:
            if root.is_file():
                seen[str(root)] = root.stat().st_mtime
            elif root.is_dir():
                for p in root.rglob("*"):
                    try:
                        seen[str(p)] = p.stat().st_mtime
                    except OSError:
                        pass
        return seen

    last = state()
    while not stop.wait(interval):
        now = state()
        if now != last:
            last = now
            try:
                restage()
            except Exception as exc:  # a half-written postmortem must not stop the preview
                log.warning("could not update the preview: %s", exc)
