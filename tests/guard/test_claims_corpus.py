"""The claims guard measured on the labelled corpus (tests/guard/corpus): per part, floors a
few points below the figures reached (the issue's targets are recall >= 95% disease and therapy,
>= 90% absolute safety, <= 3% harmless blocked), so a regression fails while
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
         "heldout7")
#: part -> class -> the lowest recall at any level (a note included) it may show; reached in
#: round 4 (disease / therapy / safety): tuned 94.1 / 94.9 / 96.8, held-out 89.1 / 95.7 / 100,
#: held-out 2 88.5 / 95.8 / 100, held-out 3 82.1 / 83.3 / 100, held-out 4 82.0 / 81.0 / 91.7,
#: held-out 5 72.7 / 64.0 / 81.8 (held-out 5 was written before round 4; before it the guard
#: stood there at 69.1 / 52.0 / 81.8); held-out 6, sealed after round 4 and measured on main
#: before any later rule change, 84.6 / 76.0 / 100 -- its floors are loose, about ten points
#: below, since it is a measure of unseen text rather than a target; held-out 7, sealed before
#: any later rule change and merged last, first measured at 90.6 / 71.9 / 88.2 (floors as loose)
FLOORS = {
    "tuned": {"disease": 0.92, "therapy": 0.92, "safety": 0.93},
    "heldout": {"disease": 0.86, "therapy": 0.91, "safety": 0.90},
    "heldout2": {"disease": 0.84, "therapy": 0.91, "safety": 0.90},
    "heldout3": {"disease": 0.78, "therapy": 0.79, "safety": 0.90},
    "heldout4": {"disease": 0.78, "therapy": 0.76, "safety": 0.87},
    "heldout5": {"disease": 0.68, "therapy": 0.60, "safety": 0.78},
    "heldout6": {"disease": 0.74, "therapy": 0.66, "safety": 0.86},
    "heldout7": {"disease": 0.80, "therapy": 0.62, "safety": 0.78},
}
#: the same where it counts: blocked, i.e. publication stopped (reached: tuned 75.8 / 94.9 /
#: 95.2, held-out 65.2 / 95.7 / 100, held-out 2 73.1 / 95.8 / 100, held-out 3 66.1 / 83.3 / 100,
#: held-out 4 68.0 / 81.0 / 91.7, held-out 5 52.7 / 64.0 / 81.8; held-out 5 before round 4:
#: 49.1 / 52.0 / 81.8; held-out 6 at sealing: 69.2 / 76.0 / 100; held-out 7 at sealing: 75.5 /
#: 71.9 / 88.2). Disease is lower because a
#: disease statement attributed to a study is the grammar's ``qualify``.
BLOCK_FLOORS = {
    "tuned": {"disease": 0.72, "therapy": 0.92, "safety": 0.92},
    "heldout": {"disease": 0.62, "therapy": 0.91, "safety": 0.90},
    "heldout2": {"disease": 0.68, "therapy": 0.91, "safety": 0.90},
    "heldout3": {"disease": 0.62, "therapy": 0.79, "safety": 0.90},
    "heldout4": {"disease": 0.64, "therapy": 0.76, "safety": 0.87},
    "heldout5": {"disease": 0.48, "therapy": 0.60, "safety": 0.78},
    "heldout6": {"disease": 0.59, "therapy": 0.66, "safety": 0.86},
    "heldout7": {"disease": 0.65, "therapy": 0.62, "safety": 0.78},
}
HARMLESS_BLOCKED_CEILING = 0.03
#: the part above the target, honestly: held-out 5 blocks 8 of its 122 harmless sentences
#: (6.6%; 11, 9.0%, before round 4); it is not tuned on. Held-out 6 blocked 6 of its 136
#: (4.4%) when it was sealed, on main after round 4, and held-out 7 4 of its 129 (3.1%); their
#: ceilings are loose
HARMLESS_BLOCKED_CEILINGS = {"heldout5": 0.07, "heldout6": 0.07, "heldout7": 0.07}
PRECISION_FLOOR = 0.7
#: held-out 7's disease precision was 71.6% when it was sealed: its floor is looser
PRECISION_FLOORS = {"heldout7": 0.6}


Scored = tuple[str, dict[str, Score], Score, dict[str, Score]]


@pytest.fixture(scope="module", params=PARTS)
def part(request: pytest.FixtureRequest) -> Scored:
    """One part of the corpus with the guard's scores on it (computed once per part)."""
    rows = load(CORPUS / request.param)
    scores, harmless = evaluate(rows)
    blocked, _ = evaluate(rows, blocking=True)
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
    """Only a block stops publication: the figure that counts for "never published"."""
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


def test_precision_of_the_blocking_classes_is_useful(part: Scored) -> None:
    name, scores, _, _ = part
    floor = PRECISION_FLOORS.get(name, PRECISION_FLOOR)
    assert all(scores[c].precision >= floor for c in ("disease", "therapy", "safety"))


def test_a_malformed_corpus_line_names_its_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "x.tsv").write_text("disease\tA cure.\nno tab here\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"x\.tsv:2"):
        load(tmp_path)
    (tmp_path / "x.tsv").write_text("diseas\tA cure.\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown label 'diseas'"):
        load(tmp_path)
