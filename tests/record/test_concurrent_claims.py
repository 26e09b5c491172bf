"""The ledger's per-part claim is exactly-once across processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

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


def test_on_postgresql_liveness_is_the_stores_word_not_a_local_pid(pg_url: str) -> None:
    """Processes on other machines share a PostgreSQL store: their pids mean nothing here.

    A claim by a ledger whose store lock is held (a live process elsewhere, whatever its
    pid number is here) is respected; one whose lock is gone (that process died) is not,
    even if some local process happens to have the same pid.
    """
    from k2publisher.errors import PartBusyError
    from k2publisher.locks import StoreLock
    from k2publisher.record.ledger import owner_lock

    elsewhere_alive = "999999999:aaaaaaaaaaaa"  # no such pid here
    elsewhere_dead = f"{os.getppid()}:bbbbbbbbbbbb"  # a live pid here, a dead ledger there
    with Ledger(pg_url) as ledger:
        remote = StoreLock(ledger.db, owner_lock(elsewhere_alive))
        assert remote.try_acquire()
        try:
            for item, owner in (("k2/alive", elsewhere_alive), ("k2/dead", elsewhere_dead)):
                ledger.already_sent(item, "masto", 0)
                ledger.db.execute("UPDATE deliveries SET state = 'sending', owner = ?, "
                                  "sending_at = ? WHERE item_id = ?",
                                  (owner, ledger._now(), item))
            with pytest.raises(PartBusyError, match="being sent by process 999999999"):
                ledger.sending("k2/alive", "masto", 0, "k", idempotent=True)
            ledger.sending("k2/dead", "masto", 0, "k", idempotent=True)  # taken over
            assert ledger.deliveries(item_id="k2/dead")[0].attempts == 1
            assert ledger.recover(["masto"]) == []  # the live one stays in flight
        finally:
            remote.release()
        # its process gone, a start-up's recovery takes it as interrupted (as its own)
        assert sorted(r.item_id for r in ledger.recover([])) == ["k2/alive", "k2/dead"]
