"""Masking of secrets: the one place that decides how a secret looks in output.

Used by every log line, error message, preview and dry-run: known secret values are
replaced by ``****`` and secret-looking URL parts (a URL's password, bot tokens, webhook
paths) are masked even when the value was not registered. A URL's user name is kept when the
URL has a password (``postgresql://k2:****@host/db``: the user is not a secret, and shows
which account failed); userinfo without a password may itself be a token
(``https://TOKEN@host``, ``https://KEY:@host``) and is masked whole.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

MASK = "****"
_registered: set[str] = set()

_URL_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^/@\s:]*)"
                           r"(?P<password>:[^/@\s]*)?@", re.I)
_BOT_TOKEN = re.compile(r"/bot\d+:[A-Za-z0-9_-]+")
_WEBHOOK = re.compile(r"(/api/webhooks/\d+/)[A-Za-z0-9_-]+|(/services/[A-Z0-9]+/[A-Z0-9]+/)\w+")
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.I)


def register(secrets: Iterable[str]) -> None:
    """Remember secret values so :func:`mask` hides them wherever they appear.

    A secret URL (a webhook) is also remembered by its path, because HTTP client logs
    print the host and the path apart.
    """
    for secret in secrets:
        if not secret or len(secret) < 4:
            continue
        _registered.add(secret)
        parts = urlsplit(secret) if "://" in secret else None
        if parts and len(parts.path) >= 8:
            _registered.add(parts.path + (f"?{parts.query}" if parts.query else ""))
            _registered.add(parts.path)


def mask(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every known secret and secret-looking URL part replaced by ``****``."""
    for secret in sorted({*_registered, *(s for s in secrets if s and len(s) >= 4)},
                         key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _URL_USERINFO.sub(_masked_userinfo, text)
    text = _BOT_TOKEN.sub(f"/bot{MASK}", text)
    text = _WEBHOOK.sub(lambda m: f"{m.group(1) or m.group(2)}{MASK}", text)
    return _BEARER.sub(lambda m: f"{m.group(1)}{MASK}", text)


def _masked_userinfo(match: re.Match[str]) -> str:
    """A URL's userinfo as shown: the password masked, the user kept beside a password."""
    if match.group("password") in (None, ":"):  # no password: the user may be the key
        return f"{match.group('scheme')}{MASK}@"
    return f"{match.group('scheme')}{match.group('user')}:{MASK}@"


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in every record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
