"""Fixtures for the delivery tests: a fake network on 127.0.0.1, a fixed clock, a socket that
resets every connection, recorded sleeps and a fast retry policy."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from k2publisher.deliver.core import ChannelContext, RetryPolicy
from k2publisher.models import Part, Rendering

FIXED_NOW = datetime(2026, 11, 23, 12, 34, 56, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=3, backoff_base=0.5, backoff_max=4.0, max_wait=60.0,
                     connect_timeout=2.0, timeout=3.0)  # loopback, but a loaded machine


@dataclass
class Seen:
    """One request the fake network received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The request body as JSON."""
        return json.loads(self.body)


Reply = Response | Callable[[Seen, int], Response]


@dataclass
class FakeNetwork:
    """Answers per path: scripted replies first (in order), then the route's default reply."""

    server: HTTPServer
    seen: list[Seen] = field(default_factory=list)
    routes: dict[str, Callable[[Seen, int], Response]] = field(default_factory=dict)
    scripts: dict[str, list[Reply]] = field(default_factory=dict)

    @property
    def base(self) -> str:
        """The server's base URL (no trailing slash)."""
        return self.server.url_for("").rstrip("/")

    def route(self, path: str, reply: Callable[[Seen, int], Response]) -> None:
        """Answer ``path`` with ``reply(seen, n)`` (n = how many earlier requests it had)."""
        self.routes[path] = reply

    def script(self, path: str, *replies: Reply) -> None:
        """Answer the next requests to ``path`` with ``replies`` before the default."""
        self.scripts.setdefault(path, []).extend(replies)

    def to(self, path: str) -> list[Seen]:
        """The requests made to ``path``."""
        return [s for s in self.seen if s.path == path]

    def handle(self, request: Request) -> Response:
        """Record the request and answer it (script first, then the route)."""
        seen = Seen(request.method, request.path, dict(request.args), dict(request.headers),
                    request.get_data())
        self.seen.append(seen)
        queued = self.scripts.get(request.path)
        if queued:
            reply = queued.pop(0)
            return reply(seen, 0) if callable(reply) and not isinstance(reply, Response) \
                else reply
        if request.path not in self.routes:
            return Response("no route", status=404)
        done = sum(1 for s in self.seen[:-1] if s.path == request.path)
        return self.routes[request.path](seen, done)


def json_reply(data: Any, status: int = 200, headers: dict[str, str] | None = None
               ) -> Response:
    """A JSON response like the networks send."""
    return Response(json.dumps(data), status=status, headers=headers or {},
                    content_type="application/json")


@pytest.fixture(scope="session")
def http_server() -> Iterator[HTTPServer]:
    """One threaded HTTP server on 127.0.0.1 for the whole session."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def network(http_server: HTTPServer) -> Iterator[FakeNetwork]:
    """A fresh fake network answering every path on the shared server."""
    http_server.clear()
    fake = FakeNetwork(http_server)
    http_server.expect_request(re.compile(".*")).respond_with_handler(fake.handle)
    yield fake
    http_server.clear()


@pytest.fixture
def resetting_server() -> Iterator[str]:
    """A TCP server that resets (RST) every connection; yields its base URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            with contextlib.suppress(OSError):
                conn.recv(65536)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(timeout=2)
    listener.close()


@pytest.fixture
def sleeps() -> list[float]:
    """Every wait the delivery core asked for (recorded instead of slept)."""
    return []


@pytest.fixture
def context() -> ChannelContext:
    """A context with the fast test policy and the fixed clock."""
    return ChannelContext(settings=None, policy=POLICY, clock=lambda: FIXED_NOW)


def thread_rendering(channel: str, profile: str = "mastodon", parts: int = 3) -> Rendering:
    """A social rendering of ``parts`` posts; the first has a link facet."""
    link = "https://k2.example/archive/vitamin-k2/dosage/"
    first = f"Vitamin K2 dosage, explained ✨ {link} #K2"
    start = len(first.encode()[:first.encode().index(b"https")])
    facet = {"index": {"byteStart": start, "byteEnd": start + len(link.encode())},
             "features": [{"$type": "app.bsky.richtext.facet#link", "uri": link}]}
    texts = [first] + [f"Part {i + 1}: not medical advice." for i in range(1, parts)]
    return Rendering(item_id="vitamin-k2/dosage", channel=channel, profile=profile,
                     family="social",
                     parts=tuple(Part(text=t, facets=(facet,) if i == 0 else ())
                                 for i, t in enumerate(texts)),
                     link=link, limit=500, counter="chars")


#: rules whose one disclaimer no synthetic item triggers: the guard still runs every other
#: check (empty parts, template leftovers, markup, lengths), just no disclaimer is required
TRANSPORT_RULES = """
[structure_function]
verbs = '\\bneververb\\b'
targets = '\\bnevertarget\\b'
subjects = '\\bneversubject\\b'

[[disclaimer]]
id = "TRANSPORT_TEST_ONLY"
text = "Only for items tagged transport-test-only."
priority = 1
placement = "footer"
critical = false
when = { tags = ["transport-test-only"] }
"""


def synthetic_publication(channel: Any, rendering: Any) -> Any:
    """``rendering`` approved for ``channel`` by a real ``Pipeline.prepare``.

    Transport tests (retries, recording, request shapes) send synthetic renderings that
    carry no disclaimers, so the pipeline gets rules that require none and the claims scan
    is off; the status gate and every other guard check still run. The real rules are tested
    in tests/guard and through the Publisher in tests/deliver/test_local_channels.py.
    """
    from k2publisher.guard.disclaimers import DisclaimerRules, prose
    from k2publisher.models import Item, Kind, Status
    from k2publisher.pipeline import Pipeline
    from k2publisher.settings import Settings

    settings = Settings(data={"guard": {"claims": "off"}, "site": {}, "paths": {}},
                        root=Path("."))
    rules = DisclaimerRules.from_toml(TRANSPORT_RULES)
    pipeline = Pipeline(settings, rules=rules)
    # the item's title is what its first post says, so the guard finds the subject there
    title = prose(rendering.parts[0].text, rules) if rendering.parts else "t"
    item = Item(id=rendering.item_id, kind=Kind.MECHANISM_EXPLAINER, title=title or "t",
                summary="s", body="b", status=Status.READY)
    return pipeline.prepare(item, channel, rendering=rendering)


def unguarded_deliver(channel: Any, rendering: Any, **options: Any) -> Any:
    """The delivery core for a synthetic rendering (see :func:`synthetic_publication`)."""
    from k2publisher.deliver.core import deliver

    return deliver(synthetic_publication(channel, rendering), **options)
