"""Campaigns: the ``[campaigns.NAME]`` tables of the config, parsed and checked.

A campaign names its channels and a schedule in its own IANA time zone: either a cron
expression (``cron = "0 8 * * mon"``) or Buffer-style slots (``days = ["mon", "fri"]`` and
``times = ["09:00", "17:30"]``). Slots are computed with APScheduler's ``CronTrigger`` in
that zone, so a 09:00 slot stays 09:00 local time across daylight-saving changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from k2publisher.errors import ConfigError
from k2publisher.settings import Settings

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
KNOWN_KEYS = frozenset({
    "channels", "cron", "days", "times", "timezone", "items_per_slot", "grace",
    "evergreen_after_days", "digest", "run_on_start", "enabled", "description", "subscribers",
})
DEFAULT_GRACE = 3600


@dataclass(frozen=True)
class Campaign:
    """One campaign: what it publishes where, and when."""

    name: str
    channels: tuple[str, ...]
    timezone: str
    cron: str | None = None
    days: tuple[str, ...] = ()
    times: tuple[str, ...] = ()
    items_per_slot: int = 1
    grace: int = DEFAULT_GRACE
    evergreen_after_days: int | None = None
    digest: int = 0
    #: a digest campaign that mails each issue to every confirmed newsletter subscriber
    subscribers: bool = False
    run_on_start: bool = False
    enabled: bool = True
    description: str = ""

    @property
    def zone(self) -> ZoneInfo:
        """The campaign's time zone."""
        return ZoneInfo(self.timezone)

    def triggers(self) -> list[CronTrigger]:
        """One APScheduler trigger per slot time (or the single cron trigger)."""
        if self.cron:
            return [CronTrigger.from_crontab(self.cron, timezone=self.zone)]
        out = []
        for hhmm in self.times:
            hour, minute = hhmm.split(":")
            out.append(CronTrigger(day_of_week=",".join(self.days), hour=int(hour),
                                   minute=int(minute), timezone=self.zone))
        return out

    def describe(self) -> str:
        """The schedule in words, e.g. ``mon,fri at 09:00, 17:30 (Europe/London)``."""
        when = f"cron {self.cron!r}" if self.cron else \
            f"{','.join(self.days)} at {', '.join(self.times)}"
        return f"{when} ({self.timezone})"

    def slots(self, after: datetime, until: datetime) -> Iterator[datetime]:
        """Every slot strictly after ``after`` and at or before ``until``, in order (UTC-aware
        times in the campaign's zone)."""
        nexts: list[datetime | None] = []
        triggers = self.triggers()
        start = after + timedelta(microseconds=1)
        for trig in triggers:
            nexts.append(trig.get_next_fire_time(None, start))
        while True:
            live = [(t, i) for i, t in enumerate(nexts) if t is not None and t <= until]
            if not live:
                return
            moment, _ = min(live)
            yield moment
            for i, t in enumerate(nexts):
                if t == moment:  # two slot times may coincide: yield the moment once
                    nexts[i] = triggers[i].get_next_fire_time(
                        t, t + timedelta(microseconds=1))

    def next_slots(self, now: datetime, count: int) -> list[datetime]:
        """The next ``count`` slots after ``now`` (at most a year ahead)."""
        out: list[datetime] = []
        for moment in self.slots(now - timedelta(microseconds=1), now + timedelta(days=366)):
            out.append(moment)
            if len(out) == count:
                break
        return out

    def previous_slot(self, now: datetime, within: timedelta = timedelta(days=8)
                      ) -> datetime | None:
        """The latest slot at or before ``now`` (looking back ``within``)."""
        last = None
        for moment in self.slots(now - within, now):
            last = moment
        return last


def _zone(name: str, where: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}.timezone {name!r} is not an IANA time zone "
                          "(e.g. Europe/London)") from None
    return name


def _int(raw: Mapping[str, Any], key: str, default: int | None, where: str,
         minimum: int = 0) -> int | None:
    value = raw.get(key, default)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConfigError(f"{where}.{key} must be a whole number >= {minimum}, not {value!r}")
    return value


def parse_campaign(name: str, raw: Mapping[str, Any], *, default_timezone: str = "UTC",
                   known_channels: frozenset[str] | None = None) -> Campaign:
    """Parse one ``[campaigns.NAME]`` table; raises :class:`ConfigError` saying what to fix."""
    where = f"campaigns.{name}"
    unknown = sorted(set(raw) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown setting(s) {', '.join(unknown)} "
                          f"(known: {', '.join(sorted(KNOWN_KEYS))})")
    channels = raw.get("channels")
    if not channels or not isinstance(channels, list) or \
            not all(isinstance(c, str) for c in channels):
        raise ConfigError(f'{where}.channels must be a list of channel names, e.g. ["social"]')
    if known_channels is not None:
        missing = [c for c in channels if c not in known_channels]
        if missing:
            raise ConfigError(f"{where}.channels names {', '.join(missing)}, not defined under "
                              "[channels] (see `k2publisher channels list`)")
    tz = _zone(str(raw.get("timezone", default_timezone)), where)
    cron = raw.get("cron")
    days = raw.get("days")
    times = raw.get("times")
    if cron and (days or times):
        raise ConfigError(f"{where}: give either cron or days+times, not both")
    if cron:
        if not isinstance(cron, str):
            raise ConfigError(f'{where}.cron must be a string such as "0 8 * * mon"')
        try:
            CronTrigger.from_crontab(cron, timezone=ZoneInfo(tz))
        except ValueError as exc:
            raise ConfigError(f"{where}.cron {cron!r} is not a cron expression: {exc}") from None
    else:
        if not times or not isinstance(times, list):
            raise ConfigError(f'{where}: give cron = "..." or times = ["09:00", ...] '
                              "(with optional days)")
        bad = [t for t in times if not isinstance(t, str) or not _TIME.match(t)]
        if bad:
            raise ConfigError(f"{where}.times: {bad!r} are not HH:MM times")
        days = days if days is not None else list(DAYS)
        if not isinstance(days, list) or not days:
            raise ConfigError(f'{where}.days must be a list such as ["mon", "wed", "fri"]')
        wrong = [d for d in days if not isinstance(d, str) or d.lower()[:3] not in DAYS]
        if wrong:
            raise ConfigError(f"{where}.days: {wrong!r} are not days ({', '.join(DAYS)})")
        days = [d.lower()[:3] for d in days]
        times = [f"{int(t.split(':')[0]):02d}:{t.split(':')[1]}" for t in times]
    digest = _int(raw, "digest", 0, where)
    return Campaign(
        name=name,
        channels=tuple(channels),
        timezone=tz,
        cron=cron or None,
        days=tuple(days or ()),
        times=tuple(times or ()),
        items_per_slot=_int(raw, "items_per_slot", 1, where, minimum=1) or 1,
        grace=_int(raw, "grace", DEFAULT_GRACE, where) or 0,
        evergreen_after_days=_int(raw, "evergreen_after_days", None, where, minimum=1),
        digest=digest or 0,
        subscribers=bool(raw.get("subscribers", False)),
        run_on_start=bool(raw.get("run_on_start", False)),
        enabled=bool(raw.get("enabled", True)),
        description=str(raw.get("description", "")),
    )


def load_campaigns(settings: Settings, *, include_disabled: bool = False) -> list[Campaign]:
    """Every campaign in the settings, in config order."""
    table = settings.section("campaigns") or {}
    if not isinstance(table, Mapping):
        raise ConfigError("[campaigns] must be a table of [campaigns.NAME] tables",
                          settings.config_path)
    known = frozenset(settings.section("channels") or {})
    default_tz = settings.site.get("timezone", "UTC")
    out = []
    for name, raw in table.items():
        if not isinstance(raw, Mapping):
            raise ConfigError(f"campaigns.{name} must be a table", settings.config_path)
        try:
            campaign = parse_campaign(name, raw, default_timezone=default_tz,
                                      known_channels=known)
        except ConfigError as exc:
            raise ConfigError(exc.message, *settings.where("campaigns", name)) from None
        if campaign.enabled or include_disabled:
            out.append(campaign)
    return out
