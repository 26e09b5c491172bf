"""The newsletter's messages: an issue compiled once, personalised per recipient in bytes.

:func:`k2publisher.deliver.message.build_message` is the reference form of an email (and
builds the confirmation mails). Building an ``EmailMessage`` per recipient of a large list
would cost far more than sending it, so :class:`IssueTemplate` serialises the same
structure once (``multipart/alternative``, text/plain first, text/html last, UTF-8,
base64 bodies so nothing needs dot-stuffing) and each recipient's copy only fills in
``To``, ``Date``, ``Message-ID``, ``List-Unsubscribe`` and the unsubscribe URL in both
bodies. ``tests/newsletter/test_message.py`` checks the two produce the same headers.

ESP APIs take the bodies as JSON strings: :meth:`IssueTemplate.json_bodies` JSON-encodes
each approved body once, split at the placeholder, so a copy costs the encoding of its
URL and a join instead of re-encoding kilobytes of approved text (JSON escapes character
by character, so the joined fragments are exactly the encoding of the whole).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from functools import cached_property
from json.encoder import encode_basestring_ascii
from urllib.parse import urlsplit

from k2publisher.deliver.message import ONE_CLICK, build_message, domain_of
from k2publisher.models import UNSUBSCRIBE_PLACEHOLDER, Rendering
from k2publisher.settings import Settings


@dataclass(frozen=True)
class Identity:
    """Who the newsletter is from and how it names itself (the list headers)."""

    sender: str          # From header value, e.g. ``K2 Notes <editor@example.org>``
    envelope_from: str   # MAIL FROM address
    list_id: str         # List-Id header value
    mailto: str          # address for the mailto: unsubscribe
    base_url: str        # site base URL; links are built from it

    @classmethod
    def from_settings(cls, settings: Settings, channel_options: dict | None = None
                      ) -> Identity:
        """The identity from ``[newsletter]``, the channel's ``from`` and ``[site]``."""
        site = settings.site
        news = settings.section("newsletter")
        options = channel_options or {}
        name = str(news.get("from_name") or site.get("name") or "k2publisher")
        configured = str(options.get("from") or "")
        address = parseaddr(configured)[1] if configured else \
            str(site.get("contact_email") or "editor@localhost")
        base_url = str(site.get("base_url") or "http://localhost").rstrip("/")
        host = urlsplit(base_url).hostname or "localhost"
        list_id = str(news.get("list_id") or "")
        if not list_id:
            list_id = f"{name} <newsletter.{host}>"
        elif "<" not in list_id:
            list_id = f"{name} <{list_id}>"
        return cls(sender=formataddr((name, address)), envelope_from=address,
                   list_id=list_id, mailto=str(news.get("unsubscribe_mailto") or address),
                   base_url=base_url)

    def unsubscribe_url(self, token: str) -> str:
        """The one-click unsubscribe URL for a token."""
        return f"{self.base_url}/unsubscribe/{token}"

    def confirm_url(self, token: str) -> str:
        """The confirmation URL for a token."""
        return f"{self.base_url}/confirm/{token}"


def json_string(value: str) -> bytes:
    """``value`` as a JSON string literal (quoted, ASCII-only, as ``json.dumps`` writes it)."""
    return encode_basestring_ascii(value).encode("ascii")


class JsonSlots:
    """A text with unsubscribe placeholders, JSON-encoded once; filled in per copy."""

    def __init__(self, text: str):
        parts = [json_string(part)[1:-1] for part in text.split(UNSUBSCRIBE_PLACEHOLDER)]
        parts[0] = b'"' + parts[0]
        parts[-1] += b'"'
        self._first, self._rest = parts[0], parts[1:]

    def fill_into(self, out: list[bytes], value: str) -> None:
        """Append the JSON string literal of the text, ``value`` in every placeholder, to
        ``out`` as fragments (for one ``b"".join`` of a whole request)."""
        out.append(self._first)
        if self._rest:
            encoded = json_string(value)[1:-1]
            for part in self._rest:
                out.append(encoded)
                out.append(part)

    def fill(self, value: str) -> bytes:
        """The JSON string literal of the text with every placeholder replaced by ``value``."""
        out: list[bytes] = []
        self.fill_into(out, value)
        return b"".join(out)


def _b64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


#: bytes of input per base64 line (76 characters, as ``base64.encodebytes`` writes them)
_B64_LINE = 57
#: link lengths whose line plan a body keeps (every copy's link has one of a few lengths)
_B64_PLANS = 64


class Base64Slots:
    """A body with unsubscribe placeholders, base64-encoded once; filled in per copy.

    The encoding of a copy is a run of 76-character lines, each the encoding of 57 bytes
    of the body. For a given link length the lines that hold no byte of a link are the
    same in every copy: they are encoded once per length (a plan), and a copy only
    encodes the few lines its link touches. :meth:`fill` equals
    ``base64.encodebytes(value.join(parts))`` with CRLF line ends, byte for byte
    (``tests/newsletter/test_message.py``).
    """

    def __init__(self, body: bytes, placeholder: bytes):
        self.parts = body.split(placeholder)
        self._plans: dict[int, list[bytes | tuple[int, int]]] = {}

    def _plan(self, length: int) -> list[bytes | tuple[int, int]]:
        """Encoded runs of fixed lines and the (start, end) of lines a link touches."""
        links: list[tuple[int, int]] = []
        at = len(self.parts[0])
        for part in self.parts[1:]:
            links.append((at, at + length))
            at += length + len(part)
        plain = (b"\0" * length).join(self.parts)
        plan: list[bytes | tuple[int, int]] = []
        fixed = bytearray()
        for start in range(0, len(plain), _B64_LINE):
            end = min(start + _B64_LINE, len(plain))
            if any(a < end and start < b for a, b in links):
                if fixed:
                    plan.append(bytes(fixed))
                    fixed.clear()
                plan.append((start, end))
            else:
                fixed += binascii.b2a_base64(plain[start:end], newline=False) + b"\r\n"
        if fixed:
            plan.append(bytes(fixed))
        return plan

    def fill(self, value: bytes) -> bytes:
        """The body with ``value`` in every placeholder, base64 in CRLF lines."""
        if len(self.parts) == 1:
            plan = self._plans.get(0) or self._plans.setdefault(0, self._plan(0))
            return b"".join(plan)  # type: ignore[arg-type]
        plan = self._plans.get(len(value))  # type: ignore[assignment]
        if plan is None:
            if len(self._plans) >= _B64_PLANS:
                return _b64(value.join(self.parts))
            plan = self._plans[len(value)] = self._plan(len(value))
        plain = value.join(self.parts)
        return b"".join(
            piece if isinstance(piece, bytes) else
            binascii.b2a_base64(plain[piece[0]:piece[1]], newline=False) + b"\r\n"
            for piece in plan)


def _headers(pairs: list[tuple[str, str]]) -> bytes:
    msg = EmailMessage(policy=policy.SMTP)
    for key, value in pairs:
        msg[key] = value
    raw = msg.as_bytes()
    return raw[: raw.index(b"\r\n\r\n") + 2]


class IssueTemplate:
    """One issue serialised once; :meth:`render` makes a recipient's copy in a few µs."""

    def __init__(self, issue_id: str, subject: str, text: str, html_body: str,
                 identity: Identity):
        self.issue_id = issue_id
        self.identity = identity
        self.subject = subject
        self.text = text
        self.html = html_body
        self.domain = domain_of(identity.envelope_from)
        self._id_prefix = "k2." + hashlib.sha256(issue_id.encode()).hexdigest()[:16]
        mailto = identity.mailto if identity.mailto.startswith("mailto:") \
            else f"mailto:{identity.mailto}"
        self.mailto_uri = f"{mailto}?subject=unsubscribe"
        self._mailto = f"<{self.mailto_uri}>".encode()
        boundary = f"=_k2_{secrets.token_hex(12)}"
        self._head = _headers([("From", identity.sender), ("Subject", subject),
                               ("List-Id", identity.list_id),
                               ("List-Unsubscribe-Post", ONE_CLICK),
                               ("MIME-Version", "1.0")])
        placeholder = UNSUBSCRIBE_PLACEHOLDER.encode()
        self._text = Base64Slots(text.encode("utf-8"), placeholder)
        self._html = Base64Slots(html_body.encode("utf-8"), placeholder)
        b = boundary.encode()
        self._between = (b'Content-Type: multipart/alternative; boundary="' + b + b'"\r\n\r\n'
                         b"--" + b + b"\r\nContent-Type: text/plain; charset=\"utf-8\"\r\n"
                         b"Content-Transfer-Encoding: base64\r\n\r\n")
        self._middle = (b"--" + b + b"\r\nContent-Type: text/html; charset=\"utf-8\"\r\n"
                        b"Content-Transfer-Encoding: base64\r\n\r\n")
        self._end = b"--" + b + b"--\r\n"
        self._date_second = -1
        self._date = b""

    @classmethod
    def from_rendering(cls, issue_id: str, rendering: Rendering, identity: Identity
                       ) -> IssueTemplate:
        """The template for a newsletter rendering (``subject``, ``text``, ``html``)."""
        text = rendering.text or (rendering.parts[0].text if rendering.parts else "")
        html_body = rendering.html or (rendering.parts[0].html if rendering.parts else "") or ""
        return cls(issue_id, rendering.subject or issue_id, text, html_body, identity)

    def message_id(self, key: int | str) -> str:
        """The deterministic Message-ID of this issue's copy for subscriber ``key``."""
        return f"<{self._id_prefix}.{key}@{self.domain}>"

    # -- the same copy as parts, for ESP APIs that take subject, bodies and headers ---------

    def text_for(self, unsubscribe_url: str) -> str:
        """The plain-text body with this recipient's unsubscribe link."""
        return self.text.replace(UNSUBSCRIBE_PLACEHOLDER, unsubscribe_url)

    def html_for(self, unsubscribe_url: str) -> str:
        """The HTML body with this recipient's unsubscribe link (escaped for HTML)."""
        return self.html.replace(UNSUBSCRIBE_PLACEHOLDER, html.escape(unsubscribe_url))

    @cached_property
    def json_text(self) -> JsonSlots:
        """The text body JSON-encoded once (:meth:`text_for` per copy, as JSON)."""
        return JsonSlots(self.text)

    @cached_property
    def json_html(self) -> JsonSlots | None:
        """The HTML body JSON-encoded once, or None when there is none; fill it with the
        HTML-escaped link (:meth:`html_for` per copy, as JSON)."""
        return JsonSlots(self.html) if self.html else None

    def list_unsubscribe(self, unsubscribe_url: str) -> str:
        """The ``List-Unsubscribe`` value: the https one-click link, then the mailto."""
        return f"<{unsubscribe_url}>, <{self.mailto_uri}>"

    def list_headers(self, key: int | str, unsubscribe_url: str) -> list[tuple[str, str]]:
        """The per-recipient headers every copy carries, as (name, value) pairs.

        ``List-Unsubscribe`` and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``
        (RFC 8058), ``List-Id`` and the deterministic ``Message-ID``: the same values
        :meth:`render` writes into the raw message. The copy's own ones come first, then
        :attr:`fixed_headers`.
        """
        return [("List-Unsubscribe", self.list_unsubscribe(unsubscribe_url)),
                ("Message-ID", self.message_id(key)), *self.fixed_headers]

    @property
    def fixed_headers(self) -> list[tuple[str, str]]:
        """The list headers that are the same in every copy of the issue (the last ones of
        :meth:`list_headers`)."""
        return [("List-Unsubscribe-Post", ONE_CLICK), ("List-Id", self.identity.list_id)]

    def _now(self) -> bytes:
        second = int(time.time())
        if second != self._date_second:
            self._date = format_datetime(datetime.fromtimestamp(second, UTC)).encode()
            self._date_second = second
        return self._date

    def render(self, key: int | str, email: str, unsubscribe_url: str) -> bytes:
        """The complete message (CRLF line ends) for one recipient."""
        url = unsubscribe_url.encode()
        return b"".join((
            self._head,
            b"To: ", email.encode(), b"\r\nDate: ", self._now(),
            b"\r\nMessage-ID: ", self.message_id(key).encode(),
            b"\r\nList-Unsubscribe: <", url, b">,\r\n ", self._mailto, b"\r\n",
            self._between, self._text.fill(url), b"\r\n",
            self._middle, self._html.fill(html.escape(unsubscribe_url).encode()),
            b"\r\n", self._end))


#: the token of the unsubscribe link in previews (the web app answers it with a note)
PREVIEW_TOKEN = "preview"
#: who a preview's message is addressed to
SAMPLE_RECIPIENT = "reader@example.invalid"


def sample_message(settings: Settings, rendering: Rendering, *,
                   email: str = SAMPLE_RECIPIENT) -> bytes:
    """The exact message the newsletter would send for ``rendering``, to a sample reader.

    Built by the same :class:`IssueTemplate` as every fan-out copy, from the newsletter
    channel's identity: List-Id, one-click List-Unsubscribe, Message-ID on the sender's
    domain, and a preview unsubscribe link (``/unsubscribe/preview``) in both bodies.
    """
    from k2publisher.errors import ConfigError
    from k2publisher.newsletter.transport import channel_options

    try:
        _, options = channel_options(settings)
    except ConfigError:              # no newsletter channel yet: the site's own identity
        options = {}
    identity = Identity.from_settings(settings, options)
    template = IssueTemplate.from_rendering(f"preview-{rendering.item_id}", rendering,
                                            identity)
    return template.render(PREVIEW_TOKEN, email, identity.unsubscribe_url(PREVIEW_TOKEN))


def confirmation_message(settings: Settings, identity: Identity, email: str,
                         confirm_url: str) -> EmailMessage:
    """The double opt-in mail: one link, who sent it, and what to do if it was not you."""
    site = settings.site
    name = str(site.get("name") or "our newsletter")
    max_age = int(settings.section("newsletter")["confirm_max_age"])
    hours = max(1, max_age // 3600)
    text = (f"Please confirm that you want to receive {name} by email:\n\n{confirm_url}\n\n"
            f"The link works for {hours} hours. If you did not ask for this, ignore this "
            f"message: you will not be added.\n\n-- \n{site.get('publisher', name)}\n"
            f"{site.get('postal_address', '')}\n")
    body = (f"<p>Please confirm that you want to receive {html.escape(name)} by email:</p>"
            f'<p><a href="{html.escape(confirm_url)}">Confirm my subscription</a></p>'
            f"<p>The link works for {hours} hours. If you did not ask for this, ignore this "
            f"message: you will not be added.</p>"
            f"<p>{html.escape(str(site.get('publisher', name)))}<br>"
            f"{html.escape(str(site.get('postal_address', '')))}</p>")
    rendering = Rendering(item_id="newsletter-confirmation", channel="newsletter",
                          profile="email", family="email", parts=(),
                          subject=f"Confirm your subscription to {name}", text=text, html=body)
    return build_message(rendering, sender=identity.sender, to=email)
