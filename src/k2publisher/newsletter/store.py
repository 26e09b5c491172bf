"""The newsletter's tables in the shared SQLite file, with their own schema version.

The ledger and the newsletter live in one database (``state/k2publisher.sqlite3``) but
migrate independently: this module only touches tables named ``newsletter_*`` and keeps
its version in ``newsletter_schema_version``. The connection runs in WAL mode so the web
service, the CLI and a fan-out can use the file at the same time; one connection is shared
by the threads of a process behind :attr:`NewsletterStore.lock`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from k2publisher.files import private_file
from k2publisher.settings import Settings

DB_NAME = "k2publisher.sqlite3"

#: one entry per schema version; never edit a released entry, append a new one
MIGRATIONS: tuple[str, ...] = (
    """
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
    """,
)


def now_iso() -> str:
    """The current UTC time as an ISO 8601 string (what every ``*_at`` column holds)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def db_path(settings: Settings) -> Path:
    """The shared database file: ``<state>/k2publisher.sqlite3``."""
    return settings.path("state") / DB_NAME


class NewsletterStore:
    """An open connection to the newsletter tables, migrated to the newest version.

    Every method that writes takes :attr:`lock`, so threads may share one store.
    """

    def __init__(self, path: Path | str):
        self.path = Path(path)
        private_file(self.path)
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                    check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL: a commit survives a killed process (the WAL write is done); FULL would
        # also survive a power cut at the cost of an fsync per commit.
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.migrate()

    @classmethod
    def from_settings(cls, settings: Settings) -> NewsletterStore:
        """The store in the configured state folder."""
        return cls(db_path(settings))

    @property
    def version(self) -> int:
        """The schema version the file is at."""
        row = self.conn.execute("SELECT max(version) FROM newsletter_schema_version").fetchone()
        return int(row[0] or 0)

    def migrate(self) -> None:
        """Apply every migration the file has not seen, each in its own transaction."""
        with self.lock:
            self.conn.execute("CREATE TABLE IF NOT EXISTS newsletter_schema_version "
                              "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
            for number, script in enumerate(MIGRATIONS, start=1):
                if number <= self.version:
                    continue
                with self.transaction():
                    for statement in filter(str.strip, script.split(";")):
                        self.conn.execute(statement)
                    self.conn.execute("INSERT INTO newsletter_schema_version VALUES (?, ?)",
                                      (number, now_iso()))

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error), holding :attr:`lock`."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def execute(self, sql: str, params: tuple | dict = ()) -> sqlite3.Cursor:
        """Run one statement (its own transaction when outside :meth:`transaction`)."""
        with self.lock:
            return self.conn.execute(sql, params)

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        """Run a query and return every row."""
        with self.lock:
            return self.conn.execute(sql, params).fetchall()

    def set_autocheckpoint(self, pages: int) -> None:
        """Let a commit checkpoint the WAL after ``pages`` pages (0 = never; see FanOut)."""
        with self.lock:
            self.conn.execute(f"PRAGMA wal_autocheckpoint={int(pages)}")

    def checkpoint(self) -> None:
        """Copy the WAL back into the database from a separate connection (PASSIVE).

        Writers on :attr:`conn` carry on meanwhile; none of them pays for the copy.
        """
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            conn.close()

    def close(self) -> None:
        """Close the connection."""
        with self.lock:
            self.conn.close()
