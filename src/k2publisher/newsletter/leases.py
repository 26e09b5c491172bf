"""Which fan-out worker holds which delivery rows, and how a dead worker's rows come back.

Every fan-out process (``newsletter worker``, ``newsletter send``) registers a row in
``newsletter_workers`` with a lease (``lease_until``, epoch seconds) that a heartbeat
thread renews every third of its length. A delivery row it claims carries its id in
``owner``. A claimed row (``sending`` or ``awaiting``) whose owner has no live lease is
taken back by the next claim of any worker: ``sending`` rows are sent again (the final
dot was never written, so the server discarded them), ``awaiting`` rows are sent again
and counted as possible duplicates, exactly as after a crash of a single process.

Two ways a lease ends early, so a killed worker's rows come back at once rather than
after the lease lapses:

- a worker that stops normally deletes its row;
- each worker also holds an ``flock`` on ``<state>/newsletter-workers/<id>.lock`` for its
  whole life; a worker on the same machine that can take that lock knows the holder is
  dead (the kernel drops the lock however the process ended) and expires its lease.

Workers on other machines (a PostgreSQL store) wait for the lease to lapse: its length
bounds how long a dead worker's batch waits. Machines' clocks must agree to well under a
lease (NTP).

The claim statement is built here, once, for both stores: on SQLite the claiming
transaction is ``BEGIN IMMEDIATE`` (one writer at a time); on PostgreSQL the candidate
rows are locked with ``FOR UPDATE SKIP LOCKED`` so concurrent workers never wait on each
other's candidates.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
import socket
import threading
import time
from pathlib import Path
from typing import Any

from k2publisher.newsletter.store import now_iso

log = logging.getLogger("k2publisher.newsletter")

#: seconds a worker's claim survives without a heartbeat (bounds how long a batch of a
#: worker that died on another machine waits before another worker takes it)
DEFAULT_LEASE = 30.0
#: where the per-worker lock files live, under the state folder
LOCK_DIR = "newsletter-workers"


def dialect(store: Any) -> str:
    """``sqlite`` or ``postgresql``: which SQL a store speaks (SQLite unless it says)."""
    return str(getattr(store, "dialect", "sqlite"))


def locking(store: Any, table: str = "d") -> str:
    """The clause that locks a claim's candidate rows: PostgreSQL skips rows others hold.

    SQLite needs none: the claim runs in ``BEGIN IMMEDIATE``, which admits one writer.
    """
    return f" FOR UPDATE OF {table} SKIP LOCKED" if dialect(store) == "postgresql" else ""


def row_lock(store: Any) -> str:
    """The clause that locks one row read in a transaction before it is updated."""
    return " FOR UPDATE" if dialect(store) == "postgresql" else ""


#: the live workers' ids; ``?`` = now
LIVE_OWNERS = "SELECT id FROM newsletter_workers WHERE lease_until > ?"


def due_rows_sql(store: Any) -> str:
    """Rows ready to send: ``pending``, or ``deferred`` and due. Params: issue, now, limit."""
    return ("SELECT d.subscriber_id, s.email, s.state, d.state FROM newsletter_deliveries d "
            "JOIN newsletter_subscribers s ON s.id = d.subscriber_id "
            "WHERE d.issue_id = ? AND d.state IN ('pending', 'deferred') "
            "AND d.next_attempt <= ? LIMIT ?" + locking(store))


def orphaned_rows_sql(store: Any) -> str:
    """Claimed rows of other workers without a live lease. Params: issue, me, now, limit."""
    return ("SELECT d.subscriber_id, s.email, s.state, d.state FROM newsletter_deliveries d "
            "JOIN newsletter_subscribers s ON s.id = d.subscriber_id "
            "WHERE d.issue_id = ? AND d.state IN ('sending', 'awaiting') AND d.owner != ? "
            f"AND d.owner NOT IN ({LIVE_OWNERS}) LIMIT ?" + locking(store))


def machine_id() -> str:
    """This machine's boot: the same for every process on it, different elsewhere."""
    with contextlib.suppress(OSError):
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    return socket.gethostname()


class WorkerLease:
    """One fan-out process's registration: its id, its lease and the heartbeat that renews it.

    Use it as a context manager; while it is held, :attr:`id` owns the rows it claims.
    """

    def __init__(self, store: Any, *, lease: float = DEFAULT_LEASE,
                 lock_dir: Path | None = None):
        """Register on ``store`` for ``lease`` seconds at a time; ``lock_dir`` holds the
        per-worker lock files (default: ``newsletter-workers`` beside a SQLite store)."""
        self.store = store
        self.lease = float(lease)
        self.host = machine_id()
        self.id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        path = getattr(store, "path", None)
        self.lock_dir = lock_dir or (Path(path).parent / LOCK_DIR if path else None)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._fd: int | None = None

    def _lock_path(self, worker_id: str) -> Path:
        assert self.lock_dir is not None
        return self.lock_dir / (worker_id.replace("/", "_") + ".lock")

    def __enter__(self) -> WorkerLease:
        if self.lock_dir is not None:
            self.lock_dir.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self._lock_path(self.id), os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)  # a fresh file: nobody else can hold it
        self.store.execute("INSERT INTO newsletter_workers (id, host, pid, started_at, "
                           "lease_until) VALUES (?, ?, ?, ?, ?)",
                           (self.id, self.host, os.getpid(), now_iso(),
                            time.time() + self.lease))
        self._thread = threading.Thread(target=self._beat, daemon=True,
                                        name="newsletter-heartbeat")
        self._thread.start()
        log.info("worker %s: registered (lease %.0f s)", self.id, self.lease)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with contextlib.suppress(Exception):  # a closed store: the lease simply lapses
            self.store.execute("DELETE FROM newsletter_workers WHERE id = ?", (self.id,))
        if self._fd is not None:
            os.close(self._fd)
            with contextlib.suppress(OSError):
                self._lock_path(self.id).unlink()
            self._fd = None

    def _beat(self) -> None:
        while not self._stop.wait(self.lease / 3):
            try:
                self.renew()
            except Exception:  # the next beat tries again; a lapsed lease is safe anyway
                log.exception("worker %s: heartbeat failed", self.id)

    def renew(self) -> None:
        """Push the lease ``lease`` seconds ahead."""
        self.store.execute("UPDATE newsletter_workers SET lease_until = ? WHERE id = ?",
                           (time.time() + self.lease, self.id))

    def expire_dead_neighbours(self) -> list[str]:
        """End the leases of workers on this machine whose process is gone; their ids.

        A lock file that exists and that nobody holds belongs to a dead process. A worker
        of another machine has no lock file here and is left to its lease.
        """
        if self.lock_dir is None:
            return []
        rows = self.store.query("SELECT id FROM newsletter_workers WHERE host = ? AND id != ? "
                                "AND lease_until > ?", (self.host, self.id, time.time()))
        dead = [str(r[0]) for r in rows if self._is_dead(str(r[0]))]
        for worker_id in dead:
            log.warning("worker %s: worker %s died; its claimed rows are taken back",
                        self.id, worker_id)
            self.store.execute("UPDATE newsletter_workers SET lease_until = 0 WHERE id = ?",
                               (worker_id,))
            with contextlib.suppress(OSError):
                self._lock_path(worker_id).unlink()
        return dead

    def _is_dead(self, worker_id: str) -> bool:
        try:
            fd = os.open(self._lock_path(worker_id), os.O_RDWR)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        finally:
            os.close(fd)
        return True

