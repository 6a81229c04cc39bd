"""Site engines: which one builds the site, and what each needs to know about it.

MkDocs 1.6 and ProperDocs (its maintained fork) run the postmortems plugin, which adds the
knowledge base's pages while they build (:mod:`.mkdocs`). Zensical reads the same ``mkdocs.yml``
but ignores third-party plugins, so pmkb generates every page itself into a staging copy of
the docs and lets Zensical build that (:mod:`.zensical`, :mod:`.staging`). Either way the
engine writes into a fresh folder that :mod:`.output` swaps in only when the build succeeded.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ..problems import Problem
from ..site.options import FEED_LIMIT, RELATED_LIMIT

if TYPE_CHECKING:
    import logging

ENGINES = ("mkdocs", "properdocs", "zensical")
PLUGIN_NAME = "postmortems"
INSTALL = {"mkdocs": "mkdocs>=1.6,<2", "properdocs": "properdocs>=1.6", "zensical": "zensical>=0.0.73"}


class BuildFailed(Exception):
    """The site was not built; ``problems`` are the postmortems' own, when they are the reason.

    The previous output folder, if any, is untouched.
    """

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


class BadSiteDir(BuildFailed):
    """The output folder given on the command line may not be replaced (a usage error)."""


@dataclass
class SiteSettings:
    """What a build needs from the site's configuration, whichever engine read it."""

    config_file: Path
    docs_dir: Path
    site_dir: Path  # the configured output folder, resolved
    # The postmortems plugin's options, defaults filled in; None when the site does not use it.
    plugin: dict[str, Any] | None
    use_directory_urls: bool = True
    site_url: str = ""
    custom_dir: Path | None = None
    loaded: Any = None  # the engine's own configuration object
    extra: dict[str, Any] = field(default_factory=dict)


# The plugin's options and their defaults, for engines that do not load the plugin. The plugin's
# own Config (mkdocs_plugin/config.py) is the reference; tests/engines/test_plugin_options.py checks
# that both agree, so an option added there and not here fails the tests, not a user's Zensical build.
PLUGIN_DEFAULTS: dict[str, Any] = {
    "enabled": True, "postmortems_dir": "postmortems", "taxonomy": "taxonomy.yml", "strict_terms": True,
    "drafts": False, "base_path": "", "related_limit": RELATED_LIMIT, "feed_limit": FEED_LIMIT,
    "templates_dir": None, "search": "material", "offline_search": True, "engine": None,
}


def installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def configured_engine(config_file: Path | None) -> str | None:
    """The engine the KB's configuration names: ``engine:`` under the postmortems plugin, or
    the file itself (``zensical.toml``, ``properdocs.yml``)."""
    if config_file is None:
        return None
    name = config_file.name
    if name == "zensical.toml":
        return "zensical"
    options = plugin_entry(read_config_leniently(config_file).get("plugins"))
    engine = (options or {}).get("engine")
    if isinstance(engine, str) and engine:
        return engine
    if name.startswith("properdocs."):
        return "properdocs"
    return None


def find_engine(name: str | None = None, config_file: Path | None = None):
    """The engine named (``--engine``, else ``PMKB_ENGINE``, else the KB's configuration), or
    the first installed of MkDocs, ProperDocs, Zensical; BuildFailed when none is."""
    wanted = name or os.environ.get("PMKB_ENGINE") or configured_engine(config_file) or None
    if wanted is not None and wanted not in ENGINES:
        raise BuildFailed(f"unknown site engine `{wanted}`; the engine is one of: {', '.join(ENGINES)} "
                          "(--engine, PMKB_ENGINE or `engine:` under the postmortems plugin)")
    errors: list[str] = []
    for candidate in [wanted] if wanted else ENGINES:
        if not installed(candidate):
            continue
        try:
            return _load(candidate)
        except ImportError as exc:
            errors.append(f"{candidate}: {exc}")
    if wanted:
        raise BuildFailed(f"the site engine {wanted} is not installed; run: pip install '{INSTALL[wanted]}'"
                          + (f" ({'; '.join(errors)})" if errors else ""))
    raise BuildFailed("no site engine is installed (MkDocs, ProperDocs or Zensical); run: pip install 'mkdocs>=1.6,<2'")


def _load(name: str):
    if name == "zensical":
        from .zensical import ZensicalEngine

        return ZensicalEngine()
    from .mkdocs import load_mkdocs_engine

    return load_mkdocs_engine(name)


def plugin_entry(plugins: Any) -> dict[str, Any] | None:
    """The options of the postmortems plugin in a raw ``plugins:`` value (list or mapping);
    None when it is not listed."""
    if isinstance(plugins, dict):
        if PLUGIN_NAME in plugins:
            return dict(plugins[PLUGIN_NAME] or {})
        return None
    for item in plugins or []:
        if item == PLUGIN_NAME:
            return {}
        if isinstance(item, dict) and len(item) == 1 and PLUGIN_NAME in item:
            return dict(item[PLUGIN_NAME] or {})
    return None


class _LenientLoader(yaml.SafeLoader):
    """Reads a site configuration only to look at plain values: Python and ``!ENV`` tags become None."""


_LenientLoader.add_multi_constructor("", lambda loader, suffix, node: None)


def read_config_leniently(config_file: Path) -> dict[str, Any]:
    try:
        with open(config_file, encoding="utf-8") as fh:
            if config_file.suffix == ".toml":
                try:
                    import tomllib
                except ImportError:  # Python 3.10
                    import tomli as tomllib  # type: ignore[no-redef]
                data = tomllib.loads(fh.read())
                data = data.get("project", data)
            else:
                data = yaml.load(fh, Loader=_LenientLoader)  # noqa: S506 - safe: a SafeLoader subclass
    except (OSError, ValueError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def engine_logger(name: str | None = None) -> logging.Logger:
    """The logger the engine (and the plugin, on MkDocs and ProperDocs) writes to, for a CLI to show."""
    import logging  # only for the commands that build

    return logging.getLogger(name or find_engine().name)
