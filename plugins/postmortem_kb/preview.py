"""A writer's preview: the site built once, then after each save only what shows the saved postmortem.

``pmkb serve`` used to rebuild the whole site after every save (15 s at 1,000 postmortems,
2.5 minutes at 10,000). :class:`Preview` builds the site once with MkDocs, keeping the
configuration and its plugins; when postmortems change it

1. reloads only the files whose size or modification time changed (the others keep their
   loaded postmortem), and runs the checks across postmortems again (ids, ``related``);
2. works out the pages that show a changed postmortem, before and after the change: its own
   page, the home page, the incident list, the action-item tracker, every term page it is
   listed on (root causes, components, corrective actions, severity, year, tags) and their
   facet indexes;
3. makes a new :class:`~postmortem_kb.site.build.SiteBuild` that draws only those pages (when
   the site pipeline can be told which: ``SiteBuild(..., only=...)``; else it draws every page,
   which is correct but slower), and hands it to the postmortems plugin;
4. converts and writes just those pages through MkDocs and the theme (its own ``_populate_page``
   and ``_build_page``, the functions ``mkdocs build`` runs for each page), and rewrites the
   generated files (feeds, exports) whose bytes changed.

What a save does not refresh until the next full build: the insights page (its charts are over
the whole KB), other incidents' "related" and "recurrence" boxes naming the changed one, and
the site search index. A change to ``taxonomy.yml`` or ``mkdocs.yml``, or a postmortem added or
removed, rebuilds the whole site (those change every page's navigation or many listings).

:func:`serve` runs it behind MkDocs' live-reload server: the browser reloads when the pages are
written.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .loader import assemble_kb, discover, load_one
from .problems import display_path, plural

log = logging.getLogger("mkdocs.plugins.postmortems.preview")

PLUGIN = "postmortems"
# Problems that the checks across postmortems add (loader.check_kb): recomputed on every update.
KB_WIDE_CODES = frozenset({"duplicate-id", "related-self", "unknown-related"})
Stamp = tuple[int, int]


def _stamp(path: Path) -> Stamp | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


class Preview:
    """The site of one ``mkdocs.yml`` in ``site_dir``, kept up to date page by page."""

    def __init__(self, config_file: Path, site_dir: Path, **config_overrides):
        self.config_file = Path(config_file).resolve()
        self.site_dir = Path(site_dir).resolve()
        self.overrides = config_overrides
        self.config: Any = None  # the MkDocsConfig of the last full build
        self.stamps: dict[Path, Stamp | None] = {}
        self.settings: dict[Path, Stamp | None] = {}  # mkdocs.yml and taxonomy.yml
        self.full_builds = 0
        self._env: Any = None  # the theme's environment and files, kept between updates
        self._theme_files: list[Any] | None = None

    # --- building --------------------------------------------------------------------------

    def _load_config(self):
        from mkdocs.config import load_config

        return load_config(str(self.config_file), site_dir=str(self.site_dir), **self.overrides)

    @property
    def plugin(self):
        return self.config.plugins[PLUGIN]

    def build(self) -> None:
        """A full build, as ``mkdocs build`` does it; remembers what every file looked like."""
        from mkdocs.commands.build import build

        self.config = self._load_config()
        self._env = self._theme_files = None  # a full build: the theme may have changed
        if PLUGIN in self.config.plugins:
            self.plugin.keep_indexes = True  # the related-incidents index is reused by every update
        build(self.config)
        self.full_builds += 1
        self._remember()

    def _kb_config(self):
        return self.plugin.site.kb.config

    def _remember(self) -> None:
        site = self.plugin.site
        if site is None:  # the plugin is disabled: nothing to follow
            self.stamps, self.settings = {}, {}
            return
        files, _ = discover(site.kb.config)
        self.stamps = {p: _stamp(p) for p in files}
        self.settings = {p: _stamp(p) for p in (self.config_file, site.kb.config.taxonomy_path)}

    def changed(self) -> tuple[list[Path], bool]:
        """(postmortem files changed since the last build or update, whether a full build is needed)."""
        if self.config is None or self.plugin.site is None:
            return [], True
        if any(_stamp(p) != s for p, s in self.settings.items()):
            return [], True
        files, _ = discover(self._kb_config())
        if set(files) != set(self.stamps):
            return [], True  # added or removed: many listings and every count change
        return [p for p in files if _stamp(p) != self.stamps.get(p)], False

    def refresh(self) -> list[str]:
        """Bring the site up to date with the files: a partial update, or a full build when
        needed. The paths of the pages written (docs-relative), or ``["*"]`` after a full build."""
        paths, full = self.changed()
        if full or self.config is None:
            self.build()
            return ["*"]
        if not paths:
            return []
        return self.update(paths)

    def update(self, paths: Iterable[Path]) -> list[str]:
        """Re-draw, convert and write the pages that show the postmortems at ``paths``."""
        from mkdocs.commands.build import _build_page, _populate_page, get_files, get_navigation
        from mkdocs.structure.files import File, InclusionLevel, set_exclusions
        from mkdocs.structure.pages import Page

        from .mkdocs_plugin.plugin import _only_notice
        from .site.build import SiteBuild

        paths = [Path(p) for p in paths]
        if self.config is None:
            self.build()
        config, plugin = self.config, self.plugin
        old_site = plugin.site
        old_kb = old_site.kb
        kb = self._reload(old_kb, paths)
        old_by_path = {pm.path: pm for pm in old_kb.postmortems}
        new_by_path = {pm.path: pm for pm in kb.postmortems}
        changed = [pm for p in paths for pm in (old_by_path.get(p), new_by_path.get(p)) if pm is not None]
        wanted = self.affected(old_site, changed)

        if "only" in inspect.signature(SiteBuild).parameters:
            make: Any = SiteBuild  # the pipeline's own partial build, where it has one
            site = make(kb, old_site.options, only=wanted.__contains__)
        else:
            site = _partial_build(kb, old_site.options, wanted, {pm.id for pm in changed})
        _reuse(site, old_site)
        items = list(site.generate())
        plugin.site = site
        # Pages the partial build did not make (the other incidents) are still there: listed, so
        # that links to them resolve. A shown page that is no longer made (a term nobody uses any
        # more, a postmortem now refused) is removed, as a full build would.
        listed = {item.path for item in items}
        old_pages = [item for item in old_site.generate() if hasattr(item, "template")]
        items += [item for item in old_pages if item.path not in listed and item.path not in wanted]
        for item in old_pages:
            if item.path in wanted and item.path not in listed:
                Path(File.generated(config, item.path, content="").abs_dest_path).unlink(missing_ok=True)

        # The files of the site, as `mkdocs build` gathers them, with the generated ones. The
        # theme's templates and files are the same from one save to the next: its environment
        # (templates compiled once) and its list of files are kept from the first update.
        files = get_files(config)
        env = self._theme_env(files)
        pages = []
        for item in items:
            existing = files.get_file_from_path(item.path)
            if existing is not None and not existing.generated_by and not _only_notice(existing):
                continue  # the site's own page wins, as in a full build
            if existing is not None:
                files.remove(existing)
            if hasattr(item, "template"):  # a GeneratedPage
                drawn = item.path in wanted and site.is_generated(item.path)
                inclusion = InclusionLevel.UNDEFINED if item.path.endswith("index.md") else InclusionLevel.NOT_IN_NAV
                files.append(File.generated(config, item.path, content=site.markdown_of(item.path) if drawn else "",
                                            inclusion=inclusion))
                if drawn:
                    pages.append(item.path)
            elif item.source is None:
                self._write_if_changed(item.path, item.content)
        set_exclusions(files, config)
        nav = get_navigation(files, config)
        nav = config.plugins.on_nav(nav, config=config, files=files)
        todo = []
        for path in pages:
            file = files.get_file_from_path(path)
            if file is None:
                continue
            if file.page is None:
                Page(None, file, config)
            assert file.page is not None
            _populate_page(file.page, config, files)
            todo.append(file)
        env = config.plugins.on_env(env, config=config, files=files)
        doc_files = files.documentation_pages()
        for file in todo:
            assert file.page is not None
            _build_page(file.page, config, doc_files, nav, env)
        self._remember()
        return [f.src_uri for f in todo]

    def _theme_env(self, files) -> Any:
        """The theme's Jinja environment, and its files added to ``files`` (docs files win)."""
        if self._env is None or self._theme_files is None:
            before = {f.src_uri for f in files}
            # The full build's own (the plugin keeps it), with its templates already compiled.
            self._env = getattr(self.plugin, "theme_env", None) or self.config.theme.get_env()
            files.add_files_from_theme(self._env, self.config)
            self._theme_files = [f for f in files if f.src_uri not in before]
        else:
            for file in self._theme_files:
                if files.get_file_from_path(file.src_uri) is None:
                    files.append(file)
        return self._env

    def _write_if_changed(self, path: str, content: str | bytes) -> None:
        data = content.encode("utf-8") if isinstance(content, str) else content
        target = self.site_dir / path
        try:
            if target.read_bytes() == data:
                return
        except OSError:
            pass
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    # --- what changed ----------------------------------------------------------------------

    def _reload(self, old_kb, paths: list[Path]):
        """The KB with the files at ``paths`` read again; every other postmortem as it was loaded."""

        config, taxonomy = old_kb.config, old_kb.taxonomy
        fresh = set(paths)
        reread = {display_path(p, config.root) for p in paths}
        shown = {pm.source for pm in old_kb.postmortems}
        # Problems not carried by a loaded postmortem (files that were refused, the folder):
        # kept, except those of the files read again and those check_kb adds.
        problems = [p for p in old_kb.problems
                    if p.path not in shown and p.path not in reread and p.code not in KB_WIDE_CODES]
        loaded = [dataclasses.replace(pm, problems=[p for p in pm.problems if p.code not in KB_WIDE_CODES])
                  for pm in old_kb.postmortems if pm.path not in fresh]
        for path in paths:
            result = load_one(path, taxonomy, config)
            problems.extend(result.problems)  # what stopped the file (its postmortem's own are on it)
            if result.postmortem is not None:
                loaded.append(result.postmortem)
        kb = assemble_kb(config, taxonomy, loaded, problems)
        for pm in loaded:
            if pm.source in kb.rejected:
                log.warning("%s", "\n".join(p.format_text() for p in pm.problems if p.is_error))
        return kb

    @staticmethod
    def affected(site, postmortems) -> set[str]:
        """The generated pages that show any of these postmortems (docs paths, under the base folder)."""
        from .crosslinks import CrossLinks

        paths = site.paths
        out = {paths.page("index.md"), paths.page("incidents/index.md"), paths.page("action-items/index.md")}
        for pm in postmortems:
            out.add(paths.incident(pm.id))
            for facet, slug in CrossLinks._terms(pm):
                out.add(paths.facet(facet))
                try:
                    out.add(paths.term(facet, slug))
                except ValueError:  # a slug that makes no page
                    pass
        return {p for p in out if p}


def _reuse(site, old_site) -> None:
    """Give the new build what does not depend on the changed postmortems: the compiled templates,
    the Markdown renderer of write-ups, and the related-incidents index (rebuilding it is a third
    of an update at 1,000 postmortems; the changed incident's related list is brought up to date
    by the next full build). Seeded through the instance's dict, which is where ``cached_property``
    keeps its value."""
    from .site.build import SiteData
    from .slugs import is_valid_id

    for name in ("templates", "bodies"):
        if name in vars(old_site):
            vars(site)[name] = vars(old_site)[name]
    if "data" in vars(old_site):
        from .crosslinks import CrossLinks

        old = old_site.data
        shown = [pm for pm in site.kb.visible(site.options.drafts) if is_valid_id(pm.id)]
        vars(site)["data"] = SiteData(shown, CrossLinks(shown, site.kb.taxonomy), old.similarity, old.today)


def _partial_build(kb, options, wanted: set[str], changed_ids: set[str]):
    """A SiteBuild that draws only the ``wanted`` pages and makes the incident pages of the
    changed postmortems only (the other generators are cheap: they run whole).

    Until the site pipeline takes ``only=`` itself, this leans on its internals (``_items``,
    ``_drawn``) and on ``incident_pages`` reading its postmortems from ``build.data``."""
    from .site import GeneratedPage, incidents
    from .site import build as site_build

    class OnlyChanged:
        """The build as ``incident_pages`` sees it: only the changed postmortems to draw, with
        the indexes (related incidents, recurrences) over the whole KB."""

        def __init__(self, build):
            self._build = build
            self.data = dataclasses.replace(build.data, postmortems=[
                pm for pm in build.data.postmortems if pm.id in changed_ids])

        def __getattr__(self, name):
            return getattr(self._build, name)

    class PartialBuild(site_build.SiteBuild):
        def generate(self):
            if self._items is None:
                items = []
                for make in site_build.GENERATORS:
                    source: Any = OnlyChanged(self) if make is incidents.incident_pages else self
                    for item in make(source):
                        site_build.check_path(item.path)
                        if isinstance(item, GeneratedPage) and item.path in wanted:
                            self._drawn[item.path] = (item, self.draw(item))
                        items.append(item)
                self._items = items
            return self._items

    return PartialBuild(kb, options)


def serve(config_file: Path, dev_addr: str | None = None, open_in_browser: bool = False,
          livereload: bool = True, **config_overrides) -> None:
    """Serve the site from a temporary folder, updating only what a save changed, and reload the
    browser when the pages are written (MkDocs' live-reload server)."""
    from urllib.parse import urlsplit

    from mkdocs.livereload import LiveReloadServer

    site_dir = Path(tempfile.mkdtemp(prefix="pmkb-preview-"))
    if dev_addr:
        config_overrides["dev_addr"] = dev_addr
    preview = Preview(config_file, site_dir, **config_overrides)
    try:
        preview.build()
        config = preview.config
        host, port = config.dev_addr
        mount_path = urlsplit(config.site_url or "/").path

        def builder() -> None:
            written = preview.refresh()
            if written == ["*"]:
                log.info("the whole site was rebuilt")
            elif written:
                log.info("%s updated: %s", plural(len(written), "page"), ", ".join(written[:5]))

        server = LiveReloadServer(builder=builder, host=host, port=port, root=str(site_dir), mount_path=mount_path)
        if livereload:
            server.watch(str(preview.config_file))
            server.watch(config.docs_dir)
            server = config.plugins.on_serve(server, config=config, builder=builder)
        try:
            server.serve(open_in_browser=open_in_browser)
        except KeyboardInterrupt:
            log.info("Shutting down...")
        finally:
            server.shutdown()
    finally:
        shutil.rmtree(site_dir, ignore_errors=True)


__all__ = ["Preview", "serve"]
