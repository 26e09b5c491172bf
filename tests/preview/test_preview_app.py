"""The --serve app through werkzeug's test client: pages, frames, escaping, reload stamp."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from werkzeug.test import Client

from k2publisher.preview.app import PreviewApp
from k2publisher.settings import load_settings

ITEM = "vitamin-k2/food-sources"


@pytest.fixture
def client(site: Path, monkeypatch: pytest.MonkeyPatch) -> Client:
    monkeypatch.chdir(site)
    monkeypatch.delenv("K2PUBLISHER_CONFIG", raising=False)
    return Client(PreviewApp(load_settings(None, environ={})))


def test_index_lists_the_queue_and_shows_every_channel(client: Client) -> None:
    page = client.get("/", query_string={"item": ITEM}).get_data(as_text=True)
    assert page.count('class="queue-item') == 2
    assert 'iframe class="phone"' in page and 'iframe class="desktop"' in page
    assert page.count('class="post-card"') >= 9
    assert "/500</span>" in page and "/280</span>" in page
    assert "guard ok" in page


def test_everything_from_the_item_is_escaped(client: Client) -> None:
    response = client.get("/", query_string={"item": ITEM})
    page = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    frame = client.get("/frame/email", query_string={"item": ITEM}).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in frame and "&lt;script&gt;" in frame
    feed = client.get("/frame/feed", query_string={"item": ITEM}).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in feed


def test_unknown_item_frame_is_404_and_page_shows_the_error(client: Client) -> None:
    assert client.get("/frame/email", query_string={"item": "nope/nope"}).status_code == 404
    page = client.get("/", query_string={"item": "nope/nope"}).get_data(as_text=True)
    assert "no queue item" in page


def test_version_changes_when_a_template_or_queue_file_changes(client: Client,
                                                               site: Path) -> None:
    def stamp() -> str:
        return json.loads(client.get("/version").get_data(as_text=True))["version"]

    first = stamp()
    assert stamp() == first
    override = site / "templates" / "social" / "x.txt"
    override.parent.mkdir(parents=True)
    override.write_text("{{ body }}")
    second = stamp()
    assert second != first
    item = site / "queue" / "vitamin-k2" / "food-sources.md"
    st = item.stat()
    os.utime(item, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert stamp() != second
