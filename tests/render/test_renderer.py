"""The renderer end to end: every shipped item on every profile, escaping, feeds, threads."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from html import unescape
from pathlib import Path

import feedparser
import pytest
from render_helpers import make_item, make_settings, shipped_items

from k2publisher.errors import TemplateError
from k2publisher.guard.check import check
from k2publisher.guard.disclaimers import DisclaimerRules
from k2publisher.models import UNSUBSCRIBE_PLACEHOLDER, Evidence, Item
from k2publisher.render.counting import count, fits
from k2publisher.render.profiles import PROFILES
from k2publisher.render.renderer import EMAIL_HTML_BUDGET, Renderer

SHIPPED = shipped_items()
SOCIAL = [n for n, p in PROFILES.items() if p.family == "social"]


def test_the_queue_is_not_empty() -> None:
    assert SHIPPED, "the repository's queue/ should hold at least one item"


@pytest.mark.parametrize("item", SHIPPED, ids=lambda i: i.id)
@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_every_shipped_item_renders_on_every_profile_and_passes_the_guard(
        renderer: Renderer, rules, item: Item, profile: str) -> None:
    rendering = renderer.render(item, profile)
    assert rendering.parts and all(p.text.strip() for p in rendering.parts)
    assert rendering.profile == profile
    if rendering.extra.get("over_limit"):
        # the warnings the first post must carry do not fit this network: refused, whole
        verdict = check(rendering, item, rules, claims_policy="off")
        assert not verdict.ok
        assert all("over the limit" in p or "byte cap" in p for p in verdict.problems)
        assert all(d.present_in(rendering.parts[0].text, allow_short=True)
                   for d in rules.required_for_part(item, "", 0, "social"))
        return
    for part in rendering.parts:
        assert "{{" not in part.text and "{%" not in part.text
        if rendering.limit:
            assert fits(part.text, PROFILES[profile]), (profile, count(part.text,
                                                                        rendering.counter))
    # the whole guard, claims included: the shipped queue must be publishable as it is
    verdict = check(rendering, item, rules)
    assert verdict.ok, verdict.problems


# -- escaping ------------------------------------------------------------------------------

def _no_live_payload(markup: str) -> None:
    assert "<script>" not in markup
    assert "<img src=x" not in markup and "<img src=\"x\"" not in markup
    assert 'href="javascript' not in markup


def test_xss_payloads_are_escaped_in_email_html_and_text(renderer: Renderer,
                                                          hostile_item: Item) -> None:
    r = renderer.render(hostile_item, "email")
    _no_live_payload(r.html or "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in (r.html or "")
    assert "\x01" not in (r.html or "") and "\x01" not in (r.text or "")


def test_xss_payloads_are_escaped_in_web_pages(renderer: Renderer, hostile_item: Item) -> None:
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    page = renderer.archive_page(hostile_item, now)
    index = renderer.archive_index([(hostile_item, now)])
    for markup in (page, index):
        _no_live_payload(markup)
        assert "&lt;script&gt;" in markup


def test_hostile_content_keeps_both_feeds_well_formed_and_escaped(
        renderer: Renderer, hostile_item: Item) -> None:
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    rss, atom = renderer.feeds([(hostile_item, now), (make_item(), now - timedelta(days=1))])
    for doc, version in ((rss, "rss20"), (atom, "atom10")):
        parsed = feedparser.parse(doc)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert parsed.version == version
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", doc)
        entry = parsed.entries[0]
        content = entry.content[0].value
        assert "alert(1)" in content                   # the text survives, escaped
        assert "<script>" not in content
        # hostile text round-trips as text (RSS titles are HTML: one unescape shows it)
        assert "]]>" in (unescape(entry.title) if version == "rss20" else entry.title)
        assert "onerror" not in re.sub(r"&[a-z]+;", "", content).split("<img")[0] or \
            "<img" not in content


# -- feeds -------------------------------------------------------------------------------------

def test_feeds_are_newest_first_limited_and_fully_described(tmp_path: Path, rules) -> None:
    renderer = Renderer(make_settings(tmp_path, render={"feed_items": 2}), rules)
    base = datetime(2026, 11, 20, 8, 0, tzinfo=timezone(timedelta(hours=1)))
    items = [(make_item(id=f"vitamin-k2/n{i}", title=f"Note {i}", tags=("vitamin-k2", "bone")),
              base + timedelta(days=i)) for i in range(3)]
    rss, atom = renderer.feeds(items)
    parsed_rss, parsed_atom = feedparser.parse(rss), feedparser.parse(atom)
    assert [e.title for e in parsed_rss.entries] == ["Note 2", "Note 1"]
    assert [e.title for e in parsed_atom.entries] == ["Note 2", "Note 1"]
    first = parsed_rss.entries[0]
    assert first.id == first.link == "http://127.0.0.1:8025/archive/vitamin-k2/n2/"
    assert first.guidislink is False or first.id == first.link
    assert {t.term for t in first.tags} == {"vitamin-k2", "bone"}
    assert first.published_parsed[:4] == (2026, 11, 22, 7)        # +01:00 kept, 08:00 -> 07Z
    assert "+0100" in rss and "+01:00" in atom
    assert 'rel="self"' in rss and 'rel="self"' in atom
    assert first.summary.startswith("Educational") or "not medical advice" in first.summary


def test_feed_summary_puts_critical_warnings_first(renderer: Renderer, rules) -> None:
    item = make_item(summary="Studies used 100 mcg a day of MK-7.", tags=("dosage",))
    rss, _ = renderer.feeds([(item, datetime(2026, 11, 24, tzinfo=UTC))])
    summary = feedparser.parse(rss).entries[0].summary        # HTML: <p> per paragraph
    warfarin = rules.get("WARFARIN_VKA").text
    assert summary.startswith("<p>")
    assert unescape(re.sub(r"<[^>]+>", "", summary)).startswith(warfarin)


# -- email -------------------------------------------------------------------------------------

@pytest.mark.parametrize("item", SHIPPED, ids=lambda i: i.id)
def test_email_text_wraps_within_78_columns(renderer: Renderer, item: Item) -> None:
    text = renderer.render(item, "email").text or ""
    long = [line for line in text.splitlines() if len(line) > 78 and "://" not in line]
    assert not long

def test_email_has_footer_unsubscribe_dark_mode_and_stays_small(renderer: Renderer) -> None:
    item = SHIPPED[0]
    r = renderer.render(item, "email")
    html, text = r.html or "", r.text or ""
    assert f'href="{UNSUBSCRIBE_PLACEHOLDER}"' in html and UNSUBSCRIBE_PLACEHOLDER in text
    assert "1 Example Street" in html and "1 Example Street" in text
    assert 'name="color-scheme"' in html and "prefers-color-scheme: dark" in html
    assert 'style="' in html                                  # CSS inlined
    assert len(html.encode()) < EMAIL_HTML_BUDGET
    assert r.subject == (item.variants.get("email_subject") or item.title)
    assert all(len(line) <= 78 for line in text.splitlines() if "://" not in line)
    assert "Educational information, not medical advice" in html.split('class="footer"')[1]


def test_email_boxes_the_fda_statement_in_the_section_with_the_claim(renderer: Renderer,
                                                                      rules) -> None:
    item = make_item(body="## Bones\n\nVitamin K2 supports bone health.\n\n"
                          "## Food\n\nNatto is a food.\n")
    r = renderer.render(item, "email")
    fda = rules.get("FDA_SF_1").text
    html = r.html or ""
    bones, food = html.split("Bones</h3>")[1].split("Food</h3>")
    assert fda in bones and fda not in food
    assert "boxed" in bones and "<strong>* " + fda in bones
    assert "supports bone health.*" in bones                 # the symbol points to the box
    text = " ".join((r.text or "").split())
    assert "supports bone health.*" in text and "* " + fda in text


def test_digest_has_a_table_of_contents(renderer: Renderer) -> None:
    items = [make_item(id="vitamin-k2/a", title="First note"),
             make_item(id="vitamin-k2/b", title="Second note")]
    r = renderer.render_issue(items)
    assert 'href="#item-1"' in (r.html or "") and 'id="item-2"' in (r.html or "")
    assert "In this issue" in (r.text or "") and "2. Second note" in (r.text or "")


# -- social ------------------------------------------------------------------------------------

LONG_BODY = " ".join(
    f"Sentence {i} notes that Dr. Smith measured 45.5 mcg in natto, e.g. in Japan." for i in
    range(25))


@pytest.mark.parametrize("profile", [p for p in SOCIAL if PROFILES[p].threads])
def test_overlong_post_becomes_a_numbered_thread_within_limits(renderer: Renderer, rules,
                                                               profile: str) -> None:
    item = make_item(summary=LONG_BODY[:240], variants={profile: LONG_BODY}, tags=("dosage",))
    r = renderer.render(item, profile)
    assert len(r.parts) > 1
    n = len(r.parts)
    for i, part in enumerate(r.parts, 1):
        assert re.match(rf"{i}/{n}\s", part.text)
        assert fits(part.text, PROFILES[profile])
    assert rules.get("WARFARIN_VKA").present_in(r.parts[0].text, allow_short=True)
    assert r.link in r.parts[-1].text
    assert check(r, item, rules).ok, check(r, item, rules).problems


@pytest.mark.parametrize("profile", [p for p in SOCIAL if not PROFILES[p].threads])
def test_overlong_post_on_a_profile_without_threads_is_refused(renderer: Renderer, rules,
                                                               profile: str) -> None:
    limit = PROFILES[profile].limit
    body = " ".join(["Natto is a traditional food."] * (limit // 20))
    item = make_item(variants={profile: body})
    r = renderer.render(item, profile)
    assert len(r.parts) == 1 and r.extra["over_limit"]
    verdict = check(r, item, rules)
    assert not verdict.ok and any("over the limit" in p for p in verdict.problems)


def test_hashtags_go_before_anything_else(renderer: Renderer) -> None:
    tags = ("vitamin-k2", "bone-health", "natto")
    bare = renderer.render(make_item(variants={"mastodon": "N."}), "mastodon").parts[0].text
    room = 500 - count(bare, "mastodon") + 2           # what a body may take without tags
    body = ("Natto is a traditional food. " * 30)[:room - 5].rsplit(" ", 1)[0] + "."
    item = make_item(variants={"mastodon": body}, tags=tags)
    r = renderer.render(item, "mastodon")
    assert len(r.parts) == 1 and r.extra["dropped_hashtags"]
    assert "#" not in r.parts[0].text


def test_short_post_carries_hashtags_link_and_short_disclaimers(renderer: Renderer,
                                                                rules) -> None:
    item = make_item(tags=("vitamin-k2", "bone-health", "natto", "extra"))
    r = renderer.render(item, "mastodon")
    text = r.parts[0].text
    assert "#VitaminK2 #BoneHealth #Natto" in text and "#Extra" not in text
    assert r.link in text
    assert rules.get("NOT_MEDICAL_ADVICE").short in text


def test_bluesky_parts_carry_link_and_tag_facets(renderer: Renderer) -> None:
    item = make_item(summary="Natto is a food.")
    r = renderer.render(item, "bluesky")
    part = r.parts[0]
    data = part.text.encode()
    links = [f for f in part.facets if f["features"][0]["$type"].endswith("#link")]
    assert links and data[links[0]["index"]["byteStart"]:links[0]["index"]["byteEnd"]] \
        == r.link.encode()


def test_telegram_uses_only_its_html_subset(renderer: Renderer, hostile_item: Item) -> None:
    r = renderer.render(hostile_item, "telegram")
    tags = set(re.findall(r"</?([a-zA-Z][a-zA-Z0-9-]*)", r.parts[0].text))
    assert tags <= {"b", "i", "a", "code", "pre", "blockquote"}
    assert "&lt;script&gt;" in r.parts[0].text or "<script>" not in r.parts[0].text


def test_slack_and_discord_escape_their_markup(renderer: Renderer) -> None:
    item = make_item(summary="Tom & Jerry <b>x</b> *star* _under_")
    slack = renderer.render(item, "slack").parts[0].text
    discord = renderer.render(item, "discord").parts[0].text
    assert "Tom &amp; Jerry &lt;b&gt;x&lt;/b&gt;" in slack
    assert r"\*star\* \_under\_" in discord


def test_preclinical_item_carries_the_evidence_caveat_in_every_claim_post(
        renderer: Renderer, rules) -> None:
    body = " ".join(["In mice, MK-4 slowed tumour growth in a lab study."] * 12)
    item = make_item(evidence=(Evidence.ANIMAL,), variants={"x": body})
    r = renderer.render(item, "x")
    assert check(r, item, rules).ok, check(r, item, rules).problems
    oncology, preclinical = rules.get("ONCOLOGY", item), rules.get("EVIDENCE_PRECLINICAL")
    claim_posts = [p.text for p in r.parts if "tumour" in p.text]
    assert sum(text.count("tumour growth") for text in claim_posts) == 12   # nothing dropped
    for text in claim_posts:
        assert oncology.present_in(text, allow_short=True)
        assert preclinical.present_in(text, allow_short=True)


# -- templates -----------------------------------------------------------------------------------

def test_removing_the_disclaimer_partial_in_a_user_override_makes_the_guard_refuse(
        tmp_path: Path, rules) -> None:
    (tmp_path / "templates" / "partials").mkdir(parents=True)
    (tmp_path / "templates" / "partials" / "disclaimers.html").write_text("")
    (tmp_path / "templates" / "partials" / "disclaimers.txt").write_text("")
    renderer = Renderer(make_settings(tmp_path), rules)
    item = SHIPPED[0]
    r = renderer.render(item, "email")
    verdict = check(r, item, rules)
    assert not verdict.ok
    assert any("missing disclaimer" in p for p in verdict.problems)


def test_user_template_overrides_the_builtin(tmp_path: Path, rules) -> None:
    (tmp_path / "templates" / "social").mkdir(parents=True)
    (tmp_path / "templates" / "social" / "mastodon.txt").write_text("CUSTOM {{ body }}")
    r = Renderer(make_settings(tmp_path), rules).render(make_item(), "mastodon")
    assert r.parts[0].text.startswith("CUSTOM ")


def test_template_errors_name_the_template_and_line(tmp_path: Path, rules) -> None:
    (tmp_path / "templates" / "social").mkdir(parents=True)
    (tmp_path / "templates" / "social" / "x.txt").write_text("ok\n{{ body }}\n{{ typo_here }}\n")
    (tmp_path / "templates" / "social" / "bluesky.txt").write_text("ok\n{% if %}\n")
    renderer = Renderer(make_settings(tmp_path), rules)
    with pytest.raises(TemplateError, match=r"x\.txt:3: .*typo_here"):
        renderer.render(make_item(), "x")
    with pytest.raises(TemplateError, match=r"bluesky\.txt:2"):
        renderer.render(make_item(), "bluesky")


@pytest.mark.parametrize("profile", ["email", "web", "feed"])
def test_safety_warnings_come_first_and_general_notes_sit_in_a_box_after_the_text(
        renderer: Renderer, rules, profile: str) -> None:
    item = make_item(body="Take 100 mcg of vitamin K2 with food.\n\n"
                          "## Bones\n\nVitamin K2 supports bone health.\n",
                     tags=("dosage",))
    r = renderer.render(item, profile)
    html = unescape(r.html or "")
    warfarin = rules.get("WARFARIN_VKA").text
    consult = rules.get("CONSULT_BEFORE_USE", item).text
    first_sentence = html.index("Take 100 mcg")
    assert html.index('class="safety"') < html.index(warfarin) < first_sentence
    notes = html.index('class="notes"')
    assert first_sentence < notes < html.index(consult)
    assert f"<strong>{consult}" not in html                   # general notes: plain weight
    fda = rules.get("FDA_SF_1").text
    assert "<strong>* " + fda in html                         # FDA: bold and boxed
    # (a feed's text also carries the summary, which lists every disclaimer first)
    text = r.text if profile == "email" else r.parts[0].text.split(item.title + "\n", 1)[-1]
    assert text and text.index(warfarin[:20]) < text.index("Take 100 mcg") < \
        text.index(consult[:20])
    assert check(r, item, rules).ok


def test_rss_text_fields_are_html_escaped_for_xml_and_read_back_whole(tmp_path: Path,
                                                                     rules) -> None:
    renderer = Renderer(make_settings(tmp_path, feeds={"hub": "https://hub.example.org/"}),
                        rules)
    title, summary = "K2 & D3 < 1 mg <b>x</b>", "An effect at p < 0.05 & 2 > 1 <script>"
    item = make_item(title=title, summary=summary, tags=("a&b", "<t>"))
    rss, atom = renderer.feeds([(item, datetime(2026, 11, 24, 9, tzinfo=UTC))])
    entry = feedparser.parse(rss).entries[0]
    # RSS readers read these as HTML: the HTML they get shows the plain text exactly
    assert entry.title_detail.type == "text/html" and unescape(entry.title) == title
    assert summary in unescape(re.sub(r"<[^>]+>", " ", entry.summary))
    assert "<script>" not in entry.summary and "&lt;script&gt;" in entry.summary
    assert {unescape(t.term) for t in entry.tags} == {"a&b", "<t>"}
    atom_entry = feedparser.parse(atom).entries[0]
    assert atom_entry.title == title and atom_entry.title_detail.type == "text/plain"
    for doc in (rss, atom):
        parsed = feedparser.parse(doc)
        assert not parsed.bozo
        assert "https://hub.example.org/" in {link.href for link in parsed.feed.links
                                               if link.rel == "hub"}


def test_atom_updated_is_distinct_for_entries_in_the_same_second(renderer: Renderer) -> None:
    moment = datetime(2026, 11, 24, 9, tzinfo=UTC)
    entries = [(make_item(id=f"vitamin-k2/s{i}", title=f"S{i}"),
                moment + timedelta(microseconds=1000 * i)) for i in range(3)]
    _, atom = renderer.feeds(entries)
    updated = [e.updated for e in feedparser.parse(atom).entries]
    assert len(set(updated)) == 3 and sorted(updated, reverse=True) == updated


def test_json_feed_and_per_tag_feeds_parse_and_agree(tmp_path: Path) -> None:
    renderer = Renderer(make_settings(tmp_path, feeds={"hub": "https://hub.example.org/"}),
                        DisclaimerRules.load())
    moment = datetime(2026, 11, 24, 9, tzinfo=UTC)
    entries = [(make_item(id="vitamin-k2/a", title="A & <b>", tags=("bone", "Vitamin K2")),
                moment), (make_item(id="vitamin-k2/b", title="B", tags=("heart",)),
                          moment + timedelta(seconds=1))]
    site = renderer.feed_set(entries)
    data = json.loads(site["feed.json"])
    # JSON Feed 1.1's required fields (jsonfeed.org/version/1.1): version, title, items with id
    assert data["version"] == "https://jsonfeed.org/version/1.1" and data["title"]
    assert [i["title"] for i in data["items"]] == ["B", "A & <b>"]
    assert all(isinstance(i["id"], str) and i["id"] and i["content_html"]
               and i["date_published"] for i in data["items"])
    assert all(datetime.fromisoformat(i["date_published"]).tzinfo for i in data["items"])
    assert data["hubs"] == [{"type": "WebSub", "url": "https://hub.example.org/"}]
    assert data["feed_url"] == "http://127.0.0.1:8025/feed.json"
    assert data["items"][1]["tags"] == ["bone", "Vitamin K2"]
    tags = renderer.tag_feed_sets(entries)
    assert set(tags) == {f"tags/{slug}/{name}" for slug in ("bone", "vitamin-k2", "heart")
                         for name in ("feed.xml", "atom.xml", "feed.json")}
    bone = feedparser.parse(tags["tags/bone/atom.xml"])
    assert [e.title for e in bone.entries] == ["A & <b>"] and not bone.bozo
    assert bone.feed.id == "http://127.0.0.1:8025/tags/bone/"
    assert feedparser.parse(site["atom.xml"]).feed.id == "http://127.0.0.1:8025/"
    heart = feedparser.parse(tags["tags/heart/feed.xml"])
    assert [e.title for e in heart.entries] == ["B"]
    assert any(link.rel == "self" and link.href.endswith("/tags/heart/feed.xml")
               for link in heart.feed.links)
