"""The welcome mail on confirmation, and the resend-confirmation path."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from test_web import confirm_path, inbox, state_of, subscribe
from werkzeug.test import Client

from k2publisher.guard.check import check
from k2publisher.guard.disclaimers import DisclaimerRules
from k2publisher.newsletter.issues import Issues
from k2publisher.newsletter.store import NewsletterStore
from k2publisher.newsletter.subscribers import State
from k2publisher.newsletter.web import NewsletterApp
from k2publisher.settings import Settings

REPO = Path(__file__).resolve().parents[2]
QUEUE = f'[paths]\nqueue = "{REPO / "queue"}"\n'


def _join(client: Client, settings: Settings, email: str) -> list:
    """Subscribe and confirm ``email``: its mails, the confirmation first."""
    subscribe(client, email)
    [confirmation] = [m for m in inbox(settings) if m["To"] == email]
    client.post(confirm_path(confirmation))
    return sorted((m for m in inbox(settings) if m["To"] == email),
                  key=lambda m: "Confirm" not in m["Subject"])


def _text(msg) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()


def _html(msg) -> str:
    return msg.get_body(preferencelist=("html",)).get_content()


def test_welcome_carries_the_latest_issue_with_real_list_headers(configure) -> None:
    settings = configure_with_queue(configure, "")
    store = NewsletterStore.from_settings(settings)
    Issues(store).create("2026-11-30", subject="Older", html="<p>x</p>", text="x",
                         item_ids=["vitamin-k2/side-effects"])
    Issues(store).create("2026-12-01", subject="Newest", html="<p>x</p>", text="x",
                         item_ids=["vitamin-k2/dosage"])
    client = Client(NewsletterApp(settings))
    confirmation, welcome = _join(client, settings, "new@example.org")
    assert "Confirm" in confirmation["Subject"]
    assert welcome["Subject"] == "Welcome to K2 Notes" and welcome["To"] == "new@example.org"
    assert "your subscription is confirmed" in _text(welcome)
    assert "Vitamin K2 dosage" in _text(welcome) or "dosage" in _text(welcome).lower()
    assert "side-effects" not in _html(welcome)                 # the newest issue only
    assert welcome["List-Id"] and "newsletter.k2.example.org" in welcome["List-Id"]
    unsubscribe = welcome["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://k2.example.org/unsubscribe/")
    assert welcome["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert welcome["Message-ID"].endswith("@k2.example.org>")
    url = unsubscribe.split(">")[0][1:]
    assert url in _text(welcome) and url in _html(welcome)     # the reader's own link
    assert "%%UNSUBSCRIBE_URL%%" not in _text(welcome) + _html(welcome)
    # the mail that left passes the guard as it is
    from k2publisher.content.queue import Queue
    from k2publisher.models import Rendering

    queue = Queue(REPO / "queue")
    rendering = Rendering(item_id="welcome", channel="email", profile="email", family="email",
                          parts=(), subject=welcome["Subject"], html=_html(welcome),
                          text=_text(welcome))
    verdict = check(rendering, [queue.get("vitamin-k2/dosage")], DisclaimerRules.load())
    assert verdict.ok, verdict.problems


def configure_with_queue(configure: Callable[[str], Settings], extra: str) -> Settings:
    """Settings reading the repository's queue, with extra ``[newsletter]`` lines."""
    settings = configure(extra)
    config = settings.config_path
    assert config is not None
    config.write_text(config.read_text(encoding="utf-8") + QUEUE, encoding="utf-8")
    from k2publisher.settings import load_settings

    return load_settings(config, environ={})


def test_welcome_can_show_a_chosen_item(configure) -> None:
    settings = configure_with_queue(configure, 'welcome = "vitamin-k2/side-effects"\n')
    client = Client(NewsletterApp(settings))
    _, welcome = _join(client, settings, "chosen@example.org")
    assert "archive/vitamin-k2/side-effects/" in _html(welcome)


def test_welcome_with_nothing_published_yet_is_a_greeting(configure) -> None:
    settings = configure_with_queue(configure, "")
    client = Client(NewsletterApp(settings))
    _, welcome = _join(client, settings, "early@example.org")
    assert "next issue will arrive" in _text(welcome)


def test_no_welcome_when_turned_off(configure) -> None:
    settings = configure_with_queue(configure, 'welcome = ""\n')
    client = Client(NewsletterApp(settings))
    assert len(_join(client, settings, "quiet@example.org")) == 1
    assert state_of(settings, "quiet@example.org") == State.CONFIRMED


def test_a_welcome_the_guard_refuses_is_not_sent_and_the_confirmation_stands(
        configure, caplog) -> None:
    settings = configure_with_queue(configure, 'welcome = "vitamin-k2/refused"\n')
    bad = settings.path("queue")
    site_queue = settings.root / "queue"
    (site_queue / "vitamin-k2").mkdir(parents=True)
    (site_queue / "vitamin-k2" / "refused.md").write_text(
        "---\nid: vitamin-k2/refused\nkind: supplement_section\nsupplement: Vitamin K2\n"
        "title: K2 and cancer\nsummary: K2 cures cancer.\ntags: [vitamin-k2]\n"
        "evidence: [review]\nstatus: ready\n---\n\nVitamin K2 cures cancer and kills "
        "tumours in every patient.\n", encoding="utf-8")
    config = settings.config_path
    assert config is not None and bad != site_queue
    config.write_text(config.read_text(encoding="utf-8").replace(QUEUE, ""), encoding="utf-8")
    from k2publisher.settings import load_settings

    settings = load_settings(config, environ={})
    client = Client(NewsletterApp(settings))
    with caplog.at_level(logging.ERROR, "k2publisher.newsletter.welcome"):
        sent = _join(client, settings, "guarded@example.org")
    assert len(sent) == 1                                   # the confirmation only
    assert state_of(settings, "guarded@example.org") == State.CONFIRMED
    [refusal] = [r.getMessage() for r in caplog.records if "welcome mail" in r.getMessage()]
    assert "not sent" in refusal and "claim" in refusal      # the guard said no, not a lookup


def test_resend_confirmation_mails_pending_addresses_within_the_daily_cap(configure) -> None:
    settings = configure("per_address_per_hour = 10\nconfirmations_per_day = 2\n")
    client = Client(NewsletterApp(settings))
    form = client.get("/resend-confirmation")
    assert form.status_code == 200 and 'action="/resend-confirmation"' in form.text
    subscribe(client, "slow@example.org")
    answers = [client.post("/resend-confirmation", data={"email": "slow@example.org"},
                           environ_base={"REMOTE_ADDR": "192.0.2.9"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert len(inbox(settings)) == 2                        # the cap: 2 a day, resends count
    same = {a.text for a in answers}
    unknown = client.post("/resend-confirmation", data={"email": "nobody@example.org"})
    assert unknown.text in same and len(inbox(settings)) == 2     # no membership oracle
    client.post(confirm_path(inbox(settings)[0]))
    assert state_of(settings, "slow@example.org") == State.CONFIRMED
    client.post("/resend-confirmation", data={"email": "slow@example.org"})
    assert all("Confirm" in m["Subject"] or "Welcome" in m["Subject"]
               for m in inbox(settings))
    assert sum("Confirm" in m["Subject"] for m in inbox(settings)) == 2


def test_an_expired_link_offers_a_new_one(settings: Settings) -> None:
    client = Client(NewsletterApp(settings))
    page = client.get("/confirm/not-a-token")
    assert page.status_code == 400 and 'href="/resend-confirmation"' in page.text


def test_the_preview_unsubscribe_link_explains_itself(settings: Settings) -> None:
    page = Client(NewsletterApp(settings)).get("/unsubscribe/preview")
    assert page.status_code == 200 and "preview" in page.text


def test_a_preview_message_has_the_headers_of_a_fan_out_copy(settings: Settings) -> None:
    from email import policy
    from email.parser import BytesParser

    from k2publisher.content.queue import Queue
    from k2publisher.guard.disclaimers import DisclaimerRules
    from k2publisher.newsletter.message import Identity, IssueTemplate, sample_message
    from k2publisher.render.renderer import Renderer

    rules = DisclaimerRules.from_settings(settings)
    item = Queue(REPO / "queue").get("vitamin-k2/dosage")
    rendering = Renderer(settings, rules).render_issue([item])
    preview = BytesParser(policy=policy.default).parsebytes(sample_message(settings, rendering))
    sent = BytesParser(policy=policy.default).parsebytes(
        IssueTemplate.from_rendering("2026-12-01", rendering,
                                     Identity.from_settings(settings)).render(
            7, "a@example.org", "https://k2.example.org/unsubscribe/tok"))
    assert sorted(preview.keys()) == sorted(sent.keys())
    assert preview["List-Id"] == sent["List-Id"] and preview["From"] == sent["From"]
    assert preview["Message-ID"].split("@")[1] == sent["Message-ID"].split("@")[1]
