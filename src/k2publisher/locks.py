"""Advisory locks that name their holder: the one place k2publisher takes a lock.

A file lock (:func:`hold`) is ``flock(2)`` on a small file that holds the pid of the process
owning it. The kernel drops the lock when that process dies, however it dies (SIGKILL
included), so a stale lock file never blocks anyone. The file is opened without truncation,
so a process that fails to get the lock never erases the holder's pid.

A store lock (:class:`StoreLock`, :func:`hold_in_store`) is held by every process sharing
one store, wherever it runs: on SQLite it is a file lock beside the database file; on
PostgreSQL a session-level advisory lock (``pg_try_advisory_lock``) on a connection of its
own, which the server drops as soon as that session ends (the process died, or its machine
stopped answering TCP keepalives).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


#: PostgreSQL session settings of a lock's connection: the server notices a vanished
#: client within about idle + interval * count seconds (20 s), so the lock is freed
KEEPALIVE = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5,
             "keepalives_count": 2, "tcp_user_timeout": 20_000}


def lock_key(name: str) -> int:
    """The signed 64-bit advisory-lock key of a lock name (stable across processes)."""
    digest = hashlib.sha256(f"k2publisher:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class StoreLock:
    """A named lock shared by every process on one store; try, check and release it.

    ``db`` is a :class:`k2publisher.database.Database`. Not thread-safe: one owner thread.
    """

    def __init__(self, db: Any, name: str):
        self.name = name
        self.where = db.where
        self._url: str | None = getattr(db, "url", None)
        self._path = None if self._url else Path(db.path).parent / f"{name}.lock"
        self._fd: int | None = None
        self._conn: Any = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock (as far as it last knew)."""
        return self._fd is not None or self._conn is not None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; True when held (also when already held)."""
        if self.held:
            return True
        if self._path is not None:
            return self._try_file(self._path)
        import psycopg

        conn = psycopg.connect(self._url, autocommit=True, connect_timeout=10,
                               application_name=f"k2publisher {socket.gethostname()[:30]} "
                                                f"pid {os.getpid()} {self.name}"[:63],
                               **KEEPALIVE)
        try:
            got = conn.execute("SELECT pg_try_advisory_lock(%s)",
                               (lock_key(self.name),)).fetchone()[0]
        except BaseException:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def _try_file(self, path: Path) -> bool:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        self._fd = fd
        return True

    def still_held(self) -> bool:
        """Check with the server that the lock's session lives (a round trip on PostgreSQL).

        False (and the lock counted as lost) when the connection broke: the server has
        then dropped the lock, and another process may hold it now.
        """
        if self._conn is None:
            return self._fd is not None
        try:
            self._conn.execute("SELECT 1").fetchone()
            return True
        except Exception:  # the session is gone, and the lock with it
            self._drop()
            return False

    def holder(self) -> str:
        """Who holds the lock, as far as can be told (``"host pid 123"``, or ``""``)."""
        if self._path is not None:
            pid = holder(self._path)
            return f"pid {pid}" if pid else ""
        import psycopg

        try:
            with psycopg.connect(self._url, autocommit=True, connect_timeout=10) as conn:
                row = conn.execute(
                    "SELECT a.application_name, a.client_addr FROM pg_locks l JOIN "
                    "pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND "
                    "l.granted AND l.objsubid = 1 AND "
                    "((l.classid::bigint << 32) | l.objid::bigint) = %s",
                    (lock_key(self.name),)).fetchone()
        except psycopg.Error:
            return ""
        if row is None:
            return ""
        return str(row[0]).removeprefix("k2publisher ").rsplit(" ", 1)[0] + \
            (f" on {row[1]}" if row[1] else "")

    def release(self) -> None:
        """Let the lock go (nothing when not held)."""
        if self._conn is not None:
            with contextlib.suppress(Exception):  # a broken session released it already
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key(self.name),))
        self._drop()

    def discard(self) -> None:
        """Release the lock and remove its file (for a lock whose name is not used again;
        on PostgreSQL the same as :meth:`release`)."""
        path = self._path
        self.release()
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink()

    def _drop(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None


#: the ``pg_locks`` test of whether a session holds the advisory lock ``%s`` (a
#: :func:`lock_key`): PostgreSQL splits a bigint key into ``classid`` (high) and ``objid``
HELD_SQL = ("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = ?)")


def holder_pid(who: str) -> int | None:
    """The pid in a :meth:`StoreLock.holder` answer (None when it names none)."""
    found = re.search(r"\bpid (\d+)", who)
    return int(found.group(1)) if found else None
