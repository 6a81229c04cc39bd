"""``pmkb init``: a ready knowledge-base repository from the files shipped in ``scaffold_files/``.

Shipped names start with ``dot-`` where the written one starts with a dot (``dot-gitignore``
becomes ``.gitignore``), because package data globs skip hidden files; names ending in ``.j2``
are Jinja templates, written without that suffix.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from importlib import metadata, resources
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import jinja2
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from .engines.notice import HOME_PAGE as NOTICE_HOME_PAGE
from .scaffold import render_new
from .slugs import slugify
from .taxonomy import load_taxonomy

SCAFFOLD = "scaffold_files"
TEMPLATE_PATH = "templates/postmortem.md"  # the writers' copy of the postmortem template
# A fresh clone holds .git and nothing else; that is still an empty folder to start a KB in.
IGNORED_WHEN_EMPTY = {".git"}


class InitError(Exception):
    """The KB could not be made; the message says why and what to do."""


@dataclass(frozen=True)
class Install:
    """How a new KB's CI and pre-commit hook install postmortem-kb."""

    requirement: str
    """A pip requirement line."""
    origin: str
    """Where it installs from, in words: ``the package index``, a URL, a folder or file."""
    portable: bool = True
    """False when it only installs on this machine (a local folder or file)."""


@dataclass
class InitReport:
    root: Path
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)  # already there (with --force), left as they were
    install: Install | None = None


def package_version() -> str:
    """The release of postmortem-kb a new KB pins in CI and pre-commit (``~=`` keeps patch updates)."""
    try:
        raw = metadata.version("postmortem-kb")
    except metadata.PackageNotFoundError:
        return "0.1.0"
    match = re.match(r"\d+(\.\d+)*", raw)
    return match.group(0) if match else raw


_ROOT = PurePosixPath()


def _shipped_files(folder, prefix: PurePosixPath = _ROOT):
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name == "__pycache__":
            continue
        if entry.is_dir():
            yield from _shipped_files(entry, prefix / entry.name)
        else:
            yield prefix / entry.name, entry


def _written_name(shipped: PurePosixPath) -> PurePosixPath:
    parts = ["." + p[len("dot-"):] if p.startswith("dot-") else p for p in shipped.parts]
    if parts[-1].endswith(".j2"):
        parts[-1] = parts[-1][:-3]
    return PurePosixPath(*parts)


def default_requirement() -> str:
    return installed_requirement().requirement


def installed_requirement(direct_url: str | None = None, version: str | None = None) -> Install:
    """A requirement that installs the postmortem-kb that is running, read from how it was installed.

    pip records that in the distribution's ``direct_url.json`` (PEP 610) when it installed from a
    URL, a VCS or a local folder; without it the package came from an index. ``direct_url`` (the
    file's text) and ``version`` are read from the installed package when not given.
    """
    if direct_url is None:
        try:
            direct_url = metadata.distribution("postmortem-kb").read_text("direct_url.json")
        except metadata.PackageNotFoundError:
            direct_url = None
    version = version or package_version()
    index = Install(f"postmortem-kb=={version}", "the package index")
    try:
        info = json.loads(direct_url) if direct_url else None
    except ValueError:
        info = None
    if not isinstance(info, dict) or not isinstance(info.get("url"), str):
        return index
    url: str = info["url"]
    local = urlsplit(url).scheme == "file"
    if isinstance(info.get("vcs_info"), dict):
        vcs = info["vcs_info"]
        revision = vcs.get("commit_id") or vcs.get("requested_revision")
        spec = f"{vcs.get('vcs', 'git')}+{url}" + (f"@{revision}" if revision else "")
        return Install(f"postmortem-kb @ {spec}", spec, portable=not local)
    if isinstance(info.get("archive_info"), dict):
        archive = info["archive_info"]
        digest = archive.get("hash") or next((f"{k}={v}" for k, v in (archive.get("hashes") or {}).items()), "")
        spec = url if "#" in url or not digest else f"{url}#{digest}"
        return Install(f"postmortem-kb @ {spec}", _local_name(url) if local else url, portable=not local)
    if local:  # dir_info: a checkout or an unpacked folder, editable or not
        return Install(f"postmortem-kb @ {url}", _local_name(url), portable=False)
    return index


def _local_name(url: str) -> str:
    from urllib.request import url2pathname

    return url2pathname(urlsplit(url).path)


def check_requirement(text: str) -> str:
    """A pip requirement for postmortem-kb, on one line; InitError otherwise."""
    try:
        req = Requirement(text.strip())
    except InvalidRequirement as exc:
        raise InitError(f"`{text}` is not a pip requirement ({exc}); write e.g. `postmortem-kb~=0.1.0` or "
                        "`postmortem-kb @ https://pypi.internal/wheels/postmortem_kb-0.1.0-py3-none-any.whl`") from None
    if canonicalize_name(req.name) != "postmortem-kb":
        raise InitError(f"the requirement names `{req.name}`; it must install postmortem-kb")
    return str(req)


def scaffold(site_name: str, today: dt.date | None = None,
             requirement: str | None = None, engine: str | None = None) -> dict[PurePosixPath, str]:
    """Every file of a new KB: its path in the KB and its text.

    ``requirement`` is how CI and the pre-commit hook install postmortem-kb (a pip requirement:
    a version from the package index, or ``postmortem-kb @ <URL of a wheel or a Git tag>``).
    """
    values = {"site_name": site_name, "requirement": check_requirement(requirement or default_requirement()),
              "today": today or dt.date.today(), "timedelta": dt.timedelta}
    env = jinja2.Environment(keep_trailing_newline=True, autoescape=False, undefined=jinja2.StrictUndefined)
    files: dict[PurePosixPath, str] = {}
    for shipped, entry in _shipped_files(resources.files("postmortem_kb").joinpath(SCAFFOLD)):
        text = entry.read_text(encoding="utf-8")
        if shipped.name.endswith(".j2"):
            text = env.from_string(text).render(**values)
        files[_written_name(shipped)] = text
    # The writers' copy of the template is the one `pmkb new` fills in, with this KB's terms.
    with resources.as_file(resources.files("postmortem_kb").joinpath(SCAFFOLD, "taxonomy.yml")) as tax_path:
        taxonomy = load_taxonomy(Path(tax_path))
    files[PurePosixPath(TEMPLATE_PATH)] = render_new(
        "Short title of the incident", taxonomy, date=today or dt.date.today(), pm_id="yyyy-mm-dd-short-title")
    # The home page is generated; this one holds only the notice that an engine ignoring the plugin
    # (`zensical build` run directly) publishes instead of a site without incidents.
    files[PurePosixPath("docs/index.md")] = NOTICE_HOME_PAGE
    if engine is not None:
        _for_engine(files, engine)
    return files


def _for_engine(files: dict[PurePosixPath, str], engine: str) -> None:
    """Name the site engine in the KB: ``pmkb build`` and the CI workflows then use it, CI installs
    it (every KB's home page carries the notice an engine that ignores the plugin shows)."""
    from .engines import ENGINES, INSTALL

    if engine not in ENGINES:
        raise InitError(f"unknown site engine `{engine}`; one of: {', '.join(ENGINES)}")
    config = PurePosixPath("mkdocs.yml")
    lines = files[config].split("\n")
    at = lines.index("  - postmortems:")
    lines.insert(at + 1, f"      engine: {engine}  # what `pmkb build` and `pmkb serve` use (--engine overrides it)")
    files[config] = "\n".join(lines)
    if engine != "mkdocs":
        files[PurePosixPath("requirements.txt")] += f"{INSTALL[engine]}\n"


def init_kb(directory: Path, *, force: bool = False, site_name: str | None = None,
            requirement: str | None = None, today: dt.date | None = None, engine: str | None = None) -> InitReport:
    """Write a new KB into ``directory``.

    Refuses a folder that is not empty unless ``force``; even then, files already there are
    kept and never overwritten.
    """
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise InitError(f"{root} is a file; give a folder for the new knowledge base")
    present = [p.name for p in root.iterdir() if p.name not in IGNORED_WHEN_EMPTY] if root.is_dir() else []
    if present and not force:
        shown = ", ".join(sorted(present)[:5]) + (", ..." if len(present) > 5 else "")
        raise InitError(f"{root} is not empty ({shown}); choose an empty folder, or pass --force to add the "
                        "knowledge base's files next to these (existing files are kept)")
    name = site_name or _title_from(root)
    install = Install(check_requirement(requirement), "the --requirement given") if requirement else \
        installed_requirement()
    report = InitReport(root, install=install)
    for rel, text in scaffold(name, today, install.requirement, engine).items():
        target = root.joinpath(*rel.parts)
        if target.exists() or target.is_symlink():
            report.kept.append(target)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "x", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        report.written.append(target)
    return report


def _title_from(root: Path) -> str:
    words = slugify(root.resolve().name).replace("-", " ").strip()
    return f"{words.capitalize()} postmortems" if words and "postmortem" not in words else \
        (words.capitalize() if words else "Postmortems")
