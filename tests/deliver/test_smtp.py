"""SMTP and the email message, against a real aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from k2publisher.deliver.core import ChannelContext
from k2publisher.deliver.message import ONE_CLICK, build_message
from k2publisher.deliver.registry import load_channel
from k2publisher.errors import (
    AuthDeliveryError,
    ChannelFaultError,
    ConfigError,
    ConnectionLostError,
    TransientDeliveryError,
)
from k2publisher.models import UNSUBSCRIBE_PLACEHOLDER, Part, Rendering
from k2publisher.settings import Settings

from .conftest import POLICY
from .conftest import unguarded_deliver as deliver

PASSWORD = "smtpSecretPassword"


@dataclass
class Mailbox:
    """An aiosmtpd handler that records messages and refuses some recipients."""

    received: list[dict[str, Any]] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("busy@"):
            return "451 4.3.0 Mailbox busy, try again later"
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append({"peer": session.peer, "from": envelope.mail_from,
                              "to": list(envelope.rcpt_tos), "data": envelope.original_content})
        return "250 Message accepted for delivery"


def _authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"k2" \
        and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """A local SMTP server with AUTH over plain connections; yields (mailbox, port)."""
    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, authenticator=_authenticate,
                            auth_require_tls=False)
    controller.start()
    yield box, port
    controller.stop()


def email_rendering(n: int = 1) -> Rendering:
    """An email rendering with the unsubscribe placeholder in both bodies."""
    text = f"Note {n}: vitamin K2 dosage.\nUnsubscribe: {UNSUBSCRIBE_PLACEHOLDER}\n"
    html = f"<p>Note {n}: vitamin K2 dosage.</p><p><a href=\"{UNSUBSCRIBE_PLACEHOLDER}\">" \
           "Unsubscribe</a></p>"
    return Rendering(item_id=f"vitamin-k2/note-{n}", channel="mail", profile="email",
                     family="email", parts=(Part(text=text, html=html),),
                     subject=f"Vitamin K2, note {n}", html=html, text=text)


def smtp_channel(port: int, tmp_path, **options: Any):
    settings = Settings(data={"site": {"name": "K2 Notes", "contact_email": "editor@k2.example"},
                              "paths": {}, "channels": {"mail": {
                                  "type": "smtp", "host": "127.0.0.1", "port": port,
                                  "security": "none", "from": "K2 Notes <news@k2.example>",
                                  "to": ["reader@example.net"], "list_id":
                                  "K2 Notes <notes.k2.example>",
                                  "unsubscribe_url": "https://k2.example/unsubscribe/abc",
                                  "unsubscribe_mailto": "unsubscribe@k2.example",
                                  "reply_to": "editor@k2.example", **options}}},
                        root=tmp_path)
    return load_channel("mail", settings, ChannelContext(settings=settings, policy=POLICY))


def parse(data: bytes):
    return BytesParser(policy=policy.default).parsebytes(data)


def test_several_messages_share_one_connection_with_list_headers(smtp_server, tmp_path):
    box, port = smtp_server
    channel = smtp_channel(port, tmp_path, username="k2", password=PASSWORD)
    receipts = [deliver(channel, email_rendering(n), sleep=pytest.fail) for n in range(3)]
    channel.close()
    assert len(box.received) == 3 and channel.connections == 1
    assert len({r["peer"] for r in box.received}) == 1, "one TCP connection served all three"
    for receipt, got in zip(receipts, box.received, strict=True):
        msg = parse(got["data"])
        assert got["from"] == "news@k2.example" and got["to"] == ["reader@example.net"]
        for name in ("Date", "From", "Message-ID", "MIME-Version", "List-Unsubscribe",
                     "List-Unsubscribe-Post", "List-Id"):
            assert len(msg.get_all(name)) == 1, name
        assert msg["Date"].datetime.utcoffset().total_seconds() == 0
        assert msg["Message-ID"] == receipt.parts[0].remote_id
        assert msg["Message-ID"].endswith("@k2.example>")
        assert msg["List-Unsubscribe"].strip() == \
            "<https://k2.example/unsubscribe/abc>, <mailto:unsubscribe@k2.example>"
        assert msg["List-Unsubscribe-Post"] == ONE_CLICK == "List-Unsubscribe=One-Click"
        assert msg["List-Id"] == "K2 Notes <notes.k2.example>"
        assert msg["Reply-To"] == "editor@k2.example"
        assert msg.get_content_type() == "multipart/alternative"
        parts = list(msg.iter_parts())
        assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
        assert "https://k2.example/unsubscribe/abc" in parts[0].get_content()
        assert 'href="https://k2.example/unsubscribe/abc"' in parts[1].get_content()
        assert UNSUBSCRIBE_PLACEHOLDER not in got["data"].decode()


def test_a_dropped_connection_is_reopened_once(smtp_server, tmp_path):
    box, port = smtp_server
    channel = smtp_channel(port, tmp_path)
    deliver(channel, email_rendering(1), sleep=pytest.fail)
    channel._smtp.docmd("QUIT")  # the server hangs up behind the channel's back
    deliver(channel, email_rendering(2), sleep=pytest.fail)
    channel.close()
    assert len(box.received) == 2 and channel.connections == 2


def test_4xx_recipient_is_transient_and_retried(smtp_server, tmp_path):
    box, port = smtp_server
    channel = smtp_channel(port, tmp_path, to=["busy@example.net"])
    sleeps: list[float] = []
    with pytest.raises(TransientDeliveryError, match="451") as info:
        deliver(channel, email_rendering(), sleep=sleeps.append)
    assert info.value.status == 451
    assert len(sleeps) == POLICY.max_attempts - 1 and box.received == []
    assert all(0 <= w <= POLICY.backoff_ceiling(i) for i, w in enumerate(sleeps, 1))
    channel.close()


def test_5xx_recipient_is_permanent_and_not_retried(smtp_server, tmp_path):
    box, port = smtp_server
    channel = smtp_channel(port, tmp_path, to=["nobody@example.net"])
    # the channel's own `to` refused: its configuration is wrong, not the item
    with pytest.raises(ChannelFaultError, match=r"550.*fix \[channels.mail\] to"):
        deliver(channel, email_rendering(), sleep=pytest.fail)
    # the session stays usable after a refusal
    channel.options["to"] = ["reader@example.net"]
    deliver(channel, email_rendering(), sleep=pytest.fail)
    assert len(box.received) == 1 and channel.connections == 1
    channel.close()


def test_wrong_password_is_an_auth_error_with_the_password_masked(smtp_server, tmp_path):
    _, port = smtp_server
    channel = smtp_channel(port, tmp_path, username="k2", password=PASSWORD + "x")
    with pytest.raises(AuthDeliveryError) as info:
        channel.check()
    assert "username and password" in str(info.value)
    assert PASSWORD not in str(info.value)


def test_check_says_what_answered(smtp_server, tmp_path):
    _, port = smtp_server
    channel = smtp_channel(port, tmp_path, username="k2", password=PASSWORD)
    said = channel.check()
    channel.close()
    assert f"127.0.0.1:{port}" in said and "logged in as k2" in said


def test_nothing_listening_is_a_lost_connection(tmp_path):
    channel = smtp_channel(_free_port(), tmp_path)
    with pytest.raises(ConnectionLostError) as info:
        channel.send_message(build_message(email_rendering(), sender="a@k2.example",
                                           to=["b@example.net"]))
    assert info.value.dot_sent is False


def test_send_message_is_the_newsletter_entry_point(smtp_server, tmp_path):
    box, port = smtp_server
    channel = smtp_channel(port, tmp_path)
    msg = build_message(email_rendering(), sender="K2 <news@k2.example>", to="x@example.net",
                        unsubscribe_url="https://k2.example/u/TOKEN", unsubscribe_mailto=None,
                        list_id="<notes.k2.example>", reply_to=None)
    assert channel.send_message(msg) == msg["Message-ID"]
    channel.close()
    got = parse(box.received[0]["data"])
    assert got["List-Unsubscribe"] == "<https://k2.example/u/TOKEN>"
    assert "https://k2.example/u/TOKEN" in got.get_body(("plain",)).get_content()


def test_unsubscribe_url_must_be_https():
    with pytest.raises(ConfigError, match="https"):
        build_message(email_rendering(), sender="a@k2.example", to=["b@example.net"],
                      unsubscribe_url="http://k2.example/u")


def test_unknown_security_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="none, starttls or tls"):
        smtp_channel(25, tmp_path, security="ssl")


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_modes_log_in_over_an_encrypted_connection(certificate, tmp_path, security):
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    box, port = Mailbox(), _free_port()
    tls_kwargs = {"tls_context": server_tls, "require_starttls": True} \
        if security == "starttls" else {"ssl_context": server_tls}
    # aiosmtpd only counts STARTTLS as TLS for AUTH; on implicit TLS the socket is encrypted
    controller = Controller(box, hostname="127.0.0.1", port=port, authenticator=_authenticate,
                            auth_require_tls=security == "starttls", **tls_kwargs)
    controller.start()
    try:
        channel = smtp_channel(port, tmp_path, security=security, username="k2",
                               password=PASSWORD, ca_file=str(cert))
        deliver(channel, email_rendering(1), sleep=pytest.fail)
        deliver(channel, email_rendering(2), sleep=pytest.fail)
        channel.close()
        assert len(box.received) == 2 and channel.connections == 1
        untrusted = smtp_channel(port, tmp_path, security=security, username="k2",
                                 password=PASSWORD)
        with pytest.raises(ChannelFaultError, match="ca_file") as info:
            untrusted.check()
        assert not isinstance(info.value, TransientDeliveryError)
    finally:
        controller.stop()


class _SilentAfterDot(Mailbox):
    """Takes the message, then hangs up (or goes silent) instead of answering 250."""

    def __init__(self, silent: bool):
        super().__init__()
        self.silent = silent

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        self.received.append({"to": list(envelope.rcpt_tos), "data": envelope.original_content})
        if self.silent:
            await asyncio.sleep(5)
        server.transport.abort()
        await asyncio.sleep(0)
        return "250 never seen"


@pytest.mark.parametrize("silent", [False, True], ids=["hang-up", "silence"])
def test_after_the_final_dot_a_lost_answer_is_unconfirmed_never_resent(tmp_path, silent):
    from dataclasses import replace

    from k2publisher.errors import UncertainDeliveryError

    box, port = _SilentAfterDot(silent), _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        channel = smtp_channel(port, tmp_path)
        channel.timeout = 1.0  # the read timeout that notices the silence
        with pytest.raises(UncertainDeliveryError, match="after the final dot"):
            deliver(channel, email_rendering(), sleep=pytest.fail,
                    policy=replace(POLICY, timeout=1.0))
        assert len(box.received) == 1  # the server has it once; nothing sent again
        channel.close()
    finally:
        controller.stop()
