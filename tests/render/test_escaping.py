"""Escaping per network, with hostile text: markup, pings, CJK, ZWJ emoji, decomposed accents."""

from __future__ import annotations

import unicodedata

import pytest
from render_helpers import make_item

from k2publisher.guard.check import check
from k2publisher.guard.text import visible_text
from k2publisher.models import Part, nfc
from k2publisher.render.counting import count
from k2publisher.render.escaping import (
    ESCAPERS,
    escape_discord,
    escape_little_text,
    escape_slack,
    escape_telegram,
)
from k2publisher.render.profiles import PROFILES
from k2publisher.render.renderer import Renderer

DECOMPOSED = "Cafe\u0301 au lait"              # e + COMBINING ACUTE ACCENT
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"   # one ZWJ sequence, one grapheme
HOSTILE = (f"A & B < 1 mg > 0 *bold* _it_ ~strike~ `code` || spoiler || @everyone "
           f"<!here> <@U123> [x](http://evil.example) 维生素K2 {FAMILY} {DECOMPOSED}")
#: the same, cut into short sentences so even a 300-grapheme network keeps every one
SENTENCES = (f"A & B with p < 0.05. *bold* _it_ ~strike~ `code`. || spoiler || @everyone "
             f"<!here> <@U123>. 维生素K2 {FAMILY}. {DECOMPOSED}.")
SOCIAL = sorted(n for n, p in PROFILES.items() if p.family == "social")


def test_slack_shows_every_character_literally() -> None:
    out = escape_slack(HOSTILE)
    assert not set("*_~`<>") & set(out.replace("&lt;", "").replace("&gt;", ""))
    assert "&lt;!here&gt;" in out and "&lt;@U123&gt;" in out and "A &amp; B" in out
    assert "\u2217bold\u2217" in out and "\u02cdit\u02cd" in out
    assert "维生素K2" in out and FAMILY in out and "Caf\u00e9" in out


def test_telegram_escapes_entities_and_quotes() -> None:
    out = escape_telegram('x < y & "z" <b>')
    assert out == "x &lt; y &amp; &quot;z&quot; &lt;b&gt;"


def test_discord_backslashes_spoilers_mentions_and_markdown() -> None:
    out = escape_discord(HOSTILE)
    assert "\\|\\| spoiler \\|\\|" in out and "\\@everyone" in out
    assert "\\*bold\\*" in out and "\\<\\@U123\\>" in out and "\\[x\\]" in out


def test_linkedin_escapes_the_little_text_reserved_characters() -> None:
    out = escape_little_text("(a) {b} #c @d [e] <f> *g* _h_ ~i~ |j| \\k")
    assert out == ("\\(a\\) \\{b\\} \\#c \\@d \\[e\\] \\<f\\> \\*g\\* \\_h\\_ \\~i\\~ "
                   "\\|j\\| \\\\k")


@pytest.mark.parametrize("markup", sorted(ESCAPERS))
def test_every_escaper_normalises_to_nfc_and_keeps_cjk_and_emoji(markup: str) -> None:
    out = ESCAPERS[markup](HOSTILE)
    assert unicodedata.is_normalized("NFC", out)
    assert "Caf\u00e9" in out and "维生素K2" in out and FAMILY in out


def test_parts_are_sent_in_nfc_and_counted_the_same() -> None:
    part = Part(text=f"{DECOMPOSED} {FAMILY}")
    assert part.text == nfc(part.text) and "Caf\u00e9" in part.text
    assert count(part.text, "graphemes") == count(f"{DECOMPOSED} {FAMILY}", "graphemes")
    assert len(part.text) == len(nfc(DECOMPOSED)) + 1 + len(FAMILY)
    with pytest.raises(ValueError, match="NFC"):
        Part(text=DECOMPOSED, facets=({"index": {"byteStart": 0, "byteEnd": 4}},))


@pytest.mark.parametrize("profile", SOCIAL)
def test_hostile_summary_on_every_network_is_inert_nfc_and_guarded(
        renderer: Renderer, rules, profile: str) -> None:
    item = make_item(summary=SENTENCES, variants={})
    rendering = renderer.render(item, profile)
    markup = PROFILES[profile].markup
    assert all(unicodedata.is_normalized("NFC", p.text) for p in rendering.parts)
    assert "Caf\u00e9" in " ".join(p.text for p in rendering.parts)
    assert "Cafe\u0301" not in " ".join(p.text for p in rendering.parts)
    for part in rendering.parts:
        text = part.text
        if markup == "mrkdwn":
            assert "<!here>" not in text and "*bold*" not in text and "`code`" not in text
        elif markup == "telegram_html":
            assert "<!here>" not in text and "<b>" in text             # our bold only
            assert "&lt;!here&gt;" in text or "here" not in visible_text(text)
        elif markup == "markdown":
            assert "|| spoiler ||" not in text and " @everyone" not in text
        elif markup == "little_text":
            assert "(http://evil.example)" not in text
    verdict = check(rendering, item, rules, claims_policy="off")
    assert verdict.ok or rendering.extra.get("over_limit"), verdict.problems
