"""``k2publisher preview`` in-process: JSON shape, --out files, exit codes."""

from __future__ import annotations

import json
from email import policy
from email.parser import BytesParser
from pathlib import Path

import feedparser
import pytest

from k2publisher.errors import ChannelLookupError
from k2publisher.render.counting import count
from k2publisher.render.profiles import PROFILES

ITEM = "vitamin-k2/food-sources"
SOCIAL = {n for n, p in PROFILES.items() if p.family == "social"}


def test_json_lists_every_configured_channel_and_social_profile(run_cli, site: Path) -> None:
    code, out, _ = run_cli("preview", ITEM, "--json", cwd=site)
    data = json.loads(out)
    assert data["item"] == ITEM
    channels = [r["channel"] for r in data["renderings"]]
    assert {"email", "feed", "social"} <= set(channels) and set(channels) >= SOCIAL
    for r in data["renderings"]:
        base = {"channel", "format", "parts", "lengths", "limit", "disclaimers", "guard"}
        extra = {"subject", "html", "text"} if r["format"] == "email" else (
            {"dropped"} if r["format"] == "social" else set())
        if r["channel"] == "x":                # a network that charges per post
            extra |= {"link_placement", "costs_usd"}
        assert set(r) == base | extra
        assert set(r["guard"]) == {"ok", "problems"}
        assert len(r["parts"]) == len(r["lengths"])
        assert "NOT_MEDICAL_ADVICE" in r["disclaimers"]
        if r["channel"] in PROFILES and PROFILES[r["channel"]].family == "social":
            counter = PROFILES[r["channel"]].counter
            assert r["lengths"] == [count(p, counter) for p in r["parts"]]
            assert all(n <= r["limit"] for n in r["lengths"])
    assert code == (0 if all(r["guard"]["ok"] for r in data["renderings"]) else 1)
    assert code == 0, [r["guard"]["problems"] for r in data["renderings"]]


def test_channel_option_selects_channels_and_profiles(run_cli, site: Path) -> None:
    code, out, _ = run_cli("preview", ITEM, "--json", "--channel", "email",
                           "--channel", "bluesky", cwd=site)
    assert code == 0
    assert [r["channel"] for r in json.loads(out)["renderings"]] == ["email", "bluesky"]


def test_unknown_channel_is_a_lookup_error_naming_the_known_ones(run_cli, site: Path) -> None:
    with pytest.raises(ChannelLookupError, match="mastodon"):
        run_cli("preview", ITEM, "--channel", "nope", cwd=site)


def test_terminal_output_shows_lengths_disclaimers_and_verdicts(run_cli, site: Path) -> None:
    code, out, _ = run_cli("preview", ITEM, "--channel", "x", "--channel", "email", cwd=site)
    assert code == 0
    assert "== x (x, social): guard ok" in out
    assert "/280, counted as x_weighted, $0.200]" in out         # X charges per post
    assert "disclaimers: " in out and "subject: " in out


def test_out_writes_email_feeds_and_social_json(run_cli, site: Path) -> None:
    out_dir = site / "preview-out"
    code, _, _ = run_cli("preview", ITEM, "--out", str(out_dir), cwd=site)
    assert code == 0
    names = {p.name for p in out_dir.iterdir()}
    assert {"email.html", "email.txt", "email.eml", "feed.xml", "atom.xml"} <= names
    assert {f"{n}.json" for n in SOCIAL} <= names
    msg = BytesParser(policy=policy.default).parsebytes((out_dir / "email.eml").read_bytes())
    assert msg["Date"].endswith("+0000") and msg["Date"].datetime is not None
    assert msg["Message-ID"].startswith("<") and msg["Subject"]
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg.get_content_type() == "multipart/alternative"
    # the real message for a sample reader: list headers, a preview unsubscribe link
    assert msg["To"] == "reader@example.invalid" and msg["List-Id"]
    assert msg["List-Unsubscribe"].startswith("<http://127.0.0.1:8025/unsubscribe/preview>")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert not msg["Message-ID"].endswith("@127.0.0.1>")       # the sender's domain
    assert msg["Message-ID"].endswith("@" + msg["From"].addresses[0].domain + ">")
    html = (out_dir / "email.html").read_text()
    text = (out_dir / "email.txt").read_text()
    assert 'href="http://127.0.0.1:8025/unsubscribe/preview"' in html
    assert "/unsubscribe/preview" in text
    for body in (html, text, (out_dir / "email.eml").read_text()):
        assert "%%UNSUBSCRIBE_URL%%" not in body
    assert html == msg.get_body(preferencelist=("html",)).get_content()
    for name, version in (("feed.xml", "rss20"), ("atom.xml", "atom10")):
        parsed = feedparser.parse((out_dir / name).read_text())
        assert parsed.bozo == 0 and parsed.version == version
    bluesky = json.loads((out_dir / "bluesky.json").read_text())
    assert bluesky["facets"][-1][0]["index"]["byteEnd"] > 0


def test_exit_code_is_1_when_the_guard_refuses(run_cli, site: Path) -> None:
    partials = site / "templates" / "partials"
    partials.mkdir(parents=True)
    (partials / "disclaimers.html").write_text("")
    (partials / "disclaimers.txt").write_text("")
    code, out, _ = run_cli("preview", ITEM, "--json", "--channel", "email", cwd=site)
    data = json.loads(out)
    assert code == 1
    assert not data["renderings"][0]["guard"]["ok"]
    assert any("missing disclaimer" in p for p in data["renderings"][0]["guard"]["problems"])


def test_item_id_is_required_without_serve(run_cli, site: Path) -> None:
    import click

    with pytest.raises(click.UsageError):
        run_cli("preview", cwd=site)
