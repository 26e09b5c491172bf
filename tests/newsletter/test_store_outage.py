"""A PostgreSQL store that goes away under newsletter workers (a real server, stopped).

- An acknowledged ``awaiting`` mark survives a crash of the server (``pg_ctl stop -m
  immediate``): after it a copy may leave, so losing it would turn the row back to
  ``sending`` and send a second copy nobody counted.
- A ``newsletter worker`` process whose server is stopped under it stops sending, tries
  the store again a few times, then exits 3 naming the issue; once the server is back a
  new worker finishes the issue: nobody without a copy, a second copy only where the
  store counted a possible duplicate (the batch whose answer came back after the crash).
- A short outage (the server restarted within the worker's retries) is ridden out: the
  same worker finishes the issue.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.newsletter.conftest import store_table
from tests.newsletter.esp.fakes import FakePostmark, ServedFake
from tests.newsletter.workers import rows as store_rows
from tests.newsletter.workers import seed_issue, start_worker

from k2publisher.newsletter.issues import Issues
from k2publisher.newsletter.leases import WorkerLease
from k2publisher.newsletter.store import NewsletterStore
from k2publisher.newsletter.subscribers import Subscribers

KEY = "key-4e1f0a9c7b3d5e2f6a8c0d1e"
ISSUE = "2026-12-02-outage"
READERS = 1_000
BATCH = 10


def _site(root: Path, store_url: str, api_url: str) -> Path:
    (root / "config").mkdir(parents=True, exist_ok=True)
    config = root / "config" / "k2publisher.toml"
    config.write_text('[site]\nname = "K2 Notes"\nbase_url = "https://k2.example.org"\n'
                      'contact_email = "editor@k2.example.org"\n' + store_table(store_url)
                      + f'[channels.news]\ntype = "postmark"\ntoken = "{KEY}"\n'
                      f'from = "K2 Notes <editor@k2.example.org>"\napi_url = "{api_url}"\n'
                      f'batch_size = {BATCH}\n'
                      # 200 copies a second: the issue takes 5 s, the outage lands mid-issue
                      '[newsletter]\nchannel = "news"\nconnections = 2\nrate_per_second = 200\n',
                      encoding="utf-8")
    seed_issue(config, ISSUE, READERS)
    return config


def _worker(config: Path, log: Path) -> subprocess.Popen[bytes]:
    return start_worker(config, log, ISSUE)


@contextlib.contextmanager
def _worker_under_way(server, tmp_path: Path) -> Iterator[tuple[ServedFake, Path, Path,
                                                               subprocess.Popen[bytes]]]:
    """A site on a fresh database of ``server``, its fake Postmark, and a worker process
    that has sent 200 of the issue's copies: (served fake, config, log, worker)."""
    url = server.create_database()
    with ServedFake(FakePostmark(token=KEY), "/email/batch") as served:
        config = _site(tmp_path, url, served.url)
        log = tmp_path / "worker.log"
        worker = _worker(config, log)
        deadline = time.monotonic() + 60
        while len(served.fake.accepted) < 200:
            assert worker.poll() is None, "the worker ended before the outage"
            assert time.monotonic() < deadline, "the worker sent too slowly"
            time.sleep(0.05)
        yield served, config, log, worker


def test_an_acknowledged_awaiting_mark_survives_a_crash_of_the_server(own_pg_server) -> None:
    url = own_pg_server.create_database()
    store = NewsletterStore(url)
    Subscribers(store).bulk_add(((i, f"r{i}@example.org") for i in range(40)), "import",
                                confirmed=True)
    issues = Issues(store)
    issues.create(ISSUE, subject="K2", html="<p>x</p>", text="x")
    with WorkerLease(store) as worker:
        claimed = [r.subscriber_id for r in issues.claim(ISSUE, worker.id, 29).recipients]
        issues.mark_awaiting(ISSUE, worker.id, claimed[:20])  # a batch: one transaction
        issues.mark_awaiting(ISSUE, worker.id, claimed[20:21])  # one copy: one statement
        # an SMTP round: its awaiting marks, then the next one's with the first's outcomes
        assert issues.commit_round(ISSUE, worker.id, [], claimed[21:25]) == set(claimed[21:25])
        assert issues.commit_round(ISSUE, worker.id, claimed[21:25], claimed[25:]) == \
            set(claimed[25:])
        worker.abandon()
        own_pg_server.halt("immediate")  # no shutdown checkpoint: what is not in the WAL goes
    store.close()
    own_pg_server.start_again()
    after = NewsletterStore(url)
    states = dict(after.query("SELECT subscriber_id, state FROM newsletter_deliveries "
                              "WHERE state != 'pending'"))
    after.close()
    assert states == {sid: "sent" if sid in claimed[21:25] else "awaiting" for sid in claimed}


@pytest.mark.slow
def test_a_worker_whose_store_stops_exits_3_and_the_next_one_finishes_the_issue(
        own_pg_server, tmp_path: Path) -> None:
    with _worker_under_way(own_pg_server, tmp_path) as (served, config, log, worker):
        fake = served.fake
        # the crash lands while a batch is at the provider: accepted, its answer held
        served.hold_next()
        call = served.held.get(timeout=30)
        own_pg_server.halt("immediate")
        stopped = time.monotonic()
        call.answer.set()  # the answer comes back to a worker whose store is gone
        code = worker.wait(timeout=90)
        took = time.monotonic() - stopped
        text = log.read_text(encoding="utf-8", errors="replace")
        assert code == 3, text[-3000:]
        assert f"issue {ISSUE}: worker " in text and "stops sending" in text
        assert f"gave up on issue {ISSUE}" in text
        assert f"error: issue {ISSUE}: worker" in text and "cannot reach the PostgreSQL store" \
            in text
        assert "Traceback" not in text and "unexpected error" not in text
        assert "psycopg.pool" not in text  # one account of the outage, not one a second
        assert took < 60, f"the worker took {took:.0f} s to give up"
        sent_before = len(fake.accepted)
        assert sent_before < READERS

        own_pg_server.start_again()
        rerun = tmp_path / "rerun.log"
        second = _worker(config, rerun)
        assert second.wait(timeout=120) == 0, rerun.read_text(errors="replace")[-3000:]
        summary = json.loads(rerun.with_suffix(".json").read_text())
        assert [s["state"] for s in summary] == ["done"]

    rows = store_rows(config)
    copies = fake.per_recipient()
    lost = [r for r in rows if not copies[r]]
    doubled = {r for r in rows if copies[r] > 1}
    counted = {r for r, row in rows.items() if row["assumed"]}
    assert not lost  # 0 losses
    assert all(row["state"] == "sent" for row in rows.values())
    assert doubled <= counted  # every second copy is one the store counted
    assert call.readers <= counted  # the batch whose answer met a dead store
    # nothing else was doubled: at most the batches in flight at the crash (2 connections)
    assert len(counted) <= 2 * BATCH
    assert sum(copies.values()) == READERS + len(doubled)


@pytest.mark.slow
def test_a_short_outage_is_ridden_out_by_the_same_worker(own_pg_server,
                                                         tmp_path: Path) -> None:
    with _worker_under_way(own_pg_server, tmp_path) as (served, config, log, worker):
        fake = served.fake
        own_pg_server.restart(down=2.0, mode="immediate")
        code = worker.wait(timeout=120)
        text = log.read_text(encoding="utf-8", errors="replace")
        assert code == 0, text[-3000:]
        assert "the store answers again" in text or "stops sending" not in text
        summary = json.loads(log.with_suffix(".json").read_text())
        assert [s["state"] for s in summary][-1:] == ["done"], text[-3000:]
    rows = store_rows(config)
    copies = fake.per_recipient()
    notes = "\n".join(line for line in text.splitlines() if (" WARNING " in line
                      and "psycopg" not in line) or " ERROR " in line)
    assert [r for r in rows if not copies[r]] == [], notes  # 0 losses
    assert {r for r in rows if copies[r] > 1} <= {r for r, row in rows.items()
                                                  if row["assumed"]}, notes
    assert {r: row["state"] for r, row in rows.items() if row["state"] != "sent"} == {}, notes
