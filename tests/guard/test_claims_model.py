"""The claims guard's learned second opinion (guard/claims_model.py): its features, how its
verdict combines with the rules' (claims.scan, the one place), editor overrides, a runtime
without scikit-learn, and a shipped weights file that a fresh build reproduces."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import pytest

from k2publisher.guard import claims_model
from k2publisher.guard.check import check
from k2publisher.guard.claims import by_class, get_rule, scan, stops_publication
from k2publisher.guard.claims_model import Model, delexicalise, features
from k2publisher.models import GuardOverride, Part, Rendering
from k2publisher.render.profiles import get_profile

SENTENCE = "Every cup of our morning tea is zorbic."


def made_up(disease: float, therapy: float = -9.0, safety: float = -9.0) -> Model:
    """A model that reads one made-up word, "zorbic", as a claim: on :data:`SENTENCE` its
    log-odds are ``disease``, ``therapy`` and ``safety`` (review from 0.8, block from 0.95)."""
    value = features(SENTENCE)["w:zorbic"]
    spec = {"threshold": 0.8, "block": 0.95, "bias": -3.0}
    return Model({kind: {**spec, "weights": {"w:zorbic": (odds + 3) / value}}
                  for kind, odds in (("disease", disease), ("therapy", therapy),
                                     ("safety", safety))})


@pytest.fixture
def model(monkeypatch: pytest.MonkeyPatch):
    """Install a made-up model for the test: ``model(disease, therapy, safety)`` log-odds."""
    def install(disease: float, therapy: float = -9.0, safety: float = -9.0) -> None:
        monkeypatch.setattr(claims_model, "load_model",
                            lambda: made_up(disease, therapy, safety))
    return install


def test_names_become_placeholders_so_unseen_supplements_read_alike() -> None:
    a = delexicalise("Berberine reverses type 2 diabetes better than metformin at 500 mg.")
    b = delexicalise("Garlic reverses rheumatoid arthritis better than ibuprofen at 900 mg.")
    assert a.split() == b.split()
    assert {"SUPP", "DIS", "DRUG", "0"} <= set(a.split())
    assert features("Garlic reverses arthritis.")["has:DIS"] == 1.0
    assert "sig:negated" in features("Garlic does not reverse arthritis.")


def test_a_sentence_the_rules_pass_gets_the_models_review_with_its_reasons(model) -> None:
    model(1.73)  # a score of 0.85: between review and block
    sentence = SENTENCE
    assert scan(sentence, learned=False) == []
    (finding,) = scan(sentence)
    assert finding.rule == "L01-learned-disease-claim" and finding.kind == "disease"
    assert finding.level == "review"
    assert "learned second opinion" in finding.suggestion
    assert "\u201czorbic\u201d" in finding.suggestion and "score 0.85" in finding.suggestion


def test_a_high_score_blocks_and_an_attributed_study_note_is_qualified(model) -> None:
    model(9.0)
    assert by_class(scan(SENTENCE)) == {"disease": "block"}
    assert by_class(scan("In a small trial, the tea was zorbic.")) == {"disease": "qualify"}
    assert by_class(scan(SENTENCE, headline=True)) == {"disease": "block"}
    # the qualify binds to its evidence qualifier, as the rules' own does
    (note,) = scan("In a small trial, the tea was zorbic.")
    assert note.qualifier and not stops_publication(note, "In a small trial, the tea was zorbic.")
    assert stops_publication(note, "The tea was zorbic.")
    # what is no full sentence (a tag line, a heading) is only worth a look
    assert by_class(scan("tea zorbic mornings")) == {"disease": "review"}


def test_the_model_never_lowers_or_doubles_a_rules_finding(model) -> None:
    model(9.0, therapy=-20.0)  # certain where the rules already are
    claim = "Zorbic tea cures diabetes."
    assert scan(claim) == scan(claim, learned=False)
    assert by_class(scan(claim))["disease"] == "block"
    model(-20.0, therapy=-20.0)  # the model is sure it is no claim: the rules still block
    assert by_class(scan(claim))["disease"] == "block"
    qualified = "In mice, zorbic extract shrank tumours."
    model(9.0)
    assert scan(qualified) == scan(qualified, learned=False)


def test_a_therapy_opinion_blocks_as_a_therapy_claim(model) -> None:
    model(-9.0, therapy=9.0)
    (finding,) = scan(SENTENCE)
    assert (finding.rule, finding.level, finding.kind) == (
        "L02-learned-therapy-claim", "block", "therapy:augment")


def test_a_safety_opinion_blocks_as_an_absolute_safety_claim(model) -> None:
    model(-9.0, safety=9.0)
    (finding,) = scan(SENTENCE)
    assert (finding.rule, finding.level, finding.kind) == (
        "L03-learned-safety-claim", "block", "safety")
    assert stops_publication(finding)
    # a safety claim the rules already flag stays theirs
    claim = "Zorbic tea has no side effects at any dose."
    assert by_class(scan(claim, learned=False)).get("safety") == "block"
    assert scan(claim) == scan(claim, learned=False)


def test_an_editor_override_lets_the_models_block_through_as_a_note(model, rules,
                                                                     make_item) -> None:
    model(9.0)
    item = make_item(id="tea/zorbic", title="Tea", summary="Tea.", body="Tea.")
    p = get_profile("mastodon")
    text = f"{SENTENCE}\nhttps://example.org/tea/"
    needed = rules.required_for_part(item, text, 0, "social", 1)
    part = Part(text="\n".join([text, *(d.form(short=True) for d in needed)]),
                disclaimers=tuple(d.id for d in needed))
    rendering = Rendering(item_id=item.id, channel="mastodon", profile=p.name, family=p.family,
                          parts=(part,), link="https://example.org/tea/", limit=p.limit,
                          counter=p.counter)
    refused = check(rendering, item, rules)
    assert any("L01-learned-disease-claim (block)" in x for x in refused.problems)
    allowed = replace(item, guard_overrides=(
        GuardOverride("L01-learned-disease-claim", "a tasting note, not a claim"),))
    verdict = check(rendering, allowed, rules)
    assert not any("L01" in x for x in verdict.problems)
    assert any("override L01-learned-disease-claim (a tasting note" in n for n in verdict.notes)


def test_the_learned_rules_are_documented_rules() -> None:
    for rule_id in ("L01-learned-disease-claim", "L02-learned-therapy-claim",
                    "L03-learned-safety-claim"):
        rule = get_rule(rule_id)
        assert rule.basis and rule.suggestion and rule.pattern is None


def test_the_shipped_model_scores_without_scikit_learn() -> None:
    code = ("import sys; from k2publisher.guard.claims import scan; "
            "scan('Turmeric quietly melts away the plaque that clogs arteries.'); "
            "from k2publisher.guard.claims_model import load_model; "
            "assert load_model() is not None; "
            "assert 'sklearn' not in sys.modules and 'scipy' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_shipped_model_is_what_the_build_script_makes() -> None:
    """A changed corpus, lexicon or feature needs `scripts/build-claims-model` run again."""
    pytest.importorskip("sklearn")
    from k2publisher.guard.lexicon import claims_train

    shipped = claims_train.OUTPUT.read_text(encoding="utf-8")
    fresh = claims_train.render(claims_train.build())
    old, new = json.loads(shipped), json.loads(fresh)
    assert old["settings"] == new["settings"]
    hint = "run scripts/build-claims-model and commit the file"
    assert old["classes"].keys() == new["classes"].keys(), hint
    for name, cls in old["classes"].items():
        built = new["classes"][name]
        assert cls["weights"].keys() == built["weights"].keys(), hint
        # another scikit-learn release or BLAS may move a weight's last printed digit
        drift = max(abs(w - built["weights"][f]) for f, w in cls["weights"].items())
        assert drift <= 0.005 and abs(cls["bias"] - built["bias"]) <= 0.005, hint
        assert (cls["threshold"], cls["block"]) == (built["threshold"], built["block"]), hint
