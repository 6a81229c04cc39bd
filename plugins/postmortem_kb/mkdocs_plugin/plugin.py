"""MkDocs event hooks: the KB's site, as :class:`~postmortem_kb.site.build.SiteBuild` makes it.

The plugin translates MkDocs' configuration into :class:`~postmortem_kb.site.options.SiteOptions`
and its events into calls of one ``SiteBuild``; it draws nothing itself.

Order of events, and why: everything that can fail (loading the KB, every generator, every
template, every write-up) runs in ``on_pre_build``, because MkDocs empties the output folder
right after it: a strict build that fails leaves the previous site as it was. ``on_files``
then only adds the finished pages; ``on_page_content`` puts back the HTML held out of Markdown;
``on_post_build`` runs last (priority -100), after the search plugin wrote its index, so that
the offline copy of that index and Pagefind's index cover what every other plugin wrote.
"""

from __future__ import annotations

import gc
import logging
from pathlib import Path

try:
    from mkdocs.exceptions import PluginError
    from mkdocs.plugins import BasePlugin, event_priority
    from mkdocs.structure.files import File, Files, InclusionLevel
    from mkdocs.structure.toc import get_toc
except ImportError:  # ProperDocs installed without MkDocs
    from properdocs.exceptions import PluginError  # type: ignore[no-redef,assignment,unused-ignore]
    from properdocs.plugins import BasePlugin, event_priority  # type: ignore[no-redef,assignment,unused-ignore]
    from properdocs.structure.files import File, Files, InclusionLevel  # type: ignore[no-redef,assignment,unused-ignore]
    from properdocs.structure.toc import get_toc  # type: ignore[no-redef,assignment,unused-ignore]

from ..engines.notice import strip_notice
from ..loader import KBConfig, KnowledgeBase, load_kb
from ..problems import plural
from ..site import GeneratedFile, GeneratedPage, MarkdownSetup, SiteOptions
from ..site.bodies import guard_heading_ids
from ..site.build import SiteBuild, UnsafePath, toc_tokens
from .config import PostmortemsConfig

# Not get_plugin_logger: its "postmortems:" prefix would hide the `path:line:` start that
# editors and CI read, and the lines must match `pmkb validate` exactly.
log = logging.getLogger("mkdocs.plugins.postmortems")

ASSETS = Path(__file__).resolve().parent.parent / "assets"
# The theme overrides we ship (the feeds' <link rel="alternate"> and og: metadata in every head).
THEME_OVERRIDES = Path(__file__).resolve().parent.parent / "templates" / "theme"
CSS = "assets/pmkb/postmortems.css"
FILE_WORKER = "assets/pmkb/file-worker.js"
# The theme's search box, answered from our sharded index (site/searchindex.py) by our worker.
SEARCH_SCRIPT = "assets/pmkb/pmkb-search.js"
SEARCH_WORKER = "assets/pmkb/pmkb-search-worker.js"
MARKDOWN_EXTENSIONS = ("tables",)  # write-ups use Markdown tables
# In a generated page's HTML while its headings are held out: the theme looks for "<h1" in it.
H1_MARK = "<!-- pmkb <h1 -->"


class PostmortemsPlugin(BasePlugin[PostmortemsConfig]):
    supports_multiple_instances = False
    # Whether a strict build that fails on the KB's errors logs them; `pmkb build` shows them itself
    # (from the KB, ``kb``) and turns this off.
    report_failing_problems = True
    # Whether the build keeps its indexes over the KB (related incidents...) once the pages are
    # drawn: the writer's preview reuses them for the pages it draws again after a save.
    keep_indexes = False

    def __init__(self) -> None:
        self.site: SiteBuild | None = None
        self._kb: KnowledgeBase | None = None
        self.theme_env = None

    @property
    def kb(self) -> KnowledgeBase | None:
        """The KB the last build loaded, also when the build then failed on its errors (read by
        ``pmkb build`` for its report)."""
        return self._kb

    def on_config(self, config):
        if not self.config.enabled:
            return config
        for ext in MARKDOWN_EXTENSIONS:
            if ext not in config.markdown_extensions:
                config.markdown_extensions.append(ext)
        # No heading of any page may take an id of the theme's own (`__config`...).
        guard_heading_ids(config.mdx_configs)
        if THEME_OVERRIDES.is_dir() and str(THEME_OVERRIDES) not in config.theme.dirs:
            # After the site's own custom_dir (it wins), before the theme's.
            config.theme.dirs.insert(1 if config.theme.custom_dir else 0, str(THEME_OVERRIDES))
        if CSS not in [str(x) for x in config.extra_css]:
            config.extra_css.append(CSS)
        if self.config.offline_search:
            # Material loads its polyfills in <head>, before its bundle starts the search worker.
            polyfills = config.extra["polyfills"] = list(config.extra.get("polyfills") or [])
            if FILE_WORKER not in [str(x) for x in polyfills]:
                polyfills.append(FILE_WORKER)
        if self.config.search == "material":
            polyfills = config.extra["polyfills"] = list(config.extra.get("polyfills") or [])
            if SEARCH_SCRIPT not in [str(x) for x in polyfills]:
                polyfills.append(SEARCH_SCRIPT)
        return config

    def on_pre_build(self, config) -> None:
        if not self.config.enabled:
            return
        self.site = self._kb = None
        root = Path(config.config_file_path or ".").resolve().parent
        # Read on every build (`serve` rebuilds must see the saves), through the one loader.
        kb = self._kb = load_kb(KBConfig(root=root, postmortems_dir=self.config.postmortems_dir,
                                         taxonomy_file=self.config.taxonomy, strict_terms=self.config.strict_terms,
                                         taxonomy_required=self._names_taxonomy()))
        _keep_out_of_collection()
        failing = bool(kb.errors) and config.strict
        if self.report_failing_problems or not failing:
            for problem in kb.problems:
                # `mkdocs build --strict` fails on errors (and we raise below); a warning is logged as
                # information, its text says `warning:`, so that it never fails a strict build.
                log.log(logging.ERROR if problem.is_error else logging.INFO, problem.format_text(),
                        extra={"pmkb_severity": problem.severity})
        if failing:
            raise PluginError(f"{plural(len(kb.errors), 'error')} in postmortems"
                              f"{' (see above)' if self.report_failing_problems else ''}; fix them or run "
                              "`pmkb validate` for details; the previous site is left as it was")
        if kb.rejected:
            log.warning("skipped %s with errors: %s", plural(len(kb.rejected), "postmortem"), ", ".join(kb.rejected))
        site = SiteBuild(kb, self._options(config))
        try:
            site.generate()
        except UnsafePath as exc:
            raise PluginError(str(exc)) from None
        for name in site.bodies.left_out:
            log.info("write-ups are rendered without the Markdown extension %s: it is not safe for text "
                     "anyone can commit (it reads files or sets attributes); the site's own pages keep it", name)
        if not self.keep_indexes:
            site.release()  # what is freed here is what MkDocs' pages and the search index use next
        _keep_out_of_collection()
        self.site = site

    def _names_taxonomy(self) -> bool:
        """Whether the site's configuration names ``taxonomy:`` itself: then a missing file is a
        problem (``taxonomy-missing``), as ``pmkb validate`` says, not a KB with open terms."""
        import warnings

        with warnings.catch_warnings():  # MkDocs marks user_configs for removal; without it: not required
            warnings.simplefilter("ignore", DeprecationWarning)
            given = getattr(self.config, "user_configs", None) or []
        return any("taxonomy" in options for options in given)

    def _options(self, config) -> SiteOptions:
        themes = [Path(d) / "postmortems" for d in config.theme.dirs]
        own = [Path(self.config.templates_dir)] if self.config.templates_dir else []
        return SiteOptions(
            drafts=self.config.drafts, base_dir=self.config.base_path.strip("/"), search=self.config.search,
            related_limit=self.config.related_limit, feed_limit=self.config.feed_limit,
            directory_urls=config.use_directory_urls, site_url=config.site_url or "",
            template_dirs=tuple(own + themes),
            markdown=MarkdownSetup(tuple(config.markdown_extensions), dict(config.mdx_configs)))

    def on_files(self, files: Files, config) -> Files:
        if not self.config.enabled or self.site is None:
            return files
        for item in self.site.generate():
            existing = files.get_file_from_path(item.path)
            if existing is not None and not existing.generated_by and not _only_notice(existing):
                log.info("docs/%s is the site's own page; the generated one is not used", item.path)
                continue
            if existing is not None:
                files.remove(existing)
            if isinstance(item, GeneratedPage):
                # Only listings go into an automatic navigation: a nav entry per incident makes
                # every page carry every link, and the build quadratic.
                inclusion = InclusionLevel.UNDEFINED if item.path.endswith("index.md") else InclusionLevel.NOT_IN_NAV
                files.append(File.generated(config, item.path, content=self.site.markdown_of(item.path),
                                            inclusion=inclusion))
            elif item.source is not None:
                files.append(File.generated(config, item.path, abs_src_path=str(item.source)))
            elif item.packed is not None:
                files.append(PackedFile.of(config, item))
            else:
                files.append(File.generated(config, item.path, content=item.content))
        files.append(File.generated(config, CSS, abs_src_path=str(ASSETS / "postmortems.css")))
        if self.config.offline_search:
            files.append(File.generated(config, FILE_WORKER, abs_src_path=str(ASSETS / "file-worker.js")))
        if self.config.search == "material":
            for asset in (SEARCH_SCRIPT, SEARCH_WORKER):
                files.append(File.generated(config, asset, abs_src_path=str(ASSETS / Path(asset).name)))
        return files

    def on_page_markdown(self, markdown: str, page, config, files):
        if not self.config.enabled or self.site is None or self.site.is_generated(page.file.src_uri):
            return markdown
        # A site's own page may carry the notice shown by engines that ignore this plugin.
        stripped = strip_notice(markdown)
        return markdown if stripped is None else stripped

    def on_page_content(self, html: str, page, config, files):
        if not self.config.enabled or self.site is None or not self.site.is_generated(page.file.src_uri):
            return html
        site = self.site
        if self.config.search != "material":
            html = site.finish(page.file.src_uri, html)
            page.toc = get_toc(toc_tokens(html))  # type: ignore[arg-type]  # the toc extension's shape
            return html
        # Indexed from the KB's data in on_post_build, not from this HTML (listings not at all).
        page.meta["search"] = {"exclude": True}
        # MkDocs keeps every page's HTML until the last page is converted: the held HTML stays
        # out (compressed) until the page is written (on_post_page), and MkDocs holds its
        # placeholders. The write-up's headings were held out of Markdown too: the engine's table
        # of contents missed them, so it is read from the whole page.
        wrapped = site.wrap(page.file.src_uri, html)
        headings, h1 = site.held.outline(wrapped)
        page.toc = get_toc(toc_tokens(headings))  # type: ignore[arg-type]  # the toc extension's shape
        if h1 and "<h1" not in wrapped:
            wrapped = H1_MARK + wrapped  # the theme adds a title of its own to a page without one
        return wrapped

    @event_priority(100)  # first, so that other plugins see the page as it is published
    def on_post_page(self, output: str, page, config):
        if not self.config.enabled or self.site is None or not self.site.is_generated(page.file.src_uri):
            return output
        return self.site.held.release(output.replace(H1_MARK, "", 1))

    def on_env(self, env, config, files):
        # Kept for the writer's preview (preview.py), which draws pages with the theme between builds.
        self.theme_env = env if self.config.enabled else None
        return env

    def on_serve(self, server, config, builder):
        if self.config.enabled:
            root = Path(config.config_file_path or ".").resolve().parent
            for path in (root / self.config.postmortems_dir, root / self.config.taxonomy):
                if path.exists():
                    server.watch(str(path))
        return server

    def on_build_error(self, error) -> None:
        gc.unfreeze()

    @event_priority(-100)
    def on_post_build(self, config) -> None:
        gc.unfreeze()  # the next build (`serve`) loads a new KB: this one may be collected
        if not self.config.enabled:
            return
        index = Path(config.site_dir) / "search" / "search_index.json"
        if self.config.search == "material" and self.site is not None:
            self._write_search_index(config)
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

    def _write_search_index(self, config) -> None:
        from ..site.searchindex import write_search_index
        from ..site.urls import served_path

        site, urls = self.site, config.use_directory_urls
        assert site is not None
        generated = {served_path(item.path, urls) for item in site.generate() if isinstance(item, GeneratedPage)}
        write_search_index(Path(config.site_dir), site.shown, site.kb.taxonomy,
                           url_of=lambda pm_id: served_path(site.paths.incident(pm_id), urls),
                           skip=lambda url: url in generated)


def _keep_out_of_collection() -> None:
    """Move every object alive now (the loaded KB, then the drawn pages) out of the cyclic garbage
    collector's reach until the build ends: they live as long as the build, and every full
    collection would walk them again (a twentieth of a build at 1,000 postmortems). Objects freed
    by reference counting are freed as before; :meth:`PostmortemsPlugin.on_post_build` and
    ``on_build_error`` give them back to the collector."""
    gc.freeze()


class PackedFile(File):
    """A generated file whose content stays compressed (in its :class:`GeneratedFile`) until
    MkDocs reads or writes it: MkDocs keeps every file's content until the build ends."""

    _held: GeneratedFile | str | bytes | None = None

    @classmethod
    def of(cls, config, item: GeneratedFile) -> File:
        file = cls.generated(config, item.path, content=b"")
        assert isinstance(file, PackedFile)
        file._held = item
        return file

    @property
    def _content(self) -> str | bytes | None:
        held = self._held
        return held.content if isinstance(held, GeneratedFile) else held

    @_content.setter
    def _content(self, value) -> None:
        self._held = value


def _only_notice(file) -> bool:
    """Whether a site's own page is only the notice for engines that ignore this plugin (then the
    generated page replaces it)."""
    if not file.src_uri.endswith(".md"):
        return False
    try:
        return strip_notice(file.content_string) is None
    except (OSError, UnicodeDecodeError):
        return False
