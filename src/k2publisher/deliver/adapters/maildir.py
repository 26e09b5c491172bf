"""Maildir: each message is written into a Maildir folder any mail client can open.

The embedded default for email: no server, no account, the same message an SMTP channel
would send (see :mod:`k2publisher.deliver.message`).
"""

from __future__ import annotations

import mailbox
from email.message import EmailMessage
from pathlib import Path

from k2publisher.abc import Channel
from k2publisher.deliver.message import EMAIL_SETTINGS, channel_message
from k2publisher.errors import PermanentDeliveryError
from k2publisher.models import PartReceipt, Rendering


class MaildirChannel(Channel):
    """Writes email renderings into ``<path>/{cur,new,tmp}``."""

    type_name = "maildir"
    profile = "email"
    idempotent = False
    required_settings = ("path",)
    optional_settings = EMAIL_SETTINGS
    description = "writes each email into a local Maildir"

    def message(self, rendering: Rendering) -> EmailMessage:
        """The email for ``rendering`` with this channel's headers."""
        return channel_message(self, rendering)

    def send_part(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                  idempotency_key: str) -> PartReceipt:
        """Add the message to the Maildir; the receipt points at its file."""
        folder = self.context.resolve(self.options["path"]) if self.context \
            else Path(self.options["path"])
        msg = self.message(rendering)
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            key = mailbox.Maildir(folder, create=True).add(msg)
        except OSError as exc:
            raise PermanentDeliveryError(f"cannot write to Maildir {folder}: {exc.strerror}",
                                         channel=self.name) from None
        return PartReceipt(index=index, remote_id=str(msg["Message-ID"]),
                           url=(folder / "new" / key).resolve().as_uri())

    def describe(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                 idempotency_key: str) -> str:
        """The message that would be written."""
        return f"Maildir {self.options['path']}:\n{self.message(rendering).as_string()}"
