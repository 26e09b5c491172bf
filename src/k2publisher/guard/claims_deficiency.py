"""Classical nutrient-deficiency diseases: a benefit statement, not a disease claim.

21 CFR 101.93(g)(1) leaves "diseases resulting from essential nutrient deficiencies (e.g.,
scurvy, pellagra)" out of what a disease claim is about, and FD&C Act 403(r)(6)(A) lets a
supplement claim "a benefit related to a classical nutrient deficiency disease" provided it
"discloses the prevalence of such disease in the United States". So a sentence that ties such
a disease to its nutrient -- to the nutrient's lack ("Scurvy comes from too little vitamin C")
or to the nutrient putting it right or keeping it away ("Vitamin C prevents scurvy") -- is no
disease claim: the guard rates it ``review`` with the prevalence note
(``C21-deficiency-disease``), never a block.

Which diseases and nutrients, with a source each, is data: ``lexicon/deficiency-diseases.tsv``
(:func:`~k2publisher.guard.lexicon.deficiency_table`). A general name ("anaemia") counts only
beside its nutrient's deficiency ("iron-deficiency anaemia", "anaemia from low iron"); a
deficiency state ("vitamin D deficiency") names its nutrient itself. It stays a disease claim
when the disease word has no such tie ("Our rosehip tea cures scurvy"), when the sentence also
names another disease or diseases in general ("... and every other illness"), and when it
names one of the table's look-alikes that are diseases (pernicious anaemia is autoimmune;
Wernicke's encephalopathy is brain damage; the table's notes say why).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from k2publisher.guard.lexicon import Deficiency, Mention, deficiency_table, diseases

__all__ = ["Tie", "tie"]

_F = re.IGNORECASE
#: the nutrient's lack, right after it: "vitamin C deficiency", "iodine-poor", "iron stores are low"
_LACK_AFTER = re.compile(
    r"^(?:\s*-\s*|\s+)(?:deficien\w*|insufficien\w*|depletion|deficit|shortage|poor|starved|"
    r"(?:levels?|stores?|status|intake) (?:is |are |was |were )?(?:too )?(?:low|poor|inadequate))\b"
    r"|^\s*(?:levels?|stores?|status|intake)\s+(?:is|are|was|were)\s+(?:too\s+)?"
    r"(?:low|poor|inadequate)\b", _F)
#: the nutrient's lack, before it: "lack of vitamin C", "too little iodine", "low in folate"
_LACK_BEFORE = re.compile(
    r"\b(?:deficien\w*|lack\w*|shortage|insufficien\w*|too little|not enough|(?<!-)low|"
    r"inadequate|depleted|poor|without enough|short of|starved of|absence|deprived of)"
    r"(?:\s+(?:in|of|on|intakes?|levels?|stores?|dietary|blood|body|the|your|their))*"
    r"\s+(?:\w+\s+)?$", _F)
#: diseases in general beside the deficiency disease: a cure beyond the deficiency
_BEYOND = re.compile(
    r"\bcure-?alls?\b|\b(?:any|every|all|other|many|most|countless) (?:\w+ )?(?:diseases?|"
    r"illness(?:es)?|ailments?|conditions?|disorders?)\b|\bwhatever ails\b", _F)


@dataclass(frozen=True)
class Tie:
    """A deficiency disease named in a sentence and tied there to its nutrient."""

    disease: str
    nutrient: str
    row: Deficiency
    start: int
    end: int


def _flex(name: str) -> str:
    """A table name as a pattern: British or US spelling, space or hyphen between words."""
    words = []
    for word in re.split(r"[\s-]+", name):
        w = re.escape(word).replace("ae", "a?e").replace("'s", "(?:['\u2019]s)?")
        w = re.sub(r"tre$", "(?:tre|ter)", w)
        words.append(w)
    return r"[\s-]+".join(words)


def _alternation(names: tuple[str, ...], *, plural: bool) -> re.Pattern[str]:
    flexed = []
    for name in sorted(names, key=len, reverse=True):
        pattern = _flex(name)
        if re.fullmatch(r"vitamin [a-z]", name):
            pattern += r"\d{0,2}"  # "vitamin D" also names "vitamin D3"
        flexed.append(pattern)
    tail = r"(?:e?s)?" if plural else ""
    return re.compile(r"\b(?:" + "|".join(flexed) + r")" + tail + r"\b", _F)


@lru_cache(maxsize=1)
def _rows() -> tuple[tuple[Deficiency, re.Pattern[str] | None, re.Pattern[str]], ...]:
    out = []
    for row in deficiency_table():
        names = _alternation(row.names, plural=True) if row.names else None
        out.append((row, names, _alternation(row.nutrients, plural=False)))
    return tuple(out)


@lru_cache(maxsize=1)
def _any_nutrient() -> re.Pattern[str]:
    return _alternation(tuple({n for row in deficiency_table() for n in row.nutrients}),
                        plural=False)


_STATE = re.compile(r"^(?:dietary\s+)?(?P<nutrient>.+?)[\s-]+(?:deficienc(?:y|ies)|insufficiency)$",
                    _F)


def _lacking(text: str, nutrients: re.Pattern[str]) -> re.Match[str] | None:
    """The first of ``nutrients`` that ``text`` says is lacking ("low iron", "iron deficiency")."""
    for m in nutrients.finditer(text):
        if _LACK_AFTER.search(text[m.end():m.end() + 40]) or \
                _LACK_BEFORE.search(text[max(0, m.start() - 60):m.start()]):
            return m
    return None


def _deficiency_state(mention: Mention) -> str | None:
    """The nutrient a mention like "vitamin D deficiency" names, or None."""
    m = _STATE.match(mention.text.strip().replace("-", " "))
    if m and _any_nutrient().fullmatch(m.group("nutrient").strip()):
        return m.group("nutrient").strip()
    return None


def _ties(sentence: str, context: str,
          acronyms: frozenset[str]) -> tuple[list[Tie], bool]:
    """The deficiency diseases ``sentence`` ties to their nutrient (looked for in ``context``,
    the sentence and the one before it), and whether it names any other disease."""
    spans: list[tuple[int, int, Deficiency, re.Pattern[str]]] = []
    for row, names, nutrients in _rows():
        if names is None:
            continue
        spans += [(m.start(), m.end(), row, nutrients) for m in names.finditer(sentence)]
    # the longest name wins where two overlap ("iron-deficiency anaemia" over "anaemia")
    spans.sort(key=lambda s: (s[0], s[0] - s[1]))
    kept: list[tuple[int, int, Deficiency, re.Pattern[str]]] = []
    for span in spans:
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    ties: list[Tie] = []
    other = bool(_BEYOND.search(sentence))
    found_for: dict[str, re.Match[str] | None] = {}  # once per row: linear in the sentence
    for start, end, row, nutrients in kept:
        if row.status != "classical":
            other = True
            continue
        if row.source + row.names[0] not in found_for:
            found_for[row.source + row.names[0]] = (
                _lacking(context, nutrients) if row.tie == "deficiency"
                else nutrients.search(context))
        found = found_for[row.source + row.names[0]]
        if found is None:
            other = True  # the disease word without its nutrient: still a disease
            continue
        ties.append(Tie(sentence[start:end], found.group(), row, start, end))
    states = [Mention(m.start(), m.end(), m.group()) for m in _states().finditer(sentence)]
    for state in states:
        if not any(s < state.end and state.start < e for s, e, _, _ in kept):
            ties.append(_state_tie(state))
    for mention in diseases(sentence, acronyms):
        if any(s < mention.end and mention.start < e for s, e, _, _ in kept) or \
                any(s.start <= mention.start and mention.end <= s.end for s in states):
            continue
        nutrient = _deficiency_state(mention)
        if nutrient is None:
            other = True
            continue
        ties.append(_state_tie(mention))
    return ties, other


@lru_cache(maxsize=1)
def _states() -> re.Pattern[str]:
    """A nutrient's deficiency state named as such: "vitamin E deficiency", "iron-deficiency"."""
    return re.compile(_any_nutrient().pattern + r"[\s-]+(?:deficienc(?:y|ies)|insufficiency)"
                      r"(?![\s-]+(?:\w+[\s-]+)?(?:an?a?emias?|goit\w+|rickets|bleeding|syndrome|"
                      r"hypothyroidism|disease|disorder))\b", _F)


def _state_tie(state: Mention) -> Tie:
    nutrient = _deficiency_state(state) or state.text
    row = next((r for r, _, n in _rows() if n.fullmatch(nutrient)), deficiency_table()[0])
    return Tie(state.text, nutrient, row, state.start, state.end)


def tie(sentence: str, before: str = "",
        acronyms: frozenset[str] = frozenset()) -> Tie | None:
    """The deficiency disease ``sentence`` is about, when every disease it names is a classical
    nutrient-deficiency disease tied to its nutrient; else None.

    A sentence that names no disease at all is read with ``before`` (the sentence before it),
    for "Scurvy killed sailors for centuries. Vitamin C prevents it."
    """
    ties, other = _ties(sentence, sentence, acronyms)
    if not ties and not other and before:
        ties, other = _ties(before, f"{before} {sentence}", acronyms)
        ties = [Tie(t.disease, t.nutrient, t.row, 0, 0) for t in ties]
    if other or not ties:
        return None
    return ties[0]
