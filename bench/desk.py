"""Desk benchmark: how long the desk's pages and the live counter take on the shipped queue.

Copies the repository's config and queue into a temporary site, serves the desk in-process
(werkzeug's test client, no network) with the clock fixed, and prints for each page the
time of a cold request (every verdict computed) and of a warm one (verdicts cached by file
version), plus the live counter's ``/measure`` call (one keystroke). The baseline, measured
in the same run, is the preview doing the same guard work directly: every item rendered and
judged on the campaigns' channels (for the board) and one item on every channel (for the
item page and the counter). The ratios say what the desk adds to the preview's own work.

Run: ``.venv/bin/python bench/desk.py [--repeat 5]``
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from werkzeug.test import Client  # noqa: E402

from k2publisher.desk.app import DeskApp  # noqa: E402
from k2publisher.pipeline import Pipeline  # noqa: E402
from k2publisher.preview.core import preview_item, targets  # noqa: E402
from k2publisher.service.campaigns import load_campaigns  # noqa: E402
from k2publisher.settings import load_settings  # noqa: E402

NOW = datetime(2030, 1, 7, 7, 0, tzinfo=UTC)


def timed(fn: Callable[[], object], repeat: int = 1) -> float:
    """The median wall time of ``fn`` in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each warm figure")
    args = parser.parse_args()
    site = Path(tempfile.mkdtemp(prefix="k2-desk-bench-"))
    try:
        shutil.copytree(ROOT / "config", site / "config")
        shutil.copytree(ROOT / "queue", site / "queue")
        settings = load_settings(site / "config" / "k2publisher.toml", environ={})
        pipeline = Pipeline(settings)
        items = pipeline.queue.items()
        channels = tuple(dict.fromkeys(c for camp in load_campaigns(settings)
                                       for c in camp.channels))
        every = targets(settings)
        on_campaigns = targets(settings, channels)
        item = next(i for i in items if i.id == "vitamin-k2/dosage")
        base_board = timed(lambda: [preview_item(pipeline, i, on_campaigns) for i in items])
        base_item = timed(lambda: preview_item(pipeline, item, every), args.repeat)

        app = DeskApp(settings, clock=lambda: NOW)
        client = Client(app)

        def get(path: str) -> Callable[[], object]:
            def run() -> object:
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
                return response
            return run

        rows = []
        for name, path in (("board", "/board"), ("calendar", "/calendar"),
                           ("item page", "/item/vitamin-k2/dosage")):
            app.desk._cache.clear()
            cold = timed(get(path))
            warm = timed(get(path), args.repeat)
            rows.append((name, cold, warm))
        html = client.get("/calendar").get_data(as_text=True)
        token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)  # type: ignore

        def keystroke() -> object:
            return client.post("/item/vitamin-k2/dosage/measure",
                               data={"variant_bluesky": "Vitamin K2 dosage, typed. " * 8},
                               headers={"X-CSRF-Token": token})

        measure = timed(keystroke, args.repeat)
        app.close()
    finally:
        shutil.rmtree(site, ignore_errors=True)

    print(f"desk benchmark: {len(items)} items, campaigns' channels {', '.join(channels)}, "
          f"{len(every)} channels on the item page")
    print(f"baseline: preview of every item on the campaigns' channels {base_board:.2f} s; "
          f"one item on every channel {base_item * 1000:.0f} ms")
    print(f"{'page':<12}{'cold (s)':>10}{'warm (s)':>10}{'cold/baseline':>15}")
    for name, cold, warm in rows:
        base = base_board if name != "item page" else base_item
        print(f"{name:<12}{cold:>10.2f}{warm:>10.3f}{cold / base:>15.2f}")
    print(f"live counter (/measure, one keystroke): {measure * 1000:.0f} ms, "
          f"{measure / base_item:.2f} x the baseline of one item on every channel")


if __name__ == "__main__":
    main()
