"""Classical nutrient-deficiency diseases (21 CFR 101.93(g)(1); FD&C Act 403(r)(6)(A)), by
structure: a deficiency disease tied to its nutrient is a `review` with the prevalence note,
the same disease word without the tie -- or beside another disease -- stays a disease claim.
The sentences were written for these tests (none from the corpus), and several use diseases
and nutrients of the table that no example in the code names."""

from __future__ import annotations

import time

import pytest

from k2publisher.guard.claims import RULES, by_class, scan, stops_publication
from k2publisher.guard.claims_deficiency import tie
from k2publisher.guard.lexicon import deficiency_table, diseases

C21 = "C21-deficiency-disease"


def _rules(sentence: str, *, learned: bool = False) -> dict[str, str]:
    return {f.rule: f.level for f in scan(sentence, learned=learned)}


@pytest.mark.parametrize("sentence", [
    "A daily dose of vitamin A keeps xerophthalmia away.",
    "Keratomalacia in undernourished children responds quickly to retinol.",
    "Folic acid corrects megaloblastic anemia.",
    "Our selenium tablets protect against Keshan disease.",
    "Phosphate and vitamin D3 reverse osteomalacia.",
    "Nicotinamide clears up pellagra within weeks.",
    "Thiamin heals beriberi.",
    "Iodized salt has all but wiped out endemic goiter.",
    "Ferrous fumarate treats iron deficiency anemia.",
    "Ascorbic acid cures scorbutus.",
    "Vitamin B12 tablets correct the anaemia of a vegan diet short of vitamin B12.",
    "Our chewable vitamin D stops rickets in toddlers.",
])
def test_a_deficiency_disease_tied_to_its_nutrient_is_a_review_with_the_prevalence_note(
        sentence: str) -> None:
    findings = scan(sentence, learned=False)
    assert [f.rule for f in findings if f.kind == "disease"] == [C21]
    note = next(f for f in findings if f.rule == C21)
    assert note.level == "review" and not stops_publication(note)
    assert "in the US" in note.suggestion and "ods.od.nih.gov" in note.suggestion


def test_the_learned_second_opinion_is_read_the_same_way() -> None:
    found = scan("Vitamin A keeps night blindness at bay.")
    assert not any(stops_publication(f) for f in found)
    assert {f.rule for f in found if f.kind == "disease"} <= {C21}


@pytest.mark.parametrize("sentence", [
    "Our herbal tonic cures pellagra.",           # the disease word, no nutrient named
    "These capsules heal xerophthalmia.",
    "Iron pills correct anaemia.",                # anaemia in general: no deficiency named
    "Niacin cures pellagra and arthritis.",       # another disease beside it
    "Vitamin C cures scurvy and countless other illnesses.",   # diseases in general
    "Vitamin B12 reverses pernicious anaemia.",   # autoimmune: a disease
    "Thiamine cures Wernicke's encephalopathy.",  # brain damage: a disease
    "Vitamin K drops prevent haemorrhagic disease of the newborn.",  # a clinician's injection
    "Calcium prevents osteoporosis.",             # a disease (authorised claim's wording)
    "Vitamin D cures hypophosphataemic rickets.",  # genetic, not a deficiency
])
def test_without_the_tie_or_beside_another_disease_it_stays_a_disease_claim(
        sentence: str) -> None:
    assert by_class(scan(sentence, learned=False)).get("disease") == "block"
    assert C21 not in _rules(sentence)


@pytest.mark.parametrize("sentence", [
    "Scurvy is caused by a lack of vitamin C.",
    "Pellagra follows a diet poor in niacin.",
    "Rickets is rare in the US because milk is fortified with vitamin D.",
])
def test_the_cause_of_a_deficiency_disease_is_no_claim(sentence: str) -> None:
    assert not any(stops_publication(f) for f in scan(sentence, learned=False))


def test_a_pronoun_reads_the_disease_of_the_sentence_before() -> None:
    assert tie("Selenium keeps it away.", "Keshan disease once struck whole villages.")
    assert tie("Selenium keeps it away.", "Keshan disease and lupus once struck villages.") is None


@pytest.mark.parametrize(("sentence", "nutrient"), [
    ("Anaemia from low iron stores improves with ferrous sulfate.", "iron"),
    ("Anemia due to too little folate responds to folic acid.", "folate"),
    ("Supplements correct the anaemia of iron deficiency.", "iron"),
])
def test_a_general_disease_name_needs_its_nutrients_lack(sentence: str, nutrient: str) -> None:
    found = tie(sentence)
    assert found is not None and found.nutrient.lower() == nutrient


def test_a_deficiency_state_names_its_nutrient() -> None:
    assert tie("Vitamin E softgels correct vitamin E deficiency.") is not None
    assert tie("It corrects growth hormone deficiency.") is None  # no nutrient


def test_every_row_of_the_table_has_a_source_a_status_and_a_tie() -> None:
    rows = deficiency_table()
    assert {r.status for r in rows} == {"classical", "nutrient", "excluded"}
    for row in rows:
        assert row.source.startswith("https://"), row
        assert row.nutrients, row
        assert row.status == "excluded" or row.tie in {"named", "deficiency"}, row
        assert row.status != "excluded" or row.note, row  # why it stays a disease
        assert bool(row.names) == (row.status != "nutrient"), row


def test_the_tables_diseases_are_disease_names() -> None:
    named = {m.text.lower() for m in diseases("Pellagra, keratomalacia and scurvy.")}
    assert {"pellagra", "keratomalacia", "scurvy"} <= named


def test_the_rule_is_registered_as_a_review_disease_rule() -> None:
    rule = next(r for r in RULES if r.id == C21)
    assert rule.kind == "disease" and rule.level == "review"


def test_hostile_long_input_stays_linear() -> None:
    long = " ".join(["low low lack of too little vitamin c iron anaemia-"] * 400) + " scurvy."
    start = time.perf_counter()
    tie(long)
    tie(("vitamin " * 3000) + "deficiency")
    assert time.perf_counter() - start < 2.0
