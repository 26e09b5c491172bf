"""Two processes on one site: the instance lock, and the per-part claim in the ledger.

The fake network of :mod:`tests.service.test_crash` (a Discord webhook without idempotency
and a Mastodon honouring ``Idempotency-Key``) runs in this process on 127.0.0.1; the
services run as real subprocesses.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from k2publisher.errors import PartBusyError
from k2publisher.locks import hold
from k2publisher.models import PartReceipt
from k2publisher.record.ledger import DeliveryState, Ledger, PublicationState, db_path
from k2publisher.record.rows import LedgerError

from .support import wait_for_log as _wait_for
from .test_crash import FakeNetwork, item_of, network, run_service, write_site

__all__ = ["network"]  # the fixture, re-exported for pytest

#: runs the service's start-up (recover, catch up, deliver) without the instance lock
UNLOCKED = ("import sys; from k2publisher.settings import load_settings; "
            "from k2publisher.service.scheduler import Service; "
            "s = Service(load_settings(sys.argv[1])); s.start_up(); s.stop(); s.close()")


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("K2PUBLISHER")}


def test_a_second_claim_of_a_part_in_flight_is_refused(tmp_path: Path) -> None:
    first, second = Ledger(db_path(tmp_path)), Ledger(db_path(tmp_path))
    try:
        first.sending("k2/a", "hook", 0, "key")
        with pytest.raises(PartBusyError, match="being sent by process"):
            second.sending("k2/a", "hook", 0, "key")
        assert second.recover([]) == []  # in flight in a live ledger: not "interrupted"
        first.sent("k2/a", "hook", 0, _receipt())
        with pytest.raises(PartBusyError, match="sent meanwhile"):
            second.sending("k2/a", "hook", 0, "key")
        assert second.already_sent("k2/a", "hook", 0) is not None
    finally:
        first.close()
        second.close()


def test_a_part_claimed_by_a_dead_process_can_be_claimed_again(tmp_path: Path) -> None:
    with Ledger(db_path(tmp_path)) as crashed:
        crashed.sending("k2/a", "masto", 0, "key")
    with Ledger(db_path(tmp_path)) as later:  # the first ledger is gone, as after a crash
        assert later.recover(["masto"]) == []  # idempotent: kept for a resend with its key
        later.sending("k2/a", "masto", 0, "key", idempotent=True)
        row = later.deliveries()[0]
        assert row.state is DeliveryState.SENDING and row.owner == later.owner
        assert row.attempts == 2


def test_a_part_a_dead_process_left_in_flight_on_a_webhook_is_never_sent_again(
        tmp_path: Path) -> None:
    # the second process opened its ledger (and ran its recovery) before the first died
    later = Ledger(db_path(tmp_path))
    try:
        assert later.recover([]) == []
        with Ledger(db_path(tmp_path)) as crashed:
            crashed.sending("k2/a", "hook", 0, "key")
            crashed.sending("k2/a", "masto", 0, "key")
        with pytest.raises(LedgerError, match="died during the network call"):
            later.sending("k2/a", "hook", 0, "key")
        hook = later.deliveries(channel="hook")[0]
        assert hook.state is DeliveryState.UNCONFIRMED and hook.attempts == 1
        with pytest.raises(LedgerError, match="unconfirmed"):
            later.already_sent("k2/a", "hook", 0)
        later.sending("k2/a", "masto", 0, "key", idempotent=True)  # its key makes it safe
        masto = later.deliveries(channel="masto")[0]
        assert masto.state is DeliveryState.SENDING and masto.attempts == 2
    finally:
        later.close()


def _receipt() -> PartReceipt:
    return PartReceipt(index=0, remote_id="m1", url="https://example.test/m1")


@pytest.mark.slow
def test_a_second_run_exits_3_naming_the_pid_that_holds_the_state_folder(
        tmp_path: Path, network: tuple[FakeNetwork, str]) -> None:
    _, base = network
    config = write_site(tmp_path, base, items=1, channels=("masto",))
    log = tmp_path / "first.log"
    first = run_service(config, tmp_path, log, "--port", "0")
    try:
        _wait_for(log, r"outcome=listening", first)
        second = subprocess.run([sys.executable, "-m", "k2publisher", "--config", str(config),
                                 "run", "--port", "0"], cwd=tmp_path, env=_env(),
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 3, second.stderr
        assert f"held by process {first.pid}" in second.stderr
        started = time.monotonic()
        once = subprocess.run([sys.executable, "-m", "k2publisher", "--config", str(config),
                               "run", "--once", "--lock-wait", "1"], cwd=tmp_path, env=_env(),
                              capture_output=True, text=True, timeout=60)
        assert once.returncode == 3, once.stderr
        assert f"held by process {first.pid} (waited 1s)" in once.stderr
        assert time.monotonic() - started >= 1
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0


@pytest.mark.slow
def test_run_once_waits_for_the_holder_to_finish(tmp_path: Path,
                                                  network: tuple[FakeNetwork, str]) -> None:
    fake, base = network
    config = write_site(tmp_path, base, items=2, channels=("hook",))
    log = tmp_path / "once.log"
    with hold(tmp_path / "state" / "service.lock", what="a test"):
        proc = run_service(config, tmp_path, log, "--once", "--lock-wait", "20")
        time.sleep(1.5)
        assert proc.poll() is None and fake.requests == 0  # waiting, sending nothing
    assert proc.wait(timeout=60) == 0, log.read_text()
    assert sorted(item_of(t) for t in fake.messages) == ["crash/item-00", "crash/item-01"]


@pytest.mark.slow
@pytest.mark.parametrize("overlap", ["unlocked", "run-once", "publish"])
def test_overlapping_processes_never_send_one_part_twice(
        tmp_path: Path, network: tuple[FakeNetwork, str], overlap: str) -> None:
    """Two processes deliver the same pending publications on a network without keys.

    ``unlocked`` runs both without the instance lock, so only the ledger's claim stands
    between them; ``run-once`` is an overlapping cron job; ``publish`` is an editor
    publishing by hand what the service is delivering.
    """
    fake, base = network
    fake.delay = (0.02, 0.05)
    items = 12
    config = write_site(tmp_path, base, items=items, channels=("hook", "masto"))
    logs = [tmp_path / "a.log", tmp_path / "b.log"]

    def start(n: int) -> subprocess.Popen[bytes]:
        if overlap == "unlocked":
            argv = ["-c", UNLOCKED, str(config)]
        elif overlap == "publish" and n == 1:
            argv = ["-m", "k2publisher", "--config", str(config), "publish",
                    "crash/item-05", "--channel", "hook"]
        else:
            argv = ["-m", "k2publisher", "--config", str(config), "run", "--once",
                    "--lock-wait", "60"]
        with logs[n].open("ab") as out:
            return subprocess.Popen([sys.executable, *argv], cwd=tmp_path, env=_env(),
                                    stdout=out, stderr=out)

    first = start(0)
    assert fake.wait_for(2, first, timeout=30), logs[0].read_text()
    second = start(1)
    codes = [first.wait(timeout=120), second.wait(timeout=120)]
    text = "\n".join(p.read_text() for p in logs)
    assert 0 in codes, text
    received = Counter(item_of(t) for t in fake.messages)
    assert received and max(received.values()) == 1, (received, text)
    posted = Counter(item_of(t) for t in fake.created)
    assert max(posted.values()) == 1, (posted, text)
    # one more locked run finishes whatever the loser left pending; still once each
    assert run_service(config, tmp_path, tmp_path / "c.log").wait(timeout=60) == 0
    every_item_once = Counter({f"crash/item-{n:02d}": 1 for n in range(items)})
    assert Counter(item_of(t) for t in fake.messages) == every_item_once, text
    assert Counter(item_of(t) for t in fake.created) == every_item_once, text
    with Ledger(db_path(tmp_path / "state")) as ledger:
        assert {p.state for p in ledger.publications()} == {PublicationState.SENT}
        assert {d.state for d in ledger.deliveries()} == {DeliveryState.SENT}
