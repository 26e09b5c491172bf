"""Where the newsletter's messages go: a transport opened from its channel, one per worker.

The fan-out needs one thing a generic channel does not offer: a guard (a context manager)
around the one step that commits a message, the final ``.`` that makes the server accept
it, entered after the body has been transmitted (see docs/newsletter.md, "Crash safety").
The channel named by ``newsletter.channel`` opens the transport
(:meth:`SmtpChannel.transport <k2publisher.deliver.adapters.smtp.SmtpChannel.transport>`,
:meth:`MaildirChannel.transport <k2publisher.deliver.adapters.maildir.MaildirChannel.transport>`),
so the SMTP connection, ``[delivery]`` timeouts, ``ca_file``, TLS, error classification and
secret masking are the channel's, written once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

from k2publisher.deliver.adapters.smtp import smtp_data
from k2publisher.errors import (
    ChannelFaultError,
    ConfigError,
    ConnectionLostError,
    DeliveryError,
    RecipientRejectedError,
    TransientDeliveryError,
)
from k2publisher.settings import Settings

if TYPE_CHECKING:
    from k2publisher.newsletter.message import IssueTemplate

__all__ = ["BatchTransport", "Copy", "FinalGuard", "Outcome", "Transport", "channel_options",
           "is_batch", "outcome_of", "smtp_data", "transport_factory"]

#: a context manager factory wrapped around the one step that commits a message
FinalGuard = Callable[[], AbstractContextManager[None]]


class Transport(Protocol):
    """Sends one message to one recipient at a time."""

    def send(self, sender: str, recipient: str, data: bytes,
             final: FinalGuard | None = None) -> None:
        """Deliver ``data``; the step that commits it (the final dot) runs inside ``final()``.

        ``data`` is a complete message with CRLF line ends. Raises
        :class:`RecipientRejectedError` (5xx for this recipient),
        :class:`PermanentDeliveryError` (message refused), :class:`TransientDeliveryError`
        (4xx: try later), :class:`ConnectionLostError` (the server went away),
        :class:`AuthDeliveryError` or :class:`DeliveryConfigError` (fix the channel).
        """

    def close(self) -> None:
        """Release the connection."""


@dataclass(frozen=True)
class Copy:
    """One recipient's copy of an issue: who, and what is personal in it.

    ``key`` is the subscriber id (the delivery row), ``unsubscribe_url`` the one-click link
    that goes into ``List-Unsubscribe`` and both bodies. (ESPs set their own return path
    and report bounces by webhook; SMTP's VERP return path is the fan-out's.)
    """

    key: int
    email: str
    unsubscribe_url: str


#: what became of one copy: accepted, the recipient's fault (suppress the subscriber),
#: refused for this copy only, or try again later
OutcomeStatus = Literal["sent", "bounced", "failed", "deferred"]


@dataclass(frozen=True)
class Outcome:
    """The provider's answer for one :class:`Copy` of a batch."""

    key: int
    status: OutcomeStatus
    remote_id: str = ""           # the provider's message id, when it gave one
    error: str = ""               # masked, human-readable reason (not for ``sent``)
    retry_after: float | None = None  # seconds the provider asked us to wait (``deferred``)
    #: ``deferred`` although the provider may have taken it (its answer was lost): the
    #: copy is sent again and counted as a possible duplicate
    maybe_accepted: bool = False
    #: False when the connection failed, not the recipient: retried at once, no attempt used
    charged: bool = True


def outcome_of(key: int, exc: DeliveryError) -> Outcome | None:
    """The outcome of one copy whose sending raised ``exc`` (the one classification of a
    one-at-a-time transport's errors); None when no copy is at fault but the channel is
    (:class:`ChannelFaultError`: wrong credentials or TLS settings: the run stops).

    5xx to RCPT TO bounces the subscriber; a lost connection is due again at once without
    an attempt charged (a possible duplicate after the final dot, RFC 1047); another 4xx
    waits the next retry delay; another 5xx fails the copy.
    """
    if isinstance(exc, ChannelFaultError):
        return None
    if isinstance(exc, RecipientRejectedError):
        return Outcome(key, "bounced", error=str(exc))
    if isinstance(exc, ConnectionLostError):
        return Outcome(key, "deferred", error=str(exc), maybe_accepted=exc.dot_sent,
                       charged=False)
    if isinstance(exc, TransientDeliveryError):
        return Outcome(key, "deferred", error=str(exc), retry_after=exc.retry_after)
    return Outcome(key, "failed", error=str(exc))


class BatchTransport(Protocol):
    """Sends one issue to many recipients per call, each copy personalised (ESP bulk APIs).

    The fan-out hands :meth:`send_batch` up to :attr:`batch_size` copies of one approved
    :class:`~k2publisher.newsletter.message.IssueTemplate` (the text ``Pipeline.prepare``
    approved; the transport only adds what :class:`Copy` holds) and commits the outcomes.
    """

    #: the most copies one call may carry (SES 50, Postmark 500, Mailgun and SendGrid 1,000)
    batch_size: ClassVar[int]
    name: str

    def send_batch(self, template: IssueTemplate, copies: Sequence[Copy],
                   final: FinalGuard | None = None) -> list[Outcome]:
        """Send ``copies``; return one :class:`Outcome` per copy, in the same order.

        The request that hands the batch to the provider runs inside ``final()`` (the
        fan-out commits the rows ``awaiting`` there, as before SMTP's final dot). Per-copy
        refusals inside a successful answer are outcomes, not exceptions. A failure of the
        whole call raises: :class:`TransientDeliveryError` (429, 5xx before acceptance;
        ``retry_after`` set when the provider said), :class:`ConnectionLostError`
        (``dot_sent`` True when the provider may have accepted the batch: its answer was
        lost), :class:`AuthDeliveryError` or :class:`DeliveryConfigError` (fix the channel),
        :class:`PermanentDeliveryError` (the request itself was refused).
        """

    def close(self) -> None:
        """Release the connection pool."""


def is_batch(transport: object) -> bool:
    """True when ``transport`` is a :class:`BatchTransport` (an ESP), not one-at-a-time."""
    return callable(getattr(transport, "send_batch", None))


def channel_options(settings: Settings, name: str | None = None) -> tuple[str, dict[str, Any]]:
    """The newsletter's channel name and settings (``newsletter.channel``)."""
    name = name or str(settings.section("newsletter")["channel"])
    table = settings.section("channels").get(name)
    if not isinstance(table, Mapping):
        raise ConfigError(f"newsletter.channel is {name!r} but there is no [channels.{name}] "
                          f"table (add one with type = \"smtp\" or \"maildir\")",
                          settings.config_path)
    return name, dict(table)


def transport_factory(settings: Settings, name: str | None = None
                      ) -> Callable[[], Transport]:
    """A function that opens a new transport of the newsletter's channel (one per worker).

    The channel is built (and its settings checked) now, not in a worker.
    """
    from k2publisher.deliver.registry import load_channel

    name, options = channel_options(settings, name)
    channel = load_channel(name, settings)
    opener = getattr(channel, "transport", None)
    if opener is None:
        raise ConfigError(f"the newsletter sends through [channels.{name}] of type "
                          f"{options.get('type')!r}; it needs type = \"smtp\", \"maildir\", "
                          "\"ses\", \"postmark\", \"mailgun\" or \"sendgrid\"",
                          settings.config_path)
    return opener
