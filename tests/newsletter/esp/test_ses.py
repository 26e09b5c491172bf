"""SES v2 through boto3 against moto in server mode (a real HTTP AWS emulator on loopback)."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.server import ThreadedMotoServer
from moto.ses.models import ses_backends
from tests.newsletter.conftest import free_port
from tests.newsletter.test_fanout import FAST, setup_issue

from k2publisher.errors import DeliveryConfigError
from k2publisher.newsletter.fanout import build_fanout
from k2publisher.newsletter.issues import Issues

REGION = "eu-west-1"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.fixture(scope="module")
def moto_url():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def ses(moto_url):
    """A fresh SES account whose domain identity k2.example.org is verified."""
    import requests

    requests.post(f"{moto_url}/moto-api/reset", timeout=10)
    client = boto3.client("sesv2", region_name=REGION, endpoint_url=moto_url,
                          aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                          aws_secret_access_key=SECRET)
    client.create_email_identity(EmailIdentity="editor@k2.example.org")
    return ses_backends[DEFAULT_ACCOUNT_ID][REGION]


def _settings(esp_settings, moto_url, sender="K2 Notes <editor@k2.example.org>"):
    return esp_settings(
        f'type = "ses"\nregion = "{REGION}"\nendpoint_url = "{moto_url}"\n'
        f'from = "{sender}"\naws_access_key_id = "AKIAIOSFODNN7EXAMPLE"\n'
        'aws_secret_access_key = "${AWS_SECRET}"\n', environ={"AWS_SECRET": SECRET})


def test_every_reader_gets_the_raw_guarded_copy_once(esp_settings, moto_url, ses):
    settings = _settings(esp_settings, moto_url)
    store = setup_issue(settings, 120)
    summary = build_fanout(settings, store, "2026-11-25", **FAST).run()
    assert summary.state == "done" and summary.counts["sent"] == 120
    sent = ses.sent_messages
    to = [m.destinations["ToAddresses"][0] if isinstance(m.destinations, dict)
          else m.destinations[0] for m in sent]
    assert len(to) == 120 and len(set(to)) == 120
    raw = sent[0].raw_data
    msg = BytesParser(policy=policy.default).parsebytes(raw.encode())
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = str(msg["List-Unsubscribe"]).split(",")[0].strip().strip("<>")
    assert link.startswith("https://k2.example.org/unsubscribe/")
    assert link in msg.get_body(preferencelist=("plain",)).get_content()
    assert msg["To"] in to and msg["Message-ID"].startswith("<k2.")


def test_an_unverified_sender_stops_the_run_and_fails_nobody(esp_settings, moto_url, ses):
    settings = _settings(esp_settings, moto_url, sender="news@unverified.example")
    store = setup_issue(settings, 7)
    with pytest.raises(DeliveryConfigError) as caught:
        build_fanout(settings, store, "2026-11-25", **FAST).run()
    assert SECRET not in str(caught.value)
    counts = Issues(store).counts("2026-11-25")
    assert counts["pending"] == 7 and counts["failed"] == 0
    assert not ses.sent_messages


def test_a_server_that_is_gone_pauses_the_issue(esp_settings):
    settings = _settings(esp_settings, f"http://127.0.0.1:{free_port()}")
    store = setup_issue(settings, 5)
    summary = build_fanout(settings, store, "2026-11-25", **FAST).run()
    assert summary.state == "paused"
    counts = Issues(store).counts("2026-11-25")
    assert counts["sent"] == 0 and counts["failed"] == 0 and counts["possible_duplicates"] == 0


@pytest.fixture
def threaded_server():
    """A local HTTP server answering requests in parallel (a slow answer blocks nobody)."""
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


def test_a_lost_answer_mid_batch_and_throttling(esp_settings, threaded_server):
    """A local server with SES v2's REST shapes: one answer arrives too late (read timeout)
    and one call is throttled (429 TooManyRequestsException). Every reader gets the issue,
    the late one is counted as a possible duplicate, and no retry is charged to a reader
    for the lost connection."""
    import json as _json
    import threading
    import time as _time

    from werkzeug.wrappers import Response

    seen: list[str] = []
    lock = threading.Lock()

    def ses_v2(request):
        body = _json.loads(request.data)
        with lock:
            n = len(seen)
            if n == 3:  # the fourth call is throttled, nothing recorded
                seen.append("throttled")
                return Response(_json.dumps({"message": "Maximum sending rate exceeded."}),
                                status=429, content_type="application/json",
                                headers={"x-amzn-ErrorType": "TooManyRequestsException"})
            seen.append(body["Destination"]["ToAddresses"][0])
        if n == 1:
            _time.sleep(1.5)  # accepted, but the answer comes after the client gave up
        return Response(_json.dumps({"MessageId": f"0100018c-{n:04d}"}),
                        content_type="application/json")

    httpserver = threaded_server
    httpserver.expect_request("/v2/email/outbound-emails", method="POST") \
        .respond_with_handler(ses_v2)
    settings = esp_settings(
        f'type = "ses"\nregion = "{REGION}"\nendpoint_url = "{httpserver.url_for("/")}"\n'
        'from = "K2 Notes <editor@k2.example.org>"\naws_access_key_id = "AKIAIOSFODNN7EXAMPLE"\n'
        'aws_secret_access_key = "${AWS_SECRET}"\n', environ={"AWS_SECRET": SECRET},
        extra="[delivery]\ntimeout = 0.5\n")
    store = setup_issue(settings, 5)
    summary = build_fanout(settings, store, "2026-11-25", connections=1, **FAST).run()
    assert summary.state == "done" and summary.counts["sent"] == 5
    readers = [s for s in seen if s != "throttled"]
    assert set(readers) == {f"reader{i:04d}@example.org" for i in range(5)}
    twice = {r for r in readers if readers.count(r) > 1}
    assert twice == {"reader0001@example.org"}

    assert summary.counts["possible_duplicates"] == 1
    rows = dict(store.query("SELECT s.email, d.attempts FROM newsletter_deliveries d JOIN "
                            "newsletter_subscribers s ON s.id = d.subscriber_id"))
    assert seen[3] == "throttled" and seen[:3] == ["reader0000@example.org",
                                                   "reader0001@example.org",
                                                   "reader0001@example.org"]
    assert rows["reader0001@example.org"] == 1  # the lost answer cost the reader nothing
    assert rows["reader0002@example.org"] == 2  # the throttled call counts one attempt
    assert rows["reader0004@example.org"] == 2  # deferred with it, in the same batch
