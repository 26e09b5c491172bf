"""The selection policy, against a real ledger file for the history it reads."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from k2publisher.models import Item, Kind, Status
from k2publisher.record.ledger import Ledger, Pick, PublicationState
from k2publisher.service.campaigns import parse_campaign
from k2publisher.service.selection import History, fingerprint, select

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
S, M = Kind.SUPPLEMENT_SECTION, Kind.MECHANISM_EXPLAINER


def item(item_id: str, kind: Kind = S, *, priority: int = 0, status: Status = Status.READY,
         not_before: date | None = None) -> Item:
    return Item(id=item_id, kind=kind, title=item_id, summary="s", body="b", status=status,
                priority=priority, not_before=not_before)


def campaign(channels: tuple[str, ...] = ("social", "feed"), **extra: object):
    return parse_campaign("daily", {"channels": list(channels), "times": ["09:00"], **extra})


@pytest.fixture
def ledger(tmp_path: Path):
    with Ledger(tmp_path / "l.sqlite3") as led:
        yield led


def publish(ledger: Ledger, camp, picks: list[Pick], when: datetime,
            state: PublicationState = PublicationState.SENT) -> None:
    ledger.clock = lambda: when
    ledger.start_run(camp.name, when, picks)
    for pub in ledger.pending_publications():
        ledger.finish_publication(pub.id, state)


def ids(picks: list[Pick]) -> list[str]:
    return [p.item_id for p in picks]


def test_only_ready_items_past_not_before() -> None:
    items = [item("a/draft", status=Status.DRAFT, priority=9),
             item("a/archived", status=Status.ARCHIVED, priority=9),
             item("a/later", not_before=date(2026, 3, 3), priority=9),
             item("a/today", not_before=date(2026, 3, 2)),
             item("a/plain")]
    first = select(campaign(), items, History(), NOW, count=5)
    assert ids(first) == ["a/plain", "a/today"]


def test_not_before_is_read_in_the_campaign_time_zone() -> None:
    items = [item("a/tomorrow", not_before=date(2026, 3, 3))]
    late_utc = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)  # already 3 March in Tokyo
    assert select(campaign(timezone="Asia/Tokyo"), items, History(), late_utc)
    assert not select(campaign(timezone="America/New_York"), items, History(), late_utc)


def test_priority_then_longest_available_then_id() -> None:
    items = [item("b/z"), item("b/a"), item("b/high", priority=3),
             item("b/feb", not_before=date(2026, 2, 1)),
             item("b/jan", not_before=date(2026, 1, 1))]
    assert ids(select(campaign(), items, History(), NOW, count=5)) == [
        "b/high", "b/a", "b/z", "b/jan", "b/feb"]


def test_kinds_alternate_relative_to_the_campaigns_last_item(ledger: Ledger) -> None:
    items = [item("s/one", S, priority=5), item("s/two", S, priority=4),
             item("m/one", M, priority=1), item("m/two", M, priority=0)]
    camp = campaign()
    assert ids(select(camp, items, History(), NOW, count=4)) == [
        "s/one", "m/one", "s/two", "m/two"]
    publish(ledger, camp, select(camp, items, History(), NOW), NOW)
    history = History.from_ledger(ledger, [camp])
    assert history.last_item["daily"] == "s/one"
    assert ids(select(camp, items, history, NOW + timedelta(days=1))) == ["m/one"]


def test_alternation_falls_back_when_one_kind_is_exhausted(ledger: Ledger) -> None:
    items = [item("s/one", S), item("s/two", S)]
    camp = campaign()
    publish(ledger, camp, select(camp, items, History(), NOW), NOW)
    assert ids(select(camp, items, History.from_ledger(ledger, [camp]), NOW)) == ["s/two"]


def test_no_repeat_until_exhausted_then_evergreen(ledger: Ledger) -> None:
    items = [item("a/1", priority=2), item("a/2", priority=1)]
    camp = campaign(evergreen_after_days=30)
    when = NOW
    for _ in range(2):
        publish(ledger, camp, select(camp, items, History.from_ledger(ledger, [camp]), when),
                when)
        when += timedelta(days=1)
    history = History.from_ledger(ledger, [camp])
    assert select(camp, items, history, NOW + timedelta(days=29)) == []
    (recycled,) = select(camp, items, history, NOW + timedelta(days=31))
    assert (recycled.item_id, recycled.round) == ("a/1", 2)
    assert select(campaign(), items, history, NOW + timedelta(days=400)) == []  # no evergreen


def test_one_item_goes_to_every_channel_and_new_channels_catch_up(ledger: Ledger) -> None:
    items = [item("a/1", priority=1), item("a/2")]
    old = campaign(("social",))
    publish(ledger, old, select(old, items, History(), NOW), NOW)
    both = campaign(("social", "feed"))
    history = History.from_ledger(ledger, [both])
    first = select(both, items, history, NOW)
    assert [(p.item_id, p.channels) for p in first] == [("a/2", ("social", "feed"))]
    history.simulate(both, first, NOW)
    second = select(both, items, history, NOW)
    assert [(p.item_id, p.channels) for p in second] == [("a/1", ("feed",))]


def test_blocked_item_waits_until_its_file_changes(ledger: Ledger) -> None:
    items = [item("a/1", priority=1), item("a/2")]
    camp = campaign(("social",))
    publish(ledger, camp, select(camp, items, History(), NOW), NOW, PublicationState.BLOCKED)
    history = History.from_ledger(ledger, [camp])
    assert ids(select(camp, items, history, NOW)) == ["a/2"]
    edited = [replace(items[0], body="fixed wording"), items[1]]
    (again,) = select(camp, edited, history, NOW)
    assert (again.item_id, again.round, again.fingerprint) == ("a/1", 2, fingerprint(edited[0]))


def test_unconfirmed_and_pending_count_as_gone_out(ledger: Ledger) -> None:
    items = [item("a/1", priority=1), item("a/2")]
    camp = campaign(("social",))
    publish(ledger, camp, select(camp, items, History(), NOW), NOW,
            PublicationState.UNCONFIRMED)
    assert ids(select(camp, items, History.from_ledger(ledger, [camp]), NOW)) == ["a/2"]


def test_digest_items_are_remembered_one_by_one(ledger: Ledger) -> None:
    items = [item("a/1", priority=2), item("a/2", priority=1), item("a/3")]
    camp = campaign(("email",))
    digest = Pick("daily/2026-03-02", ("email",), items=("a/1", "a/2"))
    publish(ledger, camp, [digest], NOW)
    assert ids(select(camp, items, History.from_ledger(ledger, [camp]), NOW)) == ["a/3"]


def test_an_item_failed_by_its_channel_is_picked_again(ledger: Ledger) -> None:
    items = [item("a/1", priority=1), item("a/2")]
    camp = campaign(("social",))
    ledger.start_run(camp.name, NOW, select(camp, items, History(), NOW))
    (pub,) = ledger.pending_publications()
    ledger.finish_publication(pub.id, PublicationState.FAILED, error="401 bad token",
                              item_at_fault=False)
    history = History.from_ledger(ledger, [camp])
    assert ids(select(camp, items, history, NOW + timedelta(hours=1))) == ["a/1"]
