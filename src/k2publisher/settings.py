"""Settings: one table of documented defaults, merged in one place.

Order of precedence (later wins): :data:`DEFAULTS` -> the TOML config file ->
environment / ``.env`` (``${VAR}`` references and ``K2PUBLISHER_*`` overrides) -> command line.
Relative paths resolve against the site root: the folder holding ``config/`` (or the config
file's own folder when it is not called ``config``), or the working directory without a file.
"""

from __future__ import annotations

import copy
import logging
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from k2publisher.errors import ConfigError, SettingsError
from k2publisher.settings_schema import Source, TypedSettings, unknown_settings, validate

DEFAULT_CONFIG_PATH = Path("config/k2publisher.toml")
#: a config file larger than this is not a config file
MAX_CONFIG_BYTES = 1_000_000
CONFIG_ENV_VAR = "K2PUBLISHER_CONFIG"

#: Every setting with its default. The channel and campaign tables are examples of shape;
#: the embedded defaults publish to local sinks only (no accounts, no secrets).
DEFAULTS: dict[str, Any] = {
    "site": {
        "name": "K2 Notes",                      # shown in emails, feeds and pages
        "base_url": "http://127.0.0.1:8025",     # absolute links in posts and feeds
        "description": "Plain-spoken notes on vitamin K2 research.",
        "language": "en",
        "timezone": "UTC",
        "publisher": "K2 Notes",                  # legal sender name in email footers
        "postal_address": "K2 Notes, 1 Example Street, Springfield, USA",
        "contact_email": "editor@example.org",
    },
    "paths": {
        "queue": "queue",           # one Markdown file per item
        "templates": "templates",   # user overrides, searched before the built-ins
        "disclaimers": "config/disclaimers.toml",
        "interactions": "config/interactions.toml",   # supplement -> drug-class warnings
        "state": "state",           # SQLite ledger and caches
        "public": "public",         # feed files and archive pages the service serves
    },
    "render": {
        "feed_items": 30,
        "hashtags": 3,
        "text_width": 76,
        "images": False,             # an image card (PNG + alt text) on each social post
    },
    "feeds": {
        "hub": "",                   # WebSub hub announced in every feed and pinged on publish
    },
    "guard": {
        "claims": "block",          # block | review | off : what a `block` finding does
        "channels": {},             # `claims` per channel name, e.g. social = "review"
    },
    "server": {
        "host": "127.0.0.1",
        "port": 8025,
        "trusted_proxy": "",        # the reverse proxy whose X-Forwarded-For is believed
    },
    "desk": {
        "host": "127.0.0.1",        # elsewhere needs K2PUBLISHER_DESK_TOKEN or _PASSWORD_HASH
        "port": 8027,
        "weeks": 2,                 # how many weeks of slots the calendar shows
    },
    "delivery": {
        "max_attempts": 5,           # tries per part, the first one included
        "backoff_base": 1.0,         # first backoff ceiling in seconds; doubles per attempt
        "backoff_max": 60.0,         # ceiling of one backoff wait (full jitter below it)
        "max_wait": 900.0,           # longest rate-limit wait honoured in-process
        "connect_timeout": 10.0,     # seconds to connect to a network or SMTP server
        "timeout": 30.0,             # read timeout of every HTTP request and SMTP command
    },
    "channels": {
        "email": {"type": "maildir", "path": "outbox/maildir"},
        "feed": {"type": "rss", "path": "public"},
        "social": {"type": "file", "path": "outbox/social", "profile": "mastodon"},
    },
    # a config file's [campaigns] replaces these examples as a whole (see docs/service.md)
    "campaigns": {
        "demo": {                    # due at start so a first run publishes to the local sinks
            "channels": ["social", "feed"], "run_on_start": True,
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "times": ["12:00"],
            "timezone": "UTC", "grace": 600,
        },
        "daily-social": {            # two slots a day; the feed updates on every publish
            "channels": ["social", "feed"],
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "times": ["09:00", "17:30"], "timezone": "Europe/London", "grace": 3600,
            "evergreen_after_days": 90,
        },
        "weekly-digest": {           # the newsletter: three items in one issue, Monday 08:00
            "channels": ["email"], "cron": "0 8 * * mon", "timezone": "America/New_York",
            "digest": 3, "grace": 21600, "subscribers": True,
        },
    },
    "newsletter": {
        "channel": "email",          # channel the issues and confirmation mails go through
        "secret_key": "",            # signs confirm/unsubscribe links; "" = generated in state/
        "confirm_max_age": 259200,   # seconds a confirmation link stays valid (3 days)
        "connections": 16,           # SMTP sessions (or ESP calls) in flight per worker
        "rate_per_second": 10,       # messages per second (0 = unlimited)
        "rate_per_hour": 0,          # messages per sliding hour (0 = unlimited)
        "list_id": "",               # List-Id value; "" = newsletter.<base_url host>
        "unsubscribe_mailto": "",    # mailto: in List-Unsubscribe; "" = site contact_email
        "from_name": "",             # display name in From; "" = site name
        "per_ip_per_hour": 20,       # /subscribe requests per client IP per hour
        "per_address_per_hour": 3,   # /subscribe requests per address per hour
        "confirmations_per_day": 3,  # confirmation mails per address per 24 hours
        "welcome": "latest",         # on confirming: latest | an item id | "" (no welcome)
        "soft_bounce_limit": 3,      # soft bounces that make an address bounced (suppressed)
        "soft_bounce_window_days": 30,  # a soft bounce older than this no longer counts
        "bounce_address": "",        # SMTP VERP: "bounces@host" -> bounces+TOKEN@host; "" = off
        "webhook_tolerance": 600,    # seconds a signed webhook's timestamp may be old
    },
    "store": {
        "url": "",                   # "" = the SQLite file in [paths] state; or postgresql://...
        "pool_size": 8,              # PostgreSQL connections per store per process
    },
    "alerts": {
        "channels": [],              # channel names told of failures, e.g. ["ops-slack"]
        "per_hour": 6,               # at most this many alerts an hour; the rest are counted
    },
}

#: the embedded campaign due at start (a first run without config publishes at once);
#: ``k2publisher init`` leaves it out of a new site's config
DEMO_CAMPAIGN = "demo"

SECRET_KEYS = frozenset({
    "password", "token", "api_key", "api_secret", "access_token", "access_secret",
    "webhook_url", "secret_key",
})

log = logging.getLogger("k2publisher.settings")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class Settings:
    """Merged settings plus where they came from."""

    data: dict[str, Any]
    root: Path
    config_path: Path | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    _typed: TypedSettings | None = field(default=None, repr=False)
    #: the config file as read, to name the line of a setting in later messages
    source: Source = field(default_factory=lambda: Source(None))

    #: ``${VAR}`` references left unresolved: variable -> the settings that use it
    missing: dict[str, list[str]] = field(default_factory=dict)

    def unset(self, prefix: str) -> dict[str, list[str]]:
        """The unset variables used by settings under ``prefix`` (``"channels.social."``)."""
        out: dict[str, list[str]] = {}
        for name, uses in self.missing.items():
            mine = [u for u in uses if u == prefix.rstrip(".") or u.startswith(prefix)]
            if mine:
                out[name] = mine
        return out

    @property
    def typed(self) -> TypedSettings:
        """The fixed sections, typed and checked (``settings.typed.server.port``).

        Raises :class:`SettingsError` for settings built by hand with wrong values.
        """
        if self._typed is None:
            merged = _merge(copy.deepcopy(DEFAULTS), self.data)
            problems, typed = validate(merged, DEFAULTS, self.source)
            if problems:
                raise SettingsError(problems, self.config_path)
            self._typed = typed
        return self._typed

    def where(self, *keys: str) -> tuple[Path | None, int | None]:
        """``(config file, line)`` where the setting ``keys`` is written (for ConfigError)."""
        return self.config_path, self.source.line_of(keys)

    def section(self, name: str) -> dict[str, Any]:
        """A top-level table (``site``, ``paths``, ``channels`` ...)."""
        return self.data.get(name, {})

    def path(self, name: str) -> Path:
        """A ``[paths]`` entry resolved against the site root."""
        return resolve(self.root, self.data["paths"][name])

    @property
    def site(self) -> dict[str, Any]:
        """The ``[site]`` table."""
        return self.data["site"]

    def secrets(self) -> list[str]:
        """Every resolved secret value, for masking in logs, previews and errors."""
        found: list[str] = []

        def walk(node: Any) -> None:
            if isinstance(node, Mapping):
                for key, value in node.items():
                    if key in SECRET_KEYS and isinstance(value, str) and value:
                        found.append(value)
                    else:
                        walk(value)

        walk(self.data.get("channels", {}))
        return found


def resolve(root: Path, value: str | os.PathLike[str]) -> Path:
    """Resolve a configured path against the site root (absolute paths stay as they are)."""
    p = Path(value).expanduser()
    return p if p.is_absolute() else root / p


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict) and key not in (
                "channels", "campaigns"):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


#: settings whose unset ``${VAR}`` disables only what reads them (the rest fail at load)
LAZY_SECRETS = ("channels.", "newsletter.secret_key")


def _interpolate(node: Any, env: Mapping[str, str], where: str,
                 missing: dict[str, list[str]]) -> Any:
    """``node`` with every ``${VAR}`` replaced; unset ones stay as written and are noted in
    ``missing`` (variable -> the settings that use it)."""
    if isinstance(node, dict):
        return {k: _interpolate(v, env, f"{where}.{k}" if where else k, missing)
                for k, v in node.items()}
    if isinstance(node, list):
        return [_interpolate(v, env, where, missing) for v in node]
    if isinstance(node, str):
        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in env:
                missing.setdefault(name, []).append(where)
                return m.group(0)
            return env[name]
        return _VAR.sub(sub, node)
    return node


def toml_error_line(exc: tomllib.TOMLDecodeError) -> int | None:
    """The line a TOML error is on (``lineno`` exists only from Python 3.14 on)."""
    line = getattr(exc, "lineno", None)
    if line is None:
        m = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = int(m.group(1)) if m else None
    return line


def find_config(explicit: str | os.PathLike[str] | None) -> Path | None:
    """The config file to read: ``--config``, else ``$K2PUBLISHER_CONFIG``, else the default."""
    if explicit:
        p = Path(explicit)
        if not p.is_file():
            raise ConfigError("config file not found (check --config)", p)
        return p
    env = os.environ.get(CONFIG_ENV_VAR)
    if env:
        p = Path(env)
        if not p.is_file():
            raise ConfigError(f"config file not found (check ${CONFIG_ENV_VAR})", p)
        return p
    return DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.is_file() else None


def _site_root(config_path: Path | None) -> Path:
    if config_path is None:
        return Path.cwd()
    folder = config_path.resolve().parent
    return folder.parent if folder.name == "config" else folder


def load_settings(config: str | os.PathLike[str] | None = None, *,
                  overrides: Mapping[str, Any] | None = None,
                  environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings: defaults -> config file -> environment/.env -> ``overrides``.

    Raises :class:`ConfigError` naming the file and line for unreadable TOML, and naming
    the setting for a ``${VAR}`` that is not set.
    """
    path = find_config(config)
    root = _site_root(path)
    data = copy.deepcopy(DEFAULTS)
    source = Source(None)
    user: dict[str, Any] = {}
    if path is not None:
        source = Source(path, read_config_text(path))
        try:
            user = tomllib.loads(source.text)
        except tomllib.TOMLDecodeError as exc:
            line = toml_error_line(exc)
            raise ConfigError(f"not valid TOML: {exc}", path, line) from None
        _merge(data, user)
    if overrides:
        _merge(data, overrides)
    problems, typed = validate(data, DEFAULTS, source)
    if problems:
        raise SettingsError(problems, path)
    for problem in unknown_settings(user, source, _channel_settings()):
        log.warning("%s", problem)
    env: dict[str, str] = {k: v for k, v in dotenv_values(root / ".env").items() if v is not None}
    env.update(environ if environ is not None else os.environ)
    missing: dict[str, list[str]] = {}
    data = _interpolate(data, env, "", missing)
    settings = Settings(data=data, root=root, config_path=path, env=env, _typed=typed,
                        source=source, missing=missing)
    for name, uses in missing.items():
        eager = [u for u in uses if not u.startswith(LAZY_SECRETS)]
        if eager:
            raise ConfigError(f"{eager[0]} refers to ${{{name}}}, which is not set: add "
                              f"{name}=... to {root / '.env'} or the environment",
                              *settings.where(*eager[0].split(".")))
    return settings


def read_config_text(path: Path) -> str:
    """The config file's text; ConfigError names the line of bytes that are not UTF-8."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the config: {exc.strerror}", path) from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"the config is {len(raw):,} bytes; at most {MAX_CONFIG_BYTES:,} are "
                          "read (is this the right file?)", path)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"byte {raw[exc.start]:#04x} is not UTF-8: save the file as UTF-8 "
                          "(in most editors: File > Save with encoding > UTF-8)", path,
                          line) from None


def _channel_settings() -> dict[str, set[str]] | None:
    """The settings each installed channel type reads (None while none can be loaded)."""
    try:
        from k2publisher.deliver.registry import COMMON_SETTINGS, channel_types
    except ImportError:
        return None
    return {name: {*COMMON_SETTINGS, *cls.required_settings, *cls.optional_settings}
            for name, cls in channel_types().items()}
