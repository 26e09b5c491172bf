"""Discord incoming webhook: ``POST {webhook_url}?wait=true`` so the message id comes back.

``allowed_mentions: {"parse": []}`` keeps a post from pinging anyone. A 429 carries both
``Retry-After`` and a JSON ``retry_after`` float; the request core reads either.
"""

from __future__ import annotations

from typing import Any

from k2publisher.deliver.http import HttpChannel
from k2publisher.models import PartReceipt, Rendering


class DiscordChannel(HttpChannel):
    """A Discord channel reached through its webhook URL (the URL is the secret)."""

    type_name = "discord"
    profile = "discord"
    required_settings = ("webhook_url",)
    secret_settings = ("webhook_url",)
    description = "posts to a Discord channel through a webhook"

    def _body(self, rendering: Rendering, index: int) -> dict[str, Any]:
        return {"content": rendering.parts[index].text, "allowed_mentions": {"parse": []}}

    def send_part(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                  idempotency_key: str) -> PartReceipt:
        """Post one message and return its id."""
        response = self.http.request("POST", self.options["webhook_url"],
                                     params={"wait": "true"}, json=self._body(rendering, index))
        message = self.http.json(response, retry_safe=False)
        return PartReceipt(index=index,
                           remote_id=str(self.http.field(message, "id", retry_safe=False)))

    def describe(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                 idempotency_key: str) -> str:
        """The webhook request :meth:`send_part` would make (the URL masked)."""
        return self.preview("POST", f"{self.options['webhook_url']}?wait=true",
                            {"Content-Type": "application/json"}, self._body(rendering, index))

    def check(self) -> str:
        """``GET {webhook_url}`` returns the webhook without posting anything."""
        hook = self.http.json(self.http.request("GET", self.options["webhook_url"]),
                              retry_safe=True)
        return f"webhook {hook.get('name', '?')!r} for channel {hook.get('channel_id', '?')}"
