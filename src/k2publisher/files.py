"""File modes in one place: what the web may read, and what stays private.

Public files (the feed, archive pages, outbox files, queue files) get the mode an ordinary
``open()`` would give them, ``0666`` minus the umask (``0644`` under the usual ``022``), so a
web server running as another user can read them. State files (the ledger, the newsletter
store, keys, caches) live in a folder created ``0700`` and are written ``0600``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def umask() -> int:
    """The process umask, read without changing it (Linux ``/proc``), else set and restored."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current


def public_mode() -> int:
    """The mode a new public file gets: ``0666`` minus the umask."""
    return 0o666 & ~umask()


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) as a private folder; an existing folder is left as is."""
    path = Path(path)
    if not path.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        os.chmod(path, PRIVATE_DIR)  # mkdir's mode is filtered by the umask
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty with mode ``0600`` unless it exists (SQLite then keeps the mode
    for its ``-wal`` and ``-shm`` files)."""
    path = Path(path)
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    return path


def write_atomic(path: Path, data: str | bytes, *, private: bool = False) -> None:
    """Write ``data`` to ``path`` via a temporary file and a rename (never half a file).

    The file is readable by others as the umask allows (``private=False``), or ``0600``.
    """
    path = Path(path)
    if private:
        private_dir(path.parent)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, PRIVATE_FILE if private else public_mode())
        if isinstance(data, bytes):
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
