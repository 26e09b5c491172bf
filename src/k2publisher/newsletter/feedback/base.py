"""What every provider's webhook shares: a refusal type and the request it reads."""

from __future__ import annotations

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
