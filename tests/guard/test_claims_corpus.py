"""The claims guard measured on the labelled corpus (tests/guard/corpus): floors below the
targets (recall >= 95% disease and therapy, >= 90% absolute safety; <= 3% harmless blocked),
so a regression fails while `bench/claims.py` reports the exact figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from k2publisher.guard.claims import CLASSES
from k2publisher.guard.claims_corpus import Labelled, Score, evaluate, load

CORPUS = Path(__file__).parent / "corpus"
#: class -> the lowest recall a part may show (the targets are 0.95 / 0.95 / 0.90)
FLOORS = {"disease": 0.80, "therapy": 0.75, "safety": 0.85}
HARMLESS_BLOCKED_CEILING = 0.04


Scored = tuple[list[Labelled], dict[str, Score], Score]


@pytest.fixture(scope="module", params=["tuned", "heldout"])
def part(request: pytest.FixtureRequest) -> Scored:
    """One part of the corpus with the guard's scores on it (computed once per part)."""
    rows = load(CORPUS / request.param)
    scores, harmless = evaluate(rows)
    return rows, scores, harmless


def test_the_corpus_holds_every_seed_claim_and_pages_of_other_supplements() -> None:
    rows = load(CORPUS / "tuned") + load(CORPUS / "heldout")
    seed_claims = [r for r in rows if r.where.startswith("seed-") and r.labels]
    assert len(seed_claims) > 100
    others = {r.where.split(":")[0] for r in rows if not r.where.startswith("seed-")}
    assert len(others) >= 10
    assert {label for r in rows for label in r.labels} <= set(CLASSES)
    assert sum(1 for r in rows if not r.labels) > 150


def test_held_out_and_tuned_parts_share_no_sentence() -> None:
    tuned = {r.sentence for r in load(CORPUS / "tuned")}
    held = {r.sentence for r in load(CORPUS / "heldout")}
    assert held and tuned and not tuned & held


@pytest.mark.parametrize("cls", list(FLOORS))
def test_recall_per_class_stays_above_its_floor(part: Scored, cls: str) -> None:
    _, scores, _ = part
    assert scores[cls].labelled >= 10
    assert scores[cls].recall >= FLOORS[cls], [r.sentence for r in scores[cls].missed]


def test_few_harmless_sentences_are_blocked(part: Scored) -> None:
    _, _, harmless = part
    assert harmless.labelled >= 60
    assert harmless.hits / harmless.labelled <= HARMLESS_BLOCKED_CEILING, \
        [r.sentence for r in harmless.missed]


def test_precision_of_the_blocking_classes_is_useful(part: Scored) -> None:
    _, scores, _ = part
    assert all(scores[c].precision >= 0.7 for c in ("disease", "therapy", "safety"))


def test_a_malformed_corpus_line_names_its_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "x.tsv").write_text("disease\tA cure.\nno tab here\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"x\.tsv:2"):
        load(tmp_path)
    (tmp_path / "x.tsv").write_text("diseas\tA cure.\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown label 'diseas'"):
        load(tmp_path)
