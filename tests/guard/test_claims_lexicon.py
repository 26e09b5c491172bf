"""The claims guard's vocabulary: the shipped ICD-10-CM word list is what the package derives,
and names are found by their shape, not only by the lists."""

from __future__ import annotations

import pytest

from k2publisher.guard.lexicon import defined_acronyms, diseases, medlineplus, therapies
from k2publisher.guard.lexicon.icd import OUTPUT, build_lines


def names(found) -> list[str]:
    return [m.text.lower() for m in found]


@pytest.mark.slow
def test_the_shipped_icd_word_list_is_what_simple_icd_10_cm_derives() -> None:
    shipped = OUTPUT.read_text(encoding="utf-8").splitlines()
    assert shipped == build_lines(), "run scripts/build-disease-lexicon and commit the result"
    assert len(shipped) > 2000


@pytest.mark.slow
def test_the_shipped_drug_word_list_is_what_drug_named_entity_recognition_derives() -> None:
    shipped = medlineplus.OUTPUT.read_text(encoding="utf-8").splitlines()
    assert shipped == medlineplus.build_lines(), "run scripts/build-drug-lexicon and commit it"
    assert len(shipped) > 5000


@pytest.mark.parametrize(("sentence", "disease"), [
    ("It was tried in sarcoidosis.", "sarcoidosis"),                  # ICD-10-CM only
    ("Rates of type 2 diabetes rose.", "type 2 diabetes"),            # an ICD head term
    ("Some had Hashimoto's disease.", "hashimoto's disease"),         # "X's disease" shape
    ("It is studied in Kawasaki syndrome.", "kawasaki syndrome"),     # "X syndrome" shape
    ("Readers ask about leaky gut.", "leaky gut"),                    # a lay name
    ("In leukaemia and oesophagitis, ...", "leukaemia"),              # British spelling
    ("In leukaemia and oesophagitis, ...", "oesophagitis"),
])
def test_diseases_are_found_by_list_or_by_shape(sentence: str, disease: str) -> None:
    assert disease in names(diseases(sentence))


@pytest.mark.parametrize("sentence", [
    "Support normal heart and bone health.",
    "Apoptosis is programmed cell death.",
    "The liver stores vitamin A.",
    "Ask your oncology team.",
])
def test_body_parts_and_processes_are_not_diseases(sentence: str) -> None:
    assert [n for n in names(diseases(sentence)) if n != "oncology"] == []


@pytest.mark.parametrize(("sentence", "drug"), [
    ("with dapagliflozin", "dapagliflozin"),        # INN stem -gliflozin
    ("with sorafenib", "sorafenib"),                # -rafenib
    ("like rituximab", "rituximab"),                # -mab
    ("your antihistamines", "antihistamines"),      # an anti- class
    ("blood thinners", "blood thinners"),           # a listed class
    ("sorafenib-induced fatigue", "sorafenib-induced"),
    ("Why pay for Viagra", "viagra"),               # a brand MedlinePlus documents
    ("an alternative to Ozempic", "ozempic"),
    ("with your Aricept", "aricept"),
])
def test_drugs_are_found_by_list_by_inn_stem_or_by_shape(sentence: str, drug: str) -> None:
    assert drug in names(therapies(sentence))


def test_antioxidants_are_no_drug_class() -> None:
    assert therapies("Natto is rich in antioxidants.") == []


@pytest.mark.parametrize("sentence", [
    "It raised testosterone and lowered cortisol.",     # the body's own hormones
    "Your thyroid needs iodine and selenium.",          # an organ, nutrients
    "N-acetylcysteine, vitamin D and fish oil.",        # supplements MedlinePlus also lists
    "A suit of armour.",                                # an ordinary word that is a brand
])
def test_hormones_organs_nutrients_and_ordinary_words_are_no_drugs(sentence: str) -> None:
    assert therapies(sentence) == []


def test_an_acronym_counts_when_the_text_defines_it_for_a_disease() -> None:
    text = "In hepatocellular carcinoma (HCC) and in the enzyme cyclin D1 (CCND1) ..."
    assert defined_acronyms(text) == frozenset({"HCC"})
    assert names(diseases("HCC cells grew.", defined_acronyms(text))) == ["hcc"]
