"""The article layout: a blog post about one supplement and one topic.

Expected shape (seed ``000_...txt``): a title line, a category line ("Vitamin K2,
Nootropics"), an introduction, then sections. A section whose opening paragraph ends with
a colon ("several key mechanisms have been proposed:") has sub-sections under it, until a
heading that names the supplement or opens a colon-ended section of its own. A paragraph
after two blank lines lost its heading: it gets a derived one and a ``review`` note. The
byline at the end ("NAME" + "Latest posts by NAME (see all)") becomes ``author``.

Sub-sections of a "Mechanism of Action" section become mechanism explainers, as do
headings the site lexicon (:data:`~k2publisher.content.importers.monograph.MECHANISMS`)
knows. Every other top-level section becomes ``<supplement>/<topic>/<slug>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from k2publisher.content.cleaning.chrome import SOURCES_MARKER, strip_chrome
from k2publisher.content.cleaning.citations import MAX_REF, PageEvidence
from k2publisher.content.cleaning.normalise import fold, heading_key, mentions
from k2publisher.content.importers.base import (
    ImportedItem,
    PageNotes,
    clean,
    guess_evidence,
    slugify,
)
from k2publisher.content.importers.monograph import MECHANISMS
from k2publisher.content.importers.text import Block, parse_blocks, render_blocks
from k2publisher.errors import ImportSourceError
from k2publisher.models import Kind

MECHANISM_SECTION = re.compile(r"^(mechanisms? of action|how (it|they) works?)$", re.I)
#: closing sections of a post: always top-level, never a sub-section of the one before
CLOSING_SECTION = re.compile(r"^(final thoughts|conclusions?|summary|in summary|(the )?bottom "
                             r"line|key takeaways|takeaways|wrapping up|the verdict|"
                             r"frequently asked questions|faqs?)$")
#: first words of a name too common to stand for the supplement on their own
_GENERIC_FIRST = frozenset(["vitamin", "omega", "coenzyme", "alpha", "beta", "green", "black",
                            "white", "red", "fish", "sea", "wild", "grape", "panax", "korean",
                            "siberian", "holy", "sweet", "bitter"])
_MECHANISM_KEYS = frozenset(heading_key(m) for m in MECHANISMS)
_STOP = frozenset({"the", "of", "and", "a", "an", "for", "with", "to", "in", "on"})


@dataclass
class _Section:
    heading: str
    intro: list[Block] = field(default_factory=list)
    subs: list[tuple[str, list[Block]]] = field(default_factory=list)
    lost: bool = False

    def blocks(self) -> list[Block]:
        out = list(self.intro)
        for heading, blocks in self.subs:
            out.append(Block("heading", text=heading))
            out.extend(blocks)
        return out


def _names_subject(heading: str, subject: str) -> bool:
    """True when ``heading`` names the supplement (its full name, or a distinctive first word)."""
    if mentions(heading, subject):
        return True
    first = fold(subject).split()[0] if subject.split() else ""
    return len(subject.split()) > 1 and len(first) >= 5 and first not in _GENERIC_FIRST \
        and mentions(heading, first)


def _section_slug(heading: str, drop: set[str]) -> str:
    words = [w for w in slugify(heading).split("-")
             if w not in drop and not (w.endswith("s") and w[:-1] in drop)]
    while words and words[0] in _STOP:
        words.pop(0)
    while words and words[-1] in _STOP:
        words.pop()
    return "-".join(words) or slugify(heading)


def _sections(blocks: list[Block], subject: str,
              contents: frozenset[str] = frozenset()) -> list[_Section]:
    """Top-level sections; a heading the page's table of contents lists is always one."""
    sections: list[_Section] = []
    in_subs = False
    for n, block in enumerate(blocks):
        nxt = blocks[n + 1] if n + 1 < len(blocks) else None
        opens_list = nxt is not None and nxt.kind == "para" and nxt.text.rstrip().endswith(":")
        if block.kind == "heading":
            key = heading_key(block.text)
            top = not in_subs or opens_list or _names_subject(block.text, subject) \
                or MECHANISM_SECTION.match(key) is not None \
                or CLOSING_SECTION.match(key) is not None or key in contents
            if top or not sections:
                sections.append(_Section(block.text))
                in_subs = opens_list
            else:
                sections[-1].subs.append((block.text, []))
            continue
        if block.kind == "para" and block.lost_heading and not in_subs:
            sections.append(_Section("", lost=True))
        if not sections:
            sections.append(_Section(""))
        current = sections[-1]
        if current.subs:
            current.subs[-1][1].append(block)
        else:
            current.intro.append(block)
    return sections


def import_article(text: str, source_file: str,
                   notes: PageNotes | None = None) -> list[ImportedItem]:
    """Items for the sections and mechanism explainers of an article page.

    ``notes`` receives the blocks stripped as chrome and the page's reference list.
    """
    chrome = strip_chrome(text.splitlines())
    if notes is not None:
        notes.stripped, notes.references, notes.max_ref = \
            chrome.blocks, chrome.references, chrome.max_ref
    page = PageEvidence.of("\n".join(chrome.lines), chrome.max_ref or MAX_REF)
    blocks = [b for b in parse_blocks(chrome.lines) if not b.text.startswith(SOURCES_MARKER)]
    headings = [b for b in blocks if b.kind == "heading"]
    if len(headings) < 2:
        raise ImportSourceError(f"{source_file}: an article needs a title line and headings; "
                                "try --layout markdown")
    title = headings[0].text
    start = blocks.index(headings[0]) + 1
    category = blocks[start] if start < len(blocks) else None
    subject, topic = title, ""
    if category is not None and category.kind == "heading" and "," in category.text:
        subject, topic = (p.strip() for p in category.text.split(",", 1))
        start += 1
    elif ":" in title or "," in title:
        subject = re.split(r"[:,]", title)[0].strip()
    supp, topic_slug = slugify(subject), slugify(topic) if topic else ""
    prefix = f"{supp}/{topic_slug}" if topic_slug else supp
    drop = set(supp.split("-")) | set(topic_slug.split("-"))
    sections = _sections(blocks[start:], subject, chrome.contents)
    if sections and not sections[0].heading and not sections[0].lost and len(sections) > 1:
        sections[1].intro[:0] = sections[0].intro  # the introduction opens the first section
        sections.pop(0)
    items: list[ImportedItem] = []
    tags = [supp] + ([topic_slug] if topic_slug else [])
    for n, section in enumerate(sections):
        if MECHANISM_SECTION.match(heading_key(section.heading)):
            for heading, sub in section.subs:
                items.append(_item(f"mechanisms/{slugify(heading)}", Kind.MECHANISM_EXPLAINER,
                                   heading, sub, source_file, heading, None,
                                   ["mechanisms", slugify(heading)], chrome.author, page))
            continue
        if heading_key(section.heading) in _MECHANISM_KEYS:
            items.append(_item(f"mechanisms/{slugify(section.heading)}",
                               Kind.MECHANISM_EXPLAINER, section.heading, section.blocks(),
                               source_file, section.heading, None,
                               ["mechanisms", slugify(section.heading)], chrome.author, page))
            continue
        blocks_ = section.blocks()
        review: list[str] = []
        heading = section.heading
        if section.lost:
            heading = "Summary" if n == len(sections) - 1 else \
                " ".join(blocks_[0].text.split()[:5])
            blocks_[0] = Block("para", text=blocks_[0].text)
            review.append(f"heading lost in the source; derived {heading!r}")
        slug = _section_slug(heading, drop)
        item = _item(f"{prefix}/{slug}", Kind.SUPPLEMENT_SECTION,
                     f"{subject}: {heading}" if not mentions(heading, subject)
                     else heading, blocks_, source_file, heading or title, subject,
                     [*tags, slug], chrome.author, page)
        item.review[:0] = review
        items.append(item)
    return items


def _item(item_id: str, kind: Kind, title: str, blocks: list[Block], source_file: str,
          heading: str, supplement: str | None, tags: list[str],
          author: str | None, page: PageEvidence | None = None) -> ImportedItem:
    item = ImportedItem(id=item_id, kind=kind, title=title, body="", source_file=source_file,
                        heading=heading, supplement=supplement, tags=tags, author=author)
    item.body = render_blocks(blocks, lambda t: clean(t, item, page), item.review)
    if supplement:
        item.evidence = guess_evidence(item.body)
    return item
