"""Fixtures for the newsletter tests: a site folder, its settings, and recording SMTP servers."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, syntax

from k2publisher.settings import Settings, load_settings


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def store_table(url: str) -> str:
    """The ``[store]`` table of a config for ``url`` ("" = none: the SQLite default)."""
    return f'[store]\nurl = "{url}"\n' if url else ""


def write_config(root: Path, extra: str = "") -> Path:
    """A site config under ``root/config`` sending through the Maildir channel.

    A ``[store]`` table written in ``root/config/store.url`` (by the ``store_url``
    fixture) is kept, so a test rewriting its config stays on its backend.
    """
    (root / "config").mkdir(parents=True, exist_ok=True)
    path = root / "config" / "k2publisher.toml"
    marker = root / "config" / "store.url"
    url = marker.read_text(encoding="utf-8") if marker.exists() else ""
    path.write_text(
        '[site]\nname = "K2 Notes"\nbase_url = "https://k2.example.org"\n'
        'contact_email = "editor@k2.example.org"\n' + store_table(url) +
        '[newsletter]\nrate_per_second = 0\n' + extra, encoding="utf-8")
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest) -> str:
    """The ``[store] url`` of the newsletter tests' sites: every newsletter test runs on
    SQLite ("") and on a fresh PostgreSQL database (``pg_url``)."""
    return "" if request.param == "sqlite" else request.getfixturevalue("pg_url")


@pytest.fixture
def site(tmp_path: Path, store_url: str) -> Path:
    """A site folder with a config (Maildir channel, no rate limit) on ``store_url``."""
    (tmp_path / "config").mkdir(parents=True, exist_ok=True)
    if store_url:
        (tmp_path / "config" / "store.url").write_text(store_url, encoding="utf-8")
    write_config(tmp_path)
    return tmp_path


@pytest.fixture
def settings(site: Path) -> Settings:
    """Settings of the ``site`` folder."""
    return load_settings(site / "config" / "k2publisher.toml", environ={})


@dataclass
class Recording:
    """What a recording SMTP server accepted, and how to make it misbehave."""

    messages: list[tuple[str, bytes]] = field(default_factory=list)
    #: the envelope sender (MAIL FROM) of each accepted recipient, in order
    senders: list[tuple[str, str]] = field(default_factory=list)
    #: address -> list of replies to give to RCPT TO, consumed one per attempt
    rcpt_replies: dict[str, list[str]] = field(default_factory=dict)
    #: addresses for which the server drops the connection in the middle of DATA (once each)
    drop_in_data: set[str] = field(default_factory=set)
    #: addresses whose message is accepted, then the connection dropped before the reply
    drop_after_accept: set[str] = field(default_factory=set)
    #: addresses whose message is accepted (recorded), then the reply held until
    #: :attr:`release` is set: the client waits after its final dot
    hold_after_accept: set[str] = field(default_factory=set)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: advertise PIPELINING (RFC 2920) in the EHLO answer
    pipelining: bool = True

    def per_recipient(self) -> Counter[str]:
        """How many messages each recipient received."""
        with self.lock:
            return Counter(rcpt for rcpt, _ in self.messages)

    def against_rows(self, store: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """Recipients of ``store``'s delivery rows without a copy here (lost), and those with
        more than one (``(copies, row)``); a row holds ``state``, ``assumed`` (counted as a
        possible duplicate), ``attempts`` and ``error``."""
        counts = self.per_recipient()
        rows = {r["email"]: dict(r) for r in store.query(
            "SELECT s.email, d.state, d.assumed, d.attempts, d.error FROM "
            "newsletter_deliveries d JOIN newsletter_subscribers s ON s.id = d.subscriber_id")}
        lost = {r: row for r, row in rows.items() if not counts.get(r)}
        extra = {r: (counts[r], row) for r, row in rows.items() if counts[r] > 1}
        return lost, extra


class RecordingHandler:
    """An aiosmtpd handler that records every accepted message per recipient."""

    def __init__(self, recording: Recording):
        self.recording = recording

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        session.host_name = hostname
        if self.recording.pipelining:  # aiosmtpd reads commands one line at a time anyway
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        with self.recording.lock:
            replies = self.recording.rcpt_replies.get(address)
            reply = replies.pop(0) if replies else None
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        rcpt = envelope.rcpt_tos[0]
        with self.recording.lock:
            for r in envelope.rcpt_tos:
                self.recording.messages.append((r, envelope.original_content))
                self.recording.senders.append((r, envelope.mail_from))
            drop = rcpt in self.recording.drop_after_accept
            self.recording.drop_after_accept.discard(rcpt)
            hold = rcpt in self.recording.hold_after_accept
        while hold and not self.recording.release.is_set():
            await asyncio.sleep(0.02)
        if drop:
            server.transport.abort()
            await asyncio.sleep(0)
        return "250 Message accepted"


class FaultySMTP(SMTP):
    """aiosmtpd's server, able to hang up halfway through a message's DATA."""

    def __init__(self, handler: RecordingHandler, **kwargs: Any):
        super().__init__(handler, **kwargs)
        self.recording = handler.recording

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        rcpts = list(self.envelope.rcpt_tos) if self.envelope else []
        with self.recording.lock:
            drop = [r for r in rcpts if r in self.recording.drop_in_data]
            self.recording.drop_in_data.difference_update(drop)
        if not drop:
            await super().smtp_DATA(arg)
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        await self._reader.readuntil(b"\r\n")
        self.transport.abort()


class FaultyController(Controller):
    """A controller serving :class:`FaultySMTP`."""

    def factory(self) -> SMTP:
        return FaultySMTP(self.handler, **self.SMTP_kwargs)


@dataclass
class SmtpServer:
    """A running recording server."""

    host: str
    port: int
    recording: Recording
    controller: Controller

    def stop(self) -> None:
        """Stop listening (the fan-out sees the server go away)."""
        self.controller.stop()

    def start(self) -> None:
        """Listen again on the same port (a fresh controller, the same recording)."""
        self.controller = FaultyController(RecordingHandler(self.recording),
                                           hostname=self.host, port=self.port)
        self.controller.start()


@pytest.fixture(params=[True, False], ids=["pipelining", "one-by-one"])
def smtp_server(request: pytest.FixtureRequest) -> Iterator[SmtpServer]:
    """An aiosmtpd server on 127.0.0.1 recording every accepted message.

    Each test runs twice: with PIPELINING advertised and without, so both envelope paths
    of the transport meet the same faults.
    """
    recording = Recording(pipelining=request.param)
    port = free_port()
    controller = FaultyController(RecordingHandler(recording), hostname="127.0.0.1", port=port)
    controller.start()
    server = SmtpServer("127.0.0.1", port, recording, controller)
    yield server
    recording.release.set()
    with contextlib.suppress(AssertionError, RuntimeError):
        server.controller.stop()


def smtp_config(server: SmtpServer, extra: str = "") -> str:
    """Config lines pointing the newsletter at ``server``."""
    return (f'[channels.mail]\ntype = "smtp"\nhost = "{server.host}"\nport = {server.port}\n'
            f'security = "none"\nfrom = "K2 Notes <news@k2.example.org>"\n'
            f'[newsletter]\nchannel = "mail"\nconnections = 4\n'
            + ("" if "rate_per_second" in extra else "rate_per_second = 0\n") + extra)


@pytest.fixture
def smtp_settings(tmp_path: Path, smtp_server: SmtpServer, store_url: str
                  ) -> Callable[..., Settings]:
    """Settings for a site sending through ``smtp_server`` (extra [newsletter] lines allowed)."""

    def make(extra: str = "") -> Settings:
        (tmp_path / "config").mkdir(exist_ok=True)
        path = tmp_path / "config" / "k2publisher.toml"
        path.write_text('[site]\nname = "K2 Notes"\nbase_url = "https://k2.example.org"\n'
                        'contact_email = "editor@k2.example.org"\n' + store_table(store_url)
                        + smtp_config(smtp_server, extra), encoding="utf-8")
        return load_settings(path, environ={})

    return make


@pytest.fixture
def configure(site: Path) -> Callable[[str], Settings]:
    """Settings of ``site`` with extra ``[newsletter]`` lines."""

    def make(extra: str) -> Settings:
        return load_settings(write_config(site, extra), environ={})

    return make

