"""VERP return paths for SMTP: a bounce names the subscriber without naming the address.

With ``[newsletter] bounce_address = "bounces@k2.example.org"`` each copy's envelope
sender (``MAIL FROM``, which the receiving server writes as ``Return-Path``) becomes
``bounces+<id>-<mac>@k2.example.org``: the subscriber id in base 36 and the first 13
characters (65 bits) of an HMAC-SHA256 of it under the newsletter's secret key with a
salt of its own, so the token works for nothing else (not as an unsubscribe link) and
nobody can forge a bounce for another reader. Everything is lower case: some servers fold
the case of local parts. The mailbox must accept ``bounces+anything`` (Postfix
``recipient_delimiter = +``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from email.utils import parseaddr

from k2publisher.settings import Settings

SALT = b"k2publisher.newsletter.verp"
_TOKEN = re.compile(r"^([0-9a-z]{1,13})-([a-z2-7]{13})$")


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


class ReturnPaths:
    """Makes and reads ``local+TOKEN@domain`` return paths."""

    def __init__(self, secret: str, bounce_address: str):
        address = parseaddr(bounce_address)[1]
        if "@" not in address:
            raise ValueError(f"bounce_address {bounce_address!r} is not an address")
        self.local, self.domain = address.rsplit("@", 1)
        self._key = hmac.new(secret.encode(), SALT, hashlib.sha256).digest()

    @classmethod
    def from_settings(cls, settings: Settings) -> ReturnPaths | None:
        """The return paths of ``[newsletter] bounce_address``, or None when it is unset."""
        from k2publisher.errors import ConfigError
        from k2publisher.newsletter.tokens import load_secret

        address = str(settings.section("newsletter")["bounce_address"] or "")
        if not address:
            return None
        try:
            return cls(load_secret(settings), address)
        except ValueError as exc:
            raise ConfigError(f"[newsletter] {exc} (write it as bounces@your-domain)",
                              settings.config_path) from None

    def _mac(self, ident: str) -> str:
        digest = hmac.new(self._key, ident.encode(), hashlib.sha256).digest()
        return base64.b32encode(digest).decode().lower()[:13]

    def address_for(self, subscriber_id: int) -> str:
        """The envelope sender for ``subscriber_id``'s copy."""
        ident = _base36(int(subscriber_id))
        return f"{self.local}+{ident}-{self._mac(ident)}@{self.domain}"

    def read(self, address: str) -> int | None:
        """The subscriber a return path names, or None if it is not one of ours (or forged)."""
        address = parseaddr(address)[1].lower()
        local, _, domain = address.rpartition("@")
        if domain != self.domain.lower() or not local.startswith(self.local.lower() + "+"):
            return None
        found = _TOKEN.match(local[len(self.local) + 1:])
        if not found or not hmac.compare_digest(found.group(2), self._mac(found.group(1))):
            return None
        return int(found.group(1), 36)
