"""Citation digits glued to words: ``cancers157`` -> ``cancers`` with references [1, 5, 7].

Pages copied out of a browser lose their superscripts, so reference numbers end up glued to
the word before them. Names that really end in digits (``VK2``, ``MK-7``, ``CDK4``,
``rs2108622``) must survive. Two sources of knowledge decide, in this order:

1. a curated lexicon of names used in this field (:data:`NAMES`, which may end in digits,
   and :data:`ACRONYMS`, which never do), matched against the token and its prefixes, so
   ``CDK42`` is ``CDK4`` + [2] and ``ATRA19`` is ``ATRA`` + [1, 9];
2. general rules for tokens the lexicon does not know: a lowercase or capitalised word, a
   plural acronym (``RCTs``) or a closing bracket followed by digits carries citations; a
   hyphen before the digits (``COVID-19``, ``SK-OV-3``), a dbSNP id (``rs123``) or a single
   capital and one digit (``K3``) is a name; anything else (``ABC12``) is ambiguous: the text
   is kept and the token is reported so the item gets a ``review`` note.

How a run of digits splits into reference numbers (:func:`split_run`): single digits when
they ascend (``157`` -> 1, 5, 7); otherwise the one ascending split whose numbers are all at
most ``max_ref`` with at least one of two digits (``1012`` -> 10, 12; ``514`` -> 5, 14);
otherwise distinct non-zero single digits in page order (``52`` -> 5, 2); otherwise None
(ambiguous).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from k2publisher.content.cleaning.lexicon import lexicon

#: highest reference number a page is assumed to have when it does not say (no numbered list)
MAX_REF = 20

#: names that may end in digits (every name table of the bundled lexicon)
NAMES: frozenset[str] = lexicon().names
#: acronyms and units without trailing digits: digits glued after them are citations
ACRONYMS: frozenset[str] = lexicon().acronyms | lexicon().units


@dataclass(frozen=True)
class PageEvidence:
    """What the page itself says about its citations and names.

    ``max_ref`` bounds the citation numbers (the page's numbered reference list, else
    :data:`MAX_REF`); ``counts`` is how often each token occurs on the page, so a name the
    page uses elsewhere (``CD34``) is preferred when a glued token could be read two ways.
    """

    max_ref: int = MAX_REF
    counts: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, text: str, max_ref: int = MAX_REF) -> PageEvidence:
        """Evidence gathered from a page's whole text."""
        return cls(max_ref, Counter(cores(text)))

    def seen(self, token: str, more_than: int = 0) -> bool:
        """True when ``token`` occurs on the page more than ``more_than`` times."""
        return self.counts.get(token, 0) > more_than


_TRAIL = re.compile(r"^(?P<stem>.*?)(?P<digits>[0-9]+)$")
_LEAD_PUNCT = "([{\"'“‘"
_TRAIL_PUNCT = ".,;:!?)]}\"'”’"
_PLURAL_ACRONYM = re.compile(r"[A-Z]{2,}s$")
#: a protein name ending in a Greek letter ("ERα", "PPARγ"): digits glued after it are citations
_GREEK_SUFFIX = re.compile(r"[A-Za-z0-9-][αβγδεκ]$")
_WORD_TAIL = re.compile(r"([A-Za-zÀ-ÖØ-öø-ÿ]+)$")


@dataclass
class CitationResult:
    """Text with glued citation digits removed, the numbers found, and ambiguous tokens."""

    text: str
    citations: list[int] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    #: tokens where a known name is run together with the word before it ("GGCXVKORC1")
    glued: list[str] = field(default_factory=list)
    #: tokens whose citation digits were removed, as they were written ("IL-128")
    cleaned: list[str] = field(default_factory=list)


def split_run(digits: str, max_ref: int = MAX_REF) -> list[int] | None:
    """Split a run of citation digits into reference numbers, or None when ambiguous."""
    singles = [int(d) for d in digits]
    fits = 0 not in singles and max(singles, default=0) <= max_ref
    if fits and all(a < b for a, b in itertools.pairwise(singles)):
        return singles
    splits = [s for s in _ascending_splits(digits, max_ref) if any(n >= 10 for n in s)]
    if len(splits) == 1:
        return splits[0]
    if fits and len(set(singles)) == len(singles) and len(digits) <= 4:
        return singles
    shortest = min((len(s) for s in splits), default=0)
    fewest = [s for s in splits if len(s) == shortest]
    if len(fewest) == 1:
        return fewest[0]  # "1213" within 14 references: 12, 13 rather than 1, 2, 13
    return None


def _ascending_splits(digits: str, max_ref: int, low: int = 0) -> Iterator[list[int]]:
    if not digits:
        yield []
        return
    for size in (1, 2):
        head = digits[:size]
        if len(head) < size or head.startswith("0"):
            continue
        number = int(head)
        if low < number <= max_ref:
            for rest in _ascending_splits(digits[size:], max_ref, number):
                yield [number, *rest]


def _known(token: str) -> bool:
    """True when ``token`` is a name, acronym or unit of the lexicon, or a family member."""
    return token in NAMES or token in ACRONYMS or lexicon().family_member(token)


def _ends_with_name(stem: str) -> bool:
    """True when ``stem`` is a known name, or ends in one at a word boundary (or glued long)."""
    if _known(stem):
        return True
    for name in NAMES | ACRONYMS:
        if stem.endswith(name) and len(stem) > len(name):
            before = stem[-len(name) - 1]
            if not before.isalnum() or (len(name) >= 5 and name in NAMES):
                return True
    tail = re.split(r"[/(]", stem)[-1]
    return tail != stem and bool(tail) and lexicon().family_member(tail)


def glued_name(core: str) -> bool:
    """True when ``core`` ends in a long known name run together with a word or name."""
    return any(core.endswith(name) and len(core) > len(name) and core[-len(name) - 1].isalnum()
               for name in NAMES if len(name) >= 5)


_SLASH_PAIR = re.compile(r".*[0-9A-Za-z]/[0-9]$")  # CDK4/6, ERK1/2, MEK1/2


def _whole_name(core: str) -> bool:
    """True when the token as written is a name with digits (or ends in a known one)."""
    return lexicon().is_name(core) or _SLASH_PAIR.fullmatch(core) is not None \
        or _ends_with_name(core)


#: short lowercase words after which digits are citations ("behind it12.")
_SHORT_WORDS = frozenset(["it", "is", "in", "on", "of", "to", "as", "at", "by", "be", "we", "us",
                          "or", "an", "so", "do", "no", "up", "me", "he"])


def classify(core: str, max_ref: int = MAX_REF, page: PageEvidence | None = None, *,
             clause_end: bool = False) -> tuple[str, list[int]] | None:
    """Decide one token (without surrounding punctuation).

    Returns ``(kept_text, citations)``; ``citations`` is empty when the token is a name or
    holds no glued digits. Returns None when the token is ambiguous. ``page`` (the page's
    own evidence) bounds the citation numbers and breaks ties between readings;
    ``clause_end`` says the token ends a sentence or clause, where citations sit.
    """
    if page is not None:
        max_ref = page.max_ref
    match = _TRAIL.match(core)
    if not match or not match.group("stem"):
        return core, []
    stem, digits = match.group("stem"), match.group("digits")
    if "(OH)" in core or "₂" in core:
        return core, []
    if stem.endswith((")", "%")) and not _whole_name(core):
        # digits after a closing bracket or a percentage: "(TNBC)5", "47%)9", "40%12"
        numbers = split_run(digits, max_ref)
        return (stem, numbers) if numbers else None
    if not re.search(r"[^\W\d_]", stem):
        return core, []  # a number such as 1,000 or 50–180
    candidates = _splits(core, digits, max_ref)
    known = [(kept, numbers) for kept, numbers in candidates if numbers]
    if _whole_name(core):
        if page is not None and not page.seen(core, 1) and any(
                page.seen(kept) for kept, _ in known):
            return None  # "IL-16" here, and "IL-1" elsewhere on the page: which is it?
        return core, []
    # 1. the page: a reading whose name the page uses elsewhere ("CD34" + 12)
    if page is not None:
        on_page = [c for c in known if page.seen(c[0])]
        if on_page:
            return on_page[0]
        bare = split_run(digits, max_ref)
        one_letter_name = re.fullmatch(r"[A-Z]", stem) is not None and len(digits) == 1
        if bare and page.seen(stem) and not one_letter_name and not any(
                page.seen(k) for k, _ in candidates):
            return stem, bare  # "erinacine A12." and "erinacine A" elsewhere
    # 2. the lexicon: the longest listed name, else the one family reading there is
    listed = [c for c in known if c[0] in NAMES or not lexicon().family_member(c[0])]
    if listed:
        return listed[0]
    if len(known) == 1:
        return known[0]
    if candidates:
        return None  # no reading, or only families say so and they disagree
    # 3. general rules on the stem left when every trailing digit is taken away
    single_capital = re.fullmatch(r"[A-Z]", stem) is not None and len(digits) == 1
    if single_capital and clause_end:
        return None  # "saponin C3." could be complement C3 or C + reference 3
    if re.fullmatch(r"[A-Z]{2,6}", stem) and ((page is not None and page.seen(core, 1)) or (
            len(digits) == 1 and not clause_end)):
        return core, []  # a gene-style symbol ("MT1 and MT2"), or one the page repeats
    if stem[0].isdigit() or stem.endswith("-") or stem == "rs" or single_capital:
        return core, []
    tail_match = _WORD_TAIL.search(stem)
    tail = tail_match.group(1) if tail_match else ""
    glued_word = tail == stem or (len(stem) > len(tail) and not stem[-len(tail) - 1].isalnum())
    citation_like = (glued_word and (
        (len(tail) >= 3 and (tail.islower() or (tail[0].isupper() and tail[1:].islower())))
        or bool(_PLURAL_ACRONYM.fullmatch(tail)) or tail in _SHORT_WORDS)) \
        or _GREEK_SUFFIX.search(stem) is not None
    if not citation_like:
        return None
    numbers = split_run(digits, max_ref)
    return (stem, numbers) if numbers else None


def _splits(core: str, digits: str, max_ref: int) -> list[tuple[str, list[int] | None]]:
    """Readings of ``core`` as a known name + citation digits, longest name first."""
    out: list[tuple[str, list[int] | None]] = []
    for cut in range(1, len(digits) + 1):
        kept = core[:len(core) - cut]
        if _ends_with_name(kept):
            out.append((kept, split_run(digits[len(digits) - cut:], max_ref)))
    return out


_TOKEN = re.compile(r"\S+")


def cores(text: str) -> list[str]:
    """The tokens of ``text`` without their surrounding punctuation, in order."""
    return [_core(token)[1] for token in _TOKEN.findall(text)]


def _core(token: str) -> tuple[int, str, int]:
    """(start, core, end) of ``token`` without its leading and trailing punctuation."""
    start = 0
    while start < len(token) and token[start] in _LEAD_PUNCT:
        start += 1
    end = len(token)
    while end > start and token[end - 1] in _TRAIL_PUNCT:
        end -= 1
    return start, token[start:end], end


def clean_citations(text: str, max_ref: int = MAX_REF,
                    page: PageEvidence | None = None) -> CitationResult:
    """Remove citation digits glued to words in ``text`` and collect them.

    Citations are returned in order of first appearance without duplicates; ambiguous tokens
    are left untouched and listed in ``ambiguous``; ``cleaned`` lists the tokens changed.
    """
    result = CitationResult(text="")
    seen: dict[int, None] = {}

    def fix(match: re.Match[str]) -> str:
        token = match.group(0)
        start, core, end = _core(token)
        if not core or not re.search(r"[0-9]$", core):
            return token
        decided = classify(core, max_ref, page, clause_end=token[end:][:1] in (".", ";", ":"))
        if decided is not None and not decided[1] and glued_name(core) \
                and core not in result.glued:
            result.glued.append(core)
        if decided is None:
            if core not in result.ambiguous:
                result.ambiguous.append(core)
            return token
        kept, numbers = decided
        if numbers:
            result.cleaned.append(core)
        for n in numbers:
            seen.setdefault(n, None)
        return token[:start] + kept + token[end:]

    result.text = _TOKEN.sub(fix, text)
    result.citations = list(seen)
    return result
