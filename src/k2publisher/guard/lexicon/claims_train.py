"""Building the claims guard's learned second opinion (``claims-model.json``).

Build time only: needs scikit-learn (a test dependency). ``scripts/build-claims-model`` writes
the file; ``bench/claims_model.py`` cross-validates the choices by page (group k-fold over the
pages of :data:`TRAINING`, so every figure is measured on pages the fold's model never saw).

The training data is one declared list, :data:`TRAINING`: the tuned part and held-out parts 1-6,
which were measured and reported as held out in earlier waves and became *model* training data
in wave 7 (never rule-tuning data: their misses are not listed or read). The parts in
:data:`HELD_OUT` (held-out 7 and any later one) are read by nothing here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from k2publisher.guard.claims_corpus import Labelled, load, rules_classes, rules_stops
from k2publisher.guard.claims_model import MODEL_FILE, features
from k2publisher.guard.lexicon import defined_acronyms

__all__ = ["CLASSES", "CORPUS", "HELD_OUT", "OUTPUT", "SETTINGS", "TRAINING", "Example",
           "build", "examples", "fit", "render", "training_rows"]

_ROOT = Path(__file__).resolve().parents[4]
CORPUS = _ROOT / "tests" / "guard" / "corpus"
#: the model's training data, in this order: parts of ``tests/guard/corpus``
TRAINING = ("tuned", "heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6")
#: the parts that stay held out for everything (rules and model); read by nothing here
HELD_OUT = ("heldout7", "heldout8", "heldout9", "heldout10", "heldout11")
OUTPUT = Path(__file__).resolve().parent / MODEL_FILE
#: the model's classes: which corpus labels make a positive example of each (the keys are
#: those of :data:`k2publisher.guard.claims.LEARNED_RULES`)
CLASSES = {"disease": ("disease",),
           "therapy": ("therapy:augment", "therapy:substitute", "therapy:adverse"),
           "safety": ("safety",)}
#: chosen by bench/claims_model.py's cross-validation by page (see docs/disclaimers.md):
#: regularisation, the fewest sentences a feature must occur in, and per class the scores
#: from which the model adds a review and a block (None: it never blocks that class)
SETTINGS: dict[str, Any] = {
    "C": 4.0, "min_df": 5,
    "review": {"disease": 0.8, "therapy": 0.8, "safety": 0.8},
    "block": {"disease": 0.98, "therapy": 0.98, "safety": None},
}


@dataclass(frozen=True)
class Example:
    """One corpus sentence as the model sees it: its features, labels, page and the rules'
    verdict (``rules``: class -> worst level; ``stops``: the same with every finding that stops
    publication of the sentence sent bare as ``block``, by ``claims.stops_publication``)."""

    row: Labelled
    features: dict[str, float]
    rules: dict[str, str]
    stops: dict[str, str]

    @property
    def page(self) -> str:
        """The page the sentence comes from: its file name, the unit of cross-validation (the
        seed pages were split between ``tuned/`` and ``heldout/`` by sentence, so their two
        halves, which share a file name, are one page)."""
        return self.row.where.split(":")[0]

    def positive(self, kind: str) -> bool:
        """True when the sentence is labelled with a member of ``kind``."""
        return bool(set(CLASSES[kind]) & self.row.labels)


def examples(rows: Sequence[Labelled]) -> list[Example]:
    """``rows`` with their features and the rules' own verdict (no second opinion)."""
    out = []
    for row in rows:
        acronyms = defined_acronyms(row.sentence + " " + row.page)
        out.append(Example(row, features(row.sentence, acronyms),
                           rules_classes(row.sentence, row.page, row.before),
                           rules_stops(row.sentence, row.page, row.before)))
    return out


def fit(train: Sequence[Example], kind: str, c: float = SETTINGS["C"],
        min_df: int = SETTINGS["min_df"]) -> tuple[float, dict[str, float]]:
    """A logistic regression for ``kind`` on ``train``: (bias, feature -> weight), keeping
    features seen in at least ``min_df`` sentences."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    counts: dict[str, int] = {}
    for ex in train:
        for f in ex.features:
            counts[f] = counts.get(f, 0) + 1
    vocab = {f: i for i, f in enumerate(sorted(f for f, n in counts.items() if n >= min_df))}
    data, cols, indptr = [], [], [0]
    for ex in train:
        for f, v in ex.features.items():
            if f in vocab:
                cols.append(vocab[f])
                data.append(v)
        indptr.append(len(cols))
    matrix = csr_matrix((data, cols, indptr), shape=(len(train), len(vocab)))
    labels = [int(ex.positive(kind)) for ex in train]
    model = LogisticRegression(C=c, solver="liblinear", class_weight="balanced",
                               max_iter=1000, random_state=0)
    model.fit(matrix, labels)
    names = sorted(vocab, key=vocab.get)  # type: ignore[arg-type]
    weights = {f: round(float(w), 3) for f, w in zip(names, model.coef_[0], strict=True)
               if abs(w) >= 5e-3}
    return round(float(model.intercept_[0]), 3), weights


def training_rows(parts: Sequence[str] = TRAINING) -> list[Labelled]:
    """Every sentence of the corpus ``parts`` (default :data:`TRAINING`); refuses a part of
    :data:`HELD_OUT`."""
    held = set(parts) & set(HELD_OUT)
    if held:
        raise ValueError(f"{sorted(held)[0]} is held out: never training data")
    return [row for part in parts for row in load(CORPUS / part)]


def build(parts: Sequence[str] = TRAINING) -> dict[str, Any]:
    """The model file's content, trained on every sentence of the corpus ``parts``."""
    train = examples(training_rows(parts))
    classes = {}
    for kind in CLASSES:
        bias, weights = fit(train, kind)
        classes[kind] = {"bias": bias, "threshold": SETTINGS["review"][kind],
                         "block": SETTINGS["block"][kind], "weights": dict(sorted(weights.items()))}
    return {"about": "k2publisher claims guard, learned second opinion; built by "
                     "scripts/build-claims-model, do not edit",
            "trained_on": f"tests/guard/corpus/{{{','.join(parts)}}} ({len(train)} sentences)",
            "settings": {"C": SETTINGS["C"], "min_df": SETTINGS["min_df"]},
            "classes": classes}


def render(model: dict[str, Any]) -> str:
    """``model`` as the file's text (stable, so the freshness test can compare)."""
    return json.dumps(model, ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n"
