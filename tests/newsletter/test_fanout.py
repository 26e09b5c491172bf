"""The fan-out against a recording aiosmtpd server: every copy once, faults, pauses."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from email import policy
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from werkzeug.test import Client

from k2publisher.errors import (
    DeliveryConfigError,
    GuardRefusal,
    LeaseLostError,
    TransientDeliveryError,
)
from k2publisher.models import UNSUBSCRIBE_PLACEHOLDER
from k2publisher.newsletter.fanout import build_fanout
from k2publisher.newsletter.issues import Issues
from k2publisher.newsletter.leases import WorkerLease
from k2publisher.newsletter.ratelimit import RateLimiter
from k2publisher.newsletter.store import NewsletterStore
from k2publisher.newsletter.subscribers import State, Subscribers
from k2publisher.newsletter.web import NewsletterApp
from k2publisher.settings import Settings, load_settings

TEXT = f"Vitamin K2 news.\n\nUnsubscribe: {UNSUBSCRIBE_PLACEHOLDER}\n"
HTML = f'<p>Vitamin K2 news. <a href="{UNSUBSCRIBE_PLACEHOLDER}">Unsubscribe</a></p>'
FAST = {"retry_delays": (0.05, 0.1, 0.2), "reconnect_delays": (0.05, 0.1)}


def setup_issue(settings: Settings, n: int, issue_id: str = "2026-11-25") -> NewsletterStore:
    """``n`` confirmed subscribers and a stored issue for them."""
    store = NewsletterStore.from_settings(settings)
    report = Subscribers(store).bulk_add(
        ((i, f"reader{i:04d}@example.org") for i in range(n)), "import", confirmed=True)
    assert report.accepted == n
    Issues(store).create(issue_id, subject="K2 weekly: menaquinone-7", html=HTML, text=TEXT,
                         item_ids=["vitamin-k2/dosage"])
    return store


def test_every_confirmed_subscriber_gets_exactly_one_personalised_copy(smtp_settings,
                                                                       smtp_server) -> None:
    settings = smtp_settings()
    store = setup_issue(settings, 60)
    subs = Subscribers(store)
    subs.add("pending@example.org", "cli")  # not confirmed: receives nothing
    summary = build_fanout(settings, store, "2026-11-25", page_size=7, **FAST).run()
    assert summary.state == "done"
    assert summary.counts["sent"] == 60 and summary.counts["total"] == 60
    counts = smtp_server.recording.per_recipient()
    assert set(counts) == {f"reader{i:04d}@example.org" for i in range(60)}
    assert set(counts.values()) == {1}

    rcpt, raw = smtp_server.recording.messages[0]
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    for header in ("Date", "From", "Message-ID", "MIME-Version", "To", "List-Id"):
        assert len(msg.get_all(header)) == 1, header
    assert msg["Date"].datetime.tzinfo is not None
    assert msg["To"] == rcpt
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    links = [p.strip().strip("<>") for p in str(msg["List-Unsubscribe"]).split(",")]
    assert links[0].startswith("https://k2.example.org/unsubscribe/")
    assert links[1].startswith("mailto:")
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    text = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert links[0] in text and links[0] in html and UNSUBSCRIBE_PLACEHOLDER not in text

    # the header's link is the recipient's own one-click unsubscribe
    client = Client(NewsletterApp(settings, store=store))
    answer = client.post(urlsplit(links[0]).path, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    assert subs.find(rcpt).state == State.UNSUBSCRIBED

    message_ids = [BytesParser(policy=policy.default).parsebytes(m)["Message-ID"]
                   for _, m in smtp_server.recording.messages]
    assert len(set(message_ids)) == 60


def test_running_again_sends_nothing_more(smtp_settings, smtp_server) -> None:
    settings = smtp_settings()
    store = setup_issue(settings, 20)
    build_fanout(settings, store, "2026-11-25", **FAST).run()
    again = build_fanout(settings, store, "2026-11-25", **FAST).run()
    assert again.sent_now == 0 and again.state == "done"
    assert len(smtp_server.recording.messages) == 20


def test_550_bounces_4xx_retry_and_mid_data_disconnect_is_retried(smtp_settings,
                                                                   smtp_server) -> None:
    settings = smtp_settings()
    store = setup_issue(settings, 30)
    rec = smtp_server.recording
    rec.rcpt_replies["reader0003@example.org"] = ["550 5.1.1 No such user"]
    rec.rcpt_replies["reader0004@example.org"] = ["451 4.3.0 Try again later"]
    rec.rcpt_replies["reader0005@example.org"] = ["421 4.7.0 Too busy", "451 4.3.0 Later"]
    rec.drop_in_data.update({"reader0007@example.org", "reader0020@example.org"})
    summary = build_fanout(settings, store, "2026-11-25", **FAST).run()
    assert summary.state == "done"
    counts = rec.per_recipient()
    assert "reader0003@example.org" not in counts
    assert set(counts.values()) == {1} and len(counts) == 29
    assert summary.counts["sent"] == 29 and summary.counts["bounced"] == 1
    subs = Subscribers(store)
    bounced = subs.find("reader0003@example.org")
    assert bounced.state == State.BOUNCED
    assert subs.events(bounced.id)[-1]["source"] == "bounce"
    rows = dict(store.query("SELECT s.email, d.attempts FROM newsletter_deliveries d JOIN "
                            "newsletter_subscribers s ON s.id = d.subscriber_id"))
    # 4xx replies are the recipient's; a dropped connection is not charged to anyone
    assert rows["reader0005@example.org"] == 3 and rows["reader0007@example.org"] == 1


def test_retries_used_up_end_failed_not_forever(smtp_settings, smtp_server) -> None:
    settings = smtp_settings()
    store = setup_issue(settings, 5)
    smtp_server.recording.rcpt_replies["reader0001@example.org"] = ["452 4.2.2 Mailbox full"] * 9
    summary = build_fanout(settings, store, "2026-11-25", **FAST).run()
    assert summary.state == "done"
    assert summary.counts["failed"] == 1 and summary.counts["sent"] == 4


def test_server_hanging_up_after_the_dot_gets_the_message_again_same_id(smtp_settings,
                                                                         smtp_server) -> None:
    """The RFC 1047 case: the server took the message but died before answering.

    The sender cannot tell this from a server that died before taking it, so the message
    is sent again with the same Message-ID (receivers that dedupe by Message-ID drop it).
    """
    settings = smtp_settings()
    store = setup_issue(settings, 10)
    smtp_server.recording.drop_after_accept.add("reader0002@example.org")
    summary = build_fanout(settings, store, "2026-11-25", **FAST).run()
    copies = [BytesParser(policy=policy.default).parsebytes(raw)["Message-ID"]
              for rcpt, raw in smtp_server.recording.messages
              if rcpt == "reader0002@example.org"]
    assert len(copies) == 2 and copies[0] == copies[1]
    assert summary.counts["sent"] == 10 and len(smtp_server.recording.messages) == 11


def test_server_gone_pauses_the_issue_and_a_new_run_finishes_it(smtp_settings,
                                                                 smtp_server) -> None:
    settings = smtp_settings("rate_per_second = 200\n")
    store = setup_issue(settings, 150)
    fanout = build_fanout(settings, store, "2026-11-25", **FAST)
    result = {}
    thread = threading.Thread(target=lambda: result.update(summary=fanout.run()))
    thread.start()
    deadline = time.monotonic() + 10
    while len(smtp_server.recording.messages) < 30 and time.monotonic() < deadline:
        time.sleep(0.01)
    smtp_server.stop()
    thread.join(20)
    summary = result["summary"]
    assert summary.state == "paused", summary
    assert summary.counts["failed"] == 0 and summary.counts["bounced"] == 0
    assert 30 <= summary.counts["sent"] < 150
    assert Issues(store).get("2026-11-25").state == "paused"

    smtp_server.start()
    resumed = build_fanout(settings, store, "2026-11-25", **FAST).run()
    assert resumed.state == "done" and resumed.counts["sent"] == 150
    counts = smtp_server.recording.per_recipient()
    assert len(counts) == 150 and set(counts.values()) == {1}


def test_recipients_are_claimed_a_page_at_a_time_and_a_dead_workers_come_back(
        smtp_settings, smtp_server) -> None:
    settings = smtp_settings()
    store = setup_issue(settings, 40)
    issues = Issues(store)
    with WorkerLease(store) as first:
        claim = issues.claim("2026-11-25", first.id, 15)
        assert len(claim.recipients) == 15 and claim.seen == 15
        assert issues.counts("2026-11-25")["sending"] == 15
        issues.mark_awaiting("2026-11-25", first.id,
                             [r.subscriber_id for r in claim.recipients[:2]])
        with WorkerLease(store) as second:  # the first is alive: its rows stay its own
            other = issues.claim("2026-11-25", second.id, 100)
            assert len(other.recipients) == 25 and not other.requeued
            issues.unclaim("2026-11-25", second.id, [r.subscriber_id for r in
                                                      other.recipients])
    # the first worker is gone: a new worker takes its 13 sending and 2 awaiting rows back
    with WorkerLease(store) as third:
        back = issues.claim("2026-11-25", third.id, 15)
        assert (back.requeued, back.assumed) == (13, 2)
        assert {r.subscriber_id for r in back.recipients} == \
            {r.subscriber_id for r in claim.recipients}
        # the first worker cannot commit the dot of a row (or a batch) it no longer owns
        for lost in ([claim.recipients[5].subscriber_id],
                     [r.subscriber_id for r in claim.recipients[5:9]]):
            with pytest.raises(LeaseLostError):
                issues.mark_awaiting("2026-11-25", first.id, lost)
        assert issues.counts("2026-11-25")["awaiting"] == 0
    assert issues.counts("2026-11-25")["possible_duplicates"] == 2


class FakeClock:
    """A clock the rate limiter sleeps on."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_rate_limiter_per_second_is_shared_by_every_limiter_on_the_store(settings) -> None:
    clock = FakeClock()
    store = NewsletterStore.from_settings(settings)
    one, two = (RateLimiter(store, "email", per_second=10, clock=clock, sleep=clock.sleep)
                for _ in range(2))
    for n in range(50):
        (one if n % 2 else two).acquire()
    assert 4.85 <= clock.now - 1000 <= 4.95  # evenly spaced: the first at once, then 0.1 s
    RateLimiter(store, "email", per_second=10, clock=clock, sleep=clock.sleep).acquire(n=20)
    before = clock.now
    one.acquire()  # a batch of 20 reserved two seconds
    assert 1.9 <= clock.now - before <= 2.1


def test_rate_limiter_sliding_hour(settings) -> None:
    clock = FakeClock()
    store = NewsletterStore.from_settings(settings)
    limiter = RateLimiter(store, "email", per_hour=100, clock=clock, sleep=clock.sleep)
    for _ in range(100):
        limiter.acquire()
    assert clock.now == 1000.0
    limiter.acquire()
    assert 3600 <= clock.now - 1000 <= 3661  # never early; at most a minute late
    rows = store.query("SELECT count(*) FROM newsletter_rate_minutes")[0][0]
    assert rows <= 61


def test_an_unexpected_error_pauses_and_the_next_run_finishes(smtp_settings,
                                                               smtp_server) -> None:
    settings = smtp_settings()
    store = setup_issue(settings, 20)
    fanout = build_fanout(settings, store, "2026-11-25", **FAST)
    real = fanout.transports
    calls = []

    class Exploding:
        """A transport whose fifth send raises something nobody expected."""

        def __init__(self) -> None:
            self.inner = real()

        def send(self, *args, **kwargs) -> None:
            calls.append(1)
            if len(calls) == 5:
                raise RuntimeError("boom")
            self.inner.send(*args, **kwargs)

        def close(self) -> None:
            self.inner.close()

    fanout.transports = Exploding
    first = fanout.run()
    assert first.state == "paused" and "boom" in first.note
    second = build_fanout(settings, store, "2026-11-25", **FAST).run()
    assert second.state == "done"
    counts = smtp_server.recording.per_recipient()
    assert len(counts) == 20 and set(counts.values()) == {1}


def test_two_fanouts_on_one_issue_share_it_and_send_each_copy_once(smtp_settings,
                                                                    smtp_server) -> None:
    settings = smtp_settings()
    store = setup_issue(settings, 120)
    results = []
    # both start sending together (building one prepares and guards the issue: seconds on
    # a loaded machine, enough for the first to send all 120 alone)
    fanouts = [build_fanout(settings, NewsletterStore.from_settings(settings), "2026-11-25",
                            page_size=10, connections=2, **FAST) for _ in range(2)]
    start = threading.Barrier(2)

    def worker(fanout) -> None:
        start.wait()
        results.append(fanout.run())

    threads = [threading.Thread(target=worker, args=(f,)) for f in fanouts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.state for r in results} == {"done"}
    assert sum(r.sent_now for r in results) == 120
    assert all(r.sent_now > 0 for r in results), [r.sent_now for r in results]
    counts = smtp_server.recording.per_recipient()
    assert len(counts) == 120 and set(counts.values()) == {1}
    assert store.query("SELECT count(*) FROM newsletter_workers")[0][0] == 0


def test_the_fanout_guards_the_stored_issue_right_before_sending(site, settings, repo) -> None:
    import shutil

    shutil.copytree(repo / "queue" / "vitamin-k2", site / "queue" / "vitamin-k2")
    store = NewsletterStore.from_settings(settings)
    Subscribers(store).add("ann@example.org", "cli", confirmed=True)
    # an issue whose stored text lost its disclaimers (an old version, a hand-edited database)
    Issues(store).create("bare", subject="Vitamin K2 dosage", html="<p>Studies used 45 mg.</p>",
                         text="Studies used 45 mg a day.", item_ids=["vitamin-k2/dosage"])
    with pytest.raises(GuardRefusal, match="WARFARIN_VKA"):
        build_fanout(settings, store, "bare")
    outbox = site / "outbox"
    assert not outbox.exists() or not [p for p in outbox.rglob("*") if p.is_file()]
    assert Issues(store).counts("bare").get("sent", 0) == 0
    store.close()


def test_an_smtp_outage_is_never_charged_to_a_recipient(smtp_settings, smtp_server) -> None:
    """Every connection drops mid-DATA for a while: the run pauses, nobody ends failed."""
    settings = smtp_settings()
    store = setup_issue(settings, 12)
    rec = smtp_server.recording
    # more drops than any recipient's retry budget: on main each connection's first
    # recipient was deferred per drop and ended `failed`, never to get the issue
    for _ in range(5):
        rec.drop_in_data.update(f"reader{i:04d}@example.org" for i in range(0, 12, 3))
        build_fanout(settings, store, "2026-11-25", **FAST).run()
    final = build_fanout(settings, store, "2026-11-25", **FAST).run()
    assert final.state == "done", final
    assert final.counts["failed"] == 0 and final.counts["sent"] == 12
    counts = rec.per_recipient()
    assert len(counts) == 12 and set(counts.values()) == {1}


def test_a_crash_at_the_final_dot_sends_again_and_counts_a_possible_duplicate(
        smtp_settings, smtp_server) -> None:
    settings = smtp_settings()
    store = setup_issue(settings, 3)
    issues = Issues(store)
    issues.claim("2026-11-25", "a-worker-that-died", 10)
    # the process died with reader0001 at its final dot (the server may have it or not)
    ids = [r[0] for r in store.query("SELECT subscriber_id FROM newsletter_deliveries "
                                     "ORDER BY subscriber_id")]
    issues.mark_awaiting("2026-11-25", "a-worker-that-died", [ids[1]])
    summary = build_fanout(settings, store, "2026-11-25", **FAST).run()
    assert summary.state == "done" and summary.counts["sent"] == 3
    assert summary.assumed_now == 1 and summary.counts["possible_duplicates"] == 1
    # sent again rather than assumed sent: no copy can be lost this way
    assert smtp_server.recording.per_recipient()["reader0001@example.org"] == 1


# -- issue 10: the fan-out sends through its channel's SMTP core ([delivery] timeouts,
# ca_file, TLS and error classification are the channel's; they failed on main, where the
# newsletter had its own SMTP client)


def _settings(root: Path, channel: str, delivery: str = "") -> Settings:
    (root / "config").mkdir(exist_ok=True)
    path = root / "config" / "k2publisher.toml"
    path.write_text('[site]\nname = "K2 Notes"\nbase_url = "https://k2.example.org"\n'
                    'contact_email = "editor@k2.example.org"\n'
                    f'[channels.mail]\ntype = "smtp"\nfrom = "K2 <news@k2.example.org>"\n'
                    f'{channel}\n[newsletter]\nchannel = "mail"\nconnections = 2\n'
                    f'rate_per_second = 0\n{delivery}', encoding="utf-8")
    return load_settings(path, environ={})


class Accepted:
    """An aiosmtpd handler keeping the recipients of every accepted message."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages += envelope.rcpt_tos
        return "250 Message accepted"


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[int, Accepted]]:
    """An aiosmtpd server speaking implicit TLS with the test certificate."""
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    recording = Accepted()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(recording, hostname="127.0.0.1", port=port, ssl_context=context)
    controller.start()
    yield port, recording
    controller.stop()


def test_the_fanout_trusts_the_channels_ca_file(tmp_path, certificate, tls_server) -> None:
    port, recording = tls_server
    cert, _ = certificate
    settings = _settings(tmp_path, f'host = "127.0.0.1"\nport = {port}\nsecurity = "tls"\n'
                                   f'ca_file = "{cert}"')
    store = setup_issue(settings, 3)
    summary = build_fanout(settings, store, "2026-11-25", **FAST).run()
    assert summary.state == "done" and summary.counts["sent"] == 3
    assert len(recording.messages) == 3


def test_a_tls_failure_is_a_configuration_error_and_fails_no_recipient(
        tmp_path, tls_server) -> None:
    port, recording = tls_server
    settings = _settings(tmp_path, f'host = "127.0.0.1"\nport = {port}\nsecurity = "tls"\n'
                                   'password = "s3cret-Pa55"\nusername = "k2"')
    store = setup_issue(settings, 3)
    started = time.monotonic()
    with pytest.raises(DeliveryConfigError, match="ca_file") as info:
        build_fanout(settings, store, "2026-11-25", **FAST).run()
    assert not isinstance(info.value, TransientDeliveryError)
    assert info.value.exit_code == 3 and "s3cret-Pa55" not in str(info.value)
    assert time.monotonic() - started < 10, "no reconnect loop for a configuration error"
    issue = Issues(store).get("2026-11-25")
    counts = Issues(store).counts("2026-11-25")
    assert issue is not None and issue.state == "paused" and "TLS" in issue.note
    assert counts["failed"] == 0 and counts["sent"] == 0 and recording.messages == []


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server that accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    for conn in held:
        conn.close()
    listener.close()


def test_the_fanout_honours_the_delivery_timeout(tmp_path, silent_server) -> None:
    settings = _settings(tmp_path, f'host = "127.0.0.1"\nport = {silent_server}\n'
                                   'security = "none"',
                         delivery="[delivery]\ntimeout = 0.3\nconnect_timeout = 0.3\n")
    store = setup_issue(settings, 2)
    started = time.monotonic()
    summary = build_fanout(settings, store, "2026-11-25", retry_delays=(0.05,),
                           reconnect_delays=()).run()
    elapsed = time.monotonic() - started
    assert summary.state == "paused" and summary.counts["sent"] == 0
    assert elapsed < 5, f"took {elapsed:.1f}s: the 0.3 s [delivery] timeout was not used"


@pytest.mark.parametrize("rounds", [False, True], ids=["one-at-a-time", "rounds"])
def test_a_worker_stalled_past_its_lease_never_sends_a_row_taken_from_it(
        smtp_settings, smtp_server, rounds: bool) -> None:
    settings = smtp_settings()
    store = setup_issue(settings, 30)
    fanout = build_fanout(settings, store, "2026-11-25", page_size=10, connections=1, **FAST)
    real = fanout.transports
    stalled = []

    class Stalling:
        """The first copy finds its worker's lease lapsed and its rows taken by another
        (before its ``awaiting`` mark: its final dot must never be written)."""

        def __init__(self) -> None:
            self.inner = real()

        def steal(self, email: str) -> None:
            if not stalled:
                stalled.append(email)
                thief = NewsletterStore.from_settings(settings)
                thief.execute("UPDATE newsletter_workers SET lease_until = 0")
                taken = Issues(thief).claim("2026-11-25", "another-worker", 100)
                assert email in {r.email for r in taken.recipients}  # the row in flight
                stalled.append(len(taken.recipients))

        def send(self, *args, **kwargs) -> None:
            self.steal(args[1])
            self.inner.send(*args, **kwargs)

        def close(self) -> None:
            self.inner.close()

    class SteppedStalling(Stalling):
        """The same in rounds: the rows are taken while the first body is transmitted."""

        def step(self, sender=None, recipient=None) -> None:
            self.recipient = recipient
            self.inner.step(sender, recipient)

        def transmit(self, data: bytes) -> None:
            self.steal(self.recipient)
            self.inner.transmit(data)

        def dot_reply(self) -> None:
            self.inner.dot_reply()

        def drop(self) -> None:
            self.inner.drop()

    fanout.transports = SteppedStalling if rounds else Stalling
    summary = fanout.run()
    assert summary.state == "done" and summary.counts["sent"] == 30
    assert summary.requeued == stalled[1]  # the other worker's rows, once it had gone
    counts = smtp_server.recording.per_recipient()
    assert len(counts) == 30 and set(counts.values()) == {1}, counts
    assert summary.counts["possible_duplicates"] == 0


def test_a_claim_goes_on_from_its_cursor_and_starts_a_new_lap_for_rows_behind_it(
        settings) -> None:
    """Claims read due rows in subscriber order from the claimer's cursor; rows that became
    due behind it (deferred, given back) are taken on a new lap, none twice, none lost."""
    store = setup_issue(settings, 30)
    issues = Issues(store)
    with WorkerLease(store) as worker:
        first = issues.claim("2026-11-25", worker.id, 10)
        ids = [r.subscriber_id for r in first.recipients]
        assert ids == sorted(ids) and first.cursor == ids[-1]
        issues.unclaim("2026-11-25", worker.id, ids[:3])  # behind the cursor again
        second = issues.claim("2026-11-25", worker.id, 10, after=first.cursor)
        assert min(r.subscriber_id for r in second.recipients) > first.cursor
        rest = issues.claim("2026-11-25", worker.id, 100, after=second.cursor)
        taken = [r.subscriber_id for r in rest.recipients]
        assert set(ids[:3]) <= set(taken)  # the lap came back for them
        everyone = ids[3:] + [r.subscriber_id for r in second.recipients] + taken
        assert sorted(everyone) == sorted(set(everyone)) and len(everyone) == 30
        assert not issues.claim("2026-11-25", worker.id, 10, after=rest.cursor).seen
