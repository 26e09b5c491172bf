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

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any, Protocol

from k2publisher.deliver.adapters.smtp import smtp_data
from k2publisher.errors import ConfigError
from k2publisher.settings import Settings

__all__ = ["FinalGuard", "Transport", "channel_options", "smtp_data", "transport_factory"]

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
                          f"{options.get('type')!r}; it needs type = \"smtp\" or \"maildir\"",
                          settings.config_path)
    return opener
