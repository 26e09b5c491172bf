"""``k2publisher desk``: the editorial desk as a small WSGI app (werkzeug + waitress).

Pages: the calendar (``/calendar``), the queue board (``/board``), an item's review and edit
page (``/item/ID``), what happened per slot (``/slots``). Every change is a POST carrying a
CSRF token and goes through :class:`~k2publisher.desk.editorial.Editorial` (decisions) or
:meth:`DeskApp.on_save` (the item's Markdown file, written atomically after a version check).
Email and feed frames come from the preview app. Everything shown is escaped by Jinja's
autoescape; scripts come from ``/static/desk.js`` only (no inline script is allowed).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from werkzeug.exceptions import BadRequest, Forbidden, HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from k2publisher.content.frontmatter import FrontMatterError, replace_fields, split
from k2publisher.content.queue import Queue, write_atomic
from k2publisher.content.schema import SUMMARY_MAX, parse_item
from k2publisher.desk.editorial import DecisionRefused, Editorial, open_ledger
from k2publisher.desk.security import Gate, Session
from k2publisher.desk.views import EDITABLE_VARIANTS, Desk, edited, file_version, measure
from k2publisher.errors import K2Error
from k2publisher.models import Item, Status
from k2publisher.preview.app import PreviewApp
from k2publisher.preview.core import targets
from k2publisher.record.ledger import utcnow
from k2publisher.redact import mask
from k2publisher.settings import Settings

log = logging.getLogger("k2publisher.desk")
HERE = Path(__file__).resolve().parent
_PAGES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(HERE / "templates")),
    autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)

_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "script-src 'self'; img-src 'self' data:; frame-ancestors "
                               "'self'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "SAMEORIGIN",
    "Cache-Control": "no-store",
}
#: endpoints reachable without a login
_PUBLIC = frozenset({"login", "static"})


def _link(url: str) -> str:
    """``url`` when it is a web or file address (a post's link), else '' (no ``javascript:``)."""
    return url if url.startswith(("https://", "http://", "file://")) else ""


class DeskApp:
    """The WSGI application; one instance per server."""

    def __init__(self, settings: Settings, *, host: str = "127.0.0.1",
                 clock: Callable[[], datetime] = utcnow):
        self.settings = settings
        self.gate = Gate(host, settings.env)
        self.clock = clock
        self.queue = Queue(settings.path("queue"))
        self.ledger = open_ledger(settings)
        self.desk = Desk(settings, self.queue, self.ledger, clock)
        self.preview = PreviewApp(settings)
        # one request at a time: the queue cache and the renderer are not thread-safe, and a
        # save's version check and write must not interleave with another save
        self._lock = threading.RLock()
        self.urls = Map([
            Rule("/", endpoint="index"),
            Rule("/login", endpoint="login", methods=["GET", "POST"]),
            Rule("/logout", endpoint="logout", methods=["POST"]),
            Rule("/static/desk.js", endpoint="static"),
            Rule("/calendar", endpoint="calendar"),
            Rule("/calendar/<action>", endpoint="plan", methods=["POST"]),
            Rule("/board", endpoint="board"),
            Rule("/slots", endpoint="slots"),
            Rule("/item/<path:item_id>/save", endpoint="save", methods=["POST"]),
            Rule("/item/<path:item_id>/measure", endpoint="measure", methods=["POST"]),
            Rule("/item/<path:item_id>/<any(approve,reject,archive,unarchive):action>",
                 endpoint="decide", methods=["POST"]),
            Rule("/item/<path:item_id>", endpoint="item"),
            Rule("/frame/email", endpoint="frame"),
            Rule("/frame/feed", endpoint="frame"),
        ])

    def close(self) -> None:
        """Release the ledger."""
        self.ledger.close()

    # -- helpers ------------------------------------------------------------------------------

    def _page(self, name: str, request: Request, session: Session, status: int = 200,
              **ctx: Any) -> Response:
        secrets = self.settings.secrets()
        html = _PAGES.get_template(name).render(
            csrf=self.gate.csrf_token(session), site=self.settings.site,
            login=self.gate.login_required, user=session.user,
            msg=mask(request.args.get("msg", ""), secrets),
            mask=lambda text: mask(str(text), secrets), link=_link, **ctx)
        return Response(html, status=status, mimetype="text/html")

    def _editorial(self, session: Session, request: Request) -> Editorial:
        actor = session.user or f"desk@{request.remote_addr or 'local'}"
        return Editorial(self.settings, self.queue, self.ledger, actor=actor)

    def _item(self, item_id: str) -> Item:
        self.queue.load()
        try:
            return self.queue.get(item_id)
        except K2Error:
            raise NotFound(f"no queue item {item_id!r}") from None

    @staticmethod
    def _back(where: str, msg: str) -> Response:
        sep = "&" if "?" in where else "?"
        return redirect(f"{where}{sep}{urlencode({'msg': msg})}", code=303)

    # -- pages --------------------------------------------------------------------------------

    def on_index(self, request: Request, session: Session) -> Response:
        """The calendar is the desk's front page."""
        return redirect("/calendar", code=302)

    def on_static(self, request: Request, session: Session) -> Response:
        """The desk's one script."""
        return Response((HERE / "static" / "desk.js").read_text(encoding="utf-8"),
                        mimetype="text/javascript")

    def on_login(self, request: Request, session: Session) -> Response:
        """The login form (only when bound beyond loopback); POST checks the secret."""
        error = ""
        if request.method == "POST":
            if not self.gate.csrf_ok(request, session):
                raise Forbidden("missing or wrong CSRF token: reload the page")
            if self.gate.check(request.form.get("secret", "")):
                session.user = "editor"
                log.info("desk login from %s", request.remote_addr)
                return redirect("/calendar", code=303)
            log.warning("desk login refused from %s", request.remote_addr)
            error = "wrong token or password"
        return self._page("login.html", request, session, status=401 if error else 200,
                          error=error)

    def on_logout(self, request: Request, session: Session) -> Response:
        """Forget the login."""
        session.user = ""
        return redirect("/login", code=303)

    def on_calendar(self, request: Request, session: Session) -> Response:
        """The next weeks' slots of every campaign, what each takes, verdicts and conflicts."""
        weeks = float(request.args.get("weeks") or self.settings.section("desk")["weeks"])
        calendar = self.desk.calendar(weeks)
        days: dict[str, list[Any]] = {}
        for cal in calendar:
            days.setdefault(cal.local.strftime("%a %d %b"), []).append(cal)
        # ready items first, then drafts (a pinned draft is a conflict until approved)
        ready = sorted((i for i in self.desk.items() if i.status is not Status.ARCHIVED),
                       key=lambda i: (i.status is not Status.READY, i.id))
        return self._page("calendar.html", request, session, days=days, ready=ready,
                          slots=calendar, weeks=weeks)

    def on_plan(self, request: Request, session: Session, action: str) -> Response:
        """Pin, skip, clear or swap slots (the calendar's forms)."""
        desk = self._editorial(session, request)
        form, now = request.form, self.clock()
        slot = form.get("slot", "")
        try:
            if action == "pin":
                plan = desk.pin(slot, form.get("item", ""), now, form.get("note", ""))
                msg = f"pinned {plan.item_id} to {slot}"
            elif action == "skip":
                desk.skip(slot, now, form.get("reason", ""))
                msg = f"{slot} will be skipped"
            elif action == "clear":
                desk.clear(slot, now)
                msg = f"{slot} is back to the selection policy"
            elif action == "swap":
                other = form.get("other", "")
                taken = {c.ref: (c.item_ids or [""])[0] for c in self.desk.calendar(
                    float(self.settings.section("desk")["weeks"]))}
                desk.swap(slot, other, (taken.get(slot, ""), taken.get(other, "")), now)
                msg = f"swapped {slot} and {other}"
            else:
                raise NotFound(f"no calendar action {action!r}")
        except K2Error as exc:
            return self._back("/calendar", f"error: {exc}")
        return self._back("/calendar", msg)

    def on_board(self, request: Request, session: Session) -> Response:
        """Items by status, with filters and search."""
        args = {k: v for k, v in request.args.items() if k != "msg"}
        return self._page("board.html", request, session, args=args,
                          problems=self.queue.problems(), **self.desk.board(args))

    def on_slots(self, request: Request, session: Session) -> Response:
        """What happened at each recent slot."""
        return self._page("slots.html", request, session, runs=self.desk.past_slots())

    def on_item(self, request: Request, session: Session, item_id: str) -> Response:
        """An item's review page: every channel, notes, findings, edit form, history."""
        item = self._item(item_id)
        return self._item_page(request, session, item)

    def _item_page(self, request: Request, session: Session, item: Item, *, status: int = 200,
                   conflict: str = "", problems: Iterable[str] = (),
                   draft: dict[str, str] | None = None) -> Response:
        judged = self.desk.judge(item)
        editorial = self._editorial(session, request)
        variant_keys = [k for k in EDITABLE_VARIANTS
                        if k in {p.rendering.profile for p in judged.previews}
                        or k.startswith("email_")]
        return self._page(
            "item.html", request, session, status=status, item=item, judged=judged,
            measured=measure(self.desk.pipeline(), item, [], judged.previews),
            version=file_version(item), objections=editorial.open_objections(item),
            claims=self.desk.claims(item), history=self.desk.history(item.id),
            variant_keys=variant_keys, conflict=conflict, problems=list(problems),
            draft=draft or {}, summary_max=SUMMARY_MAX)

    def on_decide(self, request: Request, session: Session, item_id: str,
                  action: str) -> Response:
        """Approve (with an override when needed), reject, archive, unarchive."""
        desk = self._editorial(session, request)
        reason = request.form.get("reason", "")
        where = f"/item/{quote(item_id)}"
        try:
            if action == "approve":
                desk.approve(item_id, override=request.form.get("override", ""))
                return self._back(where, "approved: ready to publish")
            if action == "reject":
                desk.reject(item_id, reason)
                return self._back(where, "rejected: back to draft")
            if action == "archive":
                desk.archive(item_id, reason)
                return self._back(where, "archived")
            desk.unarchive(item_id, reason)
            return self._back(where, "unarchived: now draft")
        except DecisionRefused as exc:
            return self._back(where, f"refused: {exc}")
        except K2Error as exc:
            raise NotFound(str(exc)) from None

    def _draft(self, request: Request) -> tuple[str | None, dict[str, str]]:
        form = request.form
        summary = form.get("summary")
        variants = {k: form.get(f"variant_{k}", "") for k in EDITABLE_VARIANTS
                    if f"variant_{k}" in form}
        return summary, variants

    def on_measure(self, request: Request, session: Session, item_id: str) -> Response:
        """Lengths and verdicts of every channel for the text being typed (JSON)."""
        item = self._item(item_id)
        summary, variants = self._draft(request)
        trial = edited(item, summary, variants)
        wanted = targets(self.settings)
        if trial.summary == item.summary:
            # only variants changed: only the channels that render them can change
            changed = {k for k in set(trial.variants) | set(item.variants)
                       if trial.variants.get(k) != item.variants.get(k)}
            email = any(k.startswith("email_") for k in changed)
            wanted = [t for t in wanted if t.profile in changed or (email and t.profile ==
                                                                     "email")]
        return Response(json.dumps({"summary": len(trial.summary), "summary_max": SUMMARY_MAX,
                                    "channels": measure(self.desk.pipeline(), trial, wanted)}),
                        mimetype="application/json")

    def on_save(self, request: Request, session: Session, item_id: str) -> Response:
        """Write the edited summary and variants into the item's file, if nobody saved first."""
        summary, variants = self._draft(request)
        item = self._item(item_id)
        assert item.path is not None
        draft = {"summary": summary or "", **{f"variant_{k}": v for k, v in variants.items()}}
        if request.form.get("version", "") != file_version(item):
            return self._item_page(
                request, session, item, status=409, draft=draft,
                conflict="Someone saved this item after you opened it. Your text is kept in "
                         "the form; the cards show the saved version. Merge, then save again.")
        trial = edited(item, summary, variants)
        values: dict[str, Any] = {}  # only what changed is rewritten: the rest keeps its form
        if trial.summary != item.summary:
            values["summary"] = trial.summary
        if dict(trial.variants) != dict(item.variants):
            values["variants"] = dict(trial.variants) or None
        if not values:
            return self._back(f"/item/{quote(item_id)}", "nothing changed")
        text = item.path.read_text(encoding="utf-8")
        try:
            new = replace_fields(text, values)
            checked, problems = parse_item(split(new), item.path)
        except FrontMatterError as exc:
            checked, problems = None, [exc.message]
        if checked is None or problems:
            return self._item_page(request, session, item, status=422, draft=draft,
                                   problems=[str(p) for p in problems])
        write_atomic(item.path, new)
        changed = ["summary"] if "summary" in values else []
        changed += [f"variants.{k}" for k in sorted(set(trial.variants) | set(item.variants))
                    if trial.variants.get(k) != item.variants.get(k)]
        self._editorial(session, request).edited(item_id, ", ".join(changed))
        return self._back(f"/item/{quote(item_id)}", "saved")

    def on_frame(self, request: Request, session: Session) -> Response:
        """The email and feed frames of the preview app."""
        if request.path.endswith("email"):
            return self.preview.on_email_frame(request)
        return self.preview.on_feed_frame(request)

    # -- WSGI ---------------------------------------------------------------------------------

    def dispatch(self, request: Request) -> Response:
        """Check host, login and CSRF, then route ``request`` to its endpoint."""
        session = self.gate.session(request)
        adapter = self.urls.bind_to_environ(request.environ)
        try:
            if not self.gate.host_ok(request):
                raise BadRequest("the desk answers only to a loopback host name")
            endpoint, values = adapter.match()
            if endpoint not in _PUBLIC and not self.gate.allowed(session):
                response: Response = redirect("/login", code=303)
            elif request.method == "POST" and endpoint != "login" and \
                    not self.gate.csrf_ok(request, session):
                raise Forbidden("missing or wrong CSRF token: reload the page and try again")
            else:
                response = getattr(self, f"on_{endpoint}")(request, session, **values)
        except HTTPException as exc:
            response = Response(f"{exc.code} {exc.name}: {exc.description}",
                                status=exc.code or 500, mimetype="text/plain")
        except K2Error as exc:  # a broken config, template or queue file: say which, stay up
            log.warning("desk: %s", mask(str(exc), self.settings.secrets()))
            response = Response(f"500 the desk cannot show this page: "
                                f"{mask(str(exc), self.settings.secrets())}\n(fix it, then "
                                "reload; `k2publisher doctor` checks everything)",
                                status=500, mimetype="text/plain")
        self.gate.save(response, session, secure=request.scheme == "https")
        response.headers.update(_HEADERS)
        return response

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        with self._lock:
            response = self.dispatch(Request(environ))
        return response(environ, start_response)


def serve(settings: Settings, *, host: str, port: int) -> None:
    """Serve the desk with waitress until interrupted."""
    import waitress

    app = DeskApp(settings, host=host)
    where = "login required" if app.gate.login_required else "local only"
    print(f"desk on http://{host}:{port}/ ({where}; Ctrl-C to stop)")
    try:
        waitress.serve(app, host=host, port=port, threads=4)
    finally:
        app.close()
