"""Benchmark: the claims guard's learned second opinion, cross-validated by page on its
training data.

Run ``.venv/bin/python bench/claims_model.py`` (needs scikit-learn, a test dependency). The
training parts of ``tests/guard/corpus`` (``claims_train.TRAINING``: tuned and held-out 1-6)
are split into folds by page (group k-fold over the pages; the seed pages' halves in ``tuned/``
and ``heldout/`` are one page): each fold's model is trained on the other pages and scores this
fold's sentences, so every model figure is measured on pages its model never saw. The rules
alone are the baseline, scored in the same run: in sample on ``tuned/``, unseen by the rules on
held-out 1-6 (no rule was tuned on them).

For each regularisation ``C`` and ``min_df`` it prints the out-of-fold figures of rules + model
(combined by the guard's own policy, ``claims.learned_level``) at the best block thresholds
per class: the most claims stopped (disease, therapy and safety sentences whose class the guard
stops, summed) with the model's *added* harmless sentences stopped within a budget; then, for
the chosen settings, the table around them. Stopped is the guard's rule
(``claims.stops_publication``, claim sent bare): a block, or a binding disease or therapy
``qualify``. The parts in ``claims_train.HELD_OUT`` are never read here; their figures are in
``bench/claims.py``.
"""

from __future__ import annotations

import argparse
import itertools
import os
from collections.abc import Sequence

from k2publisher.guard.claims import BINDING_KINDS, LEARNED_RULES, get_rule, learned_level
from k2publisher.guard.claims_model import Model
from k2publisher.guard.lexicon.claims_train import (
    CLASSES,
    SETTINGS,
    TRAINING,
    Example,
    examples,
    fit,
    training_rows,
)

FOLDS = 5
#: block thresholds tried per class (2.0: the model never blocks that class)
BLOCKS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.98, 2.0)
#: the class label a learned finding of each model class carries
LABEL = {kind: get_rule(LEARNED_RULES[kind]).kind for kind in CLASSES}


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


def _stops(label: str, level: str) -> bool:
    """Whether a finding of class ``label`` at ``level`` stops publication of the claim sent
    bare (as ``claims.stops_publication`` decides it)."""
    return level == "block" or (level == "qualify" and label in BINDING_KINDS)


def combine(ex: Example, scores: dict[str, float], review: dict[str, float],
            block: dict[str, float]) -> dict[str, str]:
    """The verdict per class of rules + model, by the guard's own policy
    (:func:`k2publisher.guard.claims.learned_level`), with what stops publication as
    ``block``."""
    out = dict(ex.stops)
    flagged = {c.split(":")[0] for c in ex.rules}
    for kind, score in scores.items():
        reached = ("block" if score >= block[kind] else
                   "review" if score >= review[kind] else None)
        level = learned_level(kind, reached, ex.row.sentence, flagged)
        if level:
            out[LABEL[kind]] = "block" if _stops(LABEL[kind], level) else level
    return out


def figures(exs: Sequence[Example], verdicts: Sequence[dict[str, str]]) -> dict[str, float]:
    """Recall stopped / any and precision (any level) per model class, claims stopped over
    all three, and harmless stopped / flagged, as shares."""
    out: dict[str, float] = {}
    stopped = total = 0
    for kind in CLASSES:
        pos = [v for ex, v in zip(exs, verdicts, strict=True) if ex.positive(kind)]
        hit = [[lvl for c, lvl in v.items() if c.split(":")[0] == kind] for v in pos]
        stopped += sum("block" in h for h in hit)
        total += len(pos)
        out[f"{kind} stopped"] = sum("block" in h for h in hit) / len(pos)
        out[f"{kind} any"] = sum(bool(h) for h in hit) / len(pos)
        flagged = [(ex, v) for ex, v in zip(exs, verdicts, strict=True)
                   if any(c.split(":")[0] == kind for c in v)]
        out[f"{kind} precision"] = (sum(ex.positive(kind) for ex, _ in flagged) / len(flagged)
                                    if flagged else 1.0)
    out["claims stopped"] = stopped / total
    harmless = [v for ex, v in zip(exs, verdicts, strict=True) if not ex.row.labels]
    out["harmless stopped"] = sum("block" in v.values() for v in harmless) / len(harmless)
    out["harmless flagged"] = sum(bool(v) for v in harmless) / len(harmless)
    return out


_COLUMNS = (("dis stop", "disease stopped"), ("dis any", "disease any"),
            ("dis prec", "disease precision"), ("ther stop", "therapy stopped"),
            ("ther any", "therapy any"), ("ther prec", "therapy precision"),
            ("saf stop", "safety stopped"), ("saf any", "safety any"),
            ("saf prec", "safety precision"), ("claims", "claims stopped"),
            ("harm stop", "harmless stopped"), ("harm flag", "harmless flagged"))


def _header() -> str:
    return f"{'':<40}" + "".join(f"{h:>10}" for h, _ in _COLUMNS)


def _row(name: str, fig: dict[str, float]) -> str:
    return f"{name:<40}" + "".join(f"{fig[k]:>10.1%}" for _, k in _COLUMNS)


def best_blocks(exs: Sequence[Example], scores: Sequence[dict[str, float]],
                budget: float) -> tuple[dict[str, float], int, int]:
    """The block thresholds per class (from :data:`BLOCKS`) that stop the most claims while
    the model's own blocks stop at most ``budget`` of the harmless sentences: (thresholds,
    claims stopped, harmless stopped by the rules and model). Ties go to fewer harmless
    stopped, then to higher thresholds."""
    kinds = list(CLASSES)
    harmless_n = sum(1 for ex in exs if not ex.row.labels)
    # per example: the classes the rules stop, its positive classes, and the (class, score)
    # pairs whose model block would stop it by the guard's policy
    rows = []
    for ex, sc in zip(exs, scores, strict=True):
        flagged = {c.split(":")[0] for c in ex.rules}
        levels = {k: learned_level(k, "block", ex.row.sentence, flagged) for k in kinds}
        rows.append(({c.split(":")[0] for c, lvl in ex.stops.items() if lvl == "block"},
                     {k for k in kinds if ex.positive(k)}, bool(ex.row.labels),
                     [(k, sc[k]) for k, lvl in levels.items() if lvl and _stops(LABEL[k], lvl)]))
    best: tuple[tuple[int, int, tuple[float, ...]], dict[str, float]] | None = None
    for combo in itertools.product(BLOCKS, repeat=len(kinds)):
        block = dict(zip(kinds, combo, strict=True))
        claims = added = harmless = 0
        for rules, positive, claim, eligible in rows:
            model = {k for k, score in eligible if score >= block[k]}
            if claim:
                claims += len(positive & (rules | model))
            else:
                harmless += bool(rules or model)
                added += bool(model and not rules)
        if added > budget * harmless_n:
            continue
        key = (claims, -harmless, combo)
        if best is None or key > best[0]:
            best = (key, block)
    assert best is not None  # 2.0 everywhere adds nothing
    return best[1], best[0][0], -best[0][1]


def main() -> None:
    """Print the cross-validated grid."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--c", type=float, nargs="*", default=[1.0, 2.0, 4.0, 8.0, 16.0])
    parser.add_argument("--min-df", type=int, nargs="*", default=[2, 3, 5])
    parser.add_argument("--budget", type=float, default=0.0,
                        help="the share of harmless sentences the model's own blocks may stop")
    parser.add_argument("--drop", nargs="*", default=[],
                        help="feature prefixes to leave out (w b c has sig), to compare")
    args = parser.parse_args()
    exs = examples(training_rows())
    if args.drop:
        drop = tuple(f"{p}:" for p in args.drop)
        exs = [Example(e.row, {f: v for f, v in e.features.items() if not f.startswith(drop)},
                       e.rules, e.stops) for e in exs]
    harmless_n = sum(1 for e in exs if not e.row.labels)
    print(f"training parts {', '.join(TRAINING)}: {len(exs)} sentences ({harmless_n} harmless), "
          f"{len({e.page for e in exs})} pages, {FOLDS} folds by page; model's harmless budget "
          f"{args.budget:.1%}; load average {os.getloadavg()[0]:.2f}")
    print(_header())
    print(_row("rules alone", figures(exs, [e.stops for e in exs])))
    review = SETTINGS["review"]
    chosen = None
    for c, min_df in itertools.product(args.c, args.min_df):
        scores = out_of_fold(exs, c, min_df)
        if c == SETTINGS["C"] and min_df == SETTINGS["min_df"]:
            chosen = scores
        block, _, _ = best_blocks(exs, scores, args.budget)
        verdicts = [combine(e, s, review, block) for e, s in zip(exs, scores, strict=True)]
        label = f"C={c:g} df={min_df} " + "/".join(
            f"{b:g}" if b <= 1 else "-" for b in block.values())
        print(_row(label, figures(exs, verdicts)))
    if chosen is None:
        return
    print(f"\nchosen C={SETTINGS['C']:g} min_df={SETTINGS['min_df']}, review "
          f"{SETTINGS['review']}: block thresholds (disease/therapy/safety)")
    print(_header())
    for budget in (0.0, 0.0025, 0.005, 0.01, 0.02):
        block, _, _ = best_blocks(exs, chosen, budget)
        verdicts = [combine(e, s, review, block) for e, s in zip(exs, chosen, strict=True)]
        label = f"budget {budget:.2%}: " + "/".join(
            f"{b:g}" if b <= 1 else "-" for b in block.values())
        print(_row(label, figures(exs, verdicts)))
    shipped = {k: 2.0 if v is None else v for k, v in SETTINGS["block"].items()}
    verdicts = [combine(e, s, review, shipped) for e, s in zip(exs, chosen, strict=True)]
    print(_row("shipped: " + "/".join(f"{b:g}" if b <= 1 else "-" for b in shipped.values()),
               figures(exs, verdicts)))
    for t in (0.5, 0.8, 0.95):
        alone = [{LABEL[k]: "block" for k, v in sc.items() if v >= t} for sc in chosen]
        print(_row(f"model alone >={t}", figures(exs, alone)))


if __name__ == "__main__":
    main()
