"""Splitting text into a numbered thread: the one place that decides where text may be cut,
and where a sentence ends (:func:`boundaries`, for the renderer and the claims guard alike).

The policy, in order:

1. Text is cut between sentences; a part holds whole sentences while they fit, and a
   sentence that does not fit beside the others starts a new part.
2. A **safety sentence** (a warning, an interaction, "ask your doctor": the caller says which,
   see :meth:`~k2publisher.guard.interactions.Catalogue.is_safety`) is never cut: it moves
   whole to a part of its own, and one longer than a part is given up and reported
   (:func:`pack` returns it; :func:`split_text` raises :class:`SentenceTooLong`). The guard
   refuses a rendering that lost one or split one across parts
   (:mod:`k2publisher.render.coverage`).
3. A sentence that opens with an **attribution** ("A 2019 review found that ...", "According
   to the NIH, ...", "In a mouse study, ...") is never cut either, so no part begins with its
   claim alone or ends mid-phrase.
4. In **posts** (``posts=True``, the social composer) no sentence is cut: the pieces of any
   sentence could read as a claim the whole sentence does not make, so one that fits no post
   is given up and reported.
5. In plain text any other sentence too long for a part is cut at clause boundaries (after
   ``,`` ``;`` ``:`` or before a dash), and only a clause still too long between words.

A boundary is never placed inside a URL, a decimal number (``45.5 mg``), an abbreviation
(``e.g.``, ``Dr. Smith``) or an initial (``J. Smith``), and a number stays with its unit.
:func:`pack` is the one greedy packer, used both by :func:`split_text` and by the social
renderer, which packs sentences into posts whose disclaimers depend on the sentences they
carry; :func:`cut` is the one answer to "may this unit be cut, and where".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import regex

from k2publisher.render.counting import count

#: words that end with a full stop without ending a sentence (compared lower-case)
ABBREVIATIONS = frozenset({
    "dr", "mr", "mrs", "ms", "prof", "st", "sr", "jr", "vs", "etc", "e.g", "i.e", "al",
    "fig", "figs", "approx", "ca", "cf", "vol", "ref", "refs", "inc", "ltd",
    "co", "corp", "dept", "est", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "min", "max", "resp", "viz", "wt", "u.s",
})
#: abbreviations only before a number ("No. 5"); before a word they are words ("No. It is not.")
NUMBER_LABELS = frozenset({"no", "nos"})
#: words after which a single capital is a name, not an initial ("vitamin D. It ...")
_LETTER_NAMES = frozenset({"vitamin", "vitamins", "hepatitis"})

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


def _after_letter_name(text: str, start: int) -> bool:
    """Whether the word ending before ``start`` names things by a letter ("vitamin")."""
    before = _WORD_BEFORE.search(text[:start].rstrip())
    return bool(before) and before.group(1).lower() in _LETTER_NAMES


def _is_boundary(text: str, end: int, start_of_token: str) -> bool:
    """Whether the punctuation run ending at ``end`` closes a sentence."""
    before = _WORD_BEFORE.search(text[:end])
    word = before.group(1) if before else ""
    core = word.rstrip(".!?…\"'”’)]").lstrip("(\"'“‘[")
    if text[end - 1] == "." or word.rstrip("\"'”’)]").endswith("."):
        if core.lower() in ABBREVIATIONS:
            return False
        if core.lower() in NUMBER_LABELS and start_of_token[:1].isdigit():
            return False
        if len(core) == 1 and core.isalpha() and not _after_letter_name(text, end - len(word)):
            return False                            # an initial: "J. Smith"
        if "." in core and all(len(p) <= 2 for p in core.split(".")):  # "U.S.", "a.m."
            return False
    # the next sentence starts with a capital, a digit, a quote, a bracket or a symbol
    return not start_of_token[:1].islower()


def boundaries(text: str) -> list[int]:
    """Where sentences end in ``text``: the offsets just after each closing punctuation run.

    The one decision on sentence boundaries (render and guard): a sentence ends at ``.``
    ``!`` ``?`` or ``…`` (with closing quotes or brackets) before whitespace and a token that
    does not start in lower case ("H. pylori", "e.g. fatigue" go on), never inside a URL,
    after an abbreviation, an initial or "U.S.". Line breaks count as spaces here;
    :func:`sentences` and :func:`statements` add the breaks that always end one.
    """
    protected = _protected(text)
    out: list[int] = []
    for m in _END.finditer(text):
        end = m.end()
        if any(a < end <= b for a, b in protected):
            continue
        if _is_boundary(text, end, text[end:].lstrip()):
            out.append(end)
    return out


def _cut_at(text: str, ends: list[int]) -> list[str]:
    """``text`` cut at ``ends``, the whitespace after each end left out."""
    pieces, start = [], 0
    for end in ends:
        pieces.append(text[start:end])
        start = len(text) - len(text[end:].lstrip())
    pieces.append(text[start:])
    return pieces


def sentences(text: str) -> list[str]:
    """``text`` cut into sentences, whitespace normalised; paragraph breaks always end one."""
    out: list[str] = []
    for para in re.split(r"\n\s*\n", text.strip()):
        para = " ".join(para.split())
        out += [s.strip() for s in _cut_at(para, boundaries(para)) if s.strip()]
    return out


#: what ends a statement besides a sentence's end: ";", a blank line, a line opening a list
#: item (a bullet or "1." / "1)")
_STATEMENT_BREAK = re.compile(r"(?<=;)\s+|\n\s*\n|\s*\n\s*(?=[-*•]|\d+[.)]\s)")


def statements(text: str) -> list[str]:
    """``text`` cut into the units a claim is read in: sentences, also ended at ";", a
    blank line or a list item; each as written (whitespace inside kept).

    The claims guard's and the disclaimer rules' unit (``guard.text.sentences``).
    """
    out: list[str] = []
    for chunk in _STATEMENT_BREAK.split(text):
        out += [s for s in _cut_at(chunk, boundaries(chunk)) if s.strip()]
    return out


#: a space before a unit does not separate words ("45 mg" stays whole)
_WORD_GAP = re.compile(r"\s+(?!(?:mg|mcg|µg|μg|g|kg|iu|IU|ml|mL|%)(?!\w))")


def words(text: str) -> list[str]:
    """``text`` cut at whitespace, a number kept with its unit (URLs stay whole)."""
    return [w for w in _WORD_GAP.split(text.strip()) if w]


#: the opening of a sentence that says who found or said what: "A 2019 review found that",
#: "Researchers reported", "According to the NIH,", "In a mouse study,"
ATTRIBUTION = regex.compile(
    r"^(?:(?:according to|as reported by|per|in|among)\b(?:[^,;:.!?]|(?<=\d)[,.](?=\d)){1,80},"
    r"|(?:[^,;:.!?]|(?<=\d)[,.](?=\d)){1,80}?\b(?:found|find|finds|showed|shows|show|reported|reports|report"
    r"|suggest(?:s|ed)?|concluded|conclude[sd]?|noted|observed|observes?|says|said|states?"
    r"|stated|indicated?|indicates|demonstrated?|demonstrates)\b(?:\s+that)?)",
    regex.IGNORECASE)
# a clause ends after , ; : (then a space) or before a spaced dash
_CLAUSE_END = regex.compile(r"(?<=[,;:])\s+(?=\S)|\s+(?=[\u2014\u2013-]\s)")


def attribution(sentence: str) -> str:
    """The attribution that opens ``sentence`` ("A 2019 review found that"), or ""."""
    m = ATTRIBUTION.match(sentence.strip())
    return m.group() if m else ""


def clauses(sentence: str) -> list[str]:
    """``sentence`` cut at clause boundaries; an attributed sentence stays whole.

    The pieces joined with single spaces give the sentence back (whitespace normalised).
    """
    text = " ".join(sentence.split())
    if attribution(text):
        return [text]
    protected = _protected(text)
    pieces, start = [], 0
    for m in _CLAUSE_END.finditer(text):
        if any(a < m.start() < b for a, b in protected) or m.start() <= start:
            continue
        pieces.append(text[start:m.start()])
        start = m.end()
    pieces.append(text[start:])
    return [p for p in pieces if p]


def cut(unit: str, *, safety: bool = False, posts: bool = False) -> list[str]:
    """The next finer pieces of ``unit``, or ``[unit]`` when it may not be cut.

    ``safety`` says ``unit`` is safety text and ``posts`` that it goes into social posts:
    then, and for an attributed sentence, it is never cut (see the module's policy). Else
    its clauses, or its words when it is one clause (a single word is its own only piece).
    :func:`pack` cuts a unit this way, again and again, only while a piece does not fit a
    part on its own.
    """
    if safety or posts or attribution(" ".join(unit.split())):
        return [unit]
    pieces = clauses(unit)
    return pieces if len(pieces) > 1 else words(unit)


class SentenceTooLong(ValueError):
    """A sentence that may not be cut (safety text, an attribution) is longer than a part."""

    def __init__(self, sentence: str, length: int, room: int):
        self.sentence = sentence
        super().__init__(f"a sentence that may not be cut is {length} long, {length - room} "
                         f"over the {room} a part has: \u201c{sentence}\u201d; shorten it")


Fits = Callable[[Sequence[str], int], bool]


def pack(units: Sequence[str], fits: Fits,
         cut: Callable[[str], list[str]] | None = None) -> tuple[list[list[str]], list[str]]:
    """Greedily fill parts with ``units``; ``fits(units_in_part, part_index)`` decides.

    A unit that does not fit even alone in a fresh part is cut into pieces by ``cut`` (e.g.
    :func:`cut`: clauses, then words) that flow on into as many parts as they need; a piece
    that still does not fit alone is cut again. Without ``cut``, or for a piece ``cut``
    cannot make smaller, it is given up. Returns the parts and the units (or pieces) that
    fit nowhere.
    """
    parts: list[list[str]] = []
    dropped: list[str] = []
    current: list[str] = []

    def place(unit: str, top: bool) -> None:
        nonlocal current
        if fits([*current, unit], len(parts)):
            current.append(unit)
        elif current and fits([unit], len(parts) + 1):
            parts.append(current)
            current = [unit]
        elif cut is not None and len(pieces := cut(unit)) > 1:
            if current and top:         # a cut sentence starts its own part
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


def split_text(text: str, limit: int, counter: str, *, numbered: bool = True,
               is_safety: Callable[[str], bool] | None = None) -> list[str]:
    """``text`` as parts each within ``limit`` by ``counter``, cut at sentence boundaries.

    With ``numbered`` each part starts with ``i/n``. A sentence longer than a part is cut as
    :func:`cut` says (clauses, then spaces), except a safety sentence (``is_safety``) or an
    attributed one, which raises :class:`SentenceTooLong`; a single word longer than a part
    (never a URL in practice) is cut hard. Returns ``[text]`` unchanged when it fits as it is.
    """
    if count(text, counter) <= limit:
        return [text]
    safe = is_safety or (lambda _s: False)
    total = 9
    while True:
        marker = numbering(total - 1, total) + " " if numbered else ""
        room = limit - count(marker, counter)
        whole: set[str] = set()       # units that may not be cut

        def finer(unit: str, room: int = room, whole: set[str] = whole) -> list[str]:
            pieces = cut(unit, safety=unit not in whole and safe(unit))
            if len(pieces) > 1:
                return pieces
            if count(unit, counter) > room and len(words(unit)) == 1:
                return _hard_cut(unit, room, counter)
            whole.add(unit)
            return [unit]

        parts, dropped = pack(sentences(text),
                              lambda us, _i, room=room: count(" ".join(us), counter) <= room,
                              finer)
        if dropped:
            raise SentenceTooLong(dropped[0], count(dropped[0], counter), room)
        if not numbered or len(parts) <= total:
            break
        total = 10 ** len(str(len(parts))) - 1
    n = len(parts)
    return [(numbering(i, n) + " " if numbered else "") + " ".join(p)
            for i, p in enumerate(parts)]
