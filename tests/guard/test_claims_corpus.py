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
PARTS = ("tuned", "heldout", "heldout2", "heldout3")
#: part -> class -> the lowest recall it may show (disease / therapy / safety reached at wave 3:
#: tuned 95.4 / 97.8 / 96.0, held-out 89.1 / 87.0 / 100, held-out 2 78.8 / 87.5 / 100,
#: held-out 3 62.5 / 41.7 / 100 -- written before wave 3's rules, where it stood at
#: 55.4 / 25.0 / 100)
FLOORS = {
    "tuned": {"disease": 0.93, "therapy": 0.94, "safety": 0.92},
    "heldout": {"disease": 0.85, "therapy": 0.82, "safety": 0.90},
    "heldout2": {"disease": 0.74, "therapy": 0.82, "safety": 0.90},
    "heldout3": {"disease": 0.58, "therapy": 0.37, "safety": 0.90},
}
HARMLESS_BLOCKED_CEILING = 0.03


Scored = tuple[str, dict[str, Score], Score]


@pytest.fixture(scope="module", params=PARTS)
def part(request: pytest.FixtureRequest) -> Scored:
    """One part of the corpus with the guard's scores on it (computed once per part)."""
    rows = load(CORPUS / request.param)
    scores, harmless = evaluate(rows)
    return request.param, scores, harmless


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
    name, scores, _ = part
    assert scores[cls].labelled >= 10
    # the held-out parts' misses are not printed: reading them would make them tuning data
    missed = [r.sentence for r in scores[cls].missed] if name == "tuned" else \
        f"{len(scores[cls].missed)} missed"
    assert scores[cls].recall >= FLOORS[name][cls], missed


def test_few_harmless_sentences_are_blocked(part: Scored) -> None:
    name, _, harmless = part
    assert harmless.labelled >= 60
    blocked = [r.sentence for r in harmless.missed] if name == "tuned" else \
        f"{harmless.hits} blocked"
    assert harmless.hits / harmless.labelled <= HARMLESS_BLOCKED_CEILING, blocked


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
