"""What every provider's webhook shares: a refusal type and the request it reads."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from k2publisher.newsletter.feedback import Feedback


class WebhookRefused(Exception):
    """The request is not a genuine, fresh notification: answer ``status`` and record nothing."""

    def __init__(self, status: int, reason: str):
        self.status = status
        self.reason = reason
        super().__init__(f"{status}: {reason}")


@dataclass(frozen=True)
class Hook:
    """One webhook request as a provider sent it."""

    body: bytes
    headers: Mapping[str, str]
    token: str = ""                                  # the secret path segment, if any
    authorization: tuple[str, str] | None = None     # basic-auth (user, password), if any


@dataclass
class Verdict:
    """What a webhook carried: feedback to record, and a note for the log."""

    feedback: list[Feedback] = field(default_factory=list)
    note: str = ""


#: a provider's webhook: (the request, the channel's settings, seen(nonce) -> bool) -> verdict
Handler = Callable[[Hook, Mapping[str, Any], Callable[[str, float], bool]], Verdict]


def secret(options: Mapping[str, Any], name: str, provider: str) -> str:
    """The channel's webhook secret ``name``; refuses every post (403) while it is unset."""
    value = str(options.get(name) or "")
    if not value:
        raise WebhookRefused(403, f"set {name} on the channel to accept {provider} webhooks")
    return value


def fresh(timestamp: str, tolerance: float, now: float) -> float:
    """The timestamp as a number, when it is within ``tolerance`` seconds of ``now``."""
    try:
        when = float(timestamp)
    except ValueError:
        raise WebhookRefused(400, "the timestamp is not a number") from None
    if abs(now - when) > tolerance:
        raise WebhookRefused(401, f"the timestamp is {abs(now - when):.0f} s old (replay?)")
    return when


def body_json(hook: Hook, expected: type, what: str) -> Any:
    """The JSON body, which must be a ``expected`` (dict or list); 400 otherwise."""
    try:
        data = json.loads(hook.body)
    except ValueError:
        raise WebhookRefused(400, "the body is not JSON") from None
    if not isinstance(data, expected):
        raise WebhookRefused(400, f"expected {what}")
    return data
