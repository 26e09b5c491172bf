"""The SMTP bounce mailbox: DSNs and ARF reports -> subscriber state, VERP, Maildir."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime, timedelta

import pytest
from tests.newsletter.feedback.messages import arf_report, exim_bounce, postfix_dsn

from k2publisher.newsletter.feedback import FeedbackRecorder, Kind
from k2publisher.newsletter.feedback.mailbox import parse_report, read_maildir
from k2publisher.newsletter.feedback.verp import ReturnPaths
from k2publisher.newsletter.store import NewsletterStore
from k2publisher.newsletter.subscribers import State, Subscribers

PATHS = ReturnPaths("a-secret-key-for-tests-only", "bounces@k2.example.org")
PLAIN = "bounces@k2.example.org"


def test_verp_tokens_round_trip_and_refuse_forgeries():
    addr = PATHS.address_for(4711)
    assert addr.startswith("bounces+") and addr.endswith("@k2.example.org")
    assert "4711" not in addr.split("-", 1)[1] and addr == addr.lower()
    assert PATHS.read(addr) == 4711 and PATHS.read(addr.upper()) == 4711
    ident, _mac = addr.split("@")[0].split("+")[1].split("-")
    assert PATHS.read(f"bounces+{ident}-{'a' * 13}@k2.example.org") is None
    other = PATHS.address_for(4712).split("+")[1].split("-")[1].split("@")[0]
    assert PATHS.read(f"bounces+{ident}-{other}@k2.example.org") is None  # swapped mac
    assert PATHS.read(addr.replace("k2.example.org", "evil.example")) is None
    assert ReturnPaths("another-key", PLAIN).read(addr) is None
    assert len(addr.split("@")[0]) <= 64  # a local part's limit (RFC 5321)


def test_dsn_hard_soft_delayed():
    hard = parse_report(postfix_dsn("gone@example.net", PLAIN))
    assert [(f.email, f.kind) for f in hard] == [("gone@example.net", Kind.HARD)]
    assert "5.1.1" in hard[0].detail
    soft = parse_report(postfix_dsn("full@example.net", PLAIN, status="4.2.2",
                                    code="452 4.2.2 Mailbox full"))
    assert [(f.email, f.kind) for f in soft] == [("full@example.net", Kind.SOFT)]
    assert parse_report(postfix_dsn("slow@example.net", PLAIN, action="delayed",
                                     status="4.4.1")) == []


def test_exim_bounce_without_dsn_part_is_hard():
    found = parse_report(exim_bounce("nobody@example.com", PLAIN))
    assert [(f.email, f.kind) for f in found] == [("nobody@example.com", Kind.HARD)]


def test_arf_abuse_is_a_complaint_and_not_spam_is_ignored():
    found = parse_report(arf_report("reader@example.org", PLAIN))
    assert [(f.email, f.kind) for f in found] == [("reader@example.org", Kind.COMPLAINT)]
    assert parse_report(arf_report("reader@example.org", PLAIN, feedback_type="not-spam")) == []


def test_verp_names_the_subscriber_even_when_the_dsn_names_a_forward(tmp_path):
    store = NewsletterStore(tmp_path / "db.sqlite3")
    subs = Subscribers(store)
    sub, _ = subs.add("reader@example.org", "cli", confirmed=True)
    found = parse_report(postfix_dsn("reader.forwarded@mail.example.net",
                                     PATHS.address_for(sub.id)), PATHS)
    assert found[0].subscriber_id == sub.id
    assert FeedbackRecorder(store).record(found[0]) == "bounced"
    assert subs.get(sub.id).state == State.BOUNCED
    # a forged return path names nobody
    forged = f"bounces+{sub.id}-aaaaaaaaaaaaa@k2.example.org"
    assert parse_report(postfix_dsn("x@example.net", forged), PATHS)[0].subscriber_id is None


@pytest.fixture
def store(tmp_path):
    return NewsletterStore(tmp_path / "db.sqlite3")


def test_recorder_thresholds_repeats_and_events(store):
    subs = Subscribers(store)
    a, _ = subs.add("soft@example.org", "cli", confirmed=True)
    recorder = FeedbackRecorder(store, soft_limit=3)
    outcomes = [recorder.record(f) for n in range(3) for f in parse_report(postfix_dsn(
        "soft@example.org", PLAIN, status="4.2.2", code="452 4.2.2 Mailbox full",
        message_id=f"<dsn{n}@mx>"))]
    assert outcomes == ["soft 1/3", "soft 2/3", "bounced"]
    assert subs.get(a.id).state == State.BOUNCED
    events = [e["event"] for e in subs.events(a.id)]
    assert events[-3:] == ["soft-bounce", "soft-bounce", "bounce"]
    again = parse_report(postfix_dsn("soft@example.org", PLAIN, message_id="<dsn0@mx>"))
    assert recorder.record(again[0]) == "repeat"
    b, _ = subs.add("angry@example.org", "cli", confirmed=True)
    assert recorder.record(parse_report(arf_report("angry@example.org", PLAIN))[0]) \
        == "complained"
    assert subs.get(b.id).state == State.COMPLAINED
    # a bounce after a complaint keeps the complaint
    assert recorder.record(parse_report(postfix_dsn("angry@example.org", PLAIN,
                                                    message_id="<x@mx>"))[0]) \
        == "already complained"
    unknown = parse_report(postfix_dsn("stranger@example.org", PLAIN, message_id="<y@mx>"))
    assert recorder.record(unknown[0]) == "unknown address"


def test_maildir_is_read_once(store, tmp_path):
    subs = Subscribers(store)
    subs.add("gone@example.net", "cli", confirmed=True)
    subs.add("angry@example.org", "cli", confirmed=True)
    box = mailbox.Maildir(tmp_path / "bounces", create=True)
    box.add(postfix_dsn("gone@example.net", PLAIN))
    box.add(arf_report("angry@example.org", PLAIN))
    box.add(b"From: someone@example.org\r\nSubject: hello\r\n\r\nnot a bounce\r\n")
    recorder = FeedbackRecorder(store)
    reports = list(read_maildir(tmp_path / "bounces", None))
    assert len(reports) == 3
    assert sorted(recorder.record(f) for r in reports for f in r.feedback) == \
        ["bounced", "complained"]
    assert list(read_maildir(tmp_path / "bounces", None)) == []  # all marked seen


def _soft(recorder: FeedbackRecorder, address: str, n: int) -> str:
    (fb,) = parse_report(postfix_dsn(address, PLAIN, status="4.2.2",
                                     code="452 4.2.2 Mailbox full", message_id=f"<s{n}@mx>"))
    return recorder.record(fb)


def _days_ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="microseconds")


def _age_last_soft_bounce(store, sid: int, days: float) -> None:
    store.execute("UPDATE newsletter_subscribers SET last_soft_bounce_at = ? WHERE id = ?",
                  (_days_ago(days), sid))


def _delivered(store, sid: int, issue: str, days_ago: float) -> None:
    """A copy of ``issue`` the server accepted ``days_ago`` days ago."""
    store.execute("INSERT INTO newsletter_issues (id, state, subject, html, text, created_at, "
                  "updated_at) VALUES (?, 'done', 's', '', 't', ?, ?) ON CONFLICT DO NOTHING",
                  (issue, _days_ago(days_ago), _days_ago(days_ago)))
    store.execute("INSERT INTO newsletter_deliveries (issue_id, subscriber_id, state, "
                  "updated_at) VALUES (?, ?, 'sent', ?)", (issue, sid, _days_ago(days_ago)))


def test_a_delivered_copy_since_the_last_soft_bounce_restarts_the_count(settings):
    store = NewsletterStore.from_settings(settings)
    subs = Subscribers(store)
    sub, _ = subs.add("full@example.net", "cli", confirmed=True)
    recorder = FeedbackRecorder.from_settings(settings, store)
    assert [_soft(recorder, sub.email, n) for n in range(2)] == ["soft 1/3", "soft 2/3"]
    _age_last_soft_bounce(store, sub.id, 12)
    # issue A went out 10 days ago, after that soft bounce, and never bounced: delivered
    _delivered(store, sub.id, "2026-11-20", 10)
    assert _soft(recorder, sub.email, 2) == "soft 1/3"
    assert "restarted" in subs.events(sub.id)[-1]["detail"]
    assert "2026-11-20" in subs.events(sub.id)[-1]["detail"]
    assert subs.get(sub.id).state == State.CONFIRMED
    store.close()


def test_a_recent_copy_proves_nothing_so_persistent_soft_bounces_still_suppress(settings):
    """A copy accepted yesterday may still soft-bounce: it does not end the streak, so a
    mailbox that is full for every weekly issue is suppressed at the third."""
    store = NewsletterStore.from_settings(settings)
    subs = Subscribers(store)
    sub, _ = subs.add("always-full@example.net", "cli", confirmed=True)
    recorder = FeedbackRecorder.from_settings(settings, store)
    outcomes = []
    for week in range(3):  # each issue accepted, then its soft bounce a day later
        if week:
            _age_last_soft_bounce(store, sub.id, 6)
        _delivered(store, sub.id, f"issue-{week}", 1)
        outcomes.append(_soft(recorder, sub.email, week))
    assert outcomes == ["soft 1/3", "soft 2/3", "bounced"]
    assert subs.get(sub.id).state == State.BOUNCED
    assert "3 soft bounces in a row" in subs.events(sub.id)[-1]["detail"]
    store.close()


def test_soft_bounces_older_than_the_window_no_longer_count(configure):
    settings = configure("soft_bounce_window_days = 14\n")
    store = NewsletterStore.from_settings(settings)
    subs = Subscribers(store)
    sub, _ = subs.add("flaky@example.net", "cli", confirmed=True)
    recorder = FeedbackRecorder.from_settings(settings, store)
    assert [_soft(recorder, sub.email, n) for n in range(2)] == ["soft 1/3", "soft 2/3"]
    _age_last_soft_bounce(store, sub.id, 13)  # within 14 days: still counts
    assert _soft(recorder, sub.email, 2) == "bounced"
    other, _ = subs.add("rare@example.net", "cli", confirmed=True)
    assert [_soft(recorder, other.email, n) for n in range(10, 12)] == ["soft 1/3",
                                                                           "soft 2/3"]
    _age_last_soft_bounce(store, other.id, 15)
    assert _soft(recorder, other.email, 12) == "soft 1/3"
    assert "older than 14 days" in subs.events(other.id)[-1]["detail"]
    store.close()


def test_a_new_consent_forgets_the_soft_bounces_before_it(settings):
    store = NewsletterStore.from_settings(settings)
    subs = Subscribers(store)
    sub, _ = subs.add("back@example.net", "cli", confirmed=True)
    recorder = FeedbackRecorder.from_settings(settings, store)
    assert [_soft(recorder, sub.email, n) for n in range(3)][-1] == "bounced"
    again, nonce = subs.subscribe("back@example.net", "cli", reconsent=True)
    assert nonce
    subs.confirm(again.id, nonce, "web")
    assert subs.get(sub.id).state == State.CONFIRMED
    assert _soft(recorder, sub.email, 3) == "soft 1/3"
    store.close()
