"""Benchmark: the claims guard's learned second opinion, cross-validated by page on tuned/.

Run ``.venv/bin/python bench/claims_model.py`` (needs scikit-learn, a test dependency). The
tuned part of ``tests/guard/corpus`` is split into folds by page (group k-fold over its files):
each fold's model is trained on the other pages and scores this fold's sentences, so every
figure is measured on pages its model never saw -- the nearest the tuned part gets to
held-out text. For a grid of settings (regularisation ``C``, threshold) it prints, per class,
recall blocked / at any level of the rules alone (the baseline, same run) and of rules + model,
and the harmless sentences blocked and flagged. The held-out parts are never read here; their
figures, rules alone vs rules + model, are in ``bench/claims.py``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from k2publisher.guard.claims import learned_level
from k2publisher.guard.claims_corpus import load
from k2publisher.guard.claims_model import Model
from k2publisher.guard.lexicon.claims_train import CLASSES, SETTINGS, TUNED, Example, examples, fit

FOLDS = 5


def _folds(exs: Sequence[Example], k: int = FOLDS) -> list[list[int]]:
    """Indices of ``exs`` in ``k`` folds of whole pages, balanced by size (deterministic)."""
    pages: dict[str, list[int]] = {}
    for i, ex in enumerate(exs):
        pages.setdefault(ex.page, []).append(i)
    folds: list[list[int]] = [[] for _ in range(k)]
    for _, idx in sorted(pages.items(), key=lambda p: (-len(p[1]), p[0])):
        min(folds, key=len).extend(idx)
    return folds


def out_of_fold(exs: Sequence[Example], c: float, min_df: int) -> list[dict[str, float]]:
    """Each example's scores per class from the model of the folds it is not in."""
    scores: list[dict[str, float]] = [{} for _ in exs]
    for fold in _folds(exs):
        held = set(fold)
        train = [ex for i, ex in enumerate(exs) if i not in held]
        spec = {}
        for kind in CLASSES:
            bias, weights = fit(train, kind, c, min_df)
            spec[kind] = {"bias": bias, "threshold": 0.5, "weights": weights}
        model = Model(spec)
        for i in fold:
            for op in model.opinion(exs[i].features):
                scores[i][op.kind] = op.score
    return scores


def combine(ex: Example, scores: dict[str, float], review: float,
            block: float) -> dict[str, str]:
    """The verdict per class of rules + model, by the guard's own policy
    (:func:`k2publisher.guard.claims.learned_level`)."""
    out = dict(ex.rules)
    flagged = {c.split(":")[0] for c in ex.rules}
    for kind, score in scores.items():
        reached = "block" if score >= block else "review" if score >= review else None
        level = learned_level(kind, reached, ex.row.sentence, flagged)
        if level:
            out[kind if kind == "disease" else "therapy:augment"] = level
    return out


def figures(exs: Sequence[Example], verdicts: Sequence[dict[str, str]]) -> dict[str, float]:
    """Recall blocked / any per model class, and harmless blocked / flagged, as shares."""
    out: dict[str, float] = {}
    for kind in CLASSES:
        pos = [v for ex, v in zip(exs, verdicts, strict=True) if ex.positive(kind)]
        hit = [[lvl for c, lvl in v.items() if c.split(":")[0] == kind] for v in pos]
        out[f"{kind} blocked"] = sum("block" in h for h in hit) / len(pos)
        out[f"{kind} any"] = sum(bool(h) for h in hit) / len(pos)
        flagged = [(ex, v) for ex, v in zip(exs, verdicts, strict=True)
                   if any(c.split(":")[0] == kind for c in v)]
        out[f"{kind} precision"] = (sum(ex.positive(kind) for ex, _ in flagged) / len(flagged)
                                    if flagged else 1.0)
    harmless = [v for ex, v in zip(exs, verdicts, strict=True) if not ex.row.labels]
    out["harmless blocked"] = sum("block" in v.values() for v in harmless) / len(harmless)
    out["harmless flagged"] = sum(bool(v) for v in harmless) / len(harmless)
    return out


def _row(name: str, fig: dict[str, float]) -> str:
    return (f"{name:<28}" + "".join(f"{fig[k]:>10.1%}" for k in (
        "disease blocked", "disease any", "disease precision", "therapy blocked", "therapy any",
        "therapy precision", "harmless blocked", "harmless flagged")))


def main() -> None:
    """Print the cross-validated grid."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--c", type=float, nargs="*", default=[1.0, 4.0, 16.0])
    parser.add_argument("--min-df", type=int, default=SETTINGS["min_df"])
    parser.add_argument("--drop", nargs="*", default=[],
                        help="feature prefixes to leave out (w b c p has sig), to compare")
    args = parser.parse_args()
    exs = examples(load(TUNED))
    if args.drop:
        drop = tuple(f"{p}:" for p in args.drop)
        exs = [Example(e.row, {f: v for f, v in e.features.items() if not f.startswith(drop)},
                       e.rules) for e in exs]
    print(f"tuned: {len(exs)} sentences, {len({e.page for e in exs})} pages, {FOLDS} folds "
          f"by page; load average {os.getloadavg()[0]:.2f}")
    print(f"{'':<28}" + "".join(f"{h:>10}" for h in (
        "dis blk", "dis any", "dis prec", "ther blk", "ther any", "ther prec", "harm blk",
        "harm flag")))
    rules = [ex.rules for ex in exs]
    print(_row("rules alone", figures(exs, rules)))
    for c in args.c:
        scores = out_of_fold(exs, c, args.min_df)
        for t in (0.5, 0.7, 0.8, 0.9, 0.95):
            alone = [{("disease" if k == "disease" else "therapy:augment"): "block"
                      for k, v in sc.items() if v >= t} for sc in scores]
            print(_row(f"C={c:g} model alone >={t}", figures(exs, alone)))
        for review in (0.5, 0.6, 0.7, 0.8, 0.9):
            for block in (0.9, 0.95, 0.98, 2.0):
                if block <= review:
                    continue
                verdicts = [combine(ex, s, review, block)
                            for ex, s in zip(exs, scores, strict=True)]
                label = f"C={c:g} review>={review} block>={block if block <= 1 else '-'}"
                print(_row(label, figures(exs, verdicts)))


if __name__ == "__main__":
    main()
