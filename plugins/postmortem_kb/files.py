"""Reading and writing files of the repository safely: one way for every module.

- :func:`read_regular_file` checks the type and size *before* reading: a symlink to
  ``/dev/zero``, a FIFO or a socket is refused without blocking, and a 3 GiB file is not read
  whole to find out that it is too large.
- :func:`atomic_write` replaces a file in one step (a temporary file in the same folder, then
  ``os.replace``), so a crash or a full disk never leaves half a file behind.
- :func:`kb_cache_dir` is where what is derived from a KB (the search index, its ids) is kept:
  in the user's cache folder, never in the repository, where a pull request could ship one.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from pathlib import Path


class FileRefused(OSError):
    """A path that is not a regular file, or a file over the size limit; ``reason`` says which."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason  # "not-a-file" | "too-large"
        self.message = message


def file_kind(mode: int) -> str | None:
    """What a file of this type is, in words, or None for a regular file (the only kind we read)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def read_regular_file(path: Path | str, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    Raises :class:`FileRefused` for anything else (checked on the open file, so a path that
    changes between the check and the read cannot slip through), and OSError when unreadable.
    """
    info = os.stat(path)  # opening a socket fails, and opening a device may have effects
    if not stat.S_ISREG(info.st_mode):
        raise FileRefused("not-a-file", f"the path is {file_kind(info.st_mode)}, not a file")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused("not-a-file", f"the path is {file_kind(info.st_mode)}, not a file")
        if info.st_size > limit:
            raise FileRefused("too-large", f"the file is {info.st_size:,} bytes; the limit is {limit:,}")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:  # a file that grows while it is read stops at the limit
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise FileRefused("too-large", f"the file is over {limit:,} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def atomic_write(path: Path | str, data: str | bytes, *, encoding: str = "utf-8", exclusive: bool = False) -> Path:
    """Write ``data`` to ``path`` in one step: readers see the old file or the new one, never
    a part. The temporary file is in the same folder (``os.replace`` cannot cross file
    systems) and is removed if the write fails (a full disk leaves the old file as it was).

    With ``exclusive``, an existing file is never replaced (FileExistsError): the complete
    file is linked into place, which fails when the name is taken, so there is no moment when
    another writer's file could be overwritten or a half-written one seen."""
    path = Path(path)
    payload = data.encode(encoding) if isinstance(data, str) else data
    import tempfile  # for writers only: most commands never write

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private (0600): give it the mode the file had, or that a new
        # file gets, so that a rewrite does not hide a postmortem from its readers.
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except OSError:
            mode = 0o666 & ~_umask()
        os.chmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        if exclusive:
            _link_new(tmp, path, payload)
        else:
            os.replace(tmp, path)
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
    return path


def _link_new(tmp: str, path: Path, payload: bytes) -> None:
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        # A file system without hard links: create the name exclusively, then fill it.
        with open(path, "xb") as fh:
            fh.write(payload)


def _umask() -> int:
    """The process's umask, read without changing it where the system says it (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore at once
    os.umask(mask)
    return mask


def cache_root() -> Path:
    """The user's cache folder for postmortem-kb: ``$XDG_CACHE_HOME/postmortem-kb``, else ``~/.cache/postmortem-kb``."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(base) if base and os.path.isabs(base) else Path.home() / ".cache") / "postmortem-kb"


def kb_cache_dir(kb_root: Path | str) -> Path:
    """The cache folder of the KB at ``kb_root``: one per resolved KB path (not created here)."""
    root = Path(kb_root).resolve()
    key = hashlib.sha256(os.fsencode(root)).hexdigest()[:24]
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", root.name).strip("-")[:40] or "kb"
    return cache_root() / f"{name}-{key}"
