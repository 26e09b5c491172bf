"""Benchmark: the importer on unseen pages, tuned vs held-out.

Run ``python bench/importer.py [--pages DIR] [--only tuned|held-out] [--details]``. Each
page in ``tests/content/pages/`` carries an expectation file (see
:mod:`k2publisher.content.importers.evaluation`); the script imports every page and prints,
per page and per group (pages used while writing the rules vs pages held out), the
done-criteria of issue 12: expected sections found with their content, chrome left in
items, legitimate names changed, share of glued citation digits cleaned (the rest must be
flagged with the token named), false "unclear" notes, items made of chrome; and, for
information, how many cleaned tokens gave their item the right reference numbers. It also times
the import against a baseline measured in the same run (splitting the same pages into
blocks only), and exits 1 when a page misses a criterion.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from k2publisher.content.importers.evaluation import (
    PageScore,
    cleaned_share,
    evaluate,
    load_page,
    pages,
)
from k2publisher.content.importers.text import parse_blocks

PAGES = Path(__file__).resolve().parent.parent / "tests" / "content" / "pages"
COLUMNS = ("page", "sections", "stripped_blocks", "chrome_left", "names_changed",
           "damaged_tokens", "glued_digits", "cleaned_share", "numbers_right", "flagged",
           "unflagged",
           "false_unclear", "unexpected_items")


def _row(values: list[str]) -> str:
    return "  ".join(f"{v:>{max(len(c), 8)}}" if n else f"{v:<16}"
                     for n, (c, v) in enumerate(zip(COLUMNS, values, strict=True)))


def _total(label: str, scores: list[PageScore]) -> list[str]:
    glued = sum(s.glued_digits for s in scores)
    cleaned = sum(s.cleaned_digits for s in scores)
    found = sum(s.sections_expected - len(s.sections_missing) for s in scores)
    return [label, f"{found}/{sum(s.sections_expected for s in scores)}",
            str(sum(len(s.report.notes.stripped) for s in scores)),
            str(sum(len(s.chrome_left) for s in scores)),
            str(sum(len(s.names_changed) for s in scores)),
            str(sum(len(s.damaged_tokens) for s in scores)), str(glued),
            f"{cleaned / glued if glued else 1:.4f}",
            f"{sum(s.numbers_right for s in scores)}/{sum(s.cleaned_tokens for s in scores)}",
            str(sum(len(s.flagged) for s in scores)),
            str(sum(len(s.unflagged) for s in scores)),
            str(max((len(s.false_unclear) for s in scores), default=0)) + " max",
            str(sum(len(s.unexpected_items) for s in scores))]


def main(argv: list[str] | None = None) -> int:
    """Print the figures; return 1 when any page misses a done-criterion."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, default=PAGES)
    parser.add_argument("--only", choices=("tuned", "held-out"))
    parser.add_argument("--details", action="store_true", help="list every problem")
    args = parser.parse_args(argv)
    paths = pages(args.pages)
    start = time.perf_counter()
    scores = [evaluate(p) for p in paths]
    import_time = time.perf_counter() - start
    if args.only:
        scores = [s for s in scores if s.held_out == (args.only == "held-out")]
    start = time.perf_counter()
    for path in paths:
        parse_blocks(load_page(path)[0].splitlines())
    base_time = time.perf_counter() - start
    print(_row(list(COLUMNS)))
    for group, held in (("tuned", False), ("held-out", True)):
        chosen = [s for s in scores if s.held_out == held]
        for score in chosen:
            f = score.figures()
            print(_row([str(f[c]) for c in COLUMNS]))
        if chosen:
            print(_row(_total(f"= {group}", chosen)))
    print(f"\nimport + evaluation of {len(paths)} pages: {import_time * 1000:.0f} ms; "
          f"baseline (block split only): {base_time * 1000:.1f} ms; "
          f"ratio {import_time / base_time if base_time else 0:.0f}x")
    failing = [(s.name, p) for s in scores for p in s.problems()]
    for group, held in (("tuned", False), ("held-out", True)):
        share = cleaned_share([s for s in scores if s.held_out == held])
        if share < 0.98:
            failing.append((group, f"only {share:.2%} of glued citation digits cleaned"))
    if args.details or failing:
        for name, problem in failing:
            print(f"{name}: {problem}")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
