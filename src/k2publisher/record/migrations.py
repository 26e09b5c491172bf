"""Versioned schema migrations for the ledger, recorded in a ``schema_version`` table.

Each migration is a number and a script; :func:`migrate` hands them to the one migration
runner (:meth:`k2publisher.database.Database.apply_migrations`), which applies the ones a
database has not seen yet, each in its own transaction, and refuses a database written by a
newer release.
Migrations are only ever appended: a released one never changes.
"""

from __future__ import annotations

from k2publisher.database import Database

#: the table recording which ledger migrations a file has seen
VERSION_TABLE = "schema_version"

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
        CREATE TABLE slot_plans (
            campaign    TEXT NOT NULL,
            slot        TEXT NOT NULL,           -- UTC ISO time of the schedule slot
            action      TEXT NOT NULL,           -- pin | skip
            item_id     TEXT NOT NULL DEFAULT '',-- the pinned item
            note        TEXT NOT NULL DEFAULT '',
            actor       TEXT NOT NULL DEFAULT '',
            created_at  TEXT NOT NULL,
            PRIMARY KEY (campaign, slot)
        );
        CREATE TABLE decisions (
            id          INTEGER PRIMARY KEY,
            item_id     TEXT NOT NULL,
            action      TEXT NOT NULL,           -- approve | override | reject | archive | ...
            reason      TEXT NOT NULL DEFAULT '',
            actor       TEXT NOT NULL DEFAULT '',
            at          TEXT NOT NULL
        );
        CREATE INDEX decisions_item ON decisions (item_id, id);
    """),
    (4, """
        -- which process claimed a part it is sending: "<pid>:<token>" (see Ledger.sending)
        ALTER TABLE deliveries ADD COLUMN owner TEXT NOT NULL DEFAULT '';
    """),
    (5, """
        -- a network's rate limit (Retry-After, a reset time): not tried again before this
        -- UTC ISO time ('' = due now)
        ALTER TABLE publications ADD COLUMN not_before TEXT NOT NULL DEFAULT '';
    """),
)

LATEST = MIGRATIONS[-1][0]


def migrate(db: Database) -> list[int]:
    """Apply every pending ledger migration to ``db``; return the versions applied.

    Raises :class:`~k2publisher.errors.ConfigError` when the file was written by a newer
    k2publisher.
    """
    return db.apply_migrations(MIGRATIONS, table=VERSION_TABLE, what="ledger")
