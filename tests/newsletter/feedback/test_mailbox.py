"""The SMTP bounce mailbox: DSNs and ARF reports -> subscriber state, VERP, Maildir."""

from __future__ import annotations

import mailbox

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
