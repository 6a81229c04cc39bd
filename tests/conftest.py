"""Shared fixtures: small KBs written into tmp_path, the CLI runner, ../shared."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

from kit import GOOD, ROOT, SHARED, write_postmortem  # noqa: F401  (re-exported for older imports)

# CI runs the property tests on a fixed sequence of examples, so that a red run can be
# reproduced and a green one repeated; a developer's runs keep exploring new examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("PMKB_CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True, scope="session")
def _user_cache(tmp_path_factory) -> None:
    """The search index lives in the user's cache: tests keep theirs in a folder of the test run."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture
def kb_root(tmp_path: Path) -> Path:
    """An empty KB (the project's taxonomy, no postmortems) in tmp_path."""
    shutil.copy(ROOT / "taxonomy.yml", tmp_path / "taxonomy.yml")
    (tmp_path / "postmortems").mkdir()
    return tmp_path


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def shared() -> Path:
    """../shared beside the project; tests that need it skip cleanly without it."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside the project")
    return SHARED
