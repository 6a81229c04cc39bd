"""MkDocs event hooks: load the KB, add the generated pages, sanitize writers' HTML, watch files."""

from __future__ import annotations

import importlib
import logging
import posixpath
from pathlib import Path

try:
    from mkdocs.exceptions import PluginError
    from mkdocs.plugins import BasePlugin, event_priority
    from mkdocs.structure.files import File, Files, InclusionLevel
except ImportError:  # ProperDocs installed without MkDocs
    from properdocs.exceptions import PluginError  # type: ignore[no-redef]
    from properdocs.plugins import BasePlugin, event_priority  # type: ignore[no-redef]
    from properdocs.structure.files import File, Files, InclusionLevel  # type: ignore[no-redef]

from ..loader import KBConfig, KnowledgeBase, load_kb
from ..sanitize import sanitize_html
from ..site import GENERATORS, GeneratedFile, GeneratedPage, SiteOptions
from ..site.common import body_fence
from ..site.rawhtml import HtmlHold
from ..site.render import environment, render_page
from .config import PostmortemsConfig

# Not get_plugin_logger: its "postmortems:" prefix would hide the `path:line:` start that
# editors and CI read, and the lines must match `pmkb validate` exactly.
log = logging.getLogger("mkdocs.plugins.postmortems")

# Modules whose @generator functions make the site; a module not written yet is skipped.
SITE_MODULES = ("home", "incidents", "terms", "actions", "insights", "feeds", "exports", "search_page")
ASSETS = Path(__file__).resolve().parent.parent / "assets"
CSS = "assets/pmkb/postmortems.css"
FILE_WORKER = "assets/pmkb/file-worker.js"
MARKDOWN_EXTENSIONS = ("tables",)  # write-ups use Markdown tables


def load_generators() -> None:
    for name in SITE_MODULES:
        module = f"postmortem_kb.site.{name}"
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:  # a module that is there but broken must say so
                raise
            log.debug("no site module %s", module)


class PostmortemsPlugin(BasePlugin[PostmortemsConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.kb: KnowledgeBase | None = None
        self._preloaded: KnowledgeBase | None = None
        self.options: SiteOptions | None = None
        self.generated: dict[str, dict] = {}  # src_uri -> how its HTML is wrapped
        self.env = None
        self.html_hold = HtmlHold()  # the templates' HTML, kept out of Markdown (site/rawhtml.py)

    def _root(self, config) -> Path:
        return Path(config.config_file_path or ".").resolve().parent

    def on_config(self, config):
        if not self.config.enabled:
            return config
        for ext in MARKDOWN_EXTENSIONS:
            if ext not in config.markdown_extensions:
                config.markdown_extensions.append(ext)
        if CSS not in [str(x) for x in config.extra_css]:
            config.extra_css.append(CSS)
        if self.config.offline_search:
            # Material loads its polyfills in <head>, before its bundle starts the search worker.
            polyfills = config.extra["polyfills"] = list(config.extra.get("polyfills") or [])
            if FILE_WORKER not in [str(x) for x in polyfills]:
                polyfills.append(FILE_WORKER)
        return config

    def use_kb(self, kb: KnowledgeBase) -> None:
        """Build the next site from a KB the caller already loaded and checked (``pmkb build``
        validates first), instead of reading every postmortem a second time."""
        self._preloaded = kb

    def on_pre_build(self, config) -> None:
        """Load and check the KB before MkDocs empties the site folder, so a KB that fails a
        strict build leaves the previous site as it was."""
        if not self.config.enabled:
            return
        root = self._root(config)
        kb, self._preloaded = self._preloaded, None  # used once: `serve` rebuilds must re-read
        if kb is None:
            kb = load_kb(KBConfig(root=root, postmortems_dir=self.config.postmortems_dir,
                                  taxonomy_file=self.config.taxonomy, strict_terms=self.config.strict_terms))
        errors = [p for p in kb.problems if p.is_error]
        for problem in kb.problems:
            # Errors as warnings: `mkdocs build --strict` fails on them, a plain build goes on.
            log.log(logging.WARNING if problem.is_error else logging.INFO, problem.format_text())
        if errors and config.strict:
            raise PluginError(f"{len(errors)} error(s) in postmortems (see above); fix them or run "
                              "`pmkb validate` for details")
        if kb.rejected:
            log.warning("skipped %d postmortem(s) with errors: %s", len(kb.rejected), ", ".join(kb.rejected))
        self.kb = kb

    def on_files(self, files: Files, config) -> Files:
        if not self.config.enabled or self.kb is None:
            return files
        root = self._root(config)
        templates_dir = str((root / self.config.templates_dir).resolve()) if self.config.templates_dir else None
        options = SiteOptions(drafts=self.config.drafts, base_dir=self.config.base_path.strip("/"),
                              search=self.config.search,
                              extra={"related_limit": self.config.related_limit,
                                     "custom_templates": templates_dir,
                                     "directory_urls": config.use_directory_urls,
                                     # feeds and catalog.json carry absolute URLs when the site has one
                                     "site_url": config.site_url or ""})
        self.options = options
        search_dirs = [templates_dir] + [str(Path(d) / "postmortems") for d in config.theme.dirs]
        env = self.env = environment(search_dirs)
        load_generators()
        self.generated = {}
        self.html_hold = HtmlHold()
        for make in GENERATORS:
            for item in make(self.kb, options):
                self._add(files, config, env, item)
        files.append(File.generated(config, CSS, abs_src_path=str(ASSETS / "postmortems.css")))
        if self.config.offline_search:
            files.append(File.generated(config, FILE_WORKER, abs_src_path=str(ASSETS / "file-worker.js")))
        return files

    def _add(self, files: Files, config, env, item: GeneratedPage | GeneratedFile) -> None:
        # Generators build paths from validated ids and slugs; this is the second lock on the door.
        clean = posixpath.normpath(item.path)
        if item.path.startswith("/") or "\\" in item.path or clean != item.path or clean.startswith(".."):
            raise PluginError(f"a generated page has an unsafe path: {item.path!r}")
        existing = files.get_file_from_path(item.path)
        if existing is not None and not existing.generated_by:
            log.info("docs/%s is the site's own page; the generated one is not used", item.path)
            return
        if existing is not None:
            files.remove(existing)
        if isinstance(item, GeneratedPage):
            fence = body_fence(self.options)
            content = self.html_hold.hold(render_page(item, env, config.use_directory_urls), (fence.start, fence.end))
            # Only listings go into an automatic navigation: a nav entry per incident makes
            # every page carry every link, and the build quadratic.
            inclusion = InclusionLevel.UNDEFINED if item.path.endswith("index.md") else InclusionLevel.NOT_IN_NAV
            file = File.generated(config, item.path, content=content, inclusion=inclusion)
            self.generated[file.src_uri] = item.context.get("wrapper") or {"css_class": "", "search_body": False}
        elif item.source is not None:
            file = File.generated(config, item.path, abs_src_path=str(item.source))
        else:
            file = File.generated(config, item.path, content=item.content)
        files.append(file)

    def on_page_content(self, html: str, page, config, files):
        if not self.config.enabled or self.options is None or page.file.src_uri not in self.generated:
            return html
        html = body_fence(self.options).clean(self.html_hold.release(html))
        if "pmkb-body-start-" in html or "pmkb-body-end-" in html:
            # A marker survived, so some writer's part may have escaped the sanitizer: sanitize
            # the whole page rather than publish it (it loses only our layout's styling).
            log.warning("%s: the write-up could not be isolated; the whole page is sanitized", page.file.src_uri)
            html = sanitize_html(html)
        return self.env.get_template("_wrapper.html.j2").render(content=html, wrapper=self.generated[page.file.src_uri])

    def on_serve(self, server, config, builder):
        if self.config.enabled:
            root = self._root(config)
            for path in (root / self.config.postmortems_dir, root / self.config.taxonomy):
                if path.exists():
                    server.watch(str(path))
        return server

    # Last: after the search plugin has written search_index.json, and so that Pagefind's index
    # covers what every other plugin wrote.
    @event_priority(-100)
    def on_post_build(self, config) -> None:
        if not self.config.enabled:
            return
        index = Path(config.site_dir) / "search" / "search_index.json"
        if self.config.offline_search and index.is_file():
            # From file:// material cannot fetch the index; it loads it as a script defining __index.
            data = index.read_text(encoding="utf-8")
            index.with_name("search_index.js").write_text(f"var __index = {data}", encoding="utf-8")
        if self.config.search == "pagefind":
            try:
                from postmortem_kb.search import pagefind
            except ImportError as exc:
                raise PluginError(f"search: pagefind cannot be used here ({exc}); set search: material") from None
            try:
                pagefind.build_pagefind_index(Path(config.site_dir))
            except (pagefind.PagefindUnavailable, pagefind.PagefindFailed) as exc:
                raise PluginError(str(exc)) from None

