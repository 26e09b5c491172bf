"""Advisory file locks that name their holder: the one place k2publisher takes a lock.

A lock is ``flock(2)`` on a small file that holds the pid of the process owning it. The
kernel drops the lock when that process dies, however it dies (SIGKILL included), so a
stale lock file never blocks anyone. The file is opened without truncation, so a process
that fails to get the lock never erases the holder's pid.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from k2publisher.errors import LockHeldError

#: how often a waiting process tries again
POLL_SECONDS = 0.1


def holder(path: Path) -> int | None:
    """The pid written in the lock file ``path`` (None when unknown)."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


@contextlib.contextmanager
def hold(path: Path, *, what: str, wait: float = 0.0,
         error: type[LockHeldError] = LockHeldError) -> Iterator[Path]:
    """Hold the exclusive lock ``path`` for the ``with`` block.

    Waits up to ``wait`` seconds for a holder to let go, then raises ``error`` (a
    :class:`~k2publisher.errors.LockHeldError`) naming what is locked and the holder's pid.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + max(0.0, wait)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise error(what, path, holder(path), wait) from None
                time.sleep(POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the descriptor releases the lock
