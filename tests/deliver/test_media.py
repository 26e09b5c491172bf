"""Image cards through each network's media API, against local fakes of their documented
shapes: Mastodon ``POST /api/v2/media`` (+ polling a 202), Bluesky ``uploadBlob`` +
``app.bsky.embed.images``, Telegram ``sendPhoto``, X media upload + alt text metadata.

The card is the real one (Pillow, the shipped queue's dosage item, the real disclaimer
rules): read back with Pillow, its alt text compared with what each network received.
"""

from __future__ import annotations

import io
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest

from k2publisher.content.queue import Queue
from k2publisher.deliver.core import ChannelContext
from k2publisher.deliver.registry import load_channel
from k2publisher.guard.check import check
from k2publisher.guard.disclaimers import DisclaimerRules
from k2publisher.models import Rendering
from k2publisher.render.renderer import Renderer
from k2publisher.settings import DEFAULTS, Settings

from .conftest import POLICY, FakeNetwork, Seen, json_reply
from .conftest import unguarded_deliver as deliver

PIL = pytest.importorskip("PIL.Image")
REPO = Path(__file__).resolve().parents[2]
ITEM = "vitamin-k2/dosage"


def form(seen: Seen) -> dict[str, Any]:
    """A multipart/form-data body as {name: bytes or str}."""
    head = f"Content-Type: {seen.headers['Content-Type']}\r\n\r\n".encode()
    msg = BytesParser(policy=policy.default).parsebytes(head + seen.body)
    fields: dict[str, Any] = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        fields[name] = data if part.get_filename() else data.decode()
    return fields


def rendering_for(profile: str, tmp_path: Path) -> tuple[Rendering, Any]:
    import copy

    data = copy.deepcopy(DEFAULTS)
    data["paths"]["queue"] = str(REPO / "queue")
    data["render"]["images"] = True
    renderer = Renderer(Settings(data=data, root=tmp_path), DisclaimerRules.load())
    item = Queue(REPO / "queue").get(ITEM)
    rendering = renderer.render(item, profile)
    assert check(rendering, item, renderer.rules).ok          # the card passes the guard
    return rendering, item


def channel(type_name: str, options: dict[str, Any], tmp_path: Path) -> Any:
    settings = Settings(data={"site": {"language": "en"}, "paths": {},
                              "channels": {type_name: {"type": type_name, **options}}},
                        root=tmp_path)
    return load_channel(type_name, settings, ChannelContext(settings=None, policy=POLICY))


def assert_card(png: bytes, media: Any) -> None:
    image = PIL.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (media.width, media.height)
    assert png == media.data and len(png) <= 1_000_000


def test_card_text_and_alt_say_the_same_and_carry_the_disclaimers(tmp_path: Path) -> None:
    rendering, item = rendering_for("mastodon", tmp_path)
    [media] = rendering.parts[0].media
    assert item.title in media.text and item.title in media.alt
    for line in media.text.splitlines():
        assert line in media.alt
    assert "warfarin" in media.text.lower()                    # the dosage item's warning
    assert all(not p.media for p in rendering.parts[1:])


def test_a_card_missing_its_disclaimer_is_refused_by_the_guard(tmp_path: Path) -> None:
    from dataclasses import replace

    rendering, item = rendering_for("mastodon", tmp_path)
    [media] = rendering.parts[0].media
    bare = replace(media, text=media.text.split("\n")[0], alt=item.title)
    broken = replace(rendering, parts=(replace(rendering.parts[0], media=(bare,)),
                                       *rendering.parts[1:]))
    verdict = check(broken, item, DisclaimerRules.load())
    assert not verdict.ok
    assert any("image 1" in p and "missing disclaimer WARFARIN_VKA" in p
               for p in verdict.problems)


def test_mastodon_uploads_with_description_polls_and_attaches(network: FakeNetwork,
                                                              tmp_path: Path) -> None:
    rendering, _ = rendering_for("mastodon", tmp_path)
    network.route("/api/v2/media", lambda s, n: json_reply({"id": "m1", "url": None}, 202))
    network.script("/api/v1/media/m1", json_reply({"id": "m1", "url": None}, 206))
    network.route("/api/v1/media/m1", lambda s, n: json_reply({"id": "m1", "url": "u"}))
    network.route("/api/v1/statuses", lambda s, n: json_reply({"id": f"9{n}", "url": "x"}))
    ch = channel("mastodon", {"instance": network.base, "token": "t"}, tmp_path)
    ch.media_poll_wait = 0
    deliver(ch, rendering)
    [upload] = network.to("/api/v2/media")
    fields = form(upload)
    [media] = rendering.parts[0].media
    assert_card(fields["file"], media)
    assert fields["description"] == media.alt
    assert len(network.to("/api/v1/media/m1")) >= 1              # processed before use
    statuses = network.to("/api/v1/statuses")
    assert statuses[0].json()["media_ids"] == ["m1"]
    assert all("media_ids" not in s.json() for s in statuses[1:])


def test_bluesky_uploads_a_blob_and_embeds_it_with_alt(network: FakeNetwork,
                                                       tmp_path: Path) -> None:
    rendering, _ = rendering_for("bluesky", tmp_path)
    session = {"accessJwt": "a", "refreshJwt": "r", "did": "did:plc:k2", "handle": "k2.ex"}
    blob = {"$type": "blob", "ref": {"$link": "bafkrei"}, "mimeType": "image/png", "size": 1}
    network.route("/xrpc/com.atproto.server.createSession", lambda s, n: json_reply(session))
    network.route("/xrpc/com.atproto.repo.uploadBlob", lambda s, n: json_reply({"blob": blob}))
    network.route("/xrpc/com.atproto.repo.createRecord", lambda s, n: json_reply(
        {"uri": f"at://did:plc:k2/app.bsky.feed.post/3k{n}", "cid": f"bafy{n}"}))
    deliver(channel("bluesky", {"service": network.base, "handle": "k2.ex",
                                "password": "p"}, tmp_path), rendering)
    [upload] = network.to("/xrpc/com.atproto.repo.uploadBlob")
    [media] = rendering.parts[0].media
    assert upload.headers["Content-Type"] == "image/png"
    assert_card(upload.body, media)
    record = network.to("/xrpc/com.atproto.repo.createRecord")[0].json()["record"]
    embed = record["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    assert embed["images"] == [{"image": blob, "alt": media.alt,
                                "aspectRatio": {"width": 1200, "height": 675}}]
    try:
        from atproto import models
    except ImportError:
        return
    models.AppBskyFeedPost.Record.model_validate(record)


def test_telegram_sends_the_card_as_a_photo_with_the_post_as_caption(network: FakeNetwork,
                                                                     tmp_path: Path) -> None:
    rendering, _ = rendering_for("telegram", tmp_path)
    path = "/botT0K3N:x/sendPhoto"
    network.route(path, lambda s, n: json_reply({"ok": True, "result": {"message_id": 5}}))
    network.route("/botT0K3N:x/sendMessage",
                  lambda s, n: json_reply({"ok": True, "result": {"message_id": 6 + n}}))
    deliver(channel("telegram", {"api_base": network.base, "token": "T0K3N:x",
                                 "chat_id": "@k2"}, tmp_path), rendering)
    [photo] = network.to(path)
    fields = form(photo)
    [media] = rendering.parts[0].media
    assert_card(fields["photo"], media)
    assert fields["chat_id"] == "@k2" and fields["parse_mode"] == "HTML"
    assert fields["caption"] == rendering.parts[0].text
    assert len(network.to("/botT0K3N:x/sendMessage")) == len(rendering.parts) - 1


def test_x_uploads_the_card_sets_alt_text_and_attaches_it(network: FakeNetwork,
                                                          tmp_path: Path) -> None:
    rendering, _ = rendering_for("x", tmp_path)
    network.route("/2/media/upload", lambda s, n: json_reply({"data": {"id": "777"}}))
    network.route("/2/media/metadata", lambda s, n: json_reply({}))
    network.route("/2/tweets", lambda s, n: json_reply({"data": {"id": f"1{n}", "text": "t"}},
                                                       201))
    deliver(channel("x", {"api_base": network.base, "api_key": "k", "api_secret": "s",
                          "access_token": "t", "access_secret": "a"}, tmp_path), rendering)
    [upload] = network.to("/2/media/upload")
    [media] = rendering.parts[0].media
    fields = form(upload)
    assert_card(fields["media"], media)
    assert fields["media_category"] == "tweet_image"
    assert upload.headers["Authorization"].startswith("OAuth ")
    meta = network.to("/2/media/metadata")[0].json()
    assert meta == {"id": "777", "metadata": {"alt_text": {"text": media.alt[:1000]}}}
    assert network.to("/2/tweets")[0].json()["media"] == {"media_ids": ["777"]}


def test_images_are_off_by_default(tmp_path: Path) -> None:
    import copy

    data = copy.deepcopy(DEFAULTS)
    data["paths"]["queue"] = str(REPO / "queue")
    rendering = Renderer(Settings(data=data, root=tmp_path), DisclaimerRules.load()).render(
        Queue(REPO / "queue").get(ITEM), "mastodon")
    assert all(not p.media for p in rendering.parts)



def test_the_file_sink_writes_the_card_beside_the_post(tmp_path: Path) -> None:
    import json

    rendering, _ = rendering_for("mastodon", tmp_path)
    out = tmp_path / "outbox"
    deliver(channel("file", {"path": str(out), "profile": "mastodon"}, tmp_path), rendering)
    [doc] = [json.loads(p.read_text()) for p in out.glob("*--0.json")]
    [image] = doc["images"]
    [media] = rendering.parts[0].media
    assert image["alt"] == media.alt and image["text"] == media.text
    assert_card((out / image["file"]).read_bytes(), media)
