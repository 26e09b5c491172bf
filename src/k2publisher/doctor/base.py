"""What every doctor check shares: the result type, the site being checked, helpers."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from k2publisher.content.queue import Queue
from k2publisher.errors import ConfigError
from k2publisher.redact import mask
from k2publisher.settings import (
    Settings,
    find_config,
    load_settings,
    read_config_text,
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
    #: passed, but something a reader will notice is off (the exit code stays 0)
    warn: bool = False

    @property
    def status(self) -> str:
        """``PASS``, ``WARN`` or ``FAIL``."""
        return "FAIL" if not self.ok else "WARN" if self.warn else "PASS"

    def line(self) -> str:
        """``PASS name: detail``, ``WARN``/``FAIL name: detail -> fix: ...`` (secrets masked)."""
        text = f"{self.status}  {self.name}: {self.detail}"
        if (not self.ok or self.warn) and self.fix:
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
    #: renderings by (item id, channel), shared by the templates and guard checks
    renderings: dict[tuple[str, str], Any] = field(default_factory=dict)
    _pipeline: Any = None

    @property
    def queue(self) -> Queue:
        """The site's queue, loaded."""
        if self._queue is None:
            self._queue = Queue(self.settings.path("queue"))
            self._queue.load()
        return self._queue

    @property
    def pipeline(self) -> Any:
        """The site's :class:`~k2publisher.pipeline.Pipeline` (what publish would use)."""
        if self._pipeline is None:
            from k2publisher.pipeline import Pipeline

            self._pipeline = Pipeline(self.settings, queue=self.queue)
        return self._pipeline


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
            raw = tomllib.loads(read_config_text(path))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"not valid TOML: {exc}", path, toml_error_line(exc)) from None
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


def where_of(settings: Settings) -> str:
    """The config file's name for messages ("the config" when running on defaults)."""
    return str(settings.config_path) if settings.config_path else "the config"


def installed_channel_types() -> Mapping[str, type]:
    """Channel types by name (empty while the delivery stage is not installed)."""
    try:
        from k2publisher.deliver.registry import channel_types
    except ImportError:
        return {}
    return channel_types()


def writable_dir(path: Path) -> tuple[bool, str]:
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
