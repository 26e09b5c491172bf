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
