"""SendGrid: ``POST /v3/mail/send`` with up to 1,000 personalizations a call.

One personalization per reader: its ``to``, its ``headers`` (``List-Unsubscribe`` with
the reader's link, ``List-Unsubscribe-Post``, ``List-Id``), a ``substitutions`` value for
the link in the shared bodies, and ``custom_args`` (issue and subscriber id, echoed in
every event). SendGrid answers ``202 Accepted`` with an empty body and ``X-Message-Id``
for the whole call; it refuses suppressed addresses later, as ``dropped`` events. Errors
are ``{"errors": [{"message", "field", "help"}]}``: 401 (key), 403 (sender identity not
verified, key without Mail Send), 400/413 (the request), 429 with ``X-RateLimit-Reset``
(epoch seconds) and 5xx (try later). No idempotency key: see docs/newsletter.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

import requests

from k2publisher.deliver.adapters.esp import ESP_SETTINGS, Call, EspChannel
from k2publisher.deliver.message import ONE_CLICK
from k2publisher.errors import DeliveryConfigError

if TYPE_CHECKING:
    from k2publisher.newsletter.message import IssueTemplate
    from k2publisher.newsletter.transport import Copy, Outcome


class SendGridChannel(EspChannel):
    """SendGrid's v3 Mail Send API (``Authorization: Bearer``)."""

    type_name = "sendgrid"
    batch_size = 1000
    default_api_url = "https://api.sendgrid.com"
    required_settings = ("api_key", "from")
    optional_settings = (*ESP_SETTINGS, "webhook_public_key")
    secret_settings = ("api_key",)
    description = "sends the newsletter through SendGrid's Mail Send (1,000 a call)"

    @staticmethod
    def tag(template: IssueTemplate) -> str:
        """The substitution tag of this issue's unsubscribe link (absent from its text)."""
        return f"-k2-unsubscribe-{hashlib.sha256(template.issue_id.encode()).hexdigest()[:8]}-"

    def build(self, template: IssueTemplate, copies: Sequence[Copy]) -> Call:
        """One personalization per copy; the bodies are shared."""
        tag = self.tag(template)
        name, address = parseaddr(template.identity.sender)
        sender: dict[str, str] = {"email": address}
        if name:
            sender["name"] = name
        content = [{"type": "text/plain", "value": template.text_for(tag)}]
        if template.html:
            content.append({"type": "text/html", "value": template.html_for(tag)})
        body: dict[str, Any] = {
            "from": sender, "subject": template.subject, "content": content,
            "personalizations": [{
                "to": [{"email": c.email}],
                "substitutions": {tag: c.unsubscribe_url},
                "headers": {"List-Unsubscribe": template.list_unsubscribe(c.unsubscribe_url),
                            "List-Unsubscribe-Post": ONE_CLICK,
                            "List-Id": template.identity.list_id},
                "custom_args": {"k2_issue": template.issue_id, "k2_subscriber": str(c.key)},
            } for c in copies]}
        return Call("POST", f"{self.api_url}/v3/mail/send",
                    {"json": body,
                     "headers": {"Authorization": f"Bearer {self.options['api_key']}"}})

    def read(self, response: requests.Response, copies: Sequence[Copy]) -> list[Outcome]:
        """202: SendGrid took every personalization under one ``X-Message-Id``."""
        from k2publisher.newsletter.transport import Outcome

        remote = response.headers.get("X-Message-Id", "")
        return [Outcome(c.key, "sent", remote_id=remote) for c in copies]

    def refine(self, response: requests.Response) -> Exception | None:
        """403 about the sender is the channel's ``from`` (an unverified Sender Identity)."""
        if response.status_code == 403 and "sender" in response.text.lower():
            return DeliveryConfigError(
                f"HTTP 403: {self.http.mask(response.text[:200])} (verify the sender or fix "
                f"[channels.{self.name}] from)", channel=self.name, status=403)
        return None

    def check(self) -> str:
        """``GET /v3/scopes``: the key works and may send mail."""
        response = self.http.request(
            "GET", f"{self.api_url}/v3/scopes",
            headers={"Authorization": f"Bearer {self.options['api_key']}"})
        scopes = self.http.json(response, retry_safe=True).get("scopes", [])
        if "mail.send" not in scopes:
            raise DeliveryConfigError("the SendGrid API key lacks the mail.send scope",
                                      channel=self.name)
        return "SendGrid key valid with mail.send"
