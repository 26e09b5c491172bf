"""`resolve ROW --sent --remote-id`: the rest of a thread replies to the post the editor names.

A fake Mastodon on 127.0.0.1 (werkzeug, answering as `POST /api/v1/statuses` documents)
records each status and its `in_reply_to_id`.
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

from k2publisher.errors import UncertainDeliveryError
from k2publisher.record.ledger import (
    DeliveryState,
    Ledger,
    Pick,
    PublicationState,
    db_path,
)
from k2publisher.service.web import Server

LONG = " ".join(f"Sentence {n} about how menaquinone-7 is absorbed with a fatty meal."
                for n in range(30))


class FakeMastodon:
    """Creates a status per request (no idempotency needed here) and records the body."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self.lock:
            self.bodies.append(request.get_json())
            number = 900 + len(self.bodies)
        body = {"id": str(number), "url": f"https://masto.test/@k2/{number}"}
        return Response(json.dumps(body), content_type="application/json")(environ,
                                                                           start_response)


@pytest.fixture
def mastodon() -> Iterator[tuple[FakeMastodon, str]]:
    fake = FakeMastodon()
    server = Server(fake, host="127.0.0.1", port=0).start()
    try:
        yield fake, server.url
    finally:
        server.stop()


def _site(root: Path, base: str) -> Path:
    item = root / "queue" / "vitamin-k2" / "absorption.md"
    item.parent.mkdir(parents=True)
    item.write_text(f"""---
id: vitamin-k2/absorption
kind: supplement_section
supplement: Vitamin K2
title: "Absorption"
summary: "How menaquinone-7 is absorbed. Nothing more is claimed here."
tags: [vitamin-k2]
evidence: [review]
status: ready
variants:
  mastodon: "{LONG}"
---

{LONG}
""", encoding="utf-8")
    config = root / "config" / "k2publisher.toml"
    config.parent.mkdir()
    config.write_text(f"""[delivery]
max_attempts = 1

[channels.masto]
type = "mastodon"
instance = "{base}"
token = "resolve-token"

[campaigns.once]
channels = ["masto"]
run_on_start = true
times = ["03:00"]
timezone = "UTC"
grace = 86400
""", encoding="utf-8")
    return config


def _first_part_unconfirmed(root: Path) -> int:
    """Part 1 of the thread went out at a crash: its row is unconfirmed; returns its id."""
    with Ledger(db_path(root / "state")) as ledger:
        ledger.start_run("once", datetime(2026, 3, 2, 3, 0, tzinfo=UTC),
                         [Pick("vitamin-k2/absorption", ("masto",))])
        ledger.sending("vitamin-k2/absorption", "masto", 0, "k")
        ledger.failed("vitamin-k2/absorption", "masto", 0,
                      UncertainDeliveryError("connection reset after the request"), False)
        (pub,) = ledger.pending_publications()
        ledger.finish_publication(pub.id, PublicationState.UNCONFIRMED, error="part 0")
        return ledger.deliveries()[0].id


def test_resolve_sent_with_the_remote_id_lets_the_rest_of_the_thread_reply_to_it(
        tmp_path: Path, mastodon: tuple[FakeMastodon, str], run_cli: Any) -> None:
    fake, base = mastodon
    config = _site(tmp_path, base)
    row = _first_part_unconfirmed(tmp_path)  # the editor sees it on the account as 777
    cfg = ("--config", str(config))
    with pytest.raises(Exception, match="pass --remote-id"):  # a later part replies to it
        run_cli(*cfg, "resolve", str(row), "--sent", cwd=tmp_path)
    with pytest.raises(Exception, match="neither a Mastodon status id"):
        run_cli(*cfg, "resolve", str(row), "--sent", "--remote-id", "yesterday", cwd=tmp_path)
    code, _, err = run_cli(*cfg, "resolve", str(row), "--sent", "--remote-id",
                           "https://masto.test/@k2/777", cwd=tmp_path)
    assert code == 0, err
    code, _, err = run_cli(*cfg, "run", "--once", cwd=tmp_path)
    assert code == 0, err
    assert len(fake.bodies) >= 1
    assert fake.bodies[0]["in_reply_to_id"] == "777"  # part 2 replies to the editor's post
    assert all(b["in_reply_to_id"] for b in fake.bodies)
    with Ledger(db_path(tmp_path / "state")) as ledger:
        parts = sorted(ledger.deliveries(), key=lambda d: d.part)
        assert parts[0].remote_id == "777" and parts[0].url == "https://masto.test/@k2/777"
        assert {d.state for d in parts} == {DeliveryState.SENT}
        assert [p.state for p in ledger.publications()] == [PublicationState.SENT]


def test_a_part_whose_predecessor_has_no_remote_id_waits_for_the_editor(
        tmp_path: Path, mastodon: tuple[FakeMastodon, str], run_cli: Any) -> None:
    """An old `resolve --sent` without the id: nothing is posted with an empty reply id,
    nothing is left `sending`, and the id can still be given afterwards."""
    fake, base = mastodon
    config = _site(tmp_path, base)
    row = _first_part_unconfirmed(tmp_path)
    with Ledger(db_path(tmp_path / "state")) as ledger:
        ledger.resolve(row, "sent")  # what main allowed: no remote id
    cfg = ("--config", str(config))
    run_cli(*cfg, "run", "--once", cwd=tmp_path)
    assert fake.bodies == []  # never `in_reply_to_id: ""`
    with Ledger(db_path(tmp_path / "state")) as ledger:
        assert not ledger.deliveries(states=[DeliveryState.SENDING])
        assert ledger.publications()[0].state is PublicationState.UNCONFIRMED
        assert "remote id is unknown" in ledger.publications()[0].error
    code, _, err = run_cli(*cfg, "resolve", str(row), "--sent", "--remote-id", "778",
                           cwd=tmp_path)
    assert code == 0, err
    with Ledger(db_path(tmp_path / "state")) as ledger:  # the publication may go on now
        (pub,) = ledger.publications()
        ledger.finish_publication(pub.id, PublicationState.PENDING)
    run_cli(*cfg, "run", "--once", cwd=tmp_path)
    assert fake.bodies and fake.bodies[0]["in_reply_to_id"] == "778"
