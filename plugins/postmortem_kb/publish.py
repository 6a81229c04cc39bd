"""Publishing the site: a build that never loses the published site, and the writers' preview server.

A build validates the KB with the one loader first, then lets the site engine (MkDocs,
ProperDocs or Zensical, see :mod:`postmortem_kb.engines`) build strictly into a fresh folder
beside the output folder. Only when the whole build succeeded does that folder take the
output folder's place (:mod:`postmortem_kb.engines.output`); on any failure it is removed and
the previous site is left exactly as it was, so a web server never serves a mix of two builds.
The output folder is replaced only if an earlier build made it (or it is empty): never the
KB, its sources or a folder around them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .engines import ENGINES, PLUGIN_NAME, BadSiteDir, BuildFailed, SiteSettings, engine_logger, find_engine
from .engines.output import (
    BUILDING_PREFIX,
    MARKER,
    REPLACED_PREFIX,
    BuildFolder,
    UnsafeOutput,
    check_target,
    protected_folders,
    recover,
    swap_in,
)
from .loader import KBConfig, KnowledgeBase, load_kb
from .problems import Problem, plural

__all__ = ["BUILDING_PREFIX", "ENGINES", "MARKER", "PLUGIN_NAME", "REPLACED_PREFIX", "BadSiteDir", "BuildFailed",
           "BuildResult", "build_site", "engine_logger", "find_config_file", "find_engine", "serve_site"]

CONFIG_NAMES = ("mkdocs.yml", "mkdocs.yaml", "properdocs.yml", "properdocs.yaml")
log = logging.getLogger(__name__)


def find_config_file(root: Path) -> Path:
    """The site configuration of the KB at ``root`` (mkdocs.yml, or properdocs.yml)."""
    for name in CONFIG_NAMES:
        if (root / name).is_file():
            return root / name
    raise BuildFailed(f"no mkdocs.yml in {root}; run `pmkb init` to make a KB there, "
                      "or pass --config-file")


def kb_config_for(settings: SiteSettings, strict_terms: bool = True) -> KBConfig | None:
    """The KB the site is built from, as the plugin's options say; None when the site does not
    use the plugin (or turns it off)."""
    options = settings.plugin
    if options is None:
        return None
    return KBConfig(root=settings.config_file.parent, postmortems_dir=options["postmortems_dir"],
                    taxonomy_file=options["taxonomy"], strict_terms=strict_terms and options["strict_terms"])


@dataclass
class BuildResult:
    site_dir: Path
    kb: KnowledgeBase | None  # None for a site without the postmortems plugin
    # Warnings; and without strict, the errors of the postmortems that were left out.
    problems: list[Problem] = field(default_factory=list)
    engine: str = ""
    notes: list[str] = field(default_factory=list)  # what the build cleaned up after a stopped one


def build_site(config_file: Path, *, site_dir: Path | None = None, drafts: bool = False,
               strict: bool = True, strict_terms: bool = True, engine: Any = None) -> BuildResult:
    """Validate the KB, build its site and put it in the output folder, or change nothing.

    ``engine``: a name (``mkdocs``, ``properdocs``, ``zensical``), an engine object, or None for
    the default (:func:`find_engine`). ``site_dir`` comes from the command line: a folder that
    may not be replaced raises :class:`BadSiteDir`.

    Raises BuildFailed: with the postmortems' problems when the KB has errors (under
    ``strict``), or with the engine's message when the build itself failed.
    """
    config_file = Path(config_file).resolve()
    if not config_file.is_file():
        raise BuildFailed(f"{config_file} does not exist; pass --config-file or run `pmkb init`")
    if engine is None or isinstance(engine, str):
        engine = find_engine(engine, config_file)
    settings = engine.settings(config_file, drafts=drafts, strict=strict)
    # A symlinked output folder (a web server's document root) stays a link: its target is replaced.
    target = Path(site_dir).resolve() if site_dir is not None else settings.site_dir
    _check_target(target, settings, given=site_dir)

    # An engine that runs the plugin has it load and check the KB, with the plugin's options:
    # read once, by the one loader. The others are given the KB loaded here.
    kb_config = kb_config_for(settings, strict_terms) if not engine.runs_plugin else None
    kb = load_kb(kb_config) if kb_config is not None else None
    if kb is not None and strict and kb.errors:
        raise BuildFailed(f"{plural(len(kb.errors), 'error')} in the postmortems; nothing was published", kb.problems)
    if kb is not None:
        # The plugin's own log on MkDocs; here nothing counts the levels, the strict decision is above.
        logger = engine_logger(engine.name)
        for problem in kb.problems:
            logger.log(logging.ERROR if problem.is_error else logging.WARNING, "%s", problem.format_text())

    try:
        notes = recover(target)
        folder = BuildFolder(target)
    except OSError as exc:
        raise BuildFailed(_cannot_write(target, exc)) from None
    for note in notes:
        log.info("%s", note)
    try:
        site = folder.path / "site"
        if engine.runs_plugin:
            kb = engine.build_into(settings, None, site, strict=strict, drafts=drafts, strict_terms=strict_terms)
        else:
            engine.build_into(settings, kb, site, strict=strict, drafts=drafts)
        folder.mark(site)
        try:
            swap_in(site, target)
        except OSError as exc:
            raise BuildFailed(f"the site was built but could not replace {target}: {exc.strerror or exc}; "
                              "the previous site is still there") from None
    except OSError as exc:
        raise BuildFailed(_cannot_write(target, exc)) from None
    finally:
        folder.remove()
    return BuildResult(target, kb, list(kb.problems) if kb else [], engine.name, notes)


def _check_target(target: Path, settings: SiteSettings, given: Path | None) -> None:
    root = settings.config_file.parent
    options = settings.plugin or {}
    named: dict[str, Path | None] = {"the docs folder": settings.docs_dir}
    if settings.plugin is not None:
        named["the postmortems folder"] = root / options["postmortems_dir"]
        named["the taxonomy"] = root / options["taxonomy"]
        if options.get("templates_dir"):
            named["the templates folder"] = root / options["templates_dir"]
    if settings.custom_dir is not None:
        named["the theme's folder"] = settings.custom_dir
    try:
        check_target(target, kb_root=root, protected=protected_folders(root, **named))
    except UnsafeOutput as exc:
        if given is not None:
            raise BadSiteDir(f"--site-dir {given}: {exc}") from None
        raise BuildFailed(f"site_dir in {settings.config_file.name}: {exc}") from None


def _cannot_write(target: Path, exc: OSError) -> str:
    where = exc.filename or target.parent
    return (f"cannot write the site beside {target}: {exc.strerror or exc} ({where}); "
            "the previous site is still there")


def serve_site(config_file: Path, *, dev_addr: str | None = None, drafts: bool = True,
               open_in_browser: bool = False, livereload: bool = True, engine: Any = None) -> None:
    """Serve the site with live reload until interrupted (the KB's postmortems are watched too)."""
    config_file = Path(config_file).resolve()
    if not config_file.is_file():
        raise BuildFailed(f"{config_file} does not exist; pass --config-file or run `pmkb init`")
    if engine is None or isinstance(engine, str):
        engine = find_engine(engine, config_file)
    engine.serve_site(config_file, dev_addr=dev_addr, drafts=drafts, open_in_browser=open_in_browser,
                      livereload=livereload)
