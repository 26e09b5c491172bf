"""Several ``newsletter worker`` processes sending through an ESP, SIGKILLed at random.

A local server plays Postmark's batch API, Mailgun's batch sending and SendGrid's
personalizations (the documented request and answer shapes of
``tests/newsletter/esp/fakes.py``) and records every copy it accepts. Three workers share
one issue on SQLite, then on PostgreSQL; again and again one of them is SIGKILLed and a
new one started in its place:

- half of the kills land in the middle of an HTTP call: the server accepts a batch, holds
  its answer, the test finds the worker that made the call (by its TCP port) and kills it,
  so the answer is lost;
- the others land at a random moment (a claim, an ``awaiting`` commit, a call, the
  outcomes' commit, between batches).

At the end nobody is without a copy, every reader with a second copy has it counted as a
possible duplicate, every reader of a batch whose answer was lost is among those, and
everyone else has exactly one.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.newsletter.conftest import store_table
from tests.newsletter.esp.fakes import (
    FakeMailgun,
    FakePostmark,
    FakeSendGrid,
    ServedFake,
    pid_of_client,
)

from k2publisher.newsletter.issues import Issues
from k2publisher.newsletter.store import NewsletterStore
from k2publisher.newsletter.subscribers import Subscribers
from k2publisher.settings import load_settings

SUBSCRIBERS = 400
BATCH = 10
WORKERS = 3
KILLS = 6
ISSUE = "2026-12-02"
KEY = "key-0b7c1d5e9f2a4c6e8a0b2d4f"

PROVIDERS = {
    "postmark": (FakePostmark, "/email/batch",
                 f'type = "postmark"\ntoken = "{KEY}"\n'),
    "mailgun": (FakeMailgun, "/v3/mg.k2.example.org/messages",
                f'type = "mailgun"\napi_key = "{KEY}"\ndomain = "mg.k2.example.org"\n'),
    "sendgrid": (FakeSendGrid, "/v3/mail/send", f'type = "sendgrid"\napi_key = "{KEY}"\n'),
}


def _config(root: Path, store_url: str, kind: str, url: str) -> Path:
    (root / "config").mkdir(exist_ok=True)
    path = root / "config" / "k2publisher.toml"
    path.write_text('[site]\nname = "K2 Notes"\nbase_url = "https://k2.example.org"\n'
                    'contact_email = "editor@k2.example.org"\n' + store_table(store_url)
                    + f'[channels.news]\n{PROVIDERS[kind][2]}'
                    f'from = "K2 Notes <editor@k2.example.org>"\napi_url = "{url}"\n'
                    f'batch_size = {BATCH}\n'
                    # a shared 250 copies/s: kills land mid-issue, and the run stays short
                    '[newsletter]\nchannel = "news"\nconnections = 2\nrate_per_second = 250\n',
                    encoding="utf-8")
    return path


def _worker(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "k2publisher", "--config", str(config),
                                 "newsletter", "worker", "--issue", ISSUE, "--batch", "20",
                                 "--json"], stdout=out, stderr=out)


def _kill(workers: list[subprocess.Popen[bytes]], victim: subprocess.Popen[bytes],
          config: Path, log: Path) -> None:
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    workers[workers.index(victim)] = _worker(config, log)


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(PROVIDERS))
def test_esp_workers_killed_mid_call_leave_every_reader_one_copy_or_a_counted_second(
        kind: str, store_url: str, tmp_path: Path) -> None:
    cls, path, _ = PROVIDERS[kind]
    seed = int(os.environ.get("K2_KILL_SEED", time.time_ns() % 2**32))
    rng = random.Random(seed)
    with ServedFake(cls(token=KEY), path) as served:
        fake = served.fake
        config = _config(tmp_path, store_url, kind, served.url)
        store = NewsletterStore.from_settings(load_settings(config, environ={}))
        Subscribers(store).bulk_add(
            ((i, f"reader{i:04d}@example.org") for i in range(SUBSCRIBERS)), "import",
            confirmed=True)
        Issues(store).create(ISSUE, subject="K2 weekly", html="<p>News. <a href='"
                             "%%UNSUBSCRIBE_URL%%'>Unsubscribe</a></p>",
                             text="News.\nUnsubscribe: %%UNSUBSCRIBE_URL%%\n")
        store.close()
        log = tmp_path / "workers.log"
        workers = [_worker(config, log) for _ in range(WORKERS)]
        lost_answers: list[set[str]] = []  # the readers of each batch whose answer was lost
        kills = 0
        deadline = time.monotonic() + 150
        while kills < KILLS and time.monotonic() < deadline:
            if not any(w.poll() is None for w in workers):
                break
            if kills % 2 == 0:  # in the middle of a call: accepted, the answer not yet back
                served.hold_next()
                try:
                    call = served.held.get(timeout=30)
                except Exception:
                    break
                pid = pid_of_client(call.client_port, [w.pid for w in workers])
                victim = next((w for w in workers if w.pid == pid), None)
                if victim is not None:
                    _kill(workers, victim, config, log)
                    lost_answers.append(call.readers)
                    kills += 1
                call.answer.set()
            else:  # at a random moment
                target = len(fake.accepted) + rng.randint(BATCH, 6 * BATCH)
                while len(fake.accepted) < target and time.monotonic() < deadline and \
                        any(w.poll() is None for w in workers):
                    time.sleep(0.001)
                time.sleep(rng.uniform(0.0, 0.05))
                alive = [w for w in workers if w.poll() is None]
                if not alive:
                    break
                _kill(workers, rng.choice(alive), config, log)
                kills += 1
        for w in workers:
            assert w.wait(timeout=120) == 0, log.read_text()
    assert kills == KILLS, f"seed {seed}: the issue ended after {kills} kills"
    assert len(lost_answers) == KILLS // 2

    counts = fake.per_recipient()
    store = NewsletterStore.from_settings(load_settings(config, environ={}))
    rows = {r["email"]: dict(r) for r in store.query(
        "SELECT s.email, d.state, d.assumed FROM newsletter_deliveries d "
        "JOIN newsletter_subscribers s ON s.id = d.subscriber_id")}
    lost = sorted(e for e in rows if not counts.get(e))
    assert not lost, f"seed {seed}: no copy for {lost}"
    uncounted = sorted(e for e, row in rows.items() if counts[e] > 1 and not row["assumed"])
    assert not uncounted, f"seed {seed}: second copies nobody counted: {uncounted}"
    for batch in lost_answers:  # each was accepted once, lost, and sent again: counted
        assert batch and all(counts[e] >= 2 and rows[e]["assumed"] for e in batch), \
            f"seed {seed}: {batch}"
    tally = Issues(store).counts(ISSUE)
    doubled = sum(1 for n in counts.values() if n > 1)
    print(f"{kind} seed {seed}: {kills} kills, {sum(counts.values())} copies to "
          f"{len(counts)} readers, {doubled} with a second copy, "
          f"{tally['possible_duplicates']} counted possible duplicates")
    assert tally["sent"] == SUBSCRIBERS and Issues(store).get(ISSUE).state == "done"
    assert all(row["state"] == "sent" for row in rows.values())
    # nobody is counted who was not in flight: at most the batches of the killed workers
    assert tally["possible_duplicates"] <= KILLS * 2 * 2 * BATCH
    store.close()
