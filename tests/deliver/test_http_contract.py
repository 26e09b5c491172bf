"""One contract suite for every HTTP adapter, against a fake of each network on 127.0.0.1.

Each :class:`Case` says how the network is reached, what a correct request looks like and
how the network answers (success, its own 429 format, 401, malformed bodies). The same tests
then check requests, thread linkage, retries and backoff bounds, classification and masking.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from werkzeug import Response

from k2publisher.deliver.core import ChannelContext, idempotency_key, preview
from k2publisher.deliver.registry import load_channel
from k2publisher.errors import (
    AuthDeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
    UncertainDeliveryError,
)
from k2publisher.models import PartReceipt
from k2publisher.settings import Settings

from .conftest import (
    FIXED_NOW,
    POLICY,
    FakeNetwork,
    Seen,
    json_reply,
    synthetic_publication,
    thread_rendering,
)
from .conftest import unguarded_deliver as deliver

ITEM = "vitamin-k2/dosage"
RESET_IN = 7.0
TG_TOKEN = "123456789:AAH-secretTelegramToken_xyz"
DISCORD_PATH = "/api/webhooks/123456/discordSecretWebhookToken"
SLACK_PATH = "/services/T000/B000/slackSecretWebhookPart"


@dataclass
class Case:
    """How one network is configured, what it must receive and how it answers."""

    type_name: str
    options: Callable[[str], dict[str, Any]]
    send_path: str
    ok: Callable[[Seen, int], Response]
    check_request: Callable[[Seen, int, PartReceipt | None], None]
    rate_limited: Callable[[], Response]
    unauthorized: Callable[[], Response]
    check_path: str
    check_reply: Callable[[Seen, int], Response]
    secrets: tuple[str, ...]
    malformed: str = "permanent"  # what a 2xx with a non-JSON body is: retry | permanent | ok
    setup: Callable[[FakeNetwork], None] = field(default=lambda network: None)

    def __str__(self) -> str:
        return self.type_name


def _json_headers(seen: Seen) -> None:
    assert seen.method == "POST"
    assert seen.headers["Content-Type"].startswith("application/json")


# -- mastodon ---------------------------------------------------------------------------------

M_TOKEN = "mastodonSecretToken123"


def _mastodon_check(seen: Seen, index: int, previous: PartReceipt | None) -> None:
    _json_headers(seen)
    assert seen.headers["Authorization"] == f"Bearer {M_TOKEN}"
    assert seen.headers["Idempotency-Key"] == idempotency_key(ITEM, "mastodon", index)
    body = seen.json()
    assert body["status"] == thread_rendering("mastodon").parts[index].text
    assert body["visibility"] == "unlisted" and body["language"] == "en"
    if previous is None:
        assert "in_reply_to_id" not in body
    else:
        assert body["in_reply_to_id"] == previous.remote_id


MASTODON = Case(
    "mastodon",
    lambda base: {"instance": base, "token": M_TOKEN, "visibility": "unlisted",
                  "language": "en"},
    "/api/v1/statuses",
    lambda seen, n: json_reply({"id": f"1100{n}", "url": f"https://social.example/@k2/1100{n}",
                                "content": "<p>…</p>"}),
    _mastodon_check,
    lambda: json_reply({"error": "Too many requests"}, 429, {
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": (FIXED_NOW + timedelta(seconds=RESET_IN))
        .strftime("%Y-%m-%dT%H:%M:%S.%fZ")}),
    lambda: json_reply({"error": "The access token is invalid"}, 401),
    "/api/v1/accounts/verify_credentials",
    lambda seen, n: json_reply({"acct": "k2"}),
    (M_TOKEN,),
    malformed="retry",
)

# -- bluesky ----------------------------------------------------------------------------------

B_PASSWORD = "abcd-efgh-ijkl-mnop"
SESSION = {"accessJwt": "accessJwtSecret1", "refreshJwt": "refreshJwtSecret1",
           "did": "did:plc:k2notes", "handle": "k2.example"}


def _uri(n: int) -> str:
    return f"at://did:plc:k2notes/app.bsky.feed.post/3kpost{n}"


def _bluesky_check(seen: Seen, index: int, previous: PartReceipt | None) -> None:
    _json_headers(seen)
    assert seen.headers["Authorization"] == "Bearer accessJwtSecret1"
    body = seen.json()
    assert body["repo"] == "did:plc:k2notes" and body["collection"] == "app.bsky.feed.post"
    record = body["record"]
    assert record["$type"] == "app.bsky.feed.post"
    assert record["text"] == thread_rendering("bluesky").parts[index].text
    assert record["createdAt"].endswith("Z")
    assert datetime.fromisoformat(record["createdAt"].replace("Z", "+00:00")) == \
        FIXED_NOW.replace(microsecond=0)
    assert record["langs"] == ["en"]
    if index == 0:
        assert record["embed"]["$type"] == "app.bsky.embed.external"
        assert record["embed"]["external"]["uri"] == thread_rendering("bluesky").link
        assert {"title", "description"} <= set(record["embed"]["external"])
        facet = record["facets"][0]
        text = record["text"].encode()
        assert text[facet["index"]["byteStart"]:facet["index"]["byteEnd"]].decode() == \
            facet["features"][0]["uri"]
        assert "reply" not in record
    else:
        assert "embed" not in record
        assert record["reply"]["root"] == {"uri": _uri(0), "cid": "bafycid0"}
        assert record["reply"]["parent"] == {"uri": _uri(index - 1),
                                             "cid": f"bafycid{index - 1}"}
        assert previous is not None and previous.remote_id == _uri(index - 1)


def _bluesky_setup(network: FakeNetwork) -> None:
    network.route("/xrpc/com.atproto.server.createSession", lambda s, n: json_reply(SESSION))


BLUESKY = Case(
    "bluesky",
    lambda base: {"service": base, "handle": "k2.example", "password": B_PASSWORD,
                  "language": "en"},
    "/xrpc/com.atproto.repo.createRecord",
    lambda seen, n: json_reply({"uri": _uri(n), "cid": f"bafycid{n}"}),
    _bluesky_check,
    lambda: json_reply({"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}, 429, {
        "RateLimit-Limit": "5000", "RateLimit-Remaining": "0", "RateLimit-Policy": "5000;w=3600",
        "RateLimit-Reset": str(int(FIXED_NOW.timestamp() + RESET_IN))}),
    lambda: json_reply({"error": "InvalidToken", "message": "Token could not be verified"}, 401),
    "/xrpc/com.atproto.server.createSession",
    lambda seen, n: json_reply(SESSION),
    (B_PASSWORD, "accessJwtSecret1"),
    setup=_bluesky_setup,
)

# -- x ----------------------------------------------------------------------------------------

X_KEYS = {"api_key": "xApiKeySecret", "api_secret": "xApiSecretSecret",
          "access_token": "xAccessTokenSecret", "access_secret": "xAccessSecretSecret"}


def _x_check(seen: Seen, index: int, previous: PartReceipt | None) -> None:
    _json_headers(seen)
    auth = seen.headers["Authorization"]
    assert auth.startswith("OAuth ") and "oauth_signature=" in auth
    assert 'oauth_consumer_key="xApiKeySecret"' in auth and 'oauth_token="xAccessTokenSecret"' \
        in auth and 'oauth_signature_method="HMAC-SHA1"' in auth
    body = seen.json()
    assert body["text"] == thread_rendering("x").parts[index].text
    if previous is None:
        assert "reply" not in body
    else:
        assert body["reply"] == {"in_reply_to_tweet_id": previous.remote_id}


X = Case(
    "x",
    lambda base: {"api_base": base, **X_KEYS},
    "/2/tweets",
    lambda seen, n: json_reply({"data": {"id": f"18000{n}", "text": seen.json()["text"]}}, 201),
    _x_check,
    lambda: json_reply({"errors": [{"code": 88, "message": "Rate limit exceeded"}]}, 429, {
        "x-rate-limit-limit": "100", "x-rate-limit-remaining": "0",
        "x-rate-limit-reset": str(int(FIXED_NOW.timestamp() + RESET_IN))}),
    lambda: json_reply({"title": "Unauthorized", "type": "about:blank", "status": 401,
                        "detail": "Unauthorized"}, 401),
    "/2/users/me",
    lambda seen, n: json_reply({"data": {"id": "1", "username": "k2notes"}}),
    tuple(X_KEYS.values()),
)

# -- telegram ---------------------------------------------------------------------------------


def _telegram_check(seen: Seen, index: int, previous: PartReceipt | None) -> None:
    _json_headers(seen)
    assert "Authorization" not in seen.headers
    body = seen.json()
    assert body["chat_id"] == "@k2notes" and body["parse_mode"] == "HTML"
    assert body["text"] == thread_rendering("telegram").parts[index].text
    assert body["link_preview_options"] == {"is_disabled": index > 0}
    if previous is None:
        assert "reply_parameters" not in body
    else:
        assert body["reply_parameters"] == {"message_id": int(previous.remote_id)}


TELEGRAM = Case(
    "telegram",
    lambda base: {"api_base": base, "token": TG_TOKEN, "chat_id": "@k2notes"},
    f"/bot{TG_TOKEN}/sendMessage",
    lambda seen, n: json_reply({"ok": True, "result": {"message_id": 40 + n,
                                                       "chat": {"id": -100, "type": "channel"},
                                                       "text": seen.json()["text"]}}),
    _telegram_check,
    lambda: json_reply({"ok": False, "error_code": 429,
                        "description": f"Too Many Requests: retry after {int(RESET_IN)}",
                        "parameters": {"retry_after": int(RESET_IN)}}, 429),
    lambda: json_reply({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401),
    f"/bot{TG_TOKEN}/getMe",
    lambda seen, n: json_reply({"ok": True, "result": {"id": 1, "is_bot": True,
                                                       "username": "k2bot"}}),
    (TG_TOKEN,),
)

# -- discord ----------------------------------------------------------------------------------


def _discord_check(seen: Seen, index: int, previous: PartReceipt | None) -> None:
    _json_headers(seen)
    assert seen.query == {"wait": "true"}
    assert seen.json() == {"content": thread_rendering("discord").parts[index].text,
                           "allowed_mentions": {"parse": []}}


DISCORD = Case(
    "discord",
    lambda base: {"webhook_url": base + DISCORD_PATH},
    DISCORD_PATH,
    lambda seen, n: json_reply({"id": f"9000{n}", "channel_id": "42",
                                "content": seen.json()["content"]} if seen.method == "POST"
                               else {"name": "k2", "channel_id": "42"}),
    _discord_check,
    lambda: json_reply({"message": "You are being rate limited.", "retry_after": RESET_IN,
                        "global": False}, 429,
                       {"Retry-After": str(int(RESET_IN)), "X-RateLimit-Scope": "shared"}),
    lambda: json_reply({"message": "Invalid Webhook Token", "code": 50027}, 401),
    DISCORD_PATH,
    lambda seen, n: json_reply({"name": "k2", "channel_id": "42"}),
    ("discordSecretWebhookToken",),
)

# -- slack ------------------------------------------------------------------------------------


def _slack_check(seen: Seen, index: int, previous: PartReceipt | None) -> None:
    _json_headers(seen)
    assert seen.json() == {"text": thread_rendering("slack").parts[index].text}


SLACK = Case(
    "slack",
    lambda base: {"webhook_url": base + SLACK_PATH},
    SLACK_PATH,
    lambda seen, n: Response("ok" if seen.json() else "no_text",
                             status=200 if seen.json() else 400, content_type="text/plain"),
    _slack_check,
    lambda: Response("rate_limited", status=429, headers={"Retry-After": str(int(RESET_IN))},
                     content_type="text/plain"),
    lambda: Response("action_prohibited", status=403, content_type="text/plain"),
    SLACK_PATH,
    lambda seen, n: Response("no_text" if not seen.json() else "ok",
                             status=400 if not seen.json() else 200),
    ("slackSecretWebhookPart",),
    malformed="ok",
)

CASES = [MASTODON, BLUESKY, X, TELEGRAM, DISCORD, SLACK]


# -- helpers ----------------------------------------------------------------------------------

def make_channel(case: Case, base: str, context: ChannelContext, tmp_path: Any):
    """Build the channel through the registry, as the CLI does."""
    settings = Settings(data={"site": {"language": "en"}, "paths": {},
                              "channels": {case.type_name: {"type": case.type_name,
                                                            **case.options(base)}}},
                        root=tmp_path)
    context.settings = None  # the tests give every option explicitly
    return load_channel(case.type_name, settings, context)


def _secrets_absent(case: Case, *texts: str) -> None:
    for text in texts:
        for secret in case.secrets:
            assert secret not in text


@pytest.fixture(params=CASES, ids=str)
def case(request: pytest.FixtureRequest, network: FakeNetwork) -> Case:
    """Each network in turn, with its fake wired up."""
    c: Case = request.param
    c.setup(network)
    network.route(c.send_path, c.ok)
    if c.check_path != c.send_path:
        network.route(c.check_path, c.check_reply)
    return c


def _deliver(case: Case, network: FakeNetwork, context: ChannelContext, tmp_path: Any,
             sleeps: list[float], parts: int = 3):
    channel = make_channel(case, network.base, context, tmp_path)
    rendering = thread_rendering(case.type_name, parts=parts)
    return deliver(channel, rendering, sleep=sleeps.append, policy=POLICY)


# -- the contract -----------------------------------------------------------------------------

def test_thread_parts_are_sent_in_order_and_linked(case, network, context, tmp_path, sleeps):
    receipt = _deliver(case, network, context, tmp_path, sleeps)
    sent = network.to(case.send_path)
    assert len(sent) == 3 and len(receipt.parts) == 3 and sleeps == []
    previous = None
    for index, (seen, part) in enumerate(zip(sent, receipt.parts, strict=True)):
        case.check_request(seen, index, previous)
        assert part.index == index and part.remote_id
        previous = part
    assert len({p.remote_id for p in receipt.parts}) == 3


@pytest.mark.parametrize("failures", [(500,), (503, 500)])
def test_5xx_is_retried_with_bounded_full_jitter_backoff(case, network, context, tmp_path,
                                                         sleeps, failures):
    network.script(case.send_path, *(Response("<html>upstream error</html>", status=s)
                                     for s in failures))
    receipt = _deliver(case, network, context, tmp_path, sleeps, parts=1)
    assert len(network.to(case.send_path)) == len(failures) + 1
    assert receipt.parts[0].remote_id
    assert len(sleeps) == len(failures)
    for attempt, wait in enumerate(sleeps, start=1):
        assert 0.0 <= wait <= POLICY.backoff_ceiling(attempt)


def test_429_waits_as_long_as_the_network_says(case, network, context, tmp_path, sleeps):
    network.script(case.send_path, case.rate_limited())
    receipt = _deliver(case, network, context, tmp_path, sleeps, parts=1)
    assert receipt.parts[0].remote_id
    assert sleeps == [pytest.approx(RESET_IN, abs=0.01)]


def test_rate_limit_longer_than_max_wait_is_left_to_the_scheduler(case, network, context,
                                                                  tmp_path, sleeps):
    network.script(case.send_path, case.rate_limited())
    channel = make_channel(case, network.base, context, tmp_path)
    strict = replace(POLICY, max_wait=1.0)
    with pytest.raises(TransientDeliveryError) as info:
        deliver(channel, thread_rendering(case.type_name, parts=1), sleep=sleeps.append,
                policy=strict)
    assert info.value.retry_after == pytest.approx(RESET_IN, abs=0.01)
    assert sleeps == [] and len(network.to(case.send_path)) == 1


def test_5xx_until_attempts_run_out_is_transient(case, network, context, tmp_path, sleeps):
    network.script(case.send_path, *(Response("unavailable", status=503)
                                     for _ in range(POLICY.max_attempts)))
    with pytest.raises(TransientDeliveryError) as info:
        _deliver(case, network, context, tmp_path, sleeps, parts=1)
    assert info.value.status == 503 and info.value.item_id == ITEM
    assert len(network.to(case.send_path)) == POLICY.max_attempts
    assert len(sleeps) == POLICY.max_attempts - 1


@pytest.mark.parametrize("status", [502, 504])
def test_a_gateway_error_after_a_post_is_retried_only_with_an_idempotency_key(
        case, network, context, tmp_path, sleeps, status):
    """The proxy lost the network's answer: the post may exist (Bluesky 502 after create)."""
    network.script(case.send_path, Response("<html>bad gateway</html>", status=status))
    if case.type_name == "mastodon":  # the same key returns the same status: safe to repeat
        receipt = _deliver(case, network, context, tmp_path, sleeps, parts=1)
        assert receipt.parts[0].remote_id and len(network.to(case.send_path)) == 2
        return
    with pytest.raises(UncertainDeliveryError) as info:
        _deliver(case, network, context, tmp_path, sleeps, parts=1)
    assert info.value.status == status and "may exist" in str(info.value)
    assert len(network.to(case.send_path)) == 1 and sleeps == []


def test_401_is_an_auth_error_without_retry_and_masked(case, network, context, tmp_path,
                                                       sleeps, caplog):
    network.script(case.send_path, case.unauthorized())
    with caplog.at_level(logging.DEBUG, logger="k2publisher"), \
            pytest.raises(AuthDeliveryError) as info:
        _deliver(case, network, context, tmp_path, sleeps)
    assert len(network.to(case.send_path)) == 1 and sleeps == []
    assert "credentials" in str(info.value) and case.type_name in str(info.value)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("k2publisher")]
    assert any("outcome=failed" in m for m in ours), "the failure is logged"
    _secrets_absent(case, str(info.value), *ours)


def test_2xx_with_malformed_json(case, network, context, tmp_path, sleeps):
    network.script(case.send_path, Response("<html>not json", status=200,
                                            content_type="text/html"))
    if case.malformed == "retry":  # idempotent network: a retry cannot post twice
        receipt = _deliver(case, network, context, tmp_path, sleeps, parts=1)
        assert receipt.parts[0].remote_id and len(sleeps) == 1
    elif case.malformed == "ok":  # Slack's success body is plain text anyway
        receipt = _deliver(case, network, context, tmp_path, sleeps, parts=1)
        assert receipt.parts[0].remote_id and sleeps == []
    else:
        with pytest.raises(PermanentDeliveryError, match="may exist"):
            _deliver(case, network, context, tmp_path, sleeps, parts=1)
        assert sleeps == []
    assert len(network.to(case.send_path)) == (2 if case.malformed == "retry" else 1)


def test_connection_reset_is_retried_only_where_a_repeat_cannot_post_twice(
        case, network, context, tmp_path, sleeps, resetting_server, caplog):
    """A reset after the request went out: idempotent networks retry with the same key;
    elsewhere the post may exist, so the part is left for an editor (never posted twice)."""
    options = case.options(resetting_server)
    base = resetting_server
    if case.type_name == "bluesky":  # log in on the working server, post to the broken one
        channel = make_channel(case, network.base, context, tmp_path)
        channel._login()
        channel.options["service"] = base
    else:
        channel = make_channel(case, base, context, tmp_path)
        assert channel.options == {"type": case.type_name, **options}
    idempotent = type(channel).idempotent
    expected = TransientDeliveryError if idempotent else UncertainDeliveryError
    with caplog.at_level(logging.INFO, logger="k2publisher"), \
            pytest.raises(expected, match="connection failed") as info:
        deliver(channel, thread_rendering(case.type_name, parts=1), sleep=sleeps.append,
                policy=POLICY)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("k2publisher")]
    if idempotent:
        assert len(sleeps) == POLICY.max_attempts - 1
        assert all(0 <= w <= POLICY.backoff_ceiling(i) for i, w in enumerate(sleeps, 1))
        assert sum("outcome=retry" in m for m in ours) == POLICY.max_attempts - 1
    else:
        assert sleeps == [] and "the post may exist" in str(info.value)
    _secrets_absent(case, *ours)


def test_read_timeout_retries_only_where_a_repeat_cannot_post_twice(case, network, context,
                                                                     tmp_path, sleeps):
    """Idempotent networks retry; elsewhere the post may exist, so a person checks first."""
    fast = replace(POLICY, max_attempts=2, timeout=0.15)

    def slow(seen: Seen, n: int) -> Response:
        time.sleep(fast.timeout + 0.3)
        return case.ok(seen, n)

    network.script(case.send_path, *([slow] * fast.max_attempts))
    context.policy = fast
    channel = make_channel(case, network.base, context, tmp_path)
    expected = TransientDeliveryError if channel.idempotent else PermanentDeliveryError
    with pytest.raises(expected, match="read timeout") as info:
        deliver(channel, thread_rendering(case.type_name, parts=1), sleep=sleeps.append,
                policy=fast)
    attempts = fast.max_attempts if channel.idempotent else 1
    assert len(network.to(case.send_path)) == attempts and len(sleeps) == attempts - 1
    if not channel.idempotent:
        assert "may exist" in str(info.value)
    _secrets_absent(case, str(info.value))


def test_check_makes_a_harmless_call(case, network, context, tmp_path):
    channel = make_channel(case, network.base, context, tmp_path)
    said = channel.check()
    assert said and len(network.to(case.check_path)) == 1
    assert not network.to(case.send_path) or case.check_path == case.send_path
    _secrets_absent(case, said)


def test_check_reports_bad_credentials(case, network, context, tmp_path):
    network.script(case.check_path, case.unauthorized())
    channel = make_channel(case, network.base, context, tmp_path)
    with pytest.raises(AuthDeliveryError) as info:
        channel.check()
    _secrets_absent(case, str(info.value))


def test_dry_run_preview_shows_requests_masked_and_sends_nothing(case, network, context,
                                                                 tmp_path):
    channel = make_channel(case, network.base, context, tmp_path)
    publication = synthetic_publication(channel, thread_rendering(case.type_name))
    texts = preview(publication)
    assert publication.item_ids == (ITEM,) and len(texts) == 3
    assert all(t.startswith("POST ") for t in texts)
    assert thread_rendering(case.type_name).parts[1].text in texts[1]
    assert network.seen == []
    _secrets_absent(case, *texts)
