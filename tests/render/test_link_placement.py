"""Where an X channel puts the archive link (``link = inline | reply | none``) and what each
post costs (X 2026 pay-per-use: $0.20 a post with a URL, $0.015 without)."""

from __future__ import annotations

from pathlib import Path

import pytest
from render_helpers import make_item, make_settings, shipped_items

from k2publisher.errors import ConfigError
from k2publisher.guard.check import check
from k2publisher.guard.disclaimers import DisclaimerRules
from k2publisher.render.renderer import Renderer

URL = "http://127.0.0.1:8025/archive/vitamin-k2/test/"


def renderer_for(tmp_path: Path, link: str) -> Renderer:
    channel = {"type": "x", "link": link, "api_key": "k", "api_secret": "s",
               "access_token": "t", "access_secret": "a"}
    return Renderer(make_settings(tmp_path, channels={"xacct": channel}), DisclaimerRules.load())


def test_inline_keeps_the_link_in_the_post_and_costs_the_url_price(tmp_path: Path) -> None:
    r = renderer_for(tmp_path, "inline").render(make_item(), "x", channel="xacct")
    assert URL in r.parts[-1].text and r.extra["costs"][-1] == pytest.approx(0.20)
    assert r.extra["link_placement"] == "inline"


def test_reply_moves_the_link_into_a_reply_so_the_posts_cost_less(tmp_path: Path,
                                                                  rules) -> None:
    item = make_item()
    r = renderer_for(tmp_path, "reply").render(item, "x", channel="xacct")
    assert URL in r.parts[-1].text and all(URL not in p.text for p in r.parts[:-1])
    assert "not medical advice" in r.parts[-1].text.lower()    # the link's footer note
    assert r.extra["costs"] == [pytest.approx(0.015)] * (len(r.parts) - 1) + \
        [pytest.approx(0.20)]
    assert r.extra["threaded"] is True
    assert check(r, item, rules).ok                # the first post still carries its warnings


def test_none_leaves_the_link_out(tmp_path: Path, rules) -> None:
    item = shipped_items()[0]
    r = renderer_for(tmp_path, "none").render(item, "x", channel="xacct")
    assert all("/archive/" not in p.text for p in r.parts)
    assert r.extra["costs"] == [pytest.approx(0.015)] * len(r.parts)
    assert check(r, item, rules).ok or r.extra["over_limit"]


def test_an_unknown_placement_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"channels\.xacct\.link = 'below'"):
        renderer_for(tmp_path, "below").render(make_item(), "x", channel="xacct")


def test_preview_shows_the_cost_per_post(run_cli, tmp_path: Path, repo: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "k2publisher.toml").write_text(
        f'[paths]\nqueue = "{repo / "queue"}"\n[channels.xacct]\ntype = "x"\nlink = "reply"\n'
        'api_key = "k"\napi_secret = "s"\naccess_token = "t"\naccess_secret = "a"\n',
        encoding="utf-8")
    code, out, _ = run_cli("preview", "vitamin-k2/dosage", "--channel", "xacct", cwd=tmp_path)
    assert code == 0, out
    assert "$0.015]" in out and "$0.200]" in out
    assert "link: reply; cost: $" in out
