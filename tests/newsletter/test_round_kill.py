"""SIGKILL inside an SMTP round's group-commit window (:mod:`k2publisher.newsletter.rounds`).

A round commits its copies ``awaiting`` in one transaction, then writes every session's
final dot, reads every answer, and commits the outcomes with the next round's marks. A
real ``newsletter worker`` process (SQLite and the real PostgreSQL fixture; an aiosmtpd
server with and without PIPELINING) is killed:

- between the ``awaiting`` commit and the dots (it is paused right after the commit by
  ``paused_worker.py``): the server discarded the undotted messages, the rows are
  ``awaiting``, and the next worker sends them, counted as possible duplicates although
  each reader got exactly one copy;
- between the dots and the outcome commit (the server holds one answer after accepting
  the message): the round's copies are out and their rows ``awaiting``; the next worker
  sends them again, and every second copy is one the store counted.

Either way nobody is without a copy, and at most one round of the killed worker (its
``connections``) is in the window.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

from tests.newsletter.workers import rows, seed_issue, start_worker

ISSUE = "2026-12-02-rounds"
READERS = 120
CONNECTIONS = 4


def _finish(config: Path, tmp_path: Path) -> None:
    """A fresh worker ends the issue (the killed one's rows come back at once)."""
    log = tmp_path / "second.log"
    worker = start_worker(config, log, ISSUE)
    assert worker.wait(timeout=120) == 0, log.read_text(errors="replace")[-3000:]
    summary = json.loads(log.with_suffix(".json").read_text())
    assert [s["state"] for s in summary] == ["done"]


def _wait(condition, what: str, worker) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert worker.poll() is None, f"the worker ended before {what}"
        assert time.monotonic() < deadline, f"no {what} within 60 s"
        time.sleep(0.01)


def test_a_kill_between_the_awaiting_commit_and_the_dots_sends_each_copy_once(
        smtp_settings, smtp_server, tmp_path: Path) -> None:
    config = smtp_settings().config_path  # connections = 4 (smtp_config)
    seed_issue(config, ISSUE, READERS)
    marker = tmp_path / "paused.json"
    log = tmp_path / "first.log"
    worker = start_worker(config, log, ISSUE, env={"K2_PAUSE_ROUND": "6",
                                                   "K2_PAUSE_FILE": str(marker)})
    _wait(lambda: marker.exists() and marker.read_text(), "pause", worker)
    held = set(json.loads(marker.read_text()))
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    before = rows(config)
    window = {e for e, row in before.items() if row["subscriber_id"] in held}
    assert 0 < len(window) <= CONNECTIONS
    assert {before[e]["state"] for e in window} == {"awaiting"}
    assert not window & set(smtp_server.recording.per_recipient())  # never dotted

    _finish(config, tmp_path)
    after = rows(config)
    copies = smtp_server.recording.per_recipient()
    assert {e: n for e, n in copies.items() if n != 1} == {}  # exactly one copy each
    assert set(copies) == set(after)
    assert {e for e, row in after.items() if row["assumed"]} == window  # counted, not lost
    assert {row["state"] for row in after.values()} == {"sent"}


def test_a_kill_between_the_dots_and_the_outcome_commit_is_counted(
        smtp_settings, smtp_server, tmp_path: Path) -> None:
    config = smtp_settings().config_path  # connections = 4 (smtp_config)
    seed_issue(config, ISSUE, READERS)
    recording = smtp_server.recording
    held = "reader0041@example.org"
    recording.hold_after_accept.add(held)
    log = tmp_path / "first.log"
    worker = start_worker(config, log, ISSUE)
    _wait(lambda: held in recording.per_recipient(), "held copy", worker)
    time.sleep(0.2)  # the round's other dots have arrived (their answers are read after)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    recording.release.set()
    before = rows(config)
    window = {e for e, row in before.items() if row["state"] == "awaiting"}
    assert held in window and len(window) <= CONNECTIONS
    delivered = recording.per_recipient()
    assert all(delivered[e] == 1 for e in window)  # out, their outcome not committed

    _finish(config, tmp_path)
    after = rows(config)
    copies = recording.per_recipient()
    assert [e for e in after if not copies[e]] == []  # nobody without a copy
    doubled = {e for e, n in copies.items() if n > 1}
    assert doubled == window  # the round in the window, sent again
    assert doubled <= {e for e, row in after.items() if row["assumed"]}
    assert max(copies.values()) == 2
    assert {row["state"] for row in after.values()} == {"sent"}
