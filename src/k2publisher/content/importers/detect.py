"""Which importer reads a source, and the one call the CLI uses: :func:`import_source`."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from k2publisher.content.importers.article import import_article
from k2publisher.content.importers.base import ImportedItem, PageNotes
from k2publisher.content.importers.feed import import_feed, looks_like_feed
from k2publisher.content.importers.fetch import fetch
from k2publisher.content.importers.html import import_html
from k2publisher.content.importers.markdown import import_markdown
from k2publisher.content.importers.monograph import import_monograph, looks_like_monograph
from k2publisher.content.importers.report import PageReport
from k2publisher.content.importers.titles import headline_safe
from k2publisher.errors import ImportSourceError

LAYOUTS = ("auto", "monograph", "article", "markdown", "html", "feed")
_URL = re.compile(r"^https?://", re.I)


def detect_layout(name: str, text: str) -> str:
    """Guess the layout of a source from its name and content."""
    suffix = Path(name).suffix.lower()
    if looks_like_feed(text) or suffix in (".rss", ".atom", ".xml"):
        return "feed"
    if suffix in (".html", ".htm", ".xhtml") or re.match(r"\s*(<!doctype html|<html)", text,
                                                          re.I):
        return "html"
    if suffix in (".md", ".markdown") or re.search(r"(?m)^#{1,6} \S", text):
        return "markdown"
    return "monograph" if looks_like_monograph(text) else "article"


def read_source(source: str) -> tuple[str, str]:
    """(display name, text) of a file path or URL; raises :class:`ImportSourceError`."""
    if _URL.match(source):
        return source, fetch(source).decode("utf-8", "replace")
    path = Path(source)
    try:
        return path.name, path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ImportSourceError(f"{source}: not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        raise ImportSourceError(f"{source}: cannot read ({exc.strerror})") from None


IMPORTERS: dict[str, Callable[..., list[ImportedItem]]] = {
    "monograph": import_monograph,
    "article": import_article,
    "markdown": import_markdown,
    "html": import_html,
    "feed": import_feed,
}


#: the layouts whose importer reports stripped chrome and the reference list
_NOTED = frozenset({"monograph", "article", "markdown", "html"})


def import_page(text: str, name: str, layout: str = "auto") -> PageReport:
    """The items of already-read ``text`` called ``name``, with the page's quality report."""
    if layout not in LAYOUTS:
        raise ImportSourceError(f"unknown layout {layout!r}: use " + ", ".join(LAYOUTS))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    chosen = detect_layout(name, text) if layout == "auto" else layout
    notes = PageNotes()
    try:
        if chosen in _NOTED:
            items = IMPORTERS[chosen](text, name, notes=notes)
        else:
            items = IMPORTERS[chosen](text, name)
    except ImportSourceError as exc:
        if name in str(exc):
            raise
        raise ImportSourceError(f"{name}: {exc}") from None
    for item in items:
        item.title = " ".join(item.title.split()) or item.id.rsplit("/", 1)[-1]
        headline_safe(item)
    # a section whose text was all chrome or citation digits has nothing to publish
    kept = [item for item in items if item.body.strip()]
    return PageReport(name, chosen, kept, notes)


def import_text(text: str, name: str, layout: str = "auto") -> list[ImportedItem]:
    """Items for already-read ``text`` called ``name`` (a file name or URL)."""
    return import_page(text, name, layout).items


def read_page(source: str, layout: str = "auto") -> PageReport:
    """Read a file or URL and return its items with the page's report (nothing is written)."""
    name, text = read_source(source)
    if _URL.match(source) and layout == "auto" and not looks_like_feed(text):
        layout = "html"
    return import_page(text, name, layout)


def import_source(source: str, layout: str = "auto") -> list[ImportedItem]:
    """Read a file or URL and return its items (nothing is written)."""
    return read_page(source, layout).items
