"""The newsletter's tables in the shared database, with their own schema version.

The ledger and the newsletter live in one database (``state/k2publisher.sqlite3``, or the
PostgreSQL database of ``[store] url``) opened and migrated by the one database layer
(:mod:`k2publisher.database`), but their histories are independent: this module only touches
tables named ``newsletter_*`` and keeps its version in ``newsletter_schema_version``. WAL mode
(or PostgreSQL's MVCC) lets the web service, the CLI and a fan-out use it at the same time;
a process's threads share one :class:`NewsletterStore`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from k2publisher.database import (
    DB_NAME,
    Cursor,
    Migration,
    Session,
    SQLiteDatabase,
    connect,
    store_location,
)
from k2publisher.database import db_path as state_db_path
from k2publisher.settings import Settings

__all__ = ["DB_NAME", "LATEST", "MIGRATIONS", "NewsletterStore", "db_path", "now_iso"]

#: the table recording which newsletter migrations a file has seen
VERSION_TABLE = "newsletter_schema_version"

#: (version, SQL script); never edit a released entry, append a new one
MIGRATIONS: tuple[Migration, ...] = (
    (1, """
    CREATE TABLE newsletter_subscribers (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        email TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL CHECK (state IN
            ('pending', 'confirmed', 'unsubscribed', 'bounced', 'complained')),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        confirm_nonce TEXT
    );
    CREATE INDEX newsletter_subscribers_state ON newsletter_subscribers (state, id);
    CREATE TABLE newsletter_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        subscriber_id INTEGER NOT NULL REFERENCES newsletter_subscribers (id),
        at TEXT NOT NULL,
        event TEXT NOT NULL,
        old_state TEXT,
        new_state TEXT,
        source TEXT NOT NULL CHECK (source IN ('web', 'import', 'cli', 'bounce')),
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX newsletter_events_subscriber ON newsletter_events (subscriber_id, event, at);
    CREATE TABLE newsletter_issues (
        id TEXT PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('sending', 'paused', 'done', 'failed')),
        subject TEXT NOT NULL,
        html TEXT NOT NULL,
        text TEXT NOT NULL,
        item_ids TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE newsletter_deliveries (
        issue_id TEXT NOT NULL REFERENCES newsletter_issues (id),
        subscriber_id INTEGER NOT NULL REFERENCES newsletter_subscribers (id),
        state TEXT NOT NULL CHECK (state IN
            ('pending', 'sending', 'awaiting', 'sent', 'deferred', 'bounced', 'failed',
             'skipped')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt REAL NOT NULL DEFAULT 0,
        assumed INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL,
        error TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (issue_id, subscriber_id)
    ) WITHOUT ROWID;
    CREATE INDEX newsletter_deliveries_state ON newsletter_deliveries (issue_id, state);
    """),
    # bounces and complaints from ESP webhooks and the bounce mailbox (newsletter/feedback)
    (2, """
    ALTER TABLE newsletter_subscribers ADD COLUMN soft_bounces INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE newsletter_feedback (
        provider TEXT NOT NULL,
        event_id TEXT NOT NULL,
        at TEXT NOT NULL,
        email TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('hard', 'soft', 'complaint')),
        outcome TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (provider, event_id)
    ) WITHOUT ROWID;
    CREATE TABLE newsletter_webhook_nonces (
        provider TEXT NOT NULL,
        nonce TEXT NOT NULL,
        at REAL NOT NULL,
        PRIMARY KEY (provider, nonce)
    ) WITHOUT ROWID;
    """),
    # several fan-out workers: who holds each claimed row, who is alive, the shared rate
    (3, """
    ALTER TABLE newsletter_deliveries ADD COLUMN owner TEXT NOT NULL DEFAULT '';
    CREATE TABLE newsletter_workers (
        id TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        lease_until REAL NOT NULL
    );
    CREATE TABLE newsletter_rate (
        name TEXT PRIMARY KEY,
        next_free REAL NOT NULL DEFAULT 0
    );
    CREATE TABLE newsletter_rate_minutes (
        name TEXT NOT NULL,
        minute INTEGER NOT NULL,
        sent INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (name, minute)
    );
    """),
    # the provider's message id of a copy an ESP accepted (what its support and logs name)
    (4, """
    ALTER TABLE newsletter_deliveries ADD COLUMN remote_id TEXT NOT NULL DEFAULT '';
    """),
    # when the last soft bounce came (a streak of soft bounces ends, see newsletter/feedback)
    (5, """
    ALTER TABLE newsletter_subscribers ADD COLUMN last_soft_bounce_at TEXT NOT NULL DEFAULT '';
    """),
)
LATEST = MIGRATIONS[-1][0]


def now_iso() -> str:
    """The current UTC time as an ISO 8601 string (what every ``*_at`` column holds)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def db_path(settings: Settings) -> Path:
    """The SQLite database file of the state folder: ``<state>/k2publisher.sqlite3``."""
    return state_db_path(settings.path("state"))


class NewsletterStore:
    """An open connection to the newsletter tables, migrated to the newest version.

    ``location`` is a SQLite file or a ``postgresql://`` URL (see
    :func:`k2publisher.database.connect`); threads may share one store.
    """

    def __init__(self, location: Path | str, *, pool_size: int | None = None):
        # "normal": a commit survives a killed process (the WAL write is done); "full"
        # would also survive a power cut at the cost of an fsync per recipient. The
        # ``awaiting`` mark asks for ``durable`` (it must outlive a PostgreSQL crash)
        self.db = connect(location, durability="normal", writer="newsletter",
                          pool_size=pool_size)
        #: the SQLite file (None on PostgreSQL); :attr:`where` names either
        self.path: Path | None = getattr(self.db, "path", None)
        self.where = self.db.where
        self.lock = self.db.lock
        self.migrate()

    @classmethod
    def from_settings(cls, settings: Settings) -> NewsletterStore:
        """The configured store (``[store] url``, else the state folder's SQLite file)."""
        return cls(store_location(settings), pool_size=settings.typed.store.pool_size)

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.db.dialect

    @property
    def skip_locked(self) -> str:
        """What a claim query appends to skip rows other claimers hold (PostgreSQL)."""
        return self.db.skip_locked

    @contextmanager
    def transaction(self, *, exclusive: bool = True, durable: bool = False
                    ) -> Iterator[Session]:
        """One transaction (see :meth:`k2publisher.database.Database.transaction`)."""
        with self.db.transaction(exclusive=exclusive, durable=durable) as conn:
            yield conn

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = (), *,
                durable: bool = False) -> Cursor:
        """Run one statement (in this thread's open transaction, else on its own);
        ``durable``: see :meth:`k2publisher.database.Database.transaction`."""
        return self.db.execute(sql, params, durable=durable)

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        """Run a query and return every row."""
        return self.db.query(sql, params)

    def batch(self, steps: Sequence[tuple[str, Sequence[Any]]], *, durable: bool = False
              ) -> list[Any]:
        """Statements known up front in one transaction, one round trip on PostgreSQL
        (see :meth:`k2publisher.database.Database.batch`)."""
        return self.db.batch(steps, durable=durable)

    @property
    def version(self) -> int:
        """The schema version the store is at."""
        return self.db.schema_version(VERSION_TABLE)

    def migrate(self) -> list[int]:
        """Apply every migration the store has not seen (refusing a newer one)."""
        return self.db.apply_migrations(MIGRATIONS, table=VERSION_TABLE,
                                        what="newsletter store")

    def set_autocheckpoint(self, pages: int) -> None:
        """Let a commit checkpoint the WAL after ``pages`` pages (0 = never; see FanOut).

        PostgreSQL checkpoints on its own: nothing to do there.
        """
        if isinstance(self.db, SQLiteDatabase):
            with self.lock:
                self.db.conn.execute(f"PRAGMA wal_autocheckpoint={int(pages)}")

    def checkpoint(self) -> None:
        """Copy the WAL back into the database from a separate connection (PASSIVE).

        Writers on the store's connection carry on meanwhile; none of them pays for the
        copy. PostgreSQL checkpoints on its own: nothing to do there.
        """
        if self.path is None:
            return
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            conn.close()

    def close(self) -> None:
        """Close the connection(s)."""
        self.db.close()
