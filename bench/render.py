"""Render benchmark: the whole queue on every profile, and how much time Jinja itself takes.

Renders the shipped queue (repeated until about ``--items`` item renderings per profile)
on every profile in :data:`k2publisher.render.profiles.PROFILES`, plus the two feeds,
and prints:

* renderings per second for the full pipeline (Markdown, disclaimer placement, CSS inlining,
  counting, thread packing, facets, Jinja);
* the share of that time spent inside ``jinja2.Template.render`` and outside it;
* a baseline measured in the same run: bare ``Template.render`` of the same templates with
  contexts captured from the full run (precomputed), and the ratio full / baseline.

With ``--guard`` it then runs the guard (``guard.check.check``) once on every profile's
rendering of every shipped item and prints its time, and the share spent in
``check._source_bindings`` (re-scanning the item's own text for the binding findings a
rendering repeats).

Run: ``.venv/bin/python bench/render.py [--items 200] [--queue queue] [--guard]``
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from k2publisher.content.queue import Queue  # noqa: E402
from k2publisher.guard import check as guard_check  # noqa: E402
from k2publisher.guard.disclaimers import DisclaimerRules  # noqa: E402
from k2publisher.render.profiles import PROFILES  # noqa: E402
from k2publisher.render.renderer import Renderer  # noqa: E402
from k2publisher.settings import DEFAULTS, Settings  # noqa: E402


class JinjaTimer:
    """Wraps ``Template.render`` to add up the time spent inside it (outermost calls only)."""

    def __init__(self) -> None:
        self.inside = 0.0
        self.calls: list[tuple[jinja2.Template, dict[str, Any]]] = []
        self.capture = False
        self._depth = 0
        self._original = jinja2.Template.render

    def __enter__(self) -> JinjaTimer:
        timer, original = self, self._original

        def render(template: jinja2.Template, *args: Any, **kwargs: Any) -> str:
            timer._depth += 1
            start = time.perf_counter()
            try:
                return original(template, *args, **kwargs)
            finally:
                timer._depth -= 1
                if timer._depth == 0:
                    timer.inside += time.perf_counter() - start
                    if timer.capture:
                        timer.calls.append((template, dict(*args, **kwargs)))

        jinja2.Template.render = render  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        jinja2.Template.render = self._original  # type: ignore[method-assign]


def guard_cost(renderer: Renderer, shipped: list[Any], rules: DisclaimerRules) -> None:
    """Time the guard on every profile's rendering of ``shipped``, and the share of it spent
    in ``check._source_bindings``."""
    renderings = [(renderer.render(item, name), item) for item in shipped for name in PROFILES]
    original = guard_check._source_bindings
    spent = [0.0, 0]

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - t0
            spent[1] += 1

    guard_check._source_bindings = timed  # type: ignore[assignment]
    try:
        start = time.perf_counter()
        for rendering, item in renderings:
            guard_check.check(rendering, item, rules)
        total = time.perf_counter() - start
    finally:
        guard_check._source_bindings = original  # type: ignore[assignment]
    print(f"guard: {len(renderings)} renderings checked in {total:.2f} s = "
          f"{total / len(renderings) * 1000:.1f} ms each; _source_bindings {spent[1]} calls, "
          f"{spent[0]:.2f} s = {spent[0] / total:.0%} of the guard's time")


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200, help="item renderings per profile")
    parser.add_argument("--queue", default=str(ROOT / "queue"), help="queue folder")
    parser.add_argument("--guard", action="store_true",
                        help="also time the guard and its _source_bindings")
    args = parser.parse_args()

    data = copy.deepcopy(DEFAULTS)
    data["paths"]["queue"] = args.queue
    settings = Settings(data=data, root=ROOT / "bench")     # no site templates: built-ins only
    queue = Queue(args.queue)
    queue.load()
    shipped = queue.items()
    if not shipped:
        sys.exit(f"no items in {args.queue}")
    rounds = max(1, -(-args.items // len(shipped)))
    items = shipped * rounds
    renderer = Renderer(settings, DisclaimerRules.from_settings(settings))
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    entries = [(item, now - timedelta(hours=n)) for n, item in enumerate(shipped)]

    for item in shipped:                                      # warm up caches and templates
        for name in PROFILES:
            renderer.render(item, name)

    per_profile: dict[str, float] = defaultdict(float)
    with JinjaTimer() as timer:
        timer.capture = True
        start = time.perf_counter()
        count = 0
        for item in items:
            for name in PROFILES:
                t0 = time.perf_counter()
                renderer.render(item, name)
                per_profile[name] += time.perf_counter() - t0
                count += 1
            if count % (len(PROFILES) * len(shipped)) == 0:
                renderer.feeds(entries)
        total = time.perf_counter() - start
        inside = timer.inside
    calls = timer.calls

    # baseline: the same templates with the same (precomputed) contexts, Jinja only
    start = time.perf_counter()
    for template, context in calls:
        template.render(context)
    bare = time.perf_counter() - start

    print(f"queue: {len(shipped)} items x {rounds} rounds = {len(items)} items, "
          f"{len(PROFILES)} profiles, {len(calls)} template renders")
    print(f"full pipeline: {count} renderings in {total:.2f} s = {count / total:,.0f} "
          f"renderings/s ({len(items) / total:,.1f} items/s on all profiles)")
    print(f"inside Jinja Template.render: {inside:.2f} s = {inside / total:.0%}; "
          f"outside Jinja: {total - inside:.2f} s = {(total - inside) / total:.0%}")
    print(f"baseline (bare Jinja, precomputed contexts): {bare:.2f} s = "
          f"{count / bare:,.0f} renderings/s; full / baseline = {total / bare:.1f}x")
    print("per profile (ms per rendering):")
    for name, seconds in sorted(per_profile.items(), key=lambda kv: -kv[1]):
        print(f"  {name:10} {seconds / len(items) * 1000:7.2f}")
    if args.guard:
        guard_cost(renderer, shipped, DisclaimerRules.from_settings(settings))


if __name__ == "__main__":
    main()
