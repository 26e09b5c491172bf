"""How well the generic disclaimers and the interaction catalogue serve supplements other
than vitamin K2, measured three ways, each printed with its figures:

1. the fixture items of ``tests/fixtures/supplements`` by split (``tuned`` was used while
   writing the rules, ``held_out`` was not, ``unseen`` was written after everything was
   finished and never used to change anything; ``unlisted-probe`` and ``unlisted-sealed`` are
   supplements the catalogue does not list, the probe run while writing the ``[unlisted]``
   notes, the sealed ones written afterwards and run once): catalogue warnings (or notes)
   found of those expected (``expected.toml``), rule texts naming another supplement (should
   be 0), renderings on every channel passing the guard (claims scan off: this measures
   disclaimers and coverage: subject in part 1, no safety sentence dropped or split) with no
   supplement named but the item's;
2. the catalogue matrix: one generated item per catalogue supplement
   (``tests/fixtures/supplements/generator.py``, its body naming every class the entry warns
   about) on every social channel, without a hand-written variant: passes, or refused with
   the guard's reason;
3. the time to decide one post's disclaimers against the vitamin-K-only baseline (the rules
   file without the catalogue), measured in the same run.

    .venv/bin/python bench/supplement_warnings.py
"""

from __future__ import annotations

import copy
import importlib.util
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path

from k2publisher.content.queue import load_item
from k2publisher.guard.check import check
from k2publisher.guard.disclaimers import DisclaimerRules, builtin_path, item_text
from k2publisher.guard.interactions import Catalogue
from k2publisher.render.profiles import PROFILES
from k2publisher.render.renderer import Renderer
from k2publisher.settings import DEFAULTS, Settings

FIXTURES = Path(__file__).parents[1] / "tests" / "fixtures" / "supplements"
SOCIAL = [p for p, prof in PROFILES.items() if prof.family == "social"]


def _generator():
    spec = importlib.util.spec_from_file_location("generator", FIXTURES / "generator.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _foreign(rendering, item, rules, site_name: str) -> list[str]:
    """Supplement names the rendering shows that neither the item's own text nor the site's
    name ("K2 Notes") brings: what a disclaimer or template added."""
    texts = [p.text for p in rendering.parts] + [rendering.html or "", rendering.text or ""]
    own = set(rules.catalogue.names_other(item_text(item), item))
    return sorted({n for t in texts for n in rules.catalogue.names_other(
        t.replace(site_name, " "), item)} - own)


def fixtures(rules: DisclaimerRules, renderer: Renderer) -> int:
    """Figures per fixture item and split; returns the number of misnamed rule texts."""
    expected = tomllib.loads((FIXTURES / "expected.toml").read_text("utf-8"))["items"]
    rule_ids = {r.disclaimer.id for r in rules.rules}
    totals: dict[str, Counter] = {}
    misnamed = 0
    for path in sorted(FIXTURES.glob("*/*/*.md")):
        split = path.relative_to(FIXTURES).parts[0]
        item = load_item(path)
        found = {d.id for d in rules.for_item(item)}
        want = set(expected[item.id]["warnings"])
        named = sum(bool(rules.catalogue.names_other(d.text, item))
                    for d in rules.for_item(item) if d.id in rule_ids)
        misnamed += named
        refused: list[str] = []
        foreign: set[str] = set()
        for profile in PROFILES:
            rendering = renderer.render(item, profile)
            verdict = check(rendering, item, rules, claims_policy="off")
            if not verdict.ok:
                refused.append(f"{profile}: {verdict.problems[0]}")
            foreign |= set(_foreign(rendering, item, rules,
                                    str(renderer.settings.site.get("name", ""))))
        t = totals.setdefault(split, Counter())
        t.update(hit=len(want & found), want=len(want), ok=len(PROFILES) - len(refused),
                 n=len(PROFILES), items=1, clean=int(not refused and not foreign
                                                      and want <= found))
        missed = sorted(want - found)
        print(f"{split:9} {item.id:30} warnings {len(want & found)}/{len(want)}"
              f"{' missed ' + ', '.join(missed) if missed else ''}; channels passing "
              f"{len(PROFILES) - len(refused)}/{len(PROFILES)}; foreign names "
              f"{', '.join(sorted(foreign)) or 'none'}; rule texts naming another "
              f"supplement {named}")
        for line in refused:
            print(f"{'':10}refused {line}")
    for split, t in sorted(totals.items()):
        print(f"{split}: warnings {t['hit']}/{t['want']} ({t['hit'] / t['want']:.0%}); "
              f"renderings passing {t['ok']}/{t['n']} ({t['ok'] / t['n']:.0%}); items passing "
              f"every channel with the right warnings and no foreign name "
              f"{t['clean']}/{t['items']}")
    print(f"rule texts naming another supplement: {misnamed}")
    return misnamed


def matrix(rules: DisclaimerRules, renderer: Renderer) -> int:
    """Every catalogue supplement x every social channel; returns the number refused."""
    generator = _generator()
    refused = 0
    per_channel: Counter = Counter()
    parts: Counter = Counter()
    for entry, item in generator.items(rules.catalogue):
        cells = []
        for profile in SOCIAL:
            rendering = renderer.render(item, profile)
            verdict = check(rendering, item, rules, claims_policy="off")
            parts[profile] += len(rendering.parts)
            if verdict.ok:
                per_channel[profile] += 1
                cells.append(f"{profile} ok ({len(rendering.parts)})")
            else:
                refused += 1
                cells.append(f"{profile} REFUSED: {verdict.problems[0]}")
        print(f"{entry.name:20} " + "; ".join(cells))
    n = len(rules.catalogue.supplements)
    print("catalogue matrix: " + ", ".join(
        f"{p} {per_channel[p]}/{n} (avg {parts[p] / n:.1f} parts)" for p in SOCIAL))
    print(f"catalogue matrix: {n * len(SOCIAL) - refused}/{n * len(SOCIAL)} pass without a "
          f"variant, {refused} refused")
    return refused


def timing(rules: DisclaimerRules) -> None:
    item = load_item(FIXTURES / "tuned" / "curcumin" / "joints.md")
    baseline = DisclaimerRules.from_toml(builtin_path().read_text("utf-8"), "baseline",
                                         Catalogue.empty())
    timings = {}
    for name, r in (("baseline (no catalogue)", baseline), ("with catalogue", rules)):
        start = time.perf_counter()
        for i in range(300):
            r.required_for_part(item, f"{item.summary} {i}", 0, "social", 3)
        timings[name] = (time.perf_counter() - start) / 300 * 1000
        print(f"required_for_part, {name}: {timings[name]:.2f} ms per post")
    ratio = timings["with catalogue"] / timings["baseline (no catalogue)"]
    print(f"ratio catalogue / baseline: {ratio:.2f}x")


def main() -> int:
    """Print the figures; exit 1 when a rule text names another supplement or the matrix
    refuses a rendering."""
    rules = DisclaimerRules.load()
    renderer = Renderer(Settings(data=copy.deepcopy(DEFAULTS), root=Path("/tmp")), rules)
    catalogue = rules.catalogue
    print(f"catalogue: {len(catalogue.supplements)} supplements, "
          f"{len(catalogue.disclaimers())} warnings, "
          f"{len(catalogue.disclaimers()) - len(catalogue.unverified())} verified against "
          "their source")
    misnamed = fixtures(rules, renderer)
    refused = matrix(rules, renderer)
    timing(rules)
    return 1 if misnamed or refused else 0


if __name__ == "__main__":
    sys.exit(main())
