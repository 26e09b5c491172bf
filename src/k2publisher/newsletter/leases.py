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
- each worker also holds a store lock (:class:`~k2publisher.locks.StoreLock`) named after
  its id for its whole life: a file lock beside a SQLite store, a session advisory lock on
  PostgreSQL. Any worker that can take a live-looking worker's lock knows that worker is
  dead (the kernel, or the database server, dropped the lock with its process or its
  session) and ends its lease. On PostgreSQL this works across machines: a killed
  process's session closes at once; a vanished machine's within about 20 seconds (TCP
  keepalives), or when its lease lapses, whichever comes first.

The claim statement is built here, once, for both stores: on SQLite the claiming
transaction is ``BEGIN IMMEDIATE`` (one writer at a time); on PostgreSQL the candidate
rows are locked with ``FOR UPDATE SKIP LOCKED`` so concurrent workers never wait on each
other's candidates.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import threading
import time
from datetime import UTC, datetime
from typing import Any

from k2publisher.errors import StoreUnavailableError
from k2publisher.locks import StoreLock
from k2publisher.newsletter.store import now_iso

log = logging.getLogger("k2publisher.newsletter")

#: seconds a worker's claim survives without a heartbeat (bounds how long a batch of a
#: worker that died on another machine waits before another worker takes it)
DEFAULT_LEASE = 30.0
#: seconds between two looks for dead workers (each look probes every live-looking one)
PROBE_SECONDS = 1.0


def dialect(store: Any) -> str:
    """``sqlite`` or ``postgresql``: which SQL a store speaks (SQLite unless it says)."""
    return str(getattr(store, "dialect", "sqlite"))


def locking(store: Any, table: str = "d") -> str:
    """The clause that locks a claim's candidate rows: PostgreSQL skips rows others hold.

    SQLite needs none: the claim runs in ``BEGIN IMMEDIATE``, which admits one writer.
    """
    return f" FOR UPDATE OF {table} SKIP LOCKED" if dialect(store) == "postgresql" else ""


def deliveries_by_state(store: Any) -> str:
    """``newsletter_deliveries d``, read through its ``(issue_id, state)`` index.

    For the few claimed rows of a state (``sending``, ``awaiting``, ``deferred``). SQLite's
    planner (without ``ANALYZE`` statistics) prefers the primary key ``(issue_id,
    subscriber_id)`` for ``issue_id = ? AND state IN (...)``: it walks every row of the
    issue, sent ones included (67 ms at 40,000 rows, against 0.1 ms through the index).
    PostgreSQL's statistics see these states as rare and pick the index themselves.
    """
    if dialect(store) == "postgresql":
        return "newsletter_deliveries d"
    return "newsletter_deliveries d INDEXED BY newsletter_deliveries_state"


def row_lock(store: Any) -> str:
    """The clause that locks one row read in a transaction before it is updated."""
    return " FOR UPDATE" if dialect(store) == "postgresql" else ""


#: the live workers' ids; ``?`` = now
LIVE_OWNERS = "SELECT id FROM newsletter_workers WHERE lease_until > ?"


def due_rows_sql(store: Any) -> str:
    """Rows ready to send: ``pending``, or ``deferred`` and due, with a subscriber id in
    ``(after, upto]``, in id order. Params: issue, now, after, upto, after, upto, limit.

    The id range is the claimer's cursor (see ``Issues.claim``): both planners read this
    through the primary key ``(issue_id, subscriber_id)`` from the cursor on, so a claim
    does not walk the rows already sent (without it, PostgreSQL's plan for ``LIMIT`` walked
    them all: 0.9 s a claim once 170,000 of 1,000,000 were sent, growing with each page).
    The range is repeated on the subscribers (``s.id``): PostgreSQL does not carry an
    inequality across the join, and its merge join read the subscribers from the first
    id (0.28 s against 0.01 s at 320,000).
    """
    return ("SELECT d.subscriber_id, s.email, s.state, d.state FROM newsletter_deliveries d "
            "JOIN newsletter_subscribers s ON s.id = d.subscriber_id "
            "WHERE d.issue_id = ? AND d.state IN ('pending', 'deferred') "
            "AND d.next_attempt <= ? AND d.subscriber_id > ? AND d.subscriber_id <= ? "
            "AND s.id > ? AND s.id <= ? ORDER BY d.subscriber_id LIMIT ?" + locking(store))


def orphaned_rows_sql(store: Any) -> str:
    """Claimed rows of other workers without a live lease. Params: issue, me, now, limit."""
    return (f"SELECT d.subscriber_id, s.email, s.state, d.state FROM {deliveries_by_state(store)} "
            "JOIN newsletter_subscribers s ON s.id = d.subscriber_id "
            "WHERE d.issue_id = ? AND d.state IN ('sending', 'awaiting') AND d.owner != ? "
            f"AND d.owner NOT IN ({LIVE_OWNERS}) LIMIT ?" + locking(store))


def lock_name(worker_id: str) -> str:
    """The store lock a worker holds while it lives."""
    return "newsletter-worker-" + "".join(c if c.isalnum() or c in "-." else "_"
                                          for c in worker_id)


class WorkerLease:
    """One fan-out process's registration: its id, its lease and the heartbeat that renews it.

    Use it as a context manager; while it is held, :attr:`id` owns the rows it claims.
    """

    def __init__(self, store: Any, *, lease: float = DEFAULT_LEASE):
        """Register on ``store`` (a :class:`NewsletterStore`) for ``lease`` seconds at a
        time, renewed by a heartbeat."""
        self.store = store
        self.lease = float(lease)
        self.id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._lock = StoreLock(store.db, lock_name(self.id))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._probed = 0.0
        self._abandoned = False

    def __enter__(self) -> WorkerLease:
        if not self._lock.try_acquire():  # a fresh name: nobody else can hold it
            raise RuntimeError(f"worker {self.id}: its store lock is taken")
        self.store.execute("INSERT INTO newsletter_workers (id, host, pid, started_at, "
                           "lease_until) VALUES (?, ?, ?, ?, ?)",
                           (self.id, socket.gethostname(), os.getpid(), now_iso(),
                            time.time() + self.lease))
        self._thread = threading.Thread(target=self._beat, daemon=True,
                                        name="newsletter-heartbeat")
        self._thread.start()
        log.info("worker %s: registered (lease %.0f s)", self.id, self.lease)
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._stop.set()
        if isinstance(exc, StoreUnavailableError):
            self.abandon()
        if self._thread is not None:
            # a heartbeat stuck on a store that went away is not waited for (a daemon)
            self._thread.join(timeout=0 if self._abandoned else None)
        if not self._abandoned:
            with contextlib.suppress(Exception):  # a closed store: the lease simply lapses
                self.store.execute("DELETE FROM newsletter_workers WHERE id = ?", (self.id,))
        self._lock.discard()

    def abandon(self) -> None:
        """The store stopped answering: leave without deregistering (waiting for it would
        take the pool's timeout again). The lease row stays; the store lock went with its
        session, so the next worker's probe ends the lease and takes the rows back."""
        self._abandoned = True

    def _beat(self) -> None:
        while not self._stop.wait(self.lease / 3):
            try:
                self.renew()
                self._keep_lock()
            except StoreUnavailableError as exc:  # the run finds out and says so
                log.warning("worker %s: heartbeat: %s", self.id, exc)
            except Exception:  # the next beat tries again; a lapsed lease is safe anyway
                log.exception("worker %s: heartbeat failed", self.id)

    def _keep_lock(self) -> None:
        """Take the store lock again when its session ended under a live worker (the
        PostgreSQL server restarted). Meanwhile another worker may have found it free and
        taken this one's rows: they are its own now (this one's ``awaiting`` commits on
        them are refused), so nothing is sent twice either way."""
        if self._lock.still_held():
            return
        if self._lock.try_acquire():
            log.warning("worker %s: its store lock had gone with its session (a database "
                        "restart); taken again", self.id)

    def renew(self) -> None:
        """Push the lease ``lease`` seconds ahead."""
        self.store.execute("UPDATE newsletter_workers SET lease_until = ? WHERE id = ?",
                           (time.time() + self.lease, self.id))

    def expire_dead_workers(self) -> list[str]:
        """End the leases of workers whose process is gone; their ids.

        A live-looking worker whose store lock this worker can take is dead. Looked at
        at most every :data:`PROBE_SECONDS` (a probe is a connection on PostgreSQL).
        """
        now = time.time()
        if now - self._probed < PROBE_SECONDS:
            return []
        self._probed = now
        rows = self.store.query("SELECT id FROM newsletter_workers WHERE id != ? AND "
                                "lease_until > ?", (self.id, now))
        dead = [str(r[0]) for r in rows if self._is_dead(str(r[0]))]
        for worker_id in dead:
            log.warning("worker %s: worker %s died; its claimed rows are taken back",
                        self.id, worker_id)
            self.store.execute("UPDATE newsletter_workers SET lease_until = 0 WHERE id = ?",
                               (worker_id,))
        return dead

    def _is_dead(self, worker_id: str) -> bool:
        probe = StoreLock(self.store.db, lock_name(worker_id))
        if not probe.try_acquire():
            return False
        probe.discard()
        return True


def workers(store: Any, issue_id: str | None = None) -> list[dict[str, Any]]:
    """The registered workers, newest first: id, host, pid, when it started, until when
    its lease runs (ISO), whether that is still ahead, and the rows of ``issue_id`` it holds
    (``sending`` and ``awaiting``; 0 without an issue)."""
    now = time.time()
    held: dict[str, int] = {}
    if issue_id is not None:
        held = {str(r[0]): int(r[1]) for r in store.query(
            "SELECT owner, count(*) FROM newsletter_deliveries WHERE issue_id = ? AND state "
            "IN ('sending', 'awaiting') GROUP BY owner", (issue_id,))}
    out = []
    for row in store.query("SELECT id, host, pid, started_at, lease_until FROM "
                           "newsletter_workers ORDER BY started_at DESC"):
        until = float(row[4])
        out.append({"id": str(row[0]), "host": str(row[1]), "pid": int(row[2]),
                    "started_at": str(row[3]),
                    "lease_until": datetime.fromtimestamp(until, UTC).isoformat(
                        timespec="seconds") if until else None,
                    "alive": until > now, "rows_held": held.get(str(row[0]), 0)})
    return out
