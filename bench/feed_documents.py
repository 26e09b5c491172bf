"""Feed benchmark: what guarding every public document costs when the feed is published.

Since the pipeline builds the feeds and archive pages from the ledger and guards each one,
publishing on the ``rss`` channel renders and checks every page of the site. This script
publishes the shipped queue on a temporary site, one item after another, and prints for the
last publish (every item already in the feed):

* the time of ``Pipeline.prepare`` on the feed channel (render + build + guard of every
  document), cold (a fresh pipeline, as a ``k2publisher publish`` process) and warm (the
  service's long-lived pipeline, which keeps the verdicts of unchanged documents);
* a baseline measured in the same run: building the same documents without the guard
  (``site.build`` only, what the rss channel did before), and the ratio prepare / baseline.

Run: ``.venv/bin/python bench/feed_documents.py [--rounds 5]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from k2publisher.deliver.publisher import Publisher  # noqa: E402
from k2publisher.pipeline import Pipeline, site  # noqa: E402
from k2publisher.record.ledger import Ledger, db_path  # noqa: E402
from k2publisher.settings import load_settings  # noqa: E402


def main() -> None:
    """Publish the queue on a temporary site and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed repetitions")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="k2-feed-bench-"))
    old = Path.cwd()
    try:
        shutil.copytree(ROOT / "queue", folder / "queue")
        os.chdir(folder)
        settings = load_settings(None, environ={})
        with Ledger(db_path(settings.path("state"))) as ledger, \
                Publisher(settings, recorder=ledger, sleep=lambda _s: None) as publisher:
            items = publisher.queue.items()
            for item in items:
                publisher.publish(item, "feed")
            pipeline, last = publisher.pipeline, items[-1]
            cold, guarded, built = [], [], []
            for _ in range(args.rounds):
                fresh = Pipeline(settings, queue=pipeline.queue, ledger=ledger)
                started = time.perf_counter()
                fresh.prepare(last, "feed")
                cold.append(time.perf_counter() - started)
                started = time.perf_counter()
                publication = pipeline.prepare(last, "feed")
                guarded.append(time.perf_counter() - started)
                started = time.perf_counter()
                published = site.entries(ledger.sent_items("feed"), [last], pipeline.now(),
                                         pipeline.queue.get)
                site.build(pipeline.renderer, published)
                built.append(time.perf_counter() - started)
        docs = len(publication.rendering.documents)
    finally:
        os.chdir(old)
        shutil.rmtree(folder, ignore_errors=True)
    first, warm = statistics.median(cold), statistics.median(guarded)
    baseline = statistics.median(built)
    print(f"items in the feed: {len(items)}; documents per publish: {docs}")
    print(f"prepare on the feed channel, cold (render + build + guard every document): "
          f"{first * 1000:.0f} ms (median of {args.rounds})")
    print(f"prepare on the feed channel, warm (unchanged documents' verdicts kept): "
          f"{warm * 1000:.0f} ms")
    print(f"baseline, building the same documents unguarded: {baseline * 1000:.0f} ms")
    print(f"ratio cold / baseline: {first / baseline:.2f}; warm / baseline: "
          f"{warm / baseline:.2f}")


if __name__ == "__main__":
    main()
