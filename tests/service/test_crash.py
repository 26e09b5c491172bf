"""Crash safety: the real service, killed with SIGKILL at random points while publishing.

A fake Mastodon (honours ``Idempotency-Key``: same key, same status, no new post) and a fake
Discord webhook (no idempotency) run in this process on 127.0.0.1. The service runs as a
subprocess (``python -m k2publisher run --once``) and is killed over and over just after a
random request reaches the fake network, then restarted until the run completes. Then:

* every due item is delivered (sent, or unconfirmed on the non-idempotent network);
* no (item, channel, part) was posted twice on Mastodon;
* Discord never received an item twice, and every post Discord received that the ledger
  does not know as sent is ``unconfirmed``;
* after an editor resolves each unconfirmed row from the network's truth, one more run
  delivers the rest, each exactly once.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from crash_trials import write_config  # bench/ is on pytest's path: the trials' site config
from werkzeug.wrappers import Request, Response

from k2publisher.record.ledger import DeliveryState, Ledger, PublicationState, db_path
from k2publisher.service.web import Server

from .support import write_item

ITEMS = 12
ITERATIONS = 15
SEED = 20261125


@dataclass
class FakeNetwork:
    """Mastodon and a Discord webhook; records every post, slows each request a little."""

    rng: random.Random
    delay: tuple[float, float] = (0.01, 0.06)                           # per half request
    statuses: dict[str, dict[str, Any]] = field(default_factory=dict)   # by Idempotency-Key
    created: list[str] = field(default_factory=list)                    # status texts created
    messages: list[str] = field(default_factory=list)                   # webhook texts
    requests: int = 0
    replays: int = 0                                                    # keys seen again
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self.arrived:
            self.requests += 1
            self.arrived.notify_all()
        time.sleep(self.rng.uniform(*self.delay))  # before the post exists
        if request.path == "/api/v1/statuses":
            response = self._status(request)
        elif request.path == "/api/webhooks/1/hook-token":
            with self.lock:
                self.messages.append(request.get_json()["content"])
                number = len(self.messages)
            response = Response(f'{{"id": "m{number}"}}', content_type="application/json")
        else:
            response = Response("not found", status=404)
        time.sleep(self.rng.uniform(*self.delay))  # the post exists, the answer is not back
        return response(environ, start_response)

    def _status(self, request: Request) -> Response:
        key = request.headers.get("Idempotency-Key", "")
        assert key, "the mastodon adapter must send an Idempotency-Key"
        text = request.get_json()["status"]
        with self.lock:
            status = self.statuses.get(key)
            self.replays += status is not None
            if status is None:
                number = len(self.created) + 1
                status = {"id": str(number), "url": f"http://masto.test/@k2/{number}"}
                self.statuses[key] = status
                self.created.append(text)
        return Response(json.dumps(status), content_type="application/json")

    def wait_for(self, count: int, proc: subprocess.Popen[bytes], timeout: float) -> bool:
        """Block until ``count`` requests have arrived in total (False if ``proc`` ended)."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while self.requests < count:
                if proc.poll() is not None or time.monotonic() > deadline:
                    return False
                self.arrived.wait(0.02)
        return True


@pytest.fixture
def network() -> Iterator[tuple[FakeNetwork, str]]:
    fake = FakeNetwork(random.Random(SEED + 1))
    server = Server(fake, host="127.0.0.1", port=0, threads=4).start()
    try:
        yield fake, server.url
    finally:
        server.stop()


def write_site(root: Path, base: str, items: int = ITEMS,
               channels: tuple[str, ...] = ("masto", "hook")) -> Path:
    for n in range(items):
        kind = "mechanism_explainer" if n % 2 else "supplement_section"
        write_item(root / "queue", f"crash/item-{n:02d}", kind=kind, priority=ITEMS - n,
                   title=f"Crash item {n:02d}")
    return write_config(root, base, items=items, hook="/api/webhooks/1/hook-token",
                        channels=channels)


def run_service(config: Path, root: Path, log: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("K2PUBLISHER")}
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "k2publisher", "--config", str(config),
                                 "run", *(args or ("--once",))], cwd=root, env=env,
                                stdout=out, stderr=out)


def item_of(text: str) -> str:
    for n in range(ITEMS):
        if f"Crash item {n:02d}" in text:
            return f"crash/item-{n:02d}"
    raise AssertionError(f"post names no known item: {text[:80]!r}")


@pytest.mark.slow
def test_sigkill_during_publishing_loses_nothing_and_posts_nothing_twice(
        tmp_path: Path, network: tuple[FakeNetwork, str]) -> None:
    fake, base = network
    config = write_site(tmp_path, base)
    log = tmp_path / "service.log"
    rng = random.Random(SEED)
    kills = 0
    started = time.monotonic()
    for _ in range(ITERATIONS):
        before = fake.requests
        proc = run_service(config, tmp_path, log)
        # kill just after the k-th request of this run reached the network, at a random offset
        if fake.wait_for(before + rng.randint(1, 2), proc, timeout=20):
            time.sleep(rng.uniform(0.0, 0.12))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=20)
        print(f"{time.monotonic() - started:.1f}s: {fake.requests} requests, "
              f"{fake.replays} mastodon replays, {kills} kills")
    final = run_service(config, tmp_path, log)
    assert final.wait(timeout=60) == 0, log.read_text()
    assert kills >= ITERATIONS // 2, "the service finished before most kills: no crash tested"

    with Ledger(db_path(tmp_path / "state")) as ledger:
        pubs = ledger.publications()
        parts = ledger.deliveries()
    due = {f"crash/item-{n:02d}" for n in range(ITEMS)}

    # every due item delivered: sent, or (only on the non-idempotent network) unconfirmed
    assert {(p.item_id, p.channel) for p in pubs} == {(i, c) for i in due
                                                      for c in ("masto", "hook")}
    for pub in pubs:
        allowed = {PublicationState.SENT} if pub.channel == "masto" else \
            {PublicationState.SENT, PublicationState.UNCONFIRMED}
        assert pub.state in allowed, (pub, log.read_text()[-3000:])
    assert not [p for p in parts if p.state in (DeliveryState.SENDING, DeliveryState.PENDING,
                                                DeliveryState.FAILED)]

    # Mastodon: one status per (item, part), never a second one for the same item
    masto_parts = [p for p in parts if p.channel == "masto"]
    assert len(fake.created) == len(masto_parts) == len(fake.statuses)
    assert Counter(item_of(t) for t in fake.created) == Counter(p.item_id for p in masto_parts)

    # Discord: never twice; whatever arrived without a `sent` row is unconfirmed
    hook_received = Counter(item_of(t) for t in fake.messages)
    assert max(hook_received.values()) == 1
    hook_rows = {p.item_id: p for p in parts if p.channel == "hook"}
    for item_id, row in hook_rows.items():
        if row.state is DeliveryState.SENT:
            assert hook_received[item_id] == 1
        else:
            assert row.state is DeliveryState.UNCONFIRMED
    uncertain = [r for r in hook_rows.values() if r.state is DeliveryState.UNCONFIRMED]

    # the editor checks the channel and resolves; one more run delivers the rest, once each
    with Ledger(db_path(tmp_path / "state")) as ledger:
        for row in uncertain:
            ledger.resolve(row.id, "sent" if hook_received[row.item_id] else "retry")
    last = run_service(config, tmp_path, log)
    assert last.wait(timeout=60) == 0
    assert Counter(item_of(t) for t in fake.messages) == Counter(dict.fromkeys(due, 1))
    with Ledger(db_path(tmp_path / "state")) as ledger:
        assert {p.state for p in ledger.publications()} == {PublicationState.SENT}


@pytest.mark.slow
def test_sigterm_lets_the_delivery_in_flight_finish(
        tmp_path: Path, network: tuple[FakeNetwork, str]) -> None:
    fake, base = network
    fake.delay = (0.7, 0.7)
    config = write_site(tmp_path, base, items=3, channels=("masto",))
    log = tmp_path / "service.log"
    proc = run_service(config, tmp_path, log, "--port", "0")
    try:
        assert fake.wait_for(1, proc, timeout=30), log.read_text()
        # the first post is on the wire; the web endpoints answer meanwhile
        url = re.search(r"outcome=listening url=(\S+)", log.read_text()).group(1)
        health = requests.get(f"{url}/healthz", timeout=5).json()
        assert health["scheduler"]["running"] is True
        assert health["ledger"]["deliveries"]["sending"] == 1
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
    text = log.read_text()
    assert "outcome=stopping" in text and "outcome=stopped" in text
    with Ledger(db_path(tmp_path / "state")) as ledger:
        parts = ledger.deliveries()
        pending = ledger.pending_publications()
    assert [(p.item_id, p.state) for p in parts] == [("crash/item-00", DeliveryState.SENT)]
    assert fake.requests == 1 and len(fake.created) == 1
    assert sorted(p.item_id for p in pending) == ["crash/item-01", "crash/item-02"]
    fake.delay = (0.0, 0.0)
    assert run_service(config, tmp_path, log).wait(timeout=60) == 0
    assert sorted(item_of(t) for t in fake.created) == [f"crash/item-{n:02d}" for n in range(3)]
