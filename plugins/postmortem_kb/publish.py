"""Publishing the site: a build that never leaves a half-written site behind, and the writers' preview server.

A build validates the KB with the one loader first, then lets the site engine (MkDocs, or
ProperDocs, its maintained fork of 1.6) build strictly into a fresh folder beside the output
folder. Only when the whole build succeeded does that folder take the output folder's place,
by two renames on the same filesystem; on any failure it is removed and the previous site is
left exactly as it was, so a web server never serves a mix of two builds.
"""

from __future__ import annotations

import importlib
import logging
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from .loader import KBConfig, KnowledgeBase, load_kb
from .problems import Problem

PLUGIN_NAME = "postmortems"
CONFIG_NAMES = ("mkdocs.yml", "mkdocs.yaml", "properdocs.yml", "properdocs.yaml")
# The build folder and the folder being replaced sit beside the output folder with these
# prefixes; a KB's .gitignore lists them (`.pmkb-*`).
BUILDING_PREFIX = ".pmkb-building-"
REPLACED_PREFIX = ".pmkb-replaced-"


class BuildFailed(Exception):
    """The site was not built; ``problems`` are the postmortems' own, when they are the reason.

    The previous output folder, if any, is untouched.
    """

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


@dataclass(frozen=True)
class Engine:
    """The site engine found installed: MkDocs or ProperDocs, which share one API."""

    name: str
    load_config: Callable[..., Any]
    build: Callable[..., Any]
    serve: Callable[..., Any]
    yaml_load: Callable[..., Any]


ENGINES = ("mkdocs", "properdocs")


def find_engine(name: str | None = None) -> Engine:
    """The engine named (or by ``PMKB_ENGINE``), else MkDocs when installed, else ProperDocs;
    BuildFailed when none is."""
    wanted = name or os.environ.get("PMKB_ENGINE") or None
    if wanted is not None and wanted not in ENGINES:
        raise BuildFailed(f"unknown site engine `{wanted}`; PMKB_ENGINE is one of: {', '.join(ENGINES)}")
    for candidate in [wanted] if wanted else ENGINES:
        try:
            if candidate == "properdocs":
                _redirect_mkdocs_to_properdocs()
            config: ModuleType = importlib.import_module(f"{candidate}.config")
            build: ModuleType = importlib.import_module(f"{candidate}.commands.build")
            serve: ModuleType = importlib.import_module(f"{candidate}.commands.serve")
            yaml: ModuleType = importlib.import_module(f"{candidate}.utils.yaml")
        except ImportError:
            continue
        return Engine(candidate, config.load_config, build.build, serve.serve, yaml.yaml_load)
    missing = f"{wanted} is not installed" if wanted else "neither MkDocs nor ProperDocs is installed"
    raise BuildFailed(f"{missing}; run: pip install '{wanted or 'mkdocs'}>=1.6,<2'")


def _redirect_mkdocs_to_properdocs() -> None:
    """Plugins and themes written for MkDocs (mkdocs-material, ours) import ``mkdocs.*``;
    ProperDocs answers those imports itself once its ``replacement`` module is loaded, which must
    happen before anything loaded the real MkDocs."""
    loaded = sys.modules.get("mkdocs")
    if loaded is not None and not loaded.__name__.startswith("properdocs"):
        raise BuildFailed("MkDocs is already loaded in this process, so ProperDocs cannot stand in for it; "
                          "run pmkb in a new process with PMKB_ENGINE=properdocs")
    importlib.import_module("properdocs")
    try:
        importlib.import_module("properdocs.replacement")
    except ImportError:  # a ProperDocs without the redirection: plugins import it directly
        pass
    # As ProperDocs' own CLI does: messages of `mkdocs.*` loggers (plugins) reach its logger, where
    # a strict build counts warnings.
    logging.getLogger("mkdocs").parent = logging.getLogger("properdocs")


def find_config_file(root: Path) -> Path:
    """The site configuration of the KB at ``root`` (mkdocs.yml, or properdocs.yml)."""
    for name in CONFIG_NAMES:
        if (root / name).is_file():
            return root / name
    raise BuildFailed(f"no mkdocs.yml in {root}; run `pmkb init` to make a KB there, "
                      "or pass --config-file")


def plugin_overrides(engine: Engine, config_file: Path, *, drafts: bool) -> dict[str, Any]:
    """Options that replace the configuration file's, given to the engine's ``load_config``.

    Drafts are switched on by rewriting the ``plugins`` entry of the postmortems plugin, the same
    way for a build and for the preview server. The server loads the configuration anew with
    these options on every rebuild, and the engine empties each ``{name: options}`` item of a
    plugins *list* as it reads it, so the plugins are given as a mapping, which it only reads.
    """
    if not drafts:
        return {}
    with open(config_file, "rb") as fh:
        raw = engine.yaml_load(fh) or {}
    plugins = raw.get("plugins")
    entries = list(plugins.items()) if isinstance(plugins, dict) else [
        next(iter(p.items())) if isinstance(p, dict) and len(p) == 1 else (p, None) for p in plugins or []]
    if not any(name == PLUGIN_NAME for name, _ in entries):
        raise BuildFailed(f"{config_file.name} does not use the `{PLUGIN_NAME}` plugin, so there are no drafts "
                          f"to show; add `- {PLUGIN_NAME}` under `plugins:`")
    names = [name for name, _ in entries]
    if len(set(map(str, names))) != len(names):
        raise BuildFailed(f"{config_file.name} lists a plugin twice; --drafts cannot tell which one to change, "
                          f"set `drafts: true` under `{PLUGIN_NAME}` instead")
    return {"plugins": {name: ({**(options or {}), "drafts": True} if name == PLUGIN_NAME else options or {})
                        for name, options in entries}}


def kb_config_for(site_config: Any, config_file: Path, strict_terms: bool = True) -> KBConfig | None:
    """The KB the postmortems plugin builds the site from, as its options in mkdocs.yml say;
    None when the site does not use the plugin (or turns it off)."""
    plugin = site_config.plugins.get(PLUGIN_NAME)
    options = getattr(plugin, "config", None)
    if options is None or not options.get("enabled", True):
        return None
    return KBConfig(root=config_file.parent,
                    postmortems_dir=options.get("postmortems_dir", "postmortems"),
                    taxonomy_file=options.get("taxonomy", "taxonomy.yml"),
                    strict_terms=strict_terms and options.get("strict_terms", True))


@dataclass
class BuildResult:
    site_dir: Path
    kb: KnowledgeBase | None  # None for a site without the postmortems plugin
    # Warnings; and without strict, the errors of the postmortems that were left out.
    problems: list[Problem] = field(default_factory=list)


def _refuse_unsafe_target(target: Path, config_file: Path, docs_dir: Path) -> None:
    """Replacing the output folder removes it: never let that be the KB or its sources."""
    kb_root = config_file.parent.resolve()
    for precious in (kb_root, docs_dir.resolve()):
        if target == precious or precious.is_relative_to(target):
            raise BuildFailed(f"the output folder {target} would contain {precious}, which the build replaces "
                              "whole; choose a folder of its own, e.g. --site-dir site")
    if target.is_relative_to(docs_dir.resolve()):
        raise BuildFailed(f"the output folder {target} is inside the docs folder {docs_dir}; choose another")
    if target.exists() and not target.is_dir():
        raise BuildFailed(f"the output path {target} is a file, not a folder")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def replace_dir(new: Path, target: Path) -> None:
    """Put the folder ``new`` in ``target``'s place: the old one goes only once the new one is in."""
    if not target.exists():
        os.rename(new, target)
        return
    aside = Path(tempfile.mkdtemp(prefix=REPLACED_PREFIX + target.name + "-", dir=target.parent))
    aside.rmdir()  # only the unique name is wanted; os.rename needs it free
    os.rename(target, aside)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(aside, target)
        raise
    shutil.rmtree(aside, ignore_errors=True)


def build_site(config_file: Path, *, site_dir: Path | None = None, drafts: bool = False,
               strict: bool = True, strict_terms: bool = True,
               engine: Engine | None = None) -> BuildResult:
    """Validate the KB, build its site and put it in the output folder, or change nothing.

    Raises BuildFailed: with the postmortems' problems when the KB has errors (under
    ``strict``), or with the engine's message when the build itself failed.
    """
    engine = engine or find_engine()
    config_file = Path(config_file).resolve()
    if not config_file.is_file():
        raise BuildFailed(f"{config_file} does not exist; pass --config-file or run `pmkb init`")
    overrides = plugin_overrides(engine, config_file, drafts=drafts)
    if site_dir is not None:
        overrides["site_dir"] = str(Path(site_dir).resolve())
    cfg = _load(engine, config_file, strict=strict, **overrides)
    # A symlinked output folder (a web server's document root) stays a link: its target is replaced.
    target = Path(cfg["site_dir"]).resolve()
    _refuse_unsafe_target(target, config_file, Path(cfg["docs_dir"]))

    kb_config = kb_config_for(cfg, config_file, strict_terms)
    kb = load_kb(kb_config) if kb_config is not None else None
    if kb is not None and strict and kb.errors:
        raise BuildFailed(f"{len(kb.errors)} error(s) in the postmortems; nothing was published", kb.problems)

    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=BUILDING_PREFIX + target.name + "-", dir=target.parent))
    try:
        # mkdtemp makes a private folder (0700); a published site must be readable like any new folder.
        os.chmod(building, 0o777 & ~_umask())
        cfg["site_dir"] = str(building)
        plugin = cfg.plugins.get(PLUGIN_NAME)
        if kb is not None and hasattr(plugin, "use_kb"):
            plugin.use_kb(kb)  # already loaded and checked above: the build does not read it again
        cfg.plugins.on_startup(command="build", dirty=False)
        try:
            engine.build(cfg)
        except SystemExit as exc:  # the engine's Abort (strict warnings, a BuildError) is a SystemExit
            raise BuildFailed(str(exc) or "the site build was aborted") from None
        except Exception as exc:
            raise BuildFailed(f"the site build failed: {type(exc).__name__}: {exc}") from exc
        finally:
            cfg.plugins.on_shutdown()
        try:
            replace_dir(building, target)
        except OSError as exc:
            raise BuildFailed(f"the site was built but could not replace {target}: {exc.strerror or exc}; "
                              "the previous site is still there") from exc
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return BuildResult(target, kb, list(kb.problems) if kb else [])


def _load(engine: Engine, config_file: Path, **options: Any) -> Any:
    try:
        return engine.load_config(config_file=str(config_file), **options)
    except SystemExit as exc:  # Abort on an invalid configuration
        raise BuildFailed(f"{config_file.name} is not a valid site configuration: {exc}") from None
    except Exception as exc:
        raise BuildFailed(f"{config_file.name} is not a valid site configuration: {exc}") from exc


def serve_site(config_file: Path, *, dev_addr: str | None = None, drafts: bool = True,
               open_in_browser: bool = False, livereload: bool = True,
               engine: Engine | None = None) -> None:
    """Serve the site with live reload until interrupted (the plugin watches postmortems/ itself)."""
    engine = engine or find_engine()
    config_file = Path(config_file).resolve()
    if not config_file.is_file():
        raise BuildFailed(f"{config_file} does not exist; pass --config-file or run `pmkb init`")
    overrides = plugin_overrides(engine, config_file, drafts=drafts)
    engine.serve(config_file=str(config_file), livereload=livereload, dev_addr=dev_addr,
                 open_in_browser=open_in_browser, **overrides)


def engine_logger() -> logging.Logger:
    """The logger the engine and its plugins write to, for a CLI to show."""
    return logging.getLogger(find_engine().name)
