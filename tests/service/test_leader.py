"""Several ``run`` processes on one PostgreSQL store: one leader fires the slots.

The fake network of :mod:`tests.service.test_crash` (a Discord webhook without idempotency
and a Mastodon honouring ``Idempotency-Key``) runs in this process on 127.0.0.1; the
services are real subprocesses on a real PostgreSQL server (``pg_url``).
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
import requests

from k2publisher.record.ledger import Ledger, PublicationState

from .support import wait_for_log as _wait_for
from .test_crash import FakeNetwork, item_of, network, write_site

__all__ = ["network"]  # the fixture, re-exported for pytest

ITEMS = 8


def _start(config: Path, root: Path, log: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("K2PUBLISHER")}
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "k2publisher", "--config", str(config),
                                 "run", "--port", "0", *args], cwd=root, env=env,
                                stdout=out, stderr=out)


def _follower(config: Path, root: Path, log: Path) -> subprocess.Popen[bytes]:
    """Another ``run`` process, once it says it follows."""
    proc = _start(config, root, log)
    _wait_for(log, r"outcome=follower ", proc)
    return proc


def _health(log: Path, proc: subprocess.Popen[bytes]) -> dict:
    url = _wait_for(log, r"outcome=listening url=(\S+)", proc).group(1)
    return requests.get(f"{url}/healthz", timeout=10).json()


def _site(root: Path, base: str, pg_url: str) -> Path:
    config = write_site(root, base, items=ITEMS, channels=("hook", "masto"))
    with config.open("a", encoding="utf-8") as fh:
        fh.write(f'\n[store]\nurl = "{pg_url}"\n')
    return config


@pytest.mark.slow
def test_killing_the_leader_hands_the_slots_to_a_follower_and_nothing_fires_twice(
        tmp_path: Path, network: tuple[FakeNetwork, str], pg_url: str) -> None:
    fake, base = network
    fake.delay = (0.05, 0.1)  # a delivery takes long enough to be killed in the middle
    config = _site(tmp_path, base, pg_url)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    first = _start(config, tmp_path, logs[0])
    second = None
    try:
        _wait_for(logs[0], r"outcome=leader ", first)
        second = _follower(config, tmp_path, logs[1])
        assert _health(logs[1], second)["role"] == "follower"
        assert _health(logs[0], first)["role"] == "leader"
        assert fake.wait_for(3, first, timeout=60), logs[0].read_text()
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        killed_at = time.monotonic()
        _wait_for(logs[1], r"outcome=leader ", second, timeout=60)
        took_over = time.monotonic() - killed_at
        print(f"the follower led {took_over:.1f}s after the leader's SIGKILL")
        assert took_over < 60, took_over
        assert _health(logs[1], second)["role"] == "leader"
        with Ledger(pg_url) as ledger:
            deadline = time.monotonic() + 120
            while ledger.publications(states=["pending"]) and time.monotonic() < deadline:
                time.sleep(0.2)
            pubs = ledger.publications()
            runs = [r for r in ledger.runs() if r.campaign == "burst"]
        text = "\n".join(p.read_text() for p in logs)
        assert len(runs) == 1, (runs, text)  # the start-up slot fired once, by one leader
        assert {p.state for p in pubs} <= {PublicationState.SENT, PublicationState.UNCONFIRMED}
        assert Counter(item_of(t) for t in fake.created).most_common(1)[0][1] == 1, text
        assert Counter(item_of(t) for t in fake.messages).most_common(1)[0][1] == 1, text
        sent = {(p.item_id, p.channel) for p in pubs if p.state is PublicationState.SENT}
        assert len(sent) + sum(p.state is PublicationState.UNCONFIRMED for p in pubs) == \
            2 * ITEMS
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=60)
    assert second is not None and second.returncode == 0, logs[1].read_text()


def test_run_once_on_a_led_store_waits_then_exits_3_naming_the_leader(
        tmp_path: Path, network: tuple[FakeNetwork, str], pg_url: str) -> None:
    _, base = network
    config = _site(tmp_path, base, pg_url)
    log = tmp_path / "leader.log"
    leader = _start(config, tmp_path, log)
    try:
        _wait_for(log, r"outcome=leader ", leader)
        once = subprocess.run([sys.executable, "-m", "k2publisher", "--config", str(config),
                               "run", "--once", "--lock-wait", "1"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
        assert once.returncode == 3, once.stderr
        said = " ".join(once.stderr.split())  # the console wraps long lines
        assert f"pid {leader.pid}" in said and "waited 1s" in said
    finally:
        leader.send_signal(signal.SIGTERM)
        assert leader.wait(timeout=60) == 0, log.read_text()
    # the leader stepped down at exit: a run --once now leads at once
    once = subprocess.run([sys.executable, "-m", "k2publisher", "--config", str(config),
                           "run", "--once", "--lock-wait", "0"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert once.returncode == 0, once.stderr


def _kill_lock_session(pg_url: str, pid: int) -> int:
    """End the session holding process ``pid``'s leader lock, as an operator would."""
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        return len(conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name LIKE %s", (f"% pid {pid} scheduler",)).fetchall())


@pytest.mark.slow
def test_a_leader_whose_lock_session_is_killed_steps_down_in_place_and_leads_again(
        tmp_path: Path, network: tuple[FakeNetwork, str], pg_url: str) -> None:
    fake, base = network
    fake.delay = (0.05, 0.1)  # the leader is mid-delivery when its session is killed
    config = _site(tmp_path, base, pg_url)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    first = _start(config, tmp_path, logs[0])
    second = None
    try:
        _wait_for(logs[0], r"outcome=leader ", first)
        second = _follower(config, tmp_path, logs[1])
        assert fake.wait_for(3, first, timeout=60), logs[0].read_text()
        assert _kill_lock_session(pg_url, first.pid) == 1
        killed_at = time.monotonic()
        _wait_for(logs[0], r"outcome=leader-lost ", first, timeout=30)
        _wait_for(logs[0], r"outcome=follower .*stepped down", first, timeout=30)
        _wait_for(logs[1], r"outcome=leader ", second, timeout=60)
        print(f"the follower led {time.monotonic() - killed_at:.1f}s after the session kill")
        assert first.poll() is None, "the old leader must keep serving, not exit"
        assert _health(logs[0], first)["role"] == "follower"
        # a follower is healthy: a load balancer keeps sending it requests
        url = _wait_for(logs[0], r"outcome=listening url=(\S+)", first).group(1)
        assert requests.get(f"{url}/healthz", timeout=10).status_code == 200
        assert _health(logs[1], second)["role"] == "leader"
        with Ledger(pg_url) as ledger:
            deadline = time.monotonic() + 120
            while ledger.publications(states=["pending"]) and time.monotonic() < deadline:
                time.sleep(0.2)
        # the new leader stops: the one that stepped down leads again, in the same process
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=60) == 0, logs[1].read_text()
        deadline = time.monotonic() + 60
        while logs[0].read_text().count("outcome=leader ") < 2 and time.monotonic() < deadline:
            assert first.poll() is None, logs[0].read_text()
            time.sleep(0.1)
        assert logs[0].read_text().count("outcome=leader ") == 2, logs[0].read_text()
        assert _health(logs[0], first)["role"] == "leader"
        with Ledger(pg_url) as ledger:
            pubs = ledger.publications()
            runs = [r for r in ledger.runs() if r.campaign == "burst"]
        text = "\n".join(p.read_text() for p in logs)
        assert len(runs) == 1, (runs, text)  # the slot fired once across three leaderships
        assert Counter(item_of(t) for t in fake.created).most_common(1)[0][1] == 1, text
        assert Counter(item_of(t) for t in fake.messages).most_common(1)[0][1] == 1, text
        assert {p.state for p in pubs} <= {PublicationState.SENT, PublicationState.UNCONFIRMED}
        assert "Traceback" not in text
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=60)
    assert first.returncode == 0, logs[0].read_text()


@pytest.mark.slow
def test_a_database_restart_makes_the_leader_step_down_then_lead_again(
        tmp_path: Path, network: tuple[FakeNetwork, str], own_pg_server) -> None:
    fake, base = network
    url = own_pg_server.create_database()
    config = _site(tmp_path, base, url)
    log = tmp_path / "a.log"
    proc = _start(config, tmp_path, log)
    try:
        _wait_for(log, r"outcome=leader ", proc)
        # the start-up work is done (a restart in the middle of it is covered too: the
        # leader steps down with outcome=store-unreachable and does it again when it leads)
        _wait_for(log, r"outcome=scheduled ", proc, timeout=120)
        own_pg_server.restart(down=6.0)  # longer than a poll: the store is away for a while
        _wait_for(log, r"outcome=leader-lost ", proc, timeout=30)
        deadline = time.monotonic() + 60
        while log.read_text().count("outcome=leader ") < 2 and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.1)
        text = log.read_text()
        assert text.count("outcome=leader ") == 2, text
        health = _health(log, proc)
        assert health["role"] == "leader" and health["scheduler"]["running"], health
        with Ledger(url) as ledger:
            runs = [r for r in ledger.runs() if r.campaign == "burst"]
        assert len(runs) == 1, runs
        assert Counter(item_of(t) for t in fake.messages).most_common(1)[0][1] == 1
        assert "Traceback" not in text, text
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
    assert proc.returncode == 0, log.read_text()


@pytest.mark.slow
def test_two_run_once_at_the_same_moment_fire_each_due_slot_once(
        tmp_path: Path, network: tuple[FakeNetwork, str], pg_url: str) -> None:
    fake, base = network
    config = _site(tmp_path, base, pg_url)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    # both started together; the one that does not lead waits for the lock (up to 120 s)
    procs = [_start(config, tmp_path, log, "--once", "--lock-wait", "120") for log in logs]
    codes = [p.wait(timeout=240) for p in procs]
    texts = [log.read_text() for log in logs]
    assert codes == [0, 0], texts
    with Ledger(pg_url) as ledger:
        runs = [r for r in ledger.runs() if r.campaign == "burst"]
        pubs = ledger.publications()
    assert len(runs) == 1, (runs, texts)  # the due slot fired once
    # one of them selected the slot's items; the other found it recorded and nothing due
    assert sum("outcome=selected " in t for t in texts) == 1, texts
    assert {p.state for p in pubs} == {PublicationState.SENT}
    assert len(pubs) == 2 * ITEMS
    assert Counter(item_of(t) for t in fake.created).most_common(1)[0][1] == 1
    assert Counter(item_of(t) for t in fake.messages).most_common(1)[0][1] == 1
    assert len(fake.created) == len(fake.messages) == ITEMS


def test_a_run_once_whose_lock_session_ends_fires_nothing_and_exits_3(
        tmp_path: Path, network: tuple[FakeNetwork, str], pg_url: str) -> None:
    from k2publisher.errors import LockHeldError
    from k2publisher.service.leader import Election
    from k2publisher.service.runner import _once
    from k2publisher.service.scheduler import Service
    from k2publisher.settings import load_settings

    fake, base = network
    config = _site(tmp_path, base, pg_url)
    service = Service(load_settings(config, environ={}))
    service.election = election = Election(service.ledger.db)
    assert election.try_lead()  # as `run --once` does before its work
    # its lock's session ends (a network cut, an operator) and another process leads
    assert _kill_lock_session(pg_url, os.getpid()) == 1
    other = Election(service.ledger.db)
    deadline = time.monotonic() + 10
    while not other.try_lead():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    try:
        with pytest.raises(LockHeldError, match="lost the leader lock during its work"):
            _once(service)
    finally:
        other.release()
    with Ledger(pg_url) as ledger:
        assert ledger.runs() == [] and ledger.publications() == []
    assert fake.requests == 0 and election.role == "lost"
