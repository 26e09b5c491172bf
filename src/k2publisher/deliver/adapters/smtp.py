"""SMTP: one connection (plain, STARTTLS or implicit TLS) reused across messages.

The connection opens on the first message and stays open between :meth:`send_part` calls
(and :meth:`SmtpChannel.send_message` calls from the newsletter); a server that hung up is
reconnected once. Replies map to errors: 4xx transient, 5xx permanent, failed login auth.
"""

from __future__ import annotations

import smtplib
import ssl
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

    def _error(self, exc: Exception, dot_sent: bool = False) -> DeliveryError:
        text = mask(f"{self.options['host']}:{self.port}: {type(exc).__name__}: {exc}",
                    self._secrets())
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
        if isinstance(exc, ssl.SSLError):
            return ChannelFaultError(f"{text} (TLS failed: check security and port, or set "
                                     "ca_file for a private CA)", channel=self.name)
        # disconnects, timeouts, refused connections
        return ConnectionLostError(text, channel=self.name, dot_sent=dot_sent)

    def _tls(self) -> ssl.SSLContext:
        """Verified TLS; ``ca_file`` adds a private CA (a self-hosted relay)."""
        ca_file = self.options.get("ca_file")
        path = self.context.resolve(str(ca_file)) if ca_file and self.context else ca_file
        return ssl.create_default_context(cafile=str(path) if path else None)

    def _connect(self) -> _SMTP | _SMTPSSL:
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
            raise self._error(exc) from None
        self.connections += 1
        self._smtp = smtp
        return smtp

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
                    raise self._error(exc, smtp.dot_sent) from None
            except (smtplib.SMTPException, OSError) as exc:
                self._reset()
                raise self._error(exc, smtp.dot_sent) from None
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
            raise self._error(exc) from None
        who = f", logged in as {self.options['username']}" if self.options.get("username") \
            else ""
        return f"{self.options['host']}:{self.port} answered EHLO ({self.security}){who}"

    def close(self) -> None:
        """QUIT the pooled connection."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None
