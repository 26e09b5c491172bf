"""Markdown files with headings: one item per section under the document's title.

The first level-1 heading is the title (its part before ``:``, ``,`` or `` - `` names the
supplement); the next heading level present splits the sections. Headings the site
lexicon knows as mechanisms become mechanism explainers. A file without headings becomes
one item titled after the file.
"""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it import MarkdownIt

from k2publisher.content.cleaning.chrome import SOURCES_MARKER, strip_chrome
from k2publisher.content.importers.base import (
    ImportedItem,
    PageNotes,
    clean,
    guess_evidence,
    slugify,
)
from k2publisher.content.importers.monograph import MECHANISMS
from k2publisher.models import Kind

_FRONT = re.compile(r"\A---\n.*?\n(---|\.\.\.)\n", re.S)


def _headings(text: str) -> list[tuple[int, int, str]]:
    """(level, first line, text) of every ATX/setext heading outside code blocks."""
    tokens = MarkdownIt("commonmark").parse(text)
    out: list[tuple[int, int, str]] = []
    for n, token in enumerate(tokens):
        if token.type == "heading_open" and token.map:
            inline = tokens[n + 1].content.strip()
            out.append((int(token.tag[1]), token.map[0], inline))
    return out


def import_markdown(text: str, source_file: str, *, subject: str | None = None,
                    dedupe_by_source: bool = False, review: str | None = None,
                    notes: PageNotes | None = None) -> list[ImportedItem]:
    """Items for the sections of a Markdown document (``notes`` gets the stripped chrome)."""
    text = _FRONT.sub("", text.replace("\r\n", "\n"), count=1)
    chrome = strip_chrome(text.split("\n"))
    if notes is not None:
        notes.stripped, notes.references, notes.max_ref = \
            chrome.blocks, chrome.references, chrome.max_ref
    lines = [line for line in chrome.lines if not line.startswith(SOURCES_MARKER)]
    text = "\n".join(lines)
    heads = _headings(text)
    title_head = next((h for h in heads if h[0] == 1), None)
    title = title_head[2] if title_head else Path(source_file).stem.replace("-", " ").title()
    if subject is None:
        subject = re.split(r"\s*[:,]\s*|\s+-\s+", title)[0].strip() or title
    supp = slugify(subject)
    lower = [h for h in heads if h[0] > 1]
    level = min((h[0] for h in lower), default=0)
    parts = [h for h in lower if h[0] == level]
    items: list[ImportedItem] = []
    if not parts:
        start = title_head[1] + 1 if title_head else 0
        body = "\n".join(lines[start:]).strip()
        if body:
            items.append(_item(f"{supp}/{slugify(title)}", title, body, source_file, title,
                               subject, supp, chrome.author))
    for n, (_lvl, line, heading) in enumerate(parts):
        end = parts[n + 1][1] if n + 1 < len(parts) else len(lines)
        body = "\n".join(lines[line + 1:end]).strip()
        if not body:
            continue
        if heading.lower() in MECHANISMS:
            item = ImportedItem(id=f"mechanisms/{slugify(heading)}",
                                kind=Kind.MECHANISM_EXPLAINER, title=heading, body="",
                                source_file=source_file, heading=heading,
                                tags=["mechanisms", slugify(heading)], author=chrome.author)
            item.body = clean(body, item)
            items.append(item)
            continue
        items.append(_item(f"{supp}/{slugify(heading)}", heading, body, source_file, heading,
                           subject, supp, chrome.author))
    for item in items:
        item.dedupe_by_source = dedupe_by_source
        if review:
            item.review.insert(0, review)
    return items


def _item(item_id: str, title: str, body: str, source_file: str, heading: str, subject: str,
          supp: str, author: str | None) -> ImportedItem:
    item = ImportedItem(id=item_id, kind=Kind.SUPPLEMENT_SECTION, title=title, body="",
                        source_file=source_file, heading=heading, supplement=subject,
                        tags=[supp], author=author)
    item.body = clean(body, item)
    item.evidence = guess_evidence(item.body)
    return item
