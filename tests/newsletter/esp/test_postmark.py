"""The newsletter through Postmark's batch API (a local server with its documented shapes)."""

from __future__ import annotations

import html
import json

import pytest
from tests.newsletter.esp.fakes import FakePostmark
from tests.newsletter.test_fanout import FAST, setup_issue
from werkzeug.test import Client

from k2publisher.errors import AuthDeliveryError, DeliveryConfigError
from k2publisher.newsletter.fanout import build_fanout
from k2publisher.newsletter.issues import Issues
from k2publisher.newsletter.subscribers import State, Subscribers
from k2publisher.newsletter.web import NewsletterApp

TOKEN = "pm-server-token-5f0c2a9e7d"


@pytest.fixture
def postmark(httpserver):
    fake = FakePostmark(token=TOKEN)
    httpserver.expect_request("/email/batch", method="POST").respond_with_handler(fake)
    return fake


@pytest.fixture
def settings(esp_settings, httpserver):
    return esp_settings(
        'type = "postmark"\ntoken = "${POSTMARK_TOKEN}"\n'
        'from = "K2 Notes <editor@k2.example.org>"\n'
        f'api_url = "{httpserver.url_for("/").rstrip("/")}"\n',
        environ={"POSTMARK_TOKEN": TOKEN})


def test_each_reader_gets_one_personalised_copy_in_batches_of_at_most_500(settings, postmark):
    store = setup_issue(settings, 1203)
    summary = build_fanout(settings, store, "2026-11-25", connections=1, **FAST).run()
    assert summary.state == "done" and summary.counts["sent"] == 1203
    assert set(postmark.per_recipient().values()) == {1}
    assert len(postmark.per_recipient()) == 1203
    assert max(postmark.calls) <= 500 and sum(postmark.calls) == 1203
    assert len(postmark.calls) == 3  # ceil(1203 / 500) with one worker

    copy = postmark.accepted[0]
    stored = store.query("SELECT d.remote_id FROM newsletter_deliveries d JOIN "
                         "newsletter_subscribers s ON s.id = d.subscriber_id WHERE s.email = ?",
                         (copy.to,))
    assert stored[0][0] == copy.remote_id  # Postmark's MessageID, kept for its support
    url = copy.headers["List-Unsubscribe"].split(",")[0].strip().strip("<>")
    assert url.startswith("https://k2.example.org/unsubscribe/")
    assert copy.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert copy.headers["List-Id"] and copy.headers["Message-ID"].startswith("<k2.")
    assert url in copy.text and url in copy.html
    # the link is this reader's own: posting it unsubscribes exactly them
    other = postmark.accepted[1]
    assert other.headers["List-Unsubscribe"] != copy.headers["List-Unsubscribe"]
    answer = Client(NewsletterApp(settings, store=store)).post(
        url.removeprefix("https://k2.example.org"), data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    assert Subscribers(store).find(copy.to).state == State.UNSUBSCRIBED
    assert Subscribers(store).find(other.to).state == State.CONFIRMED


def test_inactive_recipient_is_suppressed_and_invalid_one_fails(settings, postmark):
    store = setup_issue(settings, 20)
    postmark.refused.add("reader0003@example.org")
    store.execute("UPDATE newsletter_subscribers SET email = 'broken-address' "
                  "WHERE email = 'reader0007@example.org'")
    summary = build_fanout(settings, store, "2026-11-25", **FAST).run()
    assert summary.counts["sent"] == 18
    assert summary.counts["bounced"] == 1 and summary.counts["failed"] == 1
    subs = Subscribers(store)
    gone = subs.find("reader0003@example.org")
    assert gone.state == State.BOUNCED
    events = subs.events(gone.id)
    assert events[-1]["event"] == "bounce" and "406" in events[-1]["detail"]
    assert "reader0003@example.org" not in postmark.per_recipient()


def test_rate_limited_and_failed_calls_are_retried_without_duplicates(settings, postmark):
    store = setup_issue(settings, 30)
    postmark.throttle, postmark.fail = 1, 1
    summary = build_fanout(settings, store, "2026-11-25", connections=1, **FAST).run()
    assert summary.state == "done" and summary.counts["sent"] == 30
    assert set(postmark.per_recipient().values()) == {1}
    assert summary.counts["possible_duplicates"] == 0


def test_a_wrong_token_stops_the_run_and_fails_nobody(esp_settings, httpserver, postmark):
    settings = esp_settings(
        'type = "postmark"\ntoken = "${POSTMARK_TOKEN}"\nfrom = "editor@k2.example.org"\n'
        f'api_url = "{httpserver.url_for("/").rstrip("/")}"\n',
        environ={"POSTMARK_TOKEN": "wrong-token-1234567890"})
    store = setup_issue(settings, 12)
    with pytest.raises(AuthDeliveryError) as caught:
        build_fanout(settings, store, "2026-11-25", **FAST).run()
    assert "wrong-token-1234567890" not in str(caught.value)
    counts = Issues(store).counts("2026-11-25")
    assert counts["failed"] == 0 and counts["pending"] == 12
    assert Issues(store).get("2026-11-25").state == "paused"


def test_an_unverified_sender_is_a_config_error(esp_settings, httpserver, postmark):
    settings = esp_settings(
        'type = "postmark"\ntoken = "${POSTMARK_TOKEN}"\nfrom = "someone@elsewhere.example"\n'
        f'api_url = "{httpserver.url_for("/").rstrip("/")}"\n',
        environ={"POSTMARK_TOKEN": TOKEN})
    store = setup_issue(settings, 5)
    with pytest.raises(DeliveryConfigError, match="Sender Signature"):
        build_fanout(settings, store, "2026-11-25", **FAST).run()
    assert Issues(store).counts("2026-11-25")["pending"] == 5


def test_a_lost_answer_resends_the_batch_and_counts_possible_duplicates(esp_settings,
                                                                         httpserver):
    """Postmark took the batch but its answer never came (read timeout): the batch is sent
    again, nobody is lost, and every second copy is counted, not hidden."""
    import time as _time

    fake = FakePostmark(token=TOKEN)
    calls = {"n": 0}

    def slow_first(request):
        answer = fake(request)
        calls["n"] += 1
        if calls["n"] == 1:
            _time.sleep(1.5)  # past [delivery] timeout: the client gives up on the answer
        return answer

    httpserver.expect_request("/email/batch", method="POST").respond_with_handler(slow_first)
    settings = esp_settings(
        'type = "postmark"\ntoken = "${POSTMARK_TOKEN}"\nfrom = "editor@k2.example.org"\n'
        f'api_url = "{httpserver.url_for("/").rstrip("/")}"\n',
        environ={"POSTMARK_TOKEN": TOKEN}, extra="[delivery]\ntimeout = 0.5\n")
    store = setup_issue(settings, 30)
    summary = build_fanout(settings, store, "2026-11-25", connections=1, **FAST).run()
    assert summary.state == "done" and summary.counts["sent"] == 30
    got = fake.per_recipient()
    assert set(got) == {f"reader{i:04d}@example.org" for i in range(30)}  # nobody lost
    again = {a for a, n in got.items() if n > 1}  # the server queued the retry behind the
    # slow answer, so the retry's answer was late too: each reader may hold several copies
    assert again and summary.counts["possible_duplicates"] == len(again)


AWKWARD_TEXT = ('Vitamin K2 "MK-7" \\ 100 µg — naïve ✓ 🧪\n\ttab\x01 end\n'
                'Unsubscribe: %%UNSUBSCRIBE_URL%% (or again: %%UNSUBSCRIBE_URL%%)\n')
AWKWARD_HTML = ('<p>K2 &amp; D3 "quoted" </script> µg — ✓ 🧪 \\</p>'
                '<a href="%%UNSUBSCRIBE_URL%%">Unsubscribe</a>')


@pytest.mark.parametrize("html_body", [AWKWARD_HTML, ""])
def test_the_pre_encoded_batch_is_exactly_postmarks_documented_messages(settings, html_body):
    """The body written from fragments encoded once per issue decodes to the messages
    Postmark documents, built here field by field from the approved template."""
    from k2publisher.deliver.registry import load_channel
    from k2publisher.newsletter.message import Identity, IssueTemplate
    from k2publisher.newsletter.transport import Copy, channel_options

    _, options = channel_options(settings)
    identity = Identity.from_settings(settings, options)
    template = IssueTemplate("2026-11-25", 'K2 "notes" — µg', AWKWARD_TEXT, html_body,
                             identity)
    copies = [Copy(7, "reader+tag@example.org", identity.unsubscribe_url("7.abc-DEF_123")),
              Copy(8, 'o"dd\\@example.org', "https://k2.example.org/u?a=1&b=<2>")]
    call = load_channel("news", settings).build(template, copies)
    assert call.kwargs["headers"]["Content-Type"] == "application/json"
    expected = []
    for c in copies:
        message = {"From": identity.sender, "To": c.email, "Subject": template.subject,
                   "TextBody": AWKWARD_TEXT.replace("%%UNSUBSCRIBE_URL%%", c.unsubscribe_url),
                   "Headers": [{"Name": n, "Value": v}
                               for n, v in template.list_headers(c.key, c.unsubscribe_url)],
                   "MessageStream": "broadcast",
                   "Metadata": {"k2_issue": "2026-11-25", "k2_subscriber": str(c.key)}}
        if html_body:
            message["HtmlBody"] = html_body.replace("%%UNSUBSCRIBE_URL%%",
                                                    html.escape(c.unsubscribe_url))
        expected.append(message)
    assert json.loads(call.kwargs["data"]) == expected
    assert call.kwargs["data"].isascii()  # no raw control or non-ASCII byte on the wire
