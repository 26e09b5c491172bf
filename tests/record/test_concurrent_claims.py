"""The ledger's per-part claim is exactly-once across processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from k2publisher.record.ledger import DeliveryState, Ledger

PARTS = 40
PROCESSES = 4

#: one claimer: waits for "go" on stdin, claims every part it can, prints what it won, and
#: stays alive (its claims with it) until stdin closes
CLAIMER = textwrap.dedent("""
    import json, sys
    from k2publisher.errors import PartBusyError
    from k2publisher.record.ledger import Ledger

    ledger = Ledger(sys.argv[1])
    sys.stdin.readline()
    won = []
    for part in range(int(sys.argv[2])):
        try:
            ledger.sending("k2/race", "social", part, f"key-{part}")
        except PartBusyError:
            continue
        won.append(part)
    print(json.dumps(won), flush=True)
    sys.stdin.read()
    ledger.close()
""")


def test_concurrent_processes_claim_each_part_once(store_location: str | Path) -> None:
    Ledger(store_location).close()  # migrated before the race
    procs = [subprocess.Popen([sys.executable, "-c", CLAIMER, str(store_location), str(PARTS)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for _ in range(PROCESSES)]
    try:
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        won = [json.loads(proc.stdout.readline()) for proc in procs]  # type: ignore[union-attr]
    finally:
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(timeout=60)
    claims = sorted(part for parts in won for part in parts)
    assert claims == list(range(PARTS)), f"claims per process: {won}"
    with Ledger(store_location) as ledger:
        rows = ledger.deliveries(item_id="k2/race")
    assert len(rows) == PARTS
    assert {r.state for r in rows} == {DeliveryState.SENDING}
    assert all(r.attempts == 1 for r in rows)
