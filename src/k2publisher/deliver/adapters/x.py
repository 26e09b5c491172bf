"""X (API v2): ``POST /2/tweets`` signed with OAuth 1.0a user context (requests-oauthlib).

Threads reply to our own previous post (``reply.in_reply_to_tweet_id``). X has no
idempotency key, and answers a repeated text with 403 "duplicate content", which is
permanent (not a credentials problem).
"""

from __future__ import annotations

from typing import Any

import requests
from requests_oauthlib import OAuth1

from k2publisher.deliver.http import HttpChannel, error_detail
from k2publisher.errors import DeliveryError, PermanentDeliveryError
from k2publisher.models import Media, PartReceipt, Rendering


class XChannel(HttpChannel):
    """An X account, posting with the app's keys and the account's access token."""

    type_name = "x"
    profile = "x"
    supports_threads = True
    required_settings = ("api_key", "api_secret", "access_token", "access_secret")
    #: ``link``: inline | reply | none, where the archive link goes (render.renderer)
    optional_settings = ("api_base", "link")
    secret_settings = ("api_key", "api_secret", "access_token", "access_secret")
    description = "posts to X with OAuth 1.0a (threads as replies)"

    def _auth(self) -> OAuth1:
        o = self.options
        return OAuth1(o["api_key"], o["api_secret"], o["access_token"], o["access_secret"])

    def _duplicate(self, response: requests.Response) -> DeliveryError | None:
        if response.status_code == 403 and "duplicate" in response.text.lower():
            return PermanentDeliveryError(f"HTTP 403: {self.http.mask(error_detail(response))}",
                                          channel=self.name, status=403)
        return None

    def upload(self, media: Media) -> str:
        """``POST /2/media/upload`` (multipart) then the alt text via ``/2/media/metadata``.

        The v2 media endpoints' exact shapes are (unconfirmed) against a live account;
        ``api_base`` points both at a test server.
        """
        base = self.base_url("api_base", "https://api.x.com")
        response = self.http.request(
            "POST", f"{base}/2/media/upload", auth=self._auth(), retry_safe=True,
            files={"media": ("card.png", media.data, media.mime)},
            data={"media_category": "tweet_image", "media_type": media.mime})
        media_id = str(self.http.field(self.http.json(response, retry_safe=True), "data", "id",
                                       retry_safe=True))
        self.http.request("POST", f"{base}/2/media/metadata", auth=self._auth(),
                          retry_safe=True, json={"id": media_id, "metadata": {
                              "alt_text": {"text": media.alt[:1000]}}})
        return media_id

    def _body(self, rendering: Rendering, index: int, previous: PartReceipt | None,
              media_ids: list[str] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"text": rendering.parts[index].text}
        if media_ids:
            body["media"] = {"media_ids": media_ids}
        if previous is not None:
            body["reply"] = {"in_reply_to_tweet_id": previous.remote_id}
        return body

    def send_part(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                  idempotency_key: str) -> PartReceipt:
        """Create one post; the receipt holds its id and x.com URL."""
        media_ids = [self.upload(m) for m in rendering.parts[index].media]
        response = self.http.request("POST", f"{self.base_url('api_base', 'https://api.x.com')}"
                                     "/2/tweets",
                                     json=self._body(rendering, index, previous, media_ids),
                                     auth=self._auth(), on_error=self._duplicate)
        post_id = str(self.http.field(self.http.json(response, retry_safe=False), "data", "id",
                                      retry_safe=False))
        return PartReceipt(index=index, remote_id=post_id,
                           url=f"https://x.com/i/web/status/{post_id}")

    def describe(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                 idempotency_key: str) -> str:
        """The signed request :meth:`send_part` would make."""
        return self.preview("POST", f"{self.base_url('api_base', 'https://api.x.com')}/2/tweets",
                            {"Authorization": 'OAuth oauth_consumer_key="..." (signed)'},
                            self._body(rendering, index, previous))

    def check(self) -> str:
        """``GET /2/users/me`` with the configured keys."""
        response = self.http.request("GET", f"{self.base_url('api_base', 'https://api.x.com')}"
                                     "/2/users/me", auth=self._auth())
        user = self.http.json(response, retry_safe=True)
        return f"keys valid for @{(user.get('data') or {}).get('username', '?')}"
