"""Fetching an import source from a URL: bounded in size and time, and no SSRF.

``k2publisher import URL`` reads what the user asked for, and nothing it did not: redirects
are followed by hand (at most :data:`MAX_REDIRECTS`), and a redirect may only lead to the
origin that was asked for or to a public address; one into loopback, a private network,
link-local (cloud metadata at 169.254.169.254) or any other non-global address is refused.
The body is read in chunks and refused past :data:`MAX_BYTES`; the whole fetch, redirects
included, must finish within :data:`DEADLINE` seconds.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from urllib.parse import urljoin, urlsplit

import requests

from k2publisher.errors import ImportSourceError

MAX_BYTES = 10 * 1024 * 1024
DEADLINE = 30.0
MAX_REDIRECTS = 5
CONNECT_TIMEOUT = 10.0
USER_AGENT = "k2publisher-importer/1"
_CHUNK = 64 * 1024


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url`` (the port made explicit)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def non_public_address(host: str, port: int) -> str | None:
    """The first address ``host`` resolves to that is not a public one, else None."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ImportSourceError(f"cannot resolve {host}: {exc.strerror}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        mapped = getattr(address, "ipv4_mapped", None)
        if not (mapped or address).is_global:
            return str(address)
    return None


def _check_target(url: str, asked: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImportSourceError(f"refusing to follow a redirect to {url!r}: only http(s) "
                                "addresses are fetched")
    if origin(url) == origin(asked):
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    private = non_public_address(parts.hostname, port)
    if private:
        raise ImportSourceError(
            f"{asked} redirects to {url}, which is a non-public address ({private}); "
            "refused (a page may not send the importer into your own network). Import "
            "that address directly if you mean it")


def fetch(url: str, *, max_bytes: int | None = None, deadline: float | None = None) -> bytes:
    """The body at ``url``; :class:`ImportSourceError` on any failure, an oversized body,
    a fetch slower than the deadline, or a redirect into a non-public address."""
    limit = MAX_BYTES if max_bytes is None else max_bytes
    ends = time.monotonic() + (DEADLINE if deadline is None else deadline)
    current = url
    with requests.Session() as session:
        session.trust_env = False  # no proxy from the environment to reach around the checks
        for _ in range(MAX_REDIRECTS + 1):
            _check_target(current, url)
            left = ends - time.monotonic()
            if left <= 0:
                raise ImportSourceError(f"cannot fetch {url}: took longer than "
                                        f"{DEADLINE if deadline is None else deadline:g} s")
            try:
                response = session.get(current, stream=True, allow_redirects=False,
                                       timeout=(min(CONNECT_TIMEOUT, left), left),
                                       headers={"User-Agent": USER_AGENT})
            except requests.RequestException as exc:
                raise ImportSourceError(f"cannot fetch {url}: {exc}") from None
            with response:
                if response.is_redirect:
                    current = urljoin(current, response.headers.get("Location", ""))
                    continue
                try:
                    response.raise_for_status()
                except requests.HTTPError as exc:
                    raise ImportSourceError(f"cannot fetch {url}: {exc}") from None
                return _read(response, url, limit, ends)
    raise ImportSourceError(f"cannot fetch {url}: more than {MAX_REDIRECTS} redirects")


def _read(response: requests.Response, url: str, limit: int, ends: float) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ImportSourceError(f"{url} is {int(declared):,} bytes; at most {limit:,} are "
                                "imported")
    body = bytearray()
    raw = response.raw
    # read1 returns what has arrived (urllib3 2); read(n) would wait for n bytes past the end
    chunks = iter(lambda: raw.read1(_CHUNK, decode_content=True), b"") \
        if hasattr(raw, "read1") else response.iter_content(_CHUNK)
    try:
        for chunk in chunks:
            body += chunk
            if len(body) > limit:
                raise ImportSourceError(f"{url} is larger than {limit:,} bytes; refused")
            if time.monotonic() > ends:
                raise ImportSourceError(f"cannot fetch {url}: the body did not arrive in time")
    except requests.RequestException as exc:
        raise ImportSourceError(f"cannot fetch {url}: {exc}") from None
    return bytes(body)
