"""Benchmark: precision and recall of the claims guard per claim class, on the labelled corpus.

Run ``.venv/bin/python bench/claims.py``. For every part of ``tests/guard/corpus`` (see its
README): the tuned part and held-out parts 1-6, which are the learned model's training data
(``claims_train.TRAINING``; never rule-tuning data for held-out 1-6), then the parts held out
from rules and model alike (``claims_train.HELD_OUT``: held-out 7 and any later one present),
each headed with what it is, it prints, per class, recall where it counts -- labelled
sentences whose finding *stops publication* of the claim sent bare, by the guard's own rule
(``guard/claims.py``, ``stops_publication``: a ``block``, or a disease or therapy ``qualify``
that may only go out with its evidence qualifier beside it) -- then the ``block`` findings alone,
recall at any level (a ``review`` or ``qualify`` note included), and precision; then the share
of harmless sentences the guard stops (and blocks outright, and flags at any level). The baseline,
scored in the same run, is the 20 regular-expression sketches of the reference's claims table
(``health-disclaimers.md`` §6), matched without any context;
the last column is the guard's blocking recall over the baseline's. Every figure is printed
twice: for the rules alone and for the rules with the learned second opinion
(``guard/claims_model.py``), which is what the guard runs; then the time per sentence of each.
On a training part the second column is a training figure (the model has seen those
sentences): only the held-out parts, and ``bench/claims_model.py``'s cross-validation by page,
say how the model does on text it never saw.

``--misses`` lists the tuned part's misses and blocked harmless sentences (never another
part's: looking at those would turn them into rule-tuning data).
"""

from __future__ import annotations

import argparse
import os
import re
import time
from pathlib import Path

from k2publisher.guard.claims_corpus import (
    Labelled,
    Score,
    evaluate,
    guard_classes,
    guard_stops,
    load,
    rules_classes,
    rules_stops,
)
from k2publisher.guard.lexicon.claims_train import HELD_OUT, TRAINING

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "guard" / "corpus"
TARGETS = {"disease": 0.95, "therapy": 0.95, "safety": 0.90}
HARMLESS_BLOCKED_MAX = 0.03

# reference §6, rows 1-20, as written there: (class, level, pattern)
_SKETCHES = [
    ("disease", "block", r"\b(cure[sd]?|treats?|prevents?|fights?|heals?)\b.{0,40}\b(cancer|"
                         r"tumou?r|leukemia|lymphoma)\b"),
    ("disease", "block", r"\b(kills?|destroys?|targets?|shrinks?)\b.{0,30}\b(cancer|tumou?r)\s*"
                         r"cells?\b|\bapoptosis\b|\banti-?cancer\b"),
    ("therapy:augment", "block", r"\b(boosts?|enhances?|potentiates?|synerg\w*)\b.{0,30}\b"
                                 r"(chemo\w*|radiother\w*|drug)\b"),
    ("therapy:adverse", "block", r"\b(reduces?|prevents?|eases?)\b.{0,30}\b(side effects?|"
                                 r"toxicity)\b.{0,30}\bchemo"),
    ("therapy:substitute", "block", r"\b(instead of|replace|alternative to)\b.{0,30}\b(chemo\w*|"
                                    r"surgery|medication|warfarin|drugs?)\b"),
    ("disease", "block", r"\b(prevents?|reverses?|treats?)\b.{0,40}\b(osteoporosis|heart disease|"
                         r"arterial calcification|stroke|dementia|alzheimer|diabetes|depression|"
                         r"adhd)"),
    ("disease", "block", r"\b(lowers?|reduces?)\b.{0,20}\b(cholesterol|blood pressure|inr)\b|"
                         r"inhibits platelet aggregation"),
    ("safety", "block", r"\b(safe|no interactions?)\b.{0,30}\b(warfarin|coumadin|blood thinners?|"
                        r"anticoagulants?)\b"),
    ("safety", "block", r"\bno side[- ]effects?\b|\b(100\s?%|completely) safe\b|\bharmless\b"),
    ("certainty", "review", r"\b(clinically|scientifically) (proven|shown)\b|\bstudies (show|"
                            r"prove)\b"),
    ("certainty", "review", r"\b(miracle|breakthrough|secret|magic|guaranteed?|superfood)\b"),
    ("evidence", "qualify", r"\b(promising|preliminary|pilot|emerging)\b"),
    ("evidence", "qualify", r"\bin (vitro|mice|rats)\b|\bcell (line|culture)"),
    ("nootropic", "review", r"\b(nootropic|brain boost\w*|cognitive enhancer)\b"),
    ("certainty", "review", r"\b(doctors?|experts?)[- ](recommend\w*|approved)\b"),
    ("certainty", "block", r"\bfda[- ](approved|cleared|certified)\b"),
    ("fear", "review", r"\b(everyone|most people|you)\b.{0,20}\b(deficient|can'?t get enough)\b"),
    ("dose", "qualify", r"\btake \d+\s?(mcg|µg|mg)\b"),
    ("disease", "block", r"\b(it|this|k2)\b.{0,20}\b(cured|healed)\s+my\b"),
    ("weight", "block", r"\b(lose|burn)\s+\d+\s*(kg|lbs?)\b"),
]
_COMPILED = [(kind, level, re.compile(p, re.IGNORECASE)) for kind, level, p in _SKETCHES]


def baseline(sentence: str, page: str = "", before: str = "") -> dict[str, str]:
    """The reference's sketches, matched with no context: class -> worst level."""
    out: dict[str, str] = {}
    for kind, level, pattern in _COMPILED:
        if pattern.search(sentence) and out.get(kind) != "block":
            out[kind] = level
    return out


#: what each part was for the rules before it became (or stayed) what claims_train says
_HISTORY = {
    "tuned": "the rules were tuned on it",
    "heldout": "written first, never tuned on by the rules",
    "heldout2": "written before wave 2's rule changes, never tuned on by the rules",
    "heldout3": "written before wave 3's rule changes, never tuned on by the rules",
    "heldout4": "written before the safety net, never tuned on by the rules",
    "heldout5": "written before round 4's rule changes, never tuned on by the rules",
    "heldout6": "written after round 4, sealed before any later rule change, never tuned on by "
                "the rules",
    "heldout7": "sealed before any rule change, merged last",
    "heldout8": "sealed before wave 7's rule changes",
    "heldout9": "sealed before wave 7's rule changes, merged last",
    "heldout10": "sealed before any wave-8 change",
    "heldout11": "sealed before any wave-8 change, merged last",
}


def _title(part: str) -> str:
    """The heading of ``part``: what it is for the rules and for the learned model."""
    name = "tuned" if part == "tuned" else f"held-out {part.removeprefix('heldout') or '1'}"
    history = _HISTORY.get(part, "sealed before any rule change")
    if part not in TRAINING:
        return f"{name} ({history}; HELD OUT from rules and model: both columns unseen)"
    seen = "in sample" if part == "tuned" else "unseen by the rules"
    return (f"{name} ({history}; MODEL TRAINING DATA since wave 7: rules alone {seen}, "
            f"rules + model a training figure)")


def _table(name: str, rows: list[Labelled]) -> None:
    """Print one part's figures, the rules alone beside rules + the learned second opinion."""
    start = time.perf_counter()
    for row in rows:  # each sentence scanned once: the corpus module caches the findings
        rules_classes(row.sentence, row.page, row.before)
    mid = time.perf_counter()
    for row in rows:
        guard_classes(row.sentence, row.page, row.before)
    took = (mid - start, time.perf_counter() - mid)
    sides = {"rules": (rules_classes, rules_stops), "guard": (guard_classes, guard_stops)}
    figures = {label: (evaluate(rows, stops, blocking=True),
                       evaluate(rows, classes, blocking=True), evaluate(rows, classes))
               for label, (classes, stops) in sides.items()}
    base, base_harmless = evaluate(rows, baseline, blocking=True)
    claims = sum(1 for r in rows if r.labels)
    harmless_n = figures["rules"][0][1].labelled
    print(f"\n== {name}: {len(rows)} sentences, {claims} with claims, {harmless_n} harmless")
    print(f"{'':<20}{'':>5}{'rules alone':^36}{'rules + learned model':^36}")
    print(f"{'class':<20}{'n':>5}" + f"{'stops':>8}{'blocked':>9}{'any level':>10}{'prec.':>9}" * 2
          + f"{'baseline':>10}{'ratio':>8}{'target':>8}")
    order = ["disease", "therapy", "therapy:augment", "therapy:substitute", "therapy:adverse",
             "safety", "certainty", "nootropic", "fear"]
    known = set(figures["rules"][2][0]) | set(figures["guard"][2][0])
    for cls in order + sorted(known - set(order)):
        cells, labelled = "", 0
        for label in ("rules", "guard"):
            (stops, _), (outright, _), (scores, _) = figures[label]
            score = scores.get(cls, Score())
            labelled = score.labelled
            cells += (f"{stops.get(cls, Score()).recall:>8.1%}"
                      f"{outright.get(cls, Score()).recall:>9.1%}"
                      f"{score.recall:>10.1%}{score.precision:>9.1%}")
        if not labelled:
            continue
        stop = figures["guard"][0][0].get(cls, Score())
        b = base.get(cls, Score())
        ratio = f"{stop.recall / b.recall:.1f}x" if b.recall else "-"
        target = f">={TARGETS[cls]:.0%}" if cls in TARGETS else ""
        print(f"{cls:<20}{labelled:>5}{cells}{b.recall:>10.1%}{ratio:>8}{target:>8}")
    base_blocked = base_harmless.hits / base_harmless.labelled if base_harmless.labelled else 0.0
    for label, title in (("rules", "rules alone"), ("guard", "rules + model")):
        (_, stopped), (_, outright), _ = figures[label]
        n = stopped.labelled or 1
        print(f"harmless, {title:<14} stopped {stopped.hits}/{stopped.labelled} = "
              f"{stopped.hits / n:.1%} (target <={HARMLESS_BLOCKED_MAX:.0%}; baseline "
              f"{base_blocked:.1%}); blocked outright {outright.hits / n:.1%}; flagged at any "
              f"level {stopped.flagged / n:.1%}")
    per = [t / len(rows) * 1000 for t in took]
    print(f"time per sentence: rules {per[0]:.2f} ms, rules + model {per[1]:.2f} ms "
          f"({per[1] / per[0]:.2f}x); load average {os.getloadavg()[0]:.2f}")


def _misses(rows: list[Labelled]) -> None:
    """The rules' misses on ``rows`` (what a rule change would be measured on)."""
    scores, _ = evaluate(rows, rules_classes)
    _, harmless = evaluate(rows, rules_stops, blocking=True)  # harmless sentences they stop
    for cls, score in sorted(scores.items()):
        for row in score.missed:
            print(f"MISS {cls:<18} {row.where}: {row.sentence}")
    for row in harmless.missed:
        print(f"BLOCKED harmless  {row.where}: {row.sentence}")


def main() -> None:
    """Print the figures for every part of the corpus (and the tuned misses on request)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--misses", action="store_true",
                        help="list the tuned part's misses and blocked harmless sentences")
    args = parser.parse_args()
    tuned = load(CORPUS / "tuned")
    if args.misses:
        _misses(tuned)
        return
    for part in (*TRAINING, *HELD_OUT):
        if (CORPUS / part).is_dir():
            _table(_title(part), load(CORPUS / part))

if __name__ == "__main__":
    main()
