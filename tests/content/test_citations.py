"""Citation digits glued to words: the issue's examples, names that must survive, the split rule."""

from __future__ import annotations

import pytest

from k2publisher.content.cleaning.citations import clean_citations, split_run


@pytest.mark.parametrize(("raw", "text", "numbers"), [
    ("bladder cancers157", "bladder cancers", [1, 5, 7]),
    ("several biological pathways3.", "several biological pathways.", [3]),
    ("curative hepatectomy for HCC5.", "curative hepatectomy for HCC.", [5]),
    ("combined with vitamin D39.", "combined with vitamin D3.", [9]),
    ("cyclin D1 and CDK42.", "cyclin D1 and CDK4.", [2]),
    ("VK2 and ATRA19.", "VK2 and ATRA.", [1, 9]),
    ("drug resistance1012.", "drug resistance.", [10, 12]),
    ("or other agents514.", "or other agents.", [5, 14]),
    ("in large RCTs23", "in large RCTs", [2, 3]),
    ("(TNBC)5 cells", "(TNBC) cells", [5]),
])
def test_glued_citations_are_removed_and_kept(raw: str, text: str, numbers: list[int]) -> None:
    result = clean_citations(raw)
    assert result.text == text
    assert result.citations == numbers
    assert result.ambiguous == []


@pytest.mark.parametrize("name", [
    "VK2", "MK-4", "MK-7", "D3", "CDK4", "HSD17β4", "CYP4F2", "VKORC1", "rs2108622",
    "COVID-19", "1,25(OH)₂D₃", "45 mg", "1,000–45,000 mcg", "50–180 mcg", "SK-OV-3",
    "G0/G1 phase", "(CYP2C9 *2/*3 alleles)", "Cytochrome P450 4F2", "vitamins K3 and K5",
    "HepG2 cells", "10–20 mg/kg", "April 2025,",
])
def test_names_and_numbers_with_digits_stay_intact(name: str) -> None:
    result = clean_citations(name)
    assert result.text == name
    assert result.citations == []
    assert result.ambiguous == []


def test_unknown_code_is_kept_and_reported_as_ambiguous() -> None:
    result = clean_citations("the ZNF12 gene and safe30.")
    assert result.text == "the ZNF12 gene and safe30."
    assert result.ambiguous == ["ZNF12", "safe30"]
    assert result.citations == []


def test_citations_are_listed_once_in_order_of_appearance() -> None:
    result = clean_citations("liver cancer52, and therapy523; recurrence5.")
    assert result.text == "liver cancer, and therapy; recurrence."
    assert result.citations == [5, 2, 3]


@pytest.mark.parametrize(("digits", "expected"), [
    ("157", [1, 5, 7]),       # single digits when they ascend
    ("13567", [1, 3, 5, 6, 7]),
    ("23", [2, 3]),           # not 23: single digits are preferred
    ("1012", [10, 12]),       # 1,0,1,2 has a zero and a repeat: the one ascending split
    ("514", [5, 14]),         # 5,1,4 does not ascend; 5,14 does
    ("810", [8, 10]),
    ("52", [5, 2]),           # no ascending split within MAX_REF: distinct digits in page order
    ("30", None),             # zero and nothing plausible: ambiguous
    ("1111", None),
])
def test_split_run(digits: str, expected: list[int] | None) -> None:
    assert split_run(digits) == expected


def test_split_run_respects_the_reference_count() -> None:
    assert split_run("523", max_ref=30) == [5, 23]
    assert split_run("523", max_ref=20) == [5, 2, 3]


def test_names_run_together_are_kept_and_reported() -> None:
    result = clean_citations("markers in CYP4F2VKORC1CYP2C9, and GGCXVKORC1 upregulation")
    assert result.text == "markers in CYP4F2VKORC1CYP2C9, and GGCXVKORC1 upregulation"
    assert result.glued == ["CYP4F2VKORC1CYP2C9", "GGCXVKORC1"]
    assert result.citations == [] and result.ambiguous == []
