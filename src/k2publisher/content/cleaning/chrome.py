"""Page chrome: the navigation, teaser and prompt lines a copied web page drags along.

:func:`strip_chrome` works on the page's lines and returns the lines to keep plus what it
learned on the way (the author of a "Latest posts by ..." byline, the database names
under "Links to Scientific Studies"), so importers keep that as data instead of text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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

#: the heading of a block whose following lines are related-post teasers
RELATED_HEADING = re.compile(r"^(related posts|related articles|you may also like)$", re.I)
#: the heading of a list of study databases
LINKS_HEADING = re.compile(r"^links to (scientific )?studies$", re.I)
#: the byline's "Latest posts by NAME (see all)"; may be glued to the end of the text
LATEST_POSTS = re.compile(r"latest posts by (?P<name>.+?) \(see all\)\s*$", re.I)
#: left in place of a "Links to Scientific Studies" block: ``SOURCES_MARKER`` + names
SOURCES_MARKER = "\x00sources:"


@dataclass
class ChromeResult:
    """Lines left after stripping, with the byline author and study databases found."""

    lines: list[str]
    author: str | None = None
    databases: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


_ODD_SPACE = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000]")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff]")


def normalise_spaces(line: str) -> str:
    """Non-breaking and other odd spaces become plain spaces; zero-width ones go."""
    return _ZERO_WIDTH.sub("", _ODD_SPACE.sub(" ", line))


def is_chrome_line(line: str) -> bool:
    """True when ``line`` on its own is page chrome."""
    text = line.strip()
    return any(p.fullmatch(text) for p in CHROME_LINES)


def _teaser_end(lines: list[str], start: int, headings: frozenset[str]) -> int:
    """Index after the last "Read More" of the teaser block starting at ``start``."""
    end = start + 1
    for i in range(start + 1, len(lines)):
        text = lines[i].strip()
        if text.lower() in headings:
            break
        if re.fullmatch(r"read more.*", text, re.I):
            end = i + 1
    return end


def strip_chrome(lines: list[str], known_headings: frozenset[str] = frozenset()) -> ChromeResult:
    """Drop chrome lines and blocks from ``lines``.

    ``known_headings`` (lowercase) are section headings that end a teaser block even when
    no "Read More" line follows the last teaser.
    """
    out: list[str] = []
    result = ChromeResult(lines=out)
    lines = [normalise_spaces(line) for line in lines]
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
            if out and out[-1].strip() == result.author:
                result.removed.append(out.pop())
            result.removed.append(text)
            i += 1
            continue
        if RELATED_HEADING.fullmatch(text):
            end = _teaser_end(lines, i, known_headings)
            result.removed.extend(lines[i:end])
            i = end
            continue
        if LINKS_HEADING.fullmatch(text):
            result.removed.append(line)
            i += 1
            while i < len(lines) and not lines[i].strip():
                i += 1
            found: list[str] = []
            while i < len(lines) and lines[i].strip():
                found.append(lines[i].strip())
                result.removed.append(lines[i])
                i += 1
            result.databases.extend(found)
            if found:
                out.extend(["", SOURCES_MARKER + "|".join(found), ""])
            continue
        if is_chrome_line(text):
            result.removed.append(line)
            i += 1
            continue
        out.append(line)
        i += 1
    return result
