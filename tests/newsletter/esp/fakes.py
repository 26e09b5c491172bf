"""Local stand-ins for the ESPs' HTTP APIs, answering with the shapes their docs show.

Each fake is a werkzeug request handler for ``pytest-httpserver``: it checks the
credentials and the request the way the provider documents, records every accepted copy,
and can be told to refuse a recipient, rate-limit (429 with the provider's headers) or
fail as a whole.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from werkzeug.wrappers import Request, Response


@dataclass
class Accepted:
    """One copy a fake provider accepted."""

    to: str
    subject: str
    text: str
    html: str
    headers: dict[str, str]
    remote_id: str


@dataclass
class FakeProvider:
    """What every fake shares: accepted copies, calls, and the knobs tests turn."""

    token: str = "server-token-0123456789abcdef"
    sender: str = "editor@k2.example.org"
    accepted: list[Accepted] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)  # copies per accepted call
    #: addresses the provider refuses (suppressed / inactive)
    refused: set[str] = field(default_factory=set)
    #: answer the next N calls with a 429
    throttle: int = 0
    #: answer the next N calls with a 5xx
    fail: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def per_recipient(self) -> Counter[str]:
        """How many copies each address received."""
        with self.lock:
            return Counter(a.to for a in self.accepted)

    def _take(self, knob: str) -> bool:
        with self.lock:
            if getattr(self, knob) > 0:
                setattr(self, knob, getattr(self, knob) - 1)
                return True
            return False


def _json(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers or {},
                    content_type="application/json")


class FakePostmark(FakeProvider):
    """``POST /email/batch`` as https://postmarkapp.com/developer/api/email-api documents."""

    def __call__(self, request: Request) -> Response:
        if request.headers.get("X-Postmark-Server-Token") != self.token:
            return _json({"ErrorCode": 10, "Message": "Request does not contain a valid "
                          "Server token."}, 401)
        if self._take("throttle"):
            return _json({"ErrorCode": 429, "Message": "Rate limit exceeded"}, 429)
        if self._take("fail"):
            return _json({"ErrorCode": 500, "Message": "Internal Server Error"}, 500)
        messages = request.get_json()
        if not isinstance(messages, list):
            return _json({"ErrorCode": 402, "Message": "Received invalid JSON input."}, 422)
        if len(messages) > 500:
            return _json({"ErrorCode": 410, "Message": "Too many batch messages (max 500)."},
                         422)
        for m in messages:
            if self.sender not in m.get("From", ""):
                return _json({"ErrorCode": 400, "Message": f"The 'From' address you supplied "
                              f"({m.get('From')}) is not a Sender Signature on your account."},
                             422)
        results: list[dict[str, object]] = []
        for m in messages:
            to = m.get("To", "")
            if "@" not in to:
                results.append({"ErrorCode": 300, "Message": f"Error parsing 'To': Illegal "
                                f"email address '{to}'. It must contain the '@' symbol."})
            elif to in self.refused:
                results.append({"ErrorCode": 406, "Message": "You tried to send to "
                                "recipient(s) that have been marked as inactive. Found "
                                f"inactive addresses: {to}. Inactive recipients are ones that "
                                "have generated a hard bounce, a spam complaint, or a manual "
                                "suppression."})
            else:
                remote = str(uuid.uuid4())
                with self.lock:
                    self.accepted.append(Accepted(
                        to=to, subject=m["Subject"], text=m.get("TextBody", ""),
                        html=m.get("HtmlBody", ""),
                        headers={h["Name"]: h["Value"] for h in m.get("Headers", [])},
                        remote_id=remote))
                results.append({"ErrorCode": 0, "Message": "OK", "MessageID": remote,
                                "SubmittedAt": datetime.now(UTC).isoformat(), "To": to})
        with self.lock:
            self.calls.append(len(messages))
        return _json(results)


class FakeMailgun(FakeProvider):
    """``POST /v3/<domain>/messages`` with recipient variables, as Mailgun documents it."""

    domain: str = "mg.k2.example.org"

    def __call__(self, request: Request) -> Response:
        auth = request.authorization
        if auth is None or auth.username != "api" or auth.password != self.token:
            return Response("Forbidden", status=401)
        if not request.path.startswith(f"/v3/{self.domain}/"):
            return _json({"message": f"Domain not found: {request.path.split('/')[2]}"}, 404)
        if self._take("throttle"):
            return _json({"message": "Too many requests"}, 429, {"Retry-After": "1"})
        if self._take("fail"):
            return _json({"message": "Internal Server Error"}, 500)
        form = request.form
        tos = form.getlist("to")
        if not form.get("from") or not tos:
            return _json({"message": "'from' parameter is missing" if not form.get("from")
                          else "'to' parameter is missing"}, 400)
        if len(tos) > 1000:
            return _json({"message": "Too many recipients"}, 400)
        variables = json.loads(form.get("recipient-variables", "{}"))
        remote = f"<{uuid.uuid4().hex}@{self.domain}>"
        headers = {k[2:]: v for k, v in form.items() if k.startswith("h:")}
        with self.lock:
            for to in tos:
                if to in self.refused:  # suppressed: Mailgun drops it later ("failed" event)
                    continue
                personal = variables.get(to, {})

                def fill(text: str, personal: dict = personal) -> str:
                    for key, value in personal.items():
                        text = text.replace(f"%recipient.{key}%", str(value))
                    return text

                self.accepted.append(Accepted(
                    to=to, subject=fill(form["subject"]), text=fill(form.get("text", "")),
                    html=fill(form.get("html", "")),
                    headers={k: fill(v) for k, v in headers.items()}, remote_id=remote))
            self.calls.append(len(tos))
        return _json({"id": remote, "message": "Queued. Thank you."})


class FakeSendGrid(FakeProvider):
    """``POST /v3/mail/send`` with personalizations, as SendGrid documents it."""

    def __call__(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _json({"errors": [{"message": "The provided authorization grant is "
                                      "invalid, expired, or revoked", "field": None,
                                      "help": None}]}, 401)
        if self._take("throttle"):
            reset = int(datetime.now(UTC).timestamp()) + 1
            return _json({"errors": [{"message": "too many requests", "field": None,
                                      "help": None}]}, 429,
                         {"X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "0",
                          "X-RateLimit-Reset": str(reset)})
        if self._take("fail"):
            return _json({"errors": [{"message": "internal error"}]}, 500)
        body = request.get_json()
        if body["from"]["email"] != self.sender:
            return _json({"errors": [{"message": "The from address does not match a verified "
                                      "Sender Identity. Mail cannot be sent until this error "
                                      "is resolved.", "field": "from", "help": None}]}, 403)
        people = body.get("personalizations", [])
        if not 1 <= len(people) <= 1000:
            return _json({"errors": [{"message": "The personalizations field must have at "
                                      "least 1 and at most 1000 items.",
                                      "field": "personalizations", "help": None}]}, 400)
        remote = uuid.uuid4().hex[:22]
        content = {c["type"]: c["value"] for c in body["content"]}
        with self.lock:
            for p in people:
                substitutions = p.get("substitutions", {})

                def fill(text: str, subs: dict = substitutions) -> str:
                    for key, value in subs.items():
                        text = text.replace(key, value)
                    return text

                for to in p["to"]:
                    if to["email"] in self.refused:  # dropped later ("dropped" event)
                        continue
                    self.accepted.append(Accepted(
                        to=to["email"], subject=body["subject"],
                        text=fill(content.get("text/plain", "")),
                        html=fill(content.get("text/html", "")),
                        headers=dict(p.get("headers", {})), remote_id=remote))
            self.calls.append(len(people))
        return Response("", status=202, headers={"X-Message-Id": remote})


class HeldCall:
    """A call a :class:`ServedFake` holds after the provider accepted it, before answering."""

    def __init__(self, client_port: int, readers: set[str]):
        self.client_port = client_port
        #: the addresses whose copies the call carried (recorded as accepted)
        self.readers = readers
        self.answer = threading.Event()


class ServedFake:
    """A fake provider on its own threaded HTTP server (several worker processes at once).

    :meth:`hold_next` makes the next call be accepted and recorded, then wait before its
    answer goes back: the test learns which client made it (its port) and may kill that
    process while its request is in flight, so the answer is lost.
    """

    def __init__(self, fake: FakeProvider, path: str):
        from werkzeug.serving import make_server

        self.fake = fake
        self.path = path
        self.held: queue.Queue[HeldCall] = queue.Queue()
        self._hold = threading.Event()
        self._one_at_a_time = threading.Lock()  # which copies a call added, exactly
        self.server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.server.log = lambda *args, **kwargs: None  # type: ignore[method-assign]
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ServedFake:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def hold_next(self) -> None:
        """Hold the answer of the next accepted call (see :attr:`held`)."""
        self._hold.set()

    def _app(self, environ, start_response):  # type: ignore[no-untyped-def]
        request = Request(environ)
        hold = False
        if request.path != self.path:
            response = Response("Not Found", status=404)
        else:
            with self._one_at_a_time:
                calls, copies = len(self.fake.calls), len(self.fake.accepted)
                response = self.fake(request)
                accepted = len(self.fake.calls) > calls
                readers = {a.to for a in self.fake.accepted[copies:]}
                hold = accepted and self._hold.is_set()
                if hold:
                    self._hold.clear()
            if hold:
                call = HeldCall(int(environ["REMOTE_PORT"]), readers)
                self.held.put(call)
                call.answer.wait(30)
        return response(environ, start_response)


def pid_of_client(port: int, pids: list[int]) -> int | None:
    """Which of ``pids`` owns the loopback TCP connection whose local port is ``port``."""
    import os
    from pathlib import Path

    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    link = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if link.startswith("socket:[") and link[8:-1] in inodes:
                        return pid
    return None
