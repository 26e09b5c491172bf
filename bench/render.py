"""Render benchmark: the whole queue on every profile, and how much time Jinja itself takes.

Renders the shipped queue (repeated until about ``--items`` item renderings per profile)
on every profile in :data:`k2publisher.render.profiles.PROFILES`, plus the two feeds,
and prints:

* renderings per second for the full pipeline (Markdown, disclaimer placement, CSS inlining,
  counting, thread packing, facets, Jinja);
* the share of that time spent inside ``jinja2.Template.render`` and outside it;
* a baseline measured in the same run: bare ``Template.render`` of the same templates with
  contexts captured from the full run (precomputed), and the ratio full / baseline.

Run: ``.venv/bin/python bench/render.py [--items 200] [--queue queue]``
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


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200, help="item renderings per profile")
    parser.add_argument("--queue", default=str(ROOT / "queue"), help="queue folder")
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


if __name__ == "__main__":
    main()
