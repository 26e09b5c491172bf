"""Headings on pages of the two layouts: normalised matching, the page's own contents list,
Q&A answers without a conclusion, and derived headings that never come from part of a word."""

from __future__ import annotations

from k2publisher.content.importers.detect import import_text

PARA = "This paragraph is long enough to be read as text rather than as a heading line."


def monograph(*sections: str) -> str:
    return "\n\n".join(["SITE", "Supplement", "Ginger",
                        "Ginger is the root of Zingiber officinale, used as a spice and remedy.",
                        *sections])


def test_monograph_headings_match_after_normalisation() -> None:
    page = monograph("Full supplement details", PARA, "DOSAGE", PARA, "Side-Effects", PARA,
                     "Quality–of–Life Effects", PARA)
    ids = [i.id for i in import_text(page, "ginger.txt", "monograph")]
    assert ids == ["ginger/overview", "ginger/dosage", "ginger/side-effects",
                   "ginger/quality-of-life"]


def test_a_heading_the_contents_list_names_is_a_section_of_its_own() -> None:
    page = monograph("Jump to:\nFull Supplement Details\nBioavailability\nDosage",
                     "Full Supplement Details", PARA, "Key Points", PARA, "Bioavailability", PARA,
                     "Dosage", PARA)
    items = {i.id: i for i in import_text(page, "ginger.txt", "monograph")}
    assert list(items) == ["ginger/overview", "ginger/bioavailability", "ginger/dosage"]
    assert "### Key Points" in items["ginger/overview"].body  # not listed: a sub-heading
    assert items["ginger/bioavailability"].title == "Ginger: Bioavailability"


def test_answers_without_a_conclusion_end_where_the_next_topic_begins() -> None:
    page = monograph("Dosage", PARA, "Frequently Asked Questions",
                     "Ginger has been tested in clinical trials for nausea in chemotherapy.",
                     "  • Most trials used 0.5–1 g a day.",
                     "Genetic markers that change how ginger works have not been studied.",
                     "  • No test is available.")
    items = {i.id: i for i in import_text(page, "ginger.txt", "monograph")}
    assert "ginger/clinical-trials" in items and "ginger/genetic-markers" in items
    assert "Genetic markers" not in items["ginger/clinical-trials"].body


def test_a_lost_heading_is_never_derived_from_part_of_a_compound_word() -> None:
    page = "\n\n".join([
        "Benefits of Ginger, Nootropics", "Ginger, Nootropics", PARA,
        "Overview of the Research", "Several effects have been proposed, as follows:",
        "Digestion", PARA, "",
        "In one high-dose study in rats, ginger extract changed gut motility within hours."])
    items = import_text(page, "ginger.txt", "article")
    body = next(i.body for i in items if i.id.endswith("/overview-of-the-research"))
    assert "In one high-dose study" in body
    assert "### Dosage" not in body
