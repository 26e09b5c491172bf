"""Claims across sentences and inside them by their grammar (guard/claims_discourse.py and the
therapy grammar of guard/claims_detect.py): a question asks and its answer asserts, a list
heading carries its claim to its items, a therapy named in the sentence before is replaced or
its harm eased in this one, a therapy is augmented without a verb from any list, and care (not
a product) is the agent of a nominalised statement. The sentences are about yarrow, a plant
the labelled corpus never mentions."""

from __future__ import annotations

import pytest

from k2publisher.guard.claims import by_class, scan
from k2publisher.guard.claims_discourse import answers, frames_a_claim, list_heading


def kinds(text: str, **kwargs: object) -> dict[str, str]:
    """Claim class -> worst level the guard's rules find in ``text``."""
    # the rules' own verdict: the learned second opinion is tested in test_claims_model.py
    return by_class(scan(text, learned=False, **kwargs))  # type: ignore[arg-type]


def test_a_question_asks_and_its_affirmative_answer_asserts() -> None:
    assert kinds("Can yarrow cure eczema?") == {"disease": "review"}
    assert kinds("Can yarrow cure eczema?", headline=True) == {"disease": "block"}
    assert kinds("Can yarrow cure eczema? Yes, within weeks.")["disease"] == "block"
    assert kinds("Yes, within weeks.", before="Can yarrow cure eczema?")["disease"] == "block"
    assert kinds("Can yarrow replace metformin? For many people, the answer is yes.")[
        "therapy:substitute"] == "block"
    # a negative or hedged answer asserts nothing; neither does an answer to a neutral question
    assert kinds("Can yarrow cure eczema? No: there is no evidence that it does.") == \
        {"disease": "review"}
    assert kinds("How do I store yarrow? Yes, keep it dry.") == {}
    assert kinds("Is yarrow safe with blood thinners? Yes, completely.")["safety"] == "block"
    assert kinds("Is yarrow safe with blood thinners? Yes, but only under your doctor's eye, "
                 "because it may raise the risk of bleeding.") == {"safety": "review"}


@pytest.mark.parametrize(("question", "answer", "expected"), [
    ("Does it work?", "It does, and fast.", True),
    ("Does it work?", "It does not.", False),
    ("Does it work?", "Absolutely.", True),
    ("Does it work?", "Not reliably.", False),
    ("Why does it work?", "Yes.", False),            # only a yes/no question is answered yes
])
def test_answers_reads_yes_and_no(question: str, answer: str, expected: bool) -> None:
    assert answers(question, answer) is expected


def test_a_wh_question_that_asserts_keeps_its_claim() -> None:
    assert kinds("Why take statins when yarrow does the same job?")["therapy:substitute"] == \
        "block"
    assert kinds("Why do people take statins?") == {}


def test_a_list_heading_carries_its_claim_to_its_items() -> None:
    page = "Conditions yarrow helps with:\n\n- Eczema\n\n- Gout and kidney stones"
    assert kinds(page)["disease"] == "block"
    assert kinds("Who should avoid yarrow:\n\n- People with gout\n\n- Anyone with kidney "
                 "disease") == {}
    assert frames_a_claim("What yarrow is used for:")
    assert not frames_a_claim("Side effects of yarrow:")
    parts = ["Benefits:", "Eczema", "Gout"]
    assert list_heading(parts, 2) == "Benefits:"
    assert list_heading(["Benefits:", "A long sentence. " * 10, "Gout"], 2) == ""


def test_a_therapy_named_in_the_sentence_before_is_replaced_or_its_harm_eased() -> None:
    assert kinds("Is your doctor pushing statins? Yarrow may be all you need instead.")[
        "therapy:substitute"] == "block"
    assert kinds("Chemotherapy is exhausting. Yarrow tea gives patients their energy back.")[
        "therapy:adverse"] == "block"
    # a warning about the therapy is no such claim
    assert kinds("Yarrow may interact with lithium. Ask your doctor instead of guessing.") == {}


@pytest.mark.parametrize("sentence", [
    "Yarrow gives metformin a helping hand.",
    "Taken alongside your chemo, yarrow lets the treatment do more.",
    "Yarrow teams up with blood pressure pills to bring readings down further.",
    "Our yarrow formula supercharges your statin.",
    "Resistant tumours became sensitive to treatment again once yarrow was added.",
])
def test_a_therapy_augmented_by_its_grammar_blocks(sentence: str) -> None:
    assert kinds(sentence).get("therapy:augment") == "block", kinds(sentence)


@pytest.mark.parametrize("sentence", [
    "Yarrow may add to the effect of blood thinners and raise the risk of bleeding.",
    "Yarrow may lower blood pressure further when taken with blood pressure medicines, so "
    "doses may need adjusting.",
    "The trial compared yarrow plus vitamin D combination therapy with yarrow alone.",
])
def test_interactions_and_the_products_own_regimen_augment_nothing(sentence: str) -> None:
    assert not {k for k in kinds(sentence) if k.startswith("therapy")}, kinds(sentence)


def test_a_marker_moved_before_a_semicolon_and_its_precaution_is_a_warning() -> None:
    page = "Yarrow can lower blood sugar; people on insulin should monitor their levels."
    assert "disease" not in kinds(page)
    assert kinds("Yarrow can lower blood sugar.")["disease"] == "block"


def test_care_as_the_agent_of_a_nominal_claim_is_no_product_claim() -> None:
    assert kinds("Prevention of gout starts with weight loss and less alcohol.") == {}
    assert kinds("Relief from hay fever usually comes from antihistamines.") == {}
    assert kinds("Prevention of gout is yarrow's best-known use.")["disease"] == "block"
    assert kinds("Faster recovery from the flu is why people buy yarrow syrup.")["disease"] == \
        "block"


def test_a_reported_claim_the_text_then_denies_is_not_made() -> None:
    assert kinds("Some sites claim that yarrow boosts chemotherapy. That is not true: no "
                 "study shows it.") == {}
    assert kinds("Some sites claim that yarrow boosts chemotherapy.")["therapy:augment"] == \
        "block"


def test_symptoms_and_readers_words_for_them_are_diseases() -> None:
    # ICD-10-CM's symptom chapter and inclusion terms, and the lay list
    assert kinds("Yarrow tea settles heartburn.")["disease"] == "block"
    assert kinds("Yarrow flushes out fluid retention.")["disease"] == "block"
    assert kinds("Yarrow is the natural answer for motion sickness.")["disease"] == "block"
    assert kinds("Heartburn that happens twice a week should be checked by a doctor.") == {}


@pytest.mark.parametrize(("sentence", "cls"), [
    # a therapy's harm, tied to it by "of", "that ... cause", "during", eased or spared
    ("Yarrow heals the mouth sores of chemotherapy.", "therapy:adverse"),
    ("Yarrow ends the muscle pain that comes with statins.", "therapy:adverse"),
    ("Yarrow takes away the joint aches the drugs cause.", "therapy:adverse"),
    ("Patients taking yarrow during radiation kept their sense of taste.", "therapy:adverse"),
    ("Yarrow makes chemotherapy easier to tolerate.", "therapy:adverse"),
    # choosing the product over a therapy, delaying it, doing what it does
    ("Thousands have chosen yarrow over chemotherapy.", "therapy:substitute"),
    ("Before you agree to surgery, give yarrow three months.", "therapy:substitute"),
    ("Yarrow works like a natural beta-blocker.", "therapy:substitute"),
    ("Kick the antacids for good with yarrow tea.", "therapy:substitute"),
    # a disease in a compound or naming the product, a holder's endorsement
    ("Yarrow is packed with flu-fighting compounds.", "disease"),
    ("Yarrow is the gout herb of the Alps.", "disease"),
    ("Our customers with lupus swear by yarrow.", "disease"),
    ("Migraine sufferers finally have a natural option.", "disease"),
    ("Yarrow slashes the risk of type 2 diabetes by 40%.", "disease"),
    ("Yarrow addresses the root cause of IBS.", "disease"),
])
def test_more_therapy_and_disease_claims_by_their_grammar(sentence: str, cls: str) -> None:
    assert kinds(sentence).get(cls) == "block", kinds(sentence)


@pytest.mark.parametrize("sentence", [
    "Yarrow can reduce the blood levels of some HIV drugs, such as saquinavir.",
    "Taking antioxidants during chemotherapy may reduce how well some drugs work.",
    "Because yarrow acts like a statin, it can cause the same muscle pain.",
    "Antibiotics kill good gut bacteria as well as bad ones.",
    "It is essential for people with diabetes to check their feet every day.",
    "A heart-healthy diet is ideal for people with high cholesterol.",
    "Doctors use several drugs to keep gout flare-ups at bay.",
    "People taking diabetes medicines should be careful, because yarrow may lower blood sugar.",
    "Yarrow is sold online as an alternative cancer remedy.",
    "No herbal remedy has been shown to cure cancer.",
])
def test_interactions_advice_and_reports_block_nothing(sentence: str) -> None:
    assert "block" not in kinds(sentence).values(), kinds(sentence)


@pytest.mark.parametrize(("sentence", "cls"), [
    # a therapy claim found by the company it keeps: a therapy, a benefit, no warning
    ("Yarrow gives your diabetes medication an extra boost.", "therapy:augment"),
    ("Yarrow helps statins lower cholesterol even more.", "therapy:augment"),
    ("Yarrow lets patients stay on full-dose chemotherapy.", "therapy:adverse"),
    ("Users on insulin find they need far less of it with yarrow.", "therapy:substitute"),
    ("Yarrow: the Alpine statin.", "therapy:substitute"),
    # a disease that answers a bare question, an anti- compound, one's own disease gone
    ("Asthma? Yarrow opens up the airways.", "disease"),
    ("The ultimate anti-acne drink.", "disease"),
    ("This tea is the reason my asthma is gone.", "disease"),
    ("Sufferers of chronic fatigue report a new lease of life on yarrow.", "disease"),
])
def test_claims_found_by_the_company_they_keep(sentence: str, cls: str) -> None:
    assert kinds(sentence).get(cls) == "block", kinds(sentence)


@pytest.mark.parametrize("sentence", [
    "Statins work better when taken in the evening.",
    "Your body absorbs levothyroxine better on an empty stomach.",
    "Grapefruit makes some statins stronger, which can cause muscle damage.",
    "Some people feel better on their antidepressant after four to six weeks.",
    "Newer blood thinners need less monitoring than warfarin.",
    "Yarrow can stop medicines from working, so take it two hours apart from them.",
    "Colds usually clear up on their own within a week or two.",
    "Eczema in children often improves with age.",
    "Parkinson's disease is treated with levodopa prescribed by a neurologist.",
    "The idea that oxygen-rich blood cures cancer is a myth.",
    "Asthma? See your doctor about an inhaler.",
])
def test_drug_facts_natural_courses_and_denied_ideas_block_nothing(sentence: str) -> None:
    assert "block" not in kinds(sentence).values(), kinds(sentence)
