"""``k2publisher doctor``: check a site end to end and say how to fix each failure.

Each check is a plain function returning :class:`Check` results; :func:`run_checks` runs them
in the order a publisher would fix things (config first, then the content that depends on
it). A config file that cannot be read at all raises :class:`~k2publisher.errors.ConfigError`
(exit 3) because nothing else can be checked without it.
"""

from __future__ import annotations

import difflib
import os
import re
import socket
import sqlite3
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from k2publisher.content.queue import Queue
from k2publisher.errors import ConfigError, K2Error
from k2publisher.models import Item, Rendering, Status
from k2publisher.redact import mask
from k2publisher.settings import (
    DEFAULTS,
    Settings,
    find_config,
    load_settings,
    toml_error_line,
)

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: tables of DEFAULTS whose keys are names the user chooses, not settings
FREE_TABLES = ("channels", "campaigns")
#: a system clock before this year is unset (no RTC, no NTP yet)
EARLIEST_YEAR = 2024


@dataclass(frozen=True)
class Check:
    """The result of one check: what was looked at, and the fix when it failed."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        """``PASS name: detail`` or ``FAIL name: detail -> fix: ...`` (secrets masked)."""
        text = f"{'PASS' if self.ok else 'FAIL'}  {self.name}: {self.detail}"
        if not self.ok and self.fix:
            text += f"  -> fix: {self.fix}"
        return mask(text)


@dataclass
class Site:
    """What the checks share: the raw config as written, and the merged settings."""

    raw: dict[str, Any]
    settings: Settings
    missing_vars: dict[str, list[str]] = field(default_factory=dict)
    online: bool = False
    _queue: Queue | None = None

    @property
    def queue(self) -> Queue:
        """The site's queue, loaded."""
        if self._queue is None:
            self._queue = Queue(self.settings.path("queue"))
            self._queue.load()
        return self._queue


# -- reading ----------------------------------------------------------------------------------


def _walk_strings(node: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _walk_strings(value, f"{where}.{key}" if where else str(key))
    elif isinstance(node, list):
        for value in node:
            yield from _walk_strings(value, where)
    elif isinstance(node, str):
        yield where, node


def open_site(config: str | None = None, *, queue_dir: str | None = None,
              online: bool = False, environ: Mapping[str, str] | None = None) -> Site:
    """Read the config for checking: unset ``${VAR}`` secrets are noted, not fatal.

    Raises :class:`ConfigError` (exit 3) when the file is missing or not valid TOML.
    """
    path = find_config(config)
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"not valid TOML: {exc}", path, toml_error_line(exc)) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read the config: {exc}", path) from None
    env = dict(environ if environ is not None else os.environ)
    root = path.resolve().parent if path else Path.cwd()
    root = root.parent if root.name == "config" else root
    dotenv = {k: v for k, v in dotenv_values(root / ".env").items() if v is not None}
    missing: dict[str, list[str]] = {}
    for where, text in _walk_strings(raw, ""):
        for name in _VAR.findall(text):
            if name not in env and name not in dotenv:
                missing.setdefault(name, []).append(where)
    # placeholders let the remaining checks run; the secrets check reports the gap
    env.update({name: f"<unset {name}>" for name in missing})
    overrides = {"paths": {"queue": str(Path(queue_dir).resolve())}} if queue_dir else None
    settings = load_settings(path, overrides=overrides, environ=env)
    return Site(raw=raw, settings=settings, missing_vars=missing, online=online)


def _where(settings: Settings) -> str:
    return str(settings.config_path) if settings.config_path else "the config"


# -- config -----------------------------------------------------------------------------------


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


def _channel_types() -> Mapping[str, type]:
    try:
        from k2publisher.deliver.registry import channel_types
    except ImportError:
        return {}
    return channel_types()


def _campaign_keys() -> frozenset[str] | None:
    try:
        from k2publisher.service.campaigns import KNOWN_KEYS
    except ImportError:
        return None
    return KNOWN_KEYS


def unknown_keys(raw: Mapping[str, Any]) -> list[str]:
    """One message per setting the config has that k2publisher does not know."""
    out: list[str] = []
    for key, value in raw.items():
        if key not in DEFAULTS:
            out.append(f"unknown table or setting `{key}`{_suggest(key, DEFAULTS)}")
        elif key not in FREE_TABLES and isinstance(DEFAULTS[key], dict) \
                and isinstance(value, Mapping):
            out += [f"unknown setting `{key}.{sub}`{_suggest(sub, DEFAULTS[key])}"
                    for sub in value if sub not in DEFAULTS[key]]
    types = _channel_types()
    for name, options in (raw.get("channels") or {}).items():
        if not isinstance(options, Mapping):
            out.append(f"`channels.{name}` must be a table ([channels.{name}])")
            continue
        type_name = str(options.get("type", ""))
        cls = types.get(type_name)
        if not type_name:
            out.append(f"`channels.{name}` has no `type`")
            continue
        if cls is None:
            out.append(f"`channels.{name}.type` = {type_name!r} is not an installed "
                       f"channel type{_suggest(type_name, types)}")
            continue
        from k2publisher.deliver.registry import COMMON_SETTINGS

        known = {*COMMON_SETTINGS, *cls.required_settings, *cls.optional_settings}
        out += [f"unknown setting `channels.{name}.{k}` for type {type_name!r}{_suggest(k, known)}"
                for k in options if k not in known]
        out += [f"`channels.{name}` needs `{k}` (required by type {type_name!r})"
                for k in cls.required_settings if options.get(k) in (None, "")]
    campaign_keys = _campaign_keys()
    for name, table in (raw.get("campaigns") or {}).items():
        if campaign_keys is not None and isinstance(table, Mapping):
            out += [f"unknown setting `campaigns.{name}.{k}`{_suggest(k, campaign_keys)}"
                    for k in table if k not in campaign_keys]
    return out


def check_config(site: Site) -> list[Check]:
    """The file was read; every key is known; every ``${VAR}`` it names is set."""
    s = site.settings
    read = Check("config", True, f"read {s.config_path}" if s.config_path else
                 "no config file: using the built-in defaults (local sinks only)")
    problems = unknown_keys(site.raw)
    keys = Check("config keys", not problems,
                 "; ".join(problems) if problems else "every setting is known",
                 f"edit {_where(s)} (each setting is documented in the file `k2publisher init`"
                 " writes)")
    missing = [f"${{{var}}} (used by {', '.join(uses)})"
               for var, uses in sorted(site.missing_vars.items())]
    secrets = Check("secrets", not missing,
                    "not set: " + "; ".join(missing) if missing else
                    "every ${VAR} the config names is set",
                    "add " + ", ".join(f"{v}=..." for v in sorted(site.missing_vars))
                    + f" to {s.root / '.env'} (see .env.example) or the environment")
    return [read, keys, secrets]


Probe = Callable[[], None]


def _endpoints(options: Mapping[str, Any], secret: set[str]) -> Iterator[tuple[str, Probe]]:
    host, port = options.get("host"), options.get("port")
    if host and port:
        def tcp(h: str = str(host), p: int = int(port)) -> None:
            socket.create_connection((h, p), timeout=5).close()
        yield f"{host}:{port}", tcp
    for key, value in options.items():
        if key in secret or not isinstance(value, str):
            continue
        if value.startswith(("http://", "https://")):
            def http(url: str = value) -> None:
                import requests

                requests.get(url, timeout=5, allow_redirects=False)
            yield value, http


def check_online(site: Site) -> list[Check]:
    """Every channel's SMTP/HTTP endpoint answers, and the channel's own check passes."""
    from k2publisher.deliver.registry import channel_configs, load_channel, secret_names

    out: list[Check] = []
    types = _channel_types()
    for name, options in channel_configs(site.settings).items():
        cls = types.get(str(options.get("type", "")))
        failures: list[str] = []
        reached: list[str] = []
        for label, probe in _endpoints(options, secret_names(cls)):
            try:
                probe()
                reached.append(label)
            except Exception as exc:  # any failure to connect is the finding
                failures.append(f"{label} unreachable ({type(exc).__name__}: {exc})")
        if not failures:
            try:
                reached.append(load_channel(name, site.settings).check())
            except K2Error as exc:
                failures.append(str(exc))
        out.append(Check(f"online {name}", not failures,
                         "; ".join(failures) if failures else "; ".join(reached),
                         f"check the host, port and credentials of [channels.{name}]"))
    return out


# -- content ----------------------------------------------------------------------------------


def check_queue(site: Site) -> list[Check]:
    """Every queue file parses (the same check as ``k2publisher queue validate``)."""
    q = site.queue
    problems = q.problems()
    items = q.items()
    if problems:
        shown = "; ".join(str(p) for p in problems[:3]) + (" ..." if len(problems) > 3 else "")
        return [Check("queue", False, f"{len(problems)} problem(s): {shown}",
                      "run `k2publisher queue validate` and fix each path:line it prints")]
    ready = sum(1 for i in items if i.status is Status.READY)
    return [Check("queue", True, f"{len(items)} item(s), {ready} ready, in {q.root}")]


def _channels(site: Site) -> list[tuple[str, str]]:
    """``(channel name, render profile)`` for every configured channel that loads."""
    from k2publisher.deliver.registry import channel_configs, load_channel

    out = []
    for name in channel_configs(site.settings):
        try:
            out.append((name, load_channel(name, site.settings).render_profile))
        except K2Error:
            continue  # reported by the config checks
    return out


def _renderings(site: Site, items: list[Item]) -> Iterator[tuple[Item, str, Rendering | Exception]]:
    from k2publisher.render.renderer import Renderer

    renderer = Renderer(site.settings)
    for channel, profile in _channels(site):
        for item in items:
            try:
                yield item, channel, renderer.render(item, profile, channel=channel)
            except Exception as exc:  # a template failing on one item is the finding
                yield item, channel, exc


def _site_pages(site: Site, items: list[Item]) -> list[str]:
    """Render the feeds and the archive index over ``items``; one message per failure."""
    from k2publisher.render.renderer import Renderer

    renderer = Renderer(site.settings)
    entries = [(item, datetime.now(UTC)) for item in items]
    problems = []
    for name, render in (("feeds", renderer.feeds), ("archive index", renderer.archive_index)):
        try:
            render(entries)
        except Exception as exc:  # a template failing is the finding
            problems.append(f"{name}: {exc}")
    return problems


def check_templates(site: Site) -> list[Check]:
    """Every template compiles, and every item renders on every channel."""
    import jinja2

    from k2publisher.render.environment import make_environment

    env = make_environment(site.settings)
    broken: list[str] = []
    names = env.list_templates()
    for name in names:
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            broken.append(f"{exc.filename or name}:{exc.lineno}: {exc.message}")
    items = site.queue.items()
    results = list(_renderings(site, items))
    failed = [f"{item.id} on {channel}: {result}" for item, channel, result in results
              if isinstance(result, Exception)]
    problems = broken + failed + _site_pages(site, items)
    if problems:
        return [Check("templates", False, f"{len(problems)} problem(s): "
                      + "; ".join(problems[:3]) + (" ..." if len(problems) > 3 else ""),
                      "fix the template and line named (your overrides are in "
                      f"{site.settings.path('templates')})")]
    channels = len({channel for _, channel, _ in results})
    return [Check("templates", True, f"{len(names)} template(s) compile; {len(items)} item(s) "
                  f"render on {channels} channel(s)")]


def check_guard(site: Site) -> list[Check]:
    """The guard approves every ready item on every channel."""
    from k2publisher.guard.check import check
    from k2publisher.guard.disclaimers import DisclaimerRules

    rules = DisclaimerRules.from_settings(site.settings)
    policy = str(site.settings.section("guard").get("claims", "block"))
    ready = site.queue.items(status=Status.READY)
    refused: list[str] = []
    checked = 0
    for item, channel, result in _renderings(site, ready):
        if isinstance(result, Exception):
            continue  # reported by the templates check
        checked += 1
        verdict = check(result, item, rules, claims_policy=policy)
        if not verdict.ok:
            refused.append(f"{item.id} on {channel}: {'; '.join(verdict.problems)}")
    if refused:
        return [Check("guard", False, f"{len(refused)} refusal(s): " + " | ".join(refused[:3])
                      + (" ..." if len(refused) > 3 else ""),
                      "edit the item (or record a guard_overrides entry with a reason), then "
                      "`k2publisher preview ID` to see what the guard sees")]
    return [Check("guard", True, f"{checked} rendering(s) of {len(ready)} ready item(s) pass")]


# -- environment ------------------------------------------------------------------------------


def _writable_dir(path: Path) -> tuple[bool, str]:
    """Whether ``path`` is (or can be created as) a writable folder, and what was found."""
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            return False, f"{path} cannot be created"
        probe = probe.parent
    if not probe.is_dir():
        return False, f"{probe} is not a folder"
    if not os.access(probe, os.W_OK | os.X_OK):
        return False, f"{probe} is not writable by this user"
    return True, str(path) if probe == path else f"{path} (will be created)"


def _schemas() -> dict[str, int]:
    """Schema-version table -> the latest version this k2publisher knows, per component."""
    from k2publisher.record.migrations import LATEST

    known = {"schema_version": LATEST}
    try:
        from k2publisher.newsletter.store import MIGRATIONS
    except ImportError:
        return known
    known["newsletter_schema_version"] = len(MIGRATIONS)
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


def check_database(site: Site) -> list[Check]:
    """Every schema in the ledger file is current, and the file and its folder are writable."""
    from k2publisher.record.ledger import db_path

    path = db_path(site.settings.path("state"))
    if not path.exists():
        ok, where = _writable_dir(path.parent)
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
            bad.append(f"{where} = {zone!r}{_suggest(zone, _zone_names())}")
    tz = Check("time zones", not bad,
               "unknown: " + "; ".join(bad) if bad else
               f"{len(zones)} zone(s) known: " + ", ".join(sorted(set(zones.values()))),
               "use an IANA name such as Europe/Berlin (install the tzdata package if none is "
               "known)")
    return [clock, tz]


def _zone_names() -> set[str]:
    from zoneinfo import available_timezones

    return available_timezones()


def check_campaigns(site: Site) -> list[Check]:
    """Every campaign parses (schedule, channels)."""
    try:
        from k2publisher.service.campaigns import load_campaigns
    except ImportError:
        return []
    try:
        found = load_campaigns(site.settings, include_disabled=True)
    except ConfigError as exc:
        return [Check("campaigns", False, exc.message,
                      f"edit [campaigns] in {_where(site.settings)}")]
    return [Check("campaigns", True, f"{len(found)} campaign(s) parse" if found else
                  "no campaigns: nothing is published on a schedule")]


def check_public(site: Site) -> list[Check]:
    """The public folder (feeds, archive) can be written."""
    ok, where = _writable_dir(site.settings.path("public"))
    return [Check("public folder", ok, where,
                  "create the [paths] public folder and make it writable by the user running "
                  "k2publisher")]


CHECKS: tuple[Callable[[Site], list[Check]], ...] = (
    check_config, check_queue, check_templates, check_guard, check_campaigns,
    check_database, check_clock, check_public,
)


def run_checks(site: Site) -> list[Check]:
    """Every check in order; a check that crashes is reported as a failure, not raised."""
    results: list[Check] = []
    checks: list[Callable[[Site], list[Check]]] = list(CHECKS)
    if site.online:
        checks.insert(1, check_online)
    for fn in checks:
        name = fn.__name__.removeprefix("check_")
        try:
            results += fn(site)
        except ImportError as exc:
            results.append(Check(name, False, f"not installed: {exc}",
                                 "reinstall k2publisher (`pip install --force-reinstall`)"))
        except Exception as exc:  # the doctor must report, never crash
            results.append(Check(name, False, f"{type(exc).__name__}: {exc}",
                                 "see the message; `k2publisher -vv doctor` logs more"))
    return results


def as_json(results: list[Check]) -> dict[str, Any]:
    """The results as JSON-ready data."""
    return {"ok": all(r.ok for r in results),
            "checks": [{**asdict(r), "detail": mask(r.detail),
                        "fix": "" if r.ok else mask(r.fix)} for r in results]}
