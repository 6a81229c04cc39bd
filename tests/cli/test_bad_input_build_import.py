"""Every bad-input fixture through the site build and the import, not only `pmkb validate`.

For each fixture of tests/fixtures/bad/ (the cases and their expected `path:line: code` are
test_bad_input.py's):

* a strict build of a small KB (one good postmortem plus the fixture) fails with that same
  line and no traceback, and the site published before is left byte for byte as it was, no
  build folder left behind: through `pmkb build`, through the MkDocs Python API in-process,
  and for a few representative cases through a real `mkdocs build --strict` process;
* `pmkb import` of the fixture writes a postmortem or reports why not, one clear line, and
  never a traceback;
* the accepted oddities (BOM, CRLF, HTML in every field) build, and the hostile values come
  out as text: no script, event handler or javascript: link of theirs in any built page.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config

from kit import ROOT, site_config
from kit.hostile import ACCEPTED, EXPECTED, FIXTURES
from postmortem_kb.cli import cli
from postmortem_kb.loader import KBConfig, load_one
from postmortem_kb.publish import BUILDING_PREFIX, REPLACED_PREFIX, build_site
from postmortem_kb.taxonomy import load_taxonomy

MKDOCS_YML = site_config("Bad input KB")
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
# A few cases that stand for the rest in a real `mkdocs build --strict` process: the YAML
# reader's refusals, bytes that are not text, a path-like id, a hostile link, a timeline check.
IN_A_PROCESS = ["yaml-alias-bomb", "yaml-python-tag", "binary", "non-utf8", "id-dotdot", "javascript-ticket",
                "timeline-backwards"]
ALL = sorted(EXPECTED) + ACCEPTED


def _good_postmortem() -> tuple[str, bytes]:
    samples = sorted((ROOT / "postmortems").rglob("*.md")) if (ROOT / "postmortems").is_dir() else []
    if samples:
        return samples[0].name, samples[0].read_bytes()
    from kit import GOOD as TEMPLATE
    text = TEMPLATE.format(title="Disk failure on web-1", date="2024-03-14", severity="SEV2",
                           components="web-server", root_causes="hardware-failure")
    return "2024-03-14-disk-failure.md", text.encode()


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder`` with its content hash, to compare byte for byte."""
    return {p.relative_to(folder).as_posix(): "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))}


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith((BUILDING_PREFIX, REPLACED_PREFIX))]


@pytest.fixture(scope="module")
def published_kb(tmp_path_factory) -> Path:
    """A KB of one good postmortem whose site was published once."""
    root = tmp_path_factory.mktemp("published")
    shutil.copy(ROOT / "taxonomy.yml", root / "taxonomy.yml")
    (root / "postmortems").mkdir()
    name, data = _good_postmortem()
    (root / "postmortems" / name).write_bytes(data)
    (root / "docs").mkdir()
    (root / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    build_site(root / "mkdocs.yml")
    assert (root / "site" / "index.html").is_file()
    return root


@pytest.fixture
def kb_with_case(published_kb: Path, tmp_path: Path, request) -> tuple[Path, str]:
    """A copy of the published KB (site included) with the fixture ``request.param`` added."""
    case = request.param
    root = tmp_path / "kb"
    shutil.copytree(published_kb, root, symlinks=True)
    shutil.copy(FIXTURES / f"{case}.md", root / "postmortems" / f"{case}.md")
    # A file no build makes: a failed build that emptied the folder and built the same pages
    # again (builds are deterministic) would otherwise look untouched.
    (root / "site" / "previous-build.txt").write_text("the site published before\n", encoding="utf-8")
    return root, case


def expected_line(case: str) -> str:
    code, line = EXPECTED[case]
    return f"postmortems/{case}.md:{line}: {code}: "


# --- pmkb build: the safe build --------------------------------------------------------------

@pytest.mark.parametrize("kb_with_case", sorted(EXPECTED), indirect=True)
def test_pmkb_build_fails_clearly_and_keeps_the_published_site(kb_with_case, runner):
    root, case = kb_with_case
    before = snapshot(root / "site")
    result = runner.invoke(cli, ["--kb", str(root), "build"])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert any(line.startswith(expected_line(case)) for line in result.output.splitlines()), result.output
    assert "nothing was published" in result.output
    assert "Traceback" not in result.output
    assert snapshot(root / "site") == before
    assert leftovers(root) == []


# --- mkdocs build --strict through the MkDocs API: the plugin's own check ---------------------

def _mkdocs_build_in_process(root: Path, caplog) -> tuple[BaseException | None, list[logging.LogRecord]]:
    cfg = load_config(str(root / "mkdocs.yml"), strict=True)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        try:
            mkdocs_build(cfg)
        except SystemExit as exc:  # MkDocs' Abort: what `mkdocs build` turns into exit 1
            return exc, list(caplog.records)
    return None, list(caplog.records)


@pytest.mark.parametrize("kb_with_case", sorted(EXPECTED), indirect=True)
def test_mkdocs_strict_build_fails_with_the_same_line_and_keeps_the_site(kb_with_case, caplog):
    root, case = kb_with_case
    before = snapshot(root / "site")
    aborted, records = _mkdocs_build_in_process(root, caplog)
    assert aborted is not None, "the strict build went through"
    messages = [r.getMessage() for r in records]
    assert any(m.startswith(expected_line(case)) for m in messages), messages
    assert all(r.exc_info is None for r in records)  # logged as a line, not as a traceback
    # The plugin checks the KB before MkDocs empties the site folder.
    assert snapshot(root / "site") == before


@pytest.mark.parametrize("kb_with_case", IN_A_PROCESS, indirect=True)
def test_mkdocs_build_strict_process(kb_with_case):
    root, case = kb_with_case
    before = snapshot(root / "site")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=root, env=ENV,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    output = proc.stdout + proc.stderr
    assert re.search(rf"^(?:WARNING|ERROR)\s+-\s+{re.escape(expected_line(case))}", output, re.M), output
    assert "Traceback" not in output
    assert snapshot(root / "site") == before


def test_symlink_outside_the_kb_fails_the_build(published_kb: Path, tmp_path: Path, runner):
    root = tmp_path / "kb"
    shutil.copytree(published_kb, root, symlinks=True)
    secret = tmp_path / "secret.md"
    shutil.copy(next((root / "postmortems").glob("*.md")), secret)
    os.symlink(secret, root / "postmortems" / "leak.md")
    before = snapshot(root / "site")
    result = runner.invoke(cli, ["--kb", str(root), "build"])
    assert result.exit_code == 1
    assert "postmortems/leak.md:1: symlink-outside: " in result.output
    assert snapshot(root / "site") == before


# --- the accepted oddities build, and hostile values stay text --------------------------------

class _Elements(HTMLParser):
    """Scripts, event-handler attributes and URL attributes of one page."""

    URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[str] = []  # src, or the text of an inline script
        self.handlers: list[str] = []
        self.urls: list[str] = []
        self.tags: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes.get("src") or "")
            self._in_script = True
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}={value}>")
            if name in self.URL_ATTRIBUTES and value:
                self.urls.append(value)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def _is_script_url(url: str) -> bool:
    # Browsers ignore leading spaces and control characters, and tabs/newlines inside the scheme.
    squeezed = re.sub(r"[\x00-\x20]", "", url).lower()
    return squeezed.startswith(("javascript:", "vbscript:", "data:text/html"))


@pytest.mark.parametrize("kb_with_case", ACCEPTED, indirect=True)
def test_accepted_oddities_build(kb_with_case, runner):
    root, case = kb_with_case
    result = runner.invoke(cli, ["--kb", str(root), "build"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert re.search(r"Built 2 postmortems?(\(s\))? ", result.output)
    assert leftovers(root) == []
    pages = [p for p in (root / "site").rglob("*.html") if p.stem == case]
    assert pages, f"no incident page for {case}"


# ProperDocs needs a process of its own (tests/engines builds with it); Zensical runs in one anyway.
IN_PROCESS_ENGINES = ["mkdocs"] + (["zensical"] if importlib.util.find_spec("zensical") else [])


@pytest.mark.parametrize("engine", IN_PROCESS_ENGINES)
def test_hostile_values_come_out_as_text_everywhere(published_kb: Path, tmp_path: Path, runner, engine: str):
    root = tmp_path / "kb"
    shutil.copytree(published_kb, root, symlinks=True)
    shutil.copy(FIXTURES / "ok-html-everywhere.md", root / "postmortems")
    result = runner.invoke(cli, ["--kb", str(root), "build", "--engine", engine])
    assert result.exit_code == 0, result.output
    site = root / "site"
    pages = sorted(site.rglob("*.html"))
    shown = False
    for page in pages:
        text = page.read_text(encoding="utf-8")
        parsed = _Elements()
        parsed.feed(text)
        where = page.relative_to(site).as_posix()
        assert not [s for s in parsed.scripts if "alert" in s], where
        assert parsed.handlers == [], (where, parsed.handlers)
        assert not [u for u in parsed.urls if _is_script_url(u)], where
        assert "iframe" not in parsed.tags, where
        # The hostile markup is there only escaped, never as markup.
        for raw in ("<script>alert", "<img src=x onerror", "<iframe src=javascript", "<svg onload",
                    "<b onmouseover", "<a href=javascript"):
            assert raw not in text, (where, raw)
        shown = shown or "&lt;script&gt;alert(1)&lt;/script&gt; outage" in text
    assert shown, "the hostile title is not shown as text on any page"
    incident = next(p for p in pages if p.stem == "ok-html-everywhere")
    # Character references of anything but markup's own characters read as the character (templates
    # may also escape `=`, `:` or `{` so that no Markdown extension reads them).
    html = re.sub(r"&#(x[0-9a-fA-F]+|[0-9]+);",
                  lambda m: m.group(0) if (c := chr(int(m.group(1)[1:], 16) if m.group(1)[0] == "x"
                                                    else int(m.group(1)))) in "<>&\"'" else c,
                  incident.read_text(encoding="utf-8"))
    for escaped in ("&lt;script&gt;alert(1)&lt;/script&gt; outage", "&lt;img src=x onerror=alert(2)&gt;",
                    "&lt;svg onload=alert(7)&gt;"):
        assert escaped in html, escaped


# --- pmkb import ------------------------------------------------------------------------------

REPORT_HEAD = re.compile(r"^(?P<source>.+) -> (?P<output>.+) \[(?P<kind>[^,\]]*), (?P<result>[a-z ]+)\]$")


@pytest.mark.parametrize("case", ALL)
def test_import_gives_a_postmortem_or_a_clear_line(case, kb_root: Path, tmp_path: Path, runner):
    marker = Path("/tmp/pwned")
    marker.unlink(missing_ok=True)
    out = tmp_path / "imported"
    source = FIXTURES / f"{case}.md"
    result = runner.invoke(cli, ["--kb", str(kb_root), "import", "--out", str(out), str(source)])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1), result.output
    heads = [m for m in map(REPORT_HEAD.match, result.output.splitlines()) if m]
    assert len(heads) == 1, result.output
    head = heads[0]
    written = sorted(p for p in out.rglob("*") if p.is_file()) if out.exists() else []
    if head["result"] == "written":
        assert result.exit_code == 0
        assert len(written) == 1 and written[0].resolve().is_relative_to(out.resolve())
        assert written[0].as_posix().endswith(head["output"].split("/", 1)[-1])
        # The written file reads back: a postmortem (maybe with TODOs to fill) or its problems.
        loaded = load_one(written[0], load_taxonomy(kb_root / "taxonomy.yml"), KBConfig(root=kb_root))
        assert loaded.postmortem is not None or loaded.problems, loaded
    else:
        assert head["result"] == "failed", result.output
        assert result.exit_code == 1 and written == []
        # A file the import cannot read at all fails with the very line `pmkb validate` gives.
        code, line = EXPECTED[case]
        assert re.search(rf"^  warning:  .*{re.escape(case)}\.md:{line}: {code}: .+\(hint: ", result.output, re.M), \
            result.output
    assert not marker.exists()  # the Python tag ran nothing


@pytest.mark.parametrize("value", ["!!python/name:os.system x", "!!python/object:os.system {a: 1}",
                                   "!!python/tuple [1, 2]", "!custom x", "!!binary aGVsbG8="])
def test_every_unsafe_tag_is_refused(value, kb_root: Path, runner):
    """The fixture's tag sits on a sequence; tags on scalars and mappings are refused the same way."""
    text = (FIXTURES / "ok-crlf.md").read_bytes().decode("utf-8").replace("\r\n", "\n")
    text = text.replace("severity: SEV2\n", f"severity: SEV2\ntrigger: {value}\n", 1)
    assert value in text
    (kb_root / "postmortems" / "tagged.md").write_text(text, encoding="utf-8")
    result = runner.invoke(cli, ["--kb", str(kb_root), "validate"])
    assert result.exit_code == 1
    assert re.search(r"^postmortems/tagged\.md:\d+: yaml-unsafe-tag: ", result.output, re.M), result.output
