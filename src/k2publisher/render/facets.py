"""Bluesky richtext facets: links and hashtags with UTF-8 byte offsets, as the lexicon wants.

``find_spans`` also reports mentions (for tests and adapters); ``facets`` emits only links
and tags, because a mention facet needs the account's DID, which only the network can give.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# the same shapes Bluesky's own detect_facets uses
_MENTION = re.compile(rb"(?:^|\W)(@(([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+"
                      rb"[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?))")
_URL = re.compile(rb"(?:^|\W)(https?://[\S]+)")
_TRAILING = b".,;:!?)\"'"
_TAG = re.compile(r"(?:^|\s)#([^\d\s\W][\w]*)", re.UNICODE)

LINK = "app.bsky.richtext.facet#link"
TAG = "app.bsky.richtext.facet#tag"


@dataclass(frozen=True)
class Span:
    """A detected entity: kind (``link``/``tag``/``mention``), byte range, value."""

    kind: str
    byte_start: int
    byte_end: int
    value: str


def find_spans(text: str) -> list[Span]:
    """Every link, hashtag and mention in ``text`` with UTF-8 byte offsets, by position."""
    data = text.encode("utf-8")
    spans: list[Span] = []
    for m in _URL.finditer(data):
        raw = m.group(1)
        stripped = raw.rstrip(_TRAILING)
        start = m.start(1)
        spans.append(Span("link", start, start + len(stripped), stripped.decode("utf-8")))
    for m in _MENTION.finditer(data):
        start = m.start(1)
        if not any(s.byte_start <= start < s.byte_end for s in spans):
            spans.append(Span("mention", start, m.end(1), m.group(2).decode("utf-8")))
    for m in _TAG.finditer(text):
        start = len(text[:m.start(1) - 1].encode("utf-8"))
        end = len(text[:m.end(1)].encode("utf-8"))
        if not any(s.byte_start <= start < s.byte_end for s in spans):
            spans.append(Span("tag", start, end, m.group(1)))
    return sorted(spans, key=lambda s: s.byte_start)


def facets(text: str) -> tuple[dict[str, Any], ...]:
    """``app.bsky.richtext.facet`` objects for the links and hashtags in ``text``."""
    out: list[dict[str, Any]] = []
    for s in find_spans(text):
        if s.kind == "link":
            feature: dict[str, Any] = {"$type": LINK, "uri": s.value}
        elif s.kind == "tag":
            feature = {"$type": TAG, "tag": s.value}
        else:
            continue
        out.append({"index": {"byteStart": s.byte_start, "byteEnd": s.byte_end},
                    "features": [feature]})
    return tuple(out)
