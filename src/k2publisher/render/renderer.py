"""The renderer: one queue item (or a newsletter issue) becomes a :class:`Rendering`.

Long formats (email, feed, web) go through :func:`k2publisher.render.context.build_view`,
which places the disclaimers; social formats through
:class:`k2publisher.render.social.SocialComposer`, which fits posts to each network's count.
Which disclaimers are needed is always asked of the rules passed in (a
:class:`~k2publisher.abc.DisclaimerSource`), never decided here; render imports nothing from
the guard.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import css_inline
import jinja2

from k2publisher.abc import DisclaimerSource
from k2publisher.models import UNSUBSCRIBE_PLACEHOLDER, Item, Part, Rendering
from k2publisher.render.context import DisclaimerView, ItemView, build_view
from k2publisher.render.environment import make_environment, render_template
from k2publisher.render.profiles import Profile, get_profile
from k2publisher.render.social import SocialComposer, hashtags, tidy
from k2publisher.render.xml import strip_illegal_xml
from k2publisher.settings import Settings

log = logging.getLogger(__name__)

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
        ordered = sorted(entries, key=lambda e: _aware(e[1]), reverse=True)[:self.feed_items]
        return self._feed_documents([self._entry(i, t) for i, t in ordered])

    def _feed_documents(self, rendered: Sequence[dict[str, Any]]) -> tuple[str, str]:
        updated = rendered[0]["published"] if rendered else datetime.now(UTC)
        ctx = dict(entries=rendered, updated=updated, base_url=self.base_url,
                   hub=str(self.settings.section("feeds").get("hub", "")),
                   rss_url=f"{self.base_url}/feed.xml", atom_url=f"{self.base_url}/atom.xml")
        return self._render("feed/rss.xml", **ctx), self._render("feed/atom.xml", **ctx)

    def _feed_rendering(self, item: Item, p: Profile, channel: str) -> Rendering:
        entry = self._entry(item, datetime.now(UTC))
        view: ItemView = entry["view"]
        rss, atom = self._feed_documents([entry])
        text = f"{entry['summary']}\n\n{tidy(self._render('web/item.txt', view=view))}\n"
        return Rendering(item_id=item.id, channel=channel, profile=p.name, family=p.family,
                         parts=(Part(text=text, html=entry["content"], disclaimers=view.ids),),
                         link=view.url, limit=p.limit, counter=p.counter,
                         html=entry["content"], text=text, disclaimers=view.ids,
                         extra={"summary": entry["summary"], "rss": rss, "atom": atom},
                         title=view.title, summary=view.summary)

    # -- web -------------------------------------------------------------------------------------

    def archive_page(self, item: Item, published: datetime | None = None) -> str:
        """The item's archive page (disclaimers at the top), fully escaped."""
        return self._render("web/item.html", view=self.view(item), published=published,
                            index_url=f"{self.base_url}/archive/")

    def archive_index(self, entries: Sequence[tuple[Item, datetime]]) -> str:
        """The archive index: every published item, newest first."""
        ordered = sorted(entries, key=lambda e: _aware(e[1]), reverse=True)
        rows = [{"item": i, "title": strip_illegal_xml(i.title),
                 "summary": strip_illegal_xml(i.summary), "url": self.item_url(i),
                 "published": _aware(t)} for i, t in ordered]
        return self._render("web/index.html", entries=rows)

    def _web_rendering(self, item: Item, p: Profile, channel: str) -> Rendering:
        view = self.view(item)
        page = self._render("web/item.html", view=view, published=None,
                            index_url=f"{self.base_url}/archive/")
        text = tidy(self._render("web/item.txt", view=view)) + "\n"
        return Rendering(item_id=item.id, channel=channel, profile=p.name, family=p.family,
                         parts=(Part(text=text, html=page, disclaimers=view.ids),),
                         link=view.url, limit=p.limit, counter=p.counter, html=page, text=text,
                         disclaimers=view.ids, title=view.title, summary=view.summary)

    # -- social -----------------------------------------------------------------------------------

    def _social(self, item: Item, p: Profile, channel: str) -> Rendering:
        composer = SocialComposer(self.env, self.rules, item, p, self.item_url(item),
                                  hashtags(item.tags, self.max_tags))
        posts = composer.compose()
        ids = tuple(dict.fromkeys(d for part in posts.parts for d in part.disclaimers))
        return Rendering(item_id=item.id, channel=channel, profile=p.name, family=p.family,
                         parts=posts.parts, link=composer.link, limit=p.limit,
                         counter=p.counter, disclaimers=ids,
                         extra={"threaded": posts.threaded, "dropped": list(posts.dropped),
                                "dropped_hashtags": posts.dropped_hashtags,
                                "over_limit": posts.over_limit, "markup": p.markup},
                         title=" ".join(strip_illegal_xml(item.title).split()),
                         summary=" ".join(strip_illegal_xml(item.summary).split()))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _unique_views(views: Any) -> list[DisclaimerView]:
    seen: dict[str, DisclaimerView] = {}
    for v in views:
        seen.setdefault(v.id, v)
    return list(seen.values())
