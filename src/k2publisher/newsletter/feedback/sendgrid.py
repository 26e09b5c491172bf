"""SendGrid's signed event webhook (a JSON array of events), verified with ECDSA.

SendGrid signs ``timestamp + raw body`` with its private key (ECDSA P-256, SHA-256) and
sends the base64 DER signature in ``X-Twilio-Email-Event-Webhook-Signature`` and the
timestamp in ``X-Twilio-Email-Event-Webhook-Timestamp``; ``webhook_public_key`` is the
verification key from the mail settings (base64 DER, or PEM). The signature is checked by
``cryptography`` over the exact bytes received; the timestamp must be within ``[newsletter]
webhook_tolerance``. Replayed events change nothing: each ``sg_event_id`` is recorded once.
``bounce`` (``type`` ``bounce``) is hard, ``bounce`` with ``type`` ``blocked`` soft,
``spamreport`` a complaint, ``dropped`` for a "Bounced Address" hard and for a "Spam
Reporting Address" a complaint; other events (delivered, open, deferred...) are ignored.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable, Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from k2publisher.newsletter.feedback import Feedback, Kind
from k2publisher.newsletter.feedback.base import (
    Hook,
    Verdict,
    WebhookRefused,
    body_json,
    fresh,
    secret,
)

SIGNATURE = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP = "X-Twilio-Email-Event-Webhook-Timestamp"


def public_key(value: str) -> ec.EllipticCurvePublicKey:
    """The verification key from its base64 DER (SendGrid's form) or PEM text."""
    text = value.strip()
    data = text.encode()
    key = serialization.load_pem_public_key(data) if text.startswith("-----BEGIN") else \
        serialization.load_der_public_key(base64.b64decode(data))
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("the SendGrid verification key is not an EC public key")
    return key


def _kind(event: Mapping[str, Any]) -> Kind | None:
    name, sub = str(event.get("event", "")), str(event.get("type", ""))
    reason = str(event.get("reason", "")).lower()
    if name == "spamreport" or (name == "dropped" and "spam reporting" in reason):
        return Kind.COMPLAINT
    if name == "bounce":
        return Kind.SOFT if sub == "blocked" else Kind.HARD
    if name == "dropped" and "bounced address" in reason:
        return Kind.HARD
    return None


def handle(hook: Hook, options: Mapping[str, Any], seen: Callable[[str, float], bool], *,
           tolerance: float = 600, now: Callable[[], float] = time.time) -> Verdict:
    """Verify the ECDSA signature and the timestamp, then read every event."""
    configured = secret(options, "webhook_public_key", "SendGrid")
    try:
        key = public_key(configured)
    except (ValueError, binascii.Error) as exc:
        raise WebhookRefused(403, f"webhook_public_key cannot be read: {exc}") from None
    given, timestamp = hook.headers.get(SIGNATURE, ""), hook.headers.get(TIMESTAMP, "")
    if not given or not timestamp:
        raise WebhookRefused(401, f"missing {SIGNATURE} or {TIMESTAMP}")
    try:
        key.verify(base64.b64decode(given), timestamp.encode() + hook.body,
                   ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, binascii.Error, ValueError):
        raise WebhookRefused(401, "the SendGrid signature does not verify") from None
    fresh(timestamp, tolerance, now())
    events = body_json(hook, list, "a JSON array of events")
    out: list[Feedback] = []
    for event in events:
        kind = _kind(event) if isinstance(event, dict) else None
        if kind is None:
            continue
        detail = f"{event.get('event')} {event.get('type', '')} {event.get('status', '')} " \
                 f"{event.get('reason', '')}"
        out.append(Feedback("sendgrid", str(event.get("sg_event_id") or
                                            f"{event.get('sg_message_id')}:{event.get('event')}"),
                            str(event.get("email", "")), kind, " ".join(detail.split())))
    return Verdict(out, note=f"{len(events)} events, {len(out)} about deliverability")
