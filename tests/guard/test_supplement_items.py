"""Items about supplements other than vitamin K2 get their own names and warnings, never K2's.

The items live in ``tests/fixtures/supplements/`` (``tuned/`` was used while writing the
generic rules and the interaction catalogue, ``held_out/`` was not); ``expected.toml`` lists
the catalogue warnings each must get, written from the item's text.
"""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path

import pytest

from k2publisher.content.queue import load_item
from k2publisher.guard.check import check
from k2publisher.guard.disclaimers import DisclaimerRules, prose
from k2publisher.models import Item
from k2publisher.render import coverage
from k2publisher.render.profiles import PROFILES
from k2publisher.render.renderer import Renderer
from k2publisher.settings import DEFAULTS, Settings

FIXTURES = Path(__file__).parents[1] / "fixtures" / "supplements"
EXPECTED = tomllib.loads((FIXTURES / "expected.toml").read_text(encoding="utf-8"))["items"]
K2 = re.compile(r"\bK2\b|vitamin K|\bMK-[47]\b|menaquinone", re.IGNORECASE)


def _items() -> list[tuple[str, Item]]:
    return [(path.relative_to(FIXTURES).parts[0], load_item(path))
            for path in sorted(FIXTURES.glob("*/*/*.md"))]


ITEMS = _items()
IDS = [item.id for _, item in ITEMS]


@pytest.fixture(scope="module")
def rules() -> DisclaimerRules:
    return DisclaimerRules.load()


def test_every_fixture_has_an_expectation_and_both_splits_exist() -> None:
    assert sorted(IDS) == sorted(EXPECTED)
    assert {split for split, _ in ITEMS} == {"tuned", "held_out", "unseen", "unlisted-probe",
                                             "unlisted-sealed"}
    assert all(EXPECTED[item.id]["split"] == split for split, item in ITEMS)


@pytest.mark.parametrize(("split", "item"), ITEMS, ids=IDS)
def test_item_gets_every_warning_its_text_calls_for(rules, split, item) -> None:
    found = {d.id for d in rules.for_item(item)}
    assert set(EXPECTED[item.id]["warnings"]) <= found, split


@pytest.mark.parametrize(("split", "item"), ITEMS, ids=IDS)
def test_no_disclaimer_names_vitamin_k2_or_another_supplement(rules, split, item) -> None:
    for d in rules.for_item(item):
        for text in (d.text, d.short or ""):
            assert not K2.search(text), (d.id, text)
            assert rules.catalogue.names_other(text, item) == [], (d.id, text)
    assert "WARFARIN_VKA" not in {d.id for d in rules.for_item(item)}


@pytest.mark.parametrize(("split", "item"), ITEMS, ids=IDS)
def test_generic_texts_name_the_items_own_supplement(rules, split, item) -> None:
    name = coverage.words(item.supplement or "")
    for d in rules.for_item(item):
        if d.id in ("CONSULT_BEFORE_USE", "ONCOLOGY", "COGNITIVE_NOOTROPIC", "CARDIO_CLAIM"):
            assert coverage.covers(coverage.words(d.text), " ".join(name)), (d.id, d.text)


def test_warfarin_in_a_curcumin_body_gets_the_anticoagulant_warning(rules) -> None:
    item = next(i for _, i in ITEMS if i.id == "curcumin/joints")
    plain = Item(id="curcumin/plain", kind=item.kind, title="Curcumin and joints",
                 summary="Small trials.", body="Curcumin was tested in small knee trials.",
                 supplement="Curcumin")
    assert "INTERACTION_ANTICOAGULANTS" not in {d.id for d in rules.for_item(plain)}
    on_warfarin = Item(**{**plain.__dict__, "body": plain.body + " One reader takes warfarin."})
    warning = next(d for d in rules.for_item(on_warfarin) if d.id == "INTERACTION_ANTICOAGULANTS")
    assert warning.critical and "curcumin" in warning.text.lower()
    # the same body on a magnesium item calls for nothing about blood thinners
    magnesium = Item(**{**on_warfarin.__dict__, "supplement": "Magnesium"})
    assert not any("bleed" in d.text for d in rules.for_item(magnesium))


@pytest.mark.parametrize(("split", "item"), ITEMS, ids=IDS)
def test_every_channel_carries_the_subject_and_every_safety_sentence(tmp_path, rules, split,
                                                                      item) -> None:
    """Every format passes, held-out items too: a post that cannot hold every warning
    becomes a thread (the warnings word for word), never a refusal for lack of room."""
    renderer = Renderer(Settings(data=copy.deepcopy(DEFAULTS), root=tmp_path), rules)
    for profile in PROFILES:
        rendering = renderer.render(item, profile)
        verdict = check(rendering, item, rules, claims_policy="off")
        assert verdict.ok, (split, profile, verdict.problems)
        if rendering.family == "social":
            assert coverage.problems(rendering.texts, item, profile, rules, prose) == []
            assert not [d for d in rendering.extra["dropped"]
                        if rules.catalogue.is_safety(d)], rendering.extra["dropped"]
