"""`import URL` fetches are bounded (size, deadline) and never redirected into a private
network; a real HTTP server on loopback plays the page (it is the origin that was asked
for, so it may be fetched; any *other* loopback origin is what a malicious redirect would
reach)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from k2publisher.content.importers import fetch as fetching
from k2publisher.content.importers.fetch import fetch
from k2publisher.errors import ImportSourceError

PAGE = b"<html><body><h1>Magnesium</h1><p>Text.</p></body></html>"


@pytest.fixture
def inner() -> Iterator[HTTPServer]:
    """A second loopback server: an internal service a redirect must not reach."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    server.expect_request("/admin").respond_with_data("internal secrets")
    yield server
    server.clear()
    server.stop()


def redirect(to: str, status: int = 302) -> Response:
    return Response("", status=status, headers={"Location": to})


def test_the_asked_origin_is_fetched_and_its_own_redirects_followed(httpserver) -> None:
    httpserver.expect_request("/old").respond_with_response(redirect("/page", 301))
    httpserver.expect_request("/page").respond_with_data(PAGE, content_type="text/html")
    assert fetch(httpserver.url_for("/old")) == PAGE


@pytest.mark.parametrize("target", ["inner", "localhost", "metadata", "file", "ipv6"])
def test_a_redirect_into_a_non_public_address_is_refused(httpserver, inner: HTTPServer,
                                                         target: str) -> None:
    location = {
        "inner": inner.url_for("/admin"),
        # the same server under its other name is another origin: also loopback
        "localhost": httpserver.url_for("/page").replace("localhost", "127.0.0.1")
        if "localhost" in httpserver.url_for("/") else
        httpserver.url_for("/page").replace("127.0.0.1", "localhost"),
        "metadata": "http://169.254.169.254/latest/meta-data/",
        "file": "file:///etc/passwd",
        "ipv6": "http://[::1]:9/",
    }[target]
    httpserver.expect_request("/go").respond_with_response(redirect(location))
    with pytest.raises(ImportSourceError) as caught:
        fetch(httpserver.url_for("/go"))
    message = str(caught.value)
    assert "refus" in message
    assert not inner.log, "the internal server was reached"


def test_a_body_larger_than_the_cap_is_refused(httpserver, monkeypatch) -> None:
    monkeypatch.setattr(fetching, "MAX_BYTES", 100_000)
    httpserver.expect_request("/big").respond_with_data(b"x" * 200_000)
    with pytest.raises(ImportSourceError, match="200,000 bytes; at most 100,000"):
        fetch(httpserver.url_for("/big"))

    def chunked(request: Request) -> Response:  # no Content-Length: counted while reading
        return Response((b"y" * 10_000 for _ in range(50)), content_type="text/html")

    httpserver.expect_request("/stream").respond_with_handler(chunked)
    with pytest.raises(ImportSourceError, match="larger than 100,000 bytes"):
        fetch(httpserver.url_for("/stream"))


def test_a_trickling_server_hits_the_deadline(httpserver) -> None:
    def trickle(request: Request) -> Response:
        def body() -> Iterator[bytes]:
            for _ in range(40):
                yield b"z" * 100
                time.sleep(0.1)
        return Response(body(), content_type="text/html")

    httpserver.expect_request("/slow").respond_with_handler(trickle)
    started = time.monotonic()
    with pytest.raises(ImportSourceError, match=r"in time|longer than"):
        fetch(httpserver.url_for("/slow"), deadline=1.0)
    assert time.monotonic() - started < 3.0


def test_the_cli_reports_a_refused_redirect(run_cli, httpserver, inner: HTTPServer,
                                            tmp_path) -> None:
    httpserver.expect_request("/feed.xml").respond_with_response(
        redirect(inner.url_for("/admin")))
    with pytest.raises(ImportSourceError, match="non-public address"):
        run_cli("import", httpserver.url_for("/feed.xml"), "--dry-run", "--queue",
                str(tmp_path / "q"))
    assert not inner.log
