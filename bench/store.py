"""Benchmark: the ledger's per-part claim/commit cycle on SQLite and on PostgreSQL.

One part's cycle is what the delivery core commits around one network call:
``already_sent`` (the row is created ``pending``), ``sending`` (the claim) and ``sent``
(the receipt): three write transactions, each durable before the next step. The bench
times ``--parts`` cycles on a SQLite file (WAL, ``synchronous=FULL``) and on a private
PostgreSQL server started for the run (``initdb``/``pg_ctl`` on a unix socket,
``fsync`` and ``synchronous_commit`` on, as a site runs it), first from one process, then
from ``--processes`` processes at once claiming distinct parts (several services or
publishers sharing the store). Each figure is the best of ``--repeat`` interleaved
measurements. It prints parts per second and the ratio PostgreSQL / SQLite measured in the
same run.

``--part pool`` times what the PostgreSQL pool's check costs per borrow: single-row
updates (the newsletter's per-copy commit: autocommit, asynchronous) through the store
layer with each check the pool can run before it lends a connection (none, psycopg_pool's
empty round trip, k2publisher's socket poll). The three pools take turns of 100
statements in a rotating order (``--repeat`` x ``--borrows`` each); the figure is the
median turn, with the ratio against no check. Then what each buys: the server is
restarted (fast, then immediate) under a pool of 4 connections, and the bench reports
whether the next statements saw an error.

Usage::

    python bench/store.py                       # both parts
    python bench/store.py --part ledger --parts 1000 --processes 2
    python bench/store.py --part pool --borrows 5000

Needs Debian's ``postgresql`` package (``.ci/run`` installs it).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "src"))

import pg_server  # noqa: E402  (tests/pg_server.py: the private server of the test suite)

#: one process's share of the work: ``python -c CYCLES location first count``
CYCLES = """
import sys, time
from k2publisher.models import PartReceipt
from k2publisher.record.ledger import Ledger

location, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ledger = Ledger(location)
sys.stdin.readline()  # start together
started = time.perf_counter()
for n in range(first, first + count):
    item = f"bench/item-{n:06d}"
    ledger.already_sent(item, "masto", 0)
    ledger.sending(item, "masto", 0, f"key-{n}")
    ledger.sent(item, "masto", 0, PartReceipt(0, str(n), f"https://m.test/{n}"))
print(time.perf_counter() - started, flush=True)
ledger.close()
"""


def run(location: str, processes: int, per_process: int, offset: int) -> float:
    """Parts per second for ``processes`` processes doing ``per_process`` cycles each."""
    procs = [subprocess.Popen([sys.executable, "-c", CYCLES, location,
                               str(offset + i * per_process), str(per_process)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for i in range(processes)]
    time.sleep(1.0)  # every process has opened and migrated its ledger
    started = time.perf_counter()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        proc.communicate(timeout=600)
        if proc.returncode != 0:
            raise SystemExit(f"a bench process failed (exit {proc.returncode})")
    return processes * per_process / (time.perf_counter() - started)


CHECKS = ("none", "round-trip", "socket")


def borrow_costs(url: str, borrows: int, repeat: int) -> dict[str, float]:
    """Microseconds per statement through the pool with each check.

    The three pools are open at once and take turns, 100 statements each, so a busy
    moment of the shared machine hits all of them alike; the figure is the median of a
    check's turns (``repeat`` passes over ``borrows`` statements each).
    """
    import statistics

    from k2publisher.database import PostgresDatabase

    setup = PostgresDatabase(url)
    setup.execute("CREATE TABLE IF NOT EXISTS bench_rows (id INTEGER PRIMARY KEY, "
                  "v INTEGER NOT NULL)")
    setup.execute("INSERT INTO bench_rows SELECT g, 0 FROM generate_series(0, 999) g "
                  "ON CONFLICT DO NOTHING")
    setup.close()
    dbs = {check: PostgresDatabase(url, durability="normal", check=check, pool_size=2)
           for check in CHECKS}
    turns: dict[str, list[float]] = {check: [] for check in CHECKS}
    sql = "UPDATE bench_rows SET v = v + 1 WHERE id = ?"
    try:
        for db in dbs.values():  # warm up: the statement is prepared, the pool full
            for n in range(200):
                db.execute(sql, (n % 1000,))
        for n in range(repeat * max(1, borrows // 100)):
            for k in range(len(CHECKS)):  # each check takes each place in turn
                check = CHECKS[(n + k) % len(CHECKS)]
                db = dbs[check]
                started = time.perf_counter()
                for i in range(100):
                    db.execute(sql, ((n * 100 + i) % 1000,))
                turns[check].append((time.perf_counter() - started) / 100 * 1e6)
    finally:
        for db in dbs.values():
            db.close()
    return {check: statistics.median(values) for check, values in turns.items()}


def check_alone(url: str, calls: int = 20_000) -> dict[str, float]:
    """Microseconds one check takes on an idle live connection (the part of a borrow that
    is the check's, without the statement's noise)."""
    import psycopg

    from k2publisher.database import POOL_CHECKS

    out: dict[str, float] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for name in ("round-trip", "socket"):
            check = POOL_CHECKS[name]
            assert check is not None
            n = calls if name == "socket" else calls // 10
            started = time.perf_counter()
            for _ in range(n):
                check(conn)
            out[name] = (time.perf_counter() - started) / n * 1e6
    return out


def restart_trials(server: pg_server.PgServer, url: str) -> dict[str, dict[str, str]]:
    """For each check and each stop mode: what 8 statements on 4 threads saw after a
    restart of the server under a pool of 4 idle connections ("ok", or the first error)."""
    import threading

    from k2publisher.database import PostgresDatabase
    from k2publisher.errors import StoreUnavailableError

    seen: dict[str, dict[str, str]] = {}
    for check in CHECKS:
        for mode in ("fast", "immediate"):
            db = PostgresDatabase(url, durability="normal", check=check, pool_size=4)
            errors: list[str] = []

            def work(db: PostgresDatabase = db, errors: list[str] = errors) -> None:
                for n in range(2):
                    try:
                        db.execute("UPDATE bench_rows SET v = v + 1 WHERE id = ?", (n,))
                    except StoreUnavailableError as exc:
                        errors.append("connection closed under a statement"
                                      if "closed the connection" in str(exc) else str(exc)[:60])
                    time.sleep(0.05)

            threads = [threading.Thread(target=work) for _ in range(4)]
            for t in threads:  # four connections in the pool, idle between statements
                t.start()
            for t in threads:
                t.join()
            errors.clear()
            server.restart(down=0.5, mode=mode)
            threads = [threading.Thread(target=work) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            db.close()
            seen.setdefault(check, {})[mode] = \
                "ok" if not errors else f"{len(errors)} of 8 failed ({errors[0]})"
    return seen


def pool_part(args: argparse.Namespace) -> dict[str, object]:
    """The pool check's price per borrow and what it buys; prints the figures."""
    import logging

    logging.getLogger("psycopg.pool").setLevel(logging.ERROR)  # its discard notes
    server = pg_server.start(fsync=True)
    try:
        url = server.create_database("pool")
        costs = borrow_costs(url, args.borrows, args.repeat)
        alone = check_alone(url)
        trials = restart_trials(server, url)
    finally:
        server.stop()
    if not args.json:
        print(f"pool check before each borrow: {args.repeat} x {args.borrows} single-row "
              "updates (autocommit, asynchronous) per check, in turns of 100; median turn")
        print(f"{'check':12} {'us/statement':>13} {'check us/borrow':>16} {'vs none':>8}  "
              "after a restart (fast / immediate)")
        for check in CHECKS:
            extra = costs[check] - costs["none"]
            print(f"{check:12} {costs[check]:>13.1f} {extra:>16.1f} "
                  f"{costs[check] / costs['none']:>7.2f}x  {trials[check]['fast']} / "
                  f"{trials[check]['immediate']}")
        print(f"the check alone on an idle live connection: round-trip "
              f"{alone['round-trip']:.1f} us, socket {alone['socket']:.1f} us "
              f"({alone['round-trip'] / alone['socket']:.0f}x less)")
    return {"us_per_statement": costs, "check_alone_us": alone, "after_restart": trials,
            "ratio_to_none": {c: costs[c] / costs["none"] for c in CHECKS}}


def main() -> None:
    """Run the bench and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=("ledger", "pool", "all"), default="all",
                        help="the ledger cycle, the pool check, or both")
    parser.add_argument("--parts", type=int, default=400, help="cycles from one process")
    parser.add_argument("--processes", type=int, default=4, help="concurrent processes")
    parser.add_argument("--borrows", type=int, default=5000,
                        help="statements per pool check measurement")
    parser.add_argument("--repeat", type=int, default=3,
                        help="measure each this many times, keep the best (a shared machine)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    out: dict[str, object] = {}
    if args.part in ("ledger", "all"):
        out["ledger"] = ledger_part(args)
    if args.part in ("pool", "all"):
        out["pool"] = pool_part(args)
    if args.json:
        print(json.dumps(out, indent=2))


def ledger_part(args: argparse.Namespace) -> dict[str, object]:
    """The ledger's claim/commit cycle on both engines; prints the figures."""
    server = pg_server.start(fsync=True)
    results: dict[str, dict[str, float]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="k2bench-") as tmp:
            stores = {"sqlite": str(Path(tmp) / "k2publisher.sqlite3"),
                      "postgresql": server.create_database("bench")}
            share = max(1, args.parts // 2)
            offset = 0  # every measurement claims parts no earlier one touched
            for _ in range(args.repeat):  # interleaved, so a busy moment hits both
                for name, location in stores.items():
                    got = results.setdefault(name, {})
                    for key, procs, count in (("one_process", 1, args.parts),
                                              (f"{args.processes}_processes",
                                               args.processes, share)):
                        rate = run(location, procs, count, offset)
                        got[key] = max(got.get(key, 0.0), rate)
                        offset += procs * count
    finally:
        server.stop()
    ratio = {k: results["postgresql"][k] / results["sqlite"][k] for k in results["sqlite"]}
    if not args.json:
        print("ledger claim/commit cycles (already_sent + sending + sent, each durable)")
        print(f"{'':24} {'SQLite':>10} {'PostgreSQL':>11} {'PG/SQLite':>10}")
        for key in results["sqlite"]:
            print(f"{key.replace('_', ' '):24} {results['sqlite'][key]:>8.0f}/s "
                  f"{results['postgresql'][key]:>9.0f}/s {ratio[key]:>9.2f}x")
    return {"parts_per_second": results, "ratio_pg_to_sqlite": ratio}


if __name__ == "__main__":
    main()
