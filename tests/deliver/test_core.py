"""The delivery core on its own: keys, rate-limit header formats, backoff, the recorder, the
registry, and the network-specific answers the contract suite does not cover."""

from __future__ import annotations

import random
from datetime import timedelta
from email.utils import format_datetime
from typing import Any

import pytest
import requests
from werkzeug import Response

from k2publisher.abc import Channel
from k2publisher.deliver.core import (
    ChannelContext,
    RetryPolicy,
    idempotency_key,
    send_with_retries,
)
from k2publisher.deliver.core import deliver as deliver_core
from k2publisher.deliver.http import HttpClient, mask_headers, retry_after
from k2publisher.deliver.registry import channel_types, load_channel, masked_options
from k2publisher.errors import (
    AuthDeliveryError,
    ChannelFaultError,
    PermanentDeliveryError,
    TransientDeliveryError,
    UncertainDeliveryError,
)
from k2publisher.models import PartReceipt
from k2publisher.settings import Settings

from .conftest import FIXED_NOW, POLICY, json_reply, thread_rendering
from .conftest import unguarded_deliver as deliver

# -- idempotency keys and backoff --------------------------------------------------------------


def test_idempotency_key_is_stable_and_distinct():
    key = idempotency_key("vitamin-k2/dosage", "mastodon", 0)
    assert key == idempotency_key("vitamin-k2/dosage", "mastodon", 0)
    assert len(key) == 64 and int(key, 16) >= 0
    others = {idempotency_key("vitamin-k2/dosage", "mastodon", 1),
              idempotency_key("vitamin-k2/dosage", "bluesky", 0),
              idempotency_key("vitamin-k2/dosag", "emastodon", 0)}
    assert key not in others and len(others) == 3


def test_full_jitter_backoff_stays_within_the_doubling_ceiling():
    policy = RetryPolicy(backoff_base=1.0, backoff_max=8.0)
    rng = random.Random(7)
    for attempt in range(1, 8):
        ceiling = min(8.0, 2.0 ** (attempt - 1))
        assert policy.backoff_ceiling(attempt) == ceiling
        waits = [policy.backoff(attempt, rng) for _ in range(200)]
        assert all(0 <= w <= ceiling for w in waits)
        assert max(waits) > ceiling * 0.8, "full jitter spreads over the whole range"


def test_send_with_retries_gives_up_after_max_attempts():
    calls: list[int] = []
    sleeps: list[float] = []

    def send() -> None:
        calls.append(1)
        raise TransientDeliveryError("down")

    with pytest.raises(TransientDeliveryError):
        send_with_retries(send, policy=RetryPolicy(max_attempts=4), sleep=sleeps.append)
    assert len(calls) == 4 and len(sleeps) == 3


def test_permanent_errors_are_not_retried():
    calls: list[int] = []

    def send() -> None:
        calls.append(1)
        raise PermanentDeliveryError("422 Validation failed")

    with pytest.raises(PermanentDeliveryError):
        send_with_retries(send, policy=POLICY, sleep=pytest.fail)
    assert calls == [1]


# -- rate-limit headers, each network's format ----------------------------------------------


def _response(status: int, headers: dict[str, str], body: bytes = b"") -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r.headers.update(headers)
    r._content = body
    return r


@pytest.mark.parametrize(("headers", "body"), [
    ({"X-RateLimit-Reset": (FIXED_NOW + timedelta(seconds=42)).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ")}, b""),                                      # Mastodon ISO-8601
    ({"RateLimit-Reset": str(int(FIXED_NOW.timestamp()) + 42)}, b""),       # Bluesky epoch
    ({"x-rate-limit-reset": str(int(FIXED_NOW.timestamp()) + 42)}, b""),    # X epoch
    ({}, b'{"ok":false,"error_code":429,"parameters":{"retry_after":42}}'),  # Telegram
    ({"Retry-After": "42"}, b'{"retry_after": 42.0, "global": false}'),     # Discord
    ({}, b'{"message": "rate limited", "retry_after": 42.0}'),              # Discord body only
    ({"Retry-After": "42"}, b"rate_limited"),                               # Slack
    ({"Retry-After": format_datetime(FIXED_NOW + timedelta(seconds=42), usegmt=True)}, b""),
    ({"X-RateLimit-Reset-After": "42.000"}, b""),                           # Discord bucket
])
def test_retry_after_reads_every_networks_format(headers, body):
    assert retry_after(_response(429, headers, body), FIXED_NOW) == pytest.approx(42, abs=0.01)


def test_retry_after_is_none_when_the_network_does_not_say():
    assert retry_after(_response(429, {}, b"slow down"), FIXED_NOW) is None
    past = (FIXED_NOW - timedelta(seconds=5)).isoformat()
    assert retry_after(_response(429, {"X-RateLimit-Reset": past}), FIXED_NOW) == 0


def test_mask_headers_hides_credentials():
    shown = mask_headers({"Authorization": "Bearer abc.def", "Idempotency-Key": "k1",
                          "X-Other": "has secretValue inside"}, ["secretValue"])
    assert shown == {"Authorization": "Bearer ****", "Idempotency-Key": "k1",
                     "X-Other": "has **** inside"}


# -- the recorder ---------------------------------------------------------------------------


class MemoryRecorder:
    """Implements abc.Recorder in memory, logging every call in order."""

    def __init__(self, done: dict[int, PartReceipt] | None = None):
        self.done = dict(done or {})
        self.calls: list[tuple[Any, ...]] = []

    def already_sent(self, item_id: str, channel: str, index: int) -> PartReceipt | None:
        return self.done.get(index)

    def sending(self, item_id: str, channel: str, index: int, key: str, *,
                idempotent: bool = False) -> None:
        self.calls.append(("sending", index, key))

    def sent(self, item_id: str, channel: str, index: int, receipt: PartReceipt) -> None:
        self.calls.append(("sent", index, receipt.remote_id))

    def failed(self, item_id: str, channel: str, index: int, error: Exception,
               transient: bool) -> None:
        self.calls.append(("failed", index, transient))


class ScriptedChannel(Channel):
    """A channel whose send_part follows a script of results and errors."""

    type_name = "scripted"
    profile = "mastodon"
    supports_threads = True

    def __init__(self, script: list[Any]):
        super().__init__("scripted", {})
        self.script = script
        self.seen: list[tuple[int, str | None, str]] = []

    def send_part(self, rendering, index, previous, idempotency_key):
        self.seen.append((index, previous.remote_id if previous else None, idempotency_key))
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return PartReceipt(index=index, remote_id=step)


def test_parts_already_sent_are_skipped_and_linked_from():
    recorder = MemoryRecorder({0: PartReceipt(0, "old-0", "https://x/old-0")})
    channel = ScriptedChannel(["new-1", "new-2"])
    receipt = deliver(channel, thread_rendering("scripted"), recorder=recorder,
                      sleep=pytest.fail)
    assert [p.remote_id for p in receipt.parts] == ["old-0", "new-1", "new-2"]
    assert channel.seen[0][:2] == (1, "old-0")
    key1 = idempotency_key("vitamin-k2/dosage", "scripted", 1)
    assert recorder.calls == [("sending", 1, key1), ("sent", 1, "new-1"),
                              ("sending", 2, idempotency_key("vitamin-k2/dosage", "scripted", 2)),
                              ("sent", 2, "new-2")]


def test_a_retry_reuses_the_same_idempotency_key_and_failure_is_recorded():
    recorder = MemoryRecorder()
    channel = ScriptedChannel([TransientDeliveryError("502"), "id-0",
                               PermanentDeliveryError("422 too long", channel="scripted")])
    sleeps: list[float] = []
    with pytest.raises(PermanentDeliveryError) as info:
        deliver(channel, thread_rendering("scripted"), recorder=recorder, sleep=sleeps.append,
                policy=POLICY)
    assert channel.seen[0][2] == channel.seen[1][2]  # same key on the retry
    assert recorder.calls[-1] == ("failed", 1, False)
    assert len(sleeps) == 1
    assert "item vitamin-k2/dosage" in str(info.value) and "part 2 of 3" in str(info.value)
    assert info.value.item_id == "vitamin-k2/dosage"


# -- registry -----------------------------------------------------------------------------


def test_every_builtin_is_registered_by_entry_point_with_the_issue_setting_names():
    types = channel_types()
    expected = {
        "smtp": {"host", "port", "security", "username", "password", "from"},
        "mastodon": {"instance", "token", "visibility", "language"},
        "bluesky": {"service", "handle", "password"},
        "x": {"api_base", "api_key", "api_secret", "access_token", "access_secret"},
        "telegram": {"api_base", "token", "chat_id"},
        "discord": {"webhook_url"}, "slack": {"webhook_url"},
        "maildir": {"path"}, "file": {"path"}, "rss": {"path"},
    }
    for name, settings in expected.items():
        cls = types[name]
        assert cls.type_name == name
        assert settings <= set(cls.required_settings) | set(cls.optional_settings), name
        assert cls.__module__ == f"k2publisher.deliver.adapters.{name}"


def test_masked_options_hide_declared_and_usual_secrets():
    cls = channel_types()["x"]
    shown = masked_options({"api_base": "https://api.x.com", "api_key": "k", "api_secret": "s",
                            "access_token": "t", "access_secret": "a"}, cls)
    assert shown == {"api_base": "https://api.x.com", "api_key": "****",
                     "api_secret": "****", "access_token": "****", "access_secret": "****"}


def test_unknown_type_is_named(tmp_path):
    settings = Settings(data={"channels": {"c": {"type": "myspace"}}}, root=tmp_path)
    with pytest.raises(LookupError, match="unknown channel type 'myspace'; installed: "):
        load_channel("c", settings)


# -- network specifics ----------------------------------------------------------------------


def _channel(type_name: str, options: dict[str, Any], tmp_path):
    settings = Settings(data={"channels": {type_name: {"type": type_name, **options}}},
                        root=tmp_path)
    return load_channel(type_name, settings,
                        ChannelContext(policy=POLICY, clock=lambda: FIXED_NOW))


def test_bluesky_refreshes_an_expired_session_and_retries_once(network, tmp_path):
    sessions = iter([{"accessJwt": "access-1", "refreshJwt": "refresh-1", "did": "did:plc:a",
                      "handle": "a.example"}])
    network.route("/xrpc/com.atproto.server.createSession",
                  lambda s, n: json_reply(next(sessions)))
    network.route("/xrpc/com.atproto.server.refreshSession",
                  lambda s, n: json_reply({"accessJwt": "access-2", "refreshJwt": "refresh-2",
                                           "did": "did:plc:a", "handle": "a.example"}))
    network.route("/xrpc/com.atproto.repo.createRecord",
                  lambda s, n: json_reply({"uri": f"at://did:plc:a/app.bsky.feed.post/r{n}",
                                           "cid": f"c{n}"}))
    network.script("/xrpc/com.atproto.repo.createRecord",
                   json_reply({"error": "ExpiredToken", "message": "Token has expired"}, 400))
    channel = _channel("bluesky", {"service": network.base, "handle": "a.example",
                                   "password": "app-pass-word"}, tmp_path)
    receipt = deliver(channel, thread_rendering("bluesky", parts=1), sleep=pytest.fail)
    posts = network.to("/xrpc/com.atproto.repo.createRecord")
    assert [p.headers["Authorization"] for p in posts] == ["Bearer access-1", "Bearer access-2"]
    refresh = network.to("/xrpc/com.atproto.server.refreshSession")
    assert refresh[0].headers["Authorization"] == "Bearer refresh-1"
    assert receipt.parts[0].url == "https://bsky.app/profile/a.example/post/r1"


def test_bluesky_resumes_a_thread_by_reading_the_parent_back(network, tmp_path):
    """After a crash the cid of the last sent post is unknown: getRecord supplies it."""
    network.route("/xrpc/com.atproto.server.createSession", lambda s, n: json_reply(
        {"accessJwt": "acc", "refreshJwt": "ref", "did": "did:plc:a", "handle": "a.example"}))
    root = {"uri": "at://did:plc:a/app.bsky.feed.post/r0", "cid": "c0"}
    network.route("/xrpc/com.atproto.repo.getRecord", lambda s, n: json_reply(
        {"uri": "at://did:plc:a/app.bsky.feed.post/r1", "cid": "c1",
         "value": {"text": "two", "reply": {"root": root, "parent": root}}}))
    network.route("/xrpc/com.atproto.repo.createRecord", lambda s, n: json_reply(
        {"uri": "at://did:plc:a/app.bsky.feed.post/r2", "cid": "c2"}))
    channel = _channel("bluesky", {"service": network.base, "handle": "a.example",
                                   "password": "app-pass-word"}, tmp_path)
    recorder = MemoryRecorder({0: PartReceipt(0, root["uri"]),
                               1: PartReceipt(1, "at://did:plc:a/app.bsky.feed.post/r1")})
    deliver(channel, thread_rendering("bluesky"), recorder=recorder, sleep=pytest.fail)
    (lookup,) = network.to("/xrpc/com.atproto.repo.getRecord")
    assert lookup.query == {"repo": "did:plc:a", "collection": "app.bsky.feed.post",
                            "rkey": "r1"}
    (post,) = network.to("/xrpc/com.atproto.repo.createRecord")
    assert post.json()["record"]["reply"] == {
        "root": root, "parent": {"uri": "at://did:plc:a/app.bsky.feed.post/r1", "cid": "c1"}}


def test_x_duplicate_content_is_permanent_not_an_auth_problem(network, tmp_path):
    network.route("/2/tweets", lambda s, n: json_reply({
        "detail": "You are not allowed to create a Tweet with duplicate content.",
        "type": "about:blank", "title": "Forbidden", "status": 403}, 403))
    channel = _channel("x", {"api_base": network.base, "api_key": "kkkk", "api_secret": "ssss",
                             "access_token": "tttt", "access_secret": "aaaa"}, tmp_path)
    with pytest.raises(PermanentDeliveryError, match="duplicate") as info:
        deliver(channel, thread_rendering("x", parts=1), sleep=pytest.fail)
    assert not isinstance(info.value, AuthDeliveryError)


def test_telegram_ok_false_envelope_is_classified_by_error_code(network, tmp_path):
    token = "42:tokenTokenToken"
    network.route(f"/bot{token}/sendMessage", lambda s, n: json_reply(
        {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}, 400))
    channel = _channel("telegram", {"api_base": network.base, "token": token,
                                    "chat_id": "-1001"}, tmp_path)
    with pytest.raises(PermanentDeliveryError, match="chat not found") as info:
        deliver(channel, thread_rendering("telegram", parts=1), sleep=pytest.fail)
    assert info.value.status == 400 and token not in str(info.value)


def test_http_client_sends_every_request_with_a_timeout(network):
    seen: list[Any] = []

    class Spy(requests.Session):
        def request(self, method, url, **kwargs):  # type: ignore[override]
            seen.append(kwargs.get("timeout"))
            return super().request(method, url, **kwargs)

    network.route("/ping", lambda s, n: Response("pong"))
    client = HttpClient("t", session=Spy())
    assert client.request("GET", network.base + "/ping").text == "pong"
    assert seen == [(10.0, 30.0)]


def test_a_5xx_ignores_the_window_reset_headers_every_answer_carries(network, tmp_path):
    """Mastodon sends X-RateLimit-Reset (window end) on every answer: not a wait request."""
    far = (FIXED_NOW + timedelta(minutes=4)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    network.route("/api/v1/statuses", lambda s, n: json_reply({"id": "1", "url": "u"}))
    network.script("/api/v1/statuses", json_reply({"error": "oops"}, 500,
                                                  {"X-RateLimit-Reset": far}))
    channel = _channel("mastodon", {"instance": network.base, "token": "tttt"}, tmp_path)
    sleeps: list[float] = []
    deliver(channel, thread_rendering("mastodon", parts=1), sleep=sleeps.append, policy=POLICY)
    assert len(sleeps) == 1 and sleeps[0] <= POLICY.backoff_ceiling(1)
    response = _response(503, {"Retry-After": "12", "X-RateLimit-Reset": far})
    assert retry_after(response, FIXED_NOW, resets=False) == 12


def _refused() -> requests.ConnectionError:
    from urllib3.exceptions import MaxRetryError, NewConnectionError

    cause = NewConnectionError(None, "Connection refused https://127.0.0.1/botSECRET:token")
    return requests.ConnectionError(MaxRetryError(None, "/x", cause))  # type: ignore[arg-type]


@pytest.mark.parametrize(("failure", "retry_safe", "expected"), [
    (requests.ConnectTimeout, False, TransientDeliveryError),   # nothing was sent
    (_refused, False, TransientDeliveryError),                  # no connection was made
    (requests.ConnectionError, True, TransientDeliveryError),   # safe to repeat
    (requests.ConnectionError, False, UncertainDeliveryError),  # dropped after sending
    (requests.ReadTimeout, True, TransientDeliveryError),       # safe to repeat
    (requests.ReadTimeout, False, UncertainDeliveryError),      # the post may exist
    (requests.exceptions.SSLError, True, ChannelFaultError),    # the channel's config
])
def test_transport_failures_are_classified(failure, retry_safe, expected):
    class Failing(requests.Session):
        def request(self, method, url, **kwargs):  # type: ignore[override]
            if failure is _refused:
                raise _refused()
            raise failure("boom https://127.0.0.1/botSECRET:token")

    client = HttpClient("t", session=Failing(), secrets=["SECRET:token"])
    with pytest.raises(expected) as info:
        client.request("POST", "https://127.0.0.1/x", retry_safe=retry_safe)
    assert type(info.value) is expected and "SECRET" not in str(info.value)


def test_the_core_sends_only_a_publication_from_prepare(tmp_path) -> None:
    from k2publisher.models import Part, Rendering

    sent: list[int] = []

    class Counting(Channel):
        type_name = "counting"
        profile = "mastodon"

        def send_part(self, rendering, index, previous, idempotency_key):
            sent.append(index)
            return PartReceipt(index=index, remote_id=str(index))

    rendering = Rendering(item_id="a/b", channel="c", profile="mastodon", family="social",
                          parts=(Part(text="hello"),))
    with pytest.raises(TypeError, match="positional"):
        deliver_core(Counting("c", {}), rendering)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"only a Publication from Pipeline\.prepare"):
        deliver_core(rendering)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="guard"):
        deliver_core(Counting("c", {}), rendering, guard=None)  # type: ignore[call-arg]
    assert sent == []


def _stored_bluesky(network, tmp_path):
    """A Bluesky channel of a site whose state folder keeps the session."""
    (tmp_path / "queue").mkdir(exist_ok=True)
    sky = {"type": "bluesky", "service": network.base, "handle": "a.example",
           "password": "app-pass-word"}
    settings = Settings(data={"paths": {"state": "state", "queue": "queue"}, "site": {},
                              "channels": {"sky": sky}}, root=tmp_path)
    return load_channel("sky", settings, ChannelContext(settings=settings, policy=POLICY,
                                                        clock=lambda: FIXED_NOW))


def test_bluesky_keeps_its_session_in_the_state_folder_across_processes(
        network, tmp_path, caplog):
    logins = iter(range(1, 10))
    network.route("/xrpc/com.atproto.server.createSession", lambda s, n: json_reply(
        {"accessJwt": f"access-login-{next(logins)}", "refreshJwt": "refresh-login",
         "did": "did:plc:a", "handle": "a.example"}))
    network.route("/xrpc/com.atproto.server.refreshSession", lambda s, n: json_reply(
        {"accessJwt": "access-refreshed", "refreshJwt": "refresh-refreshed",
         "did": "did:plc:a", "handle": "a.example"}))
    network.route("/xrpc/com.atproto.repo.createRecord", lambda s, n: json_reply(
        {"uri": f"at://did:plc:a/app.bsky.feed.post/r{n}", "cid": f"c{n}"}))
    caplog.set_level("DEBUG")
    deliver(_stored_bluesky(network, tmp_path), thread_rendering("bluesky", parts=1),
            sleep=pytest.fail)
    [stored] = (tmp_path / "state" / "sessions").iterdir()
    assert stored.stat().st_mode & 0o777 == 0o600
    assert stored.parent.stat().st_mode & 0o777 == 0o700
    # the next process (a cron `run --once`) posts with the stored session: no new login
    deliver(_stored_bluesky(network, tmp_path), thread_rendering("bluesky", parts=1),
            sleep=pytest.fail)
    assert len(network.to("/xrpc/com.atproto.server.createSession")) == 1
    # its access token expired: refreshSession renews it, and the renewal is stored
    network.script("/xrpc/com.atproto.repo.createRecord",
                   json_reply({"error": "ExpiredToken", "message": "Token has expired"}, 400))
    deliver(_stored_bluesky(network, tmp_path), thread_rendering("bluesky", parts=1),
            sleep=pytest.fail)
    (refresh,) = network.to("/xrpc/com.atproto.server.refreshSession")
    assert refresh.headers["Authorization"] == "Bearer refresh-login"
    deliver(_stored_bluesky(network, tmp_path), thread_rendering("bluesky", parts=1),
            sleep=pytest.fail)
    posts = network.to("/xrpc/com.atproto.repo.createRecord")
    assert [p.headers["Authorization"] for p in posts] == [
        "Bearer access-login-1", "Bearer access-login-1", "Bearer access-login-1",
        "Bearer access-refreshed", "Bearer access-refreshed"]
    assert len(network.to("/xrpc/com.atproto.server.createSession")) == 1
    # a stored session the server refuses (revoked) is replaced by one new login
    network.script("/xrpc/com.atproto.repo.createRecord",
                   json_reply({"error": "InvalidToken", "message": "Token is revoked"}, 401))
    deliver(_stored_bluesky(network, tmp_path), thread_rendering("bluesky", parts=1),
            sleep=pytest.fail)
    assert network.to("/xrpc/com.atproto.repo.createRecord")[-1].headers[
        "Authorization"] == "Bearer access-login-2"
    assert len(network.to("/xrpc/com.atproto.server.createSession")) == 2
    logged = caplog.text
    for token in ("access-login-1", "access-login-2", "refresh-login", "access-refreshed",
                  "refresh-refreshed", "app-pass-word"):
        assert token not in logged


def test_bluesky_200_without_a_uri_is_unconfirmed_not_failed(network, tmp_path):
    """The record was accepted (200) but the answer lacks its uri: the post likely exists."""
    from k2publisher.errors import UncertainDeliveryError

    network.route("/xrpc/com.atproto.server.createSession", lambda s, n: json_reply(
        {"accessJwt": "acc", "refreshJwt": "ref", "did": "did:plc:a", "handle": "a.example"}))
    network.route("/xrpc/com.atproto.repo.createRecord",
                  lambda s, n: json_reply({"validationStatus": "valid"}))
    channel = _channel("bluesky", {"service": network.base, "handle": "a.example",
                                   "password": "app-pass-word"}, tmp_path)
    recorder = MemoryRecorder()
    with pytest.raises(UncertainDeliveryError, match="no uri"):
        deliver(channel, thread_rendering("bluesky", parts=2), recorder=recorder,
                sleep=pytest.fail)
    assert len(network.to("/xrpc/com.atproto.repo.createRecord")) == 1
