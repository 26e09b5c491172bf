"""The claims guard's safety net (guard/claims_net.py): a disease or therapy tied to an effect
that the grammar did not classify still blocks; the harmless kinds of sentence stay silent.
The sentences here are about supplements and phrasings in no corpus part."""

from __future__ import annotations

import pytest

from k2publisher.guard.claims import get_rule, scan
from k2publisher.guard.claims_net import DISEASE_RULE, THERAPY_RULE, catch


def net_rules(text: str, before: str = "") -> set[str]:
    """The net's rules among the findings of ``text``."""
    return {f.rule for f in scan(text, before=before)} & {DISEASE_RULE, THERAPY_RULE}


def test_an_unparsed_disease_claim_blocks_with_what_to_do() -> None:
    findings = [f for f in scan("Arnica gel is a godsend for my bursitis.")
                if f.kind == "disease"]
    assert findings and all(f.level == "block" for f in findings)
    rule = get_rule(DISEASE_RULE)
    assert rule.level == "block" and "record an override with a reason" in rule.suggestion


@pytest.mark.parametrize("sentence", [
    "Pair our capsules with your inhaler and you will need it less often.",
    "Forget your prescription painkillers; devil's claw does the trick.",
])
def test_an_unparsed_therapy_claim_blocks(sentence: str) -> None:
    found = {f.kind: f.level for f in scan(sentence)}
    assert any(k.startswith("therapy") and v == "block" for k, v in found.items()), found


@pytest.mark.parametrize("sentence", [
    # a precaution, an interaction warning, a negation, a definition, a study's design
    "Talk to your doctor before using devil's claw if you have gallstones.",
    "Devil's claw may add to the effect of blood thinners and raise the risk of bleeding.",
    "Devil's claw does not cure arthritis.",
    "Gallstones are hardened deposits of bile that form in the gallbladder.",
    "A 2003 trial of devil's claw for back pain had 117 participants and lasted six weeks.",
    # the course of care, with no product; an effect on a gene
    "Recovery from bronchitis usually takes three weeks.",
])
def test_the_harmless_kinds_stay_silent(sentence: str) -> None:
    assert net_rules(sentence) == set()


def test_a_question_asks_and_its_answer_is_read_with_it() -> None:
    question = "What is devil's claw used for?"
    assert net_rules(question) == set()
    assert DISEASE_RULE in net_rules("Mostly sore knees and gout.", before=question)
    assert net_rules("Nothing has been shown in good trials.", before=question) == set()


def test_a_precaution_heading_frames_no_claim() -> None:
    assert net_rules("People with kidney stones.", before="Who should avoid it?") == set()


def test_what_the_grammar_blocked_is_not_reported_twice() -> None:
    parts = ["Devil's claw cures arthritis."]
    assert catch(parts, 0, frozenset(), frozenset({"disease"})) == []
    assert [c[0] for c in catch(parts, 0, frozenset(), frozenset())] == [DISEASE_RULE]
