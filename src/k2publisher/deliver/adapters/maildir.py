"""Maildir: each message is written into a Maildir folder any mail client can open.

The embedded default for email: no server, no account, the same message an SMTP channel
would send (see :mod:`k2publisher.deliver.message`).
"""

from __future__ import annotations

import contextlib
import mailbox
import os
import socket
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
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

    @property
    def folder(self) -> Path:
        """The Maildir folder (relative paths resolve against the site folder)."""
        return self.context.resolve(self.options["path"]) if self.context \
            else Path(self.options["path"])

    def transport(self) -> MaildirTransport:
        """A transport writing prepared messages into this Maildir (the newsletter's)."""
        return MaildirTransport(self.folder, name=self.name)

    def message(self, rendering: Rendering) -> EmailMessage:
        """The email for ``rendering`` with this channel's headers."""
        return channel_message(self, rendering)

    def send_part(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                  idempotency_key: str) -> PartReceipt:
        """Add the message to the Maildir; the receipt points at its file."""
        folder = self.folder
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


class MaildirTransport:
    """Writes each message into a Maildir (``tmp/`` then an atomic rename into ``new/``)."""

    _counter = 0

    def __init__(self, folder: Path, *, name: str = "email"):
        self.name = name
        self.folder = folder
        for sub in ("tmp", "new", "cur"):
            (folder / sub).mkdir(parents=True, exist_ok=True)

    def send(self, sender: str, recipient: str, data: bytes,
             final: Callable[[], AbstractContextManager[None]] | None = None) -> None:
        """Write the message; it becomes visible in ``new/`` inside ``final()``."""
        MaildirTransport._counter += 1
        unique = f"{time.time_ns()}.P{os.getpid()}Q{MaildirTransport._counter}" \
                 f"T{id(self):x}.{socket.gethostname().replace('/', '_')}"
        tmp = self.folder / "tmp" / unique
        try:
            with open(tmp, "wb") as fh:
                fh.write(data.replace(b"\r\n", b"\n"))
            with final() if final is not None else contextlib.nullcontext():
                os.rename(tmp, self.folder / "new" / unique)
        except OSError as exc:
            raise PermanentDeliveryError(f"cannot write to Maildir {self.folder}: "
                                         f"{exc.strerror}", channel=self.name) from None

    def close(self) -> None:
        """Nothing to release."""
