"""Mailgun's signed event webhooks (JSON ``{"signature": {...}, "event-data": {...}}``).

Mailgun signs each post: ``signature`` is the hex HMAC-SHA256 of ``timestamp + token``
under the webhook signing key (``webhook_signing_key``). A post is accepted when the
signature matches (constant-time), the timestamp is within ``[newsletter]
webhook_tolerance`` seconds of now, and the token was never seen before (replays are
refused; tokens are kept for the tolerance window). ``failed`` with ``severity``
``permanent`` is a hard bounce, ``temporary`` a soft one; ``complained`` a complaint.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from typing import Any

from k2publisher.newsletter.feedback import Feedback, Kind
from k2publisher.newsletter.feedback.base import (
    Hook,
    Verdict,
    WebhookRefused,
    body_json,
    fresh,
    secret,
)


def signature(key: str, timestamp: str, token: str) -> str:
    """The hex HMAC-SHA256 Mailgun sends for ``timestamp`` and ``token``."""
    return hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()


def handle(hook: Hook, options: Mapping[str, Any], seen: Callable[[str, float], bool], *,
           tolerance: float = 600, now: Callable[[], float] = time.time) -> Verdict:
    """Verify the signature, the timestamp and the token, then read the event."""
    key = secret(options, "webhook_signing_key", "Mailgun")
    body = body_json(hook, dict, "a Mailgun event object")
    try:
        sig = body["signature"]
        timestamp, token, given = str(sig["timestamp"]), str(sig["token"]), str(sig["signature"])
        event = body["event-data"]
    except (KeyError, TypeError):
        raise WebhookRefused(400, "not a Mailgun event (signature and event-data)") from None
    if not hmac.compare_digest(given.encode(), signature(key, timestamp, token).encode()):
        raise WebhookRefused(401, "the Mailgun signature does not match")
    when = fresh(timestamp, tolerance, now())
    if seen(token, when):
        raise WebhookRefused(409, "this token was already used (replay)")
    name, severity = str(event.get("event", "")), str(event.get("severity", ""))
    if name == "complained":
        kind = Kind.COMPLAINT
    elif name == "failed" and severity == "permanent":
        kind = Kind.HARD
    elif name == "failed" and severity == "temporary":
        kind = Kind.SOFT
    else:
        return Verdict(note=f"ignored Mailgun {name} {severity}".strip())
    status = event.get("delivery-status") or {}
    detail = f"{name} {severity} {event.get('reason', '')} {status.get('code', '')} " \
             f"{status.get('description') or status.get('message') or ''}"
    return Verdict([Feedback("mailgun", str(event.get("id") or token),
                             str(event.get("recipient", "")), kind, " ".join(detail.split()))])
