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
