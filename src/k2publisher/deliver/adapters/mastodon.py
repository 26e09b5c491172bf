"""Mastodon: ``POST /api/v1/statuses`` with a bearer token and an ``Idempotency-Key``.

Threads reply to our own previous status (``in_reply_to_id``). An image card is uploaded
first (``POST /api/v2/media`` with its alt text as ``description``; a ``202`` is polled at
``GET /api/v1/media/:id`` until processed) and attached with ``media_ids[]``. Mastodon keeps an
idempotency key for an hour per account and answers a repeat with the status it already
created, so a retry after a lost answer never posts twice.
"""

from __future__ import annotations

import re
import time
from typing import Any

from k2publisher.deliver.http import HttpChannel
from k2publisher.models import Media, PartReceipt, Rendering


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

    #: how often and how long to poll a 202 (still processing) upload
    media_polls, media_poll_wait = 10, 1.0

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.options['token']}"}

    def upload(self, media: Media) -> str:
        """Upload one image with its alt text; the media id once Mastodon has processed it."""
        response = self.http.request(
            "POST", f"{self.base_url('instance')}/api/v2/media", headers=self._auth(),
            files={"file": ("card.png", media.data, media.mime)},
            data={"description": media.alt}, retry_safe=True)  # a repeat only orphans a file
        answer = self.http.json(response, retry_safe=True)
        media_id = str(self.http.field(answer, "id", retry_safe=True))
        polls = 0
        while response.status_code == 202 and polls < self.media_polls:
            time.sleep(self.media_poll_wait)
            polls += 1
            response = self.http.request(
                "GET", f"{self.base_url('instance')}/api/v1/media/{media_id}",
                headers=self._auth())
        return media_id

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
        if rendering.parts[index].media:
            body["media_ids"] = [self.upload(m) for m in rendering.parts[index].media]
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
