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


# -- names with digits by family, digits after %, ) and units, the page's own evidence ------

from k2publisher.content.cleaning.citations import PageEvidence, classify  # noqa: E402
from k2publisher.content.cleaning.lexicon import lexicon  # noqa: E402


@pytest.mark.parametrize("name", [
    "IL-12", "IL-17A", "IL-33", "CD34", "CD133", "CDK4/6", "CDK12", "CYP3A4", "CYP2C19",
    "CYP26B1", "HepG2", "MCF-7", "GLP-1", "MMP-9", "MMP-13", "vitamin B12", "omega-3", "5-HTP",
    "SLC2A1", "SLC7A11", "mTORC1", "TLR9", "STAT5", "SIRT6", "HSP90", "ERK1/2", "5-HT2A",
    "MEK1/2", "CoQ10", "SH-SY5Y", "22Rv1", "A549", "NAD+",
])
def test_names_of_every_family_survive(name: str) -> None:
    result = clean_citations(f"levels of {name} rose")
    assert result.text == f"levels of {name} rose"
    assert result.citations == [] and result.ambiguous == []


@pytest.mark.parametrize(("raw", "text", "numbers"), [
    ("rose by 40%12.", "rose by 40%.", [1, 2]),  # single digits when they ascend
    ("(36% vs 47%)9.", "(36% vs 47%).", [9]),
    ("by 2,000%26 in", "by 2,000% in", [2, 6]),
    ("used 500 mg3 twice", "used 500 mg twice", [3]),
    ("at 3 mg/kg17.", "at 3 mg/kg.", [1, 7]),
    ("secretion of GLP-16 from", "secretion of GLP-1 from", [6]),
    ("and MMP-96 in", "and MMP-9 in", [6]),
    ("production of IL-128 was", "production of IL-12 was", [8]),
    ("via CYP3A413.", "via CYP3A4.", [1, 3]),
    ("with omega-35.", "with omega-3.", [5]),
    ("of 5-HTP12.", "of 5-HTP.", [1, 2]),
    ("behind it12.", "behind it.", [1, 2]),
])
def test_glued_digits_after_percentages_brackets_units_and_names(raw: str, text: str,
                                                                 numbers: list[int]) -> None:
    result = clean_citations(raw)
    assert (result.text, result.citations, result.ambiguous) == (text, numbers, [])


def test_the_reference_list_bounds_the_numbers() -> None:
    assert clean_citations("rose by 40%26.", page=PageEvidence(max_ref=30)).citations == [2, 6]
    assert clean_citations("drug resistance1213.", page=PageEvidence(max_ref=14)).citations \
        == [12, 13]
    assert classify("cells1234", page=PageEvidence(max_ref=3)) is None  # 4 > 3: not citations


def test_a_name_the_page_uses_elsewhere_decides_the_reading() -> None:
    page = PageEvidence.of("CD34 cells were counted. Counts of CD3412 fell.", max_ref=20)
    assert classify("CD3412", page=page) == ("CD34", [1, 2])
    page = PageEvidence.of("IL-1 rose. Later IL-16 fell.", max_ref=20)
    assert classify("IL-16", page=page) is None  # IL-16 or IL-1 + [6]? the editor decides
    assert classify("IL-16") == ("IL-16", [])  # without page evidence a listed name stays


def test_unsure_tokens_are_kept_and_named() -> None:
    result = clean_citations("and saponin C3. Then HSP72 rose.")
    assert result.text == "and saponin C3. Then HSP72 rose."
    assert result.ambiguous == ["C3", "HSP72"]


def test_the_lexicon_says_where_its_names_come_from() -> None:
    lx = lexicon()
    assert {"genes", "cd_markers", "cell_lines", "units", "drugs_and_compounds"} <= set(lx.sources)
    assert all(source for source in lx.sources.values())
    assert lx.is_name("IL-41") and not lx.is_name("IL-42") and lx.is_name("CD371")
    assert all(f.source for f in lx.families)


@pytest.mark.parametrize(("raw", "text", "numbers", "ambiguous"), [
    ("receptors MT1 and MT2 in", "receptors MT1 and MT2 in", [], []),  # gene-style symbols
    ("lowered ERα45.", "lowered ERα.", [4, 5], []),                      # after a Greek suffix
    ("and PPARγ3 in", "and PPARγ in", [3], []),
    ("the ZNF12 gene", "the ZNF12 gene", [], ["ZNF12"]),                 # two digits: unsure
])
def test_symbols_without_a_lexicon_entry(raw: str, text: str, numbers: list[int],
                                         ambiguous: list[str]) -> None:
    result = clean_citations(raw)
    assert (result.text, result.citations, result.ambiguous) == (text, numbers, ambiguous)
