"""One scheduler leader among the ``k2publisher run`` processes sharing a PostgreSQL store.

Every process serves the web endpoints; only the leader recovers the ledger, catches up
and fires slots. The leader is the process holding the store lock ``scheduler`` (a
PostgreSQL session-level advisory lock on a connection of its own, see
:class:`k2publisher.locks.StoreLock`). Followers try to take it every :data:`POLL_SECONDS`;
the server frees it the moment the leader's session ends (the process died: its socket
closed) or, for a machine that vanished, when TCP keepalives give up on it (about 20 s), so
a follower takes over well within a minute. The leader checks its session at each poll; a
leader whose session broke has lost the lock (another process may lead already), so it stops
scheduling and exits (code 3) for its supervisor to restart it as a follower, rather than
risk firing a slot beside the new leader. The ledger's per-part claims stop a post going out
twice even then.

On SQLite there is one process per state folder (the instance lock of
:mod:`k2publisher.service.runner`): it is always the leader.
"""

from __future__ import annotations

import os
import socket
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

    def try_lead(self) -> bool:
        """Become the leader if nobody leads; True when this process leads."""
        if self.lock.try_acquire():
            if self.role != "leader":
                self.role = "leader"
                event("leader", note=f"{self.identity} fires the slots of {self.lock.where}")
            return True
        return False

    def still_leading(self) -> bool:
        """Whether the lock's session is alive (False once lost; the role becomes 'lost')."""
        if self.role == "leader" and not self.lock.still_held():
            self.role = "lost"
            event("leader-lost", note=f"{self.identity}: the connection holding the leader "
                                      "lock broke; another process may lead now")
            return False
        return self.role == "leader"

    def who_leads(self) -> str:
        """The leader as the server sees it (application name and address), or ''."""
        return self.lock.holder()

    def release(self) -> None:
        """Step down (at shutdown): a follower takes over at its next poll."""
        if self.role == "leader":
            event("leader-released", note=f"{self.identity} steps down")
        self.lock.release()
        self.role = "follower"
