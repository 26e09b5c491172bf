"""RSS and Atom feeds (a local file or a URL), read with feedparser.

Each entry becomes item(s) through the Markdown importer (its HTML content converted
first), under ``<feed-slug>/<entry-slug>``, with the entry's id (or link) as its source so
that importing the feed again skips entries already in the queue, even if they were
renamed there. Entries arrive as drafts with a ``review`` note: a feed does not say which
supplement or kind an entry is.
"""

from __future__ import annotations

from typing import Any

import feedparser

from k2publisher.content.importers.base import ImportedItem, slugify
from k2publisher.content.importers.html import html_to_markdown
from k2publisher.content.importers.markdown import import_markdown
from k2publisher.errors import ImportSourceError

FEED_REVIEW = "imported from a feed: check the supplement, kind, title and summary"


def looks_like_feed(data: str | bytes) -> bool:
    """True when the start of ``data`` looks like RSS or Atom XML."""
    head = data[:2000].decode("utf-8", "replace") if isinstance(data, bytes) else data[:2000]
    head = head.lower()
    return "<rss" in head or "<feed" in head or "<rdf:rdf" in head


def _entry_html(entry: Any) -> str:
    content = entry.get("content") or []
    if content and content[0].get("value"):
        return str(content[0]["value"])
    return str(entry.get("summary") or entry.get("description") or "")


def import_feed(data: str | bytes, source: str) -> list[ImportedItem]:
    """Items for every entry of a parsed feed document fetched from ``source``."""
    parsed = feedparser.parse(data)
    if not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise ImportSourceError(f"{source}: no feed entries found"
                                + (f" ({problem})" if problem else ""))
    feed_title = str(parsed.feed.get("title") or source)
    feed_slug = slugify(feed_title)[:40].strip("-")
    items: list[ImportedItem] = []
    for entry in parsed.entries:
        title = str(entry.get("title") or "Untitled entry").strip()
        key = str(entry.get("id") or entry.get("link") or title)
        markdown = f"# {title}\n\n{html_to_markdown(_entry_html(entry))}"
        found = import_markdown(markdown, str(entry.get("link") or source), subject=feed_title,
                                dedupe_by_source=True, review=FEED_REVIEW)
        entry_slug = slugify(title)[:60].strip("-")
        for n, item in enumerate(found):
            item.id = f"{feed_slug}/{entry_slug}" + (f"-{n + 1}" if n else "")
            item.heading = key if len(found) == 1 else f"{key}#{n + 1}"
            item.tags = [feed_slug, *[slugify(str(t.get("term"))) for t in
                                      entry.get("tags", []) if t.get("term")]]
            if len(found) == 1:
                item.title = title
        items.extend(found)
    return items
