"""The public web endpoints the service serves (a WSGI app; waitress runs it).

* ``/feed.xml``, ``/atom.xml``, ``/feed.json`` and ``/tags/<slug>/...`` (the same per tag):
  the files the rss channel writes into the public folder,
  with ``ETag`` / ``Last-Modified`` and ``304 Not Modified`` on conditional requests;
* ``/archive/`` and ``/archive/<item>/``: the published items' pages from the same folder;
* ``/healthz``: JSON with the scheduler's last tick and the ledger's counts per state;
* ``/``: the root page (``web/home.html``), styled like the archive;
* ``/subscribe``, ``/resend-confirmation``, ``/confirm/<token>``, ``/unsubscribe/<token>``:
  handed to the newsletter's
  ``NewsletterApp`` when that module is installed, else a 503 page saying so.

Everything is read from disk on each request, so the files stay the one source of truth
and the same folder can be served by nginx instead (see ``deploy/nginx.conf``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import mimetypes
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.security import safe_join
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from k2publisher.errors import StoreUnavailableError
from k2publisher.settings import Settings

log = logging.getLogger("k2publisher.web")
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
FEED_TYPES = {"feed.xml": "application/rss+xml; charset=utf-8",
              "atom.xml": "application/atom+xml; charset=utf-8",
              "feed.json": "application/feed+json; charset=utf-8"}
NEWSLETTER_PREFIXES = ("/subscribe", "/resend-confirmation", "/confirm/", "/unsubscribe/",
                       "/webhooks/")
#: seconds waitress's select() sleeps when idle (an int: waitress parses it with int())
IDLE_LOOP_SECONDS = 1


def load_newsletter(settings: Settings) -> WSGIApp | None:
    """The newsletter's WSGI app, or None when the newsletter is not installed/configured."""
    try:
        from k2publisher.newsletter.web import NewsletterApp  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        return NewsletterApp(settings)
    except Exception as exc:  # a broken newsletter config must not take the feeds down
        log.warning("newsletter endpoints disabled: %s", exc)
        return None


class PublicApp:
    """The WSGI app; ``health`` returns the scheduler/ledger part of ``/healthz``."""

    def __init__(self, settings: Settings, *, health: Callable[[], dict[str, Any]] | None = None,
                 newsletter: WSGIApp | bool | None = True):
        self.settings = settings
        self.public = settings.path("public")
        self.health = health
        self.newsletter = load_newsletter(settings) if newsletter is True else \
            (newsletter or None)
        self.urls = Map([
            Rule("/", endpoint="index"),
            Rule("/feed.xml", endpoint="feed"),
            Rule("/atom.xml", endpoint="feed"),
            Rule("/feed.json", endpoint="feed"),
            Rule("/tags/<slug>/<any(feed.xml, atom.xml, feed.json):name>", endpoint="tag_feed"),
            Rule("/healthz", endpoint="healthz"),
            Rule("/archive/", endpoint="archive"),
            Rule("/archive/<path:item>/", endpoint="archive"),
            Rule("/archive/<path:item>", endpoint="archive_file"),
        ], strict_slashes=True)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        try:
            return self._dispatch(environ, start_response)
        except StoreUnavailableError as exc:  # the database is away: say so, try again soon
            log.error("%s %s: %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"), exc)
            return self._store_away()(environ, start_response)

    def _dispatch(self, environ: dict[str, Any], start_response: Callable[..., Any]
                  ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path in NEWSLETTER_PREFIXES[:2] or path.startswith(NEWSLETTER_PREFIXES[2:]):
            if self.newsletter is not None:
                return self.newsletter(environ, start_response)
            return self._no_newsletter()(environ, start_response)
        request = Request(environ)
        adapter = self.urls.bind_to_environ(environ)
        try:
            endpoint, args = adapter.match()
            response = getattr(self, f"on_{endpoint}")(request, **args)
        except HTTPException as exc:
            response = exc.get_response(environ)
        return response(environ, start_response)

    # -- endpoints ---------------------------------------------------------------------------

    def on_index(self, request: Request) -> Response:
        """The site's root page (``web/home.html``): what it is, the feeds, the subscribe box."""
        from k2publisher.pipeline import Pipeline

        return Response(Pipeline(self.settings).renderer.home_page(),
                        content_type="text/html; charset=utf-8")

    def on_feed(self, request: Request) -> Response:
        """``/feed.xml``, ``/atom.xml`` or ``/feed.json`` with conditional-request support."""
        name = request.path.lstrip("/")
        return self._static(request, self.public / name, FEED_TYPES[name],
                            missing="no feed yet: nothing has been published")

    def on_tag_feed(self, request: Request, slug: str, name: str) -> Response:
        """One tag's feed (``/tags/<slug>/feed.xml`` ...), as the rss channel wrote it."""
        return self._static(request, self._inside("tags", f"{slug}/{name}"), FEED_TYPES[name],
                            missing="no feed for this tag: nothing with it has been published")

    def on_archive(self, request: Request, item: str = "") -> Response:
        """An archive page (``index.html`` of the item's folder) or the archive index."""
        folder = self._inside("archive", item) if item else self.public / "archive"
        return self._static(request, folder / "index.html", "text/html; charset=utf-8",
                            missing="no such page in the archive")

    def on_archive_file(self, request: Request, item: str) -> Response:
        """A file in the archive (an image), or a redirect to the item's page with a slash."""
        target = self._inside("archive", item)
        if target.is_dir():
            return redirect(f"/archive/{item}/", code=308)
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return self._static(request, target, kind, missing="no such file in the archive")

    def on_healthz(self, request: Request) -> Response:
        """Scheduler last tick and ledger counts, as JSON (503 when the scheduler stopped)."""
        data: dict[str, Any] = {"status": "ok", "time": _now_iso()}
        status = 200
        if self.health is not None:
            try:
                data.update(self.health())
            except Exception as exc:
                data.update(status="error", error=str(exc))
                status = 503
            scheduler = data.get("scheduler") or {}
            # a follower runs no scheduler by design: it serves, and is healthy doing so
            if scheduler.get("running") is False and data.get("role", "leader") == "leader":
                data["status"] = "stopped"
                status = 503
            disabled = [f"channel {name} {why}" for name, why in
                        sorted((data.get("channels") or {}).items())
                        if why.startswith("disabled")]
            broken = [f"queue file {p}" for p in data.get("queue_problems") or []]
            disabled += broken
            if disabled:
                data.setdefault("reasons", []).extend(disabled)
                if data["status"] == "ok":
                    data["status"] = "degraded"
        data["newsletter"] = self.newsletter is not None
        return Response(json.dumps(data, indent=2), status=status,
                        content_type="application/json", headers={"Cache-Control": "no-store"})

    # -- helpers -----------------------------------------------------------------------------

    def _inside(self, *parts: str) -> Path:
        joined = safe_join(str(self.public), *parts)
        if joined is None:
            raise NotFound()
        return Path(joined)

    def _static(self, request: Request, path: Path, content_type: str, *, missing: str
                ) -> Response:
        try:
            data = path.read_bytes()
            mtime = path.stat().st_mtime
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return Response(missing + "\n", status=404, content_type="text/plain; charset=utf-8")
        etag = hashlib.sha256(data).hexdigest()[:32]
        modified = datetime.fromtimestamp(int(mtime), UTC)
        response = Response(data, content_type=content_type)
        response.set_etag(etag)
        response.last_modified = modified
        response.cache_control.public = True
        response.cache_control.max_age = 300
        if request.if_none_match:
            fresh = request.if_none_match.contains_weak(etag) or request.if_none_match.star_tag
        else:
            since = request.if_modified_since
            fresh = since is not None and modified <= since
        if fresh and request.method in ("GET", "HEAD"):
            response.status_code = 304
            response.set_data(b"")
            response.headers.remove("Content-Length")
        return response

    @staticmethod
    def _store_away() -> Response:
        body = ("<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">"
                "<title>Try again in a minute</title><h1>Try again in a minute</h1><p>The "
                "site's database does not answer right now; nothing you sent was recorded. "
                "Please try again shortly.</p></html>")
        return Response(body, status=503, content_type="text/html; charset=utf-8",
                        headers={"Retry-After": "60", "Cache-Control": "no-store"})

    def _no_newsletter(self) -> Response:
        body = ("<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">"
                "<title>Newsletter not configured</title><h1>The newsletter is not configured"
                "</h1><p>This site does not run a newsletter (yet). The feeds at "
                "<a href=\"/feed.xml\">/feed.xml</a> and <a href=\"/atom.xml\">/atom.xml</a> "
                "carry every item.</p></html>")
        return Response(body, status=503, content_type="text/html; charset=utf-8",
                        headers={"Retry-After": "3600"})


def make_app(settings: Settings, *, health: Callable[[], dict[str, Any]] | None = None,
             newsletter: WSGIApp | bool | None = True) -> PublicApp:
    """The service's WSGI app (``newsletter=True`` mounts the newsletter app when installed)."""
    return PublicApp(settings, health=health, newsletter=newsletter)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Server:
    """A waitress server for the app, running in a background thread."""

    def __init__(self, app: WSGIApp, host: str = "127.0.0.1", port: int = 8025,
                 threads: int = 4, trusted_proxy: str = ""):
        from waitress.server import create_server

        # only the configured proxy's X-Forwarded-For/-Proto is believed; from any other
        # peer (and when none is configured) waitress drops those headers
        proxy: dict[str, Any] = {"trusted_proxy": trusted_proxy, "trusted_proxy_count": 1,
                                 "trusted_proxy_headers": {"x-forwarded-for",
                                                           "x-forwarded-proto"}} \
            if trusted_proxy else {}
        self._server = create_server(app, host=host, port=port, threads=threads,
                                     ident="k2publisher", clear_untrusted_proxy_headers=True,
                                     # waitress reads this with int(): whole seconds only
                                     # (0.2 became 0, a busy loop); stop() wakes it anyway
                                     asyncore_loop_timeout=IDLE_LOOP_SECONDS,
                                     **proxy)
        self.host = host
        self.port = int(getattr(self._server, "effective_port", port))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The server's base URL, e.g. ``http://127.0.0.1:8025``."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> Server:
        """Serve in a daemon thread; returns self."""
        self._thread = threading.Thread(target=self._run, name="k2publisher-web", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        # stop() closes the socket map under the loop, which may surface as these
        with contextlib.suppress(OSError, ValueError):
            self._server.run()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting connections, finish the requests in progress, end the thread."""
        server = self._server

        def close_all() -> None:  # in the loop's own thread, woken by the trigger
            for channel in list(server._map.values()):
                channel.close()

        try:
            server.trigger.pull_trigger(close_all)
        except OSError:
            close_all()
        if self._thread is not None:
            self._thread.join(IDLE_LOOP_SECONDS + 1)
        close_all()
        server.task_dispatcher.shutdown(timeout=timeout)
        if self._thread is not None:
            self._thread.join(timeout)
