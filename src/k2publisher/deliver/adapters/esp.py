"""The base of the email service providers (ESP) used as newsletter transports.

An ESP channel *declares* its batch size and builds one bulk request per batch of copies;
this base owns the rest, once: the one HTTP core (:mod:`k2publisher.deliver.http`:
timeouts, status mapping, rate-limit headers, masking), the ``final()`` guard around the
request that hands a batch over, the translation of "the request went out but the answer
was lost" into :class:`ConnectionLostError` with ``dot_sent`` (the fan-out then sends the
batch again and counts possible duplicates), and :meth:`send_part` for ``publish`` (one copy
to the channel's own ``to``).

Each copy carries what :class:`~k2publisher.newsletter.message.IssueTemplate` approved,
with only the reader's unsubscribe link, ``List-Unsubscribe``, ``List-Unsubscribe-Post``
(RFC 8058), ``List-Id`` and ``Message-ID`` added: the same as an SMTP copy.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import requests

from k2publisher.deliver.http import HttpChannel
from k2publisher.deliver.message import EMAIL_SETTINGS
from k2publisher.errors import (
    ChannelFaultError,
    ConnectionLostError,
    PermanentDeliveryError,
    TransientDeliveryError,
    UncertainDeliveryError,
)
from k2publisher.models import PartReceipt, Rendering

if TYPE_CHECKING:
    from k2publisher.newsletter.message import IssueTemplate
    from k2publisher.newsletter.transport import Copy, FinalGuard, Outcome

#: settings every ESP channel accepts besides its own (webhook secrets are its own)
ESP_SETTINGS = (*EMAIL_SETTINGS, "api_url")


@dataclass(frozen=True)
class Call:
    """One bulk request: method, URL and the ``requests`` keywords (json, data, headers)."""

    method: str
    url: str
    kwargs: dict[str, Any]


class EspChannel(HttpChannel):
    """An ESP's bulk API as a channel and, per fan-out worker, a batch transport."""

    profile = "email"
    #: the most copies one call may carry (the provider's documented limit)
    batch_size: ClassVar[int] = 1
    #: the provider's API root; ``api_url`` overrides it (a region, a test server)
    default_api_url: ClassVar[str] = ""

    def __init__(self, name: str, options: Any, context: Any = None):
        super().__init__(name, options, context)
        self.api_url = self.base_url("api_url", self.default_api_url)

    # -- what a provider implements ------------------------------------------------------

    def build(self, template: IssueTemplate, copies: Sequence[Copy]) -> Call:
        """The one request that sends ``copies`` (at most :attr:`batch_size`)."""
        raise NotImplementedError

    def read(self, response: requests.Response, copies: Sequence[Copy]) -> list[Outcome]:
        """One outcome per copy from the provider's 2xx answer."""
        raise NotImplementedError

    def refine(self, response: requests.Response) -> Exception | None:
        """A provider-specific error for a non-2xx answer (None: the core's mapping)."""
        return None

    # -- the transport --------------------------------------------------------------------

    def transport(self) -> EspChannel:
        """A new transport with its own connection pool (one per fan-out worker)."""
        return type(self)(self.name, self.options, self.context)

    def send_batch(self, template: IssueTemplate, copies: Sequence[Copy],
                   final: FinalGuard | None = None) -> list[Outcome]:
        """Send ``copies`` in one call (see ``newsletter.transport.BatchTransport``)."""
        if len(copies) > self.batch_size:
            raise ValueError(f"{self.type_name} takes at most {self.batch_size} copies a "
                             f"call, not {len(copies)}")
        call = self.build(template, copies)
        with final() if final is not None else contextlib.nullcontext():
            response = self.call(call)
        return self.read(response, copies)

    def call(self, call: Call) -> requests.Response:
        """Make one request that is not safe to repeat blindly (nobody dedups mail)."""
        try:
            return self.http.request(call.method, call.url, retry_safe=False,
                                     on_error=self.refine, **call.kwargs)
        except UncertainDeliveryError as exc:
            raise ConnectionLostError(str(exc), channel=self.name, dot_sent=True,
                                      status=exc.status) from None
        except ConnectionLostError:
            raise
        except TransientDeliveryError as exc:
            if exc.status is None:  # never connected: nothing reached the provider
                raise ConnectionLostError(str(exc), channel=self.name, dot_sent=False) \
                    from None
            raise

    # -- the channel (``publish --channel``): one copy to the channel's own ``to`` --------

    def send_part(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                  idempotency_key: str) -> PartReceipt:
        """Send the rendering as one email to ``to``; the receipt holds the provider's id."""
        from k2publisher.newsletter.transport import Copy

        template = self._template(rendering)
        url = str(self.options.get("unsubscribe_url") or "") or \
            template.identity.unsubscribe_url("preview")
        to = str(self.options.get("to") or template.identity.envelope_from)
        try:
            (outcome,) = self.send_batch(template, [Copy(key=0, email=to, unsubscribe_url=url)])
        except ConnectionLostError as exc:
            if not exc.dot_sent:
                raise
            raise UncertainDeliveryError(f"{exc}; the provider may have the message: check "
                                         "its activity log before sending again",
                                         channel=self.name) from None
        if outcome.status == "sent":
            return PartReceipt(index=index, remote_id=outcome.remote_id)
        if outcome.status == "deferred":
            raise TransientDeliveryError(outcome.error, channel=self.name,
                                         retry_after=outcome.retry_after)
        if outcome.status == "bounced":
            raise ChannelFaultError(f"{outcome.error} (the channel's own recipient `to` was "
                                    f"refused: fix [channels.{self.name}] to)", channel=self.name)
        raise PermanentDeliveryError(outcome.error, channel=self.name)

    def _template(self, rendering: Rendering) -> IssueTemplate:
        from k2publisher.newsletter.message import Identity, IssueTemplate

        settings = getattr(self.context, "settings", None)
        identity = Identity.from_settings(settings, self.options) if settings is not None \
            else Identity(sender=str(self.options["from"]), envelope_from=str(
                self.options["from"]), list_id="", mailto=str(self.options["from"]),
                base_url="https://localhost")
        return IssueTemplate.from_rendering(rendering.item_id, rendering, identity)

    def describe(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                 idempotency_key: str) -> str:
        """The exact request :meth:`send_part` would make (masked)."""
        from k2publisher.newsletter.transport import Copy

        template = self._template(rendering)
        to = str(self.options.get("to") or template.identity.envelope_from)
        call = self.build(template, [Copy(0, to, template.identity.unsubscribe_url("preview"))])
        body = call.kwargs.get("json", call.kwargs.get("data"))
        if isinstance(body, bytes) and call.kwargs.get("headers", {}).get(
                "Content-Type") == "application/json":
            body = json.loads(body)  # shown as the JSON a reader can check
        return self.preview(call.method, call.url, call.kwargs.get("headers"), body)
