"""The public newsletter pages: ``/subscribe``, ``/confirm/<token>``, ``/unsubscribe/<token>``.

A small werkzeug WSGI app the service mounts. What it promises:

- ``/subscribe`` answers the same page whether or not the address is already known, so
  nobody can test an address for membership; a honeypot field, a per-IP and a per-address
  rate limit and a daily cap on confirmation mails per address stop abuse.
- ``GET /confirm/<token>`` only shows a page with one button (mail scanners that follow
  links confirm nothing); ``POST`` confirms (signed, expiring, single-use token) and sends
  the welcome mail (:mod:`k2publisher.newsletter.welcome`).
- ``/resend-confirmation`` mails a pending address a fresh link, within the same per-address
  limit and daily cap as ``/subscribe``, and answers the same page for every address.
- ``GET /unsubscribe/<token>`` only shows a page with one button; ``POST`` with
  ``List-Unsubscribe=One-Click`` (RFC 8058, url-encoded or multipart) unsubscribes at once:
  no cookie, no login, no redirect.
- Every value shown is HTML-escaped; responses are not cached and send no referrer.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from k2publisher.errors import AddressError, DeliveryError, SubscriberLookupError, TokenError
from k2publisher.newsletter.feedback.webhooks import Webhooks
from k2publisher.newsletter.message import PREVIEW_TOKEN
from k2publisher.newsletter.send import ConfirmationMailer
from k2publisher.newsletter.store import NewsletterStore
from k2publisher.newsletter.subscribers import Source, State, Subscribers, normalise
from k2publisher.newsletter.tokens import Tokens
from k2publisher.newsletter.welcome import WelcomeMailer
from k2publisher.settings import Settings

log = logging.getLogger("k2publisher.newsletter.web")
HONEYPOT = "website"
ONE_CLICK_FIELD, ONE_CLICK_VALUE = "List-Unsubscribe", "One-Click"


class SlidingLimit:
    """At most ``limit`` events per key in the last ``window`` seconds (in memory)."""

    def __init__(self, limit: int, window: float, *, clock: Callable[[], float] = time.time,
                 max_keys: int = 50_000):
        self.limit = int(limit)
        self.window = float(window)
        self.clock = clock
        self.max_keys = max_keys
        self._hits: dict[str, collections.deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float:
        """Count one event; returns 0 if allowed, else seconds until the next is allowed."""
        if self.limit <= 0:
            return 0.0
        now = self.clock()
        with self._lock:
            if len(self._hits) > self.max_keys:
                self._purge(now)
            hits = self._hits.setdefault(key, collections.deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return hits[0] + self.window - now
            hits.append(now)
            return 0.0

    def _purge(self, now: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
            del self._hits[key]


_PAGE = Markup("""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title} - {site}</title>
<style>body{{font:17px/1.5 system-ui,sans-serif;max-width:34em;margin:3em auto;padding:0 1em}}
.hp{{position:absolute;left:-10000px}} .error{{color:#a00}}
input[type=email]{{font-size:1em;padding:.3em;width:100%}} button{{font-size:1em;padding:.4em 1em}}
</style></head>
<body><h1>{title}</h1>
{body}
<p><small><a href="{home}">{site}</a></small></p>
</body></html>""")


class NewsletterApp:
    """The WSGI app for the three newsletter routes."""

    def __init__(self, settings: Settings, *, store: NewsletterStore | None = None,
                 mailer: ConfirmationMailer | None = None,
                 welcome: WelcomeMailer | None = None,
                 webhooks: Webhooks | None = None,
                 clock: Callable[[], float] = time.time):
        self.settings = settings
        self.store = store or NewsletterStore.from_settings(settings)
        self.subscribers = Subscribers(self.store)
        self.tokens = Tokens.from_settings(settings)
        self.mailer = mailer or ConfirmationMailer(settings, self.tokens)
        self.welcome = welcome or WelcomeMailer(settings, self.tokens, self.store)
        news = settings.section("newsletter")
        self.per_ip = SlidingLimit(int(news.get("per_ip_per_hour", 20)), 3600, clock=clock)
        self.per_address = SlidingLimit(int(news.get("per_address_per_hour", 3)), 3600,
                                        clock=clock)
        self.confirmations_per_day = int(news.get("confirmations_per_day", 3))
        self.clock = clock
        self.url_map = Map([
            Rule("/subscribe", endpoint="subscribe", methods=["GET", "POST"]),
            Rule("/confirm/<token>", endpoint="confirm", methods=["GET", "POST"]),
            Rule("/resend-confirmation", endpoint="resend", methods=["GET", "POST"]),
            Rule("/unsubscribe/<token>", endpoint="unsubscribe", methods=["GET", "POST"]),
            Rule("/webhooks/<channel>", endpoint="webhook", methods=["POST"]),
            Rule("/webhooks/<channel>/<token>", endpoint="webhook", methods=["POST"]),
        ], strict_slashes=False)
        self.webhooks = webhooks or Webhooks(settings, self.store)

    # -- WSGI ----------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        """Dispatch one request."""
        request = Request(environ)
        request.max_content_length = 64 * 1024
        adapter = self.url_map.bind_to_environ(environ)
        try:
            endpoint, args = adapter.match()
            response = getattr(self, f"on_{endpoint}")(request, **args)
        except NotFound:
            response = self._page("Not found", Markup("<p>There is no page here.</p>"), 404)
        except HTTPException as exc:
            response = exc.get_response(environ)
        return response(environ, start_response)

    def on_webhook(self, request: Request, channel: str, token: str = "") -> Response:
        """An ESP's bounce/complaint notification (see :mod:`.feedback.webhooks`)."""
        return self.webhooks(request, channel, token)

    def _page(self, title: str, body: Markup, status: int = 200,
              headers: dict[str, str] | None = None) -> Response:
        site = self.settings.site
        html = _PAGE.format(lang=site.get("language", "en"), title=title,
                            site=site.get("name", ""), body=body,
                            home=str(site.get("base_url", "/")).rstrip("/") + "/")
        response = Response(str(html), status=status, mimetype="text/html")
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        for key, value in (headers or {}).items():
            response.headers[key] = value
        return response

    # -- /subscribe ------------------------------------------------------------------------

    def _form(self, value: str = "", error: str = "") -> Markup:
        name = escape(self.settings.site.get("name", "the newsletter"))
        message = Markup('<p class="error" role="alert">{}</p>').format(error) if error else ""
        return Markup(
            '{message}<form method="post" action="/subscribe">'
            '<p><label for="email">Your email address</label><br>'
            '<input type="email" id="email" name="email" required value="{value}"></p>'
            '<p class="hp" aria-hidden="true"><label for="{hp}">Leave this empty</label>'
            '<input type="text" id="{hp}" name="{hp}" tabindex="-1" autocomplete="off"></p>'
            "<p><button type=\"submit\">Subscribe to {name}</button></p>"
            "<p><small>We will email you a link to confirm. Nothing is sent until you "
            "click it, and every issue has a one-click unsubscribe link.</small></p></form>"
        ).format(message=message, value=value, hp=HONEYPOT, name=name)

    def _check_inbox(self) -> Response:
        return self._page("Check your inbox", Markup(
            "<p>If this address can subscribe, a message with a confirmation link is on its "
            "way. Click the link to finish; if nothing arrives, check your spam folder.</p>"))

    def _posted_address(self, request: Request, title: str,
                        form: Callable[[str, str], Markup]) -> str | Response:
        """The posted address, normalised, or the answer that ends the request here: 429
        over the per-IP limit, the form again for a malformed address, the usual page for a
        filled honeypot or an address over its hourly limit."""
        wait = self.per_ip.hit(request.remote_addr or "unknown")
        if wait:
            return self._page("Too many requests", Markup(
                "<p>Too many requests from your network. Please try again later.</p>"), 429,
                {"Retry-After": str(int(wait) + 1)})
        address = request.form.get("email", "").strip()
        if request.form.get(HONEYPOT):
            log.info("%s: honeypot filled, ignored", request.path)
            return self._check_inbox()
        try:
            email = normalise(address)
        except AddressError:
            return self._page(title, form(
                address, "That does not look like an email address. Please check it."), 400)
        if self.per_address.hit(email):
            return self._check_inbox()
        return email

    def on_subscribe(self, request: Request) -> Response:
        """GET: the form. POST: ask for a confirmation mail (same answer for every address)."""
        if request.method == "GET":
            return self._page("Subscribe", self._form())
        email = self._posted_address(request, "Subscribe", self._form)
        if isinstance(email, Response):
            return email
        subscriber, nonce = self.subscribers.subscribe(email, Source.WEB,
                                                       detail=f"form from {request.remote_addr}")
        if nonce is None:
            return self._check_inbox()
        return self._mail_confirmation(email, subscriber.id, nonce)

    def _mail_confirmation(self, email: str, subscriber_id: int, nonce: str) -> Response:
        """Mail a confirmation link unless the address had its daily cap of them."""
        since = (datetime.fromtimestamp(self.clock(), UTC) - timedelta(days=1)).isoformat()
        if self.subscribers.confirmations_since(subscriber_id, since) >= \
                self.confirmations_per_day:
            return self._check_inbox()
        try:
            self.mailer.send(self.subscribers, subscriber_id, email, nonce, Source.WEB)
        except DeliveryError as exc:
            log.error("subscribe: confirmation mail failed: %s", exc)
            return self._page("Please try again later", Markup(
                "<p>We could not send the confirmation message just now. Please try again "
                "in a few minutes.</p>"), 503)
        return self._check_inbox()

    def _resend_form(self, value: str = "", error: str = "") -> Markup:
        message = Markup('<p class="error" role="alert">{}</p>').format(error) if error else ""
        return Markup(
            '{message}<form method="post" action="/resend-confirmation">'
            "<p>Your confirmation link expired or got lost? We will mail a new one to an "
            "address that is waiting for confirmation.</p>"
            '<p><label for="email">Your email address</label><br>'
            '<input type="email" id="email" name="email" required value="{value}"></p>'
            '<p><button type="submit">Send a new link</button></p></form>'
        ).format(message=message, value=value)

    def on_resend(self, request: Request) -> Response:
        """GET: the form. POST: a new link for a pending address (same answer for all)."""
        if request.method == "GET":
            return self._page("New confirmation link", self._resend_form())
        email = self._posted_address(request, "New confirmation link", self._resend_form)
        if isinstance(email, Response):
            return email
        subscriber = self.subscribers.find(email)
        nonce = self.subscribers.confirm_nonce(subscriber.id) \
            if subscriber is not None and subscriber.state == State.PENDING else None
        if subscriber is None or nonce is None:    # unknown, confirmed or gone: nothing to do
            return self._check_inbox()
        return self._mail_confirmation(email, subscriber.id, nonce)

    # -- /confirm ------------------------------------------------------------------------

    def on_confirm(self, request: Request, token: str) -> Response:
        """GET: a page with one button. POST: confirm (once) and send the welcome mail."""
        try:
            claim = self.tokens.read_confirm(token)
        except TokenError as exc:
            return self._invalid_confirm(str(exc))
        current = self.subscribers.confirm_nonce(claim.subscriber_id)
        if request.method == "GET" and (not current or current != claim.nonce):
            return self._invalid_confirm("this confirmation link was already used or is no "
                                         "longer valid")
        if request.method == "GET":
            return self._page("Confirm your subscription", Markup(
                '<form method="post" action="/confirm/{token}">'
                "<p>One more step: confirm that you want to receive {name} by email.</p>"
                '<p><button type="submit">Confirm my subscription</button></p></form>'
            ).format(token=token, name=self.settings.site.get("name", "this newsletter")))
        try:
            subscriber = self.subscribers.confirm(claim.subscriber_id, claim.nonce, Source.WEB)
        except TokenError as exc:
            return self._invalid_confirm(str(exc))
        try:
            self.welcome.send(self.subscribers, subscriber.id, subscriber.email)
        except DeliveryError as exc:   # confirmed all the same; the next issue will come
            log.error("welcome mail to subscriber %s failed: %s", subscriber.id, exc)
        return self._page("You are subscribed", Markup(
            "<p>Thank you: your subscription is confirmed. Every issue has a link to "
            "unsubscribe in one click.</p>"))

    def _invalid_confirm(self, reason: str) -> Response:
        return self._page("Link not valid", Markup(
            '<p>{}</p><p><a href="/resend-confirmation">Get a new confirmation link</a></p>'
        ).format(reason), 400)

    # -- /unsubscribe ----------------------------------------------------------------------

    def on_unsubscribe(self, request: Request, token: str) -> Response:
        """GET: a page with one button. POST ``List-Unsubscribe=One-Click``: unsubscribe."""
        if token == PREVIEW_TOKEN:
            return self._page("Unsubscribe (preview)", Markup(
                "<p>This is the unsubscribe link of a preview. In a real issue each reader's "
                "own link is here, and its button unsubscribes them at once.</p>"))
        try:
            subscriber_id = self.tokens.read_unsubscribe(token)
        except TokenError as exc:
            return self._page("Link not valid", Markup("<p>{}</p>").format(str(exc)), 400)
        if request.method == "GET":
            return self._page("Unsubscribe", Markup(
                '<form method="post" action="/unsubscribe/{token}">'
                '<input type="hidden" name="{field}" value="{value}">'
                "<p>Stop receiving {name} by email?</p>"
                '<p><button type="submit">Unsubscribe</button></p></form>').format(
                    token=token, field=ONE_CLICK_FIELD, value=ONE_CLICK_VALUE,
                    name=self.settings.site.get("name", "this newsletter")))
        if request.form.get(ONE_CLICK_FIELD) != ONE_CLICK_VALUE:
            return self._page("Unsubscribe", Markup(
                "<p>This request did not say <code>List-Unsubscribe=One-Click</code>; use the "
                "button on the unsubscribe page.</p>"), 400)
        with contextlib.suppress(SubscriberLookupError):  # already erased: fine too
            self.subscribers.unsubscribe(subscriber_id, Source.WEB,
                                         "one-click (RFC 8058) or unsubscribe page")
        return self._page("You are unsubscribed", Markup(
            "<p>You will not receive any more issues. Sorry to see you go.</p>"))
