"""Copying a whole store to another one (SQLite -> PostgreSQL, or back), verified row by row.

:func:`copy_store` migrates both ends to the newest schema (the one migration list of each
table group), refuses a target that already holds rows unless it is already an exact copy
(then it does nothing: a re-run is safe), copies every table in creation order (parents
before children) inside ONE target transaction, so an interrupted copy leaves the target
as empty as it was, and then compares each table's row count and a digest of its rows in
both stores. A PostgreSQL source is read in one REPEATABLE READ snapshot.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from k2publisher.database import Database, Session, connect, created_tables
from k2publisher.errors import K2Error

#: rows read and written per batch
BATCH = 5_000


class StoreCopyError(K2Error, RuntimeError):
    """The target already holds other rows, or the copy did not verify: nothing was written.

    Exit code 1, as a failed check (``k2publisher store --help``)."""

    exit_code = 1


@dataclass(frozen=True)
class TableCopy:
    """One table's outcome: rows in the source, rows now in the target, and their digests."""

    table: str
    source_rows: int
    target_rows: int
    source_digest: str
    target_digest: str

    @property
    def verified(self) -> bool:
        """The target holds exactly the source's rows."""
        return (self.source_rows, self.source_digest) == (self.target_rows, self.target_digest)


@dataclass(frozen=True)
class CopyReport:
    """What :func:`copy_store` did: ``copied`` or ``already-copied``, and each table."""

    outcome: str
    tables: tuple[TableCopy, ...]

    @property
    def rows(self) -> int:
        """Rows in the source, all tables together."""
        return sum(t.source_rows for t in self.tables)


def migration_groups() -> list[tuple[str, str, Sequence[tuple[int, str]]]]:
    """``(what, version table, migrations)`` of every table group, ledger first."""
    from k2publisher.newsletter import store as newsletter
    from k2publisher.record import migrations as ledger

    return [("ledger", ledger.VERSION_TABLE, ledger.MIGRATIONS),
            ("newsletter store", newsletter.VERSION_TABLE, newsletter.MIGRATIONS)]


def data_tables() -> list[str]:
    """Every table the migrations create, in creation order (parents before children)."""
    return [t for _what, _table, migrations in migration_groups()
            for t in created_tables(migrations)]


def migrate_all(db: Database) -> dict[str, list[int]]:
    """Apply every table group's pending migrations to ``db``; the numbers applied per group."""
    return {what: db.apply_migrations(migrations, table=table, what=what)
            for what, table, migrations in migration_groups()}


def columns(db: Database, table: str) -> list[str]:
    """The column names of ``table``, in table order."""
    if db.dialect == "sqlite":
        return [r[1] for r in db.query(f"PRAGMA table_info({table})")]
    return [r[0] for r in db.query(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name = ? ORDER BY ordinal_position", (table,))]


def _rows(conn: Session, table: str, names: Sequence[str]) -> Iterator[tuple[Any, ...]]:
    """Every row of ``table`` in one stable order (all columns), read in batches."""
    order = ", ".join(str(i + 1) for i in range(len(names)))
    offset = 0
    while True:
        batch = conn.execute(f"SELECT {', '.join(names)} FROM {table} ORDER BY {order} "
                             f"LIMIT {BATCH} OFFSET {offset}").fetchall()
        yield from (tuple(r) for r in batch)
        if len(batch) < BATCH:
            return
        offset += BATCH


def _digest(rows: Iterator[tuple[Any, ...]]) -> tuple[int, str]:
    count, digest = 0, hashlib.sha256()
    for row in rows:
        digest.update(repr(row).encode())
        count += 1
    return count, digest.hexdigest()[:16]


@contextmanager
def _snapshot(db: Database) -> Iterator[Session]:
    """One consistent read of the whole store while other processes write."""
    if db.dialect == "sqlite":
        with db.transaction() as conn:  # BEGIN IMMEDIATE: writers wait for the copy
            yield conn
        return
    with db.transaction(exclusive=False) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield conn


def _survey(conn: Session, tables: Sequence[str], names: dict[str, list[str]]
            ) -> dict[str, tuple[int, str]]:
    return {t: _digest(_rows(conn, t, names[t])) for t in tables}


def _outcome(table: str, source: tuple[int, str], target: tuple[int, str]) -> TableCopy:
    return TableCopy(table, source[0], target[0], source[1], target[1])


def copy_store(source: Database, target: Database | str | Path, *,
               progress: Callable[[str, int], None] | None = None) -> CopyReport:
    """Copy every table of ``source`` into ``target`` (a database or a location).

    ``progress(table, rows)`` is called as rows are written. Raises
    :class:`StoreCopyError` when the target holds rows that are not an exact copy, or when a
    table does not verify after the copy (then the target transaction is rolled back).
    """
    owned = not isinstance(target, Database)
    dest = connect(target) if owned else target
    assert isinstance(dest, Database)
    try:
        if dest.where == source.where:
            raise StoreCopyError(f"the source and the target are both {source.where}")
        migrate_all(source)
        migrate_all(dest)
        tables = data_tables()
        names = {t: columns(source, t) for t in tables}
        missing = {t: sorted(set(names[t]) - set(columns(dest, t))) for t in tables}
        if any(missing.values()):
            raise StoreCopyError(f"{dest.where} lacks columns {missing}: upgrade k2publisher "
                                 "where it was created")
        with _snapshot(source) as src:
            before = _survey(src, tables, names)
            held = {t: n for t, n in ((t, int(dest.query(f"SELECT COUNT(*) FROM {t}")[0][0]))
                                      for t in tables) if n}
            if held:
                with _snapshot(dest) as out:
                    there = _survey(out, tables, names)
                if there == before:
                    return CopyReport("already-copied", tuple(
                        _outcome(t, before[t], there[t]) for t in tables))
                listing = ", ".join(f"{t} ({n} rows)" for t, n in held.items())
                raise StoreCopyError(
                    f"the target {dest.where} already holds rows that are not a copy of "
                    f"{source.where}: {listing}. Copy into an empty database (createdb a new "
                    "one), or drop these tables first; nothing was written")
            with dest.transaction() as out:
                for table in tables:
                    def counted(table: str = table) -> Iterator[tuple[Any, ...]]:
                        for n, row in enumerate(_rows(src, table, names[table]), 1):
                            if progress is not None and n % 1000 == 0:
                                progress(table, 1000)
                            yield row
                    written = dest.insert_rows(out, table, names[table], counted())
                    if progress is not None and written % 1000:
                        progress(table, written % 1000)
                    if "id" in names[table]:
                        dest.after_copy(out, table)
                after = _survey(out, tables, names)
                report = tuple(_outcome(t, before[t], after[t]) for t in tables)
                wrong = [t for t in report if not t.verified]
                if wrong:
                    raise StoreCopyError("the copy did not verify, so nothing was kept: " +
                                         "; ".join(f"{t.table}: {t.source_rows} rows read, "
                                                   f"{t.target_rows} written" for t in wrong))
        return CopyReport("copied", report)
    finally:
        if owned:
            dest.close()
