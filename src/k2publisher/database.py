"""The one database layer: SQLite or PostgreSQL behind one API, and the migration runner.

The ledger (:mod:`k2publisher.record.ledger`) and the newsletter
(:mod:`k2publisher.newsletter.store`) keep their tables in one database: by default the
SQLite file ``<state>/k2publisher.sqlite3``; with ``[store] url = "postgresql://..."`` a
PostgreSQL database. Both open it through :func:`connect`, which picks the backend from the
location, and migrate it through :meth:`Database.apply_migrations`, which applies a table
group's numbered, append-only migrations (each with its own version table) and refuses a
database written by a newer k2publisher.

Callers write one SQL: SQLite's ``?`` placeholders and its column types, plus the syntax
both engines share (``INSERT ... ON CONFLICT DO NOTHING``, ``RETURNING id``, ``GREATEST``,
``TRUE``). :func:`translate` is the one place that turns it into PostgreSQL's (``%s``
placeholders, ``BIGSERIAL`` keys, ``DOUBLE PRECISION``, byte-order ``COLLATE "C"`` text so
ISO timestamps sort as on SQLite); the SQLite backend registers ``greatest``.

Transactions keep SQLite's meaning on both engines: :meth:`Database.transaction` is
``BEGIN IMMEDIATE`` on SQLite, and on PostgreSQL a transaction that first takes the
database's writer lock (``pg_advisory_xact_lock``), so the read-then-write steps written for
SQLite (the ledger's per-part claim) stay exactly-once when several processes share one
PostgreSQL database. Code written for row-level concurrency (``SELECT ... FOR UPDATE SKIP
LOCKED``, see :attr:`Database.skip_locked`) asks for ``transaction(exclusive=False)``.
"""

from __future__ import annotations

import functools
import re
import select
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit, urlunsplit

from k2publisher.errors import ConfigError, StoreUnavailableError
from k2publisher.files import private_file
from k2publisher.locks import lock_key
from k2publisher.settings import DEFAULTS

DB_NAME = "k2publisher.sqlite3"

#: how hard each commit is made durable. ``full``: survives a power cut (an fsync per
#: commit), for the ledger, whose "sent" rows stop a post going out twice. ``normal``: a
#: commit survives a killed process (SQLite in WAL mode; PostgreSQL with
#: ``synchronous_commit = off``, where the server has the commit even if its disk has not
#: yet), which is what the newsletter's per-recipient rows need at fan-out speed (see
#: docs/newsletter.md, "Crash safety"). A ``normal`` PostgreSQL commit is lost when the
#: *server* crashes within ~0.6 s of it (``pg_ctl stop -m immediate`` loses the last
#: acknowledged ones), so a commit that must outlive the server (the ``awaiting`` mark,
#: after which a copy may leave) asks for ``durable=True``: that one waits for the flush.
Durability = Literal["full", "normal"]
#: the one SQLite pragma set; ``synchronous`` follows the durability asked for
PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON")
#: seconds a connection waits for another writer before SQLite reports the file busy
BUSY_TIMEOUT = 30
#: one migration: its number (1, 2, ...) and its SQL script (statements separated by ``;``)
Migration = tuple[int, str]
#: the URL schemes that select the PostgreSQL backend
POSTGRES_SCHEMES = ("postgresql", "postgres")
#: connections a process keeps open to PostgreSQL per store object (threads share them):
#: ``[store] pool_size``, whose default this is
POOL_SIZE = int(DEFAULTS["store"]["pool_size"])
#: seconds to wait for a PostgreSQL connection before reporting the server unreachable
CONNECT_TIMEOUT = 10.0
#: the advisory-lock key exclusive PostgreSQL transactions take (SQLite's one writer); a
#: table group named by ``writer=`` (:func:`connect`) has a key of its own, so the ledger's
#: writers queue behind each other, not behind the newsletter's
WRITER_LOCK = 0x6B32_0001
#: what a ``durable`` commit on a ``normal`` PostgreSQL store runs first
SYNCHRONOUS_COMMIT = "SET LOCAL synchronous_commit = on"
#: the errors a unique or foreign-key constraint raises, on either engine
try:
    import psycopg
    import psycopg_pool

    IntegrityError: tuple[type[Exception], ...] = (sqlite3.IntegrityError,
                                                   psycopg.IntegrityError)
except ImportError:  # pragma: no cover - psycopg is a dependency; SQLite needs none of it
    psycopg = None  # type: ignore[assignment]
    psycopg_pool = None  # type: ignore[assignment]
    IntegrityError = (sqlite3.IntegrityError,)


class Row(Protocol):
    """A result row: by position (``row[0]``) and by column name (``row["state"]``)."""

    def __getitem__(self, key: int | str) -> Any: ...
    def keys(self) -> list[str]: ...


class Cursor(Protocol):
    """What a statement returns: its rows and how many rows it changed."""

    rowcount: int

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Session(Protocol):
    """The connection of an open transaction: ``execute`` one statement in it."""

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Cursor: ...
    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> Cursor: ...


def db_path(state_dir: Path | str) -> Path:
    """Where the SQLite database lives inside the ``[paths] state`` folder."""
    return Path(state_dir) / DB_NAME


def is_postgres(location: str | Path) -> bool:
    """Whether ``location`` names a PostgreSQL database (a ``postgresql://`` URL)."""
    return isinstance(location, str) and location.split("://", 1)[0] in POSTGRES_SCHEMES


def sqlite_file(location: str | Path) -> Path:
    """The file of a SQLite location: a path, or a ``sqlite:///path`` URL."""
    text = str(location)
    return Path(text[len("sqlite://"):] if text.startswith("sqlite://") else text)


def store_location(settings: Any) -> str | Path:
    """The configured store: ``[store] url``, or the SQLite file in the state folder."""
    url = settings.typed.store.url
    return url if url else db_path(settings.path("state"))


def masked(location: str | Path) -> str:
    """``location`` fit for a log line: a URL's password becomes ``****``."""
    text = str(location)
    if "://" not in text:
        return text
    parts = urlsplit(text)
    if parts.password is None:
        return text
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:****@{netloc[1]}"))


# -- the one dialect translation -------------------------------------------------------------

_QUOTED = re.compile(r"('(?:[^']|'')*'|\"[^\"]*\")")
_DDL = re.compile(r"^\s*(CREATE\s+TABLE|ALTER\s+TABLE)\b", re.IGNORECASE)
#: SQLite column types and clauses -> PostgreSQL's, in table definitions only
_DDL_TYPES = (
    (re.compile(r"\bINTEGER PRIMARY KEY( AUTOINCREMENT)?\b"), "BIGSERIAL PRIMARY KEY"),
    (re.compile(r"\bINTEGER\b"), "BIGINT"),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
    (re.compile(r"\bTEXT\b"), 'TEXT COLLATE "C"'),
    (re.compile(r"\)\s*WITHOUT ROWID\s*$"), ")"),
)


@functools.lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """The PostgreSQL form of one statement written for SQLite (see the module docstring).

    Outside quoted literals, ``?`` becomes ``%s`` and ``%`` becomes ``%%`` (psycopg's
    placeholder syntax); in ``CREATE TABLE`` and ``ALTER TABLE`` the column types change.
    """
    pieces = _QUOTED.split(sql)
    for i in range(0, len(pieces), 2):  # even pieces are outside quotes
        pieces[i] = pieces[i].replace("%", "%%").replace("?", "%s")
    out = "".join(pieces)
    if _DDL.match(out):
        for pattern, replacement in _DDL_TYPES:
            out = pattern.sub(replacement, out)
    return out


def statements(script: str) -> list[str]:
    """The statements of a migration script, ``--`` comments removed."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def created_tables(migrations: Iterable[Migration]) -> list[str]:
    """The tables a migration list creates, in creation order (parents before children)."""
    found: list[str] = []
    for _number, script in migrations:
        for statement in statements(script):
            match = re.match(r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", statement,
                             re.IGNORECASE)
            if match and match.group(1) not in found:
                found.append(match.group(1))
    return found


# -- the common API ----------------------------------------------------------------------------


class Database:
    """One database, shared by a process's threads; autocommit outside :meth:`transaction`.

    Subclasses: :class:`SQLiteDatabase` (one connection behind :attr:`lock`) and
    :class:`PostgresDatabase` (a pool). Statements are written as the module docstring says.
    """

    #: ``"sqlite"`` or ``"postgresql"``
    dialect: str = ""
    #: what a claim query appends to lock the rows it picks without waiting for other
    #: claimers (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has one writer anyway)
    skip_locked: str = ""
    #: where the database is (a file path, or the URL with its password masked)
    where: str = ""
    lock: threading.RLock

    @contextmanager
    def transaction(self, *, exclusive: bool = True, durable: bool = False
                    ) -> Iterator[Session]:
        """One transaction: commit at the end of the block, roll back on an exception.

        ``exclusive`` (the default) serialises writers as SQLite's ``BEGIN IMMEDIATE``
        does; ``exclusive=False`` on PostgreSQL is a plain READ COMMITTED transaction for
        code that locks its own rows. ``durable``: on a ``normal`` PostgreSQL store this
        commit waits for the server's WAL flush (see :data:`Durability`).
        """
        raise NotImplementedError
        yield  # pragma: no cover

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = (), *,
                durable: bool = False) -> Cursor:
        """Run one statement (in this thread's open transaction, else on its own);
        ``durable`` as for :meth:`transaction`."""
        raise NotImplementedError

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        """Run a query and return every row."""
        return self.execute(sql, params).fetchall()

    def batch(self, steps: Sequence[tuple[str, Sequence[Any]]], *, durable: bool = False
              ) -> list[Result]:
        """Run ``steps`` (statement, parameters) in one transaction that locks its own rows
        (``exclusive=False``); every statement's rows and row count, read after the commit.

        For a transaction known in full before it starts (a fan-out round's outcomes and
        marks): on PostgreSQL it goes out as one query, one round trip for all of it.
        ``durable`` as for :meth:`transaction`.
        """
        with self.transaction(exclusive=False, durable=durable) as conn:
            out = []
            for sql, params in steps:
                cur = conn.execute(sql, params)
                out.append(Result(list(cur.fetchall()), cur.rowcount))
            return out

    def has_table(self, name: str) -> bool:
        """Whether the table ``name`` exists."""
        raise NotImplementedError

    def ping(self) -> None:
        """One empty round trip; raises :class:`StoreUnavailableError` when the store does
        not answer (without waiting for a busy pool)."""
        self.query("SELECT 1")

    def insert_rows(self, session: Session, table: str, columns: Sequence[str],
                    rows: Iterable[Sequence[Any]]) -> int:
        """Insert ``rows`` (values in ``columns`` order) into ``table``; return how many."""
        sql = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
               f"({', '.join('?' * len(columns))})")
        count = 0
        for row in rows:
            session.execute(sql, tuple(row))
            count += 1
        return count

    def after_copy(self, session: Session, table: str) -> None:
        """Bring the ``id`` sequence of ``table`` past the ids a bulk copy wrote (PostgreSQL)."""

    def schema_version(self, table: str) -> int:
        """The highest migration recorded in the version table ``table`` (0 when none)."""
        if not self.has_table(table):
            return 0
        row = self.query(f"SELECT MAX(version) FROM {table}")[0]
        return int(row[0] or 0)

    def apply_migrations(self, migrations: Sequence[Migration], *, table: str, what: str
                         ) -> list[int]:
        """Apply the migrations ``table`` has not recorded, each in its own transaction.

        Each is re-checked inside its (exclusive) transaction, so processes starting at once
        apply it once. Returns the numbers applied. Raises :class:`ConfigError` when the
        database was written by a newer k2publisher (``table`` holds a higher number than
        ``migrations`` know).
        """
        latest = max((number for number, _ in migrations), default=0)
        current = self.schema_version(table)
        if current > latest:
            raise ConfigError(f"the {what} is at schema version {current}, newer than this "
                              f"k2publisher knows ({latest}): upgrade k2publisher", self.where)
        applied: list[int] = []
        for number, script in migrations:
            if number <= current:
                continue
            with self.transaction() as conn:
                conn.execute(f"CREATE TABLE IF NOT EXISTS {table} ("
                             "version INTEGER NOT NULL PRIMARY KEY, applied_at TEXT NOT NULL)")
                if conn.execute(f"SELECT 1 FROM {table} WHERE version = ?",
                                (number,)).fetchone():
                    continue  # another process applied it meanwhile
                for statement in statements(script):
                    conn.execute(statement)
                conn.execute(f"INSERT INTO {table} (version, applied_at) VALUES (?, ?)",
                             (number, datetime.now(UTC).isoformat(timespec="seconds")))
            applied.append(number)
        return applied

    def close(self) -> None:
        """Close the connection(s)."""
        raise NotImplementedError


class SQLiteDatabase(Database):
    """One SQLite connection shared by a process's threads behind :attr:`lock` (WAL)."""

    dialect = "sqlite"

    def __init__(self, path: Path | str, *, durability: Durability = "full"):
        self.path = sqlite_file(path)
        self.where = str(self.path)
        private_file(self.path)  # state is not for other users (SQLite's -wal/-shm follow)
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                    timeout=BUSY_TIMEOUT)
        self.conn.row_factory = sqlite3.Row
        # PostgreSQL's scalar GREATEST, so one SQL runs on both (SQLite's is a 2-arg MAX)
        self.conn.create_function("greatest", -1, max, deterministic=True)
        for pragma in (*PRAGMAS, f"PRAGMA synchronous={durability.upper()}"):
            self.conn.execute(pragma)

    @contextmanager
    def transaction(self, *, exclusive: bool = True, durable: bool = False
                    ) -> Iterator[Session]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error), holding :attr:`lock`.

        ``durable`` changes nothing: SQLite has no server to crash, and a WAL commit
        survives the process."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = (), *,
                durable: bool = False) -> Cursor:
        """Run one statement (its own transaction when outside :meth:`transaction`)."""
        with self.lock:
            return self.conn.execute(sql, params)

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        """Run a query and return every row."""
        with self.lock:
            return self.conn.execute(sql, params).fetchall()

    def has_table(self, name: str) -> bool:
        """Whether the table ``name`` exists."""
        return bool(self.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                               (name,)))

    def insert_rows(self, session: Session, table: str, columns: Sequence[str],
                    rows: Iterable[Sequence[Any]]) -> int:
        """Insert ``rows`` with one prepared statement (``executemany``)."""
        sql = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
               f"({', '.join('?' * len(columns))})")
        before = self.conn.total_changes
        self.conn.executemany(sql, (tuple(r) for r in rows))
        return self.conn.total_changes - before

    def close(self) -> None:
        """Close the connection (SQLite checkpoints the WAL)."""
        with self.lock:
            self.conn.close()


# -- PostgreSQL --------------------------------------------------------------------------------


class PgRow(tuple):
    """A PostgreSQL row read like :class:`sqlite3.Row`: by position or by column name."""

    _index: dict[str, int]

    def __new__(cls, values: Sequence[Any], index: dict[str, int]) -> PgRow:
        row = super().__new__(cls, values)
        row._index = index
        return row

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        """The column names, in order."""
        return list(self._index)


def _pg_rows(cursor: Any) -> Callable[[Sequence[Any]], PgRow]:
    """psycopg row factory making :class:`PgRow` values."""
    index = {c.name: i for i, c in enumerate(cursor.description or ())}
    return lambda values: PgRow(values, index)


@dataclass
class Result:
    """A finished statement's rows (read before its connection went back to the pool)."""

    rows: list[Any] = field(default_factory=list)
    rowcount: int = -1

    def fetchone(self) -> Any:
        """The first row, or None."""
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[Any]:
        """Every row."""
        return self.rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)


class PgSession:
    """One pooled PostgreSQL connection inside a transaction, taking SQLite-style SQL."""

    def __init__(self, conn: Any):
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Result:
        """Run one statement (translated) and read its rows."""
        cur = self.conn.execute(translate(sql), params or None)
        return Result(cur.fetchall() if cur.description else [], cur.rowcount)

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> Result:
        """Run one statement (translated) once per parameter tuple (pipelined)."""
        params = list(seq)
        if not params:
            return Result([], 0)
        with self.conn.cursor() as cur:
            cur.executemany(translate(sql), params)
            return Result([], cur.rowcount)


def server_closed_it(conn: Any) -> None:
    """The pool's check before it lends a connection: raise when the server has closed it.

    An idle connection has nothing to read; one the server ended (a restart, a
    ``pg_terminate_backend``, an immediate stop) is readable (its termination message, or
    end of file). A ``poll`` with no timeout says so without a round trip; only then is
    the connection tried with an empty statement (psycopg_pool's check), which raises for a
    dead one and consumes anything harmless (a notice), so a live connection is never
    thrown away. The pool replaces a dead one before a caller's statement fails on it
    (measured against the round-trip check on every borrow: ``bench/store.py --part
    pool``). A connection cut without a word (a vanished machine) passes; its statement
    then fails as unreachable.
    """
    if conn.closed or conn.broken:
        raise psycopg.OperationalError("the connection is closed")
    poller = select.poll()
    poller.register(conn.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
    if poller.poll(0):
        psycopg_pool.ConnectionPool.check_connection(conn)


#: the checks a pool may run before it lends a connection (``PostgresDatabase(check=)``):
#: the default ``socket`` (:func:`server_closed_it`), psycopg_pool's ``round-trip`` (an
#: empty statement), or ``none``
POOL_CHECKS: dict[str, Callable[[Any], None] | None] = {
    "socket": server_closed_it,
    "round-trip": psycopg_pool.ConnectionPool.check_connection if psycopg_pool else None,
    "none": None,
}


class PostgresDatabase(Database):
    """A PostgreSQL database through a psycopg connection pool.

    A thread's open :meth:`transaction` owns one pooled connection; :meth:`execute` and
    :meth:`query` on that thread run in it, elsewhere each statement borrows a connection
    for itself (autocommit).
    """

    dialect = "postgresql"
    skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, url: str, *, durability: Durability = "full",
                 pool_size: int | None = None, writer: str = "", check: str = "socket"):
        if psycopg is None:  # pragma: no cover
            raise ConfigError("[store] url names PostgreSQL but psycopg is not installed: "
                              "pip install 'psycopg[binary]' psycopg-pool")
        self.url = url
        self.path = None
        self.pool_size = int(pool_size or POOL_SIZE)
        #: whether commits are asynchronous unless ``durable`` is asked for
        self.asynchronous = durability == "normal"
        #: the advisory-lock key of this store object's exclusive transactions
        self.writer_lock = lock_key(f"writer-{writer}") if writer else WRITER_LOCK
        self.where = masked(url)
        self.lock = threading.RLock()
        self._local = threading.local()
        settings = "SET synchronous_commit = off" if durability == "normal" else None

        def configure(conn: Any) -> None:
            if settings:
                conn.execute(settings)

        try:  # one plain connection first: a wrong URL or a server down says why, at once
            psycopg.connect(url, connect_timeout=int(CONNECT_TIMEOUT)).close()
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConfigError(f"cannot connect to the PostgreSQL store {self.where}: {reason} "
                              "(check [store] url, that the server runs and that the user may "
                              "log in)") from None
        self.pool = psycopg_pool.ConnectionPool(
            url, min_size=1, max_size=self.pool_size, open=False, configure=configure,
            # after a database restart the pool replaces its dead connections instead of
            # failing a statement (see server_closed_it)
            check=POOL_CHECKS[check],
            kwargs={"autocommit": True, "row_factory": _pg_rows},
            name=f"k2publisher {self.where}", timeout=CONNECT_TIMEOUT)
        try:
            self.pool.open(wait=True, timeout=CONNECT_TIMEOUT)
        except psycopg_pool.PoolTimeout:
            self.pool.close()
            raise ConfigError(f"cannot connect to the PostgreSQL store {self.where} within "
                              f"{CONNECT_TIMEOUT:.0f}s: check [store] url, that the server "
                              "runs and that the user may log in") from None

    @contextmanager
    def transaction(self, *, exclusive: bool = True, durable: bool = False
                    ) -> Iterator[Session]:
        """A transaction on one pooled connection (see :class:`Database`)."""
        if getattr(self._local, "session", None) is not None:
            raise RuntimeError("a transaction is already open in this thread")
        with self._connection() as conn, conn.transaction():
            session = PgSession(conn)
            if durable and self.asynchronous:
                conn.execute(SYNCHRONOUS_COMMIT)
            if exclusive:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (self.writer_lock,))
            self._local.session = session
            try:
                yield session
            finally:
                self._local.session = None

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = (), *,
                durable: bool = False) -> Result:
        """Run one statement (in this thread's open transaction, else on its own).

        ``durable`` on its own: the statement and ``SET LOCAL synchronous_commit`` in one
        implicit transaction, one round trip as without it (see :meth:`batch`)."""
        session = getattr(self._local, "session", None)
        if session is not None:
            return session.execute(sql, params)
        if durable and self.asynchronous and not isinstance(params, dict):
            return self.batch([(sql, params)], durable=True)[0]
        with self._connection() as conn:
            return PgSession(conn).execute(sql, params)

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        """A pooled connection; an unreachable server, a connection that broke under a
        statement or a pool with no free connection is a :class:`StoreUnavailableError`
        naming the store (password masked) and what to change."""
        try:
            with self.pool.connection() as conn:
                try:
                    yield conn
                except psycopg.OperationalError as exc:
                    if not conn.broken:  # a statement's own failure (a timeout, a cancel)
                        raise
                    raise StoreUnavailableError(
                        f"the PostgreSQL store {self.where} closed the connection under a "
                        f"statement ({_first_line(exc)}); nothing of it was committed "
                        "(check that the server runs: [store] url)") from None
        except psycopg_pool.PoolTimeout:
            raise StoreUnavailableError(self._no_connection()) from None

    def _no_connection(self) -> str:
        """Why the pool lent no connection within its timeout: the server, or the pool."""
        try:
            psycopg.connect(self.url, connect_timeout=5).close()
        except psycopg.Error as exc:
            return (f"cannot reach the PostgreSQL store {self.where}: {_first_line(exc)} "
                    "(check [store] url and that the server runs)")
        return (f"the PostgreSQL store {self.where} answers, but all {self.pool_size} of "
                f"this process's connections to it stayed busy for {CONNECT_TIMEOUT:.0f} s: "
                "raise [store] pool_size, or look for a long transaction in "
                "pg_stat_activity")

    def batch(self, steps: Sequence[tuple[str, Sequence[Any]]], *, durable: bool = False
              ) -> list[Result]:
        """:meth:`Database.batch` as one simple query: the statements (and ``SET LOCAL
        synchronous_commit = on`` when ``durable``) with their parameters bound by psycopg's
        :class:`~psycopg.ClientCursor`, which the server runs as one implicit transaction
        (a failing statement rolls all of it back) in one round trip.

        Not psycopg's pipeline mode: it waits for the answer polling a socket that is
        always writable, and spent 2.5 x the CPU of this form on a durable commit
        (measured against this store, 640 against 260 µs a round).
        """
        if getattr(self._local, "session", None) is not None:
            raise RuntimeError("a transaction is already open in this thread")
        flush = durable and self.asynchronous
        sql = "; ".join(([SYNCHRONOUS_COMMIT] if flush else [])
                        + [translate(statement) for statement, _ in steps])
        params = [value for _, values in steps for value in values]
        with self._connection() as conn, psycopg.ClientCursor(conn) as cur:
            cur.execute(sql, params)
            results = []
            while True:
                results.append(Result(cur.fetchall() if cur.description else [],
                                      cur.rowcount))
                if not cur.nextset():
                    break
        return results[1:] if flush else results

    def ping(self) -> None:
        """A fresh connection first (a server that is down says so at once, where the pool
        would wait out its timeout), then a statement through the pool."""
        try:
            psycopg.connect(self.url, connect_timeout=5).close()
        except psycopg.Error as exc:
            raise StoreUnavailableError(f"cannot reach the PostgreSQL store {self.where}: "
                                        f"{_first_line(exc)} (check [store] url and that "
                                        "the server runs)") from None
        self.query("SELECT 1")

    def has_table(self, name: str) -> bool:
        """Whether the table ``name`` exists in the connection's schema."""
        return bool(self.query("SELECT 1 FROM information_schema.tables WHERE table_schema = "
                               "current_schema() AND table_name = ?", (name,)))

    def insert_rows(self, session: Session, table: str, columns: Sequence[str],
                    rows: Iterable[Sequence[Any]]) -> int:
        """Insert ``rows`` with ``COPY ... FROM STDIN`` (the bulk path)."""
        assert isinstance(session, PgSession)
        count = 0
        with session.conn.cursor() as cur, cur.copy(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count

    def after_copy(self, session: Session, table: str) -> None:
        """Move ``table``'s ``id`` sequence (if it has one) past the highest id copied."""
        seq = session.execute("SELECT pg_get_serial_sequence(?, 'id')", (table,)).fetchone()
        if seq is None or seq[0] is None:
            return
        session.execute(f"SELECT setval(?, COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, "
                        "FALSE)", (seq[0],))

    def close(self) -> None:
        """Close every pooled connection."""
        self.pool.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def connect(location: str | Path, *, durability: Durability = "full", writer: str = "",
            pool_size: int | None = None) -> Database:
    """The database at ``location`` (a SQLite path or ``sqlite:///`` URL, or a
    ``postgresql://`` URL), opened with the one setup of its backend.

    ``writer`` names the table group whose exclusive transactions exclude each other on
    PostgreSQL (``"ledger"``, ``"newsletter"``; "" = one lock for everything, as SQLite's
    one writer). Only give it when no transaction of that group touches another's tables.
    ``pool_size``: PostgreSQL connections (``[store] pool_size``; default 8).
    """
    if is_postgres(location):
        return PostgresDatabase(str(location), durability=durability, writer=writer,
                                pool_size=pool_size)
    return SQLiteDatabase(location, durability=durability)
