"""Building the claims guard's learned second opinion (``claims-model.json``).

Build time only: needs scikit-learn (a test dependency). ``scripts/build-claims-model`` writes
the file; ``bench/claims_model.py`` cross-validates the choices by page (group k-fold over the
tuned files, so every figure is measured on pages the fold's model never saw). Only
``tests/guard/corpus/tuned`` is read: the held-out parts are never training or tuning data.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from k2publisher.guard.claims import by_class, scan
from k2publisher.guard.claims_corpus import Labelled, load
from k2publisher.guard.claims_model import MODEL_FILE, features
from k2publisher.guard.lexicon import defined_acronyms

__all__ = ["CLASSES", "OUTPUT", "SETTINGS", "TUNED", "Example", "build", "examples", "fit",
           "render"]

_ROOT = Path(__file__).resolve().parents[4]
TUNED = _ROOT / "tests" / "guard" / "corpus" / "tuned"
OUTPUT = Path(__file__).resolve().parent / MODEL_FILE
#: the model's classes: which corpus labels make a positive example of each
CLASSES = {"disease": ("disease",),
           "therapy": ("therapy:augment", "therapy:substitute", "therapy:adverse")}
#: chosen by bench/claims_model.py's cross-validation by page (see docs/disclaimers.md)
SETTINGS: dict[str, Any] = {"C": 4.0, "min_df": 5, "review": 0.8, "block": 0.95}


@dataclass(frozen=True)
class Example:
    """One corpus sentence as the model sees it: its features, labels, page and rule verdict."""

    row: Labelled
    features: dict[str, float]
    rules: dict[str, str]

    @property
    def page(self) -> str:
        """The file the sentence comes from (the unit of cross-validation)."""
        return self.row.where.split(":")[0]

    def positive(self, kind: str) -> bool:
        """True when the sentence is labelled with a member of ``kind``."""
        return bool(set(CLASSES[kind]) & self.row.labels)


def examples(rows: Sequence[Labelled]) -> list[Example]:
    """``rows`` with their features and the rules' own verdict (no second opinion)."""
    out = []
    for row in rows:
        rules = by_class(scan(row.sentence, context=row.page, before=row.before, learned=False))
        acronyms = defined_acronyms(row.sentence + " " + row.page)
        out.append(Example(row, features(row.sentence, acronyms), rules))
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


def build(folder: Path = TUNED) -> dict[str, Any]:
    """The model file's content, trained on every sentence of ``folder``."""
    train = examples(load(folder))
    classes = {}
    for kind in CLASSES:
        bias, weights = fit(train, kind)
        classes[kind] = {"bias": bias, "threshold": SETTINGS["review"],
                         "block": SETTINGS["block"], "weights": dict(sorted(weights.items()))}
    return {"about": "k2publisher claims guard, learned second opinion; built by "
                     "scripts/build-claims-model, do not edit",
            "trained_on": f"tests/guard/corpus/tuned ({len(train)} sentences)",
            "settings": {"C": SETTINGS["C"], "min_df": SETTINGS["min_df"]},
            "classes": classes}


def render(model: dict[str, Any]) -> str:
    """``model`` as the file's text (stable, so the freshness test can compare)."""
    return json.dumps(model, ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n"
