"""The claims guard (rules + learned second opinion) measured on the labelled corpus
(tests/guard/corpus): per part, floors a few points below the figures reached (the issue's
targets are recall >= 95% disease and therapy, >= 90% absolute safety, <= 3% harmless
blocked), so a regression fails while
`bench/claims.py` reports the exact figures. The held-out parts are below the targets; their
floors record that honestly rather than pretend otherwise."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from k2publisher.guard.claims import CLASSES
from k2publisher.guard.claims_corpus import Score, evaluate, load

CORPUS = Path(__file__).parent / "corpus"
PARTS = ("tuned", "heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6",
         "heldout7", "heldout8", "heldout9", "heldout10")
#: part -> class -> the lowest recall at any level (a note included) it may show; the guard is
#: the rules plus the learned second opinion (guard/claims_model.py), which reached (disease /
#: therapy / safety): tuned 95.7 / 96.9 / 96.8, held-out 89.1 / 95.7 / 100, held-out 2 88.5 /
#: 100 / 100, held-out 3 83.9 / 83.3 / 100, held-out 4 86.0 / 85.7 / 91.7, held-out 5 74.5 /
#: 76.0 / 81.8 (the rules alone, round 4: tuned 94.1 / 94.9 / 96.8, held-out 89.1 / 95.7 /
#: 100, held-out 2 88.5 / 95.8 / 100, held-out 3 82.1 / 83.3 / 100, held-out 4 82.0 / 81.0 /
#: 91.7, held-out 5 72.7 / 64.0 / 81.8; held-out 5 was written before round 4, before which
#: the guard stood there at 69.1 / 52.0 / 81.8); held-out 6, sealed after round 4 and measured
#: on main before any later rule change, 84.6 / 76.0 / 100 with the rules alone -- its floors
#: are loose, about ten points below, since it is a measure of unseen text rather than a target;
#: held-out 7, sealed before any later rule change and merged last, first measured on main
#: 8a0f6a8 (before the binding qualify and the learned second opinion) at 90.6 / 71.9 / 88.2.
#: After the rulesnext round (therapy and safety by structure; its dev pages then joined tuned/):
#: held-out 3 therapy 91.7, held-out 4 safety 100, held-out 5 safety 90.9, held-out 7 therapy
#: 93.8, held-out 8 safety 83.3 (floors raised there, a few points below).
#: Wave 7 added 24 tuned pages that no rule was written for (corpus README): with them the
#: tuned part stood at 90.6 / 92.6 / 81.7 (92.9 / 95.5 / 83.5 after the first twelve; 90.6 /
#: 94.1 / 83.3 with rulesnext's first step), so its floors moved down with it.
FLOORS = {
    "tuned": {"disease": 0.88, "therapy": 0.90, "safety": 0.79},
    "heldout": {"disease": 0.86, "therapy": 0.91, "safety": 0.90},
    "heldout2": {"disease": 0.84, "therapy": 0.95, "safety": 0.90},
    "heldout3": {"disease": 0.80, "therapy": 0.87, "safety": 0.90},
    "heldout4": {"disease": 0.82, "therapy": 0.81, "safety": 0.95},
    "heldout5": {"disease": 0.70, "therapy": 0.72, "safety": 0.86},
    "heldout6": {"disease": 0.74, "therapy": 0.66, "safety": 0.86},
    "heldout7": {"disease": 0.80, "therapy": 0.85, "safety": 0.78},
    "heldout8": {"disease": 0.68, "therapy": 0.71, "safety": 0.78},
    "heldout9": {"disease": 0.70, "therapy": 0.85, "safety": 0.94},
    "heldout10": {"disease": 0.80, "therapy": 0.88, "safety": 0.84},
}
#: the same where it counts: publication stopped, by the guard's own rule
#: (``claims.stops_publication``, which ``evaluate(blocking=True)`` asks): a block, or a disease
#: or therapy ``qualify`` that binds to its evidence qualifier. Reached when qualify began to
#: bind: tuned 94.1 / 94.9 / 95.2, held-out 89.1 / 95.7 / 100, held-out 2 88.5 / 95.8 / 100,
#: held-out 3 82.1 / 83.3 / 100, held-out 4 82.0 / 81.0 / 91.7, held-out 5 72.7 / 64.0 / 81.8,
#: held-out 6 84.6 / 76.0 / 100 (the rules alone). Before, when only a block counted, disease
#: stood at 79.7 (tuned), 71.7, 78.8, 66.1, 68.0, 54.5 and 69.2. The learned second opinion's
#: blocks raised it: tuned 94.3 / 96.4 / 95.2, held-out 2 therapy 100, held-out 4 86.0 / 85.7,
#: held-out 5 therapy 72.0 (the rest as the rules alone). Held-out 8 at sealing: 70.0 / 73.8 /
#: 77.8. After the rulesnext round: held-out 3 therapy 91.7, held-out 4 safety 100, held-out 5
#: safety 90.9 and therapy 68.0 (72.0 before: the rebuilt second opinion stops one fewer; the
#: rules alone stay at 64.0), held-out 7 therapy 90.6, held-out 8 68.6 / 76.2 / 83.3. Wave 7's
#: 24 tuned pages (no rule written for them) took the tuned part to 86.8 / 83.7
#: / 80.8 (89.2 / 88.6 / 82.4 after the first twelve; 86.8 / 85.8 / 83.3 with rulesnext's first
#: step); trainpages2's 24 pages (acerola to vitamin B5, no rule written for them) to 84.1 /
#: 84.7 / 84.2. Wave 7's model (modelwide: trained on tuned and held-out 1-6, blocking only where
#: out of fold its blocks stopped no harmless sentence: disease and therapy from 0.98) loses
#: the old model's blocks from 0.95: held-out 7 therapy 84.4 (the rules' own), held-out 5 64.0.
BLOCK_FLOORS = {
    "tuned": {"disease": 0.81, "therapy": 0.81, "safety": 0.78},
    "heldout": {"disease": 0.85, "therapy": 0.91, "safety": 0.90},
    "heldout2": {"disease": 0.84, "therapy": 0.95, "safety": 0.90},
    "heldout3": {"disease": 0.78, "therapy": 0.87, "safety": 0.90},
    "heldout4": {"disease": 0.82, "therapy": 0.81, "safety": 0.95},
    "heldout5": {"disease": 0.68, "therapy": 0.64, "safety": 0.86},
    "heldout6": {"disease": 0.74, "therapy": 0.66, "safety": 0.86},
    "heldout7": {"disease": 0.65, "therapy": 0.78, "safety": 0.78},
    "heldout8": {"disease": 0.62, "therapy": 0.70, "safety": 0.78},
    "heldout9": {"disease": 0.56, "therapy": 0.75, "safety": 0.83},
    "heldout10": {"disease": 0.75, "therapy": 0.82, "safety": 0.80},
}
# held-out 10, sealed at the start of wave 8 and measured on main before any wave-8 change:
# stops 80.0 / 86.7 / 84.6, any level 85.3 / 93.3 / 92.3; harmless stopped 6 of 139 (4.3%)
# held-out 9, sealed with held-out 8 and merged last, after every wave-7 change: stops 61.4 /
# 80.0 / 88.9, any level 75.4 / 90.0 / 100 (the guard of 207e411, before wave 7: 59.6 / 82.5 /
# 88.9 and 70.2 / 90.0 / 88.9)
HARMLESS_BLOCKED_CEILING = 0.03
#: the parts above the target, honestly (harmless sentences whose publication the guard
#: stops, binding qualify included; none is tuned on): held-out 1 stops 5 of its 69 (7.2%; 2,
#: 2.9%, when only blocks counted), held-out 4 4 of 121 (3.3%; 2.5% before), held-out 5 8 of 122
#: (6.6%, as before; 11, 9.0%, before round 4), held-out 6 6 of 136 (4.4%, as at sealing),
#: held-out 8 9 of 123 (7.3%, at sealing); tuned 47 of 1268 (3.7%; 14 of 861, 1.6%, before;
#: 41, 3.2%, with rulesnext's first step) since wave 7's 24 tuned pages, whose 407 harmless
#: lookalikes no rule was written for; held-out 9, merged last, 11 of 125 (8.8%; 10, 8.0%,
#: with the guard of 207e411 before wave 7)
HARMLESS_BLOCKED_CEILINGS = {"tuned": 0.05, "heldout": 0.09, "heldout4": 0.05, "heldout5": 0.07,
                             "heldout6": 0.07, "heldout7": 0.07, "heldout8": 0.10,
                             "heldout9": 0.12, "heldout10": 0.07}


Scored = tuple[str, dict[str, Score], Score, dict[str, Score]]


@pytest.fixture(scope="module", params=PARTS)
def part(request: pytest.FixtureRequest) -> Scored:
    """One part of the corpus with the guard's scores on it (computed once per part)."""
    rows = load(CORPUS / request.param)
    scores, _ = evaluate(rows)
    blocked, harmless = evaluate(rows, blocking=True)  # harmless: the ones the guard stops
    return request.param, scores, harmless, blocked


def test_the_corpus_holds_every_seed_claim_and_pages_of_other_supplements() -> None:
    rows = load(CORPUS / "tuned") + load(CORPUS / "heldout")
    seed_claims = [r for r in rows if r.where.startswith("seed-") and r.labels]
    assert len(seed_claims) > 100
    others = {r.where.split(":")[0] for r in rows if not r.where.startswith("seed-")}
    assert len(others) >= 10
    assert {label for r in rows for label in r.labels} <= set(CLASSES)
    assert sum(1 for r in rows if not r.labels) > 150


def test_the_parts_share_no_sentence_and_no_supplement_page() -> None:
    parts = {name: load(CORPUS / name) for name in PARTS}
    sentences = {name: {r.sentence for r in rows} for name, rows in parts.items()}
    pages = {name: {r.where.split(":")[0] for r in rows if not r.where.startswith("seed-")}
             for name, rows in parts.items()}
    for a, b in itertools.combinations(PARTS, 2):
        assert sentences[a] and sentences[b] and not sentences[a] & sentences[b]
        assert not pages[a] & pages[b]


@pytest.mark.parametrize("cls", ["disease", "therapy", "safety"])
def test_recall_per_class_stays_above_its_floor(part: Scored, cls: str) -> None:
    name, scores, _, _ = part
    assert scores[cls].labelled >= 10
    # the held-out parts' misses are not printed: reading them would make them tuning data
    missed = [r.sentence for r in scores[cls].missed] if name == "tuned" else \
        f"{len(scores[cls].missed)} missed"
    recall = scores[cls].recall
    assert recall >= FLOORS[name][cls], missed


@pytest.mark.parametrize("cls", ["disease", "therapy", "safety"])
def test_blocking_recall_per_class_stays_above_its_floor(part: Scored, cls: str) -> None:
    """What stops publication (a block, a qualify bound to its qualifier): the figure that
    counts for "never published unqualified"."""
    name, _, _, blocked = part
    missed = [r.sentence for r in blocked[cls].missed] if name == "tuned" else \
        f"{len(blocked[cls].missed)} not blocked"
    recall = blocked[cls].recall
    assert recall >= BLOCK_FLOORS[name][cls], missed


def test_few_harmless_sentences_are_blocked(part: Scored) -> None:
    name, _, harmless, _ = part
    assert harmless.labelled >= 60
    blocked = [r.sentence for r in harmless.missed] if name == "tuned" else \
        f"{harmless.hits} blocked"
    ceiling = HARMLESS_BLOCKED_CEILINGS.get(name, HARMLESS_BLOCKED_CEILING)
    share = harmless.hits / harmless.labelled  # a plain number: pytest prints no sentence
    assert share <= ceiling, blocked


#: the lowest precision (at any level) of the blocking classes; held-out 1's disease notes are
#: 68.3% precise with the learned second opinion's reviews (74.5% with the rules alone);
#: held-out 6's therapy findings 66.7% (76.0% with the rules alone) after the rulesnext round's
#: therapy phrasings, which raised therapy recall elsewhere (71.4% / 79.2% before)
PRECISION_FLOOR = 0.7
PRECISION_FLOORS = {("heldout", "disease"): 0.65, ("heldout7", "disease"): 0.6,
                    ("heldout6", "therapy"): 0.62, ("heldout8", "disease"): 0.6,
                    ("heldout9", "disease"): 0.55}


@pytest.mark.parametrize("cls", ["disease", "therapy", "safety"])
def test_precision_of_the_blocking_classes_is_useful(part: Scored, cls: str) -> None:
    name, scores, _, _ = part
    precision = scores[cls].precision  # a plain number: pytest prints no held-out sentence
    assert precision >= PRECISION_FLOORS.get((name, cls), PRECISION_FLOOR)


def test_a_malformed_corpus_line_names_its_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "x.tsv").write_text("disease\tA cure.\nno tab here\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"x\.tsv:2"):
        load(tmp_path)
    (tmp_path / "x.tsv").write_text("diseas\tA cure.\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown label 'diseas'"):
        load(tmp_path)
