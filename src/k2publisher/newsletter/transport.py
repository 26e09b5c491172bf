"""Where the newsletter's messages go: one SMTP connection or a Maildir, per worker.

The fan-out needs one thing a generic channel does not offer: a guard (a context manager)
around the one step that commits a message, the final ``.`` that makes the server accept
it, entered after the body has been transmitted (see docs/newsletter.md, "Crash
safety"). :class:`SmtpTransport` runs the SMTP transaction itself to provide it;
:class:`MaildirTransport` wraps the rename that makes a file visible. The channel named
by ``newsletter.channel`` decides which one is used and with which settings (those of the
``smtp`` and ``maildir`` channel types).
"""

from __future__ import annotations

import contextlib
import os
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from k2publisher.errors import (
    AuthDeliveryError,
    ConfigError,
    ConnectionLostError,
    PermanentDeliveryError,
    RecipientRejectedError,
    TransientDeliveryError,
)
from k2publisher.redact import mask
from k2publisher.settings import Settings, resolve

DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}
_LEADING_DOT = re.compile(rb"(?m)^\.")
_EOL = re.compile(rb"\r\n|\n|\r")


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
        (4xx: try later) or :class:`ConnectionLostError` (the server went away).
        """

    def close(self) -> None:
        """Release the connection."""


def smtp_data(data: bytes) -> bytes:
    """``data`` with CRLF line ends and leading dots doubled, as the DATA phase needs."""
    return _LEADING_DOT.sub(b"..", _EOL.sub(b"\r\n", data))


class SmtpTransport:
    """One SMTP session (plain, STARTTLS or implicit TLS), opened on first use."""

    def __init__(self, options: Mapping[str, Any], *, name: str = "email", timeout: float = 30):
        self.name = name
        self.host = str(options.get("host") or "")
        if not self.host:
            raise ConfigError(f"[channels.{name}] needs host = \"...\" for SMTP")
        self.security = str(options.get("security", "starttls"))
        if self.security not in DEFAULT_PORTS:
            raise ConfigError(f"[channels.{name}] security must be none, starttls or tls, "
                              f"not {self.security!r}")
        self.port = int(options.get("port") or DEFAULT_PORTS[self.security])
        self.username = str(options.get("username") or "")
        self.password = str(options.get("password") or "")
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def _where(self, what: str) -> str:
        return mask(f"{self.host}:{self.port}: {what}", [self.password])

    def connect(self) -> smtplib.SMTP:
        """Open (or return) the session: EHLO, STARTTLS when configured, login."""
        if self._smtp is not None:
            return self._smtp
        smtp: smtplib.SMTP | None = None
        try:
            if self.security == "tls":
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                        context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            smtp.ehlo()
            if self.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password)
        except smtplib.SMTPAuthenticationError as exc:
            self._drop(smtp)
            raise AuthDeliveryError(self._where(f"login refused: {exc.smtp_code} "
                                                f"(check username and password)"),
                                    channel=self.name, status=exc.smtp_code) from None
        except (smtplib.SMTPException, OSError) as exc:
            self._drop(smtp)
            raise ConnectionLostError(self._where(f"cannot connect: {exc}"),
                                      channel=self.name) from None
        # the body goes out in one write; let the final dot leave at once on its own
        if smtp.sock is not None:
            smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._smtp = smtp
        return smtp

    @staticmethod
    def _drop(smtp: smtplib.SMTP | None) -> None:
        if smtp is not None:
            smtp.close()

    def _reply_error(self, stage: str, code: int, text: bytes, recipient: str
                     ) -> Exception:
        what = self._where(f"{stage} for {recipient}: {code} "
                           f"{text.decode('utf-8', 'replace')}")
        if 400 <= code < 500:
            return TransientDeliveryError(what, channel=self.name, status=code)
        if stage == "RCPT TO":
            return RecipientRejectedError(what, channel=self.name, status=code)
        return PermanentDeliveryError(what, channel=self.name, status=code)

    def send(self, sender: str, recipient: str, data: bytes,
             final: FinalGuard | None = None) -> None:
        """One SMTP transaction; ``data`` must already be :func:`smtp_data`-prepared."""
        smtp = self.connect()
        stage = "MAIL FROM"
        try:
            if smtp.has_extn("pipelining"):
                stage, code, text = self._envelope_pipelined(smtp, sender, recipient)
            else:
                stage, code, text = self._envelope(smtp, sender, recipient)
            if code != 354:
                self._rset()
                raise self._reply_error(stage, code, text, recipient)
            stage = "message"
            smtp.send(data if data.endswith(b"\r\n") else data + b"\r\n")
            with final() if final is not None else contextlib.nullcontext():
                stage = "final dot"
                smtp.send(b".\r\n")
            code, text = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.close_quietly()
            raise ConnectionLostError(self._where(f"connection lost at {stage}: {exc}"),
                                      channel=self.name, dot_sent=stage == "final dot"
                                      ) from None
        if code != 250:
            if code == -1 or code == 421:
                self.close_quietly()
            raise self._reply_error("end of DATA", code, text, recipient)

    @staticmethod
    def _envelope(smtp: smtplib.SMTP, sender: str, recipient: str
                  ) -> tuple[str, int, bytes]:
        """MAIL FROM, RCPT TO, DATA one at a time: the failing stage and its reply."""
        code, text = smtp.mail(sender)
        if code != 250:
            return "MAIL FROM", code, text
        code, text = smtp.rcpt(recipient)
        if code not in (250, 251):
            return "RCPT TO", code, text
        smtp.putcmd("data")
        code, text = smtp.getreply()
        return "DATA", code, text

    @staticmethod
    def _envelope_pipelined(smtp: smtplib.SMTP, sender: str, recipient: str
                            ) -> tuple[str, int, bytes]:
        """The same three commands in one write (RFC 2920), then their three replies."""
        smtp.send(f"MAIL FROM:{smtplib.quoteaddr(sender)}\r\n"
                  f"RCPT TO:{smtplib.quoteaddr(recipient)}\r\nDATA\r\n".encode("ascii"))
        replies = [("MAIL FROM", *smtp.getreply()), ("RCPT TO", *smtp.getreply()),
                   ("DATA", *smtp.getreply())]
        mail, rcpt, data = replies
        if data[1] == 354 and (mail[1] != 250 or rcpt[1] not in (250, 251)):
            smtp.send(b".\r\n")  # a server that opened DATA anyway gets an empty message
            smtp.getreply()
        if mail[1] != 250:
            return mail
        if rcpt[1] not in (250, 251):
            return rcpt
        return data

    def _rset(self) -> None:
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.close_quietly()

    def close_quietly(self) -> None:
        """Drop the session without a QUIT (after an error)."""
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def close(self) -> None:
        """QUIT and close."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None


class MaildirTransport:
    """Writes each message into a Maildir (``tmp/`` then an atomic rename into ``new/``)."""

    _counter = 0

    def __init__(self, folder: Path, *, name: str = "email"):
        self.name = name
        self.folder = folder
        for sub in ("tmp", "new", "cur"):
            (folder / sub).mkdir(parents=True, exist_ok=True)

    def send(self, sender: str, recipient: str, data: bytes,
             final: FinalGuard | None = None) -> None:
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


def channel_options(settings: Settings, name: str | None = None) -> tuple[str, dict[str, Any]]:
    """The newsletter's channel name and settings (``newsletter.channel``)."""
    name = name or str(settings.section("newsletter").get("channel") or "email")
    table = settings.section("channels").get(name)
    if not isinstance(table, Mapping):
        raise ConfigError(f"newsletter.channel is {name!r} but there is no [channels.{name}] "
                          f"table (add one with type = \"smtp\" or \"maildir\")",
                          settings.config_path)
    return name, dict(table)


def transport_factory(settings: Settings, name: str | None = None
                      ) -> Callable[[], Transport]:
    """A function that opens a new transport for the newsletter's channel (one per worker)."""
    name, options = channel_options(settings, name)
    kind = options.get("type")
    if kind == "smtp":
        SmtpTransport(options, name=name)  # validate the settings now, not in a worker
        return lambda: SmtpTransport(options, name=name)
    if kind == "maildir":
        folder = resolve(settings.root, str(options.get("path") or "outbox/maildir"))
        return lambda: MaildirTransport(folder, name=name)
    raise ConfigError(f"the newsletter sends through [channels.{name}] of type {kind!r}; it "
                      f"needs type = \"smtp\" or \"maildir\"", settings.config_path)
