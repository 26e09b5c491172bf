"""Mail the newsletter sends one at a time: the double opt-in confirmation.

It goes through the newsletter's channel (``newsletter.channel``; the embedded defaults
point at the ``email`` Maildir channel) with the same transports the fan-out uses.
"""

from __future__ import annotations

from email import policy

from k2publisher.newsletter.message import Identity, confirmation_message
from k2publisher.newsletter.subscribers import Source, Subscribers
from k2publisher.newsletter.tokens import Tokens
from k2publisher.newsletter.transport import channel_options, smtp_data, transport_factory
from k2publisher.settings import Settings


class ConfirmationMailer:
    """Sends confirmation links and records each one as consent evidence."""

    def __init__(self, settings: Settings, tokens: Tokens):
        self.settings = settings
        self.tokens = tokens
        _, options = channel_options(settings)
        self.identity = Identity.from_settings(settings, options)
        self._open = transport_factory(settings)

    def send(self, subscribers: Subscribers, subscriber_id: int, email: str, nonce: str,
             source: Source | str) -> str:
        """Mail ``email`` its confirmation link; returns the link.

        Raises a :class:`~k2publisher.errors.DeliveryError` when the channel fails.
        """
        url = self.identity.confirm_url(self.tokens.confirm_token(subscriber_id, nonce))
        msg = confirmation_message(self.settings, self.identity, email, url)
        transport = self._open()
        try:
            transport.send(self.identity.envelope_from, email,
                           smtp_data(msg.as_bytes(policy=policy.SMTP)))
        finally:
            transport.close()
        subscribers.record_event(subscriber_id, "confirmation_sent", source,
                                 f"confirmation link mailed to {email}")
        return url
