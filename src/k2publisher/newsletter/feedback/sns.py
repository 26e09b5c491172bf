"""SES bounces and complaints through Amazon SNS, with the message signature verified.

SES publishes bounce and complaint notifications to an SNS topic; the topic posts them
here. A post is believed only when:

- its ``TopicArn`` is the channel's ``sns_topic_arn`` (anyone can make a topic and
  subscribe this URL: the signature alone proves AWS sent it, not that it is yours);
- ``SigningCertURL`` is ``https://sns.<region>.amazonaws.com/...pem`` (checked before
  anything is fetched), and the message's ``Signature`` verifies with the certificate's
  RSA key over SNS's canonical string (``SignatureVersion`` 1: SHA1, 2: SHA256). Each
  certificate is fetched once (TLS verified, no redirects) and cached per URL.

``SubscriptionConfirmation`` is answered by fetching its ``SubscribeURL`` (same host
rule) once the signature verifies. In the notification, ``Bounce`` with ``bounceType``
``Permanent`` is hard, ``Transient``/``Undetermined`` soft; ``Complaint`` is a complaint.
Both SES's notification form (``notificationType``) and its event-publishing form
(``eventType``) are read. The event id is SES's ``feedbackId`` per recipient.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from k2publisher.newsletter.feedback import Feedback, Kind
from k2publisher.newsletter.feedback.base import (
    Hook,
    Verdict,
    WebhookRefused,
    body_json,
    secret,
)

AWS_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
_FIELDS = {"Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn",
                            "Type"),
           "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp",
                                        "Token", "TopicArn", "Type"),
           "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp",
                                       "Token", "TopicArn", "Type")}
#: how a URL SNS names is fetched: returns the body, raises on failure
Fetch = Callable[[str], bytes]


def fetch_https(url: str) -> bytes:
    """GET ``url`` with TLS verified and no redirects (the default :data:`Fetch`)."""
    response = requests.get(url, timeout=10, allow_redirects=False)
    response.raise_for_status()
    return response.content


def string_to_sign(message: Mapping[str, Any]) -> bytes:
    """SNS's canonical string: each signed field's name and value on their own lines."""
    fields = _FIELDS.get(str(message.get("Type", "")))
    if fields is None:
        raise WebhookRefused(400, f"unknown SNS message type {message.get('Type')!r}")
    out = []
    for name in fields:
        if name == "Subject" and "Subject" not in message:
            continue
        out.append(f"{name}\n{message.get(name, '')}\n")
    return "".join(out).encode()


def aws_url(url: str, what: str) -> str:
    """``url`` when it is https on an ``sns.<region>.amazonaws.com`` host; else refused."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not AWS_HOST.match(parts.hostname or "") or parts.port \
            not in (None, 443) or parts.username or parts.password:
        raise WebhookRefused(403, f"{what} {url!r} is not https://sns.<region>.amazonaws.com")
    return url


class SnsVerifier:
    """Verifies SNS messages; caches the signing certificates it fetched."""

    def __init__(self, fetch: Fetch = fetch_https, *, max_certs: int = 32):
        self.fetch = fetch
        self.max_certs = max_certs
        self._certs: dict[str, x509.Certificate] = {}
        self._lock = threading.Lock()
        self.fetched = 0  # certificates downloaded (tests check the cache)

    def certificate(self, url: str) -> x509.Certificate:
        """The certificate at ``url`` (an AWS SNS URL ending ``.pem``), fetched once."""
        aws_url(url, "SigningCertURL")
        if not urlsplit(url).path.endswith(".pem"):
            raise WebhookRefused(403, f"SigningCertURL {url!r} is not a .pem file")
        with self._lock:
            if url in self._certs:
                return self._certs[url]
        try:
            cert = x509.load_pem_x509_certificate(self.fetch(url))
        except (requests.RequestException, ValueError, OSError) as exc:
            raise WebhookRefused(503, f"cannot fetch the SNS signing certificate: {exc}") \
                from None
        with self._lock:
            if len(self._certs) >= self.max_certs:
                self._certs.pop(next(iter(self._certs)))
            self._certs[url] = cert
            self.fetched += 1
        return cert

    def verify(self, message: Mapping[str, Any]) -> None:
        """Raise :class:`WebhookRefused` unless ``message`` carries a valid SNS signature."""
        version = str(message.get("SignatureVersion", ""))
        algorithm = {"1": hashes.SHA1(), "2": hashes.SHA256()}.get(version)
        if algorithm is None:
            raise WebhookRefused(400, f"unknown SignatureVersion {version!r}")
        cert = self.certificate(str(message.get("SigningCertURL", "")))
        key = cert.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise WebhookRefused(403, "the SNS certificate has no RSA key")
        try:
            key.verify(base64.b64decode(str(message.get("Signature", ""))),
                       string_to_sign(message), padding.PKCS1v15(), algorithm)
        except (InvalidSignature, binascii.Error, ValueError):
            raise WebhookRefused(401, "the SNS signature does not verify") from None


def ses_feedback(notification: Mapping[str, Any]) -> list[Feedback]:
    """The bounces and complaints in one SES notification (the SNS ``Message``)."""
    kind_name = str(notification.get("notificationType") or notification.get("eventType")
                    or "")
    out: list[Feedback] = []
    if kind_name == "Bounce":
        bounce = notification.get("bounce") or {}
        kind = Kind.HARD if bounce.get("bounceType") == "Permanent" else Kind.SOFT
        for r in bounce.get("bouncedRecipients") or []:
            detail = f"{bounce.get('bounceType')}/{bounce.get('bounceSubType')} " \
                     f"{r.get('status', '')} {r.get('diagnosticCode', '')}"
            out.append(Feedback("ses", f"{bounce.get('feedbackId')}:{r.get('emailAddress')}",
                                str(r.get("emailAddress", "")), kind, " ".join(detail.split())))
    elif kind_name == "Complaint":
        complaint = notification.get("complaint") or {}
        for r in complaint.get("complainedRecipients") or []:
            out.append(Feedback(
                "ses", f"{complaint.get('feedbackId')}:{r.get('emailAddress')}",
                str(r.get("emailAddress", "")), Kind.COMPLAINT,
                f"complaint {complaint.get('complaintFeedbackType', '')}".strip()))
    return out


def handle(hook: Hook, options: Mapping[str, Any], seen: Callable[[str, float], bool], *,
           verifier: SnsVerifier) -> Verdict:
    """Check the topic and the signature, then confirm a subscription or read SES's news."""
    topic = secret(options, "sns_topic_arn", "SNS")
    message = body_json(hook, dict, "an SNS message object")
    if message.get("TopicArn") != topic:
        raise WebhookRefused(403, f"topic {message.get('TopicArn')!r} is not {topic!r}")
    verifier.verify(message)
    kind = message.get("Type")
    if kind == "SubscriptionConfirmation":
        try:
            verifier.fetch(aws_url(str(message.get("SubscribeURL", "")), "SubscribeURL"))
        except (requests.RequestException, OSError) as exc:  # SNS sends it again later
            raise WebhookRefused(503, f"cannot confirm the subscription: {exc}") from None
        return Verdict(note=f"confirmed the SNS subscription to {topic}")
    if kind == "UnsubscribeConfirmation":
        return Verdict(note=f"SNS says this URL was unsubscribed from {topic}")
    try:
        notification = json.loads(str(message.get("Message", "")))
    except ValueError:
        raise WebhookRefused(400, "the SNS Message is not an SES notification") from None
    if not isinstance(notification, dict):
        raise WebhookRefused(400, "the SNS Message is not an SES notification")
    kind_name = notification.get("notificationType") or notification.get("eventType")
    return Verdict(ses_feedback(notification), note=f"SES {kind_name}")
