"""Versioned schema migrations for the ledger, recorded in a ``schema_version`` table.

Each migration is a number and a script; :func:`migrate` applies the ones a database has not
seen yet, each in its own transaction, and refuses a database written by a newer release.
Migrations are only ever appended: a released one never changes.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from k2publisher.errors import ConfigError

#: (version, SQL script); append new migrations, never edit released ones
MIGRATIONS: tuple[tuple[int, str], ...] = (
    (1, """
        CREATE TABLE runs (
            id          INTEGER PRIMARY KEY,
            campaign    TEXT NOT NULL,
            slot        TEXT NOT NULL,           -- UTC ISO time of the schedule slot
            state       TEXT NOT NULL,           -- running | done | skipped | baseline
            note        TEXT NOT NULL DEFAULT '',
            started_at  TEXT NOT NULL,
            finished_at TEXT,
            UNIQUE (campaign, slot)
        );
        CREATE TABLE publications (
            id          INTEGER PRIMARY KEY,
            run_id      INTEGER NOT NULL REFERENCES runs(id),
            campaign    TEXT NOT NULL,
            item_id     TEXT NOT NULL,           -- a queue item, or a digest issue id
            items       TEXT NOT NULL DEFAULT '',-- space-separated queue items of a digest
            channel     TEXT NOT NULL,
            round       INTEGER NOT NULL DEFAULT 1,
            state       TEXT NOT NULL,           -- pending | sent | failed | blocked | unconfirmed
            fingerprint TEXT NOT NULL DEFAULT '',
            attempts    INTEGER NOT NULL DEFAULT 0,
            url         TEXT NOT NULL DEFAULT '',
            error       TEXT NOT NULL DEFAULT '',
            created_at  TEXT NOT NULL,
            updated_at  TEXT NOT NULL
        );
        CREATE INDEX publications_channel ON publications (channel, item_id);
        CREATE INDEX publications_state ON publications (state);
        CREATE TABLE deliveries (
            id          INTEGER PRIMARY KEY,
            item_id     TEXT NOT NULL,
            channel     TEXT NOT NULL,
            part        INTEGER NOT NULL,
            round       INTEGER NOT NULL DEFAULT 1,
            state       TEXT NOT NULL,           -- pending | sending | sent | failed | unconfirmed
            key         TEXT NOT NULL DEFAULT '',
            remote_id   TEXT NOT NULL DEFAULT '',
            url         TEXT NOT NULL DEFAULT '',
            error       TEXT NOT NULL DEFAULT '',
            attempts    INTEGER NOT NULL DEFAULT 0,
            created_at  TEXT NOT NULL,
            updated_at  TEXT NOT NULL,
            sending_at  TEXT,
            finished_at TEXT,
            UNIQUE (item_id, channel, part, round)
        );
        CREATE INDEX deliveries_state ON deliveries (state);
        CREATE TABLE meta (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
    """),
    (2, """
        -- a publish outside any campaign (`k2publisher publish`), and one forced past the
        -- status gate with the editor's reason
        ALTER TABLE publications ADD COLUMN forced INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE publications ADD COLUMN reason TEXT NOT NULL DEFAULT '';
    """),
    (3, """
        -- which process claimed a part it is sending: "<pid>:<token>" (see Ledger.sending)
        ALTER TABLE deliveries ADD COLUMN owner TEXT NOT NULL DEFAULT '';
    """),
    (4, """
        -- a network's rate limit (Retry-After, a reset time): not tried again before this
        -- UTC ISO time ('' = due now)
        ALTER TABLE publications ADD COLUMN not_before TEXT NOT NULL DEFAULT '';
    """),
)

LATEST = MIGRATIONS[-1][0]


def current_version(conn: sqlite3.Connection) -> int:
    """The highest migration applied to ``conn`` (0 for a new database)."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version ("
                 "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection, path: Path | str = "") -> list[int]:
    """Apply every pending migration to ``conn`` (autocommit mode); return the versions applied.

    Raises :class:`ConfigError` when the database was written by a newer k2publisher.
    """
    version = current_version(conn)
    if version > LATEST:
        raise ConfigError(f"the ledger is at schema version {version}, newer than this "
                          f"k2publisher knows ({LATEST}): upgrade k2publisher", path or None)
    applied: list[int] = []
    for number, script in MIGRATIONS:
        if number <= version:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            # executescript would commit the open transaction first: run statements one by one
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                         (number, datetime.now(UTC).isoformat(timespec="seconds")))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(number)
    return applied


def _statements(script: str) -> list[str]:
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
