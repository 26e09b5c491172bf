"""``k2publisher preview --serve``: the queue and one item on every channel, side by side.

A small WSGI app (werkzeug routing, waitress serving): the email in frames at phone and
desktop widths, each social post as a card with its counter, the feed entry, each with
the guard's verdict. The page polls ``/version`` (a stamp of template and queue file
mtimes) and reloads itself when a template or queue file changes. Everything is escaped;
rendered HTML is shown only inside sandboxed frames.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jinja2
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from k2publisher.content.queue import Queue
from k2publisher.errors import K2Error
from k2publisher.pipeline import Pipeline
from k2publisher.preview.core import Preview, preview_item, sample_email, targets
from k2publisher.redact import mask
from k2publisher.render.environment import BUILTIN_TEMPLATES
from k2publisher.settings import Settings

_PAGES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).resolve().parent / "templates")),
    autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)

#: security headers for every response: nothing loads from elsewhere, frames are ours
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "script-src 'self' 'unsafe-inline'; img-src 'self' data:",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def version_stamp(folders: Iterable[Path]) -> str:
    """A stamp that changes when any file under ``folders`` is added, removed or modified."""
    newest, total = 0, 0
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in folder.rglob("*"):
            if path.is_file():
                st = path.stat()
                newest = max(newest, st.st_mtime_ns)
                total += 1
    return f"{newest}-{total}"


class PreviewApp:
    """The WSGI application; one instance per server."""

    def __init__(self, settings: Settings, item_id: str | None = None):
        self.settings = settings
        self.default_item = item_id
        self.queue = Queue(settings.path("queue"))
        self.urls = Map([
            Rule("/", endpoint="index"),
            Rule("/frame/email", endpoint="email_frame"),
            Rule("/frame/feed", endpoint="feed_frame"),
            Rule("/version", endpoint="version"),
        ])

    def folders(self) -> list[Path]:
        """What the reload stamp watches: the site's templates, the built-ins, the queue."""
        return [self.settings.path("templates"), BUILTIN_TEMPLATES, self.settings.path("queue")]

    def _item_and_previews(self, request: Request) -> tuple[Any, list[Any], list[Preview]]:
        self.queue.load()
        items = self.queue.items()
        wanted = request.args.get("item") or self.default_item or (items[0].id if items else "")
        if not wanted:
            return None, items, []
        item = self.queue.get(wanted)
        return item, items, preview_item(self._pipeline(), item, targets(self.settings))

    def _pipeline(self) -> Pipeline:
        """A fresh pipeline per request, so edited templates and rules show at once."""
        return Pipeline(self.settings, queue=self.queue)

    # -- endpoints ------------------------------------------------------------------------------

    def on_index(self, request: Request) -> Response:
        """The queue list and the chosen item on every channel."""
        try:
            item, items, previews = self._item_and_previews(request)
            error = ""
        except K2Error as exc:
            item, items, previews, error = None, self.queue.items(), [], str(exc)
        secrets = self.settings.secrets()
        html = _PAGES.get_template("page.html").render(
            item=item, items=items, previews=previews, error=mask(error, secrets),
            broken=self.queue.problems(),
            mask=lambda text: mask(text, secrets), site=self.settings.site)
        return Response(html, mimetype="text/html")

    def on_email_frame(self, request: Request) -> Response:
        """The email HTML as the newsletter would send it (shown in a sandboxed frame)."""
        item = self._one(request)
        rendering = self._pipeline().render([item], "email", profile="email")
        return Response(sample_email(rendering, self.settings)[2], mimetype="text/html")

    def on_feed_frame(self, request: Request) -> Response:
        """The feed entry's HTML content, as a feed reader would show it."""
        item = self._one(request)
        rendering = self._pipeline().render([item], "feed", profile="feed")
        page = _PAGES.get_template("frame.html").render(
            body=rendering.html or "", summary=rendering.extra.get("summary", ""))
        return Response(page, mimetype="text/html")

    def on_version(self, request: Request) -> Response:
        """``{"version": STAMP}``; the page reloads when it changes."""
        return Response(json.dumps({"version": version_stamp(self.folders())}),
                        mimetype="application/json", headers={"Cache-Control": "no-store"})

    def _one(self, request: Request) -> Any:
        self.queue.load()
        item_id = request.args.get("item", "")
        try:
            return self.queue.get(item_id)
        except K2Error:
            raise NotFound(f"no queue item {item_id!r}") from None

    # -- WSGI -----------------------------------------------------------------------------------

    def dispatch(self, request: Request) -> Response:
        """Route ``request`` to its endpoint."""
        adapter = self.urls.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
            response: Response = getattr(self, f"on_{endpoint}")(request, **values)
        except HTTPException as exc:
            response = Response(f"{exc.code} {exc.name}", status=exc.code or 500,
                                mimetype="text/plain")
        response.headers.update(_HEADERS)
        return response

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        return self.dispatch(Request(environ))(environ, start_response)


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8026,
          item_id: str | None = None) -> None:
    """Serve the preview app with waitress until interrupted."""
    import waitress

    print(f"preview on http://{host}:{port}/ (Ctrl-C to stop)")
    waitress.serve(PreviewApp(settings, item_id), host=host, port=port, threads=4)
