"""Claim structures by family, not by phrase (rulesnext round): each family with sentences
written for it, none taken from the corpus -- therapy side effects eased, substitution,
absolute safety by its quantifiers -- and the harmless structures beside them (warnings,
debunks, results taken back, care advice)."""

from __future__ import annotations

import pytest

from k2publisher.guard.claims import by_class, scan
from k2publisher.guard.claims_context import taken_back
from k2publisher.guard.lexicon import therapies


def _blocked(sentence: str) -> set[str]:
    return {c for c, level in by_class(scan(sentence, learned=False)).items()
            if level == "block"}


@pytest.mark.parametrize("sentence", [
    "Milk thistle guards the liver against damage from paracetamol.",
    "Our probiotic repairs the gut after a course of antibiotics.",
    "Take CoQ10 so your statin no longer gives you aching muscles.",
    "Patients on tamoxifen use it to cool their hot flushes.",
    "Steroid users rely on it to protect their bones.",
    "It shields healthy cells from radiotherapy.",
    "The extract blunts the toxicity of chemotherapy drugs.",
    "This cream takes the sting out of radiation burns.",
    "It keeps statin-related muscle pain from ruining your day.",
    "It stops metformin from upsetting your stomach.",
    "Post-chemo, it brings back your taste and appetite.",
    "My aunt swears by it for the leg cramps she gets on her statin.",
    "The swollen ankles I got from my amlodipine went down within a week.",
])
def test_a_therapys_harm_eased_in_any_phrasing_blocks(sentence: str) -> None:
    assert "therapy:adverse" in _blocked(sentence)


@pytest.mark.parametrize("sentence", [
    "No need for antidepressants when you have saffron.",
    "You can say goodbye to insulin injections.",
    "It does everything a statin does, naturally.",
    "Stop taking your antihistamine and use nettle instead.",
    "With this tea you can avoid going on blood thinners.",
    "Nature's own antidepressant, without a prescription.",
    "It can be used in lieu of hormone therapy.",
    "Spare yourself the knee replacement with this formula.",
    "There is no need to put your child on Ritalin.",
    "It is the only thing that helped after the pills failed, and I have not gone back.",
    "It is a drug-free way to treat high blood pressure.",
    "My blood pressure is normal now, no pills needed.",
    "I used to need an inhaler every morning, and now this tea does the job.",
    "It beats any sleeping pill.",
])
def test_a_substitution_in_any_phrasing_blocks(sentence: str) -> None:
    assert "therapy:substitute" in _blocked(sentence)


@pytest.mark.parametrize("sentence", [
    "You can take it with any medication.",
    "Everyone can take it safely.",
    "It has no contraindications whatsoever.",
    "Suitable for everyone, including pregnant women and children.",
    "It interacts with nothing.",
    "No matter how much you take, it is safe.",
    "It is as safe as drinking water.",
    "Pregnant women can take it without worry.",
    "No one has ever had a bad reaction to it.",
    "It won't interact with your medications.",
    "It is a plant, so you can take as much of it as you like.",
    "No amount of it could ever hurt you.",
    "It is one of the safest herbs there is.",
    "Zero interactions, and I take it with all my meds.",
])
def test_absolute_safety_by_its_quantifiers_blocks(sentence: str) -> None:
    assert "safety" in _blocked(sentence)


@pytest.mark.parametrize("sentence", [
    "Ask a pharmacist whether it is safe with your medicines.",
    "It does not interact with food, but it can interact with some antibiotics.",
    "Claims that it prevents cancer are not supported by trials.",
    "The evidence that it eases arthritis pain is weak and mixed.",
    "Migraines are often triggered by stress, poor sleep or certain foods.",
    "It may make asthma worse in people allergic to ragweed.",
    "Skipping doses of your antibiotic can make the infection come back.",
    "Anyone with diabetes should talk to their doctor first, because it may lower blood sugar.",
    "Many people give up their statin because of muscle pain, which is a conversation to have "
    "with a doctor.",
    "Dialysis patients lose water-soluble vitamins and may need a renal vitamin.",
    "People on steroids are advised to protect their bones with calcium and vitamin D.",
    "Radiotherapy patients are told to keep their skin clean and dry.",
    "A drug-free approach to back pain usually starts with exercise and physiotherapy.",
    "It is unlikely to help with arthritis, based on current trials.",
    "Its reputation as a hangover cure rests on anecdotes.",
    "If you are being treated for cancer, ask your oncology team before taking it.",
    "Reports that it shrinks fibroids come from a single case series.",
    "You don't need a prescription for it, unlike metformin.",
    "Research covers it, with the clearest relevance for people on warfarin and for bone health.",
])
def test_warnings_debunks_and_care_advice_stop_nothing(sentence: str) -> None:
    assert _blocked(sentence) == set()


def test_a_result_taken_back_by_its_caveat_is_a_note_not_a_binding_qualify() -> None:
    sentence = ("A review of small trials found that it reduced migraine days compared with "
                "placebo, but the trials were of low quality.")
    assert taken_back(sentence)
    levels = by_class(scan(sentence, learned=False))
    assert levels.get("disease") == "review"
    plain = "A review of small trials found that it reduced migraine days compared with placebo."
    assert not taken_back(plain)
    assert by_class(scan(plain, learned=False)).get("disease") == "qualify"


@pytest.mark.parametrize(("sentence", "named"), [
    ("Women on aromatase inhibitors often have joint pain.", "aromatase inhibitors"),
    ("He had a knee replacement last year.", "knee replacement"),
    ("It keeps statin-related muscle pain away.", "statin"),
])
def test_therapies_are_named_by_family(sentence: str, named: str) -> None:
    assert named in [m.text for m in therapies(sentence)]
