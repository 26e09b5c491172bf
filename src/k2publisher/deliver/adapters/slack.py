"""Slack incoming webhook: ``POST {webhook_url}`` with ``{"text": ...}``; Slack answers ``ok``.

Errors come back as plain-text bodies (``invalid_payload``, ``channel_not_found`` ...) and a
429 carries ``Retry-After`` in seconds. Slack returns no message id, so the receipt's id is
the part's idempotency key.
"""

from __future__ import annotations

from k2publisher.deliver.http import HttpChannel
from k2publisher.errors import PermanentDeliveryError
from k2publisher.models import PartReceipt, Rendering


class SlackChannel(HttpChannel):
    """A Slack channel reached through an app's incoming webhook URL (the URL is the secret)."""

    type_name = "slack"
    profile = "slack"
    required_settings = ("webhook_url",)
    secret_settings = ("webhook_url",)
    description = "posts to a Slack channel through an incoming webhook"

    def send_part(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                  idempotency_key: str) -> PartReceipt:
        """Post one message; Slack's ``ok`` body is the only confirmation."""
        self.http.request("POST", self.options["webhook_url"],
                          json={"text": rendering.parts[index].text})
        return PartReceipt(index=index, remote_id=idempotency_key)

    def describe(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                 idempotency_key: str) -> str:
        """The webhook request :meth:`send_part` would make (the URL masked)."""
        return self.preview("POST", self.options["webhook_url"],
                            {"Content-Type": "application/json"},
                            {"text": rendering.parts[index].text})

    def check(self) -> str:
        """POST an empty payload: Slack rejects it with 400 when the webhook exists.

        Nothing is posted; 403/404/410 mean the webhook was revoked or its channel is gone.
        """
        try:
            self.http.request("POST", self.options["webhook_url"], json={}, retry_safe=True)
        except PermanentDeliveryError as exc:
            if exc.status == 400:
                return "webhook exists (an empty test payload was rejected, nothing posted)"
            raise
        return "webhook accepted an empty payload"
