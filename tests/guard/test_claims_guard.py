"""The claims guard: every pattern of reference §6 with a positive and a negative example."""

from __future__ import annotations

import pytest

from k2publisher.guard.claims import LEVELS, RULES, get_rule, scan

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
    assert len(RULES) == 20 == len(CASES)
    assert [r.id for r in RULES] == list(CASES)
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
