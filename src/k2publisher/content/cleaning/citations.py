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
from collections.abc import Iterator
from dataclasses import dataclass, field


def _words(text: str) -> list[str]:
    """The whitespace-separated words of a lexicon block."""
    return text.split()


#: highest reference number a page is assumed to have when splitting a run of digits
MAX_REF = 20

#: names of genes, proteins, vitamins, cell lines, phases and variants that end in digits
NAMES: frozenset[str] = frozenset(_words("""
VK1 VK2 VK3 VK4 VK5 K1 K2 K3 K4 K5 MK-4 MK-7 MK-8 MK-9 MK-n D2 D3 B1 B2 B3 B6 B9 B12 E2 A1
CDK1 CDK2 CDK4 CDK6 CDK9 HSD17β4 HSD17B4 CYP4F2 CYP2C9 CYP3A4 CYP2D6 CYP1A2 CYP2C19 CYP24A1
CYP27B1 VKORC1 VKORC1L1 UBIAD1 GGCX COVID-19 SARS-CoV-2 HepG2 Hep3B Huh7 HuH-7 PLC/PRF/5
SK-OV-3 PA-1 HL-60 NB4 U937 K562 MCF-7 MDA-MB-231 A549 PC-3 PC3 LNCaP DU145 HCT116 HT-29
SW480 SW620 Caco-2 T24 mTORC1 mTORC2 G0 G1 G2 HIF-1α HIF1A IL-1 IL-1β IL-2 IL-6 IL-8 IL-10
TNF-α Bcl-2 BCL2 Bcl-xL Mcl-1 p21 p27 p53 p16 p38 TP53 5-FU Caspase-3 caspase-3 caspase-7
caspase-8 caspase-9 ERK1/2 Akt1 PI3K COX-2 Nrf2 NRF2 TGF-β1 IGF-1 Ki-67 BRCA1 BRCA2 HER2
ERBB2 APOE4 ε4 H2 H₂ CO2 O2 omega-3 Omega-3 ω-3 Gas6 GAS6 Runx2 RUNX2 PIVKA-II DCP-II CD4
CD8 CD34 CD38 CD44 PD-1 PD-L1 CTLA-4 Wnt3a ABCB1 MDR1 P-gp SXR1 PXR1 NR1I2 AMPKα1 rs2108622
rs9923231 rs1057910 1,25(OH)2D3 25(OH)D3 Ca2 Mg2 P450 CYP450 Ca2+ ApoE4
"""))

#: acronyms and short names without trailing digits: digits glued after them are citations
ACRONYMS: frozenset[str] = frozenset(_words("""
VK MK HCC ATRA MDS AML APL CML CLL ALL CRC TNBC ROS AMPK TCA VDR SXR PXR APOE MRSA RCT RCTs
UL AI DNA RNA MEK ERK Akt AKT HIF MIC FDA NIH EFSA WHO USA UK US EU NF-κB NFκB VEGF EGFR
HDAC ATP NAD NADH GSH BMD CVD CKD MGP ucMGP dp-ucMGP OC ucOC PIVKA INR LDL HDL BMI MRI CT
PET QoL GI IV CAR-T PCR qPCR IC50 EC50 mTOR PTEN MAPK JNK STAT3 JAK Bax Bak Bid Bim Bcl TNF
NK Treg Th1 Th17 HSD CYP GLA Gla VKDP VKDPs KEAP1 PKA PKC cAMP MMP TIMP LC3 ROCK
"""))

_TRAIL = re.compile(r"^(?P<stem>.*?)(?P<digits>[0-9]+)$")
_LEAD_PUNCT = "([{\"'“‘"
_TRAIL_PUNCT = ".,;:!?)]}\"'”’"
_PLURAL_ACRONYM = re.compile(r"[A-Z]{2,}s$")
_WORD_TAIL = re.compile(r"([A-Za-zÀ-ÖØ-öø-ÿ]+)$")


@dataclass
class CitationResult:
    """Text with glued citation digits removed, the numbers found, and ambiguous tokens."""

    text: str
    citations: list[int] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    #: tokens where a known name is run together with the word before it ("GGCXVKORC1")
    glued: list[str] = field(default_factory=list)


def split_run(digits: str, max_ref: int = MAX_REF) -> list[int] | None:
    """Split a run of citation digits into reference numbers, or None when ambiguous."""
    singles = [int(d) for d in digits]
    if 0 not in singles and all(a < b for a, b in itertools.pairwise(singles)):
        return singles
    splits = [s for s in _ascending_splits(digits, max_ref) if any(n >= 10 for n in s)]
    if len(splits) == 1:
        return splits[0]
    if 0 not in singles and len(set(singles)) == len(singles) and len(digits) <= 4:
        return singles
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


def _ends_with_name(stem: str) -> bool:
    """True when ``stem`` is a known name, or ends in one at a word boundary (or glued long)."""
    if stem in NAMES or stem in ACRONYMS:
        return True
    for name in NAMES | ACRONYMS:
        if stem.endswith(name) and len(stem) > len(name):
            before = stem[-len(name) - 1]
            if not before.isalnum() or (len(name) >= 5 and name in NAMES):
                return True
    return False


def glued_name(core: str) -> bool:
    """True when ``core`` ends in a long known name run together with a word or name."""
    return any(core.endswith(name) and len(core) > len(name) and core[-len(name) - 1].isalnum()
               for name in NAMES if len(name) >= 5)


def classify(core: str, max_ref: int = MAX_REF) -> tuple[str, list[int]] | None:
    """Decide one token (without surrounding punctuation).

    Returns ``(kept_text, citations)``; ``citations`` is empty when the token is a name or
    holds no glued digits. Returns None when the token is ambiguous.
    """
    match = _TRAIL.match(core)
    if not match or not match.group("stem"):
        return core, []
    stem, digits = match.group("stem"), match.group("digits")
    if not re.search(r"[^\W\d_]|\)", stem):
        return core, []  # a number such as 1,000 or 50–180
    if "(OH)" in core or "₂" in core:
        return core, []
    # 1. the lexicon: the whole token, then shorter prefixes (more digits taken as citations)
    for cut in range(len(digits) + 1):
        kept, run = core[:len(core) - cut], digits[len(digits) - cut:]
        if not _ends_with_name(kept):
            continue
        if not run:
            return core, []
        numbers = split_run(run, max_ref)
        return (kept, numbers) if numbers else None
    # 2. general rules on the stem left when every trailing digit is taken away
    single_capital = re.fullmatch(r"[A-Z]", stem) is not None and len(digits) == 1
    if stem[0].isdigit() or stem.endswith("-") or stem == "rs" or single_capital:
        return core, []
    tail_match = _WORD_TAIL.search(stem)
    tail = tail_match.group(1) if tail_match else ""
    glued_word = tail == stem or (len(stem) > len(tail) and not stem[-len(tail) - 1].isalnum())
    citation_like = stem.endswith(")") or (glued_word and (
        (len(tail) >= 3 and (tail.islower() or (tail[0].isupper() and tail[1:].islower())))
        or bool(_PLURAL_ACRONYM.fullmatch(tail))))
    if not citation_like:
        return None
    numbers = split_run(digits, max_ref)
    return (stem, numbers) if numbers else None


_TOKEN = re.compile(r"\S+")


def clean_citations(text: str, max_ref: int = MAX_REF) -> CitationResult:
    """Remove citation digits glued to words in ``text`` and collect them.

    Citations are returned in order of first appearance without duplicates; ambiguous tokens
    are left untouched and listed in ``ambiguous``.
    """
    result = CitationResult(text="")
    seen: dict[int, None] = {}

    def fix(match: re.Match[str]) -> str:
        token = match.group(0)
        start = 0
        while start < len(token) and token[start] in _LEAD_PUNCT:
            start += 1
        end = len(token)
        while end > start and token[end - 1] in _TRAIL_PUNCT:
            end -= 1
        core = token[start:end]
        if not core or not re.search(r"[0-9]$", core):
            return token
        decided = classify(core, max_ref)
        if decided is not None and not decided[1] and glued_name(core) \
                and core not in result.glued:
            result.glued.append(core)
        if decided is None:
            if core not in result.ambiguous:
                result.ambiguous.append(core)
            return token
        kept, numbers = decided
        for n in numbers:
            seen.setdefault(n, None)
        return token[:start] + kept + token[end:]

    result.text = _TOKEN.sub(fix, text)
    result.citations = list(seen)
    return result
