"""Feeds (RSS, Atom) from a file and from a URL: each entry once; re-imports add only new ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from k2publisher.content.importers.base import apply, counts, plan
from k2publisher.content.importers.detect import import_source
from k2publisher.content.queue import Queue
from k2publisher.errors import ImportSourceError


def rss(*entries: tuple[str, str, str]) -> str:
    items = "".join(
        f"<item><title>{title}</title><link>https://example.org/{guid}</link>"
        f"<guid>{guid}</guid><description><![CDATA[{html}]]></description></item>"
        for title, guid, html in entries)
    return ('<?xml version="1.0"?><rss version="2.0"><channel><title>K2 News</title>'
            f"<link>https://example.org/</link><description>d</description>{items}"
            "</channel></rss>")


FIRST = ("Vitamin K2 and bones", "k2-bones", "<p>MK-7 at 180 mcg a day was studied3.</p>")
SECOND = ("Natto facts", "natto", "<p>Natto is the richest source of vitamin K2.</p>")


def import_into(queue_dir: Path, source: str) -> dict[str, int]:
    actions = plan(import_source(source), Queue(queue_dir))
    apply(actions)
    return counts(actions)


def test_rss_file_entries_become_items_and_reimport_adds_only_new(tmp_path: Path) -> None:
    feed = tmp_path / "news.xml"
    feed.write_text(rss(FIRST), encoding="utf-8")
    q = tmp_path / "queue"
    assert import_into(q, str(feed))["created"] == 1
    item = Queue(q).get("k2-news/vitamin-k2-and-bones")
    assert item.title == "Vitamin K2 and bones"
    assert item.body == "MK-7 at 180 mcg a day was studied."
    assert item.citations == (3,)
    assert item.review and "feed" in item.review
    assert item.source is not None and item.source.heading == "k2-bones"
    feed.write_text(rss(FIRST, SECOND), encoding="utf-8")
    result = import_into(q, str(feed))
    assert result["created"] == 1 and result["unchanged"] == 1
    assert {i.id for i in Queue(q).items()} == {"k2-news/vitamin-k2-and-bones",
                                                "k2-news/natto-facts"}


def test_an_entry_renamed_in_the_queue_is_not_imported_again(tmp_path: Path) -> None:
    feed = tmp_path / "news.xml"
    feed.write_text(rss(FIRST), encoding="utf-8")
    q = tmp_path / "queue"
    import_into(q, str(feed))
    old = q / "k2-news" / "vitamin-k2-and-bones.md"
    new = q / "k2-news" / "bones.md"
    new.write_text(old.read_text().replace("id: k2-news/vitamin-k2-and-bones",
                                           "id: k2-news/bones"))
    old.unlink()
    result = import_into(q, str(feed))
    assert result["skipped"] == 1 and result["created"] == 0
    assert not old.exists()


def test_atom_feed_from_a_local_http_server(tmp_path: Path, httpserver: HTTPServer) -> None:
    def atom(*entries: tuple[str, str, str]) -> str:
        body = "".join(
            f"<entry><title>{t}</title><id>urn:{g}</id><link href='https://example.org/{g}'/>"
            f"<updated>2026-01-01T00:00:00Z</updated><content type='html'>{h}</content>"
            "</entry>" for t, g, h in entries)
        return ("<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
                "<title>K2 News</title><id>urn:feed</id><updated>2026-01-01T00:00:00Z</updated>"
                f"{body}</feed>")
    escaped = [(t, g, h.replace("<", "&lt;").replace(">", "&gt;")) for t, g, h in (FIRST, SECOND)]
    httpserver.expect_request("/feed.xml").respond_with_data(
        atom(escaped[0]), content_type="application/atom+xml")
    q = tmp_path / "queue"
    url = httpserver.url_for("/feed.xml")
    assert import_into(q, url)["created"] == 1
    httpserver.clear()
    httpserver.expect_request("/feed.xml").respond_with_data(
        atom(*escaped), content_type="application/atom+xml")
    result = import_into(q, url)
    assert result["created"] == 1 and result["unchanged"] == 1
    natto = Queue(q).get("k2-news/natto-facts")
    assert natto.source is not None and natto.source.file == "https://example.org/natto"
    assert natto.source.heading == "urn:natto"


def test_unreachable_or_empty_feeds_raise_clear_errors(tmp_path: Path,
                                                       httpserver: HTTPServer) -> None:
    httpserver.expect_request("/gone.xml").respond_with_data("nope", status=404)
    with pytest.raises(ImportSourceError, match="cannot fetch"):
        import_source(httpserver.url_for("/gone.xml"))
    empty = tmp_path / "empty.xml"
    empty.write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>'
                     "</channel></rss>")
    with pytest.raises(ImportSourceError, match="no feed entries"):
        import_source(str(empty))
