"""Subscribers: normalisation, uniqueness, consent evidence, CSV import and export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from k2publisher.errors import AddressError
from k2publisher.newsletter.store import MIGRATIONS, NewsletterStore
from k2publisher.newsletter.subscribers import State, Subscribers, normalise


@pytest.fixture
def subs(store_location: str | Path) -> Subscribers:
    return Subscribers(NewsletterStore(store_location))


def test_addresses_are_normalised_and_validated() -> None:
    assert normalise("  Reader@EXAMPLE.org ") == "reader@example.org"
    assert normalise("a@bücher.example") == "a@xn--bcher-kva.example"
    for bad in ("no-at-sign", "a@", "two@@example.org", "a b@example.org", ""):
        with pytest.raises(AddressError):
            normalise(bad)


def test_duplicates_are_impossible_whatever_the_spelling(subs: Subscribers) -> None:
    first, created = subs.add("Reader@Example.org", "cli")
    again, created_again = subs.add("reader@EXAMPLE.ORG", "cli")
    assert created and not created_again and first.id == again.id
    assert subs.counts()["pending"] == 1
    from k2publisher.database import IntegrityError

    with pytest.raises(IntegrityError):
        subs.store.execute("INSERT INTO newsletter_subscribers (email, state, created_at, "
                           "updated_at) VALUES ('reader@example.org', 'pending', '', '')")


def test_every_change_is_recorded_with_time_and_source(subs: Subscribers) -> None:
    sub, nonce = subs.subscribe("r@example.org", "web", detail="form from 192.0.2.1")
    subs.confirm(sub.id, nonce, "web")
    subs.set_state(sub.id, State.BOUNCED, "bounce", detail="550 no such user")
    subs.unsubscribe(sub.id, "cli")
    events = subs.events(sub.id)
    assert [(e["event"], e["old_state"], e["new_state"], e["source"]) for e in events] == [
        ("subscribe", None, "pending", "web"), ("confirm", "pending", "confirmed", "web"),
        ("state", "confirmed", "bounced", "bounce"),
        ("unsubscribe", "bounced", "unsubscribed", "cli")]
    assert all(e["at"].startswith("20") for e in events)
    assert events[0]["detail"] == "form from 192.0.2.1"


def test_resubscribing_after_leaving_needs_a_new_confirmation(subs: Subscribers) -> None:
    sub, nonce = subs.subscribe("back@example.org", "web")
    subs.confirm(sub.id, nonce)
    subs.unsubscribe(sub.id, "web")
    again, new_nonce = subs.subscribe("back@example.org", "web")
    assert again.state == State.PENDING and new_nonce and new_nonce != nonce
    _, none = subs.subscribe("back@example.org", "web")  # still pending: same nonce
    assert none == new_nonce


def test_csv_import_reports_accepted_duplicates_and_invalid_rows_by_line(
        subs: Subscribers, tmp_path: Path) -> None:
    subs.add("known@example.org", "cli", confirmed=True)
    path = tmp_path / "list.csv"
    path.write_text("name,email,joined\n"            # line 1: header
                    "Ann,ann@example.org,2024\n"      # 2 ok
                    "Bob,not-an-address,2024\n"       # 3 invalid
                    "Known,KNOWN@example.org,2023\n"  # 4 duplicate (in the database)
                    "\n"                              # 5 blank: ignored
                    "Ann again,Ann@Example.org,2025\n"  # 6 duplicate (in the file)
                    'Quoted,"cid@example.org",2025\n'   # 7 ok
                    "Short\n",                        # 8 invalid (no email column)
                    encoding="utf-8")
    report = subs.import_csv(path)
    assert report.accepted == 2
    assert report.duplicates == [(4, "known@example.org"), (6, "ann@example.org")]
    assert [(line, value) for line, value, _ in report.invalid] == [(3, "not-an-address"),
                                                                     (8, "")]
    assert subs.find("ann@example.org").state == State.PENDING  # no consent without --confirmed
    assert subs.events(subs.find("cid@example.org").id)[0]["source"] == "import"


def test_csv_import_with_confirmed_and_headerless_file(subs: Subscribers, tmp_path: Path
                                                       ) -> None:
    path = tmp_path / "optins.csv"
    path.write_text("a@example.org\nb@example.org\n", encoding="utf-8")
    report = subs.import_csv(path, confirmed=True)
    assert report.accepted == 2 and subs.counts()["confirmed"] == 2
    assert "--confirmed" in subs.events(subs.find("a@example.org").id)[0]["detail"]


def test_export_round_trips(subs: Subscribers) -> None:
    subs.add("x@example.org", "cli", confirmed=True)
    subs.add("y@example.org", "cli")
    out = io.StringIO()
    assert subs.export_csv(out, State.CONFIRMED) == 1
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["email"], r["state"]) for r in rows] == [("x@example.org", "confirmed")]


def test_schema_is_versioned_and_shares_the_file(tmp_path: Path) -> None:
    path = tmp_path / "k2publisher.sqlite3"
    store = NewsletterStore(path)
    store.execute("CREATE TABLE other_stage (x)")  # another stage's table in the same file
    store.close()
    again = NewsletterStore(path)
    assert again.version == len(MIGRATIONS)
    assert again.query("PRAGMA journal_mode")[0][0] == "wal"
    assert again.query("SELECT count(*) FROM newsletter_schema_version")[0][0] == len(MIGRATIONS)


def test_iter_pages_through_the_table(subs: Subscribers) -> None:
    subs.bulk_add(((n, f"p{n}@example.org") for n in range(25)), "import", confirmed=True)
    assert [s.email for s in subs.iter(State.CONFIRMED, page=4)] == \
        [f"p{n}@example.org" for n in range(25)]


@pytest.mark.parametrize("suppressed", [State.BOUNCED, State.COMPLAINED])
def test_a_bounced_or_complained_address_stays_suppressed(subs: Subscribers,
                                                          suppressed: State) -> None:
    sub, nonce = subs.subscribe("gone@example.org", "web")
    subs.confirm(sub.id, nonce)
    subs.set_state(sub.id, suppressed, "bounce", detail="550 / spam report")
    again, new_nonce = subs.subscribe("gone@example.org", "web", detail="form from 192.0.2.9")
    assert new_nonce is None and again.state == suppressed  # nothing to mail, still suppressed
    assert subs.events(sub.id)[-1]["event"] == "subscribe-suppressed"
    # the person asks the editor to come back: a new confirmation, recorded as such
    held, reconsent_nonce = subs.subscribe("gone@example.org", "cli", reconsent=True)
    assert reconsent_nonce and held.state == suppressed  # suppressed until they click
    subs.confirm(sub.id, reconsent_nonce, "web")
    events = subs.events(sub.id)
    assert [(e["event"], e["old_state"], e["new_state"]) for e in events[-2:]] == [
        ("reconsent-requested", suppressed.value, suppressed.value),
        ("reconsent", suppressed.value, "confirmed")]
    assert subs.get(sub.id).state == State.CONFIRMED
