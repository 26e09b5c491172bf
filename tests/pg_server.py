"""A private PostgreSQL server for tests and benches: ``initdb`` + ``pg_ctl`` on a temp folder.

Debian's ``postgresql`` package ships the binaries under ``/usr/lib/postgresql/<major>/bin``
(``.ci/run`` installs it). The server listens only on a unix socket in its own folder (no
TCP port, nothing shared with another run). ``initdb`` refuses to run as root, so as root
the server runs as ``nobody`` (through ``runuser``) in a folder given to that user; as
anyone else it runs as that user. Clients connect as the superuser ``postgres`` with trust
authentication over that socket.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

#: why PostgreSQL tests cannot run, for the fixtures' skip or (under CI) failure
MISSING = ("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb): install "
           "Debian's `postgresql` package (.ci/run does)")


def bin_dir() -> Path | None:
    """The newest installed PostgreSQL's ``bin`` folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name))
    return Path(found[-1]).parent if found else None


@dataclass
class PgServer:
    """A running private server; :meth:`create_database` makes a fresh database URL."""

    root: Path
    bindir: Path
    user_prefix: list[str]
    port: int = 5432
    #: the server's ``-o`` options (kept for :meth:`restart`)
    options: str = ""
    _counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def socket_dir(self) -> Path:
        """The folder holding the server's unix socket."""
        return self.root

    def url(self, database: str = "postgres") -> str:
        """A libpq URL for ``database`` over the private socket."""
        return (f"postgresql://postgres@/{database}?host={quote(str(self.socket_dir), safe='')}"
                f"&port={self.port}")

    def create_database(self, prefix: str = "t") -> str:
        """A new empty database (UTF-8, byte-order collation); returns its URL."""
        import psycopg

        name = f"{prefix}_{os.getpid()}_{next(self._counter)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\' '
                         "LC_COLLATE 'C' LC_CTYPE 'C'")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop the database of ``url`` (its sessions are ended first)."""
        import psycopg

        name = url.split("/", 3)[3].split("?", 1)[0]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.user_prefix, *args], capture_output=True, text=True,
                              check=False, timeout=120)

    def restart(self, down: float = 0.0, mode: str = "fast") -> None:
        """Stop the server (``fast``: every session ends; ``immediate``: as a crash, the
        next start recovers from the WAL), wait ``down`` seconds with it stopped, start it
        again."""
        import contextlib
        import time

        with contextlib.suppress(RuntimeError):  # already stopped: start it
            self.halt(mode)
        time.sleep(down)
        self.start_again()

    def halt(self, mode: str = "fast") -> None:
        """``pg_ctl stop -m MODE`` and wait for it: the folder stays for :meth:`start_again`."""
        stopped = self._run(str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m",
                            mode, "-w", "stop")
        if stopped.returncode != 0:
            raise RuntimeError(f"pg_ctl stop failed: {stopped.stderr.strip()}")

    def start_again(self) -> None:
        """Start the stopped server on the same folder, socket and options."""
        started = self._run(str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-l",
                            str(self.root / "server.log"), "-o", self.options, "-w", "-t",
                            "60", "start")
        if started.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {started.stderr.strip()}")

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its folder."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "fast",
                  "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def start(*, fsync: bool = True) -> PgServer:
    """Start a private server. Raises RuntimeError naming what failed.

    ``fsync=False`` is for tests that create many databases (not for benches: they measure
    the durable configuration a site runs).
    """
    bindir = bin_dir()
    if bindir is None:
        raise RuntimeError(MISSING)
    root = Path(tempfile.mkdtemp(prefix="k2pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "nobody", "nogroup")
        prefix = ["runuser", "-u", "nobody", "--"]
    root.chmod(0o755)  # the socket is reached by this (possibly root) test process
    server = PgServer(root=root, bindir=bindir, user_prefix=prefix)
    init = server._run(str(bindir / "initdb"), "-D", str(root / "data"), "-U", "postgres",
                       "--auth=trust", "-E", "UTF8", "--locale=C", "--no-instructions")
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {init.stderr.strip() or init.stdout.strip()}")
    options = (f"-c listen_addresses='' -c unix_socket_directories='{root}' "
               f"-c port={server.port} -c max_connections=200 -c shared_buffers=32MB"
               + ("" if fsync else " -c fsync=off -c full_page_writes=off"))
    server.options = options
    started = server._run(str(bindir / "pg_ctl"), "-D", str(root / "data"), "-l",
                          str(root / "server.log"), "-o", options, "-w", "-t", "60", "start")
    if started.returncode != 0:
        log = (root / "server.log").read_text(errors="replace")[-2000:] \
            if (root / "server.log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"pg_ctl start failed: {started.stderr.strip()} {log}")
    return server
