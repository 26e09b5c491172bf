"""Several ``newsletter worker`` processes on one issue, SIGKILLed at random points.

A real SMTP server (aiosmtpd on loopback) records every accepted copy. Three workers
share one issue and the rate limit; one of them, chosen at random, is SIGKILLed after a
random number of accepted messages and a new worker is started in its place, again and
again. At the end every recipient has exactly one copy, or a second one that the ledger
counted as a possible duplicate (at most one SMTP round of each killed worker); nobody is
without a copy; the issue is ``done``.
"""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest
from tests.newsletter.workers import seed_issue, start_worker

from k2publisher.newsletter.issues import Issues
from k2publisher.newsletter.store import NewsletterStore

SUBSCRIBERS = 600
WORKERS = 3
KILLS = 6
CONNECTIONS = 2
ISSUE = "2026-12-02"


def _worker(config: Path, log: Path):
    return start_worker(config, log, ISSUE, "--concurrency", str(CONNECTIONS))


@pytest.mark.slow
def test_workers_killed_at_random_leave_every_recipient_one_counted_copy(
        smtp_settings, smtp_server, tmp_path: Path) -> None:
    # a shared 300 msg/s: slow enough that kills land mid-issue, fast enough for CI
    settings = smtp_settings("rate_per_second = 300\n")
    seed_issue(settings.config_path, ISSUE, SUBSCRIBERS)
    seed = int(os.environ.get("K2_KILL_SEED", time.time_ns() % 2**32))
    rng = random.Random(seed)
    recorded = smtp_server.recording.messages
    log = tmp_path / "workers.log"
    workers = [_worker(settings.config_path, log) for _ in range(WORKERS)]
    kills = 0
    deadline = time.monotonic() + 120
    while kills < KILLS and time.monotonic() < deadline:
        target = len(recorded) + rng.randint(5, 60)
        while len(recorded) < target and time.monotonic() < deadline and \
                any(w.poll() is None for w in workers):
            time.sleep(0.0005)
        time.sleep(rng.uniform(0.0, 0.004))  # up to about one message interval of jitter
        alive = [w for w in workers if w.poll() is None]
        if not alive:
            break
        victim = rng.choice(alive)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        kills += 1
        workers[workers.index(victim)] = _worker(settings.config_path, log)
    for w in workers:
        assert w.wait(timeout=120) == 0, log.read_text()
    assert kills == KILLS, f"seed {seed}: the issue ended after {kills} kills"

    counts = smtp_server.recording.per_recipient()
    store = NewsletterStore.from_settings(settings)
    lost, extra = smtp_server.recording.against_rows(store)
    assert not lost, f"seed {seed}: {lost}"
    uncounted = {r: (n, row) for r, (n, row) in extra.items() if not row["assumed"]}
    assert not uncounted, f"seed {seed}: {uncounted}"
    assert all(n <= 1 + KILLS for n, _ in extra.values())
    tally = Issues(store).counts(ISSUE)
    print(f"seed {seed}: {kills} kills, {sum(counts.values())} copies to {len(counts)} "
          f"recipients, {tally['possible_duplicates']} counted possible duplicates")
    assert tally["sent"] == SUBSCRIBERS and Issues(store).get(ISSUE).state == "done"
    assert store.query("SELECT count(*) FROM newsletter_workers")[0][0] <= KILLS
    # each kill leaves at most one SMTP round of its worker in flight (its connections;
    # docs/newsletter.md, "Crash safety")
    assert tally["possible_duplicates"] <= KILLS * CONNECTIONS
