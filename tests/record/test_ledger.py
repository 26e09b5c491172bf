"""The ledger on a real SQLite file and a real PostgreSQL database: state machine, recovery,
resolve, migrations, backup."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from k2publisher.database import connect
from k2publisher.errors import ConfigError, TransientDeliveryError, UncertainDeliveryError
from k2publisher.models import PartReceipt
from k2publisher.record import migrations
from k2publisher.record.ledger import (
    DeliveryState,
    Ledger,
    LedgerError,
    Pick,
    PublicationState,
    RunState,
)

SLOT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def ledger(store_location: str | Path):
    with Ledger(store_location) as led:
        yield led


def test_new_file_is_wal_and_at_latest_schema(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "k2publisher.sqlite3")
    raw = sqlite3.connect(ledger.path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    versions = [r[0] for r in raw.execute("SELECT version FROM schema_version")]
    assert versions == [v for v, _ in migrations.MIGRATIONS]
    raw.close()
    ledger.close()


def test_reopening_applies_nothing_and_keeps_rows(store_location: str | Path) -> None:
    path = store_location
    with Ledger(path) as led:
        led.sending("a/b", "social", 0, "key-0")
    db = connect(path)
    assert migrations.migrate(db) == []
    db.close()
    with Ledger(path) as led:
        assert led.deliveries()[0].state is DeliveryState.SENDING


def test_newer_database_is_refused(store_location: str | Path) -> None:
    path = store_location
    Ledger(path).close()
    db = connect(path)
    db.execute("INSERT INTO schema_version VALUES (?, 'later')", (migrations.LATEST + 1,))
    db.close()
    with pytest.raises(ConfigError, match="newer"):
        Ledger(path)


def test_a_failing_migration_rolls_back(store_location: str | Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = store_location
    Ledger(path).close()
    broken = (*migrations.MIGRATIONS, (migrations.LATEST + 1,
                                       "CREATE TABLE extra (x INTEGER); SELECT nonsense FROM nope"))
    monkeypatch.setattr(migrations, "MIGRATIONS", broken)
    monkeypatch.setattr(migrations, "LATEST", migrations.LATEST + 1)
    with pytest.raises((sqlite3.OperationalError, psycopg.errors.UndefinedTable)):
        Ledger(path)
    db = connect(path)
    assert not db.has_table("extra")
    assert db.schema_version(migrations.VERSION_TABLE) == migrations.LATEST - 1
    db.close()


def test_ledger_and_newsletter_share_one_layer_and_both_refuse_a_newer_file(tmp_path: Path
                                                                           ) -> None:
    from k2publisher.newsletter import store

    path = tmp_path / "k2publisher.sqlite3"
    Ledger(path).close()
    store.NewsletterStore(path).close()
    raw = sqlite3.connect(path, isolation_level=None)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.execute(f"INSERT INTO {store.VERSION_TABLE} VALUES (?, 'later')", (store.LATEST + 1,))
    raw.close()
    Ledger(path).close()  # the ledger's own history is untouched
    with pytest.raises(ConfigError, match=r"newsletter store is at schema version \d+, newer"):
        store.NewsletterStore(path)


def test_part_moves_pending_sending_sent(ledger: Ledger) -> None:
    assert ledger.already_sent("k2/a", "social", 0) is None
    (row,) = ledger.deliveries()
    assert row.state is DeliveryState.PENDING
    ledger.sending("k2/a", "social", 0, "key-a-0")
    assert ledger.delivery(row.id).state is DeliveryState.SENDING
    assert ledger.delivery(row.id).sending_at is not None
    ledger.sent("k2/a", "social", 0, PartReceipt(0, "109", "https://m.example/@k2/109"))
    done = ledger.delivery(row.id)
    assert (done.state, done.remote_id, done.url, done.key, done.attempts) == (
        DeliveryState.SENT, "109", "https://m.example/@k2/109", "key-a-0", 1)
    again = ledger.already_sent("k2/a", "social", 0)
    assert again == PartReceipt(0, "109", "https://m.example/@k2/109")


def test_failure_records_the_masked_reason(ledger: Ledger) -> None:
    ledger.sending("k2/a", "chat", 0, "k")
    err = TransientDeliveryError("502 from https://user:hunter22@hooks.example/x", channel="chat")
    ledger.failed("k2/a", "chat", 0, err, transient=True)
    row = ledger.deliveries()[0]
    assert row.state is DeliveryState.FAILED
    assert row.error.startswith("transient: [chat] 502")
    assert "hunter22" not in row.error
    assert ledger.already_sent("k2/a", "chat", 0) is None  # a failed part may be tried again


def test_an_uncertain_failure_waits_for_an_editor(ledger: Ledger) -> None:
    ledger.sending("k2/a", "chat", 0, "k")
    err = UncertainDeliveryError("connection reset after the request; the post may exist",
                                 channel="chat")
    ledger.failed("k2/a", "chat", 0, err, transient=False)
    row = ledger.deliveries()[0]
    assert row.state is DeliveryState.UNCONFIRMED and row.error.startswith("uncertain:")
    with pytest.raises(LedgerError, match="resolve"):  # never sent again blindly
        ledger.already_sent("k2/a", "chat", 0)


def test_recover_splits_idempotent_from_the_rest(ledger: Ledger) -> None:
    run = ledger.start_run("c", SLOT, [Pick("k2/a", ("masto", "hook"))])
    ledger.sending("k2/a", "masto", 0, "km")
    ledger.sending("k2/a", "hook", 0, "kh")
    changed = ledger.recover(["masto"])
    assert [(r.channel, r.state) for r in changed] == [("hook", DeliveryState.UNCONFIRMED)]
    states = {r.channel: r.state for r in ledger.deliveries()}
    assert states == {"masto": DeliveryState.SENDING, "hook": DeliveryState.UNCONFIRMED}
    pubs = {p.channel: p.state for p in ledger.publications()}
    assert pubs == {"masto": PublicationState.PENDING, "hook": PublicationState.UNCONFIRMED}
    assert [p.channel for p in ledger.pending_publications()] == ["masto"]
    assert all(p.run_id == run.id for p in ledger.publications())
    with pytest.raises(LedgerError, match="resolve"):
        ledger.already_sent("k2/a", "hook", 0)


@pytest.mark.parametrize(("outcome", "state"), [("sent", DeliveryState.SENT),
                                                ("retry", DeliveryState.PENDING)])
def test_resolve_unconfirmed(ledger: Ledger, outcome: str, state: DeliveryState) -> None:
    ledger.start_run("c", SLOT, [Pick("k2/a", ("hook",))])
    ledger.sending("k2/a", "hook", 0, "kh")
    (row,) = ledger.recover([])
    resolved = ledger.resolve(row.id, outcome)  # type: ignore[arg-type]
    assert resolved.state is state
    assert [p.state for p in ledger.publications()] == [PublicationState.PENDING]
    with pytest.raises(LedgerError, match="not unconfirmed"):
        ledger.resolve(row.id, "sent")
    with pytest.raises(LedgerError, match="no delivery row"):
        ledger.resolve(9999, "sent")


def test_runs_are_unique_per_slot_and_finish_when_nothing_pends(ledger: Ledger) -> None:
    run = ledger.start_run("c", SLOT, [Pick("k2/a", ("social", "feed"), fingerprint="f1")])
    with pytest.raises(LedgerError, match="already ran"):
        ledger.start_run("c", SLOT, [])
    assert ledger.last_slot("c") == SLOT
    assert ledger.finish_runs() == 0
    for pub in ledger.pending_publications():
        ledger.finish_publication(pub.id, PublicationState.SENT, url="u")
    assert ledger.finish_runs() == 1
    assert ledger.run(run.id).state is RunState.DONE
    assert ledger.last_item("c") == "k2/a"


def test_mark_slot_and_retry_later(ledger: Ledger) -> None:
    assert ledger.mark_slot("c", SLOT, RunState.BASELINE, "first start")
    assert not ledger.mark_slot("c", SLOT, RunState.SKIPPED)
    assert ledger.last_slot("c") == SLOT
    ledger.start_run("c", SLOT + timedelta(hours=1), [Pick("k2/a", ("social",))])
    (pub,) = ledger.pending_publications()
    assert ledger.retry_later(pub.id, "timeout", max_attempts=2).state is PublicationState.PENDING
    assert ledger.retry_later(pub.id, "timeout", max_attempts=2).state is PublicationState.FAILED


def test_rounds_keep_recycled_parts_apart(ledger: Ledger) -> None:
    ledger.start_run("c", SLOT, [Pick("k2/a", ("social",))])
    ledger.sent("k2/a", "social", 0, PartReceipt(0, "1"))
    ledger.finish_publication(ledger.pending_publications()[0].id, PublicationState.SENT)
    ledger.start_run("c", SLOT + timedelta(days=40), [Pick("k2/a", ("social",), round=2)])
    assert ledger.already_sent("k2/a", "social", 0) is None
    assert sorted(r.round for r in ledger.deliveries()) == [1, 2]


def test_counts_and_meta(ledger: Ledger) -> None:
    ledger.sending("k2/a", "social", 0, "k")
    ledger.already_sent("k2/b", "social", 0)
    counts = ledger.counts()
    assert counts["deliveries"]["sending"] == 1
    assert counts["deliveries"]["pending"] == 1
    assert counts["deliveries"]["sent"] == 0
    ledger.set_meta("tick", "1")
    ledger.set_meta("tick", "2")
    assert ledger.get_meta("tick") == "2"
    assert ledger.get_meta("nothing") is None


def test_backup_while_another_thread_writes(ledger: Ledger, tmp_path: Path) -> None:
    stop = threading.Event()

    def writer() -> None:
        n = 0
        while not stop.is_set():
            ledger.sending(f"k2/{n}", "social", 0, f"k{n}")
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        target = ledger.backup(tmp_path / "backups" / "copy.sqlite3")
    finally:
        stop.set()
        thread.join()
    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] >= 0
    assert copy.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == \
        migrations.LATEST
    copy.close()
    folder_copy = ledger.backup(tmp_path / "backups")
    assert folder_copy.parent == tmp_path / "backups" and folder_copy.suffix == ".sqlite3"


def test_recover_does_not_trust_an_idempotency_key_older_than_its_ttl(
        store_location: str | Path) -> None:
    now = [SLOT]
    with Ledger(store_location, clock=lambda: now[0]) as ledger:
        ledger.start_run("c", SLOT, [Pick("k2/old", ("masto",)), Pick("k2/new", ("masto",))])
        ledger.sending("k2/old", "masto", 0, "k-old")
        now[0] = SLOT + timedelta(minutes=45)
        ledger.sending("k2/new", "masto", 0, "k-new")
        now[0] = SLOT + timedelta(minutes=70)       # the service was down for a while
        changed = ledger.recover(["masto"], key_ttl=timedelta(minutes=50))
        assert [(r.item_id, r.state) for r in changed] == [
            ("k2/old", DeliveryState.UNCONFIRMED)]
        assert "too old" in changed[0].error
        states = {r.item_id: r.state for r in ledger.deliveries()}
        assert states == {"k2/old": DeliveryState.UNCONFIRMED, "k2/new": DeliveryState.SENDING}


def test_channel_faults_leave_the_item_selectable(ledger: Ledger) -> None:
    ledger.start_run("c", SLOT, [Pick("k2/a", ("social",), fingerprint="f"),
                                 Pick("k2/b", ("social",), fingerprint="g")])
    first, second = ledger.pending_publications()
    ledger.finish_publication(first.id, PublicationState.FAILED, error="401",
                              item_at_fault=False)
    ledger.finish_publication(second.id, PublicationState.FAILED, error="422")
    kept = {p.item_id: p.fingerprint for p in ledger.publications()}
    assert kept == {"k2/a": "", "k2/b": "g"}
