"""Finding channel types (entry points) and building configured channels from settings.

A channel type is a :class:`~k2publisher.abc.Channel` subclass registered under the entry
point group ``k2publisher.channels`` (the built-ins are registered the same way in
``pyproject.toml``), so a third-party package adds a network without touching this code.
A channel is a ``[channels.NAME]`` table with ``type = "..."`` plus that type's settings.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from k2publisher.abc import Channel
from k2publisher.deliver.core import ChannelContext, RetryPolicy
from k2publisher.errors import ChannelLookupError, ConfigError, K2Error, MissingSecretError
from k2publisher.redact import MASK, mask, register
from k2publisher.settings import SECRET_KEYS, Settings

GROUP = "k2publisher.channels"
#: settings every channel accepts, whatever its type
COMMON_SETTINGS = ("type", "enabled", "profile")
log = logging.getLogger("k2publisher.deliver")


@cache
def channel_types() -> dict[str, type[Channel]]:
    """Every installed channel type by its entry-point name (= ``type_name``)."""
    found: dict[str, type[Channel]] = {}
    for ep in entry_points(group=GROUP):
        try:
            cls = ep.load()
        except Exception as exc:  # a broken plugin must not hide the others
            log.warning("channel type %r (%s) failed to load: %s", ep.name, ep.value, exc)
            continue
        if not (isinstance(cls, type) and issubclass(cls, Channel)):
            log.warning("entry point %r (%s) is not a Channel subclass", ep.name, ep.value)
            continue
        found[ep.name] = cls
    return found


def channel_type(type_name: str) -> type[Channel]:
    """The channel class registered as ``type_name``; ChannelLookupError names the known ones."""
    types = channel_types()
    if type_name not in types:
        raise ChannelLookupError(f"unknown channel type {type_name!r}; installed: "
                                 + ", ".join(sorted(types)))
    return types[type_name]


def channel_configs(settings: Settings) -> dict[str, dict[str, Any]]:
    """Every ``[channels.NAME]`` table, by name."""
    return {name: dict(table) for name, table in settings.section("channels").items()
            if isinstance(table, Mapping)}


def secret_names(cls: type[Channel] | None) -> set[str]:
    """The settings of ``cls`` whose values are masked (its declared ones plus the usual)."""
    return set(SECRET_KEYS) | set(cls.secret_settings if cls else ())


def masked_options(options: Mapping[str, Any], cls: type[Channel] | None) -> dict[str, Any]:
    """A channel's settings as they may be shown: secret values replaced by ``****``."""
    hidden = secret_names(cls)
    return {k: (MASK if k in hidden and v else mask(str(v)) if isinstance(v, str) else v)
            for k, v in options.items()}


def problems(name: str, options: Mapping[str, Any], cls: type[Channel]) -> list[str]:
    """What is wrong with one channel's settings, each naming the setting and the fix."""
    where = f"[channels.{name}]"
    out = [f"{where} needs `{key} = ...` ({cls.type_name} setting; values like "
           f"\"${{VAR}}\" are read from the environment or .env)"
           for key in cls.required_settings if options.get(key) in (None, "")]
    known = set(COMMON_SETTINGS) | set(cls.required_settings) | set(cls.optional_settings)
    out += [f"{where} has unknown setting `{key}` for type {cls.type_name!r}; known: "
            + ", ".join(sorted(known)) for key in options if key not in known]
    return out


def load_channel(name: str, settings: Settings, context: ChannelContext | None = None
                 ) -> Channel:
    """Build the channel configured as ``[channels.NAME]``.

    Raises :class:`ChannelLookupError` for an unknown name or type and :class:`ConfigError`
    naming the channel and the missing setting. Secret values are registered for masking.
    """
    configs = channel_configs(settings)
    if name not in configs:
        raise ChannelLookupError(f"no channel {name!r} in the config; configured: "
                                 + (", ".join(sorted(configs)) or "none")
                                 + " (add a [channels.NAME] table with type = \"...\")")
    options = configs[name]
    unset = settings.unset(f"channels.{name}.")
    if unset:
        first = next(iter(unset.values()))[0].split(".")
        raise MissingSecretError(f"channel {name!r}", unset, settings.root,
                                 *settings.where(*first))
    if not options.get("type"):
        raise ConfigError(f"[channels.{name}] needs type = \"...\"; installed types: "
                          + ", ".join(sorted(channel_types())), settings.config_path)
    cls = channel_type(str(options["type"]))
    found = problems(name, options, cls)
    missing = [p for p in found if " needs " in p]
    if missing:
        raise ConfigError("; ".join(missing), settings.config_path)
    for p in found:
        log.warning(p)
    register(str(options[k]) for k in secret_names(cls) if options.get(k))
    if context is None:
        context = ChannelContext(settings=settings, policy=RetryPolicy.from_settings(settings))
    return cls(name, options, context)


def channel_states(settings: Settings) -> dict[str, str]:
    """Each configured channel's state: ``ok``, ``off`` (``enabled = false``), or
    ``disabled: <why>`` when it cannot be built (an unset secret, a missing setting)."""
    out: dict[str, str] = {}
    for name, options in channel_configs(settings).items():
        if options.get("enabled", True) is False:
            out[name] = "off"
            continue
        try:
            cls = channel_type(str(options.get("type", "")))
            unset = settings.unset(f"channels.{name}.")
            if unset:
                out[name] = "disabled: " + MissingSecretError(name, unset, settings.root).reason
                continue
            missing = [p for p in problems(name, options, cls) if " needs " in p]
            out[name] = f"disabled: {'; '.join(missing)}" if missing else "ok"
        except K2Error as exc:
            out[name] = f"disabled: {getattr(exc, 'message', exc)}"
    return out
