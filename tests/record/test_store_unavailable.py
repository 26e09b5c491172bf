"""A PostgreSQL store that stops answering: clear errors naming it, and the way back.

A real server of the test's own is stopped, restarted or starved of connections; each
failure is a :class:`StoreUnavailableError` (exit 3, as the README's table says for a
configuration error) naming the store with its password masked and what to change, never
a raw psycopg or psycopg_pool traceback.
"""

from __future__ import annotations

import threading
import time
import warnings

import pytest

from k2publisher import database
from k2publisher.errors import ConfigError, StoreUnavailableError
from k2publisher.record.ledger import Ledger

SECRET = "s3cr3t-db-pass"


def _with_password(url: str) -> str:
    """``url`` with a password (trust authentication ignores it; the messages must not)."""
    return url.replace("postgresql://postgres@", f"postgresql://postgres:{SECRET}@")


def test_a_stopped_server_is_a_clear_error_and_a_restarted_one_serves_again(own_pg_server,
                                                                           monkeypatch):
    monkeypatch.setattr(database, "CONNECT_TIMEOUT", 2.0)  # how long a statement waits
    url = _with_password(own_pg_server.create_database())
    ledger = Ledger(url)
    try:
        assert ledger.counts() is not None
        own_pg_server.restart(down=0)
        # the pool's connections all died with the server: they are replaced, not failed
        assert ledger.counts() is not None
        own_pg_server._run(str(own_pg_server.bindir / "pg_ctl"), "-D",
                           str(own_pg_server.root / "data"), "-m", "fast", "-w", "stop")
        with pytest.raises(StoreUnavailableError) as caught:
            ledger.counts()
        message = str(caught.value)
        assert "postgres:****@" in message and SECRET not in message
        assert "[store] url" in message and "the server runs" in message
        assert isinstance(caught.value, ConfigError) and caught.value.exit_code == 3
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ledger.close()


def test_a_pool_whose_connections_stay_busy_names_pool_size(pg_url, monkeypatch):
    monkeypatch.setattr(database, "CONNECT_TIMEOUT", 1.0)
    db = database.PostgresDatabase(_with_password(pg_url), pool_size=1)
    held, done = threading.Event(), threading.Event()

    def hold_the_only_connection() -> None:
        with db.transaction():
            held.set()
            done.wait(10)

    holder = threading.Thread(target=hold_the_only_connection)
    holder.start()
    try:
        assert held.wait(10)
        with pytest.raises(StoreUnavailableError) as caught:
            db.query("SELECT 1")
        message = str(caught.value)
        assert "all 1 of this process's connections" in message
        assert "[store] pool_size" in message and SECRET not in message
    finally:
        done.set()
        holder.join()
        db.close()


def test_pool_size_is_a_typed_setting(tmp_path):
    from k2publisher.errors import SettingsError
    from k2publisher.settings import load_settings

    config = tmp_path / "k2publisher.toml"
    config.write_text("[store]\npool_size = 0\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="pool_size"):
        load_settings(config, environ={})
    config.write_text("[store]\npool_size = 3\n", encoding="utf-8")
    assert load_settings(config, environ={}).typed.store.pool_size == 3


def test_the_web_answers_503_while_the_store_is_away_and_serves_again_after(
        own_pg_server, tmp_path, monkeypatch):
    from werkzeug.test import Client

    from k2publisher.service.web import make_app
    from k2publisher.settings import load_settings

    monkeypatch.setattr(database, "CONNECT_TIMEOUT", 2.0)
    url = _with_password(own_pg_server.create_database())
    (tmp_path / "config").mkdir()
    config = tmp_path / "config" / "k2publisher.toml"
    config.write_text('[site]\nname = "K2 Notes"\nbase_url = "https://k2.example.org"\n'
                      f'contact_email = "editor@k2.example.org"\n[store]\nurl = "{url}"\n',
                      encoding="utf-8")
    client = Client(make_app(load_settings(config, environ={})))
    page = client.post("/subscribe", data={"email": "reader@example.org"})
    assert page.status_code in (200, 303), page.get_data(as_text=True)[:300]
    own_pg_server._run(str(own_pg_server.bindir / "pg_ctl"), "-D",
                       str(own_pg_server.root / "data"), "-m", "fast", "-w", "stop")
    away = client.post("/subscribe", data={"email": "second@example.org"})
    assert away.status_code == 503 and away.headers["Retry-After"] == "60"
    assert "Try again" in away.get_data(as_text=True)
    assert SECRET not in away.get_data(as_text=True)
    own_pg_server.restart(down=0)
    again = client.post("/subscribe", data={"email": "second@example.org"})
    assert again.status_code in (200, 303)


def _statements_after_a_restart(server, url: str, check: str, mode: str) -> list[str]:
    """Errors 8 statements on 4 threads met after ``server`` restarted (``mode``) under a
    pool of 4 idle connections checked with ``check``."""
    db = database.PostgresDatabase(url, durability="normal", check=check, pool_size=4)
    db.execute("CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, v INTEGER)")
    db.execute("INSERT INTO rows VALUES (0, 0), (1, 0), (2, 0), (3, 0) ON CONFLICT DO NOTHING")
    errors: list[str] = []
    barrier = threading.Barrier(4)

    def fill(n: int) -> None:  # four transactions open at once: four pooled connections
        with db.transaction(exclusive=False) as session:
            barrier.wait()
            session.execute("UPDATE rows SET v = v + 1 WHERE id = ?", (n,))

    def work(n: int) -> None:
        for _ in range(2):
            try:
                db.execute("UPDATE rows SET v = v + 1 WHERE id = ?", (n,))
            except StoreUnavailableError as exc:
                errors.append(str(exc))

    try:
        for target in (fill, work):
            threads = [threading.Thread(target=target, args=(n,)) for n in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if target is fill:
                assert db.pool.get_stats()["pool_size"] == 4
                server.restart(down=0.5, mode=mode)
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            db.close()
    return errors


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_the_pool_replaces_connections_a_restart_killed_before_any_caller_sees_them(
        own_pg_server, mode: str) -> None:
    url = own_pg_server.create_database()
    # the default check (a poll of the idle socket): no statement sees the restart
    assert _statements_after_a_restart(own_pg_server, url, "socket", mode) == []
    # what the check buys: without one, the statements that get a dead connection fail
    failed = _statements_after_a_restart(own_pg_server, url, "none", mode)
    assert failed and all("closed the connection under a statement" in e for e in failed)


def test_the_socket_check_keeps_a_live_connection_that_has_something_to_read(pg_url) -> None:
    """A notice the server sent to an idle connection is read by a round trip, not taken
    for a dead connection (the pool would otherwise reconnect for nothing)."""
    import psycopg

    conn = psycopg.connect(pg_url, autocommit=True)
    other = psycopg.connect(pg_url, autocommit=True)
    try:
        conn.execute("LISTEN k2_test")
        other.execute("NOTIFY k2_test, 'hello'")  # unsolicited data for the idle one
        deadline = time.monotonic() + 5
        import select

        while not select.select([conn.fileno()], [], [], 0.1)[0]:
            assert time.monotonic() < deadline
        database.server_closed_it(conn)  # readable, yet alive: no error
        assert not conn.broken and conn.execute("SELECT 1").fetchone() == (1,)
        other.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
        while not select.select([conn.fileno()], [], [], 0.1)[0]:
            assert time.monotonic() < deadline
        with pytest.raises(psycopg.OperationalError):
            database.server_closed_it(conn)
    finally:
        conn.close()
        other.close()
