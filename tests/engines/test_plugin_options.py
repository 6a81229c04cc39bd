"""The plugin's options as engines that do not load the plugin know them (engines.PLUGIN_DEFAULTS)
agree with the plugin's own configuration: the same names, the same defaults. An option added to
the plugin and not there would make a Zensical build refuse it as unknown."""

from __future__ import annotations

import pytest

from postmortem_kb.engines import PLUGIN_DEFAULTS


def test_the_engines_know_every_option_of_the_plugin_with_its_default() -> None:
    config = pytest.importorskip("postmortem_kb.mkdocs_plugin.config")
    options = dict(config.PostmortemsConfig._schema)
    assert set(PLUGIN_DEFAULTS) == set(options)
    for name, option in options.items():
        assert PLUGIN_DEFAULTS[name] == option.default, name
