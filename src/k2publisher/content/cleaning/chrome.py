"""Page chrome: navigation, sharing, comments, sign-up boxes and teasers a copied page brings.

:func:`strip_chrome` works on the page's lines and returns the lines to keep plus what it
learned on the way: every block it took out (:class:`Stripped`, for ``--dry-run`` and the
quality report), the author of a byline or author box, the reference list (which bounds the
citation numbers) and the database names under "Links to Scientific Studies", so importers
keep those as data instead of text. The families of chrome are in
:mod:`k2publisher.content.cleaning.chrome_families`; a few prompts of the seed sites are
whole lines (:data:`CHROME_LINES`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from k2publisher.content.cleaning.chrome_families import FAMILIES, Context
from k2publisher.content.cleaning.normalise import heading_key, normalise_spaces

__all__ = ["CHROME_LINES", "LATEST_POSTS", "LINKS_HEADING", "SOURCES_MARKER", "ChromeResult",
           "Stripped", "is_chrome_line", "normalise_spaces", "strip_chrome"]

#: whole lines that are always chrome (matched case-insensitively, surrounding space ignored)
CHROME_LINES: tuple[re.Pattern[str], ...] = tuple(re.compile(p, re.IGNORECASE) for p in (
    r"click to learn more",
    r"read more(\s*»|\s*>+|\.\.\.)?",
    r"continue reading.*",
    r"cancer impact summary",
    r"if you found this post helpful.*",
    r"please (support us and )?consider sharing.*",
    r"share (this|on) .*",
    r"we(['’]|\s+wou)?d love to hear your thoughts!?",
    r"leave a (comment|reply).*",
    r"we['’]ve done our best to include as much information as possible.*",
    r"if you have any other questions, please send us a message.*",
    r".{1,80} is widely available as a dietary supplement\. however, it has not been "
    r"established as a treatment for cancer.*",
    r"(table of contents|skip to content|advertisement)",
))

#: the heading of a list of study databases
LINKS_HEADING = re.compile(r"^links to (scientific )?studies$", re.I)
#: the byline's "Latest posts by NAME (see all)"; may be glued to the end of the text
LATEST_POSTS = re.compile(r"latest posts by (?P<name>.+?) \(see all\)\s*$", re.I)
#: left in place of a "Links to Scientific Studies" block: ``SOURCES_MARKER`` + names
SOURCES_MARKER = "\x00sources:"


@dataclass(frozen=True)
class Stripped:
    """One block taken out of a page: its family, first line (1-based) and text."""

    kind: str
    line: int
    lines: tuple[str, ...]

    def summary(self, width: int = 70) -> str:
        """The block's first line, shortened, and how many more lines it had."""
        first = " ".join(self.lines[0].split()) if self.lines else ""
        if len(first) > width:
            first = first[:width - 1].rstrip() + "…"
        more = f" (+{len(self.lines) - 1} lines)" if len(self.lines) > 1 else ""
        return f"{first}{more}"


@dataclass
class ChromeResult:
    """Lines left after stripping, and what was learned and taken out on the way."""

    lines: list[str]
    author: str | None = None
    databases: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    blocks: list[Stripped] = field(default_factory=list)
    #: the page's reference list entries, and the highest reference number it shows
    references: list[str] = field(default_factory=list)
    max_ref: int | None = None
    #: heading keys the page's table of contents listed (its own top-level sections)
    contents: frozenset[str] = frozenset()


def is_chrome_line(line: str) -> bool:
    """True when ``line`` on its own is page chrome."""
    text = line.strip()
    return any(p.fullmatch(text) for p in CHROME_LINES)


def strip_chrome(lines: list[str], known_headings: frozenset[str] = frozenset()) -> ChromeResult:
    """Drop chrome lines and blocks from ``lines``.

    ``known_headings`` are the layout's section headings: blocks that run on (teasers,
    comments) end at one of them.
    """
    out: list[str] = []
    result = ChromeResult(lines=out)
    lines = [normalise_spaces(line) for line in lines]
    ctx = Context(lines, known=frozenset(heading_key(h) for h in known_headings))
    latest = next((m for m in map(LATEST_POSTS.search, lines) if m), None)
    ctx.author = latest.group("name").strip() if latest else None

    def take(kind: str, start: int, end: int) -> int:
        block = tuple(lines[start:end])
        result.removed.extend(block)
        result.blocks.append(Stripped(kind, start + 1, tuple(x for x in block if x.strip())))
        if not out or not out[-1].strip():  # the gap before the block stays the only gap
            while end < len(lines) and not lines[end].strip():
                end += 1
        return end

    i = 0
    while i < len(lines):
        line = lines[i]
        text = line.strip()
        byline = LATEST_POSTS.search(text)
        if byline:
            result.author = byline.group("name").strip()
            before = text[:byline.start()].strip()
            if before and before != result.author:
                out.append(before)
            while out and not out[-1].strip():
                out.pop()
            name_line = [out.pop()] if out and out[-1].strip() == result.author else []
            result.removed.extend([*name_line, text])
            result.blocks.append(Stripped("byline", i + 1 - len(name_line),
                                          (*name_line, text)))
            i += 1
            continue
        if LINKS_HEADING.fullmatch(text):
            result.removed.append(line)
            start = i
            i += 1
            while i < len(lines) and not lines[i].strip():
                i += 1
            found: list[str] = []
            while i < len(lines) and lines[i].strip():
                found.append(lines[i].strip())
                result.removed.append(lines[i])
                i += 1
            result.databases.extend(found)
            result.blocks.append(Stripped("sources-list", start + 1, (text, *found)))
            if found:
                out.extend(["", SOURCES_MARKER + "|".join(found), ""])
            continue
        end = _family_end(ctx, i) if text else None
        if end is not None:
            i = take(end[0], i, end[1])
            continue
        if is_chrome_line(text):
            i = take("prompt", i, i + 1)
            continue
        out.append(line)
        i += 1
    result.author = result.author or ctx.author
    result.references = ctx.references
    result.max_ref = ctx.max_ref
    result.contents = frozenset(ctx.contents)
    return result


def _family_end(ctx: Context, i: int) -> tuple[str, int] | None:
    """(family, end index) of the chrome block starting at line ``i``, if any."""
    for kind, recognise in FAMILIES:
        end = recognise(ctx, i)
        if end is not None and end > i:
            return kind, end
    return None
