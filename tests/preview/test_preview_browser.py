"""The preview app in a real Chromium, driven by Playwright: click through items, check cards."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from browser_support import ARTIFACTS, MARKS, chromium
from k2publisher.preview.app import PreviewApp
from k2publisher.settings import load_settings

pytestmark = MARKS


@pytest.fixture
def server(site: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The preview app on 127.0.0.1, a free port, in a thread."""
    monkeypatch.chdir(site)
    monkeypatch.delenv("K2PUBLISHER_CONFIG", raising=False)
    app = PreviewApp(load_settings(None, environ={}))
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=5)


def test_click_through_two_items_and_see_every_channel(server: str) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1600, "height": 1200})
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(server + "/")
        links = page.locator("a.queue-item")
        assert links.count() == 2
        titles = []
        for n in range(2):
            page.locator("a.queue-item").nth(n).click()
            page.wait_for_load_state("load")
            title = page.locator("#item-title").inner_text()
            titles.append(title)
            current = page.locator("a.queue-item.current")
            assert current.count() == 1
            assert page.locator("section.channel.email iframe.phone").count() == 1
            phone = page.locator("iframe.phone").bounding_box()
            desktop = page.locator("iframe.desktop").bounding_box()
            assert phone and desktop and round(phone["width"]) in (375, 377)
            assert round(desktop["width"]) in (800, 802)
            frame = page.frame_locator("iframe.phone")
            assert frame.locator("a", has_text="Unsubscribe").count() == 1
            cards = page.locator(".post-card")
            assert cards.count() >= 9
            counters = page.locator(".post-card .counter").all_inner_texts()
            assert any(c.endswith("/300") for c in counters)
            assert page.locator("section.channel.feed iframe.feed").count() == 1
            assert page.locator(".verdict.refused").count() == 0
        assert len(set(titles)) == 2
        assert any("<script>" in t for t in titles)        # shown as text, not run
        assert dialogs == []                               # no payload executed
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "preview.png"), full_page=True)
        assert (ARTIFACTS / "preview.png").stat().st_size > 10_000
