"""The grammar of claims (guard/claims_grammar.py): verbs no list names, subjects that are
pronouns or the sentence before, and a bodily process that is no product claim. The sentences
are about nettle, a supplement the labelled corpus never mentions."""

from __future__ import annotations

import pytest

from k2publisher.guard.claims import by_class, scan


def kinds(text: str, **kwargs: object) -> dict[str, str]:
    """Claim class -> worst level the guard's rules find in ``text``."""
    # the rules' own verdict: the learned second opinion is tested in test_claims_model.py
    return by_class(scan(text, learned=False, **kwargs))  # type: ignore[arg-type]


@pytest.mark.parametrize("sentence", [
    "Nettle calms anxiety disorders.",                    # a verb no list names
    "Nettle tea tames gout within days.",
    "Drinking nettle every day cut the rate of kidney stones in half.",  # irregular past
    "Hives often disappear once nettle is taken daily.",  # the disease gets better
    "Patients with gout who took nettle walked without pain.",
    "Gout is tamed by nettle tea.",                       # the passive of any verb
    "Nettle was prescribed for gout by medieval healers.",  # a use for a disease
    "Gout is painful, and nettle tea soothes it.",        # a pronoun in a later clause
])
def test_a_claim_made_with_any_verb_blocks(sentence: str) -> None:
    assert kinds(sentence).get("disease") == "block", kinds(sentence)


@pytest.mark.parametrize("sentence", [
    "Nettle can cause nausea and worsen asthma.",        # verbs that harm are warnings
    "People with kidney disease should not take nettle.",
    "Nettle does not calm anxiety.",                     # negated
    "Researchers disagree on whether nettle eases arthritis.",  # only asked
    "Some herbs are studied for their ability to block it.",
    "mechanisms angiogenesis cancer",                    # a tag list has no verb
    "Gout is common in men over forty.",
])
def test_harm_negation_questions_and_lists_claim_nothing(sentence: str) -> None:
    assert "disease" not in kinds(sentence)


def test_any_verb_in_cancer_cells_is_a_lab_claim() -> None:
    # "in cancer cells" names a lab setting, so the claim is qualified, not waved through
    assert kinds("Nettle extract switches this process back on in cancer cells.")["disease"] \
        == "qualify"
    assert kinds("Nettle extract switches this process back on in cancer cells",
                 headline=True)["disease"] == "block"


def test_an_anaphor_takes_its_disease_from_the_sentence_before() -> None:
    page = "Gout affects millions of adults. Nettle may be especially helpful for them."
    assert kinds(page)["disease"] == "block"
    assert kinds("Nettle may be especially helpful for them.") == {}
    assert kinds("Nettle may be especially helpful for them.",
                 before="Gout affects millions of adults.")["disease"] == "block"


def test_a_bodily_process_as_subject_is_physiology_not_a_claim() -> None:
    assert "disease" not in kinds("Apoptosis is crucial for preventing cancer.")
    assert "disease" not in kinds("Apoptosis removes damaged cells. "
                                  "This protects the body against cancer.")
    # the product, or an agent, as subject is a claim; so is a headline
    assert kinds("Nettle extract is crucial for preventing cancer.")["disease"] == "block"
    assert kinds("Nettle extract triggers apoptosis. "
                 "This protects the body against cancer.")["disease"] == "block"
    assert kinds("Inducing apoptosis", headline=True)["disease"] == "block"


def test_interaction_warnings_are_not_claims() -> None:
    assert kinds("Nettle may lower blood sugar, so people taking diabetes medicines "
                 "should check their levels.") == {}
    assert "therapy:augment" not in kinds(
        "Nettle can add to the effect of blood pressure medicines.")


@pytest.mark.parametrize(("sentence", "cls"), [
    ("Nettle is a natural option for people who would rather not take NSAIDs.",
     "therapy:substitute"),
    ("Nettle is nature's antibiotic.", "therapy:substitute"),
    ("Nettle restores the white cells destroyed by chemotherapy.", "therapy:adverse"),
    ("Nettle makes antihistamines work faster.", "therapy:augment"),
    ("Nettle is so safe that it can be given to babies.", "safety"),
    ("It causes no nausea and is safe for all ages.", "safety"),
    ("Nettle tea carries zero risk.", "safety"),
])
def test_therapy_and_safety_claims_by_their_shape(sentence: str, cls: str) -> None:
    assert kinds(sentence).get(cls) == "block"


def test_a_wish_to_stop_a_drug_is_not_an_instruction_to_stop() -> None:
    assert "therapy:substitute" not in kinds("Do not stop taking warfarin without your doctor.")
    assert "therapy:substitute" not in kinds("Stop taking nettle two weeks before surgery.")
    assert "safety" not in kinds("Nettle is not completely safe.")
