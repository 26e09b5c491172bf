"""The type, range and allowed values of every setting, checked in one place.

:data:`k2publisher.settings.DEFAULTS` stays the one table of default values; this module says
what each value may be, as `msgspec <https://jcristharif.com/msgspec/>`_ structs whose fields
carry no defaults of their own. :func:`validate` checks the merged settings (defaults plus the
user's file) and returns every problem, each naming the setting, the ``file:line`` it was
written on and the fix; :func:`unknown_settings` finds the keys nobody reads, with a "did you
mean" when one is close. Campaign tables are checked by their own parser
(``service/campaigns.py``) and channel tables by the channel type they name.
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import msgspec
from msgspec import Meta, Struct

Text = Annotated[str, Meta(max_length=10_000)]
Name = Annotated[str, Meta(min_length=1, max_length=200)]
Folder = Annotated[str, Meta(min_length=1, max_length=4096)]
Url = Annotated[str, Meta(pattern=r"^https?://[^\s/]+", max_length=2000)]
Port = Annotated[int, Meta(ge=0, le=65535)]
Count = Annotated[int, Meta(ge=0, le=1_000_000)]
Seconds = Annotated[float, Meta(ge=0, le=86_400)]
ClaimsAction = Literal["block", "review", "off"]


class _Section(Struct, frozen=True, forbid_unknown_fields=False):
    """Base of every section: frozen, unknown keys are reported separately as warnings."""


class SiteSettings(_Section):
    """``[site]``: who publishes."""

    name: Name
    base_url: Url
    description: Text
    language: Annotated[str, Meta(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
    timezone: Name
    publisher: Name
    postal_address: Text
    contact_email: Annotated[str, Meta(pattern=r"^[^@\s]+@[^@\s]+$", max_length=320)]


class PathSettings(_Section):
    """``[paths]``: folders and files, relative to the site folder."""

    queue: Folder
    templates: Folder
    disclaimers: Folder
    interactions: Folder
    state: Folder
    public: Folder


class RenderSettings(_Section):
    """``[render]``."""

    feed_items: Annotated[int, Meta(ge=1, le=10_000)]
    hashtags: Annotated[int, Meta(ge=0, le=30)]
    text_width: Annotated[int, Meta(ge=20, le=1000)]
    images: bool


class FeedSettings(_Section):
    """``[feeds]``."""

    hub: Annotated[str, Meta(pattern=r"^(https?://\S+)?$", max_length=2000)]


class GuardSettings(_Section):
    """``[guard]``."""

    claims: ClaimsAction
    channels: dict[str, ClaimsAction]


class ServerSettings(_Section):
    """``[server]``: where ``k2publisher run`` listens."""

    host: Name
    port: Port
    #: the reverse proxy's address whose X-Forwarded-For/-Proto is believed; "" = nobody's
    trusted_proxy: Annotated[str, Meta(pattern=r"^[0-9A-Fa-f.:]*$", max_length=64)]


class DeskSettings(_Section):
    """``[desk]``: the editor's desk web app."""

    host: Name
    port: Port
    weeks: Annotated[int, Meta(ge=1, le=52)]


class DeliverySettings(_Section):
    """``[delivery]``: retries and timeouts of every channel."""

    max_attempts: Annotated[int, Meta(ge=1, le=100)]
    backoff_base: Seconds
    backoff_max: Seconds
    max_wait: Annotated[float, Meta(ge=0, le=86_400)]
    connect_timeout: Annotated[float, Meta(gt=0, le=600)]
    timeout: Annotated[float, Meta(gt=0, le=3600)]


class NewsletterSettings(_Section):
    """``[newsletter]``."""

    channel: Name
    secret_key: Text
    confirm_max_age: Annotated[int, Meta(ge=60, le=31_536_000)]
    connections: Annotated[int, Meta(ge=1, le=64)]
    rate_per_second: Annotated[float, Meta(ge=0, le=100_000)]
    rate_per_hour: Count
    list_id: Text
    unsubscribe_mailto: Text
    from_name: Text
    per_ip_per_hour: Count
    per_address_per_hour: Count
    confirmations_per_day: Count
    welcome: Annotated[str, Meta(max_length=200)]
    soft_bounce_limit: Annotated[int, Meta(ge=1, le=100)]
    soft_bounce_window_days: Annotated[int, Meta(ge=1, le=3650)]
    bounce_address: Text
    webhook_tolerance: Annotated[int, Meta(ge=30, le=86_400)]


class StoreSettings(_Section):
    """``[store]``: where the ledger and the newsletter keep their tables."""

    #: "" = the SQLite file in the state folder; else a PostgreSQL URL
    url: Annotated[str, Meta(pattern=r"^((postgresql|postgres)://\S*)?$", max_length=2000)]
    #: PostgreSQL connections each store object of a process keeps (the ledger's, the
    #: newsletter's); more when a statement waits for a free one
    pool_size: Annotated[int, Meta(ge=1, le=100)]


class AlertSettings(_Section):
    """``[alerts]``: which channels are told when something fails, and how often."""

    channels: list[Name]
    per_hour: Count


#: the fixed sections; ``channels`` and ``campaigns`` are tables of names the user chooses
SECTIONS: dict[str, type[_Section]] = {
    "site": SiteSettings, "paths": PathSettings, "render": RenderSettings,
    "feeds": FeedSettings, "guard": GuardSettings, "server": ServerSettings,
    "desk": DeskSettings, "delivery": DeliverySettings, "newsletter": NewsletterSettings,
    "store": StoreSettings, "alerts": AlertSettings,
}
FREE_TABLES = ("channels", "campaigns")
#: TOML values a channel option may hold (each channel type reads its own)
_OPTION_TYPES = (str, int, float, bool, list)


class TypedSettings(Struct, frozen=True):
    """The fixed sections as typed, frozen values (``settings.typed.server.port``)."""

    site: SiteSettings
    paths: PathSettings
    render: RenderSettings
    feeds: FeedSettings
    guard: GuardSettings
    server: ServerSettings
    desk: DeskSettings
    delivery: DeliverySettings
    newsletter: NewsletterSettings
    store: StoreSettings
    alerts: AlertSettings


@dataclass(frozen=True)
class Source:
    """The config file as read, to say on which line a setting was written."""

    path: Path | None
    text: str = ""

    def line_of(self, keys: Sequence[str]) -> int | None:
        """The line where the setting ``keys`` (e.g. ``("server", "port")``) is written, else
        the line of the nearest table that holds it, else None."""
        if self.path is None or not self.text:
            return None
        want = tuple(keys)
        best: tuple[int, int] | None = None  # (matched length, line)
        table: tuple[str, ...] = ()
        for number, raw in enumerate(self.text.splitlines(), 1):
            line = raw.strip()
            header = _HEADER.match(line)
            if header:
                table = _split_key(header.group(1))
                full = table
            else:
                key = _KEY.match(line)
                if not key:
                    continue
                full = (*table, *_split_key(key.group(1)))
            common = _common(full, want)
            if common == len(want) and len(full) == len(want):
                return number
            if common == len(full) and (best is None or common > best[0]):
                best = (common, number)
        return best[1] if best else None


_HEADER = re.compile(r"^\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_PART = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_KEY = re.compile(rf"^({_PART}(?:\s*\.\s*{_PART})*)\s*=")


def _split_key(dotted: str) -> tuple[str, ...]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", dotted)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


def _common(a: Sequence[str], b: Sequence[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


@dataclass(frozen=True, order=True)
class SettingProblem:
    """One wrong or unknown setting: where it is written, and what to do about it."""

    line: int
    keys: tuple[str, ...]
    message: str
    path: str = ""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}: " if self.path and self.line else \
            f"{self.path}: " if self.path else ""
        return f"{where}{self.message}"


def setting_name(keys: Sequence[str]) -> str:
    """``[server] port`` for ``("server", "port")``; ``[channels.social] path`` for three."""
    if len(keys) == 1:
        return f"[{keys[0]}]"
    table = ".".join(_quote(k) for k in keys[:-1])
    return f"[{table}] {_quote(keys[-1])}"


def _quote(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else f'"{key}"'


def suggest(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean `x`?)`` for the closest of ``choices``, or "" when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_quote(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return repr(value)


def _shown(value: Any) -> str:
    text = _toml(value)
    return text if len(text) <= 60 else text[:57] + "..."


def describe(kind: msgspec.inspect.Type) -> str:
    """What a value of ``kind`` looks like, in words (for the fix of an error)."""
    i = msgspec.inspect
    if isinstance(kind, i.IntType):
        return "a whole number" + _bounds(kind)
    if isinstance(kind, i.FloatType):
        return "a number" + _bounds(kind)
    if isinstance(kind, i.BoolType):
        return "true or false"
    if isinstance(kind, i.LiteralType):
        return "one of " + ", ".join(_toml(v) for v in kind.values)
    if isinstance(kind, i.StrType):
        if kind.pattern == Url.__metadata__[0].pattern:
            return "an http:// or https:// address in quotes"
        if kind.min_length:
            return "a non-empty string in quotes"
        return "a string in quotes"
    if isinstance(kind, i.DictType):
        return f"a table whose values are {describe(kind.value_type)}"
    return "a value of the documented type"


def _bounds(kind: Any) -> str:
    low = kind.ge if kind.ge is not None else kind.gt
    high = kind.le if kind.le is not None else kind.lt
    if low is not None and high is not None:
        return f" from {low:g} to {high:g}" if kind.gt is None else \
            f" above {low:g} and at most {high:g}"
    if low is not None:
        return f" of at least {low:g}"
    return ""


def _field_types(section: type[_Section]) -> dict[str, msgspec.inspect.Type]:
    info = msgspec.inspect.type_info(section)
    assert isinstance(info, msgspec.inspect.StructType)
    return {f.name: f.type for f in info.fields}


_AT = re.compile(r"\s+- at `\$((?:\.[^.`\[]+|\[[^\]]*\])*)`$")


def _error_keys(exc: msgspec.ValidationError) -> tuple[str, str]:
    """(field, message) from a msgspec error like ``Expected `int` - at `$.port```."""
    text = str(exc)
    m = _AT.search(text)
    if not m:
        return "", text
    first = re.match(r"\.([^.`\[]+)", m.group(1))
    return (first.group(1) if first else ""), text[:m.start()]


def _check_section(name: str, table: Any, defaults: Mapping[str, Any], source: Source
                   ) -> tuple[list[SettingProblem], Any]:
    """Problems of one fixed section, and its typed value (defaults stand in for wrong ones)."""
    section = SECTIONS[name]
    types = _field_types(section)
    if not isinstance(table, Mapping):
        return [_problem(source, (name,), f"[{name}] must be a table ([{name}] with "
                         f"key = value lines), not {_shown(table)}")], \
            msgspec.convert(dict(defaults), section)
    current = dict(table)
    found: list[SettingProblem] = []
    for _ in range(len(types) + 1):
        try:
            return found, msgspec.convert(current, section)
        except msgspec.ValidationError as exc:
            key, detail = _error_keys(exc)
            if key not in types:  # not one field's fault: report the whole table
                found.append(_problem(source, (name,), f"[{name}]: {detail}"))
                return found, msgspec.convert(dict(defaults), section)
            value = current.get(key)
            if isinstance(types[key], msgspec.inspect.DictType) and isinstance(value, Mapping):
                bad, good = _check_entries(section, name, key, value, types[key], source)
                if bad:
                    found += bad
                    current[key] = good
                    continue
            if key in current and key in table:
                found.append(_problem(
                    source, (name, key),
                    f"{setting_name((name, key))} = {_shown(value)} is wrong ({detail}): "
                    f"write {describe(types[key])}, e.g. {key} = {_toml(defaults[key])}"))
            else:
                found.append(_problem(source, (name, key), f"{setting_name((name, key))}: "
                                      f"{detail}"))
            current[key] = defaults[key]
    return found, msgspec.convert(dict(defaults), section)


def _check_entries(section: type[_Section], name: str, key: str, table: Mapping[str, Any],
                   kind: msgspec.inspect.DictType, source: Source
                   ) -> tuple[list[SettingProblem], dict[str, Any]]:
    """Problems of a table-valued setting, entry by entry (msgspec does not name the key)."""
    value_type = typing.get_args(typing.get_type_hints(section, include_extras=True)[key])[1]
    bad: list[SettingProblem] = []
    good: dict[str, Any] = {}
    for entry, value in table.items():
        try:
            good[entry] = msgspec.convert(value, value_type)
        except msgspec.ValidationError as exc:
            _, detail = _error_keys(exc)
            bad.append(_problem(source, (name, key, entry),
                                f"{setting_name((name, key, entry))} = {_shown(value)} is "
                                f"wrong ({detail}): write {describe(kind.value_type)}"))
    return bad, good


def _problem(source: Source, keys: Sequence[str], message: str) -> SettingProblem:
    return SettingProblem(line=source.line_of(keys) or 0, keys=tuple(keys), message=message,
                          path=str(source.path) if source.path else "")


def validate(data: Mapping[str, Any], defaults: Mapping[str, Any], source: Source
             ) -> tuple[list[SettingProblem], TypedSettings]:
    """Every wrong setting in ``data`` (the merged settings), and the typed fixed sections."""
    problems: list[SettingProblem] = []
    typed: dict[str, Any] = {}
    for name in SECTIONS:
        found, typed[name] = _check_section(name, data.get(name, {}), defaults[name], source)
        problems += found
    problems += _check_site(data, source)
    for name in FREE_TABLES:
        table = data.get(name)
        if not isinstance(table, Mapping):
            problems.append(_problem(source, (name,), f"[{name}] must be a table of "
                                     f"[{name}.NAME] tables, not {_shown(table)}"))
            continue
        for entry, value in table.items():
            if not isinstance(value, Mapping):
                problems.append(_problem(source, (name, entry), f"{setting_name((name, entry))}"
                                         f" must be a table ([{name}.{_quote(entry)}])"))
    problems += _check_channels(data.get("channels"), source)
    problems += _check_campaigns(data, source)
    return sorted(problems), TypedSettings(**typed)


def _check_site(data: Mapping[str, Any], source: Source) -> list[SettingProblem]:
    zone = (data.get("site") or {}).get("timezone") if isinstance(data.get("site"), Mapping) \
        else None
    if not isinstance(zone, str) or not zone:
        return []
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return [_problem(source, ("site", "timezone"), f"[site] timezone = {_toml(zone)} is "
                         "not an IANA time zone: write e.g. timezone = \"Europe/London\""
                         + suggest(zone, available_timezones()))]
    return []


def _check_channels(channels: Any, source: Source) -> list[SettingProblem]:
    if not isinstance(channels, Mapping):
        return []
    out: list[SettingProblem] = []
    for name, options in channels.items():
        if not isinstance(options, Mapping):
            continue
        kind = options.get("type")
        if not isinstance(kind, str) or not kind:
            out.append(_problem(source, ("channels", name, "type") if "type" in options
                                else ("channels", name),
                                f"[channels.{_quote(name)}] needs type = \"...\" (a channel "
                                "type name; `k2publisher channels list --types` lists them)"))
        for key, value in options.items():
            if value is None or not isinstance(value, _OPTION_TYPES):
                out.append(_problem(source, ("channels", name, key),
                                    f"{setting_name(('channels', name, key))} must be a "
                                    "string, number, true/false or a list"))
        enabled = options.get("enabled", True)
        if not isinstance(enabled, bool):
            out.append(_problem(source, ("channels", name, "enabled"),
                                f"{setting_name(('channels', name, 'enabled'))} = "
                                f"{_shown(enabled)}: write true or false"))
    return out


def _check_campaigns(data: Mapping[str, Any], source: Source) -> list[SettingProblem]:
    from k2publisher.errors import ConfigError
    from k2publisher.service.campaigns import parse_campaign

    campaigns = data.get("campaigns")
    if not isinstance(campaigns, Mapping):
        return []
    site = data.get("site") if isinstance(data.get("site"), Mapping) else {}
    zone = site.get("timezone") if isinstance(site.get("timezone"), str) else "UTC"
    out: list[SettingProblem] = []
    for name, table in campaigns.items():
        if not isinstance(table, Mapping):
            continue
        try:
            # which channels exist is checked when the service loads its campaigns: a config
            # that replaces [channels] may still run every command but `run`
            parse_campaign(name, table, default_timezone=zone)
        except ConfigError as exc:
            key = re.match(rf"campaigns\.{re.escape(name)}\.(\w+)", exc.message)
            keys = ("campaigns", name, key.group(1)) if key else ("campaigns", name)
            message = exc.message
            zone = table.get("timezone")
            if keys[-1] == "timezone" and isinstance(zone, str):
                message += suggest(zone, available_timezones())
            out.append(_problem(source, keys, message))
        except ZoneInfoNotFoundError:
            out.append(_problem(source, ("campaigns", name, "timezone"),
                                f"campaigns.{name}.timezone is not an IANA time zone"))
    return out


def unknown_settings(raw: Mapping[str, Any], source: Source,
                     channel_settings: Mapping[str, Iterable[str]] | None = None
                     ) -> list[SettingProblem]:
    """Every key of the user's file that nothing reads, with a "did you mean" when close.

    (A campaign's unknown keys are errors of its parser, reported by :func:`validate`.)

    ``channel_settings`` maps an installed channel type to the settings it reads; without
    it, channel options are not checked.
    """
    out: list[SettingProblem] = []
    tops = [*SECTIONS, *FREE_TABLES]
    for top, value in raw.items():
        if top not in tops:
            out.append(_problem(source, (top,), f"unknown table or setting `{top}` is "
                                f"ignored{suggest(top, tops)}"))
            continue
        if not isinstance(value, Mapping):
            continue
        if top in SECTIONS:
            fields = _field_types(SECTIONS[top])
            out += [_problem(source, (top, key), f"unknown setting {setting_name((top, key))}"
                             f" is ignored{suggest(key, fields)}")
                    for key in value if key not in fields]
        elif channel_settings is not None:
            for name, options in value.items():
                if not isinstance(options, Mapping):
                    continue
                known = channel_settings.get(str(options.get("type", "")))
                if known is None:
                    continue
                known = set(known)
                out += [_problem(source, (top, name, key),
                                 f"unknown setting {setting_name((top, name, key))} for type "
                                 f"{options['type']!r} is ignored{suggest(key, known)}")
                        for key in options if key not in known]
    return sorted(out)
