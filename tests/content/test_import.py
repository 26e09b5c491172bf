"""Importing the two seed pages: sections, kinds, citations, chrome, tables, byline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from k2publisher.content.importers.base import ImportedItem
from k2publisher.content.importers.detect import detect_layout, import_source
from k2publisher.models import Kind

MONOGRAPH = "004_9f0585a9ac8cc789.txt"
ARTICLE = "000_40c69c2973670f07.txt"
CHROME = ("Click to Learn More", "Read More", "Related Posts", "If you found this post helpful",
          "Love to hear your thoughts", "Links to Scientific Studies", "Latest posts by",
          "(see all)", "done our best to include", "Skool Group", "Beta Glucan",
          "Oroxylum indicum", "Cancer Impact Summary", "widely available as a dietary")
MECHANISMS = ["mechanisms/inducing-apoptosis", "mechanisms/inhibiting-cell-proliferation",
              "mechanisms/targeting-specific-pathways", "mechanisms/angiogenesis-inhibition",
              "mechanisms/role-in-immunotherapy", "mechanisms/anti-inflammatory-properties"]


@pytest.fixture
def monograph(seeds: Path) -> dict[str, ImportedItem]:
    return {i.id: i for i in import_source(str(seeds / MONOGRAPH))}


@pytest.fixture
def article(seeds: Path) -> dict[str, ImportedItem]:
    return {i.id: i for i in import_source(str(seeds / ARTICLE))}


def test_layouts_are_detected(seeds: Path) -> None:
    assert detect_layout(MONOGRAPH, (seeds / MONOGRAPH).read_text()) == "monograph"
    assert detect_layout(ARTICLE, (seeds / ARTICLE).read_text()) == "article"


def test_monograph_sections_answers_and_explainers(monograph: dict[str, ImportedItem]) -> None:
    sections = ["vitamin-k2/overview", "vitamin-k2/dosage", "vitamin-k2/cancer-types",
                "vitamin-k2/side-effects", "vitamin-k2/combination-therapies",
                "vitamin-k2/quality-of-life"]
    answers = ["vitamin-k2/patient-demographics", "vitamin-k2/resistance-markers",
               "vitamin-k2/pre-clinical-studies", "vitamin-k2/clinical-trials",
               "vitamin-k2/genetic-markers"]
    assert list(monograph) == sections + answers + MECHANISMS
    for item_id in sections + answers:
        assert monograph[item_id].kind is Kind.SUPPLEMENT_SECTION
        assert monograph[item_id].supplement == "Vitamin K2"
    for item_id in answers:
        item = monograph[item_id]
        assert item.status == "draft"
        assert any("question heading lost" in r for r in item.review)
        assert item.title and "Answers" not in item.title
    for item_id in MECHANISMS:
        assert monograph[item_id].kind is Kind.MECHANISM_EXPLAINER
        assert monograph[item_id].supplement is None
        assert "supplement" not in monograph[item_id].meta()
    assert monograph["vitamin-k2/overview"].body.startswith(
        "Vitamin K2 is a group of fat-soluble vitamins (menaquinones)")  # the page's definition
    assert any("'CYP4F2VKORC1CYP2C9'" in r for r in monograph["vitamin-k2/genetic-markers"].review)
    assert monograph["vitamin-k2/dosage"].heading == "Dosage"
    assert monograph["vitamin-k2/dosage"].body.startswith("A recommended safe dosage")
    demographics = monograph["vitamin-k2/patient-demographics"].body
    assert demographics.startswith("No specific patient demographic")
    assert monograph["vitamin-k2/genetic-markers"].body.rstrip().endswith(
        "improve therapeutic outcomes.")
    assert monograph["mechanisms/inducing-apoptosis"].body.startswith("Apoptosis, or programmed")


def test_monograph_citations_are_cleaned(monograph: dict[str, ImportedItem]) -> None:
    overview = monograph["vitamin-k2/overview"]
    assert "breast, and bladder cancers. Its mechanisms" in overview.body
    assert "several biological pathways." in overview.body
    assert set(overview.citations) >= {1, 5, 7}
    demographics = monograph["vitamin-k2/patient-demographics"].body
    assert "curative hepatectomy for HCC. VK2 supplementation" in demographics
    combos = monograph["vitamin-k2/combination-therapies"]
    assert "when VK2 was combined with vitamin D3.\n" in combos.body
    assert "VK2 and ATRA. VK2 monotherapy" in combos.body
    assert "mitigating drug resistance.\n" in combos.body
    assert {10, 12, 14} <= set(combos.citations)
    assert "cyclin D1 and CDK4." in monograph["vitamin-k2/pre-clinical-studies"].body
    assert "binding to HSD17β4, a protein" in monograph["vitamin-k2/pre-clinical-studies"].body
    genetic = monograph["vitamin-k2/genetic-markers"].body
    for name in ("rs2108622", "CYP4F2", "VKORC1", "CYP2C9", "MK-4"):
        assert name in genetic
    assert "COVID-19" in monograph["vitamin-k2/clinical-trials"].body
    assert "1,25(OH)₂D₃" in combos.body
    assert "1–45 mg (1,000–45,000 mcg)" in monograph["vitamin-k2/dosage"].body
    for item in monograph.values():
        glued = re.findall(r"\b[a-z]{3,}[0-9]+\b", item.body)
        assert glued == [], (item.id, glued)
        assert not any("citation digits unclear" in r for r in item.review), item.id


def test_monograph_chrome_is_stripped_and_databases_kept(
        monograph: dict[str, ImportedItem]) -> None:
    for item in monograph.values():
        for phrase in CHROME:
            assert phrase not in item.body, (item.id, phrase)
    combos = monograph["vitamin-k2/combination-therapies"]
    assert combos.sources == ["US National Library of Medicine", "Europe PMC", "Pubmed"]
    assert "Sources named by the page: US National Library of Medicine, Europe PMC, Pubmed." \
        in combos.text()


def test_monograph_tables(monograph: dict[str, ImportedItem]) -> None:
    dosage = monograph["vitamin-k2/dosage"].body
    assert "| K2 Subtype | Common Daily Dosage | High Dose in Studies | " \
           "Safety/Toxicity Evidence |" in dosage
    assert "| MK-4 | 1–45 mg (1,000–45,000 mcg) | Up to 45 mg | No toxicity reported |" in dosage
    side = monograph["vitamin-k2/side-effects"].body
    assert "| 45–90 mg (MK-4) | Liver (HCC, post-surgery) | None observed | No increase in " \
           "adverse effects vs placebo in large RCTs |" in side
    combos = monograph["vitamin-k2/combination-therapies"].body
    assert "| Leukaemia/MDS | ATRA, vitamin D3 | Haematopoiesis support, differentiation | " \
           "Remission, reduced blastic cells |" in combos
    genetic = monograph["vitamin-k2/genetic-markers"].body
    assert "| CYP4F2 | rs2108622 (G>A) | AA genotype ↑ plasma VK1/MK-4 levels | " \
           "Dose adjustment for supplementation |" in genetic
    # an ambiguous table is kept verbatim and flagged for review
    trials = monograph["vitamin-k2/clinical-trials"]
    assert "    Other cancers No current trials No phase III/IV cancer trials identified" \
        in trials.body
    assert any("columns could not be recovered" in r for r in trials.review)
    assert not any("table" in r for r in monograph["vitamin-k2/dosage"].review)


def test_article_sections_byline_and_lost_heading(article: dict[str, ImportedItem]) -> None:
    ids = list(article)
    assert "mechanisms/calcium-regulation" in ids
    assert "mechanisms/antioxidant-and-anti-inflammatory-effects" in ids
    assert article["mechanisms/calcium-regulation"].kind is Kind.MECHANISM_EXPLAINER
    sections = [i for i in ids if not i.startswith("mechanisms/")]
    assert all(i.startswith("vitamin-k2/nootropics/") for i in sections)
    assert "vitamin-k2/nootropics/benefits" in sections
    assert len(sections) >= 8
    for item in article.values():
        assert item.author == "Thomas Anderson"
        assert "Latest posts" not in item.body and "Thomas Anderson" not in item.body
    benefits = article["vitamin-k2/nootropics/benefits"]
    assert "### Neuroprotection\n\nVitamin K2’s antioxidant" in benefits.body
    assert any("heading lost" in r for r in benefits.review)
    assert "### Cognitive Enhancement and Memory Support" in benefits.body
    safety = article["vitamin-k2/nootropics/safety-and-considerations"].body
    assert "### Dosage and Administration" in safety and "### Interactions and Precautions" \
        in safety
    assert article["vitamin-k2/nootropics/understanding"].body.startswith(
        "Vitamin K2, also known as menaquinone")
