"""Benchmark: loading a 10,000-item queue cold, warm, after a few edits, and from the index.

Run ``python bench/queue_load.py [--items N]``. It writes N items into a temporary folder,
then times, in this order:

* cold: a new :class:`~k2publisher.content.queue.Queue` parses every file (the baseline);
* warm: the same object reloads with nothing changed (one ``stat`` per file);
* touched: the same object reloads after 10 files got a new mtime (10 files re-parsed);
* fresh process, indexed: a new Python process loads with the on-disk index written by an
  earlier load, so it parses nothing.

Every figure is printed with its ratio to the cold parse measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from k2publisher.content.queue import Queue

ITEM = """---
id: bench/item-{n:05d}
kind: supplement_section
supplement: Vitamin K2
title: "Benchmark item {n}"
summary: "Item {n} of a generated queue: vitamin K2 studies used 50–180 mcg a day of MK-7."
tags: [vitamin-k2, bench]
evidence: [clinical_trial, review]
status: {status}
priority: {priority}
source: {{file: bench.txt, heading: Section {n}}}
citations: [1, 5, 7]
---

Vitamin K2 (VK2) item {n}. Studies have used doses of 50–180 mcg per day for MK-7.

| K2 Subtype | Common Daily Dosage |
| --- | --- |
| MK-7 | 50–180 mcg |
"""

FRESH = """
import sys, time
from k2publisher.content.queue import Queue
t = time.perf_counter()
result = Queue(sys.argv[1], index_path=sys.argv[2]).load()
print(time.perf_counter() - t, len(result.items), result.parsed)
"""


def generate(root: Path, count: int) -> list[Path]:
    """Write ``count`` items under ``root``; return their paths."""
    paths = []
    for n in range(count):
        path = root / "bench" / f"item-{n:05d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(ITEM.format(n=n, status="ready" if n % 3 else "draft",
                                    priority=n % 7), encoding="utf-8")
        paths.append(path)
    return paths


T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """(seconds, result) of calling ``fn``."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    """Generate the queue, run the four measurements, print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="k2-bench-") as tmp:
        root = Path(tmp) / "queue"
        index = Path(tmp) / "state" / "queue-index.pickle"
        paths = generate(root, args.items)

        queue = Queue(root)
        cold, result = timed(queue.load)
        assert len(result.items) == args.items and result.parsed == args.items
        warm, result = timed(queue.load)
        assert result.parsed == 0
        later = time.time() + 5
        for path in paths[:: max(1, len(paths) // 10)][:10]:
            os.utime(path, (later, later))
        touched, result = timed(queue.load)
        assert result.parsed == 10, result.parsed

        Queue(root, index_path=index).load()  # writes the index, as a CLI call would
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
        out = subprocess.run([sys.executable, "-c", FRESH, str(root), str(index)],
                             capture_output=True, text=True, check=True, env=env).stdout
        fresh_s, fresh_items, fresh_parsed = out.split()
        fresh = float(fresh_s)
        assert int(fresh_items) == args.items and int(fresh_parsed) == 0

    print(f"queue of {args.items:,} items")
    rows = [("cold full parse (baseline)", cold), ("warm reload, nothing changed", warm),
            ("reload after touching 10 files", touched),
            ("fresh process with on-disk index", fresh)]
    for label, seconds in rows:
        print(f"  {label:<34} {seconds * 1000:9.1f} ms   {seconds / cold:6.3f} x cold")
    print(f"warm/cold ratio: {warm / cold:.4f}")


if __name__ == "__main__":
    main()
