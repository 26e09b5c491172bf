"""Mailgun: ``POST /v3/<domain>/messages``, up to 1,000 recipients a call.

One message with ``recipient-variables`` (batch sending): every ``to`` gets its own copy,
and ``%recipient.unsubscribe%`` in the bodies and in ``h:List-Unsubscribe`` becomes that
reader's link; ``h:List-Unsubscribe-Post`` and ``h:List-Id`` are the same for all.
``v:k2-subscriber`` carries the subscriber id into Mailgun's events. The answer is one
``{"id", "message": "Queued. Thank you."}`` for the whole call: Mailgun refuses
suppressed or failing addresses later, as ``failed`` events (see the webhook). Errors:
401 (wrong key), 403/404 (domain not allowed or not found: fix the channel), 400 (the
request), 429 and 5xx (try later). Mailgun has no idempotency key: see docs/newsletter.md.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

import requests

from k2publisher.deliver.adapters.esp import ESP_SETTINGS, Call, EspChannel
from k2publisher.deliver.message import ONE_CLICK
from k2publisher.errors import DeliveryConfigError, PermanentDeliveryError

if TYPE_CHECKING:
    from k2publisher.newsletter.message import IssueTemplate
    from k2publisher.newsletter.transport import Copy, Outcome

#: the recipient variable that holds each reader's unsubscribe URL
LINK = "%recipient.unsubscribe%"


class MailgunChannel(EspChannel):
    """Mailgun's messages API with recipient variables (HTTP basic auth ``api:KEY``)."""

    type_name = "mailgun"
    batch_size = 1000
    default_api_url = "https://api.mailgun.net"  # EU accounts: https://api.eu.mailgun.net
    required_settings = ("api_key", "domain", "from")
    optional_settings = (*ESP_SETTINGS, "webhook_signing_key")
    secret_settings = ("api_key", "webhook_signing_key")
    description = "sends the newsletter through Mailgun's batch sending (1,000 a call)"

    def build(self, template: IssueTemplate, copies: Sequence[Copy]) -> Call:
        """One form post: the shared message, every ``to``, and their variables."""
        if "%recipient." in template.text + template.html + template.subject:
            raise PermanentDeliveryError("the issue itself contains '%recipient.', which "
                                         "Mailgun would replace: reword it", channel=self.name)
        data: list[tuple[str, str]] = [
            ("from", template.identity.sender), ("subject", template.subject),
            ("text", template.text_for(LINK)),
            ("h:List-Unsubscribe", template.list_unsubscribe(LINK)),
            ("h:List-Unsubscribe-Post", ONE_CLICK), ("h:List-Id", template.identity.list_id),
            ("v:k2-issue", template.issue_id), ("v:k2-subscriber", "%recipient.id%"),
            ("recipient-variables", json.dumps(
                {c.email: {"unsubscribe": c.unsubscribe_url, "id": str(c.key)}
                 for c in copies}))]
        if template.html:
            data.append(("html", template.html_for(LINK)))
        data += [("to", c.email) for c in copies]
        return Call("POST", f"{self.api_url}/v3/{self.options['domain']}/messages",
                    {"data": data, "auth": ("api", str(self.options["api_key"]))})

    def read(self, response: requests.Response, copies: Sequence[Copy]) -> list[Outcome]:
        """Mailgun queued the whole batch under one id."""
        from k2publisher.newsletter.transport import Outcome

        answer = self.http.json(response, retry_safe=False)
        remote = str(self.http.field(answer, "id", retry_safe=False))
        return [Outcome(c.key, "sent", remote_id=remote) for c in copies]

    def refine(self, response: requests.Response) -> Exception | None:
        """404 names a domain Mailgun does not know: the channel's ``domain``."""
        if response.status_code == 404:
            return DeliveryConfigError(f"HTTP 404: Mailgun does not know domain "
                                       f"{self.options['domain']!r} at {self.api_url} (fix "
                                       f"[channels.{self.name}] domain, or api_url for the EU "
                                       "region)", channel=self.name, status=404)
        return None

    def check(self) -> str:
        """``GET /v4/domains/<domain>``: the key works and the domain exists."""
        response = self.http.request(
            "GET", f"{self.api_url}/v4/domains/{self.options['domain']}",
            auth=("api", str(self.options["api_key"])), on_error=self.refine)
        domain = self.http.json(response, retry_safe=True).get("domain", {})
        return f"Mailgun domain {domain.get('name', '?')} is {domain.get('state', '?')}"
