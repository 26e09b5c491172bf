"""The claims guard: every pattern of reference §6 with a positive and a negative example."""

from __future__ import annotations

import re

import pytest

from k2publisher.guard.claims import LEVELS, RULES, by_class, get_rule, scan

# rule id -> (a sentence it must flag, its level there, a close sentence it must leave alone)
CASES: dict[str, tuple[str, str, str]] = {
    "C01-disease-cure": (
        "Vitamin K2 cures cancer naturally.", "block",
        "Vitamin K2 does not cure cancer."),
    "C02-kills-cancer-cells": (
        "K2 kills cancer cells.", "block",
        "VK2 pre-treatment reduced apoptosis in neurons."),
    "C03-boosts-therapy": (
        "VK2 enhances the efficacy of chemotherapy.", "block",
        "Researchers gave VK2 alongside chemotherapy in a small study."),
    "C04-therapy-side-effects": (
        "K2 reduces the side effects of chemo.", "block",
        "Chemo has side effects; ask your oncology team about them."),
    "C05-replaces-treatment": (
        "Use K2 instead of chemotherapy.", "block",
        "Never use K2 instead of chemotherapy."),
    "C06-disease-prevention": (
        "MK-7 prevents osteoporosis.", "block",
        "MK-7 has not been shown to prevent osteoporosis."),
    "C07-implied-drug-effect": (
        "K2 lowers your cholesterol.", "block",
        "Cholesterol was measured at the start of the trial."),
    "C08-safe-with-anticoagulants": (
        "K2 is safe with warfarin.", "block",
        "K2 is not safe with warfarin without your clinician."),
    "C09-absolute-safety": (
        "Vitamin K2 has no side effects.", "block",
        "Side effects were uncommon in studies; safety data are limited."),
    "C10-proven": (
        "K2 is clinically proven to build bone.", "review",
        "K2 is not clinically proven to build bone."),
    "C11-hype": (
        "This miracle vitamin heals your heart.", "block",
        "Natto is a fermented soybean dish."),
    "C12-weak-qualifier": (
        "Early results are promising.", "qualify",
        "Early results are promising, but it has not been shown in people."),
    "C13-unqualified-lab-finding": (
        "VK2 inhibited tumour growth in mice.", "qualify",
        "VK2 inhibited tumour growth in mice; this has not been shown in people."),
    "C14-nootropic": (
        "K2 is a nootropic.", "review",
        "K2 is a vitamin found in natto."),
    "C15-doctor-recommended": (
        "The doctor-recommended vitamin for bones.", "review",
        "Ask your doctor before starting supplements."),
    "C16-fda-approved": (
        "Our K2 is FDA-approved.", "block",
        "K2 supplements are not FDA-approved."),
    "C17-deficiency-fear": (
        "Most people are deficient in K2.", "review",
        "K2 is in natto, some cheeses and egg yolks."),
    "C18-dose-instruction": (
        "Take 200 mcg every morning.", "qualify",
        "Studies used 90 to 180 mcg a day."),
    "C19-disease-testimonial": (
        "K2 cured my arthritis in a month.", "block",
        "K2 was studied in people with arthritis."),
    "C20-weight-loss-amount": (
        "Lose 10 kg with K2.", "block",
        "Body weight did not change in the trial."),
}


def rules_found(text: str, **kw) -> dict[str, str]:
    return {f.rule: f.level for f in scan(text, **kw)}


def test_twenty_rules_with_known_levels():
    # the reference's twenty, the deficiency-disease note (tests/guard/test_claims_deficiency.py),
    # the safety net's two (tests/guard/test_claims_net.py), then the learned second opinion's
    # three (tests/guard/test_claims_model.py)
    assert len(RULES) == 26 and len(CASES) == 20
    assert [r.id for r in RULES][:20] == list(CASES)
    assert [r.id for r in RULES][20:] == ["C21-deficiency-disease",
                                          "N01-possible-disease-claim",
                                          "N02-possible-therapy-claim",
                                          "L01-learned-disease-claim",
                                          "L02-learned-therapy-claim",
                                          "L03-learned-safety-claim"]
    assert {r.level for r in RULES} <= set(LEVELS)
    assert all(r.suggestion and r.basis for r in RULES)


@pytest.mark.parametrize("rule_id", list(CASES))
def test_rule_flags_its_positive_example(rule_id):
    text, level, _ = CASES[rule_id]
    assert rules_found(text).get(rule_id) == level


@pytest.mark.parametrize("rule_id", list(CASES))
def test_rule_leaves_its_negative_example_alone(rule_id):
    assert rule_id not in rules_found(CASES[rule_id][2])


def test_case_insensitive():
    assert "C16-fda-approved" in rules_found("FDA APPROVED K2!")


def test_our_own_oncology_disclaimer_is_not_a_claim(rules):
    own = rules.get("ONCOLOGY").text
    assert "prevents, treats or cures cancer" in own
    assert scan(own, rules) == []
    assert scan(f"<p><strong>{own}</strong></p>", rules) == []


def test_every_shipped_disclaimer_scans_clean(rules):
    for d in rules.disclaimers:
        assert scan(d.text, rules) == [], d.id
        if d.short:
            assert scan(d.short, rules) == [], d.id


def test_negation_is_limited_to_its_clause():
    assert "C08-safe-with-anticoagulants" in rules_found(
        "It is not a drug, but it is safe with warfarin.")


def test_lab_context_downgrades_cell_death_claims_except_in_headlines():
    text = "In a cell study, MK-4 triggered apoptosis in leukaemia cells."
    assert rules_found(text)["C02-kills-cancer-cells"] == "qualify"
    assert rules_found(text, headline=True)["C02-kills-cancer-cells"] == "block"


def test_nootropic_with_dementia_blocks():
    assert rules_found("K2 is a nootropic for dementia.")["C14-nootropic"] == "block"


def test_hype_outside_health_is_review():
    assert rules_found("The secret is in the natto recipe.")["C11-hype"] == "review"


def test_finding_has_excerpt_and_suggestion():
    long = "Some words first. " * 5 + "Vitamin K2 cures cancer, say the adverts we saw."
    (finding,) = [f for f in scan(long) if f.rule == "C01-disease-cure"]
    assert "cures cancer" in finding.excerpt
    assert len(finding.excerpt) < 140
    assert finding.suggestion == get_rule("C01-disease-cure").suggestion
    assert "C01-disease-cure (block)" in str(finding)


def test_links_and_hashtags_are_not_scanned():
    assert scan("Read more: https://example.org/it-cures-cancer #CancerCure") == []


def test_unknown_rule_id_names_the_known_ones():
    with pytest.raises(KeyError, match="C01-disease-cure"):
        get_rule("C99")


def test_a_table_reads_as_one_statement_with_its_qualifiers():
    bare = ("<table><tr><th>Cancer</th><th>Outcome</th></tr>"
            "<tr><td>Ovarian</td><td>Apoptosis induction</td></tr></table>")
    assert rules_found(bare)["C02-kills-cancer-cells"] == "block"
    qualified = bare.replace("<th>Outcome</th>", "<th>Outcome (cell studies)</th>")
    assert rules_found(qualified)["C02-kills-cancer-cells"] == "qualify"
    captioned = "<h3>Summary table (lab and animal studies)</h3>" + bare
    assert rules_found(captioned)["C02-kills-cancer-cells"] == "qualify"
    assert rules_found(captioned, headline=True)["C02-kills-cancer-cells"] == "block"


def test_style_and_script_contents_are_not_text():
    page = ("<html><head><style>.miracle{color:red}</style></head><body><p>Natto.</p>"
            "<script>var cure = 'cures cancer';</script></body></html>")
    assert scan(page) == []


def test_table_rows_on_separate_lines_stay_one_statement():
    table = ("<h3>Summary (lab and animal studies)</h3>\n<table>\n<thead>\n<tr>\n<th>Cancer</th>\n"
             "<th>Outcome</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>Breast</td>\n<td>More "
             "apoptosis</td>\n</tr>\n<tr>\n<td>Ovarian</td>\n<td>Apoptosis induction</td>\n"
             "</tr>\n</tbody>\n</table>\n")
    assert {f.level for f in scan(table)} == {"qualify"}


def test_not_only_is_not_a_negation():
    assert "C01-disease-cure" in rules_found("Not only does K2 cure cancer, it is cheap.")


# --- by structure: sentences about supplements none of the rules or the corpus name ----------

def kinds(text: str, **kw) -> dict[str, str]:
    """class -> worst level found in ``text``."""
    return by_class(scan(text, **kw))


@pytest.mark.parametrize("text", [
    "Quercetin cures gout.",                                       # a disease other than cancer
    "Gout prevention is where quercetin really shines.",           # "prevention" as a noun
    "Elderberry shortened my bronchitis and cured my sinusitis.",  # past tense
    "Psoriasis was healed in weeks by a daily dose of NAC.",       # passive voice
    "Reishi shrinks pancreatic tumours.",
    "Reishi prolongs survival in pancreatic cancer.",
    "NAC protects your liver against cirrhosis.",
    "Chlorella reverses fatty liver disease.",                     # an "X disease" shape
    "Spirulina treated the sarcoidosis of every patient.",         # an ICD-10-CM term only
    "Kelp normalises an underactive thyroid.",                     # a lay name
])
def test_disease_claims_block_in_any_tense_voice_or_noun(text: str) -> None:
    assert kinds(text).get("disease") == "block"


@pytest.mark.parametrize(("text", "kind"), [
    ("Quercetin is a natural alternative to antihistamines.", "therapy:substitute"),
    ("Swap your statin for red yeast rice.", "therapy:substitute"),
    ("NAC lets patients come off their antipsychotics.", "therapy:substitute"),
    ("Bitter melon boosts the effect of sitagliptin.", "therapy:augment"),   # INN stem -gliptin
    ("Reishi makes radiotherapy work better.", "therapy:augment"),
    ("Astragalus potentiates carboplatin in lung cancer.", "therapy:augment"),
    ("Ginger relieves the nausea caused by chemotherapy.", "therapy:adverse"),
    ("Glutamine prevents the nerve damage caused by oxaliplatin.", "therapy:adverse"),
])
def test_therapy_claims_block(text: str, kind: str) -> None:
    found = kinds(text)
    assert found.get(kind) == "block", found


def test_an_attributed_therapy_claim_still_blocks() -> None:
    found = kinds("In a cell study, quercetin enhanced the effect of cisplatin.")
    assert found["therapy:augment"] == "block"


@pytest.mark.parametrize("text", [
    "Red yeast rice can enhance the effect of statins and raise the risk of muscle damage; "
    "ask your doctor before combining them.",
    "Quercetin may add to the effect of blood thinners such as warfarin and increase bleeding.",
    "Kelp can interfere with levothyroxine, so people on thyroid medication should ask first.",
    "There is no miracle cure for gout, whatever the label says.",
    "Quercetin does not cure gout.",
    "No trial has shown that reishi treats cancer in people.",
    "Elderberry is not a treatment for influenza.",
    "People with gout should talk to their doctor before using quercetin.",
    "Research on NAC in psoriasis is limited to two small trials.",
    "A 2020 trial of 120 adults found fewer colds with zinc, but the difference was small.",
    "Zinc contributes to the normal function of the immune system.",
    "Raw elderberries can cause nausea and vomiting.",
    "Cancer patients should ask their oncology team before taking reishi.",
])
def test_warnings_debunks_and_hedges_are_not_blocked(text: str) -> None:
    assert "block" not in kinds(text).values(), scan(text)


def test_a_lab_or_animal_attribution_qualifies_a_disease_claim_except_in_a_headline() -> None:
    text = "In mice, reishi slowed tumour growth."
    assert kinds(text)["disease"] == "qualify"
    assert kinds(text, headline=True)["disease"] == "block"
    assert kinds("Reishi slowed tumour growth.")["disease"] == "block"


@pytest.mark.parametrize("text", [
    # a population names who, not what evidence: no study, so no attribution
    "Saffron lifts depression in women with premenstrual syndrome.",
    "Slippery elm soothes the gut lining in people with ulcerative colitis.",
    "Sea buckthorn calms eczema in adults who have had it for years.",
    # an association with no source named
    "Chlorella has been linked to fewer cases of psoriasis.",
    # how often, not where from
    "Nettle root shrinks an enlarged prostate in many cases.",
])
def test_a_population_or_association_alone_is_no_attribution(text: str) -> None:
    assert kinds(text)["disease"] == "block", scan(text)


@pytest.mark.parametrize("text", [
    "In a small trial in women with premenstrual syndrome, saffron eased low mood.",
    "In observational studies, chlorella intake has been linked to fewer cases of psoriasis.",
    "Three published case reports describe remission of psoriasis with chlorella.",
])
def test_a_population_or_association_beside_an_evidence_word_is_attributed(text: str) -> None:
    assert kinds(text)["disease"] == "qualify", scan(text)


def test_an_acronym_defined_on_the_page_counts_as_the_disease() -> None:
    page = "Studies in chronic obstructive pulmonary disease (COPD) are small."
    assert "disease" not in kinds("NAC reverses COPD.")
    assert kinds("NAC reverses COPD.", context=page)["disease"] == "block"


@pytest.mark.parametrize("text", [
    "Zinc is safe at any dose.",
    "Reishi is completely non-toxic.",
    "Elderberry syrup has no side effects.",
    "You cannot overdose on NAC.",
    "Quercetin is free from side effects, even at high doses.",
    "Turkey tail is safe with chemotherapy drugs.",
])
def test_absolute_safety_claims_block(text: str) -> None:
    assert kinds(text).get("safety") == "block"


def test_a_reported_study_result_is_not_an_absolute_safety_claim() -> None:
    assert "safety" not in kinds("No serious side effects were reported in the 12-week trial.")
    assert "safety" not in kinds("Zinc is not safe at high doses.")


def test_suggestions_name_no_particular_supplement() -> None:
    assert not [r.id for r in RULES if re.search(r"\b(?:K2|MK-4|MK-7|vitamin K)\b",
                                                 r.suggestion)]


def test_causing_cell_death_blocks_in_a_headline_even_without_a_disease_named() -> None:
    assert kinds("Inducing apoptosis", headline=True)["disease"] == "block"
    assert "disease" not in kinds("Inducing apoptosis")
    assert kinds("Apoptosis: programmed cell death", headline=True) == {}


def test_a_claim_that_names_no_disease_refers_to_the_sentence_before() -> None:
    page = ("An observational study linked higher zinc intake to less pneumonia. "
            "This suggests a possible preventive effect.")
    assert [f.rule for f in scan(page)] == ["C01-disease-cure", "C06-disease-prevention"]
    assert scan("This suggests a possible preventive effect.") == []
    assert scan("This suggests a possible preventive effect.",
                before="Zinc was studied in pneumonia.")[0].rule == "C06-disease-prevention"


def test_with_or_without_is_no_negation() -> None:
    assert kinds("Reishi, with or without chemotherapy, shrank tumours in mice.")["disease"] \
        == "qualify"
