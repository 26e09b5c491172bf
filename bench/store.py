"""Benchmark: the ledger's per-part claim/commit cycle on SQLite and on PostgreSQL.

One part's cycle is what the delivery core commits around one network call:
``already_sent`` (the row is created ``pending``), ``sending`` (the claim) and ``sent``
(the receipt): three write transactions, each durable before the next step. The bench
times ``--parts`` cycles on a SQLite file (WAL, ``synchronous=FULL``) and on a private
PostgreSQL server started for the run (``initdb``/``pg_ctl`` on a unix socket,
``fsync`` and ``synchronous_commit`` on, as a site runs it), first from one process, then
from ``--processes`` processes at once claiming distinct parts (several services or
publishers sharing the store). It prints parts per second and the ratio PostgreSQL /
SQLite measured in the same run.

Usage::

    python bench/store.py                       # 400 parts, then 4 processes x 200
    python bench/store.py --parts 1000 --processes 2

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


def main() -> None:
    """Run the bench and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", type=int, default=400, help="cycles from one process")
    parser.add_argument("--processes", type=int, default=4, help="concurrent processes")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    server = pg_server.start(fsync=True)
    results: dict[str, dict[str, float]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="k2bench-") as tmp:
            stores = {"sqlite": str(Path(tmp) / "k2publisher.sqlite3"),
                      "postgresql": server.create_database("bench")}
            share = max(1, args.parts // 2)
            for name, location in stores.items():
                results[name] = {
                    "one_process": run(location, 1, args.parts, 0),
                    f"{args.processes}_processes": run(location, args.processes, share,
                                                       args.parts),
                }
    finally:
        server.stop()
    ratio = {k: results["postgresql"][k] / results["sqlite"][k] for k in results["sqlite"]}
    if args.json:
        print(json.dumps({"parts_per_second": results, "ratio_pg_to_sqlite": ratio},
                         indent=2))
        return
    print("ledger claim/commit cycles (already_sent + sending + sent, each durable)")
    print(f"{'':24} {'SQLite':>10} {'PostgreSQL':>11} {'PG/SQLite':>10}")
    for key in results["sqlite"]:
        print(f"{key.replace('_', ' '):24} {results['sqlite'][key]:>8.0f}/s "
              f"{results['postgresql'][key]:>9.0f}/s {ratio[key]:>9.2f}x")


if __name__ == "__main__":
    main()
