"""Local stand-ins for the ESPs' HTTP APIs, answering with the shapes their docs show.

Each fake is a werkzeug request handler for ``pytest-httpserver``: it checks the
credentials and the request the way the provider documents, records every accepted copy,
and can be told to refuse a recipient, rate-limit (429 with the provider's headers) or
fail as a whole.
"""

from __future__ import annotations

import json
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
