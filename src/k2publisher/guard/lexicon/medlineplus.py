"""Drug names derived from MedlinePlus drug information (via the
`drug-named-entity-recognition` package), at build time.

Only ``scripts/build-drug-lexicon`` and the lexicon's freshness test import this module; the
guard reads the derived word list (``drugs-medlineplus.txt``). The package's dictionary links
every name it knows (generic names, brand names, other spellings) to a canonical drug; a name
is taken when its drug has a MedlinePlus drug-information page (an ``a``-numbered id), so
brand names a supplement page compares itself with ("Viagra", "Ozempic", "Aricept") count,
while the package's many chemical and supplement entries without such a page do not.

Dropped: names of supplements and nutrients (vitamins, minerals, fish oil: the product a page
is about is no therapy; the body's own hormones and organs: "testosterone", "thyroid"), names
that are ordinary English words (the `english-words` package's
web2 and GCIDE lists: "armour", "camila"), names shorter than five letters, and names with
digits or punctuation other than a hyphen. An ordinary word stays when it is a drug's own generic
name ("aspirin", "tamoxifen").
"""

from __future__ import annotations

import bz2
import pickle  # the package's own data file, read at build time only
import re
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

OUTPUT = Path(__file__).with_name("drugs-medlineplus.txt")
PACKAGE = "drug-named-entity-recognition"

_NAME = re.compile(r"[a-z][a-z-]{4,}(?: [a-z][a-z-]{2,}){0,2}")
#: nutrients and supplements MedlinePlus also documents as drugs
_NUTRIENT = re.compile(
    r"vitamin|calci|magnes|potassium|sodium|iron|ferr|zinc|folic|folate|niacin|thiamin|"
    r"riboflavin|pyridox|cobalamin|biotin|ascorb|tocopher|retin|carotene|fish oil|omega|"
    r"fluoride|iodine|iodide|selenium|chromium|copper|melatonin|caffeine|carnitine|"
    r"electrolyte|glucose|dextrose|lactobac|bifido|probiotic|fiber|psyllium|methylcellulose|"
    r"polycarbophil|lecithin|glucosamine|chondroitin|oxygen|water|salt|acetylcysteine|betaine|"
    r"capsaicin|senna|lithium|nicotine|"
    # hormones and organs a page names as the body's own: "raises testosterone", "thyroid"
    r"thyroid|estr|oestr|progest|testost|epinephrine|oxytocin|glucagon|lanthanum",
    re.IGNORECASE)
_CANONICAL_NUTRIENT = re.compile(r"vitamin|mineral|supplement|electrolyte", re.IGNORECASE)


def _dictionary() -> dict[str, dict]:
    path = files("drug_named_entity_recognition").joinpath("drug_ner_dictionary.pkl.bz2")
    with bz2.open(str(path)) as fh:
        return pickle.load(fh)  # a data file the package ships


def build_lines() -> list[str]:
    """The lines of ``drugs-medlineplus.txt``: a header naming the source, then one name each."""
    from english_words import get_english_words_set

    english = get_english_words_set(["web2", "gcide"], lower=True, alpha=True)
    data = _dictionary()
    canonical = data["drug_canonical_to_data"]

    def documented(name: str) -> bool:
        entry = canonical.get(name, {})
        return str(entry.get("medline_plus_id", "")).startswith("a") and \
            not _CANONICAL_NUTRIENT.search(entry.get("name", ""))

    names: set[str] = set()
    for variant, drugs in data["drug_variant_to_canonical"].items():
        if not _NAME.fullmatch(variant) or not any(documented(d) for d in drugs):
            continue
        if any(_NUTRIENT.search(d) for d in drugs) or _NUTRIENT.search(variant):
            continue
        # an ordinary word is kept only as a drug's own generic name ("aspirin", "tamoxifen")
        if (variant in english and variant not in canonical) or \
                any(w in english and len(w) < 5 for w in variant.split()[1:]):
            continue
        names.add(variant)
    header = [f"# Drug names derived from MedlinePlus drug information by {PACKAGE} "
              f"{version(PACKAGE)} (scripts/build-drug-lexicon).",
              "# Do not edit: add drug classes and names to drugs.txt."]
    return header + sorted(names)
