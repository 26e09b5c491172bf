"""The renderer: one queue item (or a newsletter issue) becomes a :class:`Rendering`.

Long formats (email, feed, web) go through :func:`k2publisher.render.context.build_view`,
which places the disclaimers; social formats through
:class:`k2publisher.render.social.SocialComposer`, which fits posts to each network's count.
Which disclaimers are needed is always asked of the rules passed in (a
:class:`~k2publisher.abc.DisclaimerSource`), never decided here; render imports nothing from
the guard.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import css_inline
import jinja2

from k2publisher.abc import DisclaimerSource
from k2publisher.errors import ConfigError
from k2publisher.models import UNSUBSCRIBE_PLACEHOLDER, Item, Media, Part, Rendering
from k2publisher.render.context import DisclaimerView, ItemView, build_view
from k2publisher.render.environment import make_environment, render_template, rfc3339
from k2publisher.render.profiles import LINK_PLACEMENTS, Profile, get_profile, post_cost
from k2publisher.render.social import SocialComposer, hashtags, tidy
from k2publisher.render.splitting import sentences
from k2publisher.render.xml import strip_illegal_xml
from k2publisher.settings import Settings

log = logging.getLogger(__name__)

#: the three feed documents, for the whole site and for each tag
FEED_FILES = ("feed.xml", "atom.xml", "feed.json")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def tag_slug(tag: str) -> str:
    """The path segment of a tag's feeds: ``Vitamin K2`` -> ``vitamin-k2``."""
    return _NOT_SLUG.sub("-", tag.lower()).strip("-")


#: Gmail clips HTML bodies above about 102 KB; stay under 100 KB
EMAIL_HTML_BUDGET = 100 * 1024
FOOTER_IDS = frozenset({"NOT_MEDICAL_ADVICE"})


class Renderer:
    """Renders items for profiles with the site's templates and the disclaimer rules.

    ``rules`` is any :class:`~k2publisher.abc.DisclaimerSource` (the Pipeline passes the
    guard's ``DisclaimerRules``), so the Renderer never decides which disclaimers are needed.
    """

    def __init__(self, settings: Settings, rules: DisclaimerSource):
        self.settings = settings
        self.rules = rules
        self.env: jinja2.Environment = make_environment(settings)
        opts = settings.section("render")
        # defaults live in settings.DEFAULTS["render"]
        self.width = int(opts["text_width"])
        self.max_tags = int(opts["hashtags"])
        self.feed_items = int(opts["feed_items"])
        self.images = bool(opts["images"])
        self._inliner = css_inline.CSSInliner(keep_at_rules=True,
                                              load_remote_stylesheets=False)

    # -- helpers ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The site's base URL without a trailing slash."""
        return str(self.settings.site.get("base_url", "")).rstrip("/")

    def item_url(self, item: Item) -> str:
        """Absolute URL of the item's archive page: ``{base_url}/archive/{item.id}/``."""
        return f"{self.base_url}/archive/{item.id}/"

    def view(self, item: Item) -> ItemView:
        """The item cut into sections with its disclaimers placed (see ``context.py``)."""
        return build_view(item, self.rules, self.item_url(item), self.width)

    def _render(self, name: str, **context: Any) -> str:
        return render_template(self.env, name, site=self.settings.site, width=self.width,
                               **context)

    # -- the one entry point ------------------------------------------------------------------

    def render(self, item: Item, profile: str, *, channel: str | None = None) -> Rendering:
        """``item`` rendered for ``profile`` (a name from :data:`profiles.PROFILES`)."""
        p = get_profile(profile)
        name = channel or p.name
        if p.family == "email":
            return self.render_issue([item], channel=name)
        if p.family == "feed":
            return self._feed_rendering(item, p, name)
        if p.family == "web":
            return self._web_rendering(item, p, name)
        return self._social(item, p, name)

    # -- email ---------------------------------------------------------------------------------

    def subject(self, items: Sequence[Item]) -> str:
        """The email subject: the item's ``email_subject`` variant or its title (no claims)."""
        if len(items) == 1:
            subject = items[0].variants.get("email_subject") or items[0].title
            return " ".join(strip_illegal_xml(subject).split())
        return f"{self.settings.site.get('name', '')}: {len(items)} new notes"

    def preheader(self, items: Sequence[Item]) -> str:
        """Inbox preview text: the ``email_preheader`` variant or a neutral line of titles."""
        if len(items) == 1 and items[0].variants.get("email_preheader"):
            return " ".join(strip_illegal_xml(items[0].variants["email_preheader"]).split())
        titles = "; ".join(" ".join(strip_illegal_xml(i.title).split()) for i in items)
        return f"New from {self.settings.site.get('name', '')}: {titles}"

    def render_issue(self, items: Sequence[Item], *, channel: str = "email",
                     welcome: bool = False) -> Rendering:
        """A newsletter issue: one item, or a digest with a table of contents.

        ``welcome`` makes the mail a subscriber gets on confirming: ``email/welcome.*``
        greets them above the items (which may then be none at all).
        ``html`` and ``text`` contain :data:`~k2publisher.models.UNSUBSCRIBE_PLACEHOLDER`
        where each recipient's unsubscribe URL goes.
        """
        if not items and not welcome:
            raise ValueError("a newsletter issue needs at least one item")
        views = [self.view(i) for i in items]
        footer = _unique_views(d for v in views for d in v.disclaimers
                               if d.placement == "footer" or d.id in FOOTER_IDS)
        name = self.settings.site.get("name", "")
        ctx = dict(views=views, digest=len(views) > 1, welcome=welcome,
                   subject=f"Welcome to {name}" if welcome else self.subject(items),
                   preheader=(f"Your subscription to {name} is confirmed" if welcome
                              else self.preheader(items)), footer_notes=footer,
                   unsubscribe_url=UNSUBSCRIBE_PLACEHOLDER)
        html = self._inline(self._render("email/issue.html", **ctx))
        text = tidy(self._render("email/issue.txt", **ctx)) + "\n"
        if len(html.encode("utf-8")) > EMAIL_HTML_BUDGET:
            log.warning("email HTML for %s is %d bytes, over Gmail's clipping budget",
                        ", ".join(i.id for i in items), len(html.encode("utf-8")))
        ids = tuple(dict.fromkeys(d.id for v in views for d in v.disclaimers))
        p = get_profile("email")
        return Rendering(
            item_id=("welcome" if not items else items[0].id if len(items) == 1
                     else "+".join(i.id for i in items)),
            channel=channel, profile=p.name, family=p.family,
            parts=(Part(text=text, html=html, disclaimers=ids),),
            link=views[0].url if views else f"{self.base_url}/", limit=p.limit, counter=p.counter,
            subject=ctx["subject"], preheader=ctx["preheader"], html=html, text=text,
            disclaimers=ids, extra={"html_bytes": len(html.encode("utf-8")),
                                    "items": [i.id for i in items]},
            title=ctx["subject"], summary=ctx["preheader"])

    def _inline(self, html: str) -> str:
        return self._inliner.inline(html)

    # -- feeds ---------------------------------------------------------------------------------

    def _entry(self, item: Item, published: datetime) -> dict[str, Any]:
        view = self.view(item)
        content = self._render("feed/entry.html", view=view)
        summary = tidy(self._render("feed/summary.txt", view=view))
        moment = published if published.tzinfo else published.replace(tzinfo=UTC)
        return {"view": view, "item": item, "url": view.url, "id": view.url,
                "published": moment, "content": content, "summary": summary,
                "categories": list(item.tags)}

    def feeds(self, entries: Sequence[tuple[Item, datetime]]) -> tuple[str, str]:
        """The RSS 2.0 and Atom 1.0 documents for published ``entries`` (newest first)."""
        documents = self.feed_set(entries)
        return documents["feed.xml"], documents["atom.xml"]

    def feed_set(self, entries: Sequence[tuple[Item, datetime]], *,
                 tag: str | None = None) -> dict[str, str]:
        """RSS 2.0, Atom 1.0 and JSON Feed 1.1 for ``entries``, by path in the public folder.

        With ``tag``, only the entries carrying it, under ``tags/<slug>/`` (per-tag feeds).
        """
        chosen = [(i, t) for i, t in entries if tag is None or tag in i.tags]
        ordered = sorted(chosen, key=lambda e: _aware(e[1]), reverse=True)[:self.feed_items]
        rendered = [self._entry(i, t) for i, t in ordered]
        prefix = f"tags/{tag_slug(tag)}/" if tag else ""
        urls = {name: f"{self.base_url}/{prefix}{name}" for name in FEED_FILES}
        updated = rendered[0]["published"] if rendered else datetime.now(UTC)
        title = str(self.settings.site.get("name", "")) + (f": {tag}" if tag else "")
        ctx = dict(entries=rendered, updated=updated, base_url=self.base_url, hub=self.hub,
                   title=title, feed_id=f"{self.base_url}/{prefix}",
                   rss_url=urls["feed.xml"], atom_url=urls["atom.xml"])
        return {f"{prefix}feed.xml": self._render("feed/rss.xml", **ctx),
                f"{prefix}atom.xml": self._render("feed/atom.xml", **ctx),
                f"{prefix}feed.json": self._json_feed(rendered, title, urls["feed.json"])}

    def tag_feed_sets(self, entries: Sequence[tuple[Item, datetime]]) -> dict[str, str]:
        """Every published tag's three feeds, by path (``tags/<slug>/feed.xml`` ...)."""
        tags = sorted({t for i, _ in entries for t in i.tags if tag_slug(t)})
        out: dict[str, str] = {}
        for tag in tags:
            out.update(self.feed_set(entries, tag=tag))
        return out

    @property
    def hub(self) -> str:
        """The WebSub hub announced in every feed (``[feeds] hub``), or ``""``."""
        return str(self.settings.section("feeds").get("hub", "") or "")

    def _json_feed(self, rendered: Sequence[dict[str, Any]], title: str, url: str) -> str:
        """JSON Feed 1.1 (jsonfeed.org/version/1.1): the same entries as the XML feeds."""
        site = self.settings.site
        feed: dict[str, Any] = {
            "version": "https://jsonfeed.org/version/1.1", "title": title,
            "home_page_url": f"{self.base_url}/", "feed_url": url,
            "description": str(site.get("description", "")),
            "language": str(site.get("language", "en")),
            "authors": [{"name": str(site.get("publisher", ""))}],
            "items": [{"id": e["id"], "url": e["url"], "title": e["view"].title,
                       "summary": e["summary"], "content_html": e["content"],
                       "date_published": rfc3339(e["published"]),
                       "date_modified": rfc3339(e["published"]),
                       "tags": list(e["categories"])} for e in rendered]}
        if self.hub:
            feed["hubs"] = [{"type": "WebSub", "url": self.hub}]
        return json.dumps(feed, ensure_ascii=False, indent=2) + "\n"

    def _feed_rendering(self, item: Item, p: Profile, channel: str) -> Rendering:
        now = datetime.now(UTC)
        entry = self._entry(item, now)
        view: ItemView = entry["view"]
        documents = self.feed_set([(item, now)])
        rss, atom = documents["feed.xml"], documents["atom.xml"]
        text = f"{entry['summary']}\n\n{tidy(self._render('web/item.txt', view=view))}\n"
        return Rendering(item_id=item.id, channel=channel, profile=p.name, family=p.family,
                         parts=(Part(text=text, html=entry["content"], disclaimers=view.ids),),
                         link=view.url, limit=p.limit, counter=p.counter,
                         html=entry["content"], text=text, disclaimers=view.ids,
                         extra={"summary": entry["summary"], "rss": rss, "atom": atom,
                                "json": documents["feed.json"]},
                         title=view.title, summary=view.summary)

    # -- web -------------------------------------------------------------------------------------

    def feed_links(self, tags: Sequence[str] = ()) -> list[dict[str, str]]:
        """The site's feeds (and those of ``tags``), for autodiscovery and the subscribe box."""
        name = self.settings.site.get("name", "")
        kinds = (("feed.xml", "application/rss+xml", "RSS"),
                 ("atom.xml", "application/atom+xml", "Atom"),
                 ("feed.json", "application/feed+json", "JSON Feed"))
        links = []
        for tag in [None, *[t for t in tags if tag_slug(t)]]:
            prefix = f"tags/{tag_slug(tag)}/" if tag else ""
            about = f"{name}: {tag}" if tag else str(name)
            links += [{"type": kind, "title": f"{about} ({label})", "tag": tag or "",
                       "label": f"{label} feed" + (f" for {tag}" if tag else ""),
                       "url": f"{self.base_url}/{prefix}{file}"}
                      for file, kind, label in kinds]
        return links

    def _page(self, name: str, *, title: str, description: str, url: str, kind: str,
              tags: Sequence[str] = (), **context: Any) -> str:
        """A public page: ``web/<name>`` with its canonical URL, social cards and feeds."""
        page = {"title": title, "description": " ".join(description.split())[:300],
                "url": url, "type": kind, "image": "", "image_alt": ""}
        return self._render(name, page=page, feeds=self.feed_links(tags),
                            subscribe_url=f"{self.base_url}/subscribe", **context)

    def archive_page(self, item: Item, published: datetime | None = None) -> str:
        """The item's archive page (safety warnings first), fully escaped."""
        view = self.view(item)
        return self._page("web/item.html", title=view.title, description=view.summary,
                          url=view.url, kind="article", tags=item.tags, view=view,
                          published=published,
                          index_url=f"{self.base_url}/archive/")

    def archive_index(self, entries: Sequence[tuple[Item, datetime]]) -> str:
        """The archive index: every published item, newest first."""
        ordered = sorted(entries, key=lambda e: _aware(e[1]), reverse=True)
        rows = [{"item": i, "title": strip_illegal_xml(i.title),
                 "summary": strip_illegal_xml(i.summary), "url": self.item_url(i),
                 "published": _aware(t)} for i, t in ordered]
        site = self.settings.site
        return self._page("web/index.html", title=f"All notes · {site.get('name', '')}",
                          description=str(site.get("description", "")),
                          url=f"{self.base_url}/archive/", kind="website", entries=rows)

    def home_page(self) -> str:
        """The site's root page: what it is, how to follow it, where the archive is."""
        site = self.settings.site
        return self._page("web/home.html", title=str(site.get("name", "")),
                          description=str(site.get("description", "")),
                          url=f"{self.base_url}/", kind="website")

    def _web_rendering(self, item: Item, p: Profile, channel: str) -> Rendering:
        view = self.view(item)
        page = self.archive_page(item)
        text = tidy(self._render("web/item.txt", view=view)) + "\n"
        return Rendering(item_id=item.id, channel=channel, profile=p.name, family=p.family,
                         parts=(Part(text=text, html=page, disclaimers=view.ids),),
                         link=view.url, limit=p.limit, counter=p.counter, html=page, text=text,
                         disclaimers=view.ids, title=view.title, summary=view.summary)

    # -- social -----------------------------------------------------------------------------------

    def card(self, item: Item) -> Media:
        """The item's image card: title, key point and the disclaimers that point needs.

        The disclaimers are what the guard will demand of the card's text as a first post
        (short forms), so the card passes the same check as the post it rides on.
        """
        from k2publisher.render.cards import render_card

        title = " ".join(strip_illegal_xml(item.title).split())
        point = (sentences(strip_illegal_xml(item.summary)) or [""])[0]
        needed = self.rules.required_for_part(item, f"{title}\n{point}", 0, "social")
        notes = [DisclaimerView.of(d, short=True).text for d in needed]
        return render_card(title, point, notes, str(self.settings.site.get("name", "")))

    def link_placement(self, channel: str, profile: Profile) -> str:
        """The channel's ``link`` option (``inline``, ``reply`` or ``none``; default inline)."""
        options = self.settings.section("channels").get(channel) or {}
        mode = str(options.get("link", "inline")) if isinstance(options, dict) else "inline"
        if mode not in LINK_PLACEMENTS:
            raise ConfigError(f"channels.{channel}.link = {mode!r}: use one of "
                              + ", ".join(LINK_PLACEMENTS), self.settings.config_path)
        if mode == "reply" and not profile.threads:
            raise ConfigError(f"channels.{channel}.link = 'reply' needs a network with "
                              f"replies; {profile.name} has none", self.settings.config_path)
        return mode

    def _social(self, item: Item, p: Profile, channel: str) -> Rendering:
        placement = self.link_placement(channel, p)
        url = self.item_url(item)
        composer = SocialComposer(self.env, self.rules, item, p,
                                  url if placement == "inline" else "",
                                  hashtags(item.tags, self.max_tags))
        posts = composer.compose()
        parts = posts.parts
        if self.images and p.images and parts and not posts.over_limit:
            parts = (replace(parts[0], media=(self.card(item),)), *parts[1:])
        if placement == "reply":
            # the costly URL goes in a reply of its own, with what a post carrying the link
            # must carry (the footer notes); the posts above stay link-free
            linker = SocialComposer(self.env, self.rules, item, p, url, [])
            parts = (*parts, linker.post([], len(parts), len(parts) + 1, link=True, tags=()))
        ids = tuple(dict.fromkeys(d for part in parts for d in part.disclaimers))
        extra: dict[str, Any] = {
            "threaded": posts.threaded or len(parts) > 1, "dropped": list(posts.dropped),
            "dropped_hashtags": posts.dropped_hashtags, "over_limit": posts.over_limit,
            "markup": p.markup, "link_placement": placement}
        if p.post_cost is not None:
            extra["costs"] = [post_cost(p, part.text) for part in parts]
        return Rendering(item_id=item.id, channel=channel, profile=p.name, family=p.family,
                         parts=parts, link=url, limit=p.limit,
                         counter=p.counter, disclaimers=ids, extra=extra,
                         title=" ".join(strip_illegal_xml(item.title).split()),
                         summary=" ".join(strip_illegal_xml(item.summary).split()))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _unique_views(views: Any) -> list[DisclaimerView]:
    seen: dict[str, DisclaimerView] = {}
    for v in views:
        seen.setdefault(v.id, v)
    return list(seen.values())
