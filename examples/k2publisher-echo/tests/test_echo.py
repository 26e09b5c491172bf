"""The echo plugin, exercised the way k2publisher uses it: found by its entry point."""

from __future__ import annotations

from pathlib import Path

from k2publisher_echo import EchoChannel

from k2publisher.deliver.publisher import Publisher
from k2publisher.deliver.registry import channel_types
from k2publisher.settings import load_settings

ITEM = """---
id: example/first-note
kind: mechanism_explainer
title: "How vitamin K2 activates proteins"
summary: "Vitamin K2 is a cofactor for an enzyme that activates some proteins."
evidence: [review]
status: ready
---

Vitamin K2 is a cofactor for gamma-glutamyl carboxylase, the enzyme that activates
osteocalcin and matrix Gla protein in the body.
"""


def _site(tmp_path: Path) -> Path:
    config = tmp_path / "config" / "k2publisher.toml"
    config.parent.mkdir()
    config.write_text('[channels.echo]\ntype = "echo"\npath = "outbox/echo.txt"\n',
                      encoding="utf-8")
    (tmp_path / "queue").mkdir()
    (tmp_path / "queue" / "first-note.md").write_text(ITEM, encoding="utf-8")
    return config


def test_the_entry_point_registers_the_channel_type() -> None:
    assert channel_types()["echo"] is EchoChannel


def test_publishing_twice_writes_each_part_once(tmp_path: Path) -> None:
    settings = load_settings(_site(tmp_path), environ={})
    # the Publisher renders the item, passes it through the status gate and the
    # disclaimer guard (Pipeline.prepare), then hands the approved Publication to deliver()
    with Publisher(settings, sleep=lambda _s: None) as publisher:
        first = publisher.publish("example/first-note", "echo")
        again = publisher.publish("example/first-note", "echo")

    written = (tmp_path / "outbox" / "echo.txt").read_text(encoding="utf-8")
    assert written.count("----- ") == len(first.parts)  # one header per part, not two
    assert "not medical advice" in written.lower()
    assert [p.remote_id for p in first.parts] == [p.remote_id for p in again.parts]
    assert first.url.startswith("file://")
