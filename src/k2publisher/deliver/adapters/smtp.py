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
    :meth:`SmtpChannel.error`). A transaction runs in steps, so a fan-out can drive several
    sessions at once and commit between the body and the final dot (see
    :mod:`k2publisher.newsletter.rounds`): :meth:`step` writes, in one write, the final
    dot of the message transmitted last and the next envelope (MAIL FROM, RCPT TO, DATA:
    pipelined after the dot where the server offers PIPELINING, RFC 2920);
    :meth:`dot_reply` reads the answer to that dot, :meth:`transmit` the envelope's answers
    and writes the next body without its dot. :meth:`send` is one transaction through the
    same steps, its final dot inside ``final()``.
    """

    def __init__(self, channel: SmtpChannel):
        self.channel = channel
        self.name = channel.name
        self._smtp: smtplib.SMTP | None = None
        #: (sender, recipient) of the envelope :meth:`step` wrote or queued
        self._envelope: tuple[str, str] | None = None
        #: whether the envelope went out pipelined (its three answers are still to read)
        self._pipelined = False
        #: a body was transmitted and its final dot not yet written
        self._staged = False
        #: a final dot was written and its answer not yet read
        self._dotted = False
        #: the recipient of the message whose final dot was written last
        self._dot_for = ""
        #: why the last :meth:`step` could not connect (reported by :meth:`transmit`)
        self._refused: DeliveryError | None = None
        #: why the last :meth:`step` could not write (reported by the reads that follow)
        self._broken: Exception | None = None

    def connect(self) -> smtplib.SMTP:
        """Open (or return) the session."""
        if self._smtp is None:
            smtp = self.channel.open()
            # bodies and dots go out in single writes; let each leave at once
            if smtp.sock is not None:
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._smtp = smtp
        return self._smtp

    @property
    def staged(self) -> bool:
        """Whether a transmitted message waits for its final dot."""
        return self._staged

    def _reply(self, stage: str, code: int, text: bytes, recipient: str) -> DeliveryError:
        reply = text.decode("utf-8", "replace")
        exc: Exception = smtplib.SMTPRecipientsRefused({recipient: (code, text)}) \
            if stage == "RCPT TO" else smtplib.SMTPResponseException(code, reply)
        return self.channel.error(exc, what=f"{stage} for {recipient}: {code} {reply}")

    def _lost(self, exc: Exception, stage: str, *, dot_sent: bool) -> DeliveryError:
        self.close_quietly()
        return self.channel.error(exc, dot_sent=dot_sent, what=f"connection lost at {stage}")

    def step(self, sender: str | None = None, recipient: str | None = None) -> None:
        """Write the staged message's final dot (if any) and the next envelope (if given).

        Never raises: a failure to connect or to write is reported by the reads that
        follow (:meth:`dot_reply` for the dot, :meth:`transmit` for the envelope).
        """
        out = b""
        self._broken = self._refused = None
        self._envelope = (sender, recipient) if sender is not None and \
            recipient is not None else None
        self._pipelined = False
        if self._staged:
            out = b".\r\n"
            self._staged, self._dotted = False, True
        try:
            if self._envelope is not None:
                smtp = self.connect()
                if smtp.has_extn("pipelining"):
                    out += (f"MAIL FROM:{envelope_address(sender)}\r\nRCPT TO:"
                            f"{envelope_address(recipient)}\r\nDATA\r\n").encode("ascii")
                    self._pipelined = True
            if out:
                if self._smtp is None:
                    raise smtplib.SMTPServerDisconnected("the session is closed")
                self._smtp.send(out)
        except DeliveryError as exc:  # could not connect: the envelope's copy says so
            self._refused = exc
        except (smtplib.SMTPException, OSError) as exc:
            self._broken = exc
            self.close_quietly()

    def dot_reply(self) -> None:
        """Read the answer to the final dot :meth:`step` wrote; raises as :meth:`send`."""
        if not self._dotted:
            return
        self._dotted = False
        recipient = self._dot_for
        if self._broken is not None:  # part of the dot may have gone out: maybe accepted
            raise self.channel.error(self._broken, dot_sent=True,
                                     what=f"connection lost at final dot for {recipient}")
        try:
            if self._smtp is None:
                raise smtplib.SMTPServerDisconnected("the session is closed")
            code, text = self._smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise self._lost(exc, "final dot", dot_sent=True) from None
        if code != 250:
            if code in (-1, 421):
                self.close_quietly()
            raise self._reply("end of DATA", code, text, recipient)

    def transmit(self, data: bytes) -> None:
        """Read the answers to the envelope :meth:`step` wrote and write ``data`` (already
        :func:`smtp_data`-prepared), all but the final dot; raises as :meth:`send`."""
        if self._envelope is None or self._dotted:
            raise RuntimeError("transmit() needs an envelope from step() and the previous "
                               "dot's reply read first")
        sender, recipient = self._envelope
        self._envelope = None
        if self._refused is not None:
            raise self._refused
        if self._broken is not None or self._smtp is None:
            raise self.channel.error(self._broken or smtplib.SMTPServerDisconnected(
                "the session is closed"), what=f"connection lost at MAIL FROM for {recipient}")
        smtp = self._smtp
        stage = "MAIL FROM"
        try:
            if self._pipelined:
                stage, code, text = _pipelined_replies(smtp)
            else:
                stage, code, text = _envelope(smtp, sender, recipient)
            if code != 354:
                self._rset()
                raise self._reply(stage, code, text, recipient)
            stage = "message"
            smtp.send(data if data.endswith(b"\r\n") else data + b"\r\n")
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise self._lost(exc, stage, dot_sent=False) from None
        self._staged = True
        self._dot_for = recipient

    def send(self, sender: str, recipient: str, data: bytes,
             final: FinalGuard | None = None) -> None:
        """One transaction; ``data`` must already be :func:`smtp_data`-prepared.

        Raises :class:`RecipientRejectedError` (5xx for this recipient),
        :class:`PermanentDeliveryError` (message refused), :class:`TransientDeliveryError`
        (4xx: try later), :class:`ConnectionLostError` (the server went away; ``dot_sent``
        says whether the final dot was written), :class:`AuthDeliveryError` or
        :class:`DeliveryConfigError` (fix the channel's settings).
        """
        self.step(sender, recipient)
        self.transmit(data)
        try:
            with final() if final is not None else contextlib.nullcontext():
                self.step()
        except BaseException:
            self.drop()  # the caller refused the dot: hang up mid-DATA, the server discards it
            raise
        self.dot_reply()

    def drop(self) -> None:
        """Hang up without the staged message's final dot: the server discards it."""
        self._staged = False
        self.close_quietly()

    def _rset(self) -> None:
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.close_quietly()

    def close_quietly(self) -> None:
        """Drop the session without a QUIT (after an error)."""
        self._staged = False
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def close(self) -> None:
        """QUIT and close."""
        quit_quietly(self._smtp)
        self._smtp = None


#: a dot-atom address (RFC 5322): nothing in it that :func:`smtplib.quoteaddr` would parse
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+")


def envelope_address(address: str) -> str:
    """``address`` as MAIL FROM / RCPT TO take it, ``<local@domain>``: a dot-atom address
    (what the subscriber store keeps) directly, as :func:`smtplib.quoteaddr` would write
    it at a tenth of the cost; anything else through ``quoteaddr``."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>"
    return smtplib.quoteaddr(address)


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


def _pipelined_replies(smtp: smtplib.SMTP) -> tuple[str, int, bytes]:
    """The three answers to a pipelined MAIL FROM, RCPT TO, DATA (RFC 2920): the failing
    stage and its reply, or DATA's 354."""
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
