"""The one database layer: connection factory, pragma set and migration runner.

The ledger (:mod:`k2publisher.record.ledger`) and the newsletter
(:mod:`k2publisher.newsletter.store`) keep their tables in one SQLite file,
``<state>/k2publisher.sqlite3``. Both open it through :func:`connect`, so the pragmas are
set in one place, and migrate it through :meth:`Database.apply_migrations`, which applies a
table group's numbered, append-only migrations (each with its own version table) and
refuses a file written by a newer k2publisher. The SQL of each table group stays in its own
module; a second backend (PostgreSQL) would implement :class:`Database` and be chosen by
:func:`connect` without touching those callers.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from k2publisher.errors import ConfigError
from k2publisher.files import private_file

DB_NAME = "k2publisher.sqlite3"

#: how hard each commit is made durable. ``full``: survives a power cut (an fsync per
#: commit), for the ledger, whose "sent" rows stop a post going out twice. ``normal``: in WAL
#: mode a commit survives a killed process, which is what the newsletter's per-recipient
#: rows need at fan-out speed (see docs/newsletter.md, "Crash safety").
Durability = Literal["full", "normal"]
#: the one pragma set; ``synchronous`` follows the durability asked for
PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON")
#: seconds a connection waits for another writer before SQLite reports the file busy
BUSY_TIMEOUT = 30
#: one migration: its number (1, 2, ...) and its SQL script (statements separated by ``;``)
Migration = tuple[int, str]


def db_path(state_dir: Path | str) -> Path:
    """Where the database lives inside the ``[paths] state`` folder."""
    return Path(state_dir) / DB_NAME


class Database:
    """One connection to the database, shared by a process's threads behind :attr:`lock`.

    Autocommit: every statement outside :meth:`transaction` commits on its own.
    """

    def __init__(self, path: Path | str, *, durability: Durability = "full"):
        self.path = Path(path)
        private_file(self.path)  # state is not for other users (SQLite's -wal/-shm follow)
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                    timeout=BUSY_TIMEOUT)
        self.conn.row_factory = sqlite3.Row
        for pragma in (*PRAGMAS, f"PRAGMA synchronous={durability.upper()}"):
            self.conn.execute(pragma)

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

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        """Run one statement (its own transaction when outside :meth:`transaction`)."""
        with self.lock:
            return self.conn.execute(sql, params)

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        """Run a query and return every row."""
        with self.lock:
            return self.conn.execute(sql, params).fetchall()

    def schema_version(self, table: str) -> int:
        """The highest migration recorded in the version table ``table`` (0 when none)."""
        with self.lock:
            self.conn.execute(f"CREATE TABLE IF NOT EXISTS {table} ("
                              "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
            row = self.conn.execute(f"SELECT MAX(version) FROM {table}").fetchone()
        return int(row[0] or 0)

    def apply_migrations(self, migrations: Sequence[Migration], *, table: str, what: str
                         ) -> list[int]:
        """Apply the migrations ``table`` has not recorded, each in its own transaction.

        Returns the numbers applied. Raises :class:`ConfigError` when the file was written
        by a newer k2publisher (``table`` holds a higher number than ``migrations`` know).
        """
        latest = max((number for number, _ in migrations), default=0)
        current = self.schema_version(table)
        if current > latest:
            raise ConfigError(f"the {what} is at schema version {current}, newer than this "
                              f"k2publisher knows ({latest}): upgrade k2publisher", self.path)
        applied: list[int] = []
        for number, script in migrations:
            if number <= current:
                continue
            with self.transaction() as conn:
                # executescript would commit the open transaction: run statements one by one
                for statement in statements(script):
                    conn.execute(statement)
                conn.execute(f"INSERT INTO {table} (version, applied_at) VALUES (?, ?)",
                             (number, datetime.now(UTC).isoformat(timespec="seconds")))
            applied.append(number)
        return applied

    def close(self) -> None:
        """Close the connection (SQLite checkpoints the WAL)."""
        with self.lock:
            self.conn.close()


def connect(path: Path | str, *, durability: Durability = "full") -> Database:
    """The database at ``path``, opened with the one pragma set."""
    return Database(path, durability=durability)


def statements(script: str) -> list[str]:
    """The statements of a migration script, ``--`` comments removed."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
