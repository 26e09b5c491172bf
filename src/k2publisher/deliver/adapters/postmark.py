"""Postmark: ``POST /email/batch``, up to 500 messages a call, one answer per message.

Each message of the batch is one reader's copy (``To``, bodies with the reader's
unsubscribe link, ``Headers`` with ``List-Unsubscribe``/``List-Unsubscribe-Post``,
``List-Id`` and ``Message-ID``) on the ``message_stream`` (Postmark wants bulk mail on a
broadcast stream). The answer is a list in request order: ``ErrorCode`` 0 is accepted
(``MessageID``), 406 an inactive recipient (Postmark suppressed it after a hard bounce or
a complaint: we suppress it too), 300 an invalid message for that copy. A whole-call
error is ``{"ErrorCode", "Message"}`` with HTTP 401 (bad token) or 422 (400/401 sender
signature not found or not confirmed, 405/412/413 account may not send: fix the channel;
410 too many messages). Postmark has no idempotency key: see docs/newsletter.md.

The request body is written as JSON bytes from fragments encoded once per issue (the
fixed fields, the approved bodies split at the unsubscribe link): per copy only its
address, link, headers and ids are encoded. A 500-copy batch of an 8 KB issue would
otherwise spend ~25 ms in ``json.dumps`` re-escaping the same approved text.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

import requests

from k2publisher.deliver.adapters.esp import ESP_SETTINGS, Call, EspChannel
from k2publisher.errors import (
    AuthDeliveryError,
    ConnectionLostError,
    DeliveryConfigError,
    TransientDeliveryError,
)
from k2publisher.newsletter.message import json_string

if TYPE_CHECKING:
    from k2publisher.newsletter.message import IssueTemplate
    from k2publisher.newsletter.transport import Copy, Outcome

#: whole-call ErrorCodes that mean the channel's settings or account must be fixed
CONFIG_CODES = frozenset({10, 400, 401, 405, 412, 413})
INACTIVE_RECIPIENT, INVALID_REQUEST = 406, 300


class _Frame:
    """The fixed JSON of one issue's messages; :meth:`extend` adds one copy's message."""

    def __init__(self, template: IssueTemplate, stream: str):
        self.template = template
        self._head = (b'{"From":' + json_string(template.identity.sender) + b',"Subject":'
                      + json_string(template.subject) + b',"MessageStream":'
                      + json_string(stream) + b',"Metadata":{"k2_issue":'
                      + json_string(template.issue_id) + b',"k2_subscriber":')
        self._fixed = b"".join(b',{"Name":' + json_string(name) + b',"Value":'
                               + json_string(value) + b"}"
                               for name, value in template.fixed_headers) + b"]}"

    def extend(self, out: list[bytes], copy: Copy) -> None:
        """Append one copy's message object (Postmark's ``From``, ``To``, ``Subject``,
        bodies, ``Headers``, ``MessageStream``, ``Metadata``) to ``out`` as fragments."""
        template, url = self.template, copy.unsubscribe_url
        out += (self._head, json_string(str(copy.key)), b'},"To":', json_string(copy.email),
                b',"TextBody":')
        template.json_text.fill_into(out, url)
        if template.json_html is not None:
            out.append(b',"HtmlBody":')
            template.json_html.fill_into(out, html.escape(url))
        out += (b',"Headers":[{"Name":"List-Unsubscribe","Value":',
                json_string(template.list_unsubscribe(url)),
                b'},{"Name":"Message-ID","Value":', json_string(template.message_id(copy.key)),
                b"}", self._fixed)


class PostmarkChannel(EspChannel):
    """Postmark's batch API (``X-Postmark-Server-Token``)."""

    type_name = "postmark"
    batch_size = 500
    default_api_url = "https://api.postmarkapp.com"
    required_settings = ("token", "from")
    optional_settings = (*ESP_SETTINGS, "message_stream", "webhook_username",
                         "webhook_password", "webhook_token")
    secret_settings = ("token", "webhook_password", "webhook_token")
    description = "sends the newsletter through Postmark's batch API (500 a call)"
    #: the current issue's pre-encoded fields (a transport sends one issue at a time)
    _frame: _Frame | None = None

    def _headers(self) -> dict[str, str]:
        return {"X-Postmark-Server-Token": str(self.options["token"]),
                "Accept": "application/json"}

    def build(self, template: IssueTemplate, copies: Sequence[Copy]) -> Call:
        """One message per copy, with its own headers and metadata (JSON bytes)."""
        frame = self._frame
        if frame is None or frame.template is not template:
            stream = str(self.options.get("message_stream") or "broadcast")
            frame = self._frame = _Frame(template, stream)
        out = [b"["]
        for c in copies:
            frame.extend(out, c)
            out.append(b",")
        out[-1] = b"]"  # one join: the 4 MB of a batch is copied once
        body = b"".join(out)
        return Call("POST", f"{self.api_url}/email/batch",
                    {"data": body, "headers": {**self._headers(),
                                               "Content-Type": "application/json"}})

    def read(self, response: requests.Response, copies: Sequence[Copy]) -> list[Outcome]:
        """Postmark answers one result per message, in request order."""
        from k2publisher.newsletter.transport import Outcome

        results = self.http.json(response, retry_safe=False)
        if not isinstance(results, list) or len(results) != len(copies):
            results = results if isinstance(results, list) else []
            # an answer that does not match the request: treat the batch as possibly taken
            raise ConnectionLostError(f"Postmark answered {len(results)} results for "
                                      f"{len(copies)} messages", channel=self.name,
                                      dot_sent=True)
        out: list[Outcome] = []
        for copy, result in zip(copies, results, strict=True):
            code = int(result.get("ErrorCode", -1)) if isinstance(result, dict) else -1
            if code == 0:
                out.append(Outcome(copy.key, "sent", remote_id=str(result.get("MessageID", ""))))
                continue
            text = self.http.mask(str(result.get("Message", ""))) \
                if isinstance(result, dict) else ""
            if code == INACTIVE_RECIPIENT:
                out.append(Outcome(copy.key, "bounced", error=f"Postmark 406: {text}"))
            elif code == 429:
                out.append(Outcome(copy.key, "deferred", error=f"Postmark 429: {text}"))
            else:
                out.append(Outcome(copy.key, "failed", error=f"Postmark {code}: {text}"))
        return out

    def refine(self, response: requests.Response) -> Exception | None:
        """Map Postmark's whole-call ErrorCode (422 bodies) to what the operator must do."""
        try:
            body = response.json()
        except ValueError:
            return None
        code = body.get("ErrorCode") if isinstance(body, dict) else None
        text = self.http.mask(str(body.get("Message", ""))) if isinstance(body, dict) else ""
        where = f"HTTP {response.status_code}, Postmark ErrorCode {code}: {text}"
        if code == 10 or response.status_code == 401:
            return AuthDeliveryError(f"{where} (check [channels.{self.name}] token: the "
                                     "Server API token)", channel=self.name,
                                     status=response.status_code)
        if code in CONFIG_CODES:
            return DeliveryConfigError(f"{where} (fix [channels.{self.name}] from or the "
                                       "account)", channel=self.name, status=response.status_code)
        if code == 100:  # maintenance
            return TransientDeliveryError(where, channel=self.name, status=response.status_code)
        return None

    def check(self) -> str:
        """``GET /server``: the token is valid."""
        response = self.http.request("GET", f"{self.api_url}/server", headers=self._headers())
        server = self.http.json(response, retry_safe=True)
        return f"token valid for Postmark server {server.get('Name', '?')!r}"
