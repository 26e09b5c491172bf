"""How well the generic disclaimers and the interaction catalogue serve supplements other
than vitamin K2: on the tuned and the held-out items of ``tests/fixtures/supplements``.

Prints, per split: the catalogue warnings found of those expected (``expected.toml``), rule
texts naming another supplement (should be 0), and social renderings that pass the guard
(subject in part 1, every safety sentence, every warning) of all social renderings; then the
time to decide one post's disclaimers against the vitamin-K-only baseline (the rules file
without the catalogue), measured in the same run.

    .venv/bin/python bench/supplement_warnings.py
"""

from __future__ import annotations

import copy
import sys
import time
import tomllib
from pathlib import Path

from k2publisher.content.queue import load_item
from k2publisher.guard.check import check
from k2publisher.guard.disclaimers import DisclaimerRules, builtin_path
from k2publisher.guard.interactions import Catalogue
from k2publisher.render.profiles import PROFILES
from k2publisher.render.renderer import Renderer
from k2publisher.settings import DEFAULTS, Settings

FIXTURES = Path(__file__).parents[1] / "tests" / "fixtures" / "supplements"


def main() -> int:
    """Print the figures; exit 1 when a rule text names another supplement."""
    expected = tomllib.loads((FIXTURES / "expected.toml").read_text("utf-8"))["items"]
    rules = DisclaimerRules.load()
    renderer = Renderer(Settings(data=copy.deepcopy(DEFAULTS), root=Path("/tmp")), rules)
    socials = [p for p, prof in PROFILES.items() if prof.family == "social"]
    totals: dict[str, list[int]] = {}
    misnamed = 0
    for path in sorted(FIXTURES.glob("*/*/*.md")):
        split = path.relative_to(FIXTURES).parts[0]
        item = load_item(path)
        found = {d.id for d in rules.for_item(item)}
        want = set(expected[item.id]["warnings"])
        missed = sorted(want - found)
        passed = sum(check(renderer.render(item, p), item, rules, claims_policy="off").ok
                     for p in socials)
        named = sum(bool(rules.catalogue.names_other(d.text, item))
                    for d in rules.for_item(item) if d.id in {r.disclaimer.id for r in rules.rules})
        misnamed += named
        t = totals.setdefault(split, [0, 0, 0, 0])
        t[0] += len(want & found)
        t[1] += len(want)
        t[2] += passed
        t[3] += len(socials)
        print(f"{split:9} {item.id:24} warnings {len(want & found)}/{len(want)}"
              f"{' missed ' + ', '.join(missed) if missed else ''}; social pass "
              f"{passed}/{len(socials)}; texts naming another supplement {named}")
    for split, (hit, want_n, ok, n) in sorted(totals.items()):
        print(f"{split}: warnings {hit}/{want_n} ({hit / want_n:.0%}); social renderings "
              f"passing {ok}/{n} ({ok / n:.0%})")
    print(f"rule texts naming another supplement: {misnamed}")

    item = load_item(FIXTURES / "tuned" / "curcumin" / "joints.md")
    baseline = DisclaimerRules.from_toml(builtin_path().read_text("utf-8"), "baseline",
                                         Catalogue.empty())
    post = item.summary
    timings = {}
    for name, r in (("baseline (no catalogue)", baseline), ("with catalogue", rules)):
        start = time.perf_counter()
        for i in range(300):
            r.required_for_part(item, f"{post} {i}", 0, "social", 3)
        timings[name] = (time.perf_counter() - start) / 300 * 1000
        print(f"required_for_part, {name}: {timings[name]:.2f} ms per post")
    ratio = timings["with catalogue"] / timings["baseline (no catalogue)"]
    print(f"ratio catalogue / baseline: {ratio:.2f}x")
    return 1 if misnamed else 0


if __name__ == "__main__":
    sys.exit(main())
