"""Each counter against the vectors in channel-apis.md, one rule at a time."""

from __future__ import annotations

import pytest

from k2publisher.render.counting import count, fits, graphemes
from k2publisher.render.profiles import PROFILES


@pytest.mark.parametrize(("text", "expected"), [
    ("hi @alice@example.social see https://example.com/" + "a" * 200, 37),
    ("@bob@mastodon.example hello https://example.com/a/very/long/path?q=1", 34),
    ("a" * 500, 500),
    ("https://example.com/" + "x" * 300, 23),
])
def test_mastodon_counts_links_as_23_and_mentions_by_username(text: str, expected: int) -> None:
    assert count(text, "mastodon") == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("a" * 280, 280), ("a" * 281, 281), ("漢" * 140, 280), ("漢" * 141, 282),
    ("https://example.com/" + "x" * 300, 23), ("see example.com now", 31),
    ("👨‍👩‍👧‍👦", 2), ("Hello, world! 👋", 16), ("", 0),
])
def test_x_weighted_length_matches_the_table(text: str, expected: int) -> None:
    assert count(text, "x_weighted") == expected


def test_x_fits_at_280_not_281() -> None:
    assert fits("a" * 280, "x") and not fits("a" * 281, "x")


@pytest.mark.parametrize(("text", "expected"), [
    ("नमस्ते", 3), ("👨‍❤️‍👨", 1), ("é", 1), ("e\u0301", 1), ("🇫🇷", 1), ("abc", 3),
])
def test_graphemes_are_user_perceived_characters(text: str, expected: int) -> None:
    assert graphemes(text) == expected


@pytest.mark.parametrize(("text", "ok"), [
    ("a" * 300, True), ("a" * 301, False), ("😀" * 300, True), ("é" * 1501, False),
])
def test_bluesky_fits_checks_graphemes_and_3000_bytes(text: str, ok: bool) -> None:
    assert fits(text, "bluesky") is ok


def test_bluesky_byte_cap_applies_below_300_graphemes() -> None:
    text = "👨‍👩‍👧‍👦" * 200           # 200 graphemes, 5000 bytes
    assert count(text, "graphemes") == 200
    assert not fits(text, PROFILES["bluesky"])


def test_threads_counts_emoji_as_utf8_bytes() -> None:
    assert count("abc", "threads") == 3
    assert count("a😀", "threads") == 1 + 4
    assert count("ab👨‍👩‍👧", "threads") == 2 + len("👨‍👩‍👧".encode())


def test_telegram_counts_utf16_units_of_visible_text() -> None:
    assert count("<b>bold</b> &lt;3 &amp;", "utf16") == len("bold <3 &")
    assert count("😀", "utf16") == 2
    assert count('<a href="https://example.com/long">x</a>', "utf16") == 1


def test_unknown_counter_is_a_config_error() -> None:
    from k2publisher.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown counter"):
        count("x", "nope")
