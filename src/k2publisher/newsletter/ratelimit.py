"""The newsletter's rate limit, shared by every worker through the database.

One policy, written once: messages are spaced evenly, ``1 / per_second`` apart, and no
sliding hour carries more than ``per_hour`` (0 = no limit for either). Its state is one row
per transport in ``newsletter_rate`` (the time the next message may go) and one row per
minute in ``newsletter_rate_minutes`` (messages sent in that minute), so any number of
processes on any number of machines sharing the store share the limit: two workers at
``rate_per_second = 10`` send 10 a second together, not 20.

Spacing works by reservation (the generic cell rate algorithm): a caller asking for ``n``
messages reads ``next_free``, takes ``max(now, next_free)`` as its start and moves
``next_free`` to ``start + n / per_second`` in the same transaction, then sleeps until its
start. A batch call (an ESP's 500 messages) reserves its whole size, so the next one waits
for it. The hour is counted in whole minutes and the minute in progress plus the 60 before
it are summed, which can only under-count the room left: the limit is never exceeded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from k2publisher.newsletter.leases import row_lock

#: how many minute rows make the sliding hour (the current one plus sixty)
HOUR_MINUTES = 61


class RateLimiter:
    """Blocks callers to stay under ``per_second`` and a sliding ``per_hour`` (0 = off).

    ``store`` is the newsletter store all workers share; ``name`` the transport's row
    (the newsletter channel's name). With both limits 0 it never touches the database.
    """

    def __init__(self, store: Any = None, name: str = "newsletter", per_second: float = 0,
                 per_hour: int = 0, *, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep):
        self.store = store
        self.name = name
        self.per_second = float(per_second or 0)
        self.per_hour = int(per_hour or 0)
        self.clock = clock
        self.sleep = sleep
        if self.limited and store is None:
            raise ValueError("a rate limit needs the store the workers share")

    @property
    def limited(self) -> bool:
        """Whether any limit is set."""
        return bool(self.per_second or self.per_hour)

    def _reserve(self, n: int) -> float:
        """Take ``n`` messages' room if the hour has it; seconds to wait before sending.

        A negative answer means the hour is full: wait that long (its absolute value) and
        ask again; nothing was reserved.
        """
        now = self.clock()
        minute = int(now // 60)
        with self.store.transaction() as conn:
            conn.execute("INSERT INTO newsletter_rate (name, next_free) VALUES (?, 0) "
                         "ON CONFLICT (name) DO NOTHING", (self.name,))
            next_free = float(conn.execute(
                "SELECT next_free FROM newsletter_rate WHERE name = ?" + row_lock(self.store),
                (self.name,)).fetchone()[0])
            if self.per_hour:
                rows = conn.execute("SELECT minute, sent FROM newsletter_rate_minutes "
                                    "WHERE name = ? AND minute > ? ORDER BY minute",
                                    (self.name, minute - HOUR_MINUTES)).fetchall()
                used = sum(int(r[1]) for r in rows)
                if used and used + n > self.per_hour:
                    # room comes back when the oldest counted minute leaves the window
                    oldest = int(rows[0][0])
                    return -max(0.001, (oldest + HOUR_MINUTES) * 60 - now)
                conn.execute("INSERT INTO newsletter_rate_minutes (name, minute, sent) "
                             "VALUES (?, ?, ?) ON CONFLICT (name, minute) DO UPDATE SET "
                             "sent = newsletter_rate_minutes.sent + excluded.sent",
                             (self.name, minute, n))
                conn.execute("DELETE FROM newsletter_rate_minutes WHERE name = ? AND "
                             "minute <= ?", (self.name, minute - HOUR_MINUTES))
            start = max(now, next_free)
            if self.per_second:
                conn.execute("UPDATE newsletter_rate SET next_free = ? WHERE name = ?",
                             (start + n / self.per_second, self.name))
        return start - now

    def acquire(self, stop: threading.Event | None = None, n: int = 1) -> bool:
        """Wait for room for ``n`` messages and take it; False if ``stop`` was set meanwhile.

        ``n`` above ``per_hour`` is taken alone in an empty hour (a batch cannot be split
        here; keep batches below the hourly limit).
        """
        if not self.limited:
            return True
        while True:
            wait = self._reserve(n)
            if wait >= 0:
                return self._pause(wait, stop)
            if not self._pause(-wait, stop):
                return False

    def _pause(self, seconds: float, stop: threading.Event | None) -> bool:
        if seconds <= 0:
            return True
        if stop is None:
            self.sleep(seconds)
            return True
        return not stop.wait(seconds)
