"""The claims guard's vocabulary: disease names, therapies and drugs, as data files.

* ``diseases-icd10cm.txt``: derived from ICD-10-CM by ``scripts/build-disease-lexicon``
  (see :mod:`k2publisher.guard.lexicon.icd`); ``diseases-exclude.txt`` removes its
  adjectives and body parts; ``diseases-lay.txt`` adds the names readers use.
* ``drugs.txt``: therapies, drug classes and common drug names; ``drugs-medlineplus.txt``:
  generic and brand names of the drugs MedlinePlus documents ("Ozempic", "Aricept"), derived
  by ``scripts/build-drug-lexicon`` (see :mod:`k2publisher.guard.lexicon.medlineplus`);
  ``drug-stems.txt``: WHO INN stems, so a drug the lists have never heard of ("sorafenib",
  "dapagliflozin") still counts.

On top of the word lists, names are recognised by how they are built: "X disease",
"X syndrome", "X's disease", a word ending like a disease name ("-itis", "-osis", "-oma" ...),
and an acronym the text itself defines ("hepatocellular carcinoma (HCC)").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

__all__ = ["Deficiency", "Mention", "deficiency_table", "diseases", "therapies"]

_HERE = files(__package__)
_WORD = re.compile(r"[a-z0-9][a-z0-9'\u2019-]*")
_MAX_WORDS = 5


@dataclass(frozen=True)
class Mention:
    """A disease or therapy named in a sentence: where, and the words as written."""

    start: int
    end: int
    text: str


def _read(name: str) -> list[str]:
    lines = _HERE.joinpath(name).read_text(encoding="utf-8").splitlines()
    return [line.strip().lower() for line in lines if line.strip() and not line.startswith("#")]


#: British spellings of medical words, mapped to the US spelling ICD-10-CM uses
_US = {"aem": "em", "oed": "ed", "oes": "es", "tumour": "tumor", "haem": "hem", "paed": "ped",
       "rrhoea": "rrhea", "leukaem": "leukem", "anaem": "anem"}
_US_SPELLING = re.compile(r"leukaem|anaem|haem|paed|rrhoea|tumour|aem|(?<=\b)oed|(?<=\b)oes")


def _key(words: list[str]) -> str:
    """A phrase in the form the word lists are compared in: no possessive, no plural ending."""
    out = []
    for w in words:
        w = w.replace("\u2019", "'")
        if w.endswith("'s"):
            w = w[:-2]
        elif w.endswith("'"):
            w = w[:-1]
        out.append(w)
    return _US_SPELLING.sub(lambda m: _US[m.group().lower()], " ".join(out))


def _forms(term: str) -> set[str]:
    """A listed term and its plural/possessive forms, in :func:`_key` form."""
    term = _key(term.replace("'s", "").split())
    forms = {term}
    if not term.endswith(("s", "x")):
        forms.add(term + "s")
    if term.endswith("y"):
        forms.add(term[:-1] + "ies")
    return forms


@dataclass(frozen=True)
class Deficiency:
    """A row of ``deficiency-diseases.tsv``: a classical nutrient-deficiency disease (``status``
    "classical"), a nutrient whose deficiency state counts ("nutrient"), or a look-alike that
    stays a disease ("excluded", ``note`` says why); ``tie`` is "named" when naming a nutrient
    ties the disease to it, "deficiency" when the sentence must name the nutrient's lack."""

    status: str
    names: tuple[str, ...]
    nutrients: tuple[str, ...]
    tie: str
    source: str
    note: str


def _listed(cell: str) -> tuple[str, ...]:
    return tuple(x.strip().lower() for x in cell.split(";") if x.strip())


@lru_cache(maxsize=1)
def deficiency_table() -> tuple[Deficiency, ...]:
    """The rows of ``deficiency-diseases.tsv``, in file order."""
    rows = []
    for line in _HERE.joinpath("deficiency-diseases.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        status, names, nutrients, tie, source, note = (line.split("\t") + [""] * 6)[:6]
        rows.append(Deficiency(status.strip(), _listed(names), _listed(nutrients), tie.strip(),
                               source.strip(), note.strip()))
    return tuple(rows)


@lru_cache(maxsize=1)
def _disease_phrases() -> frozenset[str]:
    excluded = set(_read("diseases-exclude.txt"))
    terms = {t for t in _read("diseases-icd10cm.txt") if t not in excluded}
    terms |= set(_read("diseases-lay.txt"))
    terms |= {n for row in deficiency_table() if row.status == "classical" for n in row.names}
    return frozenset(f for t in terms for f in _forms(t))


def _singular(term: str) -> set[str]:
    """A listed plural class and its singular ("beta-blockers" -> "beta-blocker")."""
    return {term, term[:-1]} if term.endswith("s") and not term.endswith("ss") else {term}


@lru_cache(maxsize=1)
def _therapy_phrases() -> frozenset[str]:
    names = _read("drugs.txt") + _read("drugs-medlineplus.txt")
    return frozenset(f for t in names for s in _singular(t) for f in _forms(s))


@lru_cache(maxsize=1)
def _drug_stem() -> re.Pattern[str]:
    stems = sorted(_read("drug-stems.txt"), key=len, reverse=True)
    return re.compile(r"\b[a-z]{3,}(?:" + "|".join(map(re.escape, stems)) + r")s?\b")


_DISEASE_SHAPE = re.compile(
    r"\b(?:[a-z][a-z'\u2019-]+\s+){1,2}?(?:disease|syndrome|disorder|degeneration|deficiency "
    r"anaemia|failure|poisoning|infection|insufficiency)s?\b|"
    r"\b[a-z]+(?:'s|\u2019s) (?:disease|syndrome)\b|"
    # diseases in general, counted: "treats over 300 diseases", "every illness"
    r"\b(?:all|every|many|most|countless|numerous|dozens of|hundreds of|(?:over|more than) "
    r"\d+|\d+) (?:\w+ )?(?:diseases?|illness(?:es)?|ailments?|disorders?)\b|"
    r"\b(?:cancer(?:s|ous)?|tumou?r(?:s|al)?|malignan(?:cy|cies|t)|carcinoma\w*|"
    r"leuka?emi\w*|lymphoma\w*|metasta\w+|neoplas\w+|oncolog\w*|anti-?tumou?r|"
    r"anti-?cancer|anti-?diabet\w*|anti-?viral)\b|"
    r"\b[a-z]{3,}(?:itis|osis|emia|aemia|pathy|algia|plasia|iasis|penia)\b", re.IGNORECASE)
_NOT_DISEASE_SHAPE = frozenset({
    "apoptosis", "diagnosis", "prognosis", "osmosis", "symbiosis", "mitosis", "haemostasis",
    "hemostasis", "homeostasis", "glycolysis", "autophagy", "neurogenesis", "thrombosis",
    "anti-viral", "antiviral", "oncologist", "oncologists"}) - {"thrombosis"}
#: "X disease" where X makes it no disease name ("no disease", "the disease")
_SHAPE_STOP = re.compile(
    r"^(?:(?:the|a|an|no|any|this|that|these|those|of|and|or|with|without|other|such|its|their|"
    r"your|our|his|her|in|on|at|for|from|to|by|as|is|are|was|were|be|been|has|have|had|"
    r"people|patients|who|which|like|against|into|than|"
    # a verb's -ing form is no part of a disease's name ("resembling Parkinson's disease"),
    # but a few name the function a disorder is of ("eating disorder", "bleeding disorder")
    r"(?!(?:wasting|ageing|aging|bleeding|eating|sleeping|breathing|learning|swallowing|"
    r"burning|clotting|itching|hearing|walking|reading|speaking)\s)[a-z]+ing)\s+)+",
    re.IGNORECASE)
_ACRONYM = re.compile(r"\(([A-Z][A-Z0-9]{1,6})s?\)")


def _phrase_mentions(sentence: str, phrases: frozenset[str]) -> list[Mention]:
    low = sentence.lower()
    words = list(_WORD.finditer(low))
    found: list[Mention] = []
    i = 0
    while i < len(words):
        for n in range(min(_MAX_WORDS, len(words) - i), 0, -1):
            group = words[i:i + n]
            if _key([w.group() for w in group]) in phrases:
                found.append(Mention(group[0].start(), group[-1].end(),
                                     sentence[group[0].start():group[-1].end()]))
                i += n
                break
        else:
            i += 1
    return found


def defined_acronyms(text: str) -> frozenset[str]:
    """Acronyms ``text`` defines for a disease: "hepatocellular carcinoma (HCC)" -> {"HCC"}."""
    found = set()
    for m in _ACRONYM.finditer(text):
        before = text[max(0, m.start() - 60):m.start()].rstrip()
        named = diseases(before, frozenset())
        if named and named[-1].end >= len(before) - 1:
            found.add(m.group(1))
    return frozenset(found)


def diseases(sentence: str, acronyms: frozenset[str] = frozenset()) -> list[Mention]:
    """Every disease, condition or symptom named in ``sentence``, in text order."""
    found = _phrase_mentions(sentence, _disease_phrases())
    for m in _DISEASE_SHAPE.finditer(sentence):
        if m.group().lower() in _NOT_DISEASE_SHAPE:
            continue
        # "had Hashimoto's disease" -> "Hashimoto's disease"; "the disease" -> "disease"
        lead = _SHAPE_STOP.match(m.group())
        start = m.start() + (lead.end() if lead else 0)
        found.append(Mention(start, m.end(), sentence[start:m.end()]))
    for acronym in acronyms:
        for m in re.finditer(rf"\b{re.escape(acronym)}s?\b", sentence):
            found.append(Mention(m.start(), m.end(), m.group()))
    return sorted(set(found), key=lambda x: (x.start, -x.end))


def therapies(sentence: str) -> list[Mention]:
    """Every therapy, drug class or drug named in ``sentence`` (listed, or built on an INN stem)."""
    # a drug inside a hyphenated harm counts: "statin-related muscle pain"
    split = _HARM_HYPHEN.sub(" ", sentence)
    found = _phrase_mentions(split, _therapy_phrases())
    for m in _drug_stem().finditer(sentence.lower()):
        found.append(Mention(m.start(), m.end(), sentence[m.start():m.end()]))
    for m in _THERAPY_SHAPE.finditer(sentence):
        found.append(Mention(m.start(), m.end(), m.group()))
    return sorted(set(found), key=lambda x: (x.start, -x.end))


_HARM_HYPHEN = re.compile(r"-(?=(?:induced|related|associated|caused|linked)\b)", re.IGNORECASE)
_THERAPY_SHAPE = re.compile(
    r"\b(?:conventional|standard|traditional|other|prescription|cancer|hormone|targeted|"
    r"combination)\s+(?:cancer\s+)?(?:therap\w+|treatments?|drugs?|chemo\w*|medications?|"
    r"regimens?|agents?|interventions?)\b|"
    r"\b[\w-]+-(?:induced|based)\b|\bchemo\w*|\bradiother\w*|\bimmunother\w*|"
    # a drug class named for its mechanism: "aromatase inhibitors", "calcium channel blockers"
    r"\b(?!natural\b|herbal\b|plant\b)[\w-]+\s+(?:channel\s+)?(?:inhibitors|blockers|"
    r"agonists|antagonists)\b|"
    # a procedure named by the body part it is done on: "knee replacement", "hip surgery"
    r"\b(?:knee|hip|joint|shoulder|spinal|spine|back|heart|valve|bypass|cataract|kidney|liver|"
    r"lung|gallbladder|gastric|bariatric|weight-loss|cosmetic|plastic|eye|sinus|dental|bone "
    r"marrow|stem cell)\s+(?:replacements?|surger(?:y|ies)|operations?|transplants?|implants?|"
    r"procedures?|bypass)\b|"
    r"\b(?:ivf|in vitro fertili[sz]ation|fertility treatments?|compression stockings|"
    r"(?:their|your|his|her|my|an|the) operations?)\b|"
    # a drug class named for what it acts against: antihistamines, antivirals, antiemetics
    r"\banti-?(?!oxidant|bod|gen|cip|que|inflammatory propert)[a-z]{4,}(?:ics|ants|ines|als|ives|"
    r"ors)\b", re.IGNORECASE)
