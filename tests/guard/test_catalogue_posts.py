"""Every catalogue supplement on every social network: posts keep each warning word for word.

A generated item per supplement (``tests/fixtures/supplements/generator.py``: written like the
seed sites, its body naming every drug class and condition the entry warns about) is
rendered for every social profile without a hand-written variant. The thread must pass the
guard, open with every critical warning in its own short form (post 1 and the warning-only
posts after it), and carry in each post the word-for-word short form of every warning its
own text calls for: no merged one-liner, no softened wording. Property-style: the cases are
the catalogue, so a supplement added to the file is tested too.
"""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from k2publisher.guard.check import check
from k2publisher.guard.disclaimers import DisclaimerRules, prose
from k2publisher.guard.interactions import builtin_catalogue
from k2publisher.render import coverage
from k2publisher.render.profiles import PROFILES
from k2publisher.render.renderer import Renderer
from k2publisher.settings import DEFAULTS, Settings

_SPEC = importlib.util.spec_from_file_location(
    "generator", Path(__file__).parents[1] / "fixtures" / "supplements" / "generator.py")
generator = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(generator)

SOCIAL = [name for name, p in PROFILES.items() if p.family == "social"]
ENTRIES = list(builtin_catalogue().supplements)


@pytest.fixture(scope="module")
def rules() -> DisclaimerRules:
    return DisclaimerRules.load()


@pytest.fixture(scope="module")
def renderer(tmp_path_factory, rules) -> Renderer:
    return Renderer(Settings(data=copy.deepcopy(DEFAULTS),
                             root=tmp_path_factory.mktemp("site")), rules)


def test_the_generator_names_every_class_each_entry_warns_about() -> None:
    for entry in ENTRIES:
        item = generator.item_for(entry)
        for warning in entry.warnings:
            assert warning.drug_class.pattern.search(item.body), (entry.name, warning)


def _assert_word_for_word(rules, renderer, entry, item, profiles) -> None:
    own = {w.disclaimer.id: w.disclaimer for w in entry.warnings}
    for profile in profiles:
        rendering = renderer.render(item, profile)
        verdict = check(rendering, item, rules, claims_policy="off")
        assert verdict.ok, (profile, verdict.problems)
        texts = rendering.texts
        assert coverage.problems(texts, item, profile, rules, prose) == []
        read = [coverage.words(prose(t, rules)) for t in texts]
        end = next((i for i in range(1, len(texts)) if read[i]), len(texts))
        for warning in rules.opening(item):
            assert any(warning.present_in(t, True) for t in texts[:end]), (profile,
                                                                         warning.id)
        for n, text in enumerate(texts):
            said = prose(text, rules)
            # a safety sentence too long to sit beside all its warnings has the rest in the
            # warning-only posts right after it
            beside = text + "\n" + coverage.continuation(texts, n, rules, prose)
            for w in entry.warnings:
                if w.drug_class.pattern.search(said):
                    assert own[w.disclaimer.id].present_in(beside, True), (profile, n, w)
        # no line reads like a merged warning for this supplement's classes
        assert not any(" may interact with " in t and " ask a doctor first about " in t
                       for t in texts)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_every_warning_survives_word_for_word_on_every_network(rules, renderer, entry) -> None:
    _assert_word_for_word(rules, renderer, entry, generator.item_for(entry), SOCIAL)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(ENTRIES).flatmap(lambda e: st.tuples(
           st.just(e), st.sets(st.sampled_from([w.drug_class.name for w in e.warnings])))),
       st.integers(min_value=0, max_value=6), st.sampled_from(SOCIAL))
def test_any_mix_of_classes_and_length_keeps_every_warning(rules, renderer, case, filler,
                                                            profile) -> None:
    entry, only = case
    item = generator.item_for(entry, only=only, filler=filler)
    _assert_word_for_word(rules, renderer, entry, item, [profile])


def test_post_one_leads_with_a_critical_warning_when_the_item_has_one(rules, renderer) -> None:
    entry = next(e for e in ENTRIES if sum(w.disclaimer.critical for w in e.warnings) >= 4)
    item = generator.item_for(entry)
    first = rules.opening(item)[0]
    for profile in ("x", "bluesky"):
        rendering = renderer.render(item, profile)
        assert first.present_in(rendering.texts[0], True)
        assert len(rendering.texts) > 2          # the warnings made more posts, not fewer words
