"""MkDocs 1.6 and ProperDocs: engines that run the postmortems plugin, through their Python API."""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..problems import plural
from . import PLUGIN_DEFAULTS, PLUGIN_NAME, BuildFailed, SiteSettings


@dataclass(frozen=True)
class MkDocsEngine:
    """MkDocs or ProperDocs, which share one API."""

    name: str
    load_config: Callable[..., Any]
    build: Callable[..., Any]
    serve: Callable[..., Any]
    yaml_load: Callable[..., Any]
    runs_plugin = True

    def settings(self, config_file: Path, *, drafts: bool, strict: bool) -> SiteSettings:
        cfg = _load(self, config_file, strict=strict, **plugin_overrides(self, config_file, drafts=drafts))
        plugin = cfg.plugins.get(PLUGIN_NAME)
        options = getattr(plugin, "config", None)
        enabled = options is not None and options.get("enabled", True)
        custom_dir = getattr(cfg.theme, "custom_dir", None)
        return SiteSettings(config_file=config_file, docs_dir=Path(cfg["docs_dir"]).resolve(),
                            site_dir=Path(cfg["site_dir"]).resolve(),
                            plugin={**PLUGIN_DEFAULTS, **dict(options or {})} if enabled else None,
                            use_directory_urls=cfg["use_directory_urls"], site_url=cfg["site_url"] or "",
                            custom_dir=Path(custom_dir).resolve() if custom_dir else None, loaded=cfg)

    def build_into(self, settings: SiteSettings, kb: Any, site: Path, *, strict: bool, drafts: bool,
                   strict_terms: bool = True) -> Any:
        """Build the site into the empty folder ``site``; the KB the plugin loaded (None without it).

        The plugin loads the KB itself, with its own options (``kb`` is not used: an engine
        that runs the plugin needs none); ``strict_terms=False`` (``pmkb --lenient``) makes
        unknown taxonomy terms warnings for this build. When the build fails on the KB's errors,
        BuildFailed carries them."""
        cfg = settings.loaded
        cfg["site_dir"] = str(site)
        plugin = cfg.plugins.get(PLUGIN_NAME)
        options = getattr(plugin, "config", None)
        if options is not None and not strict_terms:
            options["strict_terms"] = False
        if plugin is not None:
            plugin.report_failing_problems = False  # BuildFailed carries them, for the caller to show
        cfg.plugins.on_startup(command="build", dirty=False)
        try:
            self.build(cfg)
        except SystemExit as exc:  # the engine's Abort (strict warnings, a BuildError) is a SystemExit
            loaded = getattr(plugin, "kb", None)
            if strict and loaded is not None and loaded.errors:
                raise BuildFailed(f"{plural(len(loaded.errors), 'error')} in the postmortems; nothing was published",
                                  loaded.problems) from None
            raise BuildFailed(str(exc) or "the site build was aborted") from None
        except OSError:
            raise  # a full or read-only disk: publish.py says so in one line
        except Exception as exc:
            raise BuildFailed(f"the site build failed: {type(exc).__name__}: {exc}") from exc
        finally:
            cfg.plugins.on_shutdown()
        return getattr(plugin, "kb", None)

    def serve_site(self, config_file: Path, *, dev_addr: str | None, drafts: bool, open_in_browser: bool,
                   livereload: bool) -> None:
        overrides = plugin_overrides(self, config_file, drafts=drafts)
        self.serve(config_file=str(config_file), livereload=livereload, dev_addr=dev_addr,
                   open_in_browser=open_in_browser, **overrides)


def load_mkdocs_engine(name: str) -> MkDocsEngine:
    if name == "properdocs":
        _redirect_mkdocs_to_properdocs()
    config = importlib.import_module(f"{name}.config")
    build = importlib.import_module(f"{name}.commands.build")
    serve = importlib.import_module(f"{name}.commands.serve")
    yaml = importlib.import_module(f"{name}.utils.yaml")
    if name == "mkdocs":  # a save redraws only the pages that show the saved postmortem (preview.py)
        from ..preview import serve as preview_serve

        return MkDocsEngine(name, config.load_config, build.build, preview_serve, yaml.yaml_load)
    return MkDocsEngine(name, config.load_config, build.build, serve.serve, yaml.yaml_load)


def _redirect_mkdocs_to_properdocs() -> None:
    """Plugins and themes written for MkDocs (mkdocs-material, ours) import ``mkdocs.*``;
    ProperDocs answers those imports itself once its ``replacement`` module is loaded, which must
    happen before anything loaded the real MkDocs."""
    loaded = sys.modules.get("mkdocs")
    if loaded is not None and not loaded.__name__.startswith("properdocs"):
        raise BuildFailed("MkDocs is already loaded in this process, so ProperDocs cannot stand in for it; "
                          "run pmkb in a new process with --engine properdocs")
    importlib.import_module("properdocs")
    try:
        importlib.import_module("properdocs.replacement")
    except ImportError:  # a ProperDocs without the redirection: plugins import it directly
        pass
    # As ProperDocs' own CLI does: messages of `mkdocs.*` loggers (plugins) reach its logger, where
    # a strict build counts warnings.
    logging.getLogger("mkdocs").parent = logging.getLogger("properdocs")


def plugin_overrides(engine: MkDocsEngine, config_file: Path, *, drafts: bool) -> dict[str, Any]:
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


def _load(engine: MkDocsEngine, config_file: Path, **options: Any) -> Any:
    try:
        return engine.load_config(config_file=str(config_file), **options)
    except SystemExit as exc:  # Abort on an invalid configuration
        raise BuildFailed(f"{config_file.name} is not a valid site configuration: {exc}") from None
    except Exception as exc:
        raise BuildFailed(f"{config_file.name} is not a valid site configuration: {exc}") from exc
