"""The service commands through the real CLI: run --once, status, resolve, schedule, backup."""

from __future__ import annotations

import json
import socket
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

from k2publisher.errors import ConfigError
from k2publisher.record.ledger import Ledger, Pick, db_path

from .support import make_settings, received

DEMO = {"channels": ["social", "feed"], "run_on_start": True, "times": ["12:00"],
        "timezone": "UTC", "grace": 600}


@pytest.fixture
def demo_site(site: Path) -> Path:
    make_settings(site, {"demo": DEMO, "daily": {
        "channels": ["social"], "times": ["09:00", "17:30"], "timezone": "Europe/London"}})
    return site


def test_run_once_publishes_and_status_reports_it(run_cli, demo_site: Path) -> None:
    code, _, err = run_cli("run", "--once", cwd=demo_site)
    assert code == 0, err
    assert "campaign=demo item=vitamin-k2/dosage channel=social outcome=sent" in err
    assert [p["item"] for p in received(demo_site / "net/social.jsonl")] == [
        "vitamin-k2/dosage"]
    code, out, _ = run_cli("status", "--json", cwd=demo_site)
    data = json.loads(out)
    assert code == 0
    assert {(p["item"], p["channel"], p["state"]) for p in data["recent"]} == {
        ("vitamin-k2/dosage", "social", "sent"), ("vitamin-k2/dosage", "feed", "sent")}
    assert data["waiting"]["unconfirmed"] == [] and data["last_tick"]
    code, out, _ = run_cli("status", cwd=demo_site)
    assert "What went where and when" in out and "nothing waits for an editor" in out


def test_run_once_says_what_it_did(run_cli, demo_site: Path) -> None:
    code, _, err = run_cli("run", "--once", cwd=demo_site)
    assert code == 0 and 'outcome=once-done note="2 sent"' in err, err


def test_run_once_with_nothing_due_says_so_and_names_the_next_slot(run_cli, site: Path
                                                                   ) -> None:
    make_settings(site, {"daily": {"channels": ["social"], "times": ["09:00", "17:30"],
                                   "timezone": "Europe/London"}})
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=UTC), tick=False):
        code, _, err = run_cli("run", "--once", cwd=site)
    assert code == 0, err
    assert ('outcome=nothing-due note="nothing was due now" '
            'next="daily at Mon 2026-03-02 17:30 Europe/London"') in err, err
    assert received(site / "net/social.jsonl") == []


def test_init_writes_no_campaign_that_publishes_at_every_start(run_cli, tmp_path: Path
                                                               ) -> None:
    import tomllib

    run_cli("init", "site", "--defaults", cwd=tmp_path)
    config = tomllib.loads((tmp_path / "site" / "config" / "k2publisher.toml").read_text(
        encoding="utf-8"))
    assert config["campaigns"] and not [name for name, c in config["campaigns"].items()
                                        if c.get("run_on_start")]


def test_run_once_logs_json_lines(run_cli, demo_site: Path) -> None:
    code, _, err = run_cli("run", "--once", "--log-format", "json", cwd=demo_site)
    assert code == 0
    events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    sent = [e for e in events if e.get("outcome") == "sent" and e.get("campaign") == "demo"]
    assert {e["channel"] for e in sent} == {"social", "feed"}
    assert all(e["time"].endswith("+00:00") and e["item"] == "vitamin-k2/dosage" for e in sent)
    assert any(e.get("outcome") == "baseline" and e["campaign"] == "daily" for e in events)


def test_unconfirmed_rows_wait_for_resolve(run_cli, demo_site: Path) -> None:
    with Ledger(db_path(demo_site / "state")) as ledger:
        ledger.start_run("demo", datetime.now(UTC), [Pick("vitamin-k2/dosage", ("social",))])
        ledger.sending("vitamin-k2/dosage", "social", 0, "k")
        (row,) = ledger.recover([])
    code, out, _ = run_cli("status", "--json", cwd=demo_site)
    assert code == 1
    (waiting,) = json.loads(out)["waiting"]["unconfirmed"]
    assert (waiting["row"], waiting["item"], waiting["channel"]) == (
        row.id, "vitamin-k2/dosage", "social")
    code, out, _ = run_cli("status", cwd=demo_site)
    assert code == 1 and "resolve ROW --sent" in out
    with pytest.raises(Exception, match="--sent or --retry"):
        run_cli("resolve", str(row.id), cwd=demo_site)
    code, out, _ = run_cli("resolve", str(row.id), "--retry", cwd=demo_site)
    assert code == 0 and "is now pending" in out
    code, _, err = run_cli("resolve", str(row.id), "--sent", cwd=demo_site)
    assert code == 1 and "not unconfirmed" in err


def test_schedule_json_shows_slots_and_items(run_cli, demo_site: Path) -> None:
    code, out, _ = run_cli("schedule", "--days", "2", "--json", cwd=demo_site)
    slots = json.loads(out)
    assert code == 0 and slots
    assert [s["time"] for s in slots] == sorted(s["time"] for s in slots)
    daily = [s for s in slots if s["campaign"] == "daily"]
    assert len(daily) == 4
    assert all(s["local"][11:16] in ("09:00", "17:30") for s in daily)
    assert slots[0]["items"]
    pairs = [(p["id"], c) for s in slots for p in s["items"] for c in p["channels"]]
    assert len(pairs) == len(set(pairs)) > 4  # nothing twice on a channel
    code, out, _ = run_cli("schedule", "--days", "1", cwd=demo_site)
    assert code == 0 and "Europe/London" in out


def test_backup_copies_the_live_ledger(run_cli, demo_site: Path) -> None:
    run_cli("run", "--once", cwd=demo_site)
    code, out, _ = run_cli("backup", "copies/", cwd=demo_site)
    assert code == 0 and "backed up" in out
    (copy,) = (demo_site / "copies").iterdir()
    conn = sqlite3.connect(copy)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT COUNT(*) FROM publications WHERE state = 'sent'").fetchone() \
        == (2,)
    conn.close()


def test_status_lists_items_with_review_notes(run_cli, demo_site: Path) -> None:
    note = demo_site / "queue" / "vitamin-k2" / "side-effects.md"
    note.write_text(note.read_text(encoding="utf-8").replace(
        "priority: 4\n", "priority: 4\nreview: \"check the dose table\"\n"), encoding="utf-8")
    code, out, _ = run_cli("status", "--json", cwd=demo_site)
    assert code == 0
    assert json.loads(out)["waiting"]["review"] == [
        {"item": "vitamin-k2/side-effects", "status": "ready", "review": "check the dose table"}]
    code, out, _ = run_cli("status", cwd=demo_site)
    assert "Items with review notes" in out and "check the dose table" in out


def test_run_once_exits_4_when_a_publication_fails(run_cli, site: Path) -> None:
    make_settings(site, {"demo": {**DEMO, "channels": ["social"]}}, channels={
        "social": {"type": "recording", "path": "net/social.jsonl", "refuse": True}})
    code, _, err = run_cli("run", "--once", cwd=site)
    assert code == 4
    assert "outcome=failed" in err and "422 the test network refuses" in err
    code, out, _ = run_cli("status", "--json", cwd=site)
    (failed,) = json.loads(out)["failed"]
    assert failed["item"] == "vitamin-k2/dosage" and "422" in failed["error"]


def test_run_says_when_the_port_is_taken(run_cli, demo_site: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}"):
            run_cli("run", "--port", str(port), cwd=demo_site)
