"""A long Retry-After is persisted as the publication's not-before time and honoured.

A fake Discord webhook on 127.0.0.1 answers the first post with Discord's documented 429
(``Retry-After`` header and ``retry_after`` in the JSON body), then accepts.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from k2publisher.record.ledger import Ledger, PublicationState, db_path
from k2publisher.service.scheduler import Service
from k2publisher.service.web import Server

from .support import Clock, make_settings


class FakeDiscord:
    """429 with Retry-After for the first ``limited`` posts, then 200 with a message id."""

    def __init__(self, limited: int, retry_after: int) -> None:
        self.limited = limited
        self.retry_after = retry_after
        self.posts: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self.lock:
            self.posts.append(request.get_json()["content"])
            limited = len(self.posts) <= self.limited
        if limited:
            response = Response(json.dumps({"message": "You are being rate limited.",
                                            "retry_after": float(self.retry_after),
                                            "global": False}), status=429,
                                content_type="application/json",
                                headers={"Retry-After": str(self.retry_after)})
        else:
            response = Response(json.dumps({"id": f"m{len(self.posts)}"}),
                                content_type="application/json")
        return response(environ, start_response)


@pytest.fixture
def discord() -> Iterator[tuple[FakeDiscord, str]]:
    fake = FakeDiscord(limited=1, retry_after=3600)
    server = Server(fake, host="127.0.0.1", port=0).start()
    try:
        yield fake, f"{server.url}/api/webhooks/1/hook-token"
    finally:
        server.stop()


def test_retry_after_3600_waits_an_hour_instead_of_retrying_every_tick(
        site: Path, discord: tuple[FakeDiscord, str]) -> None:
    fake, hook = discord
    settings = make_settings(site, {"daily": {
        "channels": ["hook"], "times": ["09:00"], "timezone": "UTC", "grace": 600,
        "run_on_start": True, "items_per_slot": 2}},
        channels={"hook": {"type": "discord", "webhook_url": hook}})
    clock = Clock(datetime(2026, 3, 2, 9, 1, tzinfo=UTC))
    service = Service(settings, clock=clock)
    try:
        service.start_up()
        assert len(fake.posts) == 1  # 429: not retried in-process (over max_wait)
        with Ledger(db_path(settings.path("state"))) as ledger:
            pubs = ledger.publications()
        assert {p.state for p in pubs} == {PublicationState.PENDING}
        # both publications on the channel wait for the reset; no attempt was charged
        assert {p.not_before for p in pubs} == {"2026-03-02T10:01:00+00:00"}
        assert {p.attempts for p in pubs} == {0}
        for _ in range(100):  # the 30 s tick, for 50 minutes: nothing is tried
            clock.advance(seconds=30)
            service.tick()
        assert len(fake.posts) == 1
        clock.advance(minutes=11)
        service.tick()
    finally:
        service.close()
    assert len(fake.posts) == 3  # after the reset: both go out, once each
    with Ledger(db_path(settings.path("state"))) as ledger:
        assert {p.state for p in ledger.publications()} == {PublicationState.SENT}
