"""One scheduler leader among the ``k2publisher run`` processes sharing a PostgreSQL store.

Every process serves the web endpoints; only the leader recovers the ledger, catches up
and fires slots. The leader is the process holding the store lock ``scheduler`` (a
PostgreSQL session-level advisory lock on a connection of its own, see
:class:`k2publisher.locks.StoreLock`). Followers try to take it every :data:`POLL_SECONDS`;
the server frees it the moment the leader's session ends (the process died: its socket
closed) or, for a machine that vanished, when TCP keepalives give up on it (about 20 s), so
a follower takes over well within a minute. The leader checks its session at each poll and
before every slot and tick it fires; a leader whose session broke (the database restarted,
its connection was killed or cut) has lost the lock, and another process may lead already:
it fires nothing more, steps down in place (its scheduler stops, the delivery in flight
finishes, the web endpoints keep serving) and follows again, trying to lead at every poll
like any follower. The ledger's per-part claims stop a post going out twice even if two
processes ever delivered at once.

On SQLite there is one process per state folder (the instance lock of
:mod:`k2publisher.service.runner`): it is always the leader.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

from k2publisher.locks import StoreLock
from k2publisher.service.logs import event

#: the store lock that elects the leader
LOCK_NAME = "scheduler"
#: how often a follower tries to lead, and a leader checks its lock (seconds)
POLL_SECONDS = 5.0


class Election:
    """This process's side of the election on the store of ``db`` (a
    :class:`~k2publisher.database.Database`; the lock keeps a connection of its own)."""

    def __init__(self, db: Any):
        self.lock = StoreLock(db, LOCK_NAME)
        #: "follower", "leader", or "lost" (the lock's session broke): what /healthz says
        self.role = "follower"
        self.identity = f"{socket.gethostname()} pid {os.getpid()}"
        #: the scheduler's jobs and the main loop both ask :meth:`still_leading`
        self._guard = threading.Lock()
        #: why the last try to lead could not reach the server ("" = it could)
        self.unreachable = ""

    def try_lead(self) -> bool:
        """Become the leader if nobody leads; True when this process leads.

        A server that cannot be reached is not an error here: this process follows and
        tries again at its next poll (logged once per outage, ``outcome=store-unreachable``).
        """
        with self._guard:
            try:
                got = self.lock.try_acquire()
            except Exception as exc:  # psycopg.OperationalError, OSError: the server is away
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() \
                    else type(exc).__name__
                if not self.unreachable:
                    event("store-unreachable", level=logging.WARNING,
                          note=f"{self.identity} cannot reach {self.lock.where} to take the "
                               f"leader lock ({reason}); following, and trying again every "
                               f"{POLL_SECONDS:g} s")
                self.unreachable = reason
                return False
            if self.unreachable:
                event("store-reachable", note=f"{self.lock.where} answers again")
                self.unreachable = ""
            if got and self.role != "leader":
                self.role = "leader"
                event("leader", note=f"{self.identity} fires the slots of {self.lock.where}")
            return got

    def still_leading(self) -> bool:
        """Whether the lock's session is alive (False once lost; the role becomes 'lost').

        A round trip on the lock's connection: the scheduler asks before every slot and
        tick, so a leader that lost its lock fires nothing, even before its next poll.
        """
        with self._guard:
            if self.role == "leader" and not self.lock.still_held():
                self.role = "lost"
                event("leader-lost", level=logging.WARNING,
                      note=f"{self.identity}: the connection holding the leader lock broke; "
                           "another process may lead now: firing nothing more")
                return False
            return self.role == "leader"

    def step_down(self) -> None:
        """Follow again after the lock was lost (the caller stopped the scheduler)."""
        with self._guard:
            self.lock.release()
            self.role = "follower"
        event("follower", note=f"{self.identity} stepped down: it serves the web endpoints "
                               f"and tries to lead every {POLL_SECONDS:g} s")

    def who_leads(self) -> str:
        """The leader as the server sees it (application name and address), or ''."""
        return self.lock.holder()

    def release(self) -> None:
        """Step down (at shutdown): a follower takes over at its next poll."""
        if self.role == "leader":
            event("leader-released", note=f"{self.identity} steps down")
        self.lock.release()
        self.role = "follower"
