"""``k2publisher store``: status, migrate, and copy SQLite -> PostgreSQL -> SQLite, verified."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from k2publisher.database import connect
from k2publisher.models import PartReceipt
from k2publisher.newsletter.issues import Issues
from k2publisher.newsletter.store import MIGRATIONS as NEWSLETTER_MIGRATIONS
from k2publisher.newsletter.store import NewsletterStore
from k2publisher.newsletter.subscribers import Subscribers
from k2publisher.record.ledger import Ledger, Pick
from k2publisher.record.migrations import MIGRATIONS as LEDGER_MIGRATIONS

SLOT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SUBSCRIBERS = 2345  # more than one copy batch of events


def _site(root: Path, url: str = "") -> Path:
    config = root / "config" / "k2publisher.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[site]\nname = "Copy test"\n' +
                      (f'[store]\nurl = "{url}"\n' if url else ""), encoding="utf-8")
    return config


def _fill(location: str | Path) -> None:
    """Rows in every kind of table: runs, publications, parts, plans, decisions, meta,
    subscribers with their events, an issue with its recipients."""
    with Ledger(location) as ledger:
        ledger.start_run("daily", SLOT,
                         [Pick("magnesium/sleep", ("masto", "hook"), fingerprint="f1")])
        ledger.sending("magnesium/sleep", "masto", 0, "key-0")
        ledger.sent("magnesium/sleep", "masto", 0, PartReceipt(0, "109", "https://m.test/109"))
        ledger.already_sent("magnesium/sleep", "hook", 0)
        ledger.record_decision("magnesium/sleep", "approve", "read twice: ünïcode kept", "ed")
        ledger.set_meta("last_tick", SLOT.isoformat())
    store = NewsletterStore(location)
    subs = Subscribers(store)
    subs.bulk_add(((n, f"reader{n}@example.org") for n in range(SUBSCRIBERS)), "import",
                  confirmed=True)
    Issues(store).create("2026-03-02", subject="Magnesium", html="<p>Mg</p>", text="Mg")
    store.close()


def test_copy_to_postgresql_is_verified_idempotent_and_refuses_a_foreign_target(
        tmp_path: Path, pg_url: str, cli_main) -> None:
    config = _site(tmp_path)
    _fill(tmp_path / "state" / "k2publisher.sqlite3")
    code, out, err = cli_main("store", "copy", "--to", pg_url, "--json", "--config",
                              str(config), cwd=tmp_path)
    assert code == 0, err
    report = json.loads(out)
    assert report["outcome"] == "copied"
    assert report["tables"]["newsletter_subscribers"] == {"rows": SUBSCRIBERS, "verified": True}
    assert report["tables"]["newsletter_events"]["rows"] == SUBSCRIBERS
    assert report["tables"]["newsletter_deliveries"]["rows"] == SUBSCRIBERS
    assert all(t["verified"] for t in report["tables"].values())
    assert report["rows"] == sum(t["rows"] for t in report["tables"].values())

    # the copy is a working store: ledger reads, and new rows get new ids
    with Ledger(pg_url) as ledger:
        (sent,) = ledger.deliveries(states=["sent"])
        assert (sent.item_id, sent.remote_id) == ("magnesium/sleep", "109")
        assert ledger.decisions("magnesium/sleep")[0].reason == "read twice: ünïcode kept"
        later = ledger.record_decision("magnesium/sleep", "archive")
        assert later.id == 2

    code, out, err = cli_main("store", "copy", "--to", pg_url, "--config", str(config),
                              cwd=tmp_path)
    assert code == 1, out  # the target now holds a decision the source does not
    assert "already holds rows that are not a copy" in err and "decisions (2 rows)" in err
    assert "nothing was written" in err

    # a PostgreSQL site copies back to SQLite, and a second copy there is a no-op
    pg_site = _site(tmp_path / "pg", pg_url)
    back = tmp_path / "back.sqlite3"
    code, out, err = cli_main("store", "copy", "--to", str(back), "--config", str(pg_site),
                              cwd=tmp_path)
    assert code == 0, err
    assert "every table verified" in out
    code, out, err = cli_main("store", "copy", "--to", str(back), "--config", str(pg_site),
                              cwd=tmp_path)
    assert code == 0, err
    assert "already holds an exact copy" in out
    db = connect(back)
    assert db.query("SELECT COUNT(*) FROM decisions")[0][0] == 2
    db.close()


def test_status_and_migrate_on_a_postgresql_site(tmp_path: Path, pg_url: str,
                                                 cli_main) -> None:
    config = _site(tmp_path, pg_url)
    code, out, err = cli_main("store", "migrate", "--json", "--config", str(config),
                              cwd=tmp_path)
    assert code == 0, err
    applied = json.loads(out)["applied"]
    assert applied["ledger"] == [n for n, _ in LEDGER_MIGRATIONS]
    assert applied["newsletter store"] == [n for n, _ in NEWSLETTER_MIGRATIONS]
    code, out, err = cli_main("store", "migrate", "--config", str(config), cwd=tmp_path)
    assert code == 0 and "none (already current)" in out
    code, out, err = cli_main("store", "status", "--json", "--config", str(config),
                              cwd=tmp_path)
    status = json.loads(out)
    assert status["backend"] == "postgresql"
    assert status["schemas"]["ledger"]["version"] == status["schemas"]["ledger"]["latest"]
    assert status["rows"]["runs"] == 0 and "newsletter_subscribers" in status["rows"]


def test_an_unreachable_store_is_a_configuration_error(tmp_path: Path, cli_main) -> None:
    config = _site(tmp_path, f"postgresql://k2:secret-pw@/none?host={tmp_path}")
    code, _, err = cli_main("store", "status", "--config", str(config), cwd=tmp_path)
    assert code == 3
    assert "cannot connect to the PostgreSQL store" in err
    assert "secret-pw" not in err
    assert "****@/none" in err


def test_doctor_checks_the_postgresql_store(tmp_path: Path, pg_url: str, cli_main) -> None:
    config = _site(tmp_path, pg_url)
    _, out, _ = cli_main("doctor", "--config", str(config), cwd=tmp_path)
    assert "PostgreSQL store" in out and "pending migrations" in out
    assert cli_main("store", "migrate", "--config", str(config), cwd=tmp_path)[0] == 0
    _, out, _ = cli_main("doctor", "--config", str(config), cwd=tmp_path)
    assert "schemas current, writable" in out
