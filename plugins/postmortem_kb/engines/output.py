"""The output folder: what a build may replace, and a swap that never loses the published site.

Every engine builds the whole site into a fresh folder beside the output folder
(``.pmkb-building-<name>-*``); only a complete build takes the output folder's place. Three
rules keep everything else safe:

* **Only a site is replaced.** The output folder must be missing, empty, or made by an earlier
  build (it holds the marker file :data:`MARKER`). The KB, its sources (postmortems, docs,
  templates, taxonomy), ``.git`` and every folder around the KB are refused whatever they hold.
  The marker guards against mistakes (a mistyped ``--site-dir``), not against the site's
  configuration, which is trusted.
* **The site is there at every moment.** On Linux the new and the old folder are exchanged in
  one step (``renameat2(RENAME_EXCHANGE)``). Elsewhere it takes two renames, and a build killed
  between them leaves the old site aside under ``.pmkb-replaced-<name>-*``, which the next
  build puts back before anything else.
* **Nothing is left behind for long.** A build folder is locked (``flock``) by the build that
  writes it; the next build removes the folders whose build is gone (killed, out of power).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no locks, so leftovers are only removed when a day old
    fcntl = None  # type: ignore[assignment]

MARKER = ".pmkb-site"
MARKER_TEXT = ("This folder is a site built by `pmkb build`. The next build replaces it whole;\n"
               "a folder without this file is never replaced.\n")
BUILDING_PREFIX = ".pmkb-building-"
REPLACED_PREFIX = ".pmkb-replaced-"
_SUFFIX = r"-[a-z0-9_]{8}"  # what tempfile.mkdtemp adds
_STALE_WITHOUT_LOCKS = 24 * 3600  # seconds; only where flock does not exist


class UnsafeOutput(Exception):
    """The output folder may not be replaced; the message says why and what to choose instead."""


def check_target(target: Path, *, kb_root: Path, protected: dict[str, Path | None]) -> None:
    """Refuse an output folder that is not a site: the KB, a folder around it, one of its
    sources (``protected``: what each folder is, for the message), ``.git``, a file, or a
    folder with content that no build made. ``target`` is resolved."""
    kb_root = kb_root.resolve()
    if target == kb_root or kb_root.is_relative_to(target):
        raise UnsafeOutput(f"{target} holds the knowledge base itself; choose a folder of its own, e.g. site")
    if ".git" in target.parts:
        raise UnsafeOutput(f"{target} is inside a Git repository's own folder; choose a folder of its own, e.g. site")
    for what, folder in protected.items():
        if folder is None:
            continue
        folder = folder.resolve()
        if target == folder or target.is_relative_to(folder) or folder.is_relative_to(target):
            raise UnsafeOutput(f"{target} is or holds {what} ({folder}); choose a folder of its own, e.g. site")
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise UnsafeOutput(f"{target} is a file, not a folder")
    if target.is_dir() and not is_site_or_empty(target):
        raise UnsafeOutput(f"{target} is not empty and was not made by `pmkb build` (it has no {MARKER} file), "
                           "so it is not replaced; choose another folder, or empty this one first")


def is_site_or_empty(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            names = {e.name: e for e in entries}
    except OSError:
        return False
    marker = names.get(MARKER)
    return not names or (marker is not None and marker.is_file(follow_symlinks=False))


def protected_folders(kb_root: Path, **named: Path | None) -> dict[str, Path | None]:
    """The KB's sources, plus the repository around it (its ``.git``)."""
    folders: dict[str, Path | None] = dict(named)
    folders.setdefault("the templates folder", kb_root / "templates")
    folders["the KB's .pmkb folder"] = kb_root / ".pmkb"
    for parent in (kb_root, *kb_root.parents):
        if (parent / ".git").exists():
            folders["the Git repository"] = parent / ".git"
            break
    return folders


# --- the build folder -----------------------------------------------------------------------

class BuildFolder:
    """A fresh folder beside ``target`` to build into, locked for as long as the build runs."""

    def __init__(self, target: Path):
        self.target = target
        target.parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=f"{BUILDING_PREFIX}{target.name}-", dir=target.parent))
        self._fd: int | None = None
        try:
            # mkdtemp makes a private folder (0700); a published site is readable like any new folder.
            os.chmod(self.path, 0o777 & ~_umask())
            if fcntl is not None:
                self._fd = os.open(self.path, os.O_RDONLY)
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BaseException:
            self.close()
            shutil.rmtree(self.path, ignore_errors=True)
            raise

    def mark(self, site: Path) -> None:
        """Write the marker that lets the next build replace this site."""
        (site / MARKER).write_text(MARKER_TEXT, encoding="utf-8")

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def remove(self) -> None:
        self.close()
        shutil.rmtree(self.path, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# --- the swap --------------------------------------------------------------------------------

def swap_in(new: Path, target: Path) -> None:
    """Put the complete site ``new`` in ``target``'s place; the old site is removed last.

    ``new`` and ``target`` are in the same folder (one filesystem). A failure leaves ``target``
    as it was."""
    with _folder_lock(target.parent):
        if not target.exists():
            os.rename(new, target)
            return
        if _exchange(new, target):
            shutil.rmtree(new, ignore_errors=True)  # it holds the old site now
            return
        aside = Path(tempfile.mkdtemp(prefix=f"{REPLACED_PREFIX}{target.name}-", dir=target.parent))
        aside.rmdir()  # only the unique name is wanted; os.rename needs it free
        os.rename(target, aside)
        # A kill here leaves no `target`: recover() puts `aside` back at the next build.
        try:
            os.rename(new, target)
        except BaseException:
            os.rename(aside, target)
            raise
        shutil.rmtree(aside, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux 3.15+, glibc 2.28+); False where that cannot be done."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False  # this filesystem cannot: fall back to two renames
    raise OSError(code, os.strerror(code), str(b))


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Only one build at a time swaps or recovers the sites of one folder."""
    if fcntl is None:
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


# --- what killed builds left -------------------------------------------------------------------

def recover(target: Path) -> list[str]:
    """Before a build: put back the site a killed swap left aside, and remove the build folders
    and old sites of builds that are gone. Returns what was done, one line each."""
    parent = target.parent
    if not parent.is_dir():
        return []
    done: list[str] = []
    building = re.compile(re.escape(BUILDING_PREFIX + target.name) + _SUFFIX + r"\Z")
    replaced = re.compile(re.escape(REPLACED_PREFIX + target.name) + _SUFFIX + r"\Z")
    with _folder_lock(parent):
        entries = [p for p in parent.iterdir() if p.is_dir() and not p.is_symlink()]
        asides = sorted((p for p in entries if replaced.match(p.name)), key=lambda p: p.stat().st_mtime)
        if asides and not os.path.lexists(target):
            os.rename(asides.pop(), target)
            done.append(f"put back the site a stopped build had moved aside, in {target}")
        for old in asides:
            shutil.rmtree(old, ignore_errors=True)
            done.append(f"removed {old.name}, an old site a stopped build left")
        for folder in entries:
            if building.match(folder.name) and _abandoned(folder):
                shutil.rmtree(folder, ignore_errors=True)
                done.append(f"removed {folder.name}, left by a stopped build")
    return done


def _abandoned(folder: Path) -> bool:
    """No running build holds the folder's lock."""
    if fcntl is None:
        import time
        return time.time() - folder.stat().st_mtime > _STALE_WITHOUT_LOCKS
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
