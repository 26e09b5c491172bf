"""Chrome families on snippets from no test page: each family by its shape, content left alone."""

from __future__ import annotations

import pytest

from k2publisher.content.cleaning.chrome import strip_chrome
from k2publisher.content.cleaning.normalise import heading_key, mentions

CONTENT = "Ashwagandha root extract was given at 600 mg a day for eight weeks in one trial."


def kinds_and_kept(text: str) -> tuple[list[str], str]:
    result = strip_chrome(text.split("\n"))
    return [b.kind for b in result.blocks], "\n".join(result.lines)


@pytest.mark.parametrize(("chrome", "kind"), [
    ("Home → Herbs → Ashwagandha", "breadcrumb"),
    ("Home | Shop | Blog | Contact", "breadcrumb"),
    ("Share on Reddit\nPin it\n12 shares\nEmail | Print", "share-row"),
    ("This site uses cookies. By browsing you agree to our privacy policy.\nOK", "cookie-notice"),
    ("Get 15% off with code ZEN15", "affiliate"),
    ("See the best deals on Ashwagandha gummies", "affiliate"),
    ("Read also: Ashwagandha vs Rhodiola", "related-link"),
    ("Written by Maria Lopez, RD | Published May 2, 2023", "byline"),
    ("Sign up for our weekly digest\n\nYour email\n\nJoin now", "newsletter-box"),
    ("Responses\n\nAnna B. says:\n2 days ago\nWorked for me!\nReply", "comment-section"),
    ("Leave a Comment\n\nName Email Website\n\nPost Comment", "comment-section"),
])
def test_each_family_is_stripped_and_reported(chrome: str, kind: str) -> None:
    kinds, kept = kinds_and_kept(f"{CONTENT}\n\n{chrome}\n\n{CONTENT}")
    assert kind in kinds
    assert kept.count(CONTENT) == 2
    assert all(line in CONTENT or not line.strip() for line in kept.split("\n")), kept


def test_contents_list_goes_when_its_entries_are_headings_further_down() -> None:
    page = "What's inside\n1. Benefits\n2. Safety\n\nIntro text here.\n\nBenefits\n\nx.\n\nSafety\n"
    kinds, kept = kinds_and_kept(page)
    assert kinds == ["table-of-contents"]
    assert kept.startswith("Intro text here.") and "\nBenefits\n" in kept


def test_reference_list_is_kept_aside_and_bounds_the_citations() -> None:
    page = (f"{CONTENT}\n\nBibliography\n\n[1] Chandrasekhar K, et al. A prospective study. "
            "Indian J Psychol Med. 2012;34(3):255-262.\n[2] Lopresti AL, et al. An "
            "investigation. Medicine. 2019;98(37):e17186.\n")
    result = strip_chrome(page.split("\n"))
    assert [b.kind for b in result.blocks] == ["reference-list"]
    assert result.max_ref == 2 and len(result.references) == 2
    assert "Chandrasekhar" not in "\n".join(result.lines)


def test_author_box_gives_the_author_and_a_section_about_the_herb_stays() -> None:
    page = ("About Ashwagandha\n\nAshwagandha is an evergreen shrub of India and Africa.\n\n"
            "About Dr. Maria Lopez\n\nMaria is a registered dietitian who writes about herbs.\n")
    result = strip_chrome(page.split("\n"))
    assert result.author == "Maria Lopez"
    kept = "\n".join(result.lines)
    assert "About Ashwagandha" in kept and "evergreen shrub" in kept
    assert "dietitian" not in kept


@pytest.mark.parametrize("content", [
    "Share of patients who responded",
    "Cookies and cakes made with turmeric were tested for taste in a small sensory study.",
    "Patients were asked to email their symptom diaries every week of the trial.",
    "Home remedies often contain ginger, but trials of ginger for nausea are small.",
    "Related compounds such as withaferin A were also measured in the plasma samples.",
    "Reply rates to the questionnaire were 80% at week four.",
    # shop words in sentences are not calls to action
    "Studies find that the extract may offer a small benefit for sleep.",
    "The European Commission reviewed the safety of this extract in 2021.",
    "People who buy supplements online should check the label for third-party testing.",
    "Researchers affiliated with the university ran the trial.",
])
def test_content_that_uses_chrome_words_stays(content: str) -> None:
    kinds, kept = kinds_and_kept(f"{CONTENT}\n\n{content}\n\n{CONTENT}")
    assert kinds == [] and content in kept


def test_headings_compare_after_normalisation() -> None:
    assert heading_key("Food Sources of Lion's Mane") == heading_key("Food sources of Lion’s Mane")
    assert heading_key("Side-Effects:") == heading_key("side effects")
    assert heading_key("Quality–of–Life Effects") == heading_key("Quality of life effects")
    assert mentions("Rhodiola's Safety Profile", "Rhodiola")
    assert not mentions("Rhodiolas of the north", "Rhodiola")


def test_an_author_box_for_a_reviewer_goes_even_when_the_byline_names_someone_else() -> None:
    page = ("Body text of the post, long enough to be a paragraph of its own here.\n\n"
            "About Omar Haddad\n\nDr. Omar Haddad is a pharmacist who reviews our articles.\n\n"
            "Popular Posts\n\nDoes Magnesium Help You Sleep?\nJanuary 4, 2025 · 5 min read\n\n"
            "Jane Roe\nLatest posts by Jane Roe (see all)\n")
    result = strip_chrome(page.split("\n"))
    kept = "\n".join(result.lines)
    assert result.author == "Jane Roe"
    assert "pharmacist" not in kept and "Magnesium" not in kept and "5 min read" not in kept
    assert [b.kind for b in result.blocks] == ["author-box", "related-posts", "byline"]


def test_numbered_references_under_any_heading_are_a_reference_list() -> None:
    page = (f"{CONTENT}\n\nKey Studies\n\n1. Smith J, et al. A trial. J Med. 2019;12(3):45-67.\n"
            "2. Doe A, et al. Another trial. Lancet. 2020;395:1-9.\n"
            "3. European Medicines Agency. Product information. 2007.\n")
    result = strip_chrome(page.split("\n"))
    assert [b.kind for b in result.blocks] == ["reference-list"]
    assert result.max_ref == 3 and "Key Studies" not in "\n".join(result.lines)


@pytest.mark.parametrize("line", ["Click to tweet this", "Share this:", "Pin it", "Tweet"])
def test_share_prompts(line: str) -> None:
    assert kinds_and_kept(f"{CONTENT}\n\n{line}\n\n{CONTENT}")[0] == ["share-row"]


def test_a_comments_heading_without_comments_or_a_form_is_content() -> None:
    page = f"{CONTENT}\n\nComments\n\nReviewers noted that the trial was small and short.\n"
    kinds, kept = kinds_and_kept(page)
    assert kinds == [] and "Comments" in kept
