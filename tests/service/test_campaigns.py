"""Campaign parsing, slots across daylight-saving changes, and missed-slot planning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from k2publisher.errors import ConfigError
from k2publisher.service.campaigns import load_campaigns, parse_campaign
from k2publisher.service.scheduler import plan_start
from k2publisher.settings import DEFAULTS, load_settings

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def daily(**extra: object):
    raw = {"channels": ["social"], "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
           "times": ["09:00", "17:30"], "timezone": "Europe/London", **extra}
    return parse_campaign("daily-social", raw)


def test_london_slots_stay_at_local_time_across_the_spring_change() -> None:
    # clocks go forward on Sunday 29 March 2026 at 01:00 UTC
    slots = list(daily().slots(datetime(2026, 3, 28, tzinfo=UTC),
                               datetime(2026, 3, 30, 23, tzinfo=UTC)))
    assert [s.astimezone(LONDON).strftime("%a %H:%M") for s in slots] == [
        "Sat 09:00", "Sat 17:30", "Sun 09:00", "Sun 17:30", "Mon 09:00", "Mon 17:30"]
    assert [s.astimezone(UTC).hour for s in slots] == [9, 17, 8, 16, 8, 16]


def test_london_autumn_change() -> None:
    slots = list(daily(times=["09:00"]).slots(datetime(2026, 10, 24, tzinfo=UTC),
                                              datetime(2026, 10, 26, 23, tzinfo=UTC)))
    assert [s.astimezone(LONDON).hour for s in slots] == [9, 9, 9]
    assert [s.astimezone(UTC).hour for s in slots] == [8, 9, 9]


def test_new_york_weekly_cron_across_the_spring_change() -> None:
    weekly = parse_campaign("weekly-digest", {"channels": ["email"], "cron": "0 8 * * mon",
                                              "timezone": "America/New_York", "digest": 3})
    # US clocks go forward on Sunday 8 March 2026
    slots = list(weekly.slots(datetime(2026, 2, 28, tzinfo=UTC),
                              datetime(2026, 3, 17, tzinfo=UTC)))
    assert [s.astimezone(NEW_YORK).strftime("%a %d %H:%M") for s in slots] == [
        "Mon 02 08:00", "Mon 09 08:00", "Mon 16 08:00"]
    assert [s.astimezone(UTC).hour for s in slots] == [13, 12, 12]


def test_slots_on_chosen_days_only_and_next_slots_under_a_frozen_clock() -> None:
    camp = parse_campaign("c", {"channels": ["social"], "days": ["Monday", "fri"],
                                "times": ["7:05"], "timezone": "UTC"})
    assert camp.days == ("mon", "fri") and camp.times == ("07:05",)
    with time_machine.travel(datetime(2026, 3, 4, 12, tzinfo=UTC), tick=False):
        now = datetime.now(UTC)
        upcoming = camp.next_slots(now, 3)
    assert [s.strftime("%a %d %H:%M") for s in upcoming] == [
        "Fri 06 07:05", "Mon 09 07:05", "Fri 13 07:05"]
    assert camp.previous_slot(now) == datetime(2026, 3, 2, 7, 5, tzinfo=UTC)


@pytest.mark.parametrize(("raw", "message"), [
    ({"channels": []}, "channels must be a list"),
    ({"channels": ["social"]}, "give cron"),
    ({"channels": ["social"], "cron": "0 8 * * mon", "times": ["09:00"]}, "not both"),
    ({"channels": ["social"], "cron": "every day"}, "not a cron expression"),
    ({"channels": ["social"], "times": ["25:00"]}, "not HH:MM"),
    ({"channels": ["social"], "times": ["09:00"], "days": ["someday"]}, "not days"),
    ({"channels": ["social"], "times": ["09:00"], "timezone": "Mars/Base"}, "IANA"),
    ({"channels": ["social"], "times": ["09:00"], "grace": -1}, "whole number"),
    ({"channels": ["social"], "times": ["09:00"], "sometimes": 1}, "unknown setting"),
    ({"channels": ["nowhere"], "times": ["09:00"]}, "not defined under"),
])
def test_config_errors_say_what_to_fix(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_campaign("c", raw, known_channels=frozenset({"social"}))


def test_shipped_defaults_parse() -> None:
    settings = load_settings(overrides=None, environ={})
    campaigns = {c.name: c for c in load_campaigns(settings)}
    assert set(DEFAULTS["campaigns"]) <= set(campaigns)
    assert campaigns["demo"].run_on_start
    assert campaigns["weekly-digest"].digest == 3
    assert "feed" in campaigns["daily-social"].channels


# -- missed slots and catch-up --------------------------------------------------------------

def test_first_start_records_a_baseline_and_does_not_dump_the_queue() -> None:
    now = datetime(2026, 3, 2, 12, 0, 7, 123, tzinfo=UTC)
    plan = plan_start(daily(), None, now)
    assert plan.run is None and plan.skipped == ()
    assert plan.baseline == now.replace(microsecond=0)


def test_run_on_start_campaign_runs_at_first_start_and_after_a_quiet_grace_period() -> None:
    demo = daily(run_on_start=True, grace=600)
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert plan_start(demo, None, now).run == now
    assert plan_start(demo, now - timedelta(seconds=30), now).run is None
    assert plan_start(demo, now - timedelta(seconds=601), now).run == now


def test_a_slot_missed_by_less_than_grace_runs_once() -> None:
    camp = daily(grace=3600)
    now = datetime(2026, 3, 2, 9, 40, tzinfo=UTC)  # the 09:00 slot is 40 minutes late
    plan = plan_start(camp, datetime(2026, 3, 1, 17, 30, tzinfo=UTC), now)
    assert plan.run == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert plan.skipped == ()


def test_older_missed_slots_are_skipped_and_the_latest_within_grace_runs() -> None:
    camp = daily(grace=3600)
    now = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)  # down since Sunday evening
    plan = plan_start(camp, datetime(2026, 3, 1, 17, 30, tzinfo=UTC), now)
    assert plan.run == datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    assert [s.strftime("%d %H:%M") for s in plan.skipped] == [
        "02 09:00", "02 17:30", "03 09:00", "03 17:30"]


def test_nothing_runs_when_every_missed_slot_is_older_than_grace() -> None:
    camp = daily(grace=600)
    plan = plan_start(camp, datetime(2026, 3, 1, 17, 30, tzinfo=UTC),
                      datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    assert plan.run is None
    assert [s.hour for s in plan.skipped] == [9]


def test_several_slots_within_grace_coalesce_into_one_run() -> None:
    camp = parse_campaign("often", {"channels": ["social"], "cron": "*/10 * * * *",
                                    "grace": 3600})
    now = datetime(2026, 3, 2, 12, 25, tzinfo=UTC)
    plan = plan_start(camp, datetime(2026, 3, 2, 11, 50, tzinfo=UTC), now)
    assert plan.run == datetime(2026, 3, 2, 12, 20, tzinfo=UTC)
    assert [s.minute for s in plan.skipped] == [0, 10]
    assert "2 earlier slot(s) coalesced" in plan.reason


def test_grace_is_measured_across_a_dst_change() -> None:
    camp = daily(times=["09:00"], grace=1800)
    # 09:00 London on 29 March 2026 is 08:00 UTC; at 08:20 UTC it is 20 minutes late
    plan = plan_start(camp, datetime(2026, 3, 28, 9, 0, tzinfo=UTC),
                      datetime(2026, 3, 29, 8, 20, tzinfo=UTC))
    assert plan.run == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
