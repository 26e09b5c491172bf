"""Mailgun, SendGrid and Postmark through local servers: the same contract for each."""

from __future__ import annotations

import pytest
from tests.newsletter.esp.fakes import FakeMailgun, FakePostmark, FakeSendGrid
from tests.newsletter.test_fanout import FAST, setup_issue

from k2publisher.errors import AuthDeliveryError, ConfigError, DeliveryConfigError
from k2publisher.newsletter.fanout import build_fanout
from k2publisher.newsletter.issues import Issues

KEY = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"


def _channel(kind: str, url: str, key: str = "${ESP_KEY}") -> str:
    common = f'from = "K2 Notes <editor@k2.example.org>"\napi_url = "{url}"\n'
    if kind == "postmark":
        return f'type = "postmark"\ntoken = "{key}"\n' + common
    if kind == "mailgun":
        return f'type = "mailgun"\napi_key = "{key}"\ndomain = "mg.k2.example.org"\n' + common
    return f'type = "sendgrid"\napi_key = "{key}"\n' + common


FAKES = {"postmark": (FakePostmark, "/email/batch", 500),
         "mailgun": (FakeMailgun, "/v3/mg.k2.example.org/messages", 1000),
         "sendgrid": (FakeSendGrid, "/v3/mail/send", 1000)}


@pytest.fixture(params=sorted(FAKES))
def provider(request, httpserver, esp_settings):
    cls, path, size = FAKES[request.param]
    fake = cls(token=KEY)
    httpserver.expect_request(path, method="POST").respond_with_handler(fake)
    url = httpserver.url_for("/").rstrip("/")
    settings = esp_settings(_channel(request.param, url), environ={"ESP_KEY": KEY})
    return request.param, fake, settings, size, url


def test_every_reader_once_with_their_own_one_click_link(provider) -> None:
    kind, fake, settings, size, _ = provider
    n = 2 * size + 17
    store = setup_issue(settings, n)
    summary = build_fanout(settings, store, "2026-11-25", connections=1, **FAST).run()
    assert summary.state == "done" and summary.counts["sent"] == n
    got = fake.per_recipient()
    assert len(got) == n and set(got.values()) == {1}
    assert max(fake.calls) <= size and len(fake.calls) == 3  # ceil(n / size) calls
    links = set()
    for copy in fake.accepted[:50]:
        url = copy.headers["List-Unsubscribe"].split(",")[0].strip().strip("<>")
        assert url.startswith("https://k2.example.org/unsubscribe/"), kind
        assert copy.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "mailto:" in copy.headers["List-Unsubscribe"]
        assert copy.headers["List-Id"]
        assert url in copy.text and url in copy.html and "%recipient" not in copy.text
        assert copy.subject == "K2 weekly: menaquinone-7"
        links.add(url)
    assert len(links) == 50  # one link per reader, never shared


def test_429_and_5xx_are_retried_and_nobody_gets_two(provider) -> None:
    _, fake, settings, _, _ = provider
    store = setup_issue(settings, 40)
    fake.throttle, fake.fail = 1, 1
    summary = build_fanout(settings, store, "2026-11-25", connections=1, **FAST).run()
    assert summary.state == "done" and summary.counts["sent"] == 40
    assert set(fake.per_recipient().values()) == {1} and len(fake.per_recipient()) == 40


def test_wrong_key_pauses_the_issue_fails_nobody_and_is_masked(provider, esp_settings):
    kind, fake, _, _, url = provider
    wrong = "wrong-key-9f8e7d6c5b4a39281706"
    settings = esp_settings(_channel(kind, url), environ={"ESP_KEY": wrong})
    store = setup_issue(settings, 9)
    with pytest.raises(AuthDeliveryError) as caught:
        build_fanout(settings, store, "2026-11-25", **FAST).run()
    assert wrong not in str(caught.value)
    counts = Issues(store).counts("2026-11-25")
    assert counts["pending"] == 9 and counts["failed"] == 0 and not fake.accepted


def test_mailgun_unknown_domain_is_a_config_error(httpserver, esp_settings):
    fake = FakeMailgun(token=KEY)
    httpserver.expect_request("/v3/mg.other.example/messages").respond_with_handler(fake)
    url = httpserver.url_for("/").rstrip("/")
    settings = esp_settings(_channel("mailgun", url).replace("mg.k2.example.org",
                                                             "mg.other.example"),
                            environ={"ESP_KEY": KEY})
    store = setup_issue(settings, 3)
    with pytest.raises(DeliveryConfigError, match="domain"):
        build_fanout(settings, store, "2026-11-25", **FAST).run()


def test_sendgrid_unverified_sender_is_a_config_error(httpserver, esp_settings):
    fake = FakeSendGrid(token=KEY, sender="other@k2.example.org")
    httpserver.expect_request("/v3/mail/send").respond_with_handler(fake)
    settings = esp_settings(_channel("sendgrid", httpserver.url_for("/").rstrip("/")),
                            environ={"ESP_KEY": KEY})
    store = setup_issue(settings, 3)
    with pytest.raises(DeliveryConfigError, match="Sender Identity"):
        build_fanout(settings, store, "2026-11-25", **FAST).run()


def test_publish_through_an_esp_channel_and_dry_run_masks_the_key(provider) -> None:
    """The ESP is also a channel: one copy of a rendering to `to`; its preview is masked."""
    from k2publisher.deliver.registry import load_channel
    from k2publisher.models import UNSUBSCRIBE_PLACEHOLDER, Part, Rendering

    _, fake, settings, _, _ = provider
    channel = load_channel("news", settings)
    text = f"Vitamin K2 and bone density.\n\nUnsubscribe: {UNSUBSCRIBE_PLACEHOLDER}\n"
    rendering = Rendering(item_id="vitamin-k2/dosage", channel="news", profile="email",
                          family="email", parts=(Part(text=text),), subject="K2 dosage",
                          text=text, html=f"<p>{text}</p>")
    shown = channel.describe(rendering, 0, None, "key")
    assert KEY not in shown and "K2 dosage" in shown
    receipt = channel.send_part(rendering, 0, None, "key")
    assert receipt.remote_id
    (copy,) = fake.accepted
    assert copy.to == "editor@k2.example.org" and copy.subject == "K2 dosage"
    assert copy.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.parametrize(("text", "why"), [
    ("Studies used 45 mg of menaquinone-7 a day.", "missing disclaimer NOT_MEDICAL_ADVICE"),
    ("Menaquinone-7 cures osteoporosis and reverses arterial calcification.",
     "claim C01-disease-cure (block)"),
])
def test_the_guard_runs_before_any_esp_call(provider, repo, text, why) -> None:
    """An ESP transport only sends what Pipeline.prepare approved: an issue whose stored
    text lost its disclaimers, or makes a disease claim, never reaches the provider."""
    import shutil

    from k2publisher.errors import GuardRefusal
    from k2publisher.newsletter.store import NewsletterStore
    from k2publisher.newsletter.subscribers import Subscribers

    _, fake, settings, _, _ = provider
    shutil.copytree(repo / "queue" / "vitamin-k2", settings.path("queue") / "vitamin-k2")
    store = NewsletterStore.from_settings(settings)
    Subscribers(store).add("ann@example.org", "cli", confirmed=True)
    Issues(store).create("bare", subject="Vitamin K2 dosage", html=f"<p>{text}</p>",
                         text=text, item_ids=["vitamin-k2/dosage"])
    with pytest.raises(GuardRefusal) as refused:
        build_fanout(settings, store, "bare").run()
    assert why in str(refused.value)
    assert fake.calls == [] and fake.accepted == []
    assert Issues(store).counts("bare")["sent"] == 0


def test_batch_size_lowers_the_copies_a_call_and_refuses_more_than_the_provider_takes(
        provider, esp_settings) -> None:
    kind, fake, _, size, url = provider
    settings = esp_settings(_channel(kind, url) + "batch_size = 7\n", environ={"ESP_KEY": KEY})
    store = setup_issue(settings, 30)
    summary = build_fanout(settings, store, "2026-11-25", connections=1, **FAST).run()
    assert summary.counts["sent"] == 30 and set(fake.per_recipient().values()) == {1}
    assert max(fake.calls) == 7 and len(fake.calls) == 5  # ceil(30 / 7)
    too_big = esp_settings(_channel(kind, url) + f"batch_size = {size + 1}\n",
                           environ={"ESP_KEY": KEY})
    with pytest.raises(ConfigError, match=f"batch_size = {size + 1}: {kind} takes 1 to {size}"):
        build_fanout(too_big, store, "2026-11-25")
