"""Email messages, built once for every email channel (smtp, maildir) and the newsletter.

A message is ``multipart/alternative`` (text/plain first, text/html last, RFC 2046) with
``Message-ID``, ``Date`` in UTC, ``List-Id`` and the RFC 8058 one-click unsubscribe pair
``List-Unsubscribe`` (an https URL plus an optional mailto) and ``List-Unsubscribe-Post``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from html import escape
from typing import Any

from k2publisher.errors import ConfigError
from k2publisher.models import UNSUBSCRIBE_PLACEHOLDER, Rendering

#: the settings every email channel accepts besides its transport's
EMAIL_SETTINGS = ("from", "to", "reply_to", "list_id", "unsubscribe_url", "unsubscribe_mailto")
ONE_CLICK = "List-Unsubscribe=One-Click"


def domain_of(address: str) -> str:
    """The domain of an address like ``K2 Notes <editor@example.org>`` (``localhost`` if none)."""
    return parseaddr(address)[1].rpartition("@")[2] or "localhost"


def build_message(rendering: Rendering, *, sender: str, to: Sequence[str] | str,
                  unsubscribe_url: str | None = None, unsubscribe_mailto: str | None = None,
                  list_id: str | None = None, reply_to: str | None = None,
                  date: datetime | None = None) -> EmailMessage:
    """One email for ``rendering``; the unsubscribe link also replaces the body placeholder.

    ``unsubscribe_url`` must be https (RFC 8058) when given; ``unsubscribe_mailto`` may be an
    address or a ``mailto:`` URI.
    """
    if unsubscribe_url and not unsubscribe_url.startswith("https://"):
        raise ConfigError(f"unsubscribe_url must be an https:// URL (RFC 8058), "
                          f"not {unsubscribe_url!r}")
    text = rendering.text or (rendering.parts[0].text if rendering.parts else "")
    html = rendering.html or (rendering.parts[0].html if rendering.parts else None)
    mailto = None
    if unsubscribe_mailto:
        mailto = unsubscribe_mailto if unsubscribe_mailto.startswith("mailto:") \
            else f"mailto:{unsubscribe_mailto}"
    link = unsubscribe_url or mailto
    if link:
        text = text.replace(UNSUBSCRIBE_PLACEHOLDER, link)
        html = html.replace(UNSUBSCRIBE_PLACEHOLDER, escape(link)) if html else html
    msg = EmailMessage()
    msg["Subject"] = rendering.subject or rendering.item_id
    msg["From"] = sender
    msg["To"] = to if isinstance(to, str) else ", ".join(to)
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Date"] = format_datetime(date or datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain=domain_of(sender))
    if list_id:
        msg["List-Id"] = list_id
    links = [f"<{unsubscribe_url}>"] if unsubscribe_url else []
    if mailto:
        links.append(f"<{mailto}>")
    if links:
        msg["List-Unsubscribe"] = ", ".join(links)
    if unsubscribe_url:
        msg["List-Unsubscribe-Post"] = ONE_CLICK
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    return msg


def message_options(options: Mapping[str, Any], site: Mapping[str, Any]) -> dict[str, Any]:
    """The :func:`build_message` keywords from a channel's settings, with site defaults."""
    sender = options.get("from") or f"{site.get('name', 'k2publisher')} " \
                                     f"<{site.get('contact_email', 'editor@localhost')}>"
    to = options.get("to") or [parseaddr(sender)[1]]
    if isinstance(to, str):
        to = [a.strip() for a in to.split(",") if a.strip()]
    slug = re.sub(r"[^a-z0-9]+", "-", str(site.get("name", "k2publisher")).lower()).strip("-")
    return {"sender": sender, "to": list(to), "reply_to": options.get("reply_to"),
            "list_id": options.get("list_id")
            or f"{site.get('name', slug)} <{slug}.{domain_of(sender)}>",
            "unsubscribe_url": options.get("unsubscribe_url"),
            "unsubscribe_mailto": options.get("unsubscribe_mailto")
            or f"{parseaddr(sender)[1]}?subject=unsubscribe"}


def channel_message(channel: Any, rendering: Rendering) -> EmailMessage:
    """The email for ``rendering`` with an email channel's headers (smtp and maildir)."""
    settings = getattr(channel.context, "settings", None)
    return build_message(rendering, **message_options(channel.options,
                                                      settings.site if settings else {}))
