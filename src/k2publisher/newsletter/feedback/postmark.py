"""Postmark's bounce and spam-complaint webhooks (JSON, one record per request).

Postmark signs nothing, so the endpoint is authenticated by what you configure on the
webhook's URL: HTTP basic auth (``webhook_username``/``webhook_password``, the
``https://user:pass@host/webhooks/NAME`` form Postmark supports) or a secret path token
(``webhook_token``: ``/webhooks/NAME/TOKEN``), compared in constant time. A channel with
neither refuses every request. ``RecordType`` ``Bounce`` with ``Type`` ``HardBounce``,
``BadEmailAddress``, ``ManuallyDeactivated`` is hard; ``SoftBounce``, ``Transient``,
``DnsError``, ``Blocked`` is soft; ``SpamComplaint`` (a record type, or a bounce type
512 ``SpamNotification``) is a complaint; the rest (auto-replies, address changes,
challenge mails) are not about deliverability and are ignored.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from typing import Any

from k2publisher.newsletter.feedback import Feedback, Kind
from k2publisher.newsletter.feedback.base import Hook, Verdict, WebhookRefused, body_json

HARD = frozenset({"HardBounce", "BadEmailAddress", "ManuallyDeactivated"})
SOFT = frozenset({"SoftBounce", "Transient", "DnsError", "Blocked"})
COMPLAINT = frozenset({"SpamComplaint", "SpamNotification"})


def _authorised(hook: Hook, options: Mapping[str, Any]) -> bool:
    token = str(options.get("webhook_token") or "")
    user = str(options.get("webhook_username") or "")
    password = str(options.get("webhook_password") or "")
    if token and hook.token and hmac.compare_digest(hook.token.encode(), token.encode()):
        return True
    if user and password and hook.authorization is not None:
        given_user, given_password = hook.authorization
        return hmac.compare_digest(given_user.encode(), user.encode()) & \
            hmac.compare_digest(given_password.encode(), password.encode())
    return False


def handle(hook: Hook, options: Mapping[str, Any], seen: Callable[[str, float], bool]
           ) -> Verdict:
    """Check the credentials, then read one Bounce or SpamComplaint record."""
    if not (options.get("webhook_token") or (options.get("webhook_username")
                                             and options.get("webhook_password"))):
        raise WebhookRefused(403, "set webhook_token or webhook_username/webhook_password "
                                  "on the channel to accept Postmark webhooks")
    if not _authorised(hook, options):
        raise WebhookRefused(401, "wrong Postmark webhook credentials")
    record = body_json(hook, dict, "one JSON record")
    kind_name, record_type = str(record.get("Type", "")), str(record.get("RecordType", ""))
    email = str(record.get("Email", ""))
    if record_type == "SpamComplaint" or kind_name in COMPLAINT:
        kind = Kind.COMPLAINT
    elif record_type == "Bounce" and kind_name in HARD:
        kind = Kind.HARD
    elif record_type == "Bounce" and kind_name in SOFT:
        kind = Kind.SOFT
    else:
        return Verdict(note=f"ignored Postmark {record_type} {kind_name}")
    if not email:
        raise WebhookRefused(400, "the record has no Email")
    detail = f"{kind_name} {record.get('Description', '')} {record.get('Details', '')}"
    return Verdict([Feedback("postmark", f"{record_type}:{record.get('ID', '')}", email, kind,
                             " ".join(detail.split()))])
