"""Issues and their delivery rows: one row per (issue, subscriber) and its state.

Delivery states::

    pending  -> sending  -> awaiting -> sent
       ^          |            |
       |          +------------+-----> deferred (4xx, lost connection: retried later)
       |                       |       bounced  (5xx to RCPT TO: the subscriber bounced)
       +--- (resume) ----------+       failed   (message refused, or retries used up)
                                       skipped  (no longer confirmed when its turn came)

``sending`` means claimed by a worker, the final dot not yet written: safe to send again.
``awaiting`` is committed right before the final dot and means "the server may have it".
Each claimed row names its worker (``owner``); when that worker dies, the next claim of
any worker takes the row back: a ``sending`` row is sent again, an ``awaiting`` row is
sent again and counted as a possible duplicate (``assumed``). See docs/newsletter.md,
"Crash safety", and :mod:`k2publisher.newsletter.leases`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass

from k2publisher.errors import LeaseLostError
from k2publisher.newsletter.leases import (
    deliveries_by_state,
    due_rows_sql,
    orphaned_rows_sql,
    row_lock,
)
from k2publisher.newsletter.store import NewsletterStore, now_iso
from k2publisher.newsletter.subscribers import Source
from k2publisher.newsletter.transport import Outcome

DELIVERY_STATES = ("pending", "sending", "awaiting", "sent", "deferred", "bounced", "failed",
                   "skipped")
#: states in which a delivery is finished for this issue
FINAL_STATES = ("sent", "bounced", "failed", "skipped")
#: above every subscriber id (both stores' integer keys are 64-bit)
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Issue:
    """One newsletter issue as stored: its rendered content and where its sending stands."""

    id: str
    state: str
    subject: str
    html: str
    text: str
    item_ids: tuple[str, ...]
    created_at: str
    updated_at: str
    note: str


@dataclass(frozen=True)
class Recipient:
    """A subscriber a worker is about to send to."""

    subscriber_id: int
    email: str


class _Rollback(Exception):
    """Undo a transaction on purpose."""


def placeholders(n: int) -> str:
    """``(?, ?, ...)`` with ``n`` marks: one statement for a whole batch of rows.

    One statement per batch, not one per row: on PostgreSQL a per-row ``UPDATE ... AND
    state = 'sending'`` is planned through the ``(issue_id, state)`` index (the
    statistics see few such rows) and walks every claimed row each time (1 ms a row).
    """
    return "(" + ", ".join("?" * n) + ")"


@dataclass(frozen=True)
class Claim:
    """What one claim took: the recipients, and how many were a dead worker's rows."""

    recipients: list[Recipient]
    seen: int = 0       # rows taken, skipped ones (no longer confirmed) included
    #: the highest subscriber id this claim took among due rows: the next claim's ``after``
    cursor: int = 0
    requeued: int = 0   # ``sending`` rows of a dead worker: sent again, no duplicate
    assumed: int = 0    # ``awaiting`` rows of a dead worker: sent again, possible duplicates


def _issue(row) -> Issue:
    return Issue(id=row["id"], state=row["state"], subject=row["subject"], html=row["html"],
                 text=row["text"], item_ids=tuple(filter(None, row["item_ids"].split(","))),
                 created_at=row["created_at"], updated_at=row["updated_at"], note=row["note"])


class Issues:
    """Issue and delivery-row operations on a :class:`NewsletterStore`."""

    def __init__(self, store: NewsletterStore):
        self.store = store

    def get(self, issue_id: str) -> Issue | None:
        """The issue, or None."""
        rows = self.store.query("SELECT * FROM newsletter_issues WHERE id = ?", (issue_id,))
        return _issue(rows[0]) if rows else None

    def all(self) -> list[Issue]:
        """Every issue, newest first."""
        return [_issue(r) for r in self.store.query(
            "SELECT * FROM newsletter_issues ORDER BY created_at DESC")]

    def unfinished(self) -> Issue | None:
        """The newest issue still ``sending`` or ``paused`` (a resume candidate)."""
        rows = self.store.query("SELECT * FROM newsletter_issues WHERE state IN "
                                "('sending', 'paused') ORDER BY created_at DESC LIMIT 1")
        return _issue(rows[0]) if rows else None

    def open(self) -> list[Issue]:
        """The issues workers send (state ``sending``), oldest first."""
        return [_issue(r) for r in self.store.query(
            "SELECT * FROM newsletter_issues WHERE state = 'sending' ORDER BY created_at")]

    def state(self, issue_id: str) -> str | None:
        """The issue's state alone (cheap enough to ask before every claim)."""
        rows = self.store.query("SELECT state FROM newsletter_issues WHERE id = ?", (issue_id,))
        return str(rows[0][0]) if rows else None

    def create(self, issue_id: str, *, subject: str, html: str, text: str,
               item_ids: Sequence[str] = ()) -> Issue:
        """Store the rendered issue and one ``pending`` row per confirmed subscriber.

        The recipient list is fixed here, inside the database (nothing is loaded into
        memory): people who confirm later receive the next issue.
        """
        stamp = now_iso()
        with self.store.transaction() as conn:
            conn.execute("INSERT INTO newsletter_issues (id, state, subject, html, text, "
                         "item_ids, created_at, updated_at) VALUES (?, 'sending', ?, ?, ?, ?, "
                         "?, ?)", (issue_id, subject, html, text, ",".join(item_ids), stamp,
                                   stamp))
            conn.execute("INSERT INTO newsletter_deliveries (issue_id, subscriber_id, state, "
                         "updated_at) SELECT ?, id, 'pending', ? FROM newsletter_subscribers "
                         "WHERE state = 'confirmed'", (issue_id, stamp))
        issue = self.get(issue_id)
        assert issue is not None
        return issue

    def set_state(self, issue_id: str, state: str, note: str = "") -> None:
        """Mark the issue ``sending``, ``paused``, ``done`` or ``failed``."""
        self.store.execute("UPDATE newsletter_issues SET state = ?, note = ?, updated_at = ? "
                           "WHERE id = ?", (state, note, now_iso(), issue_id))

    def counts(self, issue_id: str) -> dict[str, int]:
        """Delivery rows per state (every state present), plus ``possible_duplicates`` (rows
        sent again after a crash or a hang-up that may have followed the server's
        acceptance; also under its old name ``assumed``) and ``total``."""
        found = dict(self.store.query("SELECT state, count(*) FROM newsletter_deliveries "
                                      "WHERE issue_id = ? GROUP BY state", (issue_id,)))
        out = {s: int(found.get(s, 0)) for s in DELIVERY_STATES}
        out["assumed"] = int(self.store.query(
            "SELECT count(*) FROM newsletter_deliveries WHERE issue_id = ? AND assumed = 1",
            (issue_id,))[0][0])
        out["possible_duplicates"] = out["assumed"]
        out["total"] = sum(out[s] for s in DELIVERY_STATES)
        return out

    def resume(self, issue_id: str) -> None:
        """Make deferred rows due at once (a new ``send`` or ``worker --issue`` is the editor
        saying "try again now")."""
        self.store.execute("UPDATE newsletter_deliveries SET next_attempt = 0 "
                           "WHERE issue_id = ? AND state = 'deferred'", (issue_id,))

    def next_retry(self, issue_id: str) -> float | None:
        """When the earliest deferred row may be tried again (epoch seconds), or None."""
        row = self.store.query(f"SELECT min(d.next_attempt) FROM {deliveries_by_state(self.store)} "
                               "WHERE d.issue_id = ? AND d.state = 'deferred'", (issue_id,))
        return None if row[0][0] is None else float(row[0][0])

    def in_flight(self, issue_id: str) -> int:
        """Rows claimed (``sending`` or ``awaiting``) by any worker, live or not."""
        return int(self.store.query(
            f"SELECT count(*) FROM {deliveries_by_state(self.store)} WHERE d.issue_id = ? "
            "AND d.state IN ('sending', 'awaiting')", (issue_id,))[0][0])

    def claim(self, issue_id: str, owner: str, limit: int, *, after: int = 0) -> Claim:
        """Claim up to ``limit`` rows for the worker ``owner`` (``sending``, owned by it).

        First the rows a dead worker held (its lease lapsed; see
        :mod:`k2publisher.newsletter.leases`): a ``sending`` one is sent again, an
        ``awaiting`` one too and it is counted as a possible duplicate. Then due rows in
        subscriber order from ``after`` (the previous claim's :attr:`Claim.cursor`) on,
        and when those run out, from the start again up to ``after`` (rows deferred
        meanwhile, rows another worker gave back). Rows whose subscriber is no longer
        confirmed become ``skipped``. One transaction: ``BEGIN IMMEDIATE`` on SQLite,
        ``FOR UPDATE SKIP LOCKED`` on PostgreSQL.
        """
        stamp, now = now_iso(), time.time()
        due = due_rows_sql(self.store)
        # row locks, not the store's one-writer lock: workers claim side by side
        with self.store.transaction(exclusive=False) as conn:
            rows = conn.execute(orphaned_rows_sql(self.store),
                                (issue_id, owner, now, limit)).fetchall()
            fresh = conn.execute(due, (issue_id, now, after, MAX_ID, after, MAX_ID,
                                       limit - len(rows))
                                 ).fetchall() if len(rows) < limit else []
            if len(rows) + len(fresh) < limit and after > 0:  # a new lap: earlier ids
                fresh += conn.execute(due, (issue_id, now, 0, after, 0, after,
                                            limit - len(rows) - len(fresh))).fetchall()
            cursor = fresh[-1][0] if fresh else 0  # where the lap goes on
            rows += fresh
            claimed = [Recipient(r[0], r[1]) for r in rows if r[2] == "confirmed"]
            gone = [(stamp, issue_id, r[0]) for r in rows if r[2] != "confirmed"]
            if claimed:
                conn.execute("UPDATE newsletter_deliveries SET state = 'sending', owner = ?, "
                             "updated_at = ? WHERE issue_id = ? AND subscriber_id IN "
                             f"{placeholders(len(claimed))}",
                             (owner, stamp, issue_id, *(r.subscriber_id for r in claimed)))
            awaiting = [r[0] for r in rows if r[3] == "awaiting"]
            conn.executemany("UPDATE newsletter_deliveries SET assumed = 1, error = 'in "
                             "flight when its worker died: sent again (a second copy is "
                             "possible)' WHERE issue_id = ? AND subscriber_id = ?",
                             [(issue_id, sid) for sid in awaiting])
            conn.executemany("UPDATE newsletter_deliveries SET state = 'skipped', "
                             "updated_at = ?, error = 'no longer confirmed' "
                             "WHERE issue_id = ? AND subscriber_id = ?", gone)
        return Claim(claimed, seen=len(rows), requeued=sum(1 for r in rows if r[3] == "sending"),
                     assumed=len(awaiting), cursor=cursor)

    def reclaim_own(self, issue_id: str, owner: str) -> tuple[int, int]:
        """Take back the rows ``owner`` still holds when it has nothing in flight: their
        outcome commit was lost (an asynchronous commit when the PostgreSQL server crashed).

        Done as for a dead worker's rows: ``sending`` ones are due again, ``awaiting`` ones
        too and counted as possible duplicates. Returns (rows, of them possible duplicates).
        """
        with self.store.transaction(exclusive=False) as conn:
            rows = conn.execute(f"SELECT d.subscriber_id, d.state FROM "
                                f"{deliveries_by_state(self.store)} WHERE d.issue_id = ? AND "
                                "d.owner = ? AND d.state IN ('sending', 'awaiting')"
                                + row_lock(self.store), (issue_id, owner)).fetchall()
            awaiting = [(issue_id, r[0]) for r in rows if r[1] == "awaiting"]
            conn.executemany("UPDATE newsletter_deliveries SET state = 'pending', assumed = 1, "
                             "error = 'its outcome was lost with the store: sent again (a "
                             "second copy is possible)' WHERE issue_id = ? AND "
                             "subscriber_id = ?", awaiting)
            conn.executemany("UPDATE newsletter_deliveries SET state = 'pending' WHERE "
                             "issue_id = ? AND subscriber_id = ?",
                             [(issue_id, r[0]) for r in rows if r[1] == "sending"])
        return len(rows), len(awaiting)

    def unclaim(self, issue_id: str, owner: str, subscriber_ids: Sequence[int], *,
                refused: bool = False) -> None:
        """Give ``owner``'s claimed rows back (``sending`` -> ``pending``) when it stops early.

        ``refused``: the server refused the whole call for sure (a wrong key), so rows
        already ``awaiting`` go back too.
        """
        states = "('sending', 'awaiting')" if refused else "('sending')"
        with self.store.transaction() as conn:
            conn.executemany("UPDATE newsletter_deliveries SET state = 'pending' "
                             "WHERE issue_id = ? AND subscriber_id = ? AND owner = ? "
                             f"AND state IN {states}",
                             [(issue_id, s, owner) for s in subscriber_ids])

    def mark_awaiting(self, issue_id: str, owner: str, subscriber_ids: Sequence[int]) -> None:
        """Commit ``awaiting`` on rows ``owner`` holds: all of them, or none.

        Called right before the final dot (or the one call that hands a batch over). Raises
        :class:`~k2publisher.errors.LeaseLostError` (committing nothing) when another
        worker took any of them back after this one's lease lapsed (it stalled for longer
        than its lease): then nothing of it may be sent from here.
        """
        stamp = now_iso()
        # durable: once this commit is acknowledged a copy may leave, so it must outlive a
        # crash of the PostgreSQL server too (an asynchronous commit lost there would turn
        # the row back to `sending`: sent again, a second copy nobody counted)
        if len(subscriber_ids) == 1:  # one SMTP copy: one statement, its own commit
            held = self.store.execute(
                "UPDATE newsletter_deliveries SET state = 'awaiting', updated_at = ? WHERE "
                "issue_id = ? AND subscriber_id = ? AND owner = ? AND state = 'sending'",
                (stamp, issue_id, subscriber_ids[0], owner), durable=True).rowcount
        else:  # one statement for the batch (see placeholders)
            with contextlib.suppress(_Rollback), \
                    self.store.transaction(exclusive=False, durable=True) as conn:
                held = conn.execute(
                    "UPDATE newsletter_deliveries SET state = 'awaiting', updated_at = ? "
                    "WHERE issue_id = ? AND owner = ? AND state = 'sending' AND subscriber_id "
                    f"IN {placeholders(len(subscriber_ids))}",
                    (stamp, issue_id, owner, *subscriber_ids)).rowcount
                if held != len(subscriber_ids):
                    raise _Rollback
        if held != len(subscriber_ids):
            raise LeaseLostError(f"issue {issue_id}: {len(subscriber_ids) - held} of "
                                 f"{len(subscriber_ids)} row(s) were taken back from worker "
                                 f"{owner} (its lease lapsed, or a crash of the store lost "
                                 "its claim); not sent from here")

    def commit_round(self, issue_id: str, owner: str, sent: Sequence[int],
                     awaiting: Sequence[int]) -> set[int]:
        """One fan-out round (:mod:`k2publisher.newsletter.rounds`) in one durable commit:
        ``sent`` rows accepted (their 250 came back), ``awaiting`` rows (their bodies are
        out, their final dots not yet) marked so. Returns the ``awaiting`` ids ``owner``
        still held; the others were taken back by another worker (this one stalled past
        its lease) and must not be sent from here.

        Durable because once it returns the dots go out (see :meth:`mark_awaiting`);
        one statement for the round (see :func:`placeholders`), one round trip on
        PostgreSQL.
        """
        # One statement, no ``state`` in its WHERE clause: PostgreSQL would walk the
        # (issue_id, state) index through every claimed row (its statistics see few); the
        # primary key finds the rows, the owner keeps another worker's out, and CASE
        # leaves a row that is neither accepted nor ``sending`` as it is.
        if not sent and not awaiting:
            return set()
        accepted = f"subscriber_id IN {placeholders(len(sent))}" if sent else "FALSE"
        rows = self.store.batch([(
            f"UPDATE newsletter_deliveries SET state = CASE WHEN {accepted} THEN 'sent' "
            "WHEN state = 'sending' THEN 'awaiting' ELSE state END, attempts = attempts + "
            f"CASE WHEN {accepted} THEN 1 ELSE 0 END, updated_at = ? WHERE issue_id = ? AND "
            f"owner = ? AND subscriber_id IN {placeholders(len(sent) + len(awaiting))} "
            "RETURNING subscriber_id, state",
            (*sent, *sent, now_iso(), issue_id, owner, *sent, *awaiting))],
            durable=bool(awaiting))[0].rows
        mine = set(awaiting)
        return {int(r[0]) for r in rows if r[1] == "awaiting" and int(r[0]) in mine}

    # -- one row's outcome (a one-at-a-time transport; failures go through record_outcomes)

    def sent(self, issue_id: str, subscriber_id: int) -> None:
        """The server accepted the message (a possible-duplicate mark stays)."""
        self.store.execute("UPDATE newsletter_deliveries SET state = 'sent', "
                           "attempts = attempts + 1, updated_at = ? "
                           "WHERE issue_id = ? AND subscriber_id = ?",
                           (now_iso(), issue_id, subscriber_id))

    # -- a batch's outcomes (ESP transports: one transaction per call) ---------------------

    def requeue_many(self, issue_id: str, subscriber_ids: Sequence[int], error: str, *,
                     maybe_accepted: bool) -> None:
        """:meth:`requeue` for every row of a batch whose call failed as a whole."""
        stamp, now = now_iso(), time.time()
        with self.store.transaction() as conn:
            conn.executemany("UPDATE newsletter_deliveries SET state = 'deferred', error = ?, "
                             "next_attempt = ?, assumed = GREATEST(assumed, ?), updated_at = ? "
                             "WHERE issue_id = ? AND subscriber_id = ?",
                             [(error, now, int(maybe_accepted), stamp, issue_id, s)
                              for s in subscriber_ids])

    def record_outcomes(self, issue_id: str, outcomes: Sequence[Outcome],
                        delays: Sequence[float]) -> dict[str, int]:
        """Commit every outcome of one batch call in one transaction; counts by final state.

        ``sent``, ``failed`` as is; ``bounced`` also suppresses the subscriber (event
        ``bounce``, source ``bounce``); ``deferred`` waits the next of ``delays`` (or the
        provider's ``retry_after`` when longer) and becomes ``failed`` once they are used up,
        unless it is not ``charged`` (a lost connection: due again now, no attempt counted).
        ``maybe_accepted`` marks the row a possible duplicate.
        """
        stamp, now = now_iso(), time.time()
        counts: dict[str, int] = {}
        # row locks, not the one-writer lock: these rows are this worker's (two workers'
        # outcome commits need not queue behind each other on PostgreSQL)
        with self.store.transaction(exclusive=False) as conn:
            sent = [(o.key, o.remote_id) for o in outcomes if o.status == "sent"]
            if sent:  # one statement for the batch (see placeholders), each its remote id
                rows = ", ".join(["(CAST(? AS INTEGER), CAST(? AS TEXT))"] * len(sent))
                conn.execute(f"WITH v (subscriber_id, remote_id) AS (VALUES {rows}) "
                             "UPDATE newsletter_deliveries SET state = 'sent', attempts = "
                             "attempts + 1, updated_at = ?, remote_id = v.remote_id, error = '' "
                             "FROM v WHERE newsletter_deliveries.issue_id = ? AND "
                             "newsletter_deliveries.subscriber_id = v.subscriber_id",
                             (*(x for pair in sent for x in pair), stamp, issue_id))
            counts["sent"] = len(sent)
            for o in outcomes:
                if o.status == "sent":
                    continue
                state = o.status
                attempts = int(conn.execute(
                    "SELECT attempts FROM newsletter_deliveries WHERE issue_id = ? AND "
                    "subscriber_id = ?", (issue_id, o.key)).fetchone()[0]) + 1
                due = now
                if state == "deferred" and not o.charged:
                    attempts -= 1  # the connection failed, not the recipient: due now
                elif state == "deferred":
                    if attempts > len(delays):
                        state = "failed"
                    else:
                        due = now + max(delays[attempts - 1], o.retry_after or 0.0)
                conn.execute("UPDATE newsletter_deliveries SET state = ?, attempts = ?, "
                             "next_attempt = ?, error = ?, updated_at = ?, "
                             "assumed = GREATEST(assumed, ?) WHERE issue_id = ? "
                             "AND subscriber_id = ?", (state, attempts, due, o.error[:500],
                                                       stamp, int(o.maybe_accepted),
                                                       issue_id, o.key))
                if state == "bounced":
                    old = conn.execute("SELECT state FROM newsletter_subscribers WHERE id = ?",
                                       (o.key,)).fetchone()[0]
                    conn.execute("UPDATE newsletter_subscribers SET state = 'bounced', "
                                 "updated_at = ? WHERE id = ?", (stamp, o.key))
                    conn.execute("INSERT INTO newsletter_events (subscriber_id, at, event, "
                                 "old_state, new_state, source, detail) VALUES (?, ?, "
                                 "'bounce', ?, 'bounced', ?, ?)",
                                 (o.key, stamp, old, Source.BOUNCE.value,
                                  f"issue {issue_id}: {o.error}"[:500]))
                counts[state] = counts.get(state, 0) + 1
        return counts
