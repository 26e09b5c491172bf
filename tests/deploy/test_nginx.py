"""deploy/nginx.conf's rules, run by Debian's nginx on loopback, serve the published files."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from tests.conftest import REPO

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = pytest.mark.skipif(not Path(NGINX).exists(),
                                reason="nginx is not installed (Debian package `nginx`)")


def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def site_block(public: Path, port: int, upstream: int) -> str:
    """deploy/nginx.conf with only its address, root and upstream port changed."""
    text = (REPO / "deploy" / "nginx.conf").read_text()
    for pattern, new in ((r"listen 80;", f"listen 127.0.0.1:{port};"),
                         (r"listen \[::\]:80;", ""),
                         (r"root /srv/k2publisher/site/public;", f"root {public};"),
                         (r"server 127\.0\.0\.1:8025;", f"server 127.0.0.1:{upstream};")):
        text, n = re.subn(pattern, new, text)
        assert n == 1, f"deploy/nginx.conf no longer has {pattern!r}: update this test"
    return text


def web_user() -> str | None:
    """The user nginx's workers run as when started by root (as a packaged nginx does)."""
    if os.geteuid() != 0:
        return None
    for name in ("www-data", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    return None


@pytest.fixture
def nginx(published_site: Path) -> Iterator[str]:
    """nginx serving the site's public folder; yields its base URL."""
    work = published_site.parent / "nginx"
    work.mkdir()
    port = free_port()
    user = web_user()
    temps = "\n".join(f"  {kind}_temp_path {work}/{kind};"
                      for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = work / "nginx.conf"
    conf.write_text(
        (f"user {user};\n" if user else "")
        + f"worker_processes 1;\npid {work}/nginx.pid;\nerror_log {work}/error.log;\n"
        "events { worker_connections 64; }\n"
        f"http {{\n  include /etc/nginx/mime.types;\n  access_log off;\n{temps}\n"
        + site_block(published_site / "public", port, free_port()) + "\n}\n")
    proc = subprocess.Popen([NGINX, "-e", str(work / "error.log"), "-p", str(work),
                             "-c", str(conf), "-g", "daemon off;"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"nginx exited: {out}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("nginx did not start listening")
                time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


def test_nginx_serves_the_feed_and_an_archive_page(nginx: str) -> None:
    feed = requests.get(f"{nginx}/feed.xml", timeout=5)
    assert feed.status_code == 200, feed.text
    assert feed.headers["Content-Type"].startswith("application/rss+xml")
    assert "<rss" in feed.text and "Dosage" in feed.text
    page = requests.get(f"{nginx}/archive/vitamin-k2/dosage/", timeout=5)
    assert page.status_code == 200, page.text
    assert "Dosage" in page.text
    index = requests.get(f"{nginx}/archive/", timeout=5)
    assert index.status_code == 200 and "vitamin-k2/dosage" in index.text
    # conditional requests are answered by nginx itself
    again = requests.get(f"{nginx}/feed.xml", timeout=5,
                         headers={"If-None-Match": feed.headers["ETag"]})
    assert again.status_code == 304


def test_nginx_keeps_hidden_files_hidden(nginx: str) -> None:
    assert requests.get(f"{nginx}/.published.json", timeout=5).status_code == 403
