"""Benchmark: precision and recall of the claims guard per claim class, on the labelled corpus.

Run ``.venv/bin/python bench/claims.py``. For the tuned part and the seven held-out parts of
``tests/guard/corpus`` (see its README) it prints, per class, recall where it counts -- labelled
sentences the guard *blocks* with that class, since only a block stops publication -- and
beside it recall at any level (a ``review`` or ``qualify`` note included), and precision,
then the share of harmless sentences the guard blocks (and flags at any level). The baseline,
scored in the same run, is the 20 regular-expression sketches of the reference's claims table
(``health-disclaimers.md`` §6), matched without any context;
the last column is the guard's blocking recall over the baseline's.

``--misses`` lists the tuned part's misses and blocked harmless sentences (never the held-out
parts': looking at those would turn them into tuning data).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from k2publisher.guard.claims_corpus import Labelled, Score, evaluate, load

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


def _table(name: str, rows: list[Labelled]) -> None:
    blocked_scores, harmless = evaluate(rows, blocking=True)
    scores, _ = evaluate(rows)
    base, base_harmless = evaluate(rows, baseline, blocking=True)
    claims = sum(1 for r in rows if r.labels)
    print(f"\n== {name}: {len(rows)} sentences, {claims} with claims, {harmless.labelled} harmless")
    print(f"{'class':<20}{'n':>5}{'blocked':>9}{'any level':>11}{'precision':>11}"
          f"{'baseline':>10}{'ratio':>8}{'target':>8}")
    order = ["disease", "therapy", "therapy:augment", "therapy:substitute", "therapy:adverse",
             "safety", "certainty", "nootropic", "fear"]
    for cls in order + sorted(set(scores) - set(order)):
        score = scores.get(cls, Score())
        if not score.labelled:
            continue
        stop = blocked_scores.get(cls, Score())
        b = base.get(cls, Score())
        ratio = f"{stop.recall / b.recall:.1f}x" if b.recall else "-"
        target = f">={TARGETS[cls]:.0%}" if cls in TARGETS else ""
        print(f"{cls:<20}{score.labelled:>5}{stop.recall:>9.1%}{score.recall:>11.1%}"
              f"{score.precision:>11.1%}{b.recall:>10.1%}{ratio:>8}{target:>8}")
    blocked = harmless.hits / harmless.labelled if harmless.labelled else 0.0
    flagged = harmless.flagged / harmless.labelled if harmless.labelled else 0.0
    base_blocked = base_harmless.hits / base_harmless.labelled if base_harmless.labelled else 0.0
    print(f"harmless blocked: {harmless.hits}/{harmless.labelled} = {blocked:.1%} "
          f"(target <={HARMLESS_BLOCKED_MAX:.0%}; baseline {base_blocked:.1%}); "
          f"flagged at any level: {flagged:.1%}")


def _misses(rows: list[Labelled]) -> None:
    scores, harmless = evaluate(rows)
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
    _table("tuned", tuned)
    _table("held-out (never tuned on)", load(CORPUS / "heldout"))
    _table("held-out 2 (written before wave 2's rule changes, never tuned on)",
           load(CORPUS / "heldout2"))
    _table("held-out 3 (written before wave 3's rule changes, never tuned on)",
           load(CORPUS / "heldout3"))
    _table("held-out 4 (written before the safety net, never tuned on)",
           load(CORPUS / "heldout4"))
    _table("held-out 5 (written before round 4's rule changes, never tuned on)",
           load(CORPUS / "heldout5"))
    _table("held-out 6 (written after round 4, sealed before any later rule change, never "
           "tuned on)", load(CORPUS / "heldout6"))
    _table("held-out 7 (sealed before any rule change, merged last, never tuned on)",
           load(CORPUS / "heldout7"))


if __name__ == "__main__":
    main()
