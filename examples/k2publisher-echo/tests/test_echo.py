"""The echo plugin, exercised the way k2publisher uses it: found by its entry point."""

from __future__ import annotations

from pathlib import Path

from k2publisher_echo import EchoChannel

from k2publisher.deliver.core import deliver
from k2publisher.deliver.registry import channel_types, load_channel
from k2publisher.models import Part, Rendering
from k2publisher.settings import load_settings


def _site(tmp_path: Path) -> Path:
    config = tmp_path / "config" / "k2publisher.toml"
    config.parent.mkdir()
    config.write_text('[channels.echo]\ntype = "echo"\npath = "outbox/echo.txt"\n',
                      encoding="utf-8")
    return config


def test_the_entry_point_registers_the_channel_type() -> None:
    assert channel_types()["echo"] is EchoChannel


def test_delivering_twice_writes_each_part_once(tmp_path: Path) -> None:
    settings = load_settings(_site(tmp_path), environ={})
    channel = load_channel("echo", settings)
    rendering = Rendering(item_id="example/first-note", channel="echo", profile="mastodon",
                          family="social", parts=(Part("first post"), Part("second post")))

    # A synthetic rendering carries no disclaimers: accept it explicitly. Real publishing
    # goes through Publisher, which passes the disclaimer guard.
    def accept(_rendering: Rendering) -> None:
        return None

    first = deliver(channel, rendering, guard=accept, sleep=lambda _s: None)
    again = deliver(channel, rendering, guard=accept, sleep=lambda _s: None)

    written = (tmp_path / "outbox" / "echo.txt").read_text(encoding="utf-8")
    assert written.count("first post") == 1
    assert written.count("second post") == 1
    assert [p.remote_id for p in first.parts] == [p.remote_id for p in again.parts]
    assert first.url.startswith("file://")
