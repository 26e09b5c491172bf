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


@pytest.mark.parametrize(("url", "linked"), [
    ("https://notes.example.org/archive/vitamin-k2/dosage/", True),
    ("http://example.com/a", True),
    ("https://k2.example.co.uk/archive/x/", True),
    ("http://127.0.0.1:8025/archive/vitamin-k2/dosage/", False),
    ("http://localhost:8025/archive/vitamin-k2/dosage/", False),
    ("https://k2.internal/archive/vitamin-k2/dosage/", False),
    ("http://[::1]:8025/archive/", False),
])
def test_mastodon_counts_23_only_for_links_it_recognises(url: str, linked: bool) -> None:
    text = f"Natto has MK-7. {url} #VitaminK2"
    expected = len(text) - len(url) + 23 if linked else len(text)
    assert count(text, "mastodon") == expected


def test_mastodon_bare_domains_are_not_discounted() -> None:
    # Mastodon discounts only links with a scheme (extract_url_without_protocol: false)
    assert count("see example.com now", "mastodon") == len("see example.com now")


def test_shipped_items_fit_mastodon_as_a_real_instance_counts_the_local_base_url(
        tmp_path, rules) -> None:
    from render_helpers import make_settings, shipped_items

    from k2publisher.render.renderer import Renderer

    renderer = Renderer(make_settings(tmp_path, site={"base_url": "http://127.0.0.1:8025"}),
                        rules)
    for item in shipped_items():
        rendering = renderer.render(item, "mastodon")
        if rendering.extra.get("over_limit"):
            continue
        for part in rendering.parts:
            assert count(part.text, "mastodon") <= 500, item.id
            if "http://127.0.0.1" in part.text:
                assert count(part.text, "mastodon") > count(
                    part.text.replace("http://127.0.0.1:8025", "https://k2.example.org"),
                    "mastodon")
