"""Doctor checks of the config file: known keys, secrets, and (``--online``) endpoints."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from k2publisher.doctor.base import (
    FREE_TABLES,
    Check,
    Site,
    installed_channel_types,
    where_of,
)
from k2publisher.errors import K2Error
from k2publisher.render.counting import mastodon_links
from k2publisher.settings import (
    DEFAULTS,
)
from k2publisher.settings_schema import suggest

#: top-level names that never reach the public internet (RFC 6761, RFC 8375, ICANN .internal)
LOCAL_SUFFIXES = frozenset({"localhost", "local", "internal", "test", "example", "invalid",
                            "lan", "home", "arpa", "localdomain", "intranet", "corp"})


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
            out.append(f"unknown table or setting `{key}`{suggest(key, DEFAULTS)}")
        elif key not in FREE_TABLES and isinstance(DEFAULTS[key], dict) \
                and isinstance(value, Mapping):
            out += [f"unknown setting `{key}.{sub}`{suggest(sub, DEFAULTS[key])}"
                    for sub in value if sub not in DEFAULTS[key]]
    types = installed_channel_types()
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
                       f"channel type{suggest(type_name, types)}")
            continue
        from k2publisher.deliver.registry import COMMON_SETTINGS

        known = {*COMMON_SETTINGS, *cls.required_settings, *cls.optional_settings}
        out += [f"unknown setting `channels.{name}.{k}` for type {type_name!r}{suggest(k, known)}"
                for k in options if k not in known]
        out += [f"`channels.{name}` needs `{k}` (required by type {type_name!r})"
                for k in cls.required_settings if options.get(k) in (None, "")]
    out += dangling_channel_names(raw)
    campaign_keys = _campaign_keys()
    for name, table in (raw.get("campaigns") or {}).items():
        if campaign_keys is not None and isinstance(table, Mapping):
            out += [f"unknown setting `campaigns.{name}.{k}`{suggest(k, campaign_keys)}"
                    for k in table if k not in campaign_keys]
    return out


def dangling_channel_names(raw: Mapping[str, Any]) -> list[str]:
    """Settings outside ``[channels]`` that name a channel the config does not define."""
    channels = raw.get("channels") if isinstance(raw.get("channels"), Mapping) \
        else DEFAULTS["channels"]
    named: list[tuple[str, str]] = []
    guard = raw.get("guard") or {}
    if isinstance(guard, Mapping) and isinstance(guard.get("channels"), Mapping):
        named += [(f"guard.channels.{name}", str(name)) for name in guard["channels"]]
    newsletter = raw.get("newsletter") or {}
    if isinstance(newsletter, Mapping) and newsletter.get("channel"):
        named.append(("newsletter.channel", str(newsletter["channel"])))
    return [f"`{where}` names channel {name!r}, which is not under [channels]"
            f"{suggest(name, channels)}" for where, name in named if name not in channels]


def check_config(site: Site) -> list[Check]:
    """The file was read; every key is known; every ``${VAR}`` it names is set."""
    s = site.settings
    read = Check("config", True, f"read {s.config_path}" if s.config_path else
                 "no config file: using the built-in defaults (local sinks only)")
    problems = unknown_keys(site.raw)
    keys = Check("config keys", not problems,
                 "; ".join(problems) if problems else "every setting is known",
                 f"edit {where_of(s)} (each setting is documented in the file `k2publisher init`"
                 " writes)")
    missing = [f"${{{var}}} (used by {', '.join(uses)})"
               for var, uses in sorted(site.missing_vars.items())]
    secrets = Check("secrets", not missing,
                    "not set: " + "; ".join(missing) if missing else
                    "every ${VAR} the config names is set",
                    "add " + ", ".join(f"{v}=..." for v in sorted(site.missing_vars))
                    + f" to {s.root / '.env'} (see .env.example) or the environment")
    return [read, keys, secrets]


def base_url_problem(url: str) -> str:
    """Why ``url`` is not a public https address readers and networks can use, or ``""``."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        return f"{url!r} has no host"
    try:
        ipaddress.ip_address(host)
        return f"{host} is an IP address: networks do not link it, readers cannot share it"
    except ValueError:
        pass
    if host == "localhost" or host.rsplit(".", 1)[-1] in LOCAL_SUFFIXES:
        return f"{host} is a local name, unreachable for readers"
    if not mastodon_links(f"{parts.scheme}://{host}/"):
        return f"{host} has no public top-level domain: Mastodon counts the link in full"
    if parts.scheme != "https":
        return f"{parts.scheme}:// is not https: mail and browsers flag plain http links"
    return ""


def check_base_url(site: Site) -> list[Check]:
    """``[site] base_url`` is a public https domain (links in posts, email, feeds use it)."""
    url = str(site.settings.site.get("base_url", ""))
    problem = base_url_problem(url)
    return [Check("base url", True, f"{url}: {problem}" if problem else
                  f"{url} is a public https address", warn=bool(problem),
                  fix=f"set [site] base_url in {where_of(site.settings)} to the public https "
                      "address of your archive (e.g. https://notes.example.org) before "
                      "publishing; a local address is fine for trying things out")]


Probe = Callable[[], None]


def check_channels(site: Site) -> list[Check]:
    """Every configured channel can be built from its settings (without any network call)."""
    from k2publisher.deliver.registry import channel_configs, load_channel

    names = list(channel_configs(site.settings))
    broken: list[str] = []
    for name in names:
        try:
            load_channel(name, site.settings).close()
        except K2Error as exc:
            broken.append(f"{name}: {exc}")
    return [Check("channels", not broken,
                  "; ".join(broken) if broken else f"{len(names)} channel(s) load: "
                  + ", ".join(names),
                  f"fix the [channels.NAME] tables named in {where_of(site.settings)} "
                  "(`k2publisher channels list --types` shows each type's settings)")]


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
    types = installed_channel_types()
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
