"""Alerts, `/healthz` degraded and `status` exit codes when publications fail.

A template error in the site's `templates/social/mastodon.txt` fails every slot of the
social channel. The operator is told through a fake Slack incoming webhook (a real HTTP
server on 127.0.0.1 that answers as Slack documents: 200 ``ok``) and a Maildir email channel.
"""

from __future__ import annotations

import json
import mailbox
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from werkzeug.wrappers import Request, Response

from k2publisher.service.scheduler import Service
from k2publisher.service.web import Server, make_app

from .support import Clock, make_settings, write_item

DAILY = {"channels": ["social"], "times": ["09:00", "12:00", "15:00", "18:00", "21:00"],
         "timezone": "UTC", "grace": 600, "run_on_start": True}


class FakeSlack:
    """An incoming webhook: records each payload's text, answers ``ok``."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path != "/services/T000/B000/secret":
            return Response("no_service", status=404)(environ, start_response)
        with self.lock:
            self.texts.append(json.loads(request.get_data())["text"])
        return Response("ok", content_type="text/plain")(environ, start_response)


@pytest.fixture
def slack() -> Iterator[tuple[FakeSlack, str]]:
    fake = FakeSlack()
    server = Server(fake, host="127.0.0.1", port=0).start()
    try:
        yield fake, f"{server.url}/services/T000/B000/secret"
    finally:
        server.stop()


def _site(site: Path, hook: str, per_hour: int = 6) -> Any:
    broken = site / "templates" / "social" / "mastodon.txt"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text("{{ item.title }} {{ no_such_variable }}\n", encoding="utf-8")
    return make_settings(site, {"daily": DAILY}, channels={
        "social": {"type": "recording", "path": "net/social.jsonl"},
        "ops": {"type": "slack", "webhook_url": hook},
        "ops-mail": {"type": "maildir", "path": "outbox/alerts", "to": "ops@example.org"},
    }, alerts={"channels": ["ops", "ops-mail"], "per_hour": per_hour})


def _mails(site: Path) -> list[str]:
    folder = site / "outbox" / "alerts"
    if not folder.exists():
        return []
    box = mailbox.Maildir(folder, create=False)
    return sorted(str(box.get_message(k)["Subject"]) for k in box.iterkeys())


def test_a_template_error_on_every_slot_alerts_degrades_health_and_fails_status(
        site: Path, slack: tuple[FakeSlack, str], run_cli: Any) -> None:
    fake, hook = slack
    settings = _site(site, hook)
    clock = Clock(datetime(2026, 3, 2, 9, 1, tzinfo=UTC))
    service = Service(settings, clock=clock)
    try:
        service.start_up()                      # the 09:00 slot
        for _ in range(2):                      # 12:00 and 15:00
            clock.advance(hours=3)
            service.run_slot(service.campaigns[0])
        service.start_scheduler()
        health = service.health()
        web = Server(make_app(settings, health=service.health, newsletter=False),
                     host="127.0.0.1", port=0).start()
        try:
            served = requests.get(f"{web.url}/healthz", timeout=5).json()
        finally:
            web.stop()
    finally:
        service.stop()
        service.close()
    # one alert per failed publication, on Slack and by email
    assert len(fake.texts) == 3, fake.texts
    # the error names the template variable, in Slack's escaping (no mrkdwn italics)
    from k2publisher.render.escaping import escape_slack

    assert all("failed" in t and "on social" in t and escape_slack("no_such_variable") in t
               for t in fake.texts)
    name = settings.site["name"]
    assert [t.split("\n", 1)[0] for t in fake.texts] == [
        f"[{name}] failed: vitamin-k2/dosage on social",
        f"[{name}] failed: vitamin-k2/side-effects on social",
        f"[{name}] failed: mechanisms/apoptosis on social"]
    assert len(_mails(site)) == 3 and all(s.startswith(f"[{name}] failed: ")
                                          for s in _mails(site))
    # /healthz and status say what is wrong
    for data in (health, served):
        assert data["status"] == "degraded"
        failing = [p for p in data["problems"] if p["kind"] == "failing"]
        assert failing and "campaign daily on social" in failing[0]["message"]
        assert "no_such_variable" in failing[0]["message"]
    code, out, _ = run_cli("--config", str(settings.config_path), "status", cwd=site)
    assert code == 1 and "degraded (failing): campaign daily on social" in out
    code, out, _ = run_cli("--config", str(settings.config_path), "status", "--json", cwd=site)
    assert code == 1 and json.loads(out)["status"] == "degraded"


def test_alerts_are_rate_limited_and_the_next_one_counts_those_held_back(
        site: Path, slack: tuple[FakeSlack, str]) -> None:
    fake, hook = slack
    for n in range(6):
        write_item(site / "queue", f"extra/item-{n}", priority=-1)
    settings = _site(site, hook, per_hour=2)
    clock = Clock(datetime(2026, 3, 2, 9, 1, tzinfo=UTC))
    service = Service(settings, clock=clock)
    try:
        service.start_up()                     # 09:00: alert 1
        for minutes in (10, 10, 10):           # three more failures within the hour
            clock.advance(minutes=minutes)
            service.run_slot(service.campaigns[0], clock.now)
        assert len(fake.texts) == 2            # the hourly limit held two back
        clock.advance(hours=1)
        service.run_slot(service.campaigns[0], clock.now)
    finally:
        service.stop()
        service.close()
    assert len(fake.texts) == 3
    assert "2 more alert(s) were held back by the hourly limit" in fake.texts[-1]


def test_a_healthy_site_is_ok_and_status_exits_0(site: Path, run_cli: Any) -> None:
    settings = make_settings(site, {"daily": DAILY})
    service = Service(settings, clock=Clock(datetime(2026, 3, 2, 9, 1, tzinfo=UTC)))
    try:
        service.start_up()
        health = service.health()
    finally:
        service.close()
    assert "status" not in health and health["problems"] == []  # the web layer says "ok"
    code, out, _ = run_cli("--config", str(settings.config_path), "status", cwd=site)
    assert code == 0 and "all well" in out


def test_a_part_left_unconfirmed_by_a_crash_is_alerted_and_degrades_health(
        site: Path, slack: tuple[FakeSlack, str]) -> None:
    from k2publisher.record.ledger import Ledger, Pick, db_path

    fake, hook = slack
    settings = make_settings(site, {"daily": {**DAILY, "run_on_start": False}}, channels={
        "social": {"type": "recording", "path": "net/social.jsonl"},
        "ops": {"type": "slack", "webhook_url": hook}}, alerts={"channels": ["ops"]})
    clock = Clock(datetime(2026, 3, 2, 9, 1, tzinfo=UTC))
    with Ledger(db_path(settings.path("state")), clock=clock) as crashed:
        crashed.start_run("daily", datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
                          [Pick("vitamin-k2/dosage", ("social",))])
        crashed.sending("vitamin-k2/dosage", "social", 0, "key")  # then the process died
    service = Service(settings, clock=clock)
    try:
        service.start_up()
        health = service.health()
    finally:
        service.close()
    assert len(fake.texts) == 1 and "unconfirmed: vitamin-k2/dosage on social" in fake.texts[0]
    assert "resolve" in fake.texts[0]
    assert health["status"] == "degraded"
    assert [p["kind"] for p in health["problems"]] == ["unconfirmed"]


def test_an_alert_goes_through_the_notice_check_and_never_quotes_a_blocked_claim(
        site: Path, slack: tuple[FakeSlack, str]) -> None:
    from k2publisher.record.ledger import Ledger, db_path
    from k2publisher.service.alerts import Alerts

    fake, hook = slack
    settings = make_settings(site, {"daily": DAILY}, channels={
        "ops": {"type": "slack", "webhook_url": hook}}, alerts={"channels": ["ops"]})
    with Ledger(db_path(settings.path("state"))) as ledger:
        alerts = Alerts(settings, ledger)
        try:
            assert alerts.send("blocked: k2/x on social", "guard: 'Vitamin K2 cures cancer.'")
            assert alerts.send("failed: k2/y on social", "422 from the network")
        finally:
            alerts.close()
    assert "cures cancer" not in fake.texts[0] and "Details left out" in fake.texts[0]
    assert "422 from the network" in fake.texts[1]
