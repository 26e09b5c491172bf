"""Disclaimer rules: the shipped texts, what triggers each rule, the per-part policy, loading."""

from __future__ import annotations

import html
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from k2publisher.errors import ConfigError
from k2publisher.guard.disclaimers import DisclaimerRules, strip_disclaimers
from k2publisher.models import Kind
from k2publisher.settings import load_settings

# 21 CFR 101.93(c)(1) and (c)(2), word for word
FDA_1 = ("This statement has not been evaluated by the Food and Drug Administration. "
         "This product is not intended to diagnose, treat, cure, or prevent any disease.")
FDA_N = ("These statements have not been evaluated by the Food and Drug Administration. "
         "This product is not intended to diagnose, treat, cure, or prevent any disease.")

REPO = Path(__file__).resolve().parents[2]


def ids(disclaimers) -> list[str]:
    return [d.id for d in disclaimers]


# -- the FDA statement -------------------------------------------------------------------


def test_fda_statements_are_verbatim_and_have_no_short_form(rules):
    one, many = rules.get("FDA_SF_1"), rules.get("FDA_SF_N")
    assert one.text == FDA_1 and len(one.text) == 153
    assert many.text == FDA_N and len(many.text) == 156
    assert one.short is None and many.short is None
    assert one.form(short=True) == FDA_1


def test_one_structure_function_claim_takes_the_singular(rules, make_item):
    item = make_item(body="Vitamin K2 supports bone health.")
    found = ids(rules.for_item(item))
    assert "FDA_SF_1" in found and "FDA_SF_N" not in found


def test_two_claims_take_the_plural_never_both(rules, make_item):
    item = make_item(body="Vitamin K2 supports bone health. MK-7 helps maintain healthy "
                          "teeth.")
    found = ids(rules.for_item(item))
    assert "FDA_SF_N" in found and "FDA_SF_1" not in found
    assert rules.structure_function_claims(item, item.body) == 2


def test_no_claim_no_fda_statement(rules, make_item):
    found = ids(rules.for_item(make_item()))
    assert "FDA_SF_1" not in found and "FDA_SF_N" not in found


def test_negated_structure_function_sentence_is_not_a_claim(rules, make_item):
    item = make_item(body="Vitamin K2 has not been shown to support memory in people.")
    assert rules.structure_function_claims(item, item.body) == 0


def test_supplement_item_counts_claims_without_naming_the_supplement(rules, make_item):
    item = make_item(kind=Kind.SUPPLEMENT_SECTION, supplement="Vitamin K2",
                     body="It supports bone health.")
    assert rules.structure_function_claims(item, item.body) == 1
    assert rules.structure_function_claims(make_item(), "It supports bone health.") == 0


def test_our_own_fda_text_is_not_counted_as_a_claim(rules, make_item):
    item = make_item(body=f"Vitamin K2 supports bone health.\n\n{FDA_1}")
    assert rules.structure_function_claims(item, item.body) == 1


# -- each shipped rule triggers on realistic text, not on unrelated text ------------------

TRIGGERS = {
    "CONSULT_BEFORE_USE": "Trials used 180 mcg of MK-7 a day for three years.",
    "WARFARIN_VKA": "People on warfarin need a steady vitamin K intake; their INR is checked.",
    "ONCOLOGY": "In bladder cancer cells, VK2 induced metabolic stress.",
    "EVIDENCE_PRECLINICAL": "VK2 reduced tumour volume in mice.",
    "EVIDENCE_LIMITED_HUMAN": "A cohort study linked higher K2 intake with fewer fractures.",
    "PREGNANCY_LACTATION": "Is K2 safe while breastfeeding?",
    "COGNITIVE_NOOTROPIC": "Some sell K2 as a nootropic for memory.",
    "CARDIO_CLAIM": "K2 is studied for arterial calcification.",
    "SIDE_EFFECTS_REPORT": "Side effects reported in trials were mild stomach upsets.",
    "MATERIAL_CONNECTION": "Use our discount code at checkout.",
}
NEUTRAL = "Natto is a fermented soybean dish; its bacteria make menaquinone-7."


def by_text(rules, item, text: str) -> list[str]:
    """What ``text`` alone triggers (a later social post: no item-level rules)."""
    return ids(rules.required_for_part(item, text, 1, "social"))


@pytest.mark.parametrize("rule_id", sorted(TRIGGERS))
def test_rule_triggers_on_its_text(rules, make_item, rule_id):
    assert rule_id in by_text(rules, make_item(), TRIGGERS[rule_id])
    assert rule_id in ids(rules.for_text(make_item(), TRIGGERS[rule_id]))


@pytest.mark.parametrize("rule_id", sorted(TRIGGERS))
def test_rule_stays_quiet_on_unrelated_text(rules, make_item, rule_id):
    assert rule_id not in by_text(rules, make_item(), NEUTRAL)


def test_every_long_format_carries_the_general_disclaimers(rules, make_item):
    for kind in Kind:
        item = make_item(kind=kind, supplement="Vitamin K2")
        assert ids(rules.for_text(item, NEUTRAL)) == ["CONSULT_BEFORE_USE",
                                                      "NOT_MEDICAL_ADVICE"]


@pytest.mark.parametrize("text", ["Take 100 µg with food.", "The usual dose is 45 mg.",
                                  "Stop if you take Coumadin.", "blood-thinning drugs",
                                  "anticoagulants such as acenocoumarol"])
def test_warfarin_warning_on_any_dosage_or_anticoagulant(rules, make_item, text):
    assert rules.for_text(make_item(), text)[0].id == "WARFARIN_VKA"


def test_dose_dependent_is_not_dosage(rules, make_item):
    found = ids(rules.for_text(make_item(), "Growth slowed in a dose-dependent manner."))
    assert "WARFARIN_VKA" not in found


def test_item_tags_and_kind_trigger(rules, make_item):
    dosage = make_item(tags=("vitamin-k2", "dosage"))
    assert {"WARFARIN_VKA", "PREGNANCY_LACTATION", "CONSULT_BEFORE_USE"} <= set(
        ids(rules.for_item(dosage)))
    section = make_item(kind=Kind.SUPPLEMENT_SECTION, supplement="Vitamin K2")
    assert "CONSULT_BEFORE_USE" in ids(rules.for_item(section))


def test_preclinical_only_evidence_triggers_the_qualifier(rules, make_item):
    lab = make_item(evidence=["in_vitro", "animal"])
    mixed = make_item(evidence=["in_vitro", "clinical_trial"])
    assert "EVIDENCE_PRECLINICAL" in ids(rules.for_item(lab))
    assert "EVIDENCE_PRECLINICAL" not in ids(rules.for_item(mixed))


def test_preclinical_text_qualifier_yields_to_human_evidence(rules, make_item):
    text = "In a randomized trial in patients and in mice, K2 slowed calcification."
    assert "EVIDENCE_PRECLINICAL" not in ids(rules.for_text(make_item(), text))


def test_preclinical_qualifier_says_what_is_not_shown(rules):
    d = rules.get("EVIDENCE_PRECLINICAL")
    for form in (d.text, d.short):
        assert "not" in form and ("human" in form or "people" in form)
        assert "promising" not in form.lower() and "preliminary" not in form.lower()


def test_critical_first_then_priority(rules, make_item):
    text = "Natto, 180 mcg, supports bone health; K2 in leukaemia cells; in mice."
    found = rules.for_text(make_item(), text)
    assert [d.id for d in found[:2]] == ["WARFARIN_VKA", "ONCOLOGY"]
    assert all(d.critical for d in found[:2]) and not any(d.critical for d in found[2:])
    rest = [d.priority for d in found[2:]]
    assert rest == sorted(rest, reverse=True)


def test_only_oncology_is_critical_in_the_rules_file_warfarin_in_the_catalogue(rules):
    assert {d.id for d in rules.disclaimers if d.critical} == {"ONCOLOGY"}
    vitamin_k = next(s for s in rules.catalogue.supplements if s.name == "Vitamin K")
    assert {w.disclaimer.id for w in vitamin_k.warnings if w.disclaimer.critical} == {
        "WARFARIN_VKA"}


# -- the per-part policy -----------------------------------------------------------------


def test_email_feed_web_need_everything_the_item_triggers(rules, make_item):
    item = make_item(body="K2 and bladder cancer: trials used 45 mg a day.")
    for family in ("email", "feed", "web"):
        assert rules.required_for_part(item, "", 0, family) == rules.for_item(item)


def test_social_first_post_carries_item_critical_warnings(rules, make_item):
    item = make_item(body="Trials in leukaemia used 45 mg a day.")
    first = ids(rules.required_for_part(item, "Where K2 comes from.", 0, "social"))
    assert first[:1] == ["WARFARIN_VKA"] and "ONCOLOGY" not in first
    assert "NOT_MEDICAL_ADVICE" in first
    # all of them open the thread (post 1 and the warning-only posts after it)
    assert ids(rules.opening(item))[:2] == ["WARFARIN_VKA", "ONCOLOGY"]


def test_social_posts_ignore_item_tags_but_not_their_own_dosage_text(rules, make_item):
    item = make_item(kind=Kind.SUPPLEMENT_SECTION, supplement="Vitamin K2",
                     tags=("dosage",), body="Natto is a soybean dish.")
    assert ids(rules.required_for_part(item, "Natto facts.", 0, "social")) == [
        "WARFARIN_VKA", "NOT_MEDICAL_ADVICE"]
    assert rules.required_for_part(item, "Natto facts.", 1, "social") == []
    dose = ids(rules.required_for_part(item, "Trials used 180 mcg a day.", 0, "social"))
    assert dose == ["WARFARIN_VKA", "CONSULT_BEFORE_USE", "PREGNANCY_LACTATION",
                    "NOT_MEDICAL_ADVICE"]


def test_social_first_post_claim_carries_the_evidence_caveat(rules, make_item):
    item = make_item(evidence=["animal"], body="Mouse data on bone.")
    assert ids(rules.required_for_part(item, "Natto facts.", 0, "social")) == [
        "NOT_MEDICAL_ADVICE"]
    claim = ids(rules.required_for_part(item, "K2 supports bone health.", 0, "social"))
    assert claim == ["FDA_SF_1", "EVIDENCE_PRECLINICAL", "NOT_MEDICAL_ADVICE"]


def test_social_later_posts_carry_what_their_own_text_triggers(rules, make_item):
    item = make_item(body="Trials in leukaemia used 45 mg a day.")
    assert rules.required_for_part(item, "Natto is a soybean dish.", 1, "social") == []
    later = ids(rules.required_for_part(item, "VK2 helped leukaemia cells die.", 2, "social"))
    assert later == ["ONCOLOGY"]


def test_social_later_claims_carry_the_items_evidence_caveat(rules, make_item):
    item = make_item(evidence=["in_vitro"], body="VK2 and liver cancer cells.")
    later = ids(rules.required_for_part(item, "VK2 slowed liver cancer growth.", 1, "social"))
    assert later == ["ONCOLOGY", "EVIDENCE_PRECLINICAL"]


def test_links_and_hashtags_do_not_trigger(rules, make_item):
    part = "Natto facts. https://example.org/archive/vitamin-k2/dosage/ #Dosage #Cancer"
    assert rules.required_for_part(make_item(), part, 1, "social") == []


def test_disclaimer_text_in_a_part_does_not_trigger_more_rules(rules, make_item):
    warfarin = rules.get("WARFARIN_VKA")
    part = f"Natto is a soybean dish. {warfarin.short}"
    assert rules.required_for_part(make_item(), part, 1, "social") == []


def test_unknown_family_is_a_config_error(rules, make_item):
    with pytest.raises(ConfigError, match="unknown format family"):
        rules.required_for_part(make_item(), "", 0, "fax")


# -- present_in --------------------------------------------------------------------------


def test_present_in_sees_through_html_and_entities(rules):
    warfarin = rules.get("WARFARIN_VKA")
    wrapped = ("<p><strong>On warfarin or another vitamin K antagonist?</strong> Vitamin K "
               "from supplements (K2, multivitamins) can weaken it. Don&#8217;t start, stop "
               "or change it without your anticoagulation\nclinician; your INR may need "
               "checks.</p>")
    assert warfarin.present_in(wrapped, allow_short=False)
    oncology = rules.get("ONCOLOGY")
    amp = oncology.text.replace("K2 is", "<em>K2</em> is").replace(";", "&#59;")
    assert oncology.present_in(amp)


def test_present_in_short_form_only_when_allowed(rules):
    d = rules.get("ONCOLOGY")
    post = f"Lab news. **{d.short}** https://example.org/x"
    assert d.present_in(post, allow_short=True)
    assert not d.present_in(post, allow_short=False)


def test_present_in_rejects_a_truncated_fda_statement(rules):
    d = rules.get("FDA_SF_1")
    assert d.present_in(f"<div><b>{FDA_1}</b></div>", allow_short=True)
    assert not d.present_in(FDA_1[:-10], allow_short=True)
    assert not d.present_in(FDA_N, allow_short=True)


def test_present_in_handles_wrapped_plain_text_and_mrkdwn(rules):
    d = rules.get("CARDIO_CLAIM")
    wrapped = d.text.replace("blood-vessel", "blood-\nvessel").replace(" limited", "\nlimited")
    assert d.present_in(wrapped)
    assert d.present_in(f"*{d.text}*")


def test_strip_disclaimers_removes_full_and_short_forms(rules):
    text = f"Natto. {rules.get('ONCOLOGY').text} More. {rules.get('ONCOLOGY').short}"
    assert strip_disclaimers(text, rules) == "Natto. More."


# -- loading -----------------------------------------------------------------------------


def test_site_copy_matches_the_built_in_rules(rules):
    site = DisclaimerRules.load(REPO / "config" / "disclaimers.toml")
    assert site.disclaimers == rules.disclaimers
    header = (REPO / "config" / "disclaimers.toml").read_text(encoding="utf-8")[:400]
    assert "may edit" in header


def test_from_settings_prefers_the_site_file(tmp_path):
    (tmp_path / "config").mkdir()
    builtin = (REPO / "src" / "k2publisher" / "defaults" / "disclaimers.toml").read_text(
        encoding="utf-8")
    edited = builtin.replace("Education only, not medical advice.", "Not medical advice.")
    (tmp_path / "config" / "disclaimers.toml").write_text(edited, encoding="utf-8")
    (tmp_path / "config" / "k2publisher.toml").write_text("", encoding="utf-8")
    settings = load_settings(tmp_path / "config" / "k2publisher.toml", environ={})
    site = DisclaimerRules.from_settings(settings)
    assert site.get("NOT_MEDICAL_ADVICE").short == "Not medical advice."
    (tmp_path / "config" / "disclaimers.toml").unlink()
    assert DisclaimerRules.from_settings(settings).get("NOT_MEDICAL_ADVICE").short == \
        "Education only, not medical advice."


def test_toml_syntax_error_names_file_and_line(tmp_path):
    path = tmp_path / "disclaimers.toml"
    path.write_text('[[disclaimer]]\nid = "X"\ntext = "unterminated\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        DisclaimerRules.load(path)
    assert err.value.path == path and err.value.line == 3
    assert f"{path}:3:" in str(err.value)


BAD_RULES = [
    ('placement = "middle"', "placement", 'placement \'middle\' must be one of'),
    ('priority = "high"', "priority", "priority must be an integer"),
    ('colour = "red"', "colour", "unknown key 'colour'"),
]


@pytest.mark.parametrize(("extra", "key", "message"), BAD_RULES)
def test_invalid_rule_names_file_and_line(tmp_path, extra, key, message):
    path = tmp_path / "disclaimers.toml"
    source = ("[structure_function]\nverbs = 'a'\ntargets = 'b'\nsubjects = 'c'\n\n"
              "[[disclaimer]]\nid = \"OK\"\ntext = \"Fine.\"\nwhen = { always = true }\n\n"
              f"[[disclaimer]]\nid = \"BAD\"\ntext = \"Text.\"\n{extra}\n"
              "when = { always = true }\n")
    path.write_text(source, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as err:
        DisclaimerRules.load(path)
    assert err.value.line == source.splitlines().index(extra) + 1
    assert str(err.value).startswith(f"{path}:{err.value.line}: ")


def test_bad_regex_names_its_line_and_the_fix(tmp_path):
    path = tmp_path / "disclaimers.toml"
    source = ("[structure_function]\nverbs = 'a'\ntargets = 'b'\nsubjects = 'c'\n"
              "[[disclaimer]]\nid = \"X\"\ntext = \"T.\"\nwhen = { pattern = '(unclosed' }\n")
    path.write_text(source, encoding="utf-8")
    with pytest.raises(ConfigError, match="single quotes") as err:
        DisclaimerRules.load(path)
    assert err.value.line == 8


def test_packaged_rules_parse_as_plain_toml():
    data = tomllib.loads((REPO / "src" / "k2publisher" / "defaults" / "disclaimers.toml")
                         .read_text(encoding="utf-8"))
    assert len(data["disclaimer"]) >= 12


@given(data=st.data())
@examples(max_examples=60, deadline=None)
def test_present_in_survives_any_inline_markup_and_wrapping(data):
    d = data.draw(st.sampled_from(DisclaimerRules.load().disclaimers))
    words = d.text.split(" ")
    tags = st.sampled_from(["", "strong", "em", "b", "span"])
    spaces = st.sampled_from([" ", "\n", "  ", " \n  "])
    out = []
    for word in words:
        tag = data.draw(tags)
        word = html.escape(word)
        out.append(f"<{tag}>{word}</{tag}>" if tag else word)
        out.append(data.draw(spaces))
    text = f"<p>Before.</p><p>{''.join(out)}</p><p>After.</p>"
    assert d.present_in(text)
    assert not d.present_in(text.replace(html.escape(words[-1]), "", 1))
def test_a_subject_gate_keeps_vitamin_k_warnings_off_other_supplements() -> None:
    from k2publisher.guard.disclaimers import builtin_rules
    from k2publisher.models import Item, Kind

    rules = builtin_rules()
    magnesium = Item(id="magnesium/dosage", kind=Kind.SUPPLEMENT_SECTION, title="Dosage",
                     summary="Studies used 300 mg a day.", body="Studies used 300 mg a day.",
                     supplement="Magnesium", tags=("dosage",))
    k2 = Item(id="vitamin-k2/dosage", kind=Kind.SUPPLEMENT_SECTION, title="Dosage",
              summary="Studies used 180 mcg a day.", body="Studies used 180 mcg a day.",
              supplement="Vitamin K2", tags=("dosage",))
    assert "WARFARIN_VKA" not in [d.id for d in rules.for_item(magnesium)]
    assert "WARFARIN_VKA" in [d.id for d in rules.for_item(k2)]
    assert "WARFARIN_VKA" in [d.id for d in rules.required_for_part(k2, k2.summary, 0, "social")]
    assert "WARFARIN_VKA" not in [
        d.id for d in rules.required_for_part(magnesium, magnesium.summary, 0, "social")]
