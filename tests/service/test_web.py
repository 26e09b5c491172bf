"""The public endpoints, served by a real waitress server on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from k2publisher.record.ledger import Ledger, db_path
from k2publisher.service.scheduler import Service
from k2publisher.service.web import Server, make_app
from k2publisher.settings import Settings, load_settings

RSS = "<?xml version='1.0' encoding='utf-8'?><rss version=\"2.0\"><channel></channel></rss>"


@pytest.fixture
def site(tmp_path: Path) -> Settings:
    public = tmp_path / "public"
    (public / "archive" / "vitamin-k2" / "dosage").mkdir(parents=True)
    (public / "feed.xml").write_text(RSS, encoding="utf-8")
    (public / "atom.xml").write_text("<feed xmlns=\"http://www.w3.org/2005/Atom\"/>")
    (public / "archive" / "index.html").write_text("<h1>Archive</h1>")
    (public / "archive" / "vitamin-k2" / "dosage" / "index.html").write_text("<h1>Dosage</h1>")
    (tmp_path / "secret.txt").write_text("not for the web")
    return load_settings(overrides={"paths": {"public": str(public),
                                              "state": str(tmp_path / "state")}}, environ={})


def serve(app: Any) -> Iterator[str]:
    server = Server(app, host="127.0.0.1", port=0).start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def base(site: Settings) -> Iterator[str]:
    service = Service(site, campaigns=[])
    service.ledger.sending("vitamin-k2/dosage", "social", 0, "k")
    service.start_scheduler()
    service.tick()
    yield from serve(make_app(site, health=service.health, newsletter=False))
    service.stop()
    service.close()


def test_feed_has_validators_and_answers_304(base: str) -> None:
    first = requests.get(f"{base}/feed.xml", timeout=5)
    assert first.status_code == 200
    assert first.headers["Content-Type"].startswith("application/rss+xml")
    assert first.text == RSS
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    again = requests.get(f"{base}/feed.xml", headers={"If-None-Match": etag}, timeout=5)
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == etag
    by_date = requests.get(f"{base}/feed.xml", headers={"If-Modified-Since": modified},
                           timeout=5)
    assert by_date.status_code == 304
    stale = requests.get(f"{base}/feed.xml", headers={"If-None-Match": '"other"'}, timeout=5)
    assert stale.status_code == 200 and stale.text == RSS


def test_a_changed_feed_gets_a_new_etag(base: str, site: Settings) -> None:
    old = requests.get(f"{base}/atom.xml", timeout=5)
    assert old.headers["Content-Type"].startswith("application/atom+xml")
    feed = site.path("public") / "atom.xml"
    feed.write_text("<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>new</title></feed>")
    later = time.time() + 5
    os.utime(feed, (later, later))
    new = requests.get(f"{base}/atom.xml", headers={"If-None-Match": old.headers["ETag"]},
                       timeout=5)
    assert new.status_code == 200 and "new" in new.text
    assert new.headers["ETag"] != old.headers["ETag"]
    earlier = format_datetime(datetime.now(UTC) - timedelta(days=1), usegmt=True)
    assert requests.get(f"{base}/atom.xml", headers={"If-Modified-Since": earlier},
                        timeout=5).status_code == 200


def test_archive_pages_and_no_escape_from_the_public_folder(base: str) -> None:
    index = requests.get(f"{base}/archive/", timeout=5)
    assert index.status_code == 200 and "Archive" in index.text
    page = requests.get(f"{base}/archive/vitamin-k2/dosage/", timeout=5)
    assert page.status_code == 200 and "Dosage" in page.text and page.headers["ETag"]
    moved = requests.get(f"{base}/archive/vitamin-k2/dosage", timeout=5,
                         allow_redirects=False)
    assert moved.status_code == 308 and moved.headers["Location"].endswith("/dosage/")
    assert requests.get(f"{base}/archive/nope/", timeout=5).status_code == 404
    sneaky = requests.get(f"{base}/archive/..%2f..%2fsecret.txt", timeout=5)
    assert sneaky.status_code == 404 and "not for the web" not in sneaky.text


def test_healthz_reports_last_tick_and_ledger_counts(base: str) -> None:
    response = requests.get(f"{base}/healthz", timeout=5)
    data = response.json()
    assert response.status_code == 200 and data["status"] == "ok"
    assert data["ledger"]["deliveries"]["sending"] == 1
    assert data["scheduler"]["running"] is True
    assert datetime.fromisoformat(data["scheduler"]["last_tick"]) <= datetime.now(UTC)
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_is_503_when_the_scheduler_stopped(site: Settings) -> None:
    def health() -> dict[str, Any]:
        return {"scheduler": {"running": False, "last_tick": "2026-01-01T00:00:00+00:00"}}

    for base in serve(make_app(site, health=health, newsletter=False)):
        response = requests.get(f"{base}/healthz", timeout=5)
        assert response.status_code == 503 and response.json()["status"] == "stopped"


def test_newsletter_routes_say_not_configured_without_the_module(base: str) -> None:
    for path in ("/subscribe", "/confirm/abc", "/unsubscribe/abc"):
        response = requests.get(f"{base}{path}", timeout=5)
        assert response.status_code == 503, path
        assert "newsletter is not configured" in response.text


def test_newsletter_routes_are_delegated(site: Settings) -> None:
    seen: list[tuple[str, str]] = []

    def newsletter(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"newsletter"]

    for base in serve(make_app(site, newsletter=newsletter)):
        assert requests.get(f"{base}/subscribe", timeout=5).text == "newsletter"
        requests.post(f"{base}/unsubscribe/tok", data={"List-Unsubscribe": "One-Click"},
                      timeout=5)
        assert requests.get(f"{base}/feed.xml", timeout=5).text == RSS
    assert seen == [("GET", "/subscribe"), ("POST", "/unsubscribe/tok")]


@pytest.mark.skipif(importlib.util.find_spec("k2publisher.newsletter.web") is None,
                    reason="the newsletter web app is not installed")
def test_unsubscribe_get_never_unsubscribes_with_the_real_newsletter(site: Settings) -> None:
    from k2publisher.newsletter.store import NewsletterStore
    from k2publisher.newsletter.store import db_path as newsletter_db
    from k2publisher.newsletter.subscribers import State, Subscribers
    from k2publisher.newsletter.tokens import Tokens

    subscribers = Subscribers(NewsletterStore(newsletter_db(site)))
    reader, _ = subscribers.add("reader@example.org", "import", confirmed=True)
    token = Tokens.from_settings(site).unsubscribe_token(reader.id)
    for base in serve(make_app(site)):
        page = requests.get(f"{base}/unsubscribe/{token}", timeout=5)
        assert page.status_code == 200 and "<form" in page.text.lower()
        assert subscribers.get(reader.id).state == State.CONFIRMED  # a GET changes nothing
        assert requests.get(f"{base}/subscribe", timeout=5).status_code == 200
        click = requests.post(f"{base}/unsubscribe/{token}", allow_redirects=False, timeout=5,
                              data={"List-Unsubscribe": "One-Click"})
        assert click.status_code == 200
    assert subscribers.get(reader.id).state == State.UNSUBSCRIBED
    with Ledger(db_path(site.path("state"))) as ledger:  # one SQLite file, both schemas
        assert ledger.counts()["deliveries"]["sent"] == 0


def test_json_and_tag_feeds_and_the_styled_root_page_are_served(site: Settings,
                                                                tmp_path: Path) -> None:
    public = tmp_path / "public"
    (public / "feed.json").write_text('{"version": "https://jsonfeed.org/version/1.1"}')
    (public / "tags" / "bone").mkdir(parents=True)
    (public / "tags" / "bone" / "atom.xml").write_text("<feed/>")
    for url in serve(make_app(site, newsletter=False)):
        feed = requests.get(f"{url}/feed.json", timeout=5)
        assert feed.status_code == 200
        assert feed.headers["Content-Type"].startswith("application/feed+json")
        tag = requests.get(f"{url}/tags/bone/atom.xml", timeout=5)
        assert tag.status_code == 200 and tag.headers["Content-Type"].startswith(
            "application/atom+xml")
        assert requests.get(f"{url}/tags/bone/secret.txt", timeout=5).status_code == 404
        assert requests.get(f"{url}/tags/..%2F..%2Fsecret.txt/feed.xml",
                            timeout=5).status_code == 404
        home = requests.get(f"{url}/", timeout=5)
        assert home.status_code == 200 and "<style>" in home.text
        assert 'rel="alternate" type="application/feed+json"' in home.text
        assert 'action="http://127.0.0.1:8025/subscribe"' in home.text


def test_idle_server_sleeps_in_select(site: Settings) -> None:
    """An idle waitress loop costs next to no CPU (a 0 s select timeout spun a whole core)."""
    server = Server(make_app(site, newsletter=False), host="127.0.0.1", port=0).start()
    try:
        time.sleep(0.3)  # let the loop settle
        before = time.process_time()
        time.sleep(1.5)
        used = time.process_time() - before
    finally:
        started = time.monotonic()
        server.stop()
        stopped_in = time.monotonic() - started
    assert server._server.adj.asyncore_loop_timeout >= 1
    assert used < 0.3, f"idle server used {used:.2f} s CPU in 1.5 s"
    assert stopped_in < 1.0, f"stop() took {stopped_in:.2f} s"
