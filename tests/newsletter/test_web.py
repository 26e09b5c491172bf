"""The public pages: double opt-in, tokens, one-click unsubscribe, abuse limits, escaping."""

from __future__ import annotations

import mailbox
import re
from datetime import timedelta
from email import policy
from email.parser import BytesParser

import pytest
import time_machine
from werkzeug.test import Client

from k2publisher.newsletter.store import NewsletterStore
from k2publisher.newsletter.subscribers import State, Subscribers
from k2publisher.newsletter.tokens import Tokens
from k2publisher.newsletter.web import NewsletterApp
from k2publisher.settings import Settings

CONFIRM_LINK = re.compile(r"https://k2\.example\.org(/confirm/[A-Za-z0-9_.\-]+)")


def inbox(settings: Settings) -> list:
    """Messages in the site's Maildir (the default newsletter channel), oldest first."""
    folder = settings.root / "outbox" / "maildir"
    if not folder.exists():
        return []
    box = mailbox.Maildir(folder, factory=None, create=False)
    msgs = [BytesParser(policy=policy.default).parsebytes(box.get_bytes(k))
            for k in box.iterkeys()]
    return sorted(msgs, key=lambda m: m["Date"].datetime)


def confirm_path(msg) -> str:
    """The /confirm/... path in a confirmation message's text part."""
    text = msg.get_body(preferencelist=("plain",)).get_content()
    found = CONFIRM_LINK.search(text)
    assert found, text
    return found.group(1)


def subscribe(client: Client, email: str, ip: str = "192.0.2.1", **extra: str):
    """POST the subscribe form as a browser would."""
    return client.post("/subscribe", data={"email": email, **extra},
                       environ_base={"REMOTE_ADDR": ip})


def state_of(settings: Settings, email: str) -> State | None:
    """The subscriber's state in the database."""
    sub = Subscribers(NewsletterStore.from_settings(settings)).find(email)
    return sub.state if sub else None


def test_double_opt_in_end_to_end(settings: Settings) -> None:
    client = Client(NewsletterApp(settings))
    form = client.get("/subscribe")
    assert form.status_code == 200 and 'name="email"' in form.text
    response = subscribe(client, "Reader@Example.ORG")
    assert response.status_code == 200 and "Check your inbox" in response.text
    assert state_of(settings, "reader@example.org") == State.PENDING
    [msg] = inbox(settings)
    assert msg["To"] == "reader@example.org"
    assert "Confirm" in msg["Subject"]
    page = client.get(confirm_path(msg))            # a link checker's GET confirms nothing
    assert page.status_code == 200 and "<button" in page.text
    assert f'action="{confirm_path(msg)}"' in page.text and 'method="post"' in page.text
    assert state_of(settings, "reader@example.org") == State.PENDING
    page = client.post(confirm_path(msg))
    assert page.status_code == 200 and "subscribed" in page.text
    assert state_of(settings, "reader@example.org") == State.CONFIRMED
    subs = Subscribers(NewsletterStore.from_settings(settings))
    events = [(e["event"], e["source"]) for e in subs.events(subs.find("reader@example.org").id)]
    assert events == [("subscribe", "web"), ("confirmation_sent", "web"), ("confirm", "web"),
                      ("welcome_sent", "web")]


def test_double_opt_in_through_a_real_waitress_server(settings: Settings) -> None:
    import threading

    import requests
    from waitress.server import create_server

    server = create_server(NewsletterApp(settings), host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.effective_port}"
    try:
        assert requests.post(f"{base}/subscribe", data={"email": "w@example.org"},
                             timeout=5).status_code == 200
        [msg] = inbox(settings)
        assert requests.get(base + confirm_path(msg), timeout=5).status_code == 200
        assert state_of(settings, "w@example.org") == State.PENDING
        assert requests.post(base + confirm_path(msg), timeout=5).status_code == 200
    finally:
        server.close()
    assert state_of(settings, "w@example.org") == State.CONFIRMED


def test_confirm_link_is_single_use_and_cannot_reconfirm_after_leaving(settings: Settings
                                                                      ) -> None:
    client = Client(NewsletterApp(settings))
    subscribe(client, "once@example.org")
    link = confirm_path(inbox(settings)[0])
    assert client.post(link).status_code == 200
    assert client.post(link).status_code == 400                    # single use
    subs = Subscribers(NewsletterStore.from_settings(settings))
    subs.unsubscribe(subs.find("once@example.org").id, "cli")
    again = client.get(link)
    assert again.status_code == 400 and "already used" in again.text
    assert state_of(settings, "once@example.org") == State.UNSUBSCRIBED


def test_confirm_link_expires(settings: Settings) -> None:
    with time_machine.travel("2026-03-01 10:00:00Z", tick=False) as traveller:
        client = Client(NewsletterApp(settings))
        subscribe(client, "late@example.org")
        link = confirm_path(inbox(settings)[0])
        traveller.shift(timedelta(days=3, seconds=1))
        response = client.get(link)
    assert response.status_code == 400 and "expired" in response.text
    assert state_of(settings, "late@example.org") == State.PENDING


def test_forged_and_cross_purpose_tokens_are_refused(settings: Settings) -> None:
    app = NewsletterApp(settings)
    client = Client(app)
    subscribe(client, "target@example.org")
    subs = Subscribers(app.store)
    sid = subs.find("target@example.org").id
    nonce = subs.confirm_nonce(sid)
    forged = Tokens("not-the-site-key-at-all-0123456789").confirm_token(sid, nonce)
    assert client.get(f"/confirm/{forged}").status_code == 400
    assert client.get("/confirm/guessing").status_code == 400
    confirm_token = confirm_path(inbox(settings)[0]).rsplit("/", 1)[1]
    as_unsub = client.post(f"/unsubscribe/{confirm_token}",
                           data={"List-Unsubscribe": "One-Click"})
    assert as_unsub.status_code == 400
    unsub_token = app.tokens.unsubscribe_token(sid)
    assert client.get(f"/confirm/{unsub_token}").status_code == 400
    assert state_of(settings, "target@example.org") == State.PENDING
    tampered = unsub_token[:-2] + ("AA" if not unsub_token.endswith("AA") else "BB")
    assert client.post(f"/unsubscribe/{tampered}",
                       data={"List-Unsubscribe": "One-Click"}).status_code == 400


def _confirmed(app: NewsletterApp, email: str) -> int:
    sub, _ = Subscribers(app.store).add(email, "cli", confirmed=True)
    return sub.id


def test_one_click_unsubscribe_urlencoded_as_a_mail_client_posts_it(settings: Settings) -> None:
    app = NewsletterApp(settings)
    sid = _confirmed(app, "gmail-user@example.org")
    token = app.tokens.unsubscribe_token(sid)
    response = Client(app).post(
        f"/unsubscribe/{token}", data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers and "Location" not in response.headers
    assert state_of(settings, "gmail-user@example.org") == State.UNSUBSCRIBED


def test_one_click_unsubscribe_multipart(settings: Settings) -> None:
    app = NewsletterApp(settings)
    sid = _confirmed(app, "multi@example.org")
    token = app.tokens.unsubscribe_token(sid)
    boundary = "----k2test"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\n"
            f"One-Click\r\n--{boundary}--\r\n")
    response = Client(app).post(f"/unsubscribe/{token}", data=body,
                                content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 200
    assert state_of(settings, "multi@example.org") == State.UNSUBSCRIBED


def test_get_unsubscribe_shows_a_button_and_changes_nothing(settings: Settings) -> None:
    app = NewsletterApp(settings)
    sid = _confirmed(app, "clicker@example.org")
    token = app.tokens.unsubscribe_token(sid)
    client = Client(app)
    page = client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200
    assert f'action="/unsubscribe/{token}"' in page.text and "<button" in page.text
    assert state_of(settings, "clicker@example.org") == State.CONFIRMED
    assert client.post(f"/unsubscribe/{token}", data={}).status_code == 400
    assert state_of(settings, "clicker@example.org") == State.CONFIRMED


def test_same_answer_whether_or_not_the_address_is_known(settings: Settings) -> None:
    app = NewsletterApp(settings)
    _confirmed(app, "member@example.org")
    client = Client(app)
    known = subscribe(client, "member@example.org", ip="192.0.2.10")
    unknown = subscribe(client, "stranger@example.org", ip="192.0.2.11")
    assert (known.status_code, known.text) == (unknown.status_code, unknown.text)
    assert [m["To"] for m in inbox(settings)] == ["stranger@example.org"]
    assert state_of(settings, "member@example.org") == State.CONFIRMED


def test_honeypot_filled_is_ignored_silently(settings: Settings) -> None:
    client = Client(NewsletterApp(settings))
    response = subscribe(client, "bot@example.org", website="http://spam.example")
    assert response.status_code == 200 and "Check your inbox" in response.text
    assert state_of(settings, "bot@example.org") is None
    assert inbox(settings) == []


def test_per_ip_limit_answers_429(configure) -> None:
    settings = configure("per_ip_per_hour = 3\n")
    client = Client(NewsletterApp(settings))
    codes = [subscribe(client, f"r{n}@example.org", ip="198.51.100.7").status_code
             for n in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    assert subscribe(client, "other@example.org", ip="198.51.100.8").status_code == 200


def test_per_address_limit_and_daily_cap_limit_confirmation_mails(configure) -> None:
    settings = configure("per_address_per_hour = 2\nconfirmations_per_day = 3\n")
    with time_machine.travel("2026-03-01 10:00:00Z", tick=False) as traveller:
        client = Client(NewsletterApp(settings))
        for n in range(4):  # 2 per hour get through, the rest answer the same page
            assert subscribe(client, "victim@example.org", ip=f"203.0.113.{n}"
                             ).status_code == 200
        assert len(inbox(settings)) == 2
        traveller.shift(timedelta(hours=2))
        for n in range(2):
            subscribe(client, "victim@example.org", ip=f"203.0.113.{10 + n}")
        assert len(inbox(settings)) == 3  # the daily cap
        traveller.shift(timedelta(days=1, hours=1))
        subscribe(client, "victim@example.org", ip="203.0.113.50")
        assert len(inbox(settings)) == 4


def test_invalid_address_is_refused_and_echoed_escaped(settings: Settings) -> None:
    client = Client(NewsletterApp(settings))
    response = subscribe(client, '"><script>alert(1)</script>')
    assert response.status_code == 400
    assert "<script>" not in response.text and "&lt;script&gt;" in response.text


def test_the_public_service_app_hands_the_routes_to_the_newsletter(settings: Settings) -> None:
    from k2publisher.service.web import make_app

    client = Client(make_app(settings))
    assert client.get("/subscribe").status_code == 200
    assert subscribe(client, "via-service@example.org").status_code == 200
    assert client.post(confirm_path(inbox(settings)[0])).status_code == 200
    assert state_of(settings, "via-service@example.org") == State.CONFIRMED
    subs = Subscribers(NewsletterStore.from_settings(settings))
    token = Tokens.from_settings(settings).unsubscribe_token(
        subs.find("via-service@example.org").id)
    response = client.post(f"/unsubscribe/{token}", data="List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert state_of(settings, "via-service@example.org") == State.UNSUBSCRIBED


def _subscribe_through_the_service(settings: Settings, forwarded: list[str]) -> list[int]:
    """POST /subscribe to the service's own waitress server, one X-Forwarded-For each."""
    import requests

    from k2publisher.service.web import Server, make_app

    server = Server(make_app(settings), host="127.0.0.1", port=0,
                    trusted_proxy=str(settings.section("server")["trusted_proxy"])).start()
    try:
        return [requests.post(f"{server.url}/subscribe", data={"email": f"f{n}@example.org"},
                              headers={"X-Forwarded-For": ip}, timeout=5).status_code
                for n, ip in enumerate(forwarded)]
    finally:
        server.stop()


def _evidence(settings: Settings, email: str) -> str:
    subs = Subscribers(NewsletterStore.from_settings(settings))
    return subs.events(subs.find(email).id)[0]["detail"]


def test_x_forwarded_for_is_ignored_unless_its_proxy_is_configured(configure) -> None:
    settings = configure("per_ip_per_hour = 2\n")
    forged = ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
    # a fresh forged address per request does not get around the per-IP limit
    assert _subscribe_through_the_service(settings, forged) == [200, 200, 429]
    assert _evidence(settings, "f0@example.org") == "form from 127.0.0.1"


def test_x_forwarded_for_from_the_configured_proxy_is_believed(configure) -> None:
    settings = configure('per_ip_per_hour = 2\n[server]\ntrusted_proxy = "127.0.0.1"\n')
    codes = _subscribe_through_the_service(settings, ["203.0.113.1", "203.0.113.2",
                                                      "203.0.113.3"])
    assert codes == [200, 200, 200]  # three readers behind nginx, one request each
    assert _evidence(settings, "f1@example.org") == "form from 203.0.113.2"


@pytest.mark.parametrize("suppressed", [State.BOUNCED, State.COMPLAINED])
def test_the_form_never_mails_a_suppressed_address(settings: Settings,
                                                   suppressed: State) -> None:
    subs = Subscribers(NewsletterStore.from_settings(settings))
    sub, _ = subs.add("gone@example.org", "cli", confirmed=True)
    subs.set_state(sub.id, suppressed, "bounce")
    response = subscribe(Client(NewsletterApp(settings)), "gone@example.org")
    assert response.status_code == 200 and "Check your inbox" in response.text  # same page
    assert state_of(settings, "gone@example.org") == suppressed and inbox(settings) == []
