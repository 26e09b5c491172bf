"""The ledger: the store's tables recording every schedule run, publication and part.

Three levels, each a table:

* a **run** is one campaign slot (``running -> done``, or ``skipped`` / ``baseline`` when the
  scheduler decided not to publish at it);
* a **publication** is one item (or digest) on one channel within a run
  (``pending -> sent | failed | blocked | unconfirmed``);
* a **delivery** is one reader-visible part of a publication, the row the delivery core
  writes through the :class:`~k2publisher.abc.Recorder` methods before and after each network
  call (``pending -> sending -> sent | failed | unconfirmed``).

Every write is its own committed transaction, so a process killed at any instant leaves the
file telling exactly which parts may have reached the network (``sending``). On the next
start :meth:`Ledger.recover` keeps those rows for idempotent channels (the same key is
reused) and turns the others into ``unconfirmed`` for an editor to :meth:`Ledger.resolve`.

Claiming a part is a conditional state transition (:meth:`Ledger.sending`): a part moves to
``sending`` only from ``pending`` or ``failed``, or from ``sending`` when the process that
claimed it (the row's ``owner``, ``<pid>:<token>``) is gone. Two processes delivering the
same publication at once therefore never both send one part: the loser gets
:class:`~k2publisher.errors.PartBusyError` and leaves the publication to the winner.
Recovery likewise leaves alone the rows a live process is sending. The ledger runs on either
backend of :mod:`k2publisher.database` (SQLite by default, PostgreSQL with ``[store] url``):
its writes are exclusive transactions there, and the claim also checks that its conditional
``UPDATE`` changed the row, so it stays exactly-once on both.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from k2publisher.database import (
    DB_NAME,
    Row,
    Session,
    SQLiteDatabase,
    connect,
    db_path,
    store_location,
)
from k2publisher.errors import PartBusyError, UncertainDeliveryError
from k2publisher.locks import HELD_SQL, StoreLock, lock_key
from k2publisher.models import PartReceipt
from k2publisher.record.migrations import migrate
from k2publisher.record.rows import (
    MANUAL,
    Decision,
    Delivery,
    DeliveryState,
    LedgerError,
    Pick,
    PlanAction,
    PublicationRow,
    PublicationState,
    Run,
    RunState,
    SlotPlan,
    decision_from,
    delivery_from,
    iso,
    plan_from,
    publication_from,
    run_from,
    utcnow,
)
from k2publisher.redact import mask

if TYPE_CHECKING:
    from k2publisher.settings import Settings

__all__ = [
    "DB_NAME", "KEY_TTL", "MANUAL", "Decision", "Delivery", "DeliveryState", "Ledger",
    "LedgerError", "Pick", "PlanAction", "PublicationRow", "PublicationState", "Run", "RunState",
    "SlotPlan", "db_path", "iso", "utcnow",
]

#: how long an idempotency key is trusted after a crash (Mastodon keeps keys for an hour)
KEY_TTL = timedelta(minutes=50)


def owner_lock(owner: str) -> str:
    """The store lock a ledger holds while it is open (PostgreSQL), by its owner token."""
    return f"ledger-owner-{owner}"


#: the owner tokens of the ledgers open in this process
_OPEN_OWNERS: set[str] = set()


def owner_alive(owner: str) -> bool:
    """Whether the process (and, in this process, the open ledger) behind ``owner`` lives.

    A pid is only meaningful on this machine: on a PostgreSQL store, which processes on
    other machines share, :meth:`Ledger.owner_alive` asks the store instead.
    """
    pid_text, _, _token = owner.partition(":")
    if not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return owner in _OPEN_OWNERS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


#: why a part caught ``sending`` by a crash is ``unconfirmed``
INTERRUPTED = "interrupted during the network call: the part may or may not have been posted"


class Ledger:
    """The ledger on the store at ``location`` (a SQLite file or a ``postgresql://`` URL);
    thread-safe, autocommit outside its transactions.

    Implements :class:`k2publisher.abc.Recorder` for the delivery core.
    """

    def __init__(self, location: Path | str, *, clock: Callable[[], datetime] = utcnow,
                 pool_size: int | None = None):
        self.clock = clock
        # its transactions write ledger tables only: they exclude each other, not others'
        self.db = connect(location, durability="full", writer="ledger", pool_size=pool_size)
        #: the SQLite file (None on PostgreSQL); :attr:`where` names either
        self.path = getattr(self.db, "path", None)
        self.where = self.db.where
        migrate(self.db)
        #: written into the rows this ledger claims (see :meth:`sending`)
        self.owner = f"{os.getpid()}:{secrets.token_hex(6)}"
        _OPEN_OWNERS.add(self.owner)
        #: on PostgreSQL, held for this ledger's life: how any machine tells it is alive
        self._alive: StoreLock | None = None
        if self.path is None:
            self._alive = StoreLock(self.db, owner_lock(self.owner))
            self._alive.try_acquire()

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Callable[[], datetime] = utcnow
                      ) -> Ledger:
        """The ledger of the configured store (``[store] url``, else the state folder)."""
        return cls(store_location(settings), clock=clock,
                   pool_size=settings.typed.store.pool_size)

    # -- plumbing --------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection (the WAL is checkpointed by SQLite)."""
        _OPEN_OWNERS.discard(self.owner)
        if self._alive is not None:
            self._alive.release()
        self.db.close()

    def owner_alive(self, owner: str) -> bool:
        """Whether the ledger that wrote ``owner`` into a row is still open somewhere.

        On SQLite (one machine) its pid is checked; on PostgreSQL, whether some session
        holds that ledger's store lock, which its server drops when the process dies.
        """
        if self._alive is None or owner.partition(":")[0] == str(os.getpid()):
            return owner_alive(owner)
        return bool(self.db.query(HELD_SQL, (lock_key(owner_lock(owner)),))[0][0])

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _tx(self, *, exclusive: bool = True) -> AbstractContextManager[Session]:
        """A write transaction; ``exclusive=False`` (PostgreSQL: no writer lock) only where
        every write is conditional on the row it read, so concurrent ones stay correct."""
        return self.db.transaction(exclusive=exclusive)

    def _all(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        return self.db.query(sql, args)

    def _now(self) -> str:
        return iso(self.clock())

    # -- Recorder (called by the delivery core) ----------------------------------------------

    def _round(self, conn: Session, item_id: str, channel: str) -> int:
        row = conn.execute("SELECT MAX(round) FROM publications WHERE item_id = ? AND channel = ?"
                           " AND state = 'pending'", (item_id, channel)).fetchone()
        if row[0] is None:
            row = conn.execute("SELECT MAX(round) FROM publications WHERE item_id = ? AND "
                               "channel = ?", (item_id, channel)).fetchone()
        return int(row[0] or 1)

    def _ensure(self, conn: Session, item_id: str, channel: str, index: int) -> Row:
        rnd = self._round(conn, item_id, channel)
        now = self._now()
        conn.execute("INSERT INTO deliveries (item_id, channel, part, round, state, "
                     "created_at, updated_at) VALUES (?, ?, ?, ?, 'pending', ?, ?) "
                     "ON CONFLICT DO NOTHING",
                     (item_id, channel, index, rnd, now, now))
        return conn.execute("SELECT * FROM deliveries WHERE item_id = ? AND channel = ? AND "
                            "part = ? AND round = ?", (item_id, channel, index, rnd)).fetchone()

    def already_sent(self, item_id: str, channel: str, index: int) -> PartReceipt | None:
        """The receipt of a part delivered earlier (its row is created ``pending`` if new)."""
        with self._tx(exclusive=False) as conn:  # INSERT ... ON CONFLICT DO NOTHING
            row = self._ensure(conn, item_id, channel, index)
        if row["state"] == DeliveryState.SENT:
            return PartReceipt(index=index, remote_id=row["remote_id"], url=row["url"])
        if row["state"] == DeliveryState.UNCONFIRMED:
            raise LedgerError(f"part {index} of {item_id!r} on {channel!r} is unconfirmed "
                              f"(row {row['id']}): run `k2publisher resolve {row['id']} "
                              "--sent|--retry` first")
        return None

    def sending(self, item_id: str, channel: str, index: int, key: str, *,
                idempotent: bool = False) -> None:
        """Claim one part, committed just before its network call.

        The claim is a conditional transition inside one write transaction: from
        ``pending`` or ``failed``, or from ``sending`` when its owner is this ledger or a
        process that is gone (a crash). Raises :class:`PartBusyError` when another live
        process holds the part or has already sent it, and :class:`LedgerError` when it is
        unconfirmed. A part a dead process left ``sending`` on a channel that is not
        ``idempotent`` may have been posted: it becomes ``unconfirmed`` here (as
        :meth:`recover` would have made it) rather than being sent again, so a process that
        started before the crash never double-posts it.
        """
        interrupted, now = "", self._now()
        # every write below is conditional on the state and owner read, and checked: two
        # claims at once (PostgreSQL needs no writer lock for it) cannot both win
        with self._tx(exclusive=False) as conn:
            row = self._ensure(conn, item_id, channel, index)
            where = f"part {index} of {item_id!r} on {channel!r} (row {row['id']})"
            state, owner = row["state"], row["owner"]
            if state == DeliveryState.SENT:
                raise PartBusyError(f"{where} was sent meanwhile by another process")
            if state == DeliveryState.UNCONFIRMED:
                raise LedgerError(f"{where} is unconfirmed: run `k2publisher resolve "
                                  f"{row['id']} --sent|--retry` first")
            if state == DeliveryState.SENDING and owner not in ("", self.owner):
                if self.owner_alive(owner):
                    raise PartBusyError(f"{where} is being sent by process "
                                        f"{owner.partition(':')[0]}")
                if not idempotent or (row["sending_at"] or now) < iso(self.clock() - KEY_TTL):
                    if conn.execute("UPDATE deliveries SET state = 'unconfirmed', updated_at "
                                    "= ?, error = ? WHERE id = ? AND state = 'sending' AND "
                                    "owner = ?", (now, INTERRUPTED, row["id"], owner)
                                    ).rowcount != 1:
                        raise PartBusyError(f"{where} was claimed meanwhile by another "
                                            "process")
                    self._mark_publication_unconfirmed(conn, row)
                    interrupted = where
            if not interrupted:
                claimed = conn.execute(
                    "UPDATE deliveries SET state = 'sending', key = ?, owner = ?, "
                    "attempts = attempts + 1, sending_at = ?, updated_at = ?, error = '' "
                    "WHERE id = ? AND state = ? AND owner = ?",
                    (key, self.owner, now, now, row["id"], state, owner)).rowcount
                if claimed != 1:  # the row moved since it was read: another claim won
                    raise PartBusyError(f"{where} was claimed meanwhile by another process")
        if interrupted:
            raise LedgerError(f"{interrupted} was being sent by process "
                              f"{owner.partition(':')[0]}, which died during the network call:"
                              f" it may or may not have been posted; check the channel, then "
                              f"run `k2publisher resolve {row['id']} --sent|--retry`")

    def sent(self, item_id: str, channel: str, index: int, receipt: PartReceipt) -> None:
        """Committed as soon as the network accepted the part (by its claimer)."""
        with self._tx(exclusive=False) as conn:
            row = self._ensure(conn, item_id, channel, index)
            now = self._now()
            conn.execute("UPDATE deliveries SET state = 'sent', remote_id = ?, url = ?, "
                         "finished_at = ?, updated_at = ?, error = '' WHERE id = ?",
                         (receipt.remote_id, receipt.url, now, now, row["id"]))

    def failed(self, item_id: str, channel: str, index: int, error: Exception,
               transient: bool) -> None:
        """Committed when the part could not be delivered; a later publish may retry it.

        An :class:`~k2publisher.errors.UncertainDeliveryError` (the request went out, no
        answer came back) makes the part ``unconfirmed`` instead: never retried blindly.
        """
        uncertain = isinstance(error, UncertainDeliveryError)
        with self._tx(exclusive=False) as conn:  # the claimer's own row
            row = self._ensure(conn, item_id, channel, index)
            now = self._now()
            kind = "uncertain" if uncertain else "transient" if transient else "permanent"
            conn.execute("UPDATE deliveries SET state = ?, error = ?, finished_at = ?, "
                         "updated_at = ? WHERE id = ?",
                         ("unconfirmed" if uncertain else "failed",
                          mask(f"{kind}: {error}")[:2000], now, now, row["id"]))

    # -- recovery and editor decisions --------------------------------------------------------

    def recover(self, idempotent_channels: Iterable[str], *,
                key_ttl: timedelta = KEY_TTL) -> list[Delivery]:
        """After a crash: ``sending`` rows of non-idempotent channels become ``unconfirmed``.

        Rows of idempotent channels stay ``sending`` and are retried with their stored key,
        unless the key is older than ``key_ttl`` (a network forgets keys: Mastodon after an
        hour), in which case they become ``unconfirmed`` too. Publications with an
        unconfirmed part become ``unconfirmed``. Returns the rows turned unconfirmed.
        """
        keep = set(idempotent_channels)
        expired_before = iso(self.clock() - key_ttl)
        with self._tx() as conn:
            rows = conn.execute("SELECT * FROM deliveries WHERE state = 'sending' ORDER BY id"
                                ).fetchall()
            now = self._now()
            changed = []
            for row in rows:
                if row["owner"] not in ("", self.owner) and self.owner_alive(row["owner"]):
                    continue  # in flight in another live process, not interrupted
                if row["channel"] in keep and (row["sending_at"] or now) >= expired_before:
                    continue
                why = INTERRUPTED
                if row["channel"] in keep:
                    why += " (its idempotency key is too old to reuse safely)"
                if conn.execute("UPDATE deliveries SET state = 'unconfirmed', updated_at = ?, "
                                "error = ? WHERE id = ? AND state = 'sending' AND owner = ?",
                                (now, why, row["id"], row["owner"])).rowcount != 1:
                    continue  # claimed again meanwhile (a claim takes no writer lock)
                self._mark_publication_unconfirmed(conn, row)
                changed.append(row["id"])
        return [self.delivery(i) for i in changed]

    def _mark_publication_unconfirmed(self, conn: Session, row: Row) -> None:
        conn.execute("UPDATE publications SET state = 'unconfirmed', updated_at = ?, error = ? "
                     "WHERE item_id = ? AND channel = ? AND round = ? AND state = 'pending'",
                     (self._now(), f"part {row['part']} unconfirmed (delivery row {row['id']})",
                      row["item_id"], row["channel"], row["round"]))

    def resolve(self, row_id: int, outcome: Literal["sent", "retry"], *,
                receipt: PartReceipt | None = None) -> Delivery:
        """An editor's decision on an unconfirmed part: it did go out, or send it again.

        With ``sent``, ``receipt`` (from the post's remote id or URL) is recorded so the
        rest of a thread replies to that post; it may also be given later for a row already
        marked ``sent`` without one. Either way the publication goes back to ``pending`` so
        the remaining parts (if any) are delivered at the next tick. Raises
        :class:`LedgerError` for an unknown row or one that is not unconfirmed.
        """
        if outcome not in ("sent", "retry"):
            raise ValueError("outcome must be 'sent' or 'retry'")
        with self._tx() as conn:
            row = conn.execute("SELECT * FROM deliveries WHERE id = ?", (row_id,)).fetchone()
            if row is None:
                raise LedgerError(f"no delivery row {row_id} (see `k2publisher status`)")
            amend = outcome == "sent" and receipt is not None and \
                row["state"] == DeliveryState.SENT and not row["remote_id"]
            if row["state"] != DeliveryState.UNCONFIRMED and not amend:
                raise LedgerError(f"delivery row {row_id} is {row['state']}, not unconfirmed")
            now = self._now()
            state = "sent" if outcome == "sent" else "pending"
            note = "marked sent by an editor" if outcome == "sent" else "retry asked by an editor"
            remote_id = receipt.remote_id if receipt else row["remote_id"]
            url = receipt.url if receipt else row["url"]
            conn.execute("UPDATE deliveries SET state = ?, error = ?, updated_at = ?, "
                         "finished_at = ?, remote_id = ?, url = ? WHERE id = ?",
                         (state, note, now, now if outcome == "sent" else None, remote_id, url,
                          row_id))
            left = conn.execute("SELECT COUNT(*) FROM deliveries WHERE item_id = ? AND channel "
                                "= ? AND round = ? AND state = 'unconfirmed'",
                                (row["item_id"], row["channel"], row["round"])).fetchone()[0]
            if not left:
                conn.execute("UPDATE publications SET state = 'pending', error = '', "
                             "updated_at = ? WHERE item_id = ? AND channel = ? AND round = ? "
                             "AND state = 'unconfirmed'",
                             (now, row["item_id"], row["channel"], row["round"]))
        return self.delivery(row_id)

    # -- runs and publications (the scheduler) -------------------------------------------------

    def last_slot(self, campaign: str) -> datetime | None:
        """The latest slot recorded for ``campaign`` (run, skipped or baseline)."""
        rows = self._all("SELECT MAX(slot) FROM runs WHERE campaign = ?", (campaign,))
        value = rows[0][0]
        return datetime.fromisoformat(value) if value else None

    def run_for(self, campaign: str, slot: datetime) -> Run | None:
        """The run recorded for ``campaign`` at ``slot``, if any."""
        rows = self._all("SELECT * FROM runs WHERE campaign = ? AND slot = ?",
                         (campaign, iso(slot)))
        return run_from(rows[0]) if rows else None

    def mark_slot(self, campaign: str, slot: datetime, state: RunState, note: str = "") -> bool:
        """Record a slot the scheduler did not publish at (skipped, baseline); False if known."""
        now = self._now()
        with self._tx() as conn:
            cur = conn.execute("INSERT INTO runs (campaign, slot, state, note, "
                               "started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?) "
                               "ON CONFLICT DO NOTHING",
                               (campaign, iso(slot), state.value, note, now, now))
            return cur.rowcount == 1

    def start_run(self, campaign: str, slot: datetime, picks: Sequence[Pick],
                  note: str = "") -> Run:
        """Record a run and its pending publications in one transaction.

        Raises :class:`LedgerError` when the slot already has a run (it is resumed instead).
        """
        now = self._now()
        with self._tx() as conn:
            inserted = conn.execute("INSERT INTO runs (campaign, slot, state, note, started_at) "
                                    "VALUES (?, ?, 'running', ?, ?) ON CONFLICT DO NOTHING "
                                    "RETURNING id", (campaign, iso(slot), note, now)).fetchone()
            if inserted is None:
                raise LedgerError(f"campaign {campaign!r} already ran at {iso(slot)}")
            run_id = int(inserted[0])
            for pick in picks:
                for channel in pick.channels:
                    conn.execute("INSERT INTO publications (run_id, campaign, item_id, items, "
                                 "channel, round, state, fingerprint, created_at, updated_at) "
                                 "VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
                                 (run_id, campaign, pick.item_id, " ".join(pick.items), channel,
                                  pick.round, pick.fingerprint, now, now))
        return self.run(run_id)

    def start_manual(self, item_ids: Sequence[str], channel: str, *, forced: bool = False,
                     reason: str = "", fingerprint: str = "") -> PublicationRow:
        """Record a publish made by hand (campaign ``manual``) as a pending publication.

        It shows in ``status`` like a scheduled one, and the selection sees the item as
        taken on ``channel``, so a later ``run`` does not send it again. ``forced`` and
        ``reason`` keep an editor's decision to publish an item that was not ``ready``.
        """
        now = self._now()
        ids = list(item_ids)
        item_id = ids[0] if len(ids) == 1 else "+".join(ids)
        with self._tx() as conn:
            conn.execute("INSERT INTO runs (campaign, slot, state, note, started_at) "
                         "VALUES (?, ?, 'running', 'k2publisher publish', ?) "
                         "ON CONFLICT DO NOTHING",
                         (MANUAL, now, now))
            run_id = conn.execute("SELECT id FROM runs WHERE campaign = ? AND slot = ?",
                                  (MANUAL, now)).fetchone()[0]
            conn.execute("UPDATE runs SET state = 'running', finished_at = NULL WHERE id = ?",
                         (run_id,))
            cur = conn.execute(
                "INSERT INTO publications (run_id, campaign, item_id, items, channel, round, "
                "state, fingerprint, created_at, updated_at, forced, reason) "
                "VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?) RETURNING id",
                (run_id, MANUAL, item_id, " ".join(ids) if len(ids) > 1 else "", channel,
                 self._round(conn, item_id, channel), fingerprint, now, now, int(forced),
                 mask(reason)[:2000]))
            pub_id = int(cur.fetchone()[0])
        return self.publication(pub_id)

    def finish_runs(self) -> int:
        """Mark ``done`` every running run with no pending publication left; return how many."""
        with self._tx() as conn:
            cur = conn.execute("UPDATE runs SET state = 'done', finished_at = ? WHERE state = "
                               "'running' AND NOT EXISTS (SELECT 1 FROM publications p WHERE "
                               "p.run_id = runs.id AND p.state = 'pending')", (self._now(),))
            return cur.rowcount

    def run(self, run_id: int) -> Run:
        """One run by id."""
        rows = self._all("SELECT * FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise LedgerError(f"no run {run_id}")
        return run_from(rows[0])

    def runs(self, limit: int = 50) -> list[Run]:
        """The latest runs, newest slot first."""
        return [run_from(r) for r in self._all("SELECT * FROM runs ORDER BY slot DESC, id DESC "
                                           "LIMIT ?", (limit,))]

    def pending_publications(self) -> list[PublicationRow]:
        """Publications due now (new, interrupted, resolved or transiently failed); those a
        rate limit holds back until a later ``not_before`` wait for it."""
        return [publication_from(r) for r in self._all(
            "SELECT * FROM publications WHERE state = 'pending' AND (not_before = '' OR "
            "not_before <= ?) ORDER BY id", (self._now(),))]

    def publication(self, pub_id: int) -> PublicationRow:
        """One publication by id."""
        rows = self._all("SELECT * FROM publications WHERE id = ?", (pub_id,))
        if not rows:
            raise LedgerError(f"no publication {pub_id}")
        return publication_from(rows[0])

    def publications(self, *, states: Iterable[str] | None = None, channel: str | None = None,
                     item_id: str | None = None, limit: int | None = None
                     ) -> list[PublicationRow]:
        """Publications, newest first, optionally filtered by state, channel and item."""
        return [publication_from(r) for r in self._newest(
            "publications", states, limit, channel=channel, item_id=item_id)]

    def runs_at(self, campaign: str) -> dict[datetime, Run]:
        """Every run of ``campaign`` by slot (what happened at each slot)."""
        return {r.slot: r for r in map(run_from, self._all(
            "SELECT * FROM runs WHERE campaign = ?", (campaign,)))}

    def run_publications(self, run_id: int) -> list[PublicationRow]:
        """The publications of one run, in order."""
        return [publication_from(r) for r in self._all(
            "SELECT * FROM publications WHERE run_id = ? ORDER BY id", (run_id,))]

    # -- editors' plans and decisions ----------------------------------------------------------

    def plan_slot(self, campaign: str, slot: datetime, action: PlanAction, *,
                  item_id: str = "", note: str = "", actor: str = "") -> SlotPlan:
        """Pin an item to (or skip) one future slot, replacing an earlier plan for it.

        Raises :class:`LedgerError` when the slot already ran: the past is not replanned.
        """
        with self._tx() as conn:
            ran = conn.execute("SELECT state FROM runs WHERE campaign = ? AND slot = ?",
                               (campaign, iso(slot))).fetchone()
            if ran is not None:
                raise LedgerError(f"campaign {campaign!r} already ran at {iso(slot)} "
                                  f"({ran[0]}): plan a later slot")
            conn.execute("INSERT INTO slot_plans (campaign, slot, action, item_id, note, actor,"
                         " created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (campaign, slot)"
                         " DO UPDATE SET action = excluded.action, item_id = excluded.item_id, "
                         "note = excluded.note, actor = excluded.actor, "
                         "created_at = excluded.created_at",
                         (campaign, iso(slot), action.value, item_id, note, actor, self._now()))
        plan = self.plan_for(campaign, slot)
        assert plan is not None
        return plan

    def clear_plan(self, campaign: str, slot: datetime) -> bool:
        """Forget the plan for one slot (back to the selection policy); False if none."""
        with self._tx() as conn:
            cur = conn.execute("DELETE FROM slot_plans WHERE campaign = ? AND slot = ?",
                               (campaign, iso(slot)))
            return cur.rowcount == 1

    def plan_for(self, campaign: str, slot: datetime) -> SlotPlan | None:
        """The plan for one slot, if an editor made one."""
        rows = self._all("SELECT * FROM slot_plans WHERE campaign = ? AND slot = ?",
                         (campaign, iso(slot)))
        return plan_from(rows[0]) if rows else None

    def slot_plans(self, campaign: str | None = None) -> list[SlotPlan]:
        """Every plan (of one campaign), in slot order."""
        sql, args = "SELECT * FROM slot_plans", []
        if campaign is not None:
            sql, args = sql + " WHERE campaign = ?", [campaign]
        return [plan_from(r) for r in self._all(sql + " ORDER BY slot, campaign", args)]

    def record_decision(self, item_id: str, action: str, reason: str = "",
                        actor: str = "") -> Decision:
        """Record an editorial decision on an item (kept forever, for the item's history)."""
        with self._tx() as conn:
            row = conn.execute("INSERT INTO decisions (item_id, action, reason, actor, at) "
                               "VALUES (?, ?, ?, ?, ?) RETURNING *",
                               (item_id, action, mask(reason)[:2000], actor, self._now())
                               ).fetchone()
        return decision_from(row)

    def decisions(self, item_id: str) -> list[Decision]:
        """Every decision recorded on ``item_id``, newest first."""
        return [decision_from(r) for r in self._all(
            "SELECT * FROM decisions WHERE item_id = ? ORDER BY id DESC", (item_id,))]

    def finish_publication(self, pub_id: int, state: PublicationState, *, url: str = "",
                           error: str = "", item_at_fault: bool = True) -> None:
        """Record the outcome of one publication (``sent``, ``failed``, ``blocked`` ...).

        ``item_at_fault=False`` (a broken channel or config, a network down for long) lets
        the selection pick the item again at a later slot without it being edited.
        """
        with self._tx() as conn:
            conn.execute("UPDATE publications SET state = ?, url = ?, error = ?, attempts = "
                         "attempts + 1, updated_at = ?, fingerprint = CASE WHEN ? THEN "
                         "fingerprint ELSE '' END WHERE id = ?",
                         (state.value, url, mask(error)[:2000], self._now(), item_at_fault,
                          pub_id))

    def retry_later(self, pub_id: int, error: str, max_attempts: int, *,
                    not_before: datetime | None = None) -> PublicationRow:
        """A transient failure: keep it pending for the next tick, or fail after many tries.

        ``not_before`` (a network's Retry-After or rate-limit reset) is a wait, not a
        failure: no attempt is counted, and neither this publication nor any other pending
        one on the same channel (the limit is the account's) is tried before that time.
        """
        if not_before is not None:
            with self._tx() as conn:
                channel = conn.execute("SELECT channel FROM publications WHERE id = ?",
                                       (pub_id,)).fetchone()[0]
                conn.execute("UPDATE publications SET error = CASE WHEN id = ? THEN ? ELSE "
                             "error END, updated_at = ?, not_before = GREATEST(not_before, ?) "
                             "WHERE channel = ? AND state = 'pending'",
                             (pub_id, mask(error)[:2000], self._now(), iso(not_before),
                              channel))
            return self.publication(pub_id)
        with self._tx() as conn:
            # after too many tries it fails; the item may be picked again at a later slot
            conn.execute("UPDATE publications SET attempts = attempts + 1, error = ?, "
                         "updated_at = ?, state = CASE WHEN attempts + 1 >= ? THEN 'failed' "
                         "ELSE state END, fingerprint = CASE WHEN attempts + 1 >= ? THEN '' "
                         "ELSE fingerprint END WHERE id = ?",
                         (mask(error)[:2000], self._now(), max_attempts, max_attempts, pub_id))
        return self.publication(pub_id)

    def last_item(self, campaign: str) -> str | None:
        """The item this campaign published (or tried to) most recently."""
        rows = self._all("SELECT item_id, items FROM publications WHERE campaign = ? AND state "
                         "IN ('sent', 'pending', 'unconfirmed') ORDER BY id DESC LIMIT 1",
                         (campaign,))
        if not rows:
            return None
        items = rows[0]["items"].split()
        return items[-1] if items else rows[0]["item_id"]

    def latest_outcomes(self) -> list[PublicationRow]:
        """The newest finished publication of each (campaign, channel), oldest first."""
        return [publication_from(r) for r in self._all(
            "SELECT * FROM publications WHERE id IN (SELECT MAX(id) FROM publications WHERE "
            "state != 'pending' GROUP BY campaign, channel) ORDER BY id")]

    def failed_since(self, since: datetime) -> list[PublicationRow]:
        """Publications that ended ``failed`` or ``blocked`` at or after ``since``."""
        return [publication_from(r) for r in self._all(
            "SELECT * FROM publications WHERE state IN ('failed', 'blocked') AND updated_at "
            ">= ? ORDER BY id", (iso(since),))]

    def paused_issues(self) -> list[tuple[str, str]]:
        """``(issue id, note)`` of newsletter issues left ``paused`` (none without the tables)."""
        if not self.db.has_table("newsletter_issues"):  # the newsletter never ran here
            return []
        return [(r["id"], r["note"]) for r in self._all(
            "SELECT id, note FROM newsletter_issues WHERE state = 'paused' ORDER BY id")]

    def channel_history(self, channel: str) -> list[PublicationRow]:
        """Every publication on ``channel``, oldest first (selection reads it)."""
        return [publication_from(r) for r in self._all(
            "SELECT * FROM publications WHERE channel = ? ORDER BY id", (channel,))]

    # -- reading -------------------------------------------------------------------------------

    def delivery(self, row_id: int) -> Delivery:
        """One delivery row by id."""
        rows = self._all("SELECT * FROM deliveries WHERE id = ?", (row_id,))
        if not rows:
            raise LedgerError(f"no delivery row {row_id} (see `k2publisher status`)")
        return delivery_from(rows[0])

    def deliveries(self, *, states: Iterable[str] | None = None, item_id: str | None = None,
                   channel: str | None = None, limit: int | None = None) -> list[Delivery]:
        """Delivery rows, newest first, optionally filtered."""
        return [delivery_from(r) for r in self._newest(
            "deliveries", states, limit, item_id=item_id, channel=channel)]

    def sent_items(self, channel: str) -> list[tuple[str, datetime]]:
        """``(item id, first time its first part was sent)`` for every item sent on
        ``channel``, oldest first: what a site channel's feeds and archive list."""
        rows = self._all("SELECT item_id, MIN(COALESCE(finished_at, updated_at)) AS at FROM "
                         "deliveries WHERE channel = ? AND part = 0 AND state = 'sent' "
                         "GROUP BY item_id ORDER BY at, item_id", (channel,))
        return [(row["item_id"], datetime.fromisoformat(row["at"])) for row in rows]

    def _newest(self, table: Literal["publications", "deliveries"],
                states: Iterable[str] | None, limit: int | None, **equal: str | None) -> list:
        """Rows of ``table``, newest first, filtered by state and by the non-None columns."""
        sql, args = f"SELECT * FROM {table} WHERE TRUE", []
        if states is not None:
            wanted = list(states)
            sql += f" AND state IN ({','.join('?' * len(wanted)) or chr(39) * 2})"
            args += wanted
        for column, value in equal.items():
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(value)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return self._all(sql, args)

    def counts(self) -> dict[str, dict[str, int]]:
        """How many deliveries and publications are in each state."""
        out: dict[str, dict[str, int]] = {}
        for table in ("deliveries", "publications"):
            states = DeliveryState if table == "deliveries" else PublicationState
            found = {s.value: 0 for s in states}
            for row in self._all(f"SELECT state, COUNT(*) FROM {table} GROUP BY state"):
                found[row[0]] = row[1]
            out[table] = found
        return out

    def set_meta(self, key: str, value: str) -> None:
        """Store a small named value (the scheduler's last tick, the install baseline)."""
        with self._tx() as conn:
            conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO "
                         "UPDATE SET value = excluded.value", (key, value))

    def get_meta(self, key: str) -> str | None:
        """A value stored with :meth:`set_meta`."""
        rows = self._all("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    # -- backup --------------------------------------------------------------------------------

    def backup(self, dest: Path | str) -> Path:
        """Copy the live database to the SQLite file ``dest`` (safe while running).

        SQLite's online backup copies a SQLite store; a PostgreSQL store is copied table by
        table into a new SQLite file (:func:`k2publisher.database_copy.copy_store`, one
        snapshot). ``dest`` may be a file, or a folder (existing, or written with a trailing
        slash) that receives a timestamped copy. Returns the file written.
        """
        target = Path(dest)
        if target.is_dir() or str(dest).endswith(("/", os.sep)):
            target = target / f"k2publisher-{self.clock().strftime('%Y%m%dT%H%M%SZ')}.sqlite3"
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.partial")
        tmp.unlink(missing_ok=True)
        if isinstance(self.db, SQLiteDatabase):
            out = sqlite3.connect(tmp)
            try:
                with self.db.lock:
                    self.db.conn.backup(out)
            finally:
                out.close()
        else:
            from k2publisher.database_copy import copy_store

            copy_store(self.db, tmp)
        tmp.replace(target)
        return target
