"""Disease names derived from ICD-10-CM (via the `simple-icd-10-cm` package), at build time.

Only ``scripts/build-disease-lexicon`` and the lexicon's freshness test import this module:
loading all of ICD-10-CM takes seconds, so the guard reads the derived word list
(``diseases-icd10cm.txt``) instead.

Two kinds of term are taken from the descriptions of every category and subcategory in the
disease chapters (A00-N99, and R00-R99 for single technical words):

* the head of a description, before its first "of", "with", "due to", comma ...:
  "Type 2 diabetes mellitus" -> "type 2 diabetes", "Unspecified dementia" -> "dementia";
* words built like disease names (``-itis``, ``-osis``, ``-oma``, ``-emia``, ``-pathy`` ...),
  wherever they occur: "thrombocytopenia", "hepatocellular carcinoma" -> "carcinoma";
* the heads of the symptoms chapter (R00-R99): "heartburn", "nasal congestion", "nocturia"
  (a product that eases a disease's signs or symptoms makes a disease claim, 21 CFR
  101.93(g)(2)(ii)); ``diseases-exclude.txt`` drops its ordinary words ("pain", "voice");
* the inclusion terms of those chapters, ICD-10-CM's own synonyms, when they have two words or
  more: "fluid retention", "panic attack", "athlete's foot" (a single-word inclusion term is
  too often an ordinary word: "combat", "hand").
"""

from __future__ import annotations

import re
import warnings
from importlib.metadata import version
from pathlib import Path

OUTPUT = Path(__file__).with_name("diseases-icd10cm.txt")

_CUT = re.compile(r",|;|:|\(|\[| (?:of|with|without|due to|in|and|or|from|following|"
                  r"complicating|associated|involving|affecting|by|for|not|as|at|on|"
                  r"after|during|except)\b")
_QUALIFIERS = frozenset({
    "other", "unspecified", "acute", "chronic", "specified", "primary", "secondary", "subacute",
    "recurrent", "unspec", "nonspecific", "certain", "generalized", "localized", "mild",
    "moderate", "severe", "personal", "family", "unilateral", "bilateral", "multiple", "single"})
#: a head that names no disease on its own
_NOT_A_DISEASE = frozenset({
    "disorder", "disorders", "disease", "diseases", "condition", "conditions", "syndrome",
    "syndromes", "infection", "infections", "injury", "injuries", "complication", "complications",
    "abnormal", "abnormalities", "abnormality", "findings", "symptoms", "signs", "problems",
    "problem", "effects", "effect", "malformation", "malformations", "deformity", "deformities",
    "anomaly", "anomalies", "status", "encounter", "history", "presence", "absence", "need",
    "type", "stage", "care", "carrier", "contact", "exposure", "screening", "observation",
    "examination", "follow-up", "sequelae", "use", "abuse", "dependence", "poisoning", "toxic",
    "adverse", "underdosing", "failure", "insufficiency", "dysfunction", "lesion", "lesions",
    "mass", "cyst", "fracture", "dislocation", "sprain", "burn", "wound", "foreign", "body",
    "part", "site", "region", "late", "newborn", "maternal", "pregnancy", "delivery", "labor",
    "puerperium", "fetus", "fetal", "birth", "elevated", "decreased", "increased", "low", "high",
    "change", "changes", "reaction", "reactions", "behavior", "behaviour", "state", "states",
    "level", "levels", "test", "tests", "result", "results"})
_SUFFIX = re.compile(
    r"\b[a-z]{3,}(?:itis|itides|osis|oses|omas?|emia|aemia|pathy|pathies|algia|plasia|"
    r"trophy|iasis|penia|cytosis|rrhea|rrhoea|plegia|sclerosis|ectasis|ectasia|uria|"
    r"megaly|lithiasis|spasm|philia|phobia|mania|somnia)\b")
#: words with a disease-like ending that are ordinary English or name a process
_SUFFIX_EXCEPTIONS = frozenset({
    "diagnosis", "prognosis", "symbiosis", "osmosis", "aroma", "diploma", "stoma", "stroma",
    "trauma", "soma", "chromosomes", "mitosis", "meiosis", "apoptosis", "hypnosis",
    "phagocytosis", "endocytosis", "exocytosis", "pinocytosis"})


_NOS = re.compile(r"\bNOS\b")
#: inclusion terms that name a finding, not a condition ("abnormal color", "any condition")
_VAGUE_START = re.compile(r"(?:abnormal|any|acquired loss|other|unknown|unspecified)\b")


def _heads(description: str) -> list[str]:
    text = description.lower().replace("'s", "\u2019s").replace("\u2019s", "'s")
    head = _CUT.split(text, maxsplit=1)[0].strip()
    words = [w for w in head.split() if w not in _QUALIFIERS]
    if words and words[-1] == "mellitus":
        words = words[:-1]
    if not words or len(words) > 3 or any(not re.fullmatch(r"[a-z][a-z'-]*|\d", w)
                                          for w in words):
        return []
    if words[-1] in _NOT_A_DISEASE or len(words[-1]) < 4:
        return []
    return [" ".join(words)]


def build_lines() -> list[str]:
    """The lines of ``diseases-icd10cm.txt``: a header naming the source, then one term each."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the package reads its data with a deprecated API
        import simple_icd_10_cm as icd
    terms: set[str] = set()
    for code in icd.get_all_codes(False):
        if icd.is_chapter_or_block(code) or len(code) > 4:
            continue
        letter = code[0]
        description = icd.get_description(code)
        if "A" <= letter <= "N" or letter == "R":
            terms.update(_heads(description))
            for term in icd.get_inclusion_term(code):
                terms.update(h for h in _heads(_NOS.sub("", term)) if len(h.split()) > 1
                             and not _VAGUE_START.match(h))
        if "A" <= letter <= "N" or letter == "R":
            terms.update(w for w in _SUFFIX.findall(description.lower())
                         if w not in _SUFFIX_EXCEPTIONS)
    header = [f"# Disease names derived from ICD-10-CM by simple-icd-10-cm "
              f"{version('simple-icd-10-cm')} (scripts/build-disease-lexicon).",
              "# Do not edit: add lay names to diseases-lay.txt, exclusions to "
              "diseases-exclude.txt."]
    return header + sorted(terms)
