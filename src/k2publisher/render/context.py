"""What templates see: an item cut into sections, each with the disclaimers it triggers.

The disclaimer rules (a :class:`~k2publisher.abc.DisclaimerSource`: the guard's
``DisclaimerRules``) decide *which* disclaimers a piece of text needs; this module only
decides *where* they sit in long formats (email, feed, web), following the placement rules:
safety warnings beside the section that triggers them; the FDA statement boxed at the end of
each section with a claim, in the singular or plural form the whole item calls for (the
guard judges an email or a page as one unit); whatever the item needs and no section carried
at the top of the item.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from markdown_it.tree import SyntaxTreeNode

from k2publisher.models import Item
from k2publisher.render.markdown import inline_text, parser, to_html, to_text
from k2publisher.render.splitting import sentences
from k2publisher.render.xml import strip_illegal_xml

if TYPE_CHECKING:  # render reads disclaimers through the protocols in abc.py
    from k2publisher.abc import DisclaimerSource
    from k2publisher.abc import DisclaimerText as Disclaimer


@dataclass(frozen=True)
class DisclaimerView:
    """A disclaimer as templates see it: ``text`` is what to print in this format."""

    id: str
    text: str
    full: str
    short: str | None
    critical: bool
    boxed: bool
    placement: str = "beside"

    @classmethod
    def of(cls, d: Disclaimer, *, short: bool = False) -> DisclaimerView:
        """The view of ``d``; ``short`` picks the short form where one exists."""
        return cls(id=d.id, text=(d.short or d.text) if short else d.text, full=d.text,
                   short=d.short, critical=bool(d.critical), boxed=is_boxed(d),
                   placement=d.placement or "beside")


def is_boxed(d: Disclaimer) -> bool:
    """The FDA structure/function statement: bold, boxed, at the end of its section."""
    return d.id.startswith("FDA_SF") or "box" in (d.placement or "")


@dataclass(frozen=True)
class Section:
    """A stretch of the body under one heading, with the disclaimers placed around it."""

    title: str
    level: int
    markdown: str
    html: str
    text: str
    warnings: tuple[DisclaimerView, ...] = ()   # beside the section, before its text
    boxed: tuple[DisclaimerView, ...] = ()      # bold and boxed after its text


@dataclass(frozen=True)
class ItemView:
    """Everything a long-format template needs about one item."""

    item: Item
    url: str
    title: str
    summary: str
    body: str                                # the Markdown body, control characters removed
    width: int
    sections: tuple[Section, ...]
    notes: tuple[DisclaimerView, ...]        # top of the item: not carried by any section
    closing: tuple[DisclaimerView, ...]      # boxed ones the item needs and no section had
    disclaimers: tuple[DisclaimerView, ...]  # everything the item needs, critical first
    tags: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def html(self) -> str:
        """The whole body as HTML (templates usually walk :attr:`sections` instead)."""
        return to_html(self.body)

    @cached_property
    def text(self) -> str:
        """The whole body as wrapped plain text."""
        return _BLANKS.sub("\n\n", to_text(self.body, self.width))

    @property
    def ids(self) -> tuple[str, ...]:
        """The ids of every disclaimer the view carries."""
        return tuple(d.id for d in self.disclaimers)

    @property
    def critical(self) -> tuple[DisclaimerView, ...]:
        """The safety-critical disclaimers (never dropped, always first)."""
        return tuple(d for d in self.disclaimers if d.critical)


def split_sections(markdown: str) -> list[tuple[str, int, str]]:
    """The body cut before each top-level heading: ``(title, level, markdown)`` triples.

    Text before the first heading is a section with an empty title.
    """
    lines = markdown.splitlines(keepends=True)
    tokens = parser().parse(markdown)
    cuts: list[tuple[int, str, int]] = []
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.level == 0 and tok.map:
            title = tokens[i + 1].content if i + 1 < len(tokens) else ""
            cuts.append((tok.map[0], title, int(tok.tag[1])))
    out: list[tuple[str, int, str]] = []
    first = cuts[0][0] if cuts else len(lines)
    if "".join(lines[:first]).strip():
        out.append(("", 0, "".join(lines[:first])))
    for n, (start, title, level) in enumerate(cuts):
        end = cuts[n + 1][0] if n + 1 < len(cuts) else len(lines)
        # drop the heading line itself: templates print the title
        heading_end = tokens_map_end(tokens, start)
        out.append((_plain(title), level, "".join(lines[heading_end:end])))
    return out


def tokens_map_end(tokens: Sequence[Any], start: int) -> int:
    """The line after the heading that starts at line ``start``."""
    for tok in tokens:
        if tok.type == "heading_open" and tok.map and tok.map[0] == start:
            return tok.map[1]
    return start + 1


_NOT_PROSE_LINE = re.compile(r"^\s*(?:\||#|```|~~~|    )")


def mark_claims(markdown: str, item: Item, rules: DisclaimerSource) -> str:
    """``markdown`` with ``*`` after each sentence that makes a structure/function claim.

    The symbol points to the boxed FDA statement at the end of the section (21 CFR
    101.93(d): a symbol at the end of each statement when the disclaimer is not adjacent).
    Table rows, headings and code are left alone.
    """
    out = []
    for line in markdown.split("\n"):
        if line.strip() and not _NOT_PROSE_LINE.match(line):
            for sentence in sentences(line):
                if sentence in line and rules.structure_function_claims(item, sentence) > 0:
                    line = line.replace(sentence, sentence + "\\*", 1)
        out.append(line)
    return "\n".join(out)


def _plain(markdown_inline: str) -> str:
    tree = SyntaxTreeNode(parser().parse(markdown_inline))
    para = tree.children[0] if tree.children else None
    if para is None or not para.children:
        return markdown_inline.strip()
    return inline_text(para.children[0]).strip()


def _unique(seq: Iterable[Disclaimer]) -> list[Disclaimer]:
    seen: set[str] = set()
    out = []
    for d in seq:
        if d.id not in seen:
            seen.add(d.id)
            out.append(d)
    return out


_BLANKS = re.compile(r"\n{3,}")


def clean_item(item: Item) -> dict[str, str]:
    """The item's reader-visible strings without XML-illegal characters."""
    return {"title": strip_illegal_xml(item.title), "summary": strip_illegal_xml(item.summary),
            "body": strip_illegal_xml(item.body)}


def build_view(item: Item, rules: DisclaimerSource, url: str, width: int) -> ItemView:
    """Cut ``item`` into sections and place its disclaimers (see the module docstring)."""
    strings = clean_item(item)
    needed = _unique(rules.for_item(item))
    shown: set[str] = set()
    placed: list[Disclaimer] = []
    item_boxed = [d for d in needed if is_boxed(d)]
    sections: list[Section] = []
    for title, level, markdown in split_sections(strings["body"]):
        triggered = _unique(rules.for_text(item, f"{title}\n{markdown}"))
        boxed = [d for d in triggered if is_boxed(d)]
        if boxed and item_boxed:
            # one reader-visible unit, one FDA form: the one the whole item's count picks
            boxed = item_boxed
        if boxed:
            markdown = mark_claims(markdown, item, rules)
        warnings = [d for d in triggered if not is_boxed(d) and d.id not in shown
                    and _beside(d)]
        placed.extend([*warnings, *boxed])
        shown.update(d.id for d in warnings)
        shown.update(d.id for d in boxed)
        sections.append(Section(
            title=title, level=level, markdown=markdown, html=to_html(markdown),
            text=to_text(markdown, width).rstrip("\n"),
            warnings=tuple(DisclaimerView.of(d) for d in warnings),
            boxed=tuple(DisclaimerView.of(d) for d in boxed)))
    notes = [d for d in needed if d.id not in shown and not is_boxed(d)]
    closing = [d for d in needed if d.id not in shown and is_boxed(d)]
    carried = _unique([*needed, *placed])
    return ItemView(
        item=item, url=url, title=strings["title"], summary=strings["summary"],
        body=strings["body"], width=width,
        sections=tuple(sections),
        notes=tuple(DisclaimerView.of(d) for d in notes),
        closing=tuple(DisclaimerView.of(d) for d in closing),
        disclaimers=tuple(DisclaimerView.of(d)
                          for d in sorted(carried, key=lambda d: not d.critical)),
        tags=tuple(item.tags))


def _beside(d: Disclaimer) -> bool:
    """Whether ``d`` sits beside the section that triggers it (else: top notes or footer)."""
    placement = (getattr(d, "placement", "") or "").lower()
    return d.critical or placement not in ("footer", "top")
