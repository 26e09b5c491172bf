"""SMTP: the one SMTP client (plain, STARTTLS or implicit TLS) for the channel and the newsletter.

:class:`SmtpChannel` opens every connection (``[delivery]`` timeouts, verified TLS with an
optional ``ca_file``, login) and classifies every failure (:meth:`SmtpChannel.error`): 4xx
transient, 5xx permanent (a refused recipient bounces), failed login auth, a TLS failure a
configuration error, a dropped connection :class:`ConnectionLostError`; secrets are masked
in every message. Its own connection stays open between :meth:`send_part` calls; a server
that hung up is reconnected once. The newsletter fan-out opens one :class:`SmtpTransport`
per worker from the channel (:meth:`SmtpChannel.transport`): the same connection code, plus
the raw transaction with a hook around the final dot that commits a message.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
import ssl
from collections.abc import Callable
from contextlib import AbstractContextManager
from email.message import EmailMessage
from typing import Any

from k2publisher.abc import Channel
from k2publisher.deliver.core import RetryPolicy
from k2publisher.deliver.message import EMAIL_SETTINGS, channel_message
from k2publisher.errors import (
    AuthDeliveryError,
    ChannelFaultError,
    ConfigError,
    ConnectionLostError,
    DeliveryConfigError,
    DeliveryError,
    PermanentDeliveryError,
    RecipientRejectedError,
    TransientDeliveryError,
    UncertainDeliveryError,
)
from k2publisher.models import PartReceipt, Rendering
from k2publisher.redact import mask

DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}
_END_OF_DATA = b"\r\n.\r\n"
_LEADING_DOT = re.compile(rb"(?m)^\.")
_EOL = re.compile(rb"\r\n|\n|\r")

#: a context manager factory wrapped around the one step that commits a message
FinalGuard = Callable[[], AbstractContextManager[None]]


def smtp_data(data: bytes) -> bytes:
    """``data`` with CRLF line ends and leading dots doubled, as the DATA phase needs."""
    return _LEADING_DOT.sub(b"..", _EOL.sub(b"\r\n", data))


class _DotTracking:
    """Remembers whether the message's final dot was written (then the server may have it)."""

    dot_sent = False

    def send(self, s: bytes | str) -> None:
        """Write to the socket, noting when the end-of-data dot goes out."""
        super().send(s)  # type: ignore[misc]
        if isinstance(s, bytes) and s.endswith(_END_OF_DATA):
            self.dot_sent = True


class _SMTP(_DotTracking, smtplib.SMTP):
    pass


class _SMTPSSL(_DotTracking, smtplib.SMTP_SSL):
    pass


class SmtpChannel(Channel):
    """Sends email through an SMTP server (``security`` = none | starttls | tls)."""

    type_name = "smtp"
    profile = "email"
    required_settings = ("host",)
    optional_settings = ("port", "security", "username", "password", "ca_file",
                         *EMAIL_SETTINGS)
    secret_settings = ("password",)
    description = "sends email through an SMTP server, one connection for many messages"

    def __init__(self, name: str, options: Any, context: Any = None):
        super().__init__(name, options, context)
        self.security = str(self.options.get("security", "starttls"))
        if self.security not in DEFAULT_PORTS:
            raise ConfigError(f"[channels.{name}] security must be none, starttls or tls, "
                              f"not {self.security!r}")
        self.port = int(self.options.get("port") or DEFAULT_PORTS[self.security])
        self.timeout = (getattr(context, "policy", None) or RetryPolicy()).timeout
        self._smtp: _SMTP | _SMTPSSL | None = None
        self.connections = 0  # how many connections were opened (for tests and logs)

    def _secrets(self) -> list[str]:
        return [str(self.options["password"])] if self.options.get("password") else []

    def error(self, exc: Exception, dot_sent: bool = False, what: str = "") -> DeliveryError:
        """The typed error for a failed SMTP step (the one classification, secrets masked)."""
        text = mask(f"{self.options['host']}:{self.port}: {what + ': ' if what else ''}"
                    f"{type(exc).__name__}: {exc}", self._secrets())
        code = getattr(exc, "smtp_code", None)
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            codes = [c for c, _ in exc.recipients.values()]
            code = max(codes) if codes else None
            if code is not None and code >= 500:
                return RecipientRejectedError(text, channel=self.name, status=code)
        if isinstance(exc, smtplib.SMTPAuthenticationError) or code in (530, 535):
            return AuthDeliveryError(f"{text} (check username and password)",
                                     channel=self.name, status=code)
        if code is not None and 400 <= code < 500:
            return TransientDeliveryError(text, channel=self.name, status=code)
        if (code is not None and code >= 500) or isinstance(exc, smtplib.SMTPNotSupportedError):
            return PermanentDeliveryError(text, channel=self.name, status=code)
        if isinstance(exc, ssl.SSLError | ssl.CertificateError):
            return DeliveryConfigError(f"{text} (TLS failed: check security and port, or "
                                       "set ca_file for a private CA)", channel=self.name)
        # disconnects, timeouts, refused connections
        return ConnectionLostError(text, channel=self.name, dot_sent=dot_sent)

    def _tls(self) -> ssl.SSLContext:
        """Verified TLS; ``ca_file`` adds a private CA (a self-hosted relay)."""
        ca_file = self.options.get("ca_file")
        path = self.context.resolve(str(ca_file)) if ca_file and self.context else ca_file
        return ssl.create_default_context(cafile=str(path) if path else None)

    def _connect(self) -> _SMTP | _SMTPSSL:
        self._smtp = self.open()
        return self._smtp

    def open(self) -> _SMTP | _SMTPSSL:
        """A new logged-in session (EHLO, STARTTLS when configured, login); typed errors."""
        host = str(self.options["host"])
        smtp: _SMTP | _SMTPSSL | None = None
        try:
            if self.security == "tls":
                smtp = _SMTPSSL(host, self.port, timeout=self.timeout, context=self._tls())
            else:
                smtp = _SMTP(host, self.port, timeout=self.timeout)
            smtp.ehlo()
            if self.security == "starttls":
                smtp.starttls(context=self._tls())
                smtp.ehlo()
            if self.options.get("username"):
                smtp.login(str(self.options["username"]), str(self.options.get("password", "")))
        except (smtplib.SMTPException, OSError) as exc:
            if smtp is not None:
                smtp.close()
            raise self.error(exc, what="cannot connect") from None
        self.connections += 1
        return smtp

    def transport(self) -> SmtpTransport:
        """A new transport with its own connection (one per fan-out worker)."""
        return SmtpTransport(self)

    def send_message(self, msg: EmailMessage) -> str:
        """Send one prepared message over the pooled connection; return its Message-ID.

        A connection the server closed while idle is reopened once. Raises
        :class:`RecipientRejectedError` (5xx to RCPT), :class:`ConnectionLostError`
        (``dot_sent`` True when the server may have accepted the message), or the
        transient/permanent/auth error matching the reply code.
        """
        for attempt in (1, 2):
            smtp = self._smtp or self._connect()
            smtp.dot_sent = False
            try:
                smtp.send_message(msg)
                return str(msg["Message-ID"])
            except smtplib.SMTPServerDisconnected as exc:
                self._smtp = None
                if attempt == 2 or smtp.dot_sent:
                    raise self.error(exc, smtp.dot_sent) from None
            except (smtplib.SMTPException, OSError) as exc:
                self._reset()
                raise self.error(exc, smtp.dot_sent) from None
        raise AssertionError("unreachable")

    def _reset(self) -> None:
        """After a refused message, make the session usable again (or drop it)."""
        if self._smtp is None:
            return
        try:
            self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._smtp.close()
            self._smtp = None

    def message(self, rendering: Rendering) -> EmailMessage:
        """The email for ``rendering`` with this channel's headers."""
        return channel_message(self, rendering)

    def send_part(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                  idempotency_key: str) -> PartReceipt:
        """Send the rendering as one message; the receipt holds its Message-ID.

        A connection lost after the final dot (a hang-up or silence where the 250 should
        be) is :class:`UncertainDeliveryError`: the server may have the message, so it is
        never sent again blindly. A 5xx refusing this channel's own ``to`` is the
        channel's configuration, not the item (:class:`ChannelFaultError`).
        """
        try:
            return PartReceipt(index=index,
                               remote_id=self.send_message(self.message(rendering)))
        except ConnectionLostError as exc:
            if not exc.dot_sent:
                raise
            raise UncertainDeliveryError(f"{exc}; after the final dot, so the server may "
                                         "have the message: check the mailbox before sending "
                                         "again", channel=self.name, status=exc.status) from None
        except RecipientRejectedError as exc:
            raise ChannelFaultError(f"{exc} (the channel's own recipient `to` was refused: "
                                    f"fix [channels.{self.name}] to)", channel=self.name,
                                    status=exc.status) from None

    def describe(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                 idempotency_key: str) -> str:
        """The SMTP envelope and message that would be sent."""
        msg = self.message(rendering)
        return (f"SMTP {self.options['host']}:{self.port} ({self.security}) "
                f"MAIL FROM {msg['From']} RCPT TO {msg['To']}\n{msg.as_string()}")

    def check(self) -> str:
        """Connect, EHLO (+ STARTTLS) and log in, then NOOP."""
        smtp = self._smtp or self._connect()
        try:
            smtp.noop()
        except (smtplib.SMTPException, OSError) as exc:
            raise self.error(exc) from None
        who = f", logged in as {self.options['username']}" if self.options.get("username") \
            else ""
        return f"{self.options['host']}:{self.port} answered EHLO ({self.security}){who}"

    def close(self) -> None:
        """QUIT the pooled connection."""
        quit_quietly(self._smtp)
        self._smtp = None


class SmtpTransport:
    """One SMTP session of a channel, sending prepared messages one recipient at a time.

    Connection and error classification are the channel's (:meth:`SmtpChannel.open`,
    :meth:`SmtpChannel.error`). :meth:`send` runs the transaction itself so the final dot,
    the step that makes the server accept the message, goes out inside ``final()``.
    """

    def __init__(self, channel: SmtpChannel):
        self.channel = channel
        self.name = channel.name
        self._smtp: smtplib.SMTP | None = None

    def connect(self) -> smtplib.SMTP:
        """Open (or return) the session."""
        if self._smtp is None:
            smtp = self.channel.open()
            # the body goes out in one write; let the final dot leave at once on its own
            if smtp.sock is not None:
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._smtp = smtp
        return self._smtp

    def _reply(self, stage: str, code: int, text: bytes, recipient: str) -> DeliveryError:
        reply = text.decode("utf-8", "replace")
        exc: Exception = smtplib.SMTPRecipientsRefused({recipient: (code, text)}) \
            if stage == "RCPT TO" else smtplib.SMTPResponseException(code, reply)
        return self.channel.error(exc, what=f"{stage} for {recipient}: {code} {reply}")

    def send(self, sender: str, recipient: str, data: bytes,
             final: FinalGuard | None = None) -> None:
        """One transaction; ``data`` must already be :func:`smtp_data`-prepared.

        Raises :class:`RecipientRejectedError` (5xx for this recipient),
        :class:`PermanentDeliveryError` (message refused), :class:`TransientDeliveryError`
        (4xx: try later), :class:`ConnectionLostError` (the server went away; ``dot_sent``
        says whether the final dot was written), :class:`AuthDeliveryError` or
        :class:`DeliveryConfigError` (fix the channel's settings).
        """
        smtp = self.connect()
        stage = "MAIL FROM"
        try:
            if smtp.has_extn("pipelining"):
                stage, code, text = _envelope_pipelined(smtp, sender, recipient)
            else:
                stage, code, text = _envelope(smtp, sender, recipient)
            if code != 354:
                self._rset()
                raise self._reply(stage, code, text, recipient)
            stage = "message"
            smtp.send(data if data.endswith(b"\r\n") else data + b"\r\n")
            stage = "final guard"
            with final() if final is not None else contextlib.nullcontext():
                stage = "final dot"
                smtp.send(b".\r\n")
            code, text = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.close_quietly()
            raise self.channel.error(exc, dot_sent=stage == "final dot",
                                     what=f"connection lost at {stage}") from None
        except BaseException:
            if stage == "final guard":
                # the caller refused the dot: hang up mid-DATA so the server discards it
                self.close_quietly()
            raise
        if code != 250:
            if code in (-1, 421):
                self.close_quietly()
            raise self._reply("end of DATA", code, text, recipient)

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
        quit_quietly(self._smtp)
        self._smtp = None


def quit_quietly(smtp: smtplib.SMTP | None) -> None:
    """QUIT ``smtp`` (just close it when the server is gone already)."""
    if smtp is not None:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def _envelope(smtp: smtplib.SMTP, sender: str, recipient: str) -> tuple[str, int, bytes]:
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
