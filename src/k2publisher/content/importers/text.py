"""Plain-text pages (copied from a browser) as a list of blocks: headings, paragraphs, lists.

Such text has no markup left, so the shape of each blank-line-separated chunk decides:
a short line without closing punctuation is a heading, a ``•`` line is a bullet (its
first line its title when text follows), ``1.`` starts a numbered point, a "Summary Table:"
title and the lines after it are a table, and a paragraph after two or more blank lines
sits where a heading was lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from k2publisher.content.cleaning.tables import recover, split_header, table_title

_BULLET = re.compile(r"^\s*[•●▪◦‣*-]\s+(?P<text>.*)$")
_NUMBERED = re.compile(r"^\s*(?P<n>\d{1,2})\.\s+(?P<text>.*)$")


@dataclass
class Block:
    """One piece of a page: ``kind`` is heading, para, bullet, numbered or table."""

    kind: str
    text: str = ""
    title: str = ""
    indent: int = 0
    lost_heading: bool = False
    table_lines: tuple[str, ...] = ()


def looks_like_heading(line: str) -> bool:
    """A short line, capitalised, without closing punctuation or sentence breaks."""
    text = line.strip()
    if not text or len(text) > 80 or len(text.split()) > 11:
        return False
    if text[-1] in ".,;:!?" or ". " in text:
        return False
    return text[0].isupper() or text[0].isdigit()


def _chunks(lines: list[str]) -> list[tuple[int, list[str]]]:
    """Blank-line separated chunks with the number of blank lines before each."""
    chunks: list[tuple[int, list[str]]] = []
    gap, current = 0, []
    for line in lines:
        if line.strip():
            current.append(line.rstrip())
            continue
        if current:
            chunks.append((gap, current))
            current, gap = [], 0
        gap += 1
    if current:
        chunks.append((gap, current))
    return chunks


def _is_table(lines: list[str]) -> bool:
    if len(lines) < 2 or len(split_header(lines[0])) < 2:
        return False
    return not any(re.search(r"[.!?]\s+[A-Z]", line) for line in lines) \
        and looks_like_heading(lines[0])


def parse_blocks(lines: list[str]) -> list[Block]:
    """Turn the page's lines into blocks, in order.

    Two or more blank lines before a paragraph mark a lost heading, unless the page
    separates a third or more of its chunks that way (then the gaps say nothing).
    """
    blocks: list[Block] = []
    pending_table: str | None = None
    chunks = _chunks(lines)
    wide = sum(1 for gap, _ in chunks[1:] if gap >= 2)
    gaps_mean_lost = wide * 3 < max(len(chunks) - 1, 1) or len(chunks) < 6
    for gap, chunk in chunks:
        if not gaps_mean_lost:
            gap = min(gap, 1)
        first = chunk[0]
        indent = len(first) - len(first.lstrip())
        if pending_table is not None:
            blocks.append(Block("table", title=pending_table, table_lines=tuple(
                line.strip() for line in chunk)))
            pending_table = None
            continue
        title = table_title(first)
        if title is not None and len(chunk) == 1:
            pending_table = title
            continue
        bullet = _BULLET.match(first)
        numbered = _NUMBERED.match(first)
        if bullet:
            rest = " ".join(line.strip() for line in chunk[1:])
            if rest:
                blocks.append(Block("bullet", text=rest, title=bullet.group("text").strip(),
                                    indent=indent))
            else:
                blocks.append(Block("bullet", text=bullet.group("text").strip(), indent=indent))
            continue
        if numbered:
            blocks.append(Block("numbered", title=f"{numbered.group('n')}. "
                                f"{numbered.group('text').strip()}", indent=indent))
            rest = " ".join(line.strip() for line in chunk[1:])
            if rest:
                blocks.append(Block("para", text=rest, indent=indent))
            continue
        if title is not None:
            blocks.append(Block("table", title=title, table_lines=tuple(
                line.strip() for line in chunk[1:])))
            continue
        if _is_table([line.strip() for line in chunk]):
            blocks.append(Block("table", title="", table_lines=tuple(
                line.strip() for line in chunk)))
            continue
        for n, line in enumerate(chunk):
            text = line.strip()
            if looks_like_heading(text) and not (n == len(chunk) - 1 and n > 0):
                blocks.append(Block("heading", text=text, indent=indent))
            else:
                lost = gap >= 2 and n == 0 and bool(blocks) and blocks[-1].kind != "heading"
                blocks.append(Block("para", text=text, indent=indent, lost_heading=lost))
    return blocks


def table_markdown(block: Block) -> tuple[str, bool]:
    """A table block as Markdown and whether it was recovered cleanly."""
    table = recover(block.title, list(block.table_lines))
    head = f"**Summary table: {block.title}**\n\n" if block.title else ""
    return head + table.markdown(), table.ok


#: keywords in a paragraph whose heading was lost -> the heading to give it
DERIVED_HEADINGS: tuple[tuple[str, str], ...] = (
    (r"neuroprotect\w*", "Neuroprotection"),
    (r"antioxidants?", "Antioxidant Effects"),
    (r"anti-?inflammat\w*", "Anti-inflammatory Effects"),
    (r"bones?", "Bone Health"),
    (r"cardiovascular|arter\w*", "Cardiovascular Health"),
    (r"memory|cogniti\w*", "Cognitive Function"),
    (r"dosage|doses?|dosing", "Dosage"),
    (r"side effects|safety|safe", "Safety"),
)


def derive_heading(text: str, last: bool = False) -> str:
    """A heading for a paragraph whose own heading was lost in the page's text."""
    if last:
        return "Summary"
    # a key word counts as a whole word, not inside a compound ("high-dose" is no "Dosage")
    for pattern, heading in DERIVED_HEADINGS:
        if re.search(rf"(?<![\w-])(?:{pattern})(?![\w-])", text[:160], re.I):
            return heading
    words = re.sub(r"[^\w\s’'-]", "", text).split()[:5]
    return " ".join(words).capitalize() or "Untitled"


def render_blocks(blocks: list[Block], clean: Callable[[str], str],
                  review: list[str], *, level: int = 3) -> str:
    """Markdown for ``blocks``: sub-headings at ``level``, bullets, numbered points, tables.

    ``clean`` removes citation digits (and records them); notes for the editor are
    appended to ``review``.
    """
    out: list[str] = []
    for n, block in enumerate(blocks):
        if block.kind == "heading":
            out.append(f"{'#' * level} {clean(block.text)}")
        elif block.kind == "numbered":
            out.append(f"**{clean(block.title)}**")
        elif block.kind == "bullet":
            text = clean(block.text)
            if block.title:
                title = clean(block.title)
                text = f"**{title}** {text}" if title.endswith(":") else f"**{title}** — {text}"
            out.append("- " + text)
        elif block.kind == "table":
            cleaned = Block("table", title=clean(block.title) if block.title else "",
                            table_lines=tuple(clean(line) for line in block.table_lines))
            markdown, ok = table_markdown(cleaned)
            if not ok:
                name = block.title or block.table_lines[0]
                review.append(f"table {name!r}: columns could not be recovered, rows kept "
                              "verbatim; rebuild the table by hand")
            out.append(markdown)
        else:
            text = clean(block.text)
            if block.lost_heading:
                heading = derive_heading(text, last=n == len(blocks) - 1 and level <= 3)
                review.append(f"heading lost in the source; derived {heading!r}")
                out.append(f"{'#' * level} {heading}")
            out.append(text)
    return _join(out)


def _join(parts: list[str]) -> str:
    """Join Markdown parts: consecutive list items on adjacent lines, others apart."""
    text = ""
    for part in parts:
        if not text:
            text = part
        elif part.lstrip().startswith("- ") and text.rsplit("\n", 1)[-1].lstrip().startswith("- "):
            text += "\n" + part
        else:
            text += "\n\n" + part
    return text
