"""Shared fixtures: the repository's seeds, the shipped queue, and a CLI runner."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
SEEDS = Path(os.environ.get("K2_SEEDS", REPO.parent / "shared" / "seeds"))
if not SEEDS.is_dir():
    SEEDS = REPO / "tests" / "fixtures" / "seeds"


@pytest.fixture
def repo() -> Path:
    """The repository root (holds the shipped queue and config)."""
    return REPO


@pytest.fixture
def seeds() -> Path:
    """The folder with the two seed pages."""
    return SEEDS


@pytest.fixture
def run_cli(tmp_path: Path):
    """Invoke the k2publisher CLI in-process; returns (exit_code, stdout, stderr)."""
    from k2publisher.cli.main import cli

    def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None):
        runner = CliRunner()
        old = Path.cwd()
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        os.chdir(cwd or tmp_path)
        try:
            result = runner.invoke(cli, list(args), env=env, catch_exceptions=False,
                                   standalone_mode=False)
        finally:
            os.chdir(old)
            root.handlers[:] = handlers  # the command installed its own log handler
            root.setLevel(level)
        code = result.return_value if isinstance(result.return_value, int) else result.exit_code
        return code, result.stdout, result.stderr

    return run


@pytest.fixture
def cli_main(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run ``k2publisher.cli.main.main(argv)`` in ``cwd``; returns (exit code, stdout, stderr)."""
    from k2publisher.cli.main import main

    def run(*argv: str, cwd: Path) -> tuple[int, str, str]:
        old = Path.cwd()
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        os.chdir(cwd)
        try:
            try:
                main(list(argv))
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
        finally:
            os.chdir(old)
            root.handlers[:] = handlers
            root.setLevel(level)
        out, err = capsys.readouterr()
        return code, out, err

    return run
@pytest.fixture(scope="session")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 made with the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope="session")
def pg_server():
    """A private PostgreSQL server for the session (see ``tests/pg_server.py``).

    Skipped when Debian's ``postgresql`` is not installed, except under ``CI=true``, where
    its absence fails the test: CI must not pass with the PostgreSQL store untested.
    """
    server = _start_pg()
    yield server
    server.stop()


def _start_pg():
    """A private PostgreSQL server, or the skip (the failure under ``CI=true``) saying why."""
    import pg_server as server_module

    try:
        return server_module.start(fsync=False)
    except RuntimeError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and the PostgreSQL tests cannot run: {exc}")
        pytest.skip(str(exc))


#: PostgreSQL stores opened during the current test (see ``close_open_stores``)
_OPENED: list = []


def _close_opened() -> None:
    """Close each PostgreSQL store the test opened and left open."""
    while _OPENED:
        db = _OPENED.pop()
        if not db.pool.closed:
            db.close()


@pytest.fixture(autouse=True)
def close_open_stores(monkeypatch: pytest.MonkeyPatch):
    """Every PostgreSQL store a test opens is closed when it ends (before its database is
    dropped), so no pool is left for the garbage collector with its threads and
    connections running (psycopg_pool's "couldn't stop thread" warnings)."""
    from k2publisher import database

    opened = database.PostgresDatabase.__init__

    def tracked(self, *args, **kwargs) -> None:
        opened(self, *args, **kwargs)
        _OPENED.append(self)

    monkeypatch.setattr(database.PostgresDatabase, "__init__", tracked)
    yield
    _close_opened()


@pytest.fixture
def own_pg_server():
    """A PostgreSQL server of one test's own, which it may stop or restart (slower than
    ``pg_server``: only for tests that take the database away)."""
    server = _start_pg()
    try:
        yield server
    finally:
        _close_opened()
        server.stop()


@pytest.fixture
def pg_url(pg_server):
    """A fresh, empty PostgreSQL database for one test: its URL (dropped afterwards)."""
    url = pg_server.create_database()
    yield url
    _close_opened()
    pg_server.drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a test's store lives: a SQLite file, then a fresh PostgreSQL database.

    The store tests take this instead of a path, so each runs on both backends.
    """
    if request.param == "sqlite":
        return tmp_path / "state" / "k2publisher.sqlite3"
    return request.getfixturevalue("pg_url")
