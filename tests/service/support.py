"""Helpers for the service tests: queue files, test channel types, a clock, site configs."""

from __future__ import annotations

import json
import re
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from k2publisher.abc import Channel
from k2publisher.errors import PermanentDeliveryError, TransientDeliveryError
from k2publisher.models import PartReceipt, Rendering
from k2publisher.settings import Settings, load_settings

ITEM = """---
id: {id}
kind: {kind}
supplement: Vitamin K2
title: "{title}"
summary: "{title} in two plain sentences. Nothing more is claimed here."
tags: [vitamin-k2]
evidence: [review]
status: {status}
priority: {priority}
---

{title}: a short body written for the tests.
"""


def write_item(queue: Path, item_id: str, *, kind: str = "supplement_section",
               priority: int = 0, status: str = "ready", title: str | None = None) -> Path:
    """Write one queue file and return its path."""
    path = queue.joinpath(*item_id.split("/")).with_suffix(".md")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(ITEM.format(id=item_id, kind=kind, priority=priority, status=status,
                                title=title or item_id.rsplit("/", 1)[-1].title()),
                    encoding="utf-8")
    return path


class RecordingChannel(Channel):
    """A test network: appends each part it receives to a JSON-lines file.

    ``fail_first`` makes the first N calls fail transiently (a flaky network); ``refuse``
    makes every call fail permanently (a validation error).
    """

    type_name = "recording"
    profile = "mastodon"
    supports_threads = True
    idempotent = False
    required_settings = ("path",)
    optional_settings = ("fail_first", "refuse")

    def send_part(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                  idempotency_key: str) -> PartReceipt:
        log = self.context.resolve(self.options["path"])
        log.parent.mkdir(parents=True, exist_ok=True)
        calls = log.with_suffix(".calls")
        made = int(calls.read_text()) if calls.exists() else 0
        calls.write_text(str(made + 1))
        if self.options.get("refuse"):
            raise PermanentDeliveryError("422 the test network refuses this post",
                                         channel=self.name)
        if made < int(self.options.get("fail_first", 0)):
            raise TransientDeliveryError("503 from the test network", channel=self.name)
        with log.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"item": rendering.item_id, "index": index,
                                 "key": idempotency_key, "text": rendering.parts[index].text})
                     + "\n")
        return PartReceipt(index, f"{rendering.item_id}#{index}",
                           f"https://network.test/{rendering.item_id}/{index}")


class IdempotentRecordingChannel(RecordingChannel):
    """The same test network, declared idempotent (like Mastodon)."""

    type_name = "recording-idempotent"
    idempotent = True


def received(path: Path) -> list[dict[str, Any]]:
    """What a recording channel received, in order."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


def make_settings(site: Path, campaigns: dict[str, Any], *,
                  channels: dict[str, Any] | None = None, **extra: Any) -> Settings:
    """Write ``config/k2publisher.toml`` for ``site`` and load it."""
    import tomllib

    data: dict[str, Any] = {
        "delivery": {"max_attempts": 1, "backoff_base": 0},
        "channels": channels or {
            "social": {"type": "recording", "path": "net/social.jsonl"},
            "feed": {"type": "rss", "path": "public"},
            "email": {"type": "maildir", "path": "outbox/maildir"},
        },
        "campaigns": campaigns,
        **extra,
    }
    text = _toml(data)
    tomllib.loads(text)
    path = site / "config" / "k2publisher.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path, environ={})


def _toml(data: dict[str, Any], prefix: str = "") -> str:
    scalars = []
    tables = []
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            tables.append(_toml(value, name))
        else:
            scalars.append(f"{json.dumps(key)} = {_value(value)}")
    head = f"[{prefix}]\n" if prefix and scalars else ""
    return head + "".join(s + "\n" for s in scalars) + "\n" + "".join(tables)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return json.dumps(value)


def wait_for_log(path: Path, pattern: str, proc: subprocess.Popen[bytes], timeout: float = 30
                 ) -> re.Match[str]:
    """Until ``pattern`` shows in the log file ``path`` (fails if ``proc`` ended first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(pattern, path.read_text(encoding="utf-8", errors="replace")
                          if path.exists() else "")
        if found:
            return found
        assert proc.poll() is None, path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"{pattern!r} not logged: {path.read_text()}")
