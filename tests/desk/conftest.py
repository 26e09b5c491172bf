"""Desk fixtures: a site with a queue, a Bluesky-profile file channel and a daily campaign."""

from __future__ import annotations

from pathlib import Path

import pytest

from k2publisher.settings import Settings, load_settings

CONFIG = """
[site]
name = "Desk Test Notes"
base_url = "https://notes.example.org"
timezone = "Europe/London"

[channels.bsky]
type = "file"
profile = "bluesky"
path = "out/bsky"

[channels.toots]
type = "file"
profile = "mastodon"
path = "out/toots"

[campaigns.daily]
channels = ["bsky", "toots"]
times = ["09:00"]
timezone = "Europe/London"
grace = 600
"""

ITEM = """---
id: {id}
kind: {kind}
supplement: {supplement}
title: "{title}"
summary: "{summary}"
tags: [{tags}]
evidence: [review]
status: {status}
priority: {priority}
{extra}---

{title}: a short body written for the desk tests.
"""

#: id -> (kind, supplement, status, priority, tags, extra front matter)
ITEMS = {
    "magnesium/dosage": ("supplement_section", "Magnesium", "ready", 5, "magnesium, dosage", ""),
    "magnesium/forms": ("supplement_section", "Magnesium", "ready", 4, "magnesium", ""),
    "zinc/food-sources": ("supplement_section", "Zinc", "ready", 3, "zinc, food", ""),
    "mechanisms/absorption": ("mechanism_explainer", "", "ready", 2, "absorption", ""),
    "zinc/interactions": ("supplement_section", "Zinc", "draft", 1, "zinc",
                          "review: \"check the antibiotic spacing against the label\"\n"),
}


def write_item(queue: Path, item_id: str, kind: str, supplement: str, status: str,
               priority: int, tags: str, extra: str) -> Path:
    """Write one queue file."""
    path = queue.joinpath(*item_id.split("/")).with_suffix(".md")
    path.parent.mkdir(parents=True, exist_ok=True)
    title = item_id.rsplit("/", 1)[-1].replace("-", " ").title() + f" of {supplement or 'it'}"
    path.write_text(ITEM.format(
        id=item_id, kind=kind, supplement=supplement or "null", title=title,
        summary=f"{title} in two plain sentences. Nothing more is claimed here.",
        tags=tags, status=status, priority=priority, extra=extra), encoding="utf-8")
    return path


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A site folder: config, five items (one draft with a review note)."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "k2publisher.toml").write_text(CONFIG, encoding="utf-8")
    for item_id, spec in ITEMS.items():
        write_item(tmp_path / "queue", item_id, *spec)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("K2PUBLISHER_CONFIG", raising=False)
    return tmp_path


def settings_for(site: Path, **env: str) -> Settings:
    """The site's settings with ``env`` as the whole environment."""
    return load_settings(site / "config" / "k2publisher.toml", environ=env)
