"""Mastodon: ``POST /api/v1/statuses`` with a bearer token and an ``Idempotency-Key``.

Threads reply to our own previous status (``in_reply_to_id``). Mastodon keeps an
idempotency key for an hour per account and answers a repeat with the status it already
created, so a retry after a lost answer never posts twice.
"""

from __future__ import annotations

import re
from typing import Any

from k2publisher.deliver.http import HttpChannel
from k2publisher.models import PartReceipt, Rendering


class MastodonChannel(HttpChannel):
    """A Mastodon account on any instance."""

    type_name = "mastodon"
    profile = "mastodon"
    supports_threads = True
    idempotent = True
    required_settings = ("instance", "token")
    optional_settings = ("visibility", "language")
    secret_settings = ("token",)
    description = "posts statuses to a Mastodon account (threads as replies)"

    def _request(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                 key: str) -> tuple[str, dict[str, str], dict[str, Any]]:
        url = f"{self.base_url('instance')}/api/v1/statuses"
        headers = {"Authorization": f"Bearer {self.options['token']}", "Idempotency-Key": key}
        body: dict[str, Any] = {"status": rendering.parts[index].text,
                                "visibility": self.options.get("visibility", "public")}
        if self.options.get("language"):
            body["language"] = self.options["language"]
        if previous is not None:
            body["in_reply_to_id"] = previous.remote_id
        return url, headers, body

    def send_part(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                  idempotency_key: str) -> PartReceipt:
        """Post one status; the receipt holds its id and public URL."""
        url, headers, body = self._request(rendering, index, previous, idempotency_key)
        response = self.http.request("POST", url, headers=headers, json=body)
        status = self.http.json(response, retry_safe=True)
        remote_id = self.http.field(status, "id", retry_safe=True)
        return PartReceipt(index=index, remote_id=str(remote_id), url=status.get("url") or "")

    def receipt_for(self, index: int, value: str) -> PartReceipt:
        """A status id, or its URL (``https://host/@user/ID`` or ``.../statuses/ID``)."""
        value = value.strip()
        found = re.fullmatch(r"https?://[^/]+/(?:@[^/]+|users/[^/]+/statuses)/(\d+)/?", value)
        if found:
            return PartReceipt(index=index, remote_id=found.group(1), url=value)
        if value.isdigit():
            return PartReceipt(index=index, remote_id=value)
        raise ValueError(f"{value!r} is neither a Mastodon status id nor a status URL "
                         "(https://HOST/@USER/ID)")

    def describe(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                 idempotency_key: str) -> str:
        """The exact request :meth:`send_part` would make."""
        url, headers, body = self._request(rendering, index, previous, idempotency_key)
        return self.preview("POST", url, headers, body)

    def check(self) -> str:
        """``GET /api/v1/accounts/verify_credentials``."""
        response = self.http.request(
            "GET", f"{self.base_url('instance')}/api/v1/accounts/verify_credentials",
            headers={"Authorization": f"Bearer {self.options['token']}"})
        account = self.http.json(response, retry_safe=True)
        return f"token valid for @{account.get('acct', '?')} on {self.base_url('instance')}"
