"""The site's public documents: feeds and archive pages, built from the ledger and guarded.

A site channel (``rss``) publishes documents, not a post: ``feed.xml``, ``atom.xml`` and
``feed.json`` (JSON Feed 1.1) for the site and for each tag (``tags/<slug>/``),
``archive/<id>/index.html`` for every published item and ``archive/index.html``. The pipeline
builds them from the ledger's sent publications on that channel plus the items being
published now, and guards each one like any rendering: an archive page must carry its
item's disclaimers and no blocked claim; so must every feed entry (summary and content, read
back from the XML or the JSON as a feed reader would); the index makes no blocked claim. The channel
only writes the files it is handed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from datetime import datetime

from k2publisher.errors import ItemNotFoundError
from k2publisher.guard.markup import xml_problems
from k2publisher.models import Document, Item, Part, Rendering, Verdict

log = logging.getLogger("k2publisher.pipeline")

_RSS_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
_ATOM = "{http://www.w3.org/2005/Atom}"

#: the guard's verdict on a rendering of some items (the pipeline's check)
Judge = Callable[[Rendering, Sequence[Item]], Verdict]
Entry = tuple[Item, datetime]


def entries(sent: Sequence[tuple[str, datetime]], adding: Sequence[Item], now: datetime,
            lookup: Callable[[str], Item]) -> list[Entry]:
    """The published entries: each item once, dated by its first publication.

    ``sent`` holds ``(item id, when)`` pairs from the ledger; ``adding`` (published now) are
    dated ``now`` unless they went out before. Items gone from the queue are left out, with a
    warning: their pages cannot be rebuilt.
    """
    first: dict[str, datetime] = {}
    for item_id, when in sorted(sent, key=lambda pair: pair[1]):
        first.setdefault(item_id, when)
    for item in adding:
        first.setdefault(item.id, now)
    found: list[Entry] = []
    for item_id, when in first.items():
        try:
            found.append((lookup(item_id), when))
        except ItemNotFoundError:
            log.warning("published item %s is no longer in the queue; left out of the feed "
                        "and the archive", item_id)
    return found


def build(renderer: object, published: Sequence[Entry]) -> list[Document]:
    """Every document of the site for ``published`` (newest first in feeds and the index)."""
    from k2publisher.render.renderer import tag_slug

    ids = tuple(item.id for item, _ in published)
    feeds = {**renderer.feed_set(published),  # type: ignore[attr-defined]
             **renderer.tag_feed_sets(published)}  # type: ignore[attr-defined]
    docs = []
    for path, content in feeds.items():
        slug = path.split("/")[1] if path.startswith("tags/") else None
        shown = ids if slug is None else tuple(
            item.id for item, _ in published if any(tag_slug(t) == slug for t in item.tags))
        docs.append(Document(path, content, "json" if path.endswith(".json") else "feed", shown))
    docs += [Document(f"archive/{item.id}/index.html",
                      renderer.archive_page(item, when),  # type: ignore[attr-defined]
                      "web", (item.id,)) for item, when in published]
    docs.append(Document("archive/index.html",
                         renderer.archive_index(published),  # type: ignore[attr-defined]
                         "web", ids))
    return docs


def problems(documents: Sequence[Document], items: Sequence[Item], channel: str,
             judge: Judge, memo: dict[str, Verdict] | None = None
             ) -> tuple[list[str], list[str]]:
    """``(problems, notes)`` of the guard on every document; each names the file.

    ``memo`` keeps verdicts by what was judged (the same entry in RSS and Atom, the pages
    of a long-lived process that did not change since its last publish are judged once).
    """
    memo = {} if memo is None else memo
    by_id = {item.id: item for item in items}
    found: list[str] = []
    notes: list[str] = []
    for doc in documents:
        if doc.family == "feed":
            found += [f"{doc.path}: {p}" for p in xml_problems(doc.content)]
        elif doc.family == "json":
            found += [f"{doc.path}: {p}" for p in json_problems(doc.content)]
        for rendering, shown in _units(doc, by_id, channel):
            key = _key(rendering, shown)
            verdict = memo.get(key)
            if verdict is None:
                verdict = memo[key] = judge(rendering, shown)
            found += [f"{doc.path}: {p}" for p in verdict.problems]
            notes += [f"{doc.path}: {n}" for n in verdict.notes]
    return found, notes


def _key(rendering: Rendering, shown: Sequence[Item]) -> str:
    """What a verdict depends on: the channel, the visible text and the items it shows."""
    data = "\x1f".join([rendering.channel, rendering.family, rendering.html or "",
                        str(rendering.extra.get("summary", "")), repr(tuple(shown))])
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()


def _units(doc: Document, by_id: dict[str, Item], where: str
           ) -> list[tuple[Rendering, list[Item]]]:
    """What the guard judges in one document: the page, or each entry of a feed (the whole
    feed's XML is checked by :func:`problems`)."""
    if doc.family == "web":
        # an archive page carries its item's disclaimers; the index carries summaries only,
        # so it is checked for claims and markup, not for every item's disclaimers
        shown = [by_id[doc.item_ids[0]]] if len(doc.item_ids) == 1 and \
            doc.path != "archive/index.html" else []
        return [(Rendering(item_id=doc.item_ids[0] if shown else "archive", channel=where,
                           profile="web", family="web", parts=(Part(text="", html=doc.content),),
                           html=doc.content), shown)]
    units: list[tuple[Rendering, list[Item]]] = []
    read = json_feed_entries if doc.family == "json" else feed_entries
    for entry_id, summary, content in read(doc.content):
        item = next((i for i in by_id.values() if entry_id.rstrip("/").endswith(
            f"/archive/{i.id}")), None)
        if item is None:
            continue
        units.append((Rendering(item_id=item.id, channel=where, profile="feed", family="feed",
                                parts=(Part(text=summary, html=content),), html=content,
                                extra={"summary": summary}), [item]))
    return units


def feed_entries(xml: str) -> list[tuple[str, str, str]]:
    """``(id, summary, content HTML)`` of each RSS item or Atom entry, unescaped as a reader
    sees them; nothing when the document does not parse (the XML check reports that)."""
    try:
        root = ET.fromstring(xml.encode("utf-8"))
    except ET.ParseError:
        return []
    found = []
    for item in root.iter("item"):
        found.append((item.findtext("guid") or item.findtext("link") or "",
                      item.findtext("description") or "", item.findtext(_RSS_CONTENT) or ""))
    for entry in root.iter(f"{_ATOM}entry"):
        found.append((entry.findtext(f"{_ATOM}id") or "", entry.findtext(f"{_ATOM}summary") or "",
                      entry.findtext(f"{_ATOM}content") or ""))
    return found


def json_problems(text: str) -> list[str]:
    """What makes a JSON Feed unreadable: invalid JSON or no ``items`` list."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        return [f"not valid JSON ({exc})"]
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        return ["not a JSON Feed: no 'items' list"]
    return []


def json_feed_entries(text: str) -> list[tuple[str, str, str]]:
    """``(id, summary, content_html)`` of each JSON Feed item; nothing when it does not parse
    (:func:`json_problems` reports that)."""
    try:
        data = json.loads(text)
    except ValueError:
        return []
    items = data.get("items") if isinstance(data, dict) else None
    return [(str(i.get("id", "")), str(i.get("summary", "")), str(i.get("content_html", "")))
            for i in items or [] if isinstance(i, dict)]
