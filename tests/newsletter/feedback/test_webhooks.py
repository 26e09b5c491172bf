"""The ESP webhooks on the WSGI service: documented payloads, signed as each provider signs.

Keys and certificates are made here: an EC P-256 pair for SendGrid, an RSA key with an
X.509 certificate for SNS (served over TLS by a local https server with a trustme CA),
an HMAC signing key for Mailgun. The signatures are computed the providers' way and
verified by the app's real code.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import ssl
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from pytest_httpserver import HTTPServer
from tests.newsletter.conftest import store_table
from tests.newsletter.feedback import examples
from werkzeug.test import Client

from k2publisher.newsletter.feedback.mailgun import signature as mailgun_signature
from k2publisher.newsletter.feedback.sns import string_to_sign
from k2publisher.newsletter.store import NewsletterStore
from k2publisher.newsletter.subscribers import State, Subscribers
from k2publisher.newsletter.web import NewsletterApp
from k2publisher.service.web import PublicApp
from k2publisher.settings import load_settings

MAILGUN_KEY = "key-7f3a9c1e5b2d4f6a8c0e1b3d5f7a9c1e"
POSTMARK_TOKEN = "pm-hook-5b8d2f4a6c0e1a3b"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest) -> str:
    """The webhooks record on SQLite ("") and on a fresh PostgreSQL database."""
    return "" if request.param == "sqlite" else request.getfixturevalue("pg_url")


@pytest.fixture
def make_settings(tmp_path: Path, store_url: str):
    """Settings of a site whose newsletter channel is the ESP table given, on ``store_url``."""

    def make(extra: str, environ: dict[str, str] | None = None):
        (tmp_path / "config").mkdir(exist_ok=True)
        path = tmp_path / "config" / "k2publisher.toml"
        channel = extra.split("[channels.", 1)[1].split("]", 1)[0]  # the ESP sends the issues
        path.write_text('[site]\nname = "K2 Notes"\nbase_url = "https://k2.example.org"\n'
                        'contact_email = "editor@k2.example.org"\n' + store_table(store_url)
                        + f'[newsletter]\nchannel = "{channel}"\n' + extra, encoding="utf-8")
        return load_settings(path, environ=environ or {})

    return make


def _subscribe(store, *emails):
    subs = Subscribers(store)
    return [subs.add(e, "cli", confirmed=True)[0] for e in emails]


# -- Postmark -------------------------------------------------------------------------------

@pytest.fixture
def postmark_app(make_settings):
    settings = make_settings('[channels.pm]\ntype = "postmark"\ntoken = "x"\n'
                         'from = "editor@k2.example.org"\nwebhook_token = "${PM_HOOK}"\n'
                         'webhook_username = "postmark"\nwebhook_password = "${PM_HOOK}"\n',
                         {"PM_HOOK": POSTMARK_TOKEN})
    store = NewsletterStore.from_settings(settings)
    _subscribe(store, "john@example.com")
    return Client(NewsletterApp(settings, store=store)), store


def test_postmark_bounce_by_token_and_spam_by_basic_auth(postmark_app):
    client, store = postmark_app
    answer = client.post(f"/webhooks/pm/{POSTMARK_TOKEN}", json=examples.POSTMARK_BOUNCE)
    assert answer.status_code == 200, answer.text
    sub = Subscribers(store).find("john@example.com")
    assert sub.state == State.BOUNCED
    assert Subscribers(store).events(sub.id)[-1]["event"] == "bounce"
    auth = "Basic " + base64.b64encode(f"postmark:{POSTMARK_TOKEN}".encode()).decode()
    answer = client.post("/webhooks/pm", json=examples.POSTMARK_SPAM,
                         headers={"Authorization": auth})
    assert answer.status_code == 200
    assert Subscribers(store).find("john@example.com").state == State.COMPLAINED
    # Postmark retries: the same record again changes nothing
    again = client.post(f"/webhooks/pm/{POSTMARK_TOKEN}", json=examples.POSTMARK_SPAM)
    assert again.status_code == 200 and "1 recorded" in again.text


def test_postmark_refuses_wrong_credentials(postmark_app):
    client, store = postmark_app
    for path, headers in (("/webhooks/pm/guess", {}), ("/webhooks/pm", {}),
                          ("/webhooks/pm", {"Authorization": "Basic " + base64.b64encode(
                              b"postmark:wrong").decode()})):
        answer = client.post(path, json=examples.POSTMARK_BOUNCE, headers=headers)
        assert answer.status_code == 401
    assert Subscribers(store).find("john@example.com").state == State.CONFIRMED
    assert client.post("/webhooks/nosuch", json={}).status_code == 404


# -- Mailgun --------------------------------------------------------------------------------

@pytest.fixture
def mailgun_app(make_settings):
    settings = make_settings('[channels.mg]\ntype = "mailgun"\napi_key = "k"\n'
                         'domain = "mg.k2.example.org"\nfrom = "editor@k2.example.org"\n'
                         'webhook_signing_key = "${MG_HOOK}"\n', {"MG_HOOK": MAILGUN_KEY})
    store = NewsletterStore.from_settings(settings)
    _subscribe(store, "alice@example.com")
    return Client(NewsletterApp(settings, store=store)), store


def _mailgun(event: dict, *, key: str = MAILGUN_KEY, when: float | None = None,
             token: str = "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0") -> dict:
    body = copy.deepcopy(examples.MAILGUN_FAILED)
    body["event-data"].update(event)
    stamp = str(int(when if when is not None else time.time()))
    body["signature"] = {"timestamp": stamp, "token": token,
                         "signature": mailgun_signature(key, stamp, token)}
    return body


def test_mailgun_signed_permanent_failure_suppresses(mailgun_app):
    client, store = mailgun_app
    answer = client.post("/webhooks/mg", json=_mailgun({}))
    assert answer.status_code == 200, answer.text
    assert Subscribers(store).find("alice@example.com").state == State.BOUNCED


def test_mailgun_refuses_forged_old_and_replayed(mailgun_app):
    client, store = mailgun_app
    assert client.post("/webhooks/mg", json=examples.MAILGUN_FAILED).status_code == 401
    assert client.post("/webhooks/mg", json=_mailgun({}, key="not-the-key")).status_code == 401
    assert client.post("/webhooks/mg", json=_mailgun(
        {}, when=time.time() - 3600)).status_code == 401
    assert Subscribers(store).find("alice@example.com").state == State.CONFIRMED
    soft = _mailgun({"severity": "temporary", "id": "t1"}, token="f" * 50)
    assert client.post("/webhooks/mg", json=soft).status_code == 200
    replay = client.post("/webhooks/mg", json=soft)
    assert replay.status_code == 409
    sub = Subscribers(store).find("alice@example.com")
    assert sub.state == State.CONFIRMED  # one soft bounce of three
    assert [e["event"] for e in Subscribers(store).events(sub.id)].count("soft-bounce") == 1


# -- SendGrid -------------------------------------------------------------------------------

@pytest.fixture
def sendgrid_key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def sendgrid_app(make_settings, sendgrid_key):
    public = base64.b64encode(sendgrid_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
    settings = make_settings('[channels.sg]\ntype = "sendgrid"\napi_key = "k"\n'
                         'from = "editor@k2.example.org"\n'
                         f'webhook_public_key = "{public}"\n')
    store = NewsletterStore.from_settings(settings)
    _subscribe(store, "example@test.com", "blocked@test.com")
    return Client(PublicApp(settings, newsletter=NewsletterApp(settings, store=store))), store


def _signed(key, body: bytes, stamp: str | None = None) -> dict[str, str]:
    stamp = stamp or str(int(time.time()))
    sig = key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {"X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(sig).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
            "Content-Type": "application/json"}


def test_sendgrid_signed_events_through_the_public_app(sendgrid_app, sendgrid_key):
    client, store = sendgrid_app
    events = copy.deepcopy(examples.SENDGRID_EVENTS)
    events[4]["email"] = "blocked@test.com"
    body = json.dumps(events).encode()
    answer = client.post("/webhooks/sg", data=body, headers=_signed(sendgrid_key, body))
    assert answer.status_code == 200, answer.text
    subs = Subscribers(store)
    reader = subs.find("example@test.com")  # bounced, then reported spam: a complaint wins
    assert reader.state == State.COMPLAINED
    assert [e["event"] for e in subs.events(reader.id)][-2:] == ["bounce", "complaint"]
    blocked = subs.find("blocked@test.com")  # 'blocked' is a soft bounce
    assert blocked.state == State.CONFIRMED
    assert subs.events(blocked.id)[-1]["event"] == "soft-bounce"


def test_sendgrid_refuses_tampering_and_other_keys(sendgrid_app, sendgrid_key):
    client, store = sendgrid_app
    body = json.dumps(examples.SENDGRID_EVENTS).encode()
    headers = _signed(sendgrid_key, body)
    tampered = body.replace(b"example@test.com", b"blocked@test.com", 1)
    assert client.post("/webhooks/sg", data=tampered, headers=headers).status_code == 401
    other = ec.generate_private_key(ec.SECP256R1())
    assert client.post("/webhooks/sg", data=body,
                       headers=_signed(other, body)).status_code == 401
    old = _signed(sendgrid_key, body, str(int(time.time()) - 7200))
    assert client.post("/webhooks/sg", data=body, headers=old).status_code == 401
    assert client.post("/webhooks/sg", data=body).status_code == 401
    assert Subscribers(store).find("example@test.com").state == State.CONFIRMED


# -- SES through SNS ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sns_signer():
    """An RSA key and a certificate for it, as SNS's signing certificate."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .sign(key, hashes.SHA256()))
    return key, cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def sns_server(sns_signer, tmp_path):
    """A local https server (trustme CA) serving the certificate and the SubscribeURL."""
    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost").configure_cert(context)
    server = HTTPServer(host="localhost", ssl_context=context)
    server.start()
    _, pem = sns_signer
    server.expect_request(urlsplit(examples.CERT_URL).path).respond_with_data(
        pem, content_type="application/x-x509-ca-cert")
    server.expect_request("/", method="GET").respond_with_data("<ConfirmSubscriptionResponse/>")
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    fetched: list[str] = []

    def fetch(url: str) -> bytes:
        """Fetch an amazonaws URL from the local server over verified TLS."""
        fetched.append(url)
        parts = urlsplit(url)
        local = f"https://localhost:{server.port}{parts.path}" + \
            (f"?{parts.query}" if parts.query else "")
        response = requests.get(local, verify=str(ca_file), timeout=5, allow_redirects=False)
        response.raise_for_status()
        return response.content

    yield fetch, fetched
    server.clear()
    server.stop()


def _sns(key, message: dict, *, version: str = "1") -> dict:
    message = dict(message, SignatureVersion=version)
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
    message["Signature"] = base64.b64encode(key.sign(string_to_sign(message),
                                                     padding.PKCS1v15(), algorithm)).decode()
    return message


@pytest.fixture
def ses_app(make_settings, sns_server):
    from k2publisher.newsletter.feedback.webhooks import Webhooks

    fetch, fetched = sns_server
    settings = make_settings('[channels.ses]\ntype = "ses"\nregion = "us-west-2"\n'
                         'from = "editor@k2.example.org"\n'
                         f'sns_topic_arn = "{examples.TOPIC}"\n')
    store = NewsletterStore.from_settings(settings)
    _subscribe(store, "recipient@example.com")
    hooks = Webhooks(settings, store, sns_fetch=fetch)
    return Client(NewsletterApp(settings, store=store, webhooks=hooks)), store, hooks, fetched


def test_sns_confirmation_then_bounce_and_complaint(ses_app, sns_signer):
    client, store, hooks, fetched = ses_app
    key, _ = sns_signer
    answer = client.post("/webhooks/ses", data=json.dumps(_sns(key, examples.SNS_CONFIRMATION)),
                         content_type="text/plain; charset=UTF-8")
    assert answer.status_code == 200, answer.text
    assert any("ConfirmSubscription" in u for u in fetched)
    bounce = dict(examples.SNS_NOTIFICATION, Message=json.dumps(examples.SES_BOUNCE))
    answer = client.post("/webhooks/ses", data=json.dumps(_sns(key, bounce, version="2")))
    assert answer.status_code == 200, answer.text
    assert Subscribers(store).find("recipient@example.com").state == State.BOUNCED
    complaint = dict(examples.SNS_NOTIFICATION, Message=json.dumps(examples.SES_COMPLAINT),
                     MessageId="5e3d1c2b-0000-4000-8000-000000000001")
    assert client.post("/webhooks/ses", data=json.dumps(_sns(key, complaint))).status_code == 200
    assert Subscribers(store).find("recipient@example.com").state == State.COMPLAINED
    assert hooks.sns.fetched == 1  # the certificate was fetched once and cached


def test_sns_refuses_forgeries_foreign_topics_and_foreign_cert_hosts(ses_app, sns_signer):
    client, store, _, fetched = ses_app
    key, _ = sns_signer
    bounce = dict(examples.SNS_NOTIFICATION, Message=json.dumps(examples.SES_BOUNCE))
    signed = _sns(key, bounce)
    tampered = dict(signed, Message=signed["Message"].replace("recipient@", "other@"))
    assert client.post("/webhooks/ses", data=json.dumps(tampered)).status_code == 401
    foreign = _sns(key, dict(bounce, TopicArn="arn:aws:sns:us-west-2:999999999999:Evil"))
    assert client.post("/webhooks/ses", data=json.dumps(foreign)).status_code == 403
    for url in ("https://sns.us-west-2.amazonaws.com.evil.example/cert.pem",
                "http://sns.us-west-2.amazonaws.com/cert.pem",
                "https://evil.example/sns.us-west-2.amazonaws.com.pem"):
        before = len(fetched)
        evil = _sns(key, dict(bounce, SigningCertURL=url))
        assert client.post("/webhooks/ses", data=json.dumps(evil)).status_code == 403
        assert len(fetched) == before  # refused before anything was fetched
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert client.post("/webhooks/ses", data=json.dumps(_sns(other, bounce))).status_code == 401
    assert Subscribers(store).find("recipient@example.com").state == State.CONFIRMED
