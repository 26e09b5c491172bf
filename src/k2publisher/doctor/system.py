"""Doctor checks of the machine: the ledger database, the clock and zones, the public folder."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from k2publisher.doctor.base import EARLIEST_YEAR, Check, Site, writable_dir
from k2publisher.settings_schema import suggest


def _schemas() -> dict[str, int]:
    """Schema-version table -> the latest version this k2publisher knows, per component."""
    from k2publisher.record.migrations import LATEST, VERSION_TABLE

    known = {VERSION_TABLE: LATEST}
    try:
        from k2publisher.newsletter import store
    except ImportError:
        return known
    known[store.VERSION_TABLE] = store.LATEST
    return known


def _versions(path: Path, tables: Iterable[str]) -> dict[str, int]:
    """The version each schema-version table of the file is at (0 when it has none)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master "
                                              "WHERE type = 'table'")}
        return {t: int(conn.execute(f"SELECT MAX(version) FROM {t}").fetchone()[0] or 0)
                if t in present else 0 for t in tables}
    finally:
        conn.close()


def check_postgres(url: str) -> list[Check]:
    """The PostgreSQL store answers, its schemas are not newer than this k2publisher, and a
    write transaction can be opened."""
    from k2publisher.database import connect, masked
    from k2publisher.errors import ConfigError

    where = masked(url)
    try:
        db = connect(url)
    except ConfigError as exc:
        return [Check("database", False, exc.message,
                      "fix [store] url, or start the PostgreSQL server it names")]
    try:
        latest = _schemas()
        versions = {t: db.schema_version(t) for t in latest}
        with db.transaction():
            pass
    except Exception as exc:  # the server answered, then refused: say what it said
        return [Check("database", False, f"{where}: {exc}",
                      "give the [store] url user the right to create tables in its database")]
    finally:
        db.close()
    newer = [f"{t} is {versions[t]} (this k2publisher knows {latest[t]})"
             for t in latest if versions[t] > latest[t]]
    if newer:
        return [Check("database", False, f"{where} was written by a newer k2publisher: "
                      + "; ".join(newer), "upgrade k2publisher")]
    behind = [f"{t} {versions[t]} -> {latest[t]}" for t in latest if versions[t] < latest[t]]
    state = "schemas current" if not behind else \
        "pending migrations (`k2publisher store migrate`): " + ", ".join(behind)
    return [Check("database", True, f"PostgreSQL store {where}: {state}, writable")]


def check_database(site: Site) -> list[Check]:
    """Every schema in the store is current, and the store (file and folder) is writable."""
    from k2publisher.database import is_postgres, store_location
    from k2publisher.record.ledger import db_path

    location = store_location(site.settings)
    if is_postgres(location):
        return check_postgres(str(location))
    path = db_path(site.settings.path("state"))
    if not path.exists():
        ok, where = writable_dir(path.parent)
        return [Check("database", ok, f"no ledger yet; it will be created as {path}" if ok
                      else f"no ledger yet, and {where}",
                      "make the [paths] state folder writable by the user running k2publisher")]
    latest = _schemas()
    try:
        versions = _versions(path, latest)
    except sqlite3.Error as exc:
        return [Check("database", False, f"{path}: {exc}",
                      "restore the ledger from a backup (`k2publisher backup` makes one)")]
    newer = [f"{t} is {versions[t]} (this k2publisher knows {latest[t]})"
             for t in latest if versions[t] > latest[t]]
    if newer:
        return [Check("database", False, f"{path} was written by a newer k2publisher: "
                      + "; ".join(newer), "upgrade k2publisher")]
    writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)
    if not writable:
        return [Check("database", False, f"{path} (or its folder) is not writable",
                      "give the user running k2publisher write access to the state folder")]
    try:
        conn = sqlite3.connect(path, timeout=2, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return [Check("database", False, f"{path}: cannot take a write lock ({exc})",
                      "stop the process holding the ledger locked, then try again")]
    behind = [f"{t} {versions[t]} -> {latest[t]}" for t in latest if versions[t] < latest[t]]
    state = "schemas current" if not behind else \
        "pending migrations run when k2publisher next opens it: " + ", ".join(behind)
    return [Check("database", True, f"{path}: {state}, writable")]


def check_clock(site: Site, now: Callable[[], datetime] = lambda: datetime.now(UTC)
                ) -> list[Check]:
    """The system clock is set, and every time zone (site and campaigns) is known."""
    moment = now()
    clock = Check("clock", moment.year >= EARLIEST_YEAR,
                  f"system time is {moment:%Y-%m-%d %H:%M} UTC",
                  "set the system clock (enable NTP: `timedatectl set-ntp true`)")
    zones = {"site.timezone": str(site.settings.site.get("timezone", "UTC"))}
    campaigns = site.settings.section("campaigns") or {}
    for name, table in campaigns.items():
        if isinstance(table, Mapping):
            zones[f"campaigns.{name}.timezone"] = str(table.get("timezone", zones["site.timezone"]))
    bad: list[str] = []
    for where, zone in zones.items():
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            bad.append(f"{where} = {zone!r}{suggest(zone, _zone_names())}")
    tz = Check("time zones", not bad,
               "unknown: " + "; ".join(bad) if bad else
               f"{len(zones)} zone(s) known: " + ", ".join(sorted(set(zones.values()))),
               "use an IANA name such as Europe/Berlin (install the tzdata package if none is "
               "known)")
    return [clock, tz]


def _zone_names() -> set[str]:
    from zoneinfo import available_timezones

    return available_timezones()



def check_public(site: Site) -> list[Check]:
    """The public folder (feeds, archive) can be written."""
    ok, where = writable_dir(site.settings.path("public"))
    return [Check("public folder", ok, where,
                  "create the [paths] public folder and make it writable by the user running "
                  "k2publisher")]
