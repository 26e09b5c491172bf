"""The service end to end, in-process, under a hand-moved clock: real queue files, the real
publisher (renderer, guard, delivery core), a real ledger, the rss and maildir channels, and
a test network channel registered in the channel registry."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine

from k2publisher.record.ledger import DeliveryState, Ledger, PublicationState, RunState, db_path
from k2publisher.service.scheduler import Service

from .support import Clock, make_settings, received, write_item

DEMO = {"channels": ["social", "feed"], "run_on_start": True, "times": ["12:00"],
        "timezone": "UTC", "grace": 600}
DAILY = {"channels": ["social", "feed"], "times": ["09:00", "17:30"],
         "timezone": "Europe/London", "grace": 3600}


def start(settings, clock: Clock) -> Service:
    service = Service(settings, clock=clock)
    service.start_up()
    return service


def published(settings) -> list[tuple[str, str, str]]:
    with Ledger(db_path(settings.path("state"))) as ledger:
        return [(p.campaign, p.item_id, p.channel) for p in reversed(ledger.publications())
                if p.state is PublicationState.SENT]


def test_first_start_publishes_only_the_run_on_start_campaign(site: Path, clock: Clock) -> None:
    settings = make_settings(site, {"demo": DEMO, "daily": DAILY})
    service = start(settings, clock)
    service.close()
    assert published(settings) == [("demo", "vitamin-k2/dosage", "social"),
                                   ("demo", "vitamin-k2/dosage", "feed")]
    (post,) = received(site / "net/social.jsonl")
    assert post["item"] == "vitamin-k2/dosage" and "Dosage" in post["text"]
    assert "vitamin-k2/dosage" in (site / "public" / "feed.xml").read_text(encoding="utf-8")
    with Ledger(db_path(settings.path("state"))) as ledger:
        assert ledger.runs()[0].state in (RunState.DONE, RunState.BASELINE)
        assert {r.campaign: r.state for r in ledger.runs()} == {
            "demo": RunState.DONE, "daily": RunState.BASELINE}


def test_a_restart_within_grace_catches_up_once_and_then_alternates(
        site: Path, clock: Clock) -> None:
    settings = make_settings(site, {"demo": {**DEMO, "grace": 86400, "times": ["23:00"]},
                                    "daily": DAILY})
    start(settings, clock).close()                      # 07:00 UTC: demo takes dosage
    clock.now = datetime(2026, 3, 2, 9, 20, tzinfo=UTC)  # the 09:00 slot is 20 minutes late
    start(settings, clock).close()
    clock.advance(minutes=5)
    start(settings, clock).close()                      # nothing new: that slot already ran
    clock.now = datetime(2026, 3, 2, 17, 40, tzinfo=UTC)
    start(settings, clock).close()                      # 17:30 slot, 10 minutes late
    sent = published(settings)
    assert sent[2:] == [("daily", "vitamin-k2/side-effects", "social"),
                        ("daily", "vitamin-k2/side-effects", "feed"),
                        ("daily", "mechanisms/apoptosis", "social"),
                        ("daily", "mechanisms/apoptosis", "feed")]
    assert [p["item"] for p in received(site / "net/social.jsonl")] == [
        "vitamin-k2/dosage", "vitamin-k2/side-effects", "mechanisms/apoptosis"]


def test_slots_missed_beyond_grace_are_skipped_not_flooded(site: Path, clock: Clock) -> None:
    settings = make_settings(site, {"daily": DAILY})
    start(settings, clock).close()                      # baseline only
    assert received(site / "net/social.jsonl") == []
    clock.now = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)  # down for 7 slots
    start(settings, clock).close()
    assert received(site / "net/social.jsonl") == []
    with Ledger(db_path(settings.path("state"))) as ledger:
        (skipped,) = [r for r in ledger.runs() if r.state is RunState.SKIPPED]
    assert skipped.slot == datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    assert skipped.note.startswith("7 slot(s) missed")


def test_scheduled_slot_runs_at_local_time_after_the_clocks_change(site: Path) -> None:
    clock = Clock(datetime(2026, 3, 28, 10, 0, tzinfo=UTC))
    settings = make_settings(site, {"daily": {**DAILY, "times": ["09:00"]}})
    service = start(settings, clock)                    # Saturday: baseline
    scheduler = service.start_scheduler()
    try:
        (job,) = [j for j in scheduler.get_jobs() if j.id.startswith("daily")]
        assert job.misfire_grace_time == 3600 and job.coalesce
        sunday = job.trigger.get_next_fire_time(None, clock.now)
        assert sunday.astimezone(ZoneInfo("Europe/London")).hour == 9
        assert sunday.astimezone(UTC) == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
        clock.now = sunday + timedelta(seconds=3)       # what APScheduler does at the slot
        service.run_slot(service.campaigns[0])
    finally:
        service.stop()
        service.close()
    with Ledger(db_path(settings.path("state"))) as ledger:
        run = next(r for r in ledger.runs() if r.state is RunState.DONE)
    assert run.slot == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
    assert [p["item"] for p in received(site / "net/social.jsonl")] == ["vitamin-k2/dosage"]


def test_a_transient_failure_is_retried_at_the_next_tick(site: Path, clock: Clock) -> None:
    settings = make_settings(site, {"demo": {**DEMO, "channels": ["social"]}}, channels={
        "social": {"type": "recording", "path": "net/social.jsonl", "fail_first": 1}})
    service = start(settings, clock)
    with Ledger(db_path(settings.path("state"))) as ledger:
        (pub,) = ledger.publications()
        assert pub.state is PublicationState.PENDING and "503" in pub.error
    service.tick()
    service.close()
    assert published(settings) == [("demo", "vitamin-k2/dosage", "social")]
    assert len(received(site / "net/social.jsonl")) == 1


def test_interrupted_part_is_unconfirmed_on_a_plain_network_until_resolved(
        site: Path, clock: Clock) -> None:
    settings = make_settings(site, {"demo": {**DEMO, "channels": ["social"]}})
    with Ledger(db_path(settings.path("state")), clock=clock) as ledger:
        # what a process killed during the network call leaves behind
        ledger.start_run("demo", clock.now, [_pick("vitamin-k2/dosage", "social")])
        ledger.sending("vitamin-k2/dosage", "social", 0, "key")
    start(settings, clock).close()
    assert received(site / "net/social.jsonl") == []    # never retried blindly
    with Ledger(db_path(settings.path("state"))) as ledger:
        (row,) = ledger.deliveries(states=[DeliveryState.UNCONFIRMED])
        ledger.resolve(row.id, "retry")
    service = start(settings, clock)
    service.close()
    assert [p["item"] for p in received(site / "net/social.jsonl")] == ["vitamin-k2/dosage"]


def test_interrupted_part_on_an_idempotent_network_is_resent_with_the_same_key(
        site: Path, clock: Clock) -> None:
    settings = make_settings(site, {"demo": {**DEMO, "channels": ["social"]}}, channels={
        "social": {"type": "recording-idempotent", "path": "net/social.jsonl"}})
    from k2publisher.deliver.core import idempotency_key

    key = idempotency_key("vitamin-k2/dosage", "social", 0)
    with Ledger(db_path(settings.path("state")), clock=clock) as ledger:
        ledger.start_run("demo", clock.now, [_pick("vitamin-k2/dosage", "social")])
        ledger.sending("vitamin-k2/dosage", "social", 0, key)
    start(settings, clock).close()
    (post,) = received(site / "net/social.jsonl")
    assert post["key"] == key
    assert published(settings) == [("demo", "vitamin-k2/dosage", "social")]


def test_weekly_digest_puts_three_items_in_one_issue(site: Path) -> None:
    clock = Clock(datetime(2026, 3, 9, 12, 30, tzinfo=UTC))  # Monday 08:30 New York (EDT)
    weekly = {"channels": ["email"], "cron": "0 8 * * mon", "timezone": "America/New_York",
              "digest": 3, "grace": 3600}
    settings = make_settings(site, {"weekly": weekly})
    with Ledger(db_path(settings.path("state")), clock=clock) as ledger:
        ledger.mark_slot("weekly", datetime(2026, 3, 2, 13, 0, tzinfo=UTC), RunState.DONE)
    start(settings, clock).close()
    with Ledger(db_path(settings.path("state"))) as ledger:
        (pub,) = ledger.publications()
    assert pub.state is PublicationState.SENT, pub.error
    assert pub.items == ("vitamin-k2/dosage", "mechanisms/apoptosis", "vitamin-k2/side-effects")
    mails = list((site / "outbox" / "maildir").rglob("*"))
    mails = [m for m in mails if m.is_file()]
    assert len(mails) == 1
    body = mails[0].read_bytes()
    assert b"Apoptosis" in body and b"Side-Effects" in body


def test_a_subscriber_digest_mails_every_confirmed_subscriber_once(site: Path) -> None:
    from k2publisher.newsletter.store import NewsletterStore
    from k2publisher.newsletter.subscribers import Source, Subscribers

    clock = Clock(datetime(2026, 3, 9, 12, 30, tzinfo=UTC))  # Monday 08:30 New York (EDT)
    weekly = {"channels": ["email"], "cron": "0 8 * * mon", "timezone": "America/New_York",
              "digest": 2, "grace": 3600, "subscribers": True}
    settings = make_settings(site, {"weekly": weekly})
    store = NewsletterStore.from_settings(settings)
    subs = Subscribers(store)
    for address in ("ann@example.org", "bob@example.org"):
        subs.add(address, Source.CLI, confirmed=True)
    subs.add("pending@example.org", Source.CLI, confirmed=False)
    store.close()
    with Ledger(db_path(settings.path("state")), clock=clock) as ledger:
        ledger.mark_slot("weekly", datetime(2026, 3, 2, 13, 0, tzinfo=UTC), RunState.DONE)
    start(settings, clock).close()
    start(settings, clock).close()  # a second tick must not send the issue again
    with Ledger(db_path(settings.path("state"))) as ledger:
        (pub,) = ledger.publications()
    assert pub.state is PublicationState.SENT, pub.error
    mails = [m for m in (site / "outbox" / "maildir").rglob("*") if m.is_file()]
    recipients = sorted(m.read_bytes().split(b"\nTo: ", 1)[1].split(b"\n", 1)[0].strip()
                        for m in mails)
    # one copy per confirmed subscriber (plus the pending one's confirmation mail, if any)
    assert recipients.count(b"ann@example.org") == 1
    assert recipients.count(b"bob@example.org") == 1
    issue_mails = [m for m in mails if b"List-Unsubscribe-Post" in m.read_bytes()]
    assert len(issue_mails) == 2


def test_an_item_taken_back_to_draft_is_not_published(site: Path, clock: Clock) -> None:
    settings = make_settings(site, {"demo": {**DEMO, "channels": ["social"]}})
    with Ledger(db_path(settings.path("state")), clock=clock) as ledger:
        ledger.start_run("demo", clock.now, [_pick("vitamin-k2/dosage", "social")])
    write_item(site / "queue", "vitamin-k2/dosage", status="draft")
    start(settings, clock).close()
    with Ledger(db_path(settings.path("state"))) as ledger:
        (pub,) = ledger.publications()
    assert pub.state is PublicationState.FAILED and "not ready" in pub.error
    assert received(site / "net/social.jsonl") == []


def test_upcoming_slots_simulate_the_policy(site: Path, clock: Clock) -> None:
    settings = make_settings(site, {"daily": DAILY})
    service = Service(settings, clock=clock)
    try:
        upcoming = service.upcoming(days=2)
    finally:
        service.close()
    assert [u.when.astimezone(UTC).hour for u in upcoming] == [9, 17, 9, 17]
    assert [u.picks[0].item_id for u in upcoming] == [
        "vitamin-k2/dosage", "mechanisms/apoptosis", "vitamin-k2/side-effects",
        "mechanisms/gla-proteins"]
    assert json.dumps([u.campaign for u in upcoming])


def _pick(item_id: str, channel: str):
    from k2publisher.record.ledger import Pick

    return Pick(item_id, (channel,))


def test_apscheduler_fires_the_slot_under_a_travelled_clock(site: Path) -> None:
    every_minute = {"channels": ["social"], "cron": "* * * * *", "timezone": "Europe/London",
                    "grace": 30}
    settings = make_settings(site, {"often": every_minute})
    with time_machine.travel(datetime(2026, 3, 29, 0, 59, 58, tzinfo=UTC), tick=True):
        service = Service(settings)                     # the real clock, travelled
        service.start_up()                              # first start: baseline only
        assert received(site / "net/social.jsonl") == []
        service.start_scheduler()
        try:
            deadline = time.monotonic() + 10
            while not received(site / "net/social.jsonl") and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            service.stop()
            service.close()
    assert [p["item"] for p in received(site / "net/social.jsonl")] == ["vitamin-k2/dosage"]
    with Ledger(db_path(settings.path("state"))) as ledger:
        run = next(r for r in ledger.runs() if r.state is RunState.DONE)
    # 01:00 UTC on the morning the UK clocks go forward is 02:00 BST
    assert run.slot == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert run.slot.astimezone(ZoneInfo("Europe/London")).hour == 2


def test_a_guard_block_waits_for_an_edit_and_the_next_item_goes_out(
        site: Path, clock: Clock) -> None:
    dosage = site / "queue" / "vitamin-k2" / "dosage.md"
    dosage.write_text(dosage.read_text(encoding="utf-8").replace(
        "Nothing more is claimed here.", "Vitamin K2 cures cancer."), encoding="utf-8")
    settings = make_settings(site, {"demo": {**DEMO, "channels": ["social"],
                                             "items_per_slot": 2}})
    start(settings, clock).close()
    with Ledger(db_path(settings.path("state"))) as ledger:
        states = {p.item_id: (p.state, p.error) for p in ledger.publications()}
    assert states["vitamin-k2/dosage"][0] is PublicationState.BLOCKED
    assert "C01-disease-cure" in states["vitamin-k2/dosage"][1]
    assert states["mechanisms/apoptosis"][0] is PublicationState.SENT
    assert [p["item"] for p in received(site / "net/social.jsonl")] == ["mechanisms/apoptosis"]
    history_service = Service(settings, clock=clock)
    try:
        upcoming = history_service.upcoming(days=1)
    finally:
        history_service.close()
    assert "vitamin-k2/dosage" not in {p.item_id for u in upcoming for p in u.picks}
    dosage.write_text(dosage.read_text(encoding="utf-8").replace(
        "Vitamin K2 cures cancer.", "Trials used 180 mcg a day."), encoding="utf-8")
    edited = Service(settings, clock=clock)
    try:
        first = edited.upcoming(days=1)[0].picks[0]
    finally:
        edited.close()
    assert (first.item_id, first.round) == ("vitamin-k2/dosage", 2)
