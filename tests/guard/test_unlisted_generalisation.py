"""Disclaimers and interaction notes on supplements nobody wrote a rule for.

None of the twelve supplements below is in ``config/interactions.toml`` and no rule, lexicon
entry or fixture names them; their items were written only for their names. Each body names
a drug or condition the catalogue has a class for. What must hold, by design:

* every disclaimer an item gets (and every rendered text) names only the item's own
  supplement: never vitamin K2, never another catalogue supplement, never another item's;
* each class its text names gives an "ask first" note (``CHECK_<CLASS>``) naming the item's
  supplement, and no catalogue warning (those are checked texts about one supplement);
* ``doctor`` flags a disclaimer rule text that names another supplement.

The first three groups of tests were written before reading the code that makes them pass.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from k2publisher.guard.check import check
from k2publisher.guard.disclaimers import DisclaimerRules
from k2publisher.models import Item, Kind
from k2publisher.render.profiles import PROFILES
from k2publisher.render.renderer import Renderer
from k2publisher.scaffold import scaffold
from k2publisher.settings import DEFAULTS, Settings

K2 = re.compile(r"\bK2\b|vitamin K|\bMK-[47]\b|menaquinone", re.IGNORECASE)

# supplement -> (body, classes the body names)
CASES: dict[str, tuple[str, set[str]]] = {
    "Sea grape extract": (
        "A reader who takes warfarin asked whether sea grape extract is worth trying. "
        "Nobody has tested it in people.", {"anticoagulants"}),
    "Jabuticaba": (
        "Jabuticaba peel powder was given to twelve adults for four weeks. One of them "
        "injects insulin and asked what to watch for.", {"antidiabetics"}),
    "Baobab fruit powder": (
        "Baobab fruit powder is sold as a breakfast additive. A reader on sertraline asked "
        "about it.", {"serotonergic"}),
    "Sacha inchi oil": (
        "Sacha inchi oil is pressed from the seeds of a vine. A reader who takes "
        "levothyroxine every morning asked when to take it.", {"thyroid"}),
    "Camu camu": (
        "Camu camu is a sour berry from river banks. A kidney transplant patient on "
        "tacrolimus wrote to ask about it.", {"immunosuppressants"}),
    "Tiger nut flour": (
        "Tiger nut flour is made from a tuber. Readers asked whether it is fine during "
        "pregnancy.", {"pregnancy"}),
    "Lucuma": (
        "Lucuma powder is a sweet fruit flour. One reader has surgery planned next month "
        "and asked about it.", {"surgery"}),
    "Maqui berry": (
        "Maqui berry powder is sold for smoothies. Parents asked whether it can be given to "
        "children.", {"children"}),
    "Cupuacu butter": (
        "Cupuacu butter comes from a cocoa relative. A reader on warfarin and insulin asked "
        "about it.", {"anticoagulants", "antidiabetics"}),
    "Sea buckthorn oil": (
        "Sea buckthorn oil is pressed from orange berries. A reader who is pregnant and "
        "takes levothyroxine asked about it.", {"pregnancy", "thyroid"}),
    "Mangosteen rind": (
        "Mangosteen rind extract is sold in capsules. A reader on sertraline with surgery "
        "planned asked about it.", {"serotonergic", "surgery"}),
    "Soursop leaf tea": (
        "Soursop leaf tea is brewed from dried leaves. A reader on tacrolimus asked if "
        "their children can drink it.", {"immunosuppressants", "children"}),
}
NAMES = tuple(CASES)


def make(supplement: str) -> Item:
    """An item about ``supplement`` whose summary and body are its case's text."""
    body, _ = CASES[supplement]
    slug = re.sub(r"[^a-z]+", "-", supplement.lower()).strip("-")
    return Item(id=f"unlisted/{slug}", kind=Kind.SUPPLEMENT_SECTION,
                title=f"{supplement}: what readers asked", summary=body.split(". ")[0] + ".",
                body=body, supplement=supplement)


def others(supplement: str) -> list[str]:
    """The other cases' supplement names."""
    return [name for name in NAMES if name != supplement]


@pytest.fixture(scope="module")
def rules() -> DisclaimerRules:
    return DisclaimerRules.load()


def test_none_of_the_cases_is_in_the_catalogue(rules) -> None:
    for name in NAMES:
        assert rules.catalogue.is_unlisted(make(name)), name


@pytest.mark.parametrize("supplement", NAMES)
def test_every_disclaimer_names_only_the_items_own_supplement(rules, supplement) -> None:
    item = make(supplement)
    found = rules.for_item(item)
    assert found, supplement
    for d in found:
        for text in (d.text, d.short or ""):
            assert not K2.search(text), (d.id, text)
            assert rules.catalogue.names_other(text, item) == [], (d.id, text)
            for other in others(supplement):
                assert other.lower() not in text.lower(), (d.id, other, text)


@pytest.mark.parametrize("supplement", NAMES)
def test_each_class_the_body_names_gives_its_ask_first_note(rules, supplement) -> None:
    item = make(supplement)
    _, classes = CASES[supplement]
    found = {d.id: d for d in rules.for_item(item)}
    for cls in classes:
        note = found.get(f"CHECK_{cls.upper()}")
        assert note is not None, (cls, sorted(found))
        assert supplement.lower() in note.text.lower(), note.text
        assert supplement.lower() in (note.short or "").lower(), note.short
    assert not any(i.startswith(("INTERACTION_", "CAUTION_", "WARFARIN")) for i in found)


@pytest.mark.parametrize("supplement", NAMES)
def test_a_class_the_body_does_not_name_gives_no_note(rules, supplement) -> None:
    item = make(supplement)
    _, classes = CASES[supplement]
    notes = {d.id for d in rules.for_item(item) if d.id.startswith("CHECK_")}
    assert notes == {f"CHECK_{cls.upper()}" for cls in classes}


@pytest.mark.parametrize("supplement", NAMES)
def test_every_rendering_passes_and_names_no_other_supplement(tmp_path, rules,
                                                              supplement) -> None:
    item = make(supplement)
    renderer = Renderer(Settings(data=copy.deepcopy(DEFAULTS), root=tmp_path), rules)
    notes = {d.id: d for d in rules.for_item(item) if d.id.startswith("CHECK_")}
    for profile in PROFILES:
        rendering = renderer.render(item, profile)
        verdict = check(rendering, item, rules, claims_policy="off")
        assert verdict.ok, (profile, verdict.problems)
        whole = "\n".join(rendering.texts).replace("K2 Notes", "")  # the site's name
        assert not K2.search(whole), (profile, whole)
        assert rules.catalogue.names_other(whole, item) == [], (profile, whole)
        for other in others(supplement):
            assert other.lower() not in whole.lower(), (profile, other)
        # long formats carry every note (posts carry one only where they name its class)
        if rendering.family == "social":
            continue
        whole = " ".join(whole.split())
        for note in notes.values():
            assert note.text in whole or (note.short or "\0") in whole, (profile, note.id)


# -- doctor ------------------------------------------------------------------------------

def _queue(site: Path, supplement: str) -> str:
    item = make(supplement)
    path = site / "queue" / item.id.split("/")[0] / (item.id.split("/")[1] + ".md")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\nid: {item.id}\nkind: supplement_section\nsupplement: {supplement}\n"
                    f"title: \"{item.title}\"\nsummary: \"{item.summary}\"\nstatus: draft\n"
                    f"---\n\n{item.body}\n", encoding="utf-8")
    return item.id


def _doctor_line(out: str, name: str) -> str:
    for line in out.splitlines():
        if line[6:].split(":", 1)[0] == name:
            return line
    raise AssertionError(f"no {name!r} line in:\n{out}")


def test_doctor_flags_a_rule_text_naming_a_catalogue_supplement_on_an_unlisted_item(
        run_cli, tmp_path) -> None:
    site = tmp_path / "site"
    scaffold(site)
    item_id = _queue(site, "Jabuticaba")
    rules = site / "config" / "disclaimers.toml"
    text = rules.read_text(encoding="utf-8")
    rules.write_text(text.replace("before starting {forms}", "before starting curcumin"),
                     encoding="utf-8")

    code, out, _ = run_cli("doctor", cwd=site)

    line = _doctor_line(out, "disclaimers")
    assert code == 1 and line.startswith("FAIL"), out
    assert "CONSULT_BEFORE_USE" in line and "'curcumin'" in line and item_id in line


@pytest.mark.xfail(strict=True, reason="gap: doctor knows only catalogue names, not the "
                   "queue's uncatalogued supplements")
def test_doctor_flags_a_rule_text_naming_another_queued_unlisted_supplement(
        run_cli, tmp_path) -> None:
    """A rule text hard-coding one uncatalogued supplement's name ('lucuma') is wrong on
    every item about another one: doctor knows the names from the queue's items."""
    site = tmp_path / "site"
    scaffold(site)
    _queue(site, "Lucuma")
    other = _queue(site, "Maqui berry")
    rules = site / "config" / "disclaimers.toml"
    text = rules.read_text(encoding="utf-8")
    rules.write_text(text.replace("before starting {forms}", "before starting lucuma"),
                     encoding="utf-8")

    code, out, _ = run_cli("doctor", cwd=site)

    line = _doctor_line(out, "disclaimers")
    assert code == 1 and line.startswith("FAIL"), out
    assert "CONSULT_BEFORE_USE" in line and "'lucuma'" in line.lower() and other in line
