"""Splitting text into a numbered thread: sentence boundaries first, words only as a fallback.

A boundary is never placed inside a URL, a decimal number (``45.5 mg``), an abbreviation
(``e.g.``, ``Dr. Smith``) or an initial (``J. Smith``). :func:`pack` is the one greedy packer,
used both by :func:`split_text` and by the social renderer, which packs sentences into posts
whose disclaimers depend on the sentences they carry.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import regex

from k2publisher.render.counting import count

#: words that end with a full stop without ending a sentence (compared lower-case)
ABBREVIATIONS = frozenset({
    "dr", "mr", "mrs", "ms", "prof", "st", "sr", "jr", "vs", "etc", "e.g", "i.e", "al",
    "fig", "figs", "no", "nos", "approx", "ca", "cf", "vol", "ref", "refs", "inc", "ltd",
    "co", "corp", "dept", "est", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "mg", "mcg", "min", "max", "resp", "viz", "wt", "u.s",
})

# a URL, without the sentence punctuation that may follow it
_URL = re.compile(r"(?:https?://|www\.)\S+?(?=[.,;:!?)\]\"'”’]*(?:\s|$))")
# a sentence ends at . ! ? or … (plus closing quotes/brackets) followed by whitespace
_END = regex.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+\S)")
_WORD_BEFORE = regex.compile(r"(\S+)$")


def numbering(index: int, total: int) -> str:
    """The thread marker for part ``index`` (0-based) of ``total``: ``1/3``."""
    return f"{index + 1}/{total}"


def _protected(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _URL.finditer(text)]


def _is_boundary(text: str, end: int, start_of_token: str) -> bool:
    """Whether the punctuation run ending at ``end`` closes a sentence."""
    before = _WORD_BEFORE.search(text[:end])
    word = before.group(1) if before else ""
    core = word.rstrip(".!?…\"'”’)]").lstrip("(\"'“‘[")
    if text[end - 1] == "." or word.rstrip("\"'”’)]").endswith("."):
        if core.lower() in ABBREVIATIONS:
            return False
        if len(core) == 1 and core.isalpha():      # an initial: "J. Smith"
            return False
        if "." in core and all(len(p) <= 2 for p in core.split(".")):  # "U.S.", "a.m."
            return False
    # the next sentence starts with a capital, a digit, a quote, a bracket or a symbol
    return not start_of_token[:1].islower()


def sentences(text: str) -> list[str]:
    """``text`` cut into sentences; paragraph breaks always end a sentence."""
    out: list[str] = []
    for para in re.split(r"\n\s*\n", text.strip()):
        para = " ".join(para.split())
        if not para:
            continue
        protected = _protected(para)
        start = 0
        for m in _END.finditer(para):
            end = m.end()
            if any(a < end <= b for a, b in protected):
                continue
            nxt = para[end:].lstrip()
            if _is_boundary(para, end, nxt):
                out.append(para[start:end].strip())
                start = end
        tail = para[start:].strip()
        if tail:
            out.append(tail)
    return out


#: a space before a unit does not separate words ("45 mg" stays whole)
_WORD_GAP = re.compile(r"\s+(?!(?:mg|mcg|µg|μg|g|kg|iu|IU|ml|mL|%)(?!\w))")


def words(text: str) -> list[str]:
    """``text`` cut at whitespace, a number kept with its unit (URLs stay whole)."""
    return [w for w in _WORD_GAP.split(text.strip()) if w]


Fits = Callable[[Sequence[str], int], bool]


def pack(units: Sequence[str], fits: Fits,
         cut: Callable[[str], list[str]] | None = None) -> tuple[list[list[str]], list[str]]:
    """Greedily fill parts with ``units``; ``fits(units_in_part, part_index)`` decides.

    A unit that does not fit even alone in a fresh part is cut into pieces by ``cut`` (e.g.
    :func:`words`) that flow on into as many parts as they need; without ``cut``, or for a
    piece that still does not fit alone, it is given up. Returns the parts and the units
    (or pieces) that fit nowhere.
    """
    parts: list[list[str]] = []
    dropped: list[str] = []
    current: list[str] = []

    def place(unit: str, may_cut: bool) -> None:
        nonlocal current
        if fits([*current, unit], len(parts)):
            current.append(unit)
        elif current and fits([unit], len(parts) + 1):
            parts.append(current)
            current = [unit]
        elif may_cut and cut is not None and len(pieces := cut(unit)) > 1:
            if current:                 # a cut sentence starts its own part
                parts.append(current)
                current = []
            for piece in pieces:
                place(piece, False)
        else:
            dropped.append(unit)

    for unit in units:
        place(unit, True)
    if current:
        parts.append(current)
    return parts, dropped


def _hard_cut(word: str, room: int, counter: str) -> list[str]:
    pieces, piece = [], ""
    for ch in regex.findall(r"\X", word):
        if piece and count(piece + ch, counter) > room:
            pieces.append(piece)
            piece = ""
        piece += ch
    return [*pieces, piece] if piece else pieces


def split_text(text: str, limit: int, counter: str, *, numbered: bool = True) -> list[str]:
    """``text`` as parts each within ``limit`` by ``counter``, cut at sentence boundaries.

    With ``numbered`` each part starts with ``i/n``. A sentence longer than a part is cut
    at spaces; a single word longer than a part (never a URL in practice) is cut hard.
    Returns ``[text]`` unchanged when it fits as it is.
    """
    if count(text, counter) <= limit:
        return [text]
    total = 9
    while True:
        marker = numbering(total - 1, total) + " " if numbered else ""
        room = limit - count(marker, counter)
        units: list[str] = []
        for sentence in sentences(text):
            if count(sentence, counter) <= room:
                units.append(sentence)
                continue
            for word in words(sentence):
                units.extend([word] if count(word, counter) <= room
                             else _hard_cut(word, room, counter))
        parts, _ = pack(units, lambda us, _i, room=room: count(" ".join(us), counter) <= room)
        if not numbered or len(parts) <= total:
            break
        total = 10 ** len(str(len(parts))) - 1
    n = len(parts)
    return [(numbering(i, n) + " " if numbered else "") + " ".join(p)
            for i, p in enumerate(parts)]
