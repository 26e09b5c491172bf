"""Signed, single-purpose tokens for confirm and unsubscribe links.

Both kinds are :class:`itsdangerous.URLSafeTimedSerializer` signatures with a salt per
purpose, so a confirm token is never accepted as an unsubscribe token and vice versa.
Confirm tokens expire (``newsletter.confirm_max_age``) and carry a nonce the subscriber
row holds until the link is used, which makes them single-use. Unsubscribe tokens do not
expire: an old issue's link must keep working.

The key is ``newsletter.secret_key`` (``${K2_SECRET_KEY}`` in a real config); when it is
empty a random key is generated once and kept in ``<state>/newsletter-secret.key``
(mode 0600).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from k2publisher import redact
from k2publisher.errors import ConfigError, TokenError
from k2publisher.files import private_dir
from k2publisher.settings import DEFAULTS, Settings

KEY_FILE = "newsletter-secret.key"
CONFIRM_SALT = "k2publisher.newsletter.confirm"
UNSUBSCRIBE_SALT = "k2publisher.newsletter.unsubscribe"
DEFAULT_CONFIRM_MAX_AGE: int = DEFAULTS["newsletter"]["confirm_max_age"]


def load_secret(settings: Settings) -> str:
    """The signing key: the configured one, or the generated one kept in the state folder."""
    configured = str(settings.section("newsletter").get("secret_key") or "")
    if configured:
        if len(configured) < 16:
            raise ConfigError("newsletter.secret_key is too short: use at least 16 random "
                              "characters (e.g. `python -c 'import secrets; "
                              "print(secrets.token_urlsafe(32))'`)", settings.config_path)
        redact.register([configured])
        return configured
    path = settings.path("state") / KEY_FILE
    key = _read_or_create(path)
    redact.register([key])
    return key


def _read_or_create(path: Path) -> str:
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if len(key) < 16:
            raise ConfigError("the generated newsletter key file is empty or damaged: delete "
                              "it to generate a new one (old links stop working)", path) from None
        return key
    key = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key


@dataclass(frozen=True)
class ConfirmClaim:
    """What a valid confirm token says: whose subscription and which nonce."""

    subscriber_id: int
    nonce: str


class Tokens:
    """Makes and checks the newsletter's link tokens."""

    def __init__(self, secret: str, *, confirm_max_age: int = DEFAULT_CONFIRM_MAX_AGE):
        self.confirm_max_age = int(confirm_max_age)
        self._confirm = URLSafeTimedSerializer(secret, salt=CONFIRM_SALT)
        self._unsubscribe = URLSafeTimedSerializer(secret, salt=UNSUBSCRIBE_SALT)

    @classmethod
    def from_settings(cls, settings: Settings) -> Tokens:
        """Tokens signed with the configured (or generated) key."""
        max_age = settings.section("newsletter")["confirm_max_age"]
        return cls(load_secret(settings), confirm_max_age=int(max_age))

    def confirm_token(self, subscriber_id: int, nonce: str) -> str:
        """A token for ``/confirm/<token>``."""
        return self._confirm.dumps([subscriber_id, nonce])

    def unsubscribe_token(self, subscriber_id: int) -> str:
        """A token for ``/unsubscribe/<token>`` (does not expire)."""
        return self._unsubscribe.dumps(subscriber_id)

    def read_confirm(self, token: str) -> ConfirmClaim:
        """Check a confirm token; raises :class:`TokenError` if forged, expired or misused."""
        try:
            data = self._confirm.loads(token, max_age=self.confirm_max_age)
        except SignatureExpired:
            raise TokenError("this confirmation link has expired: subscribe again to get a "
                             "new one") from None
        except BadData:
            raise TokenError("this confirmation link is not valid") from None
        if not (isinstance(data, list) and len(data) == 2 and isinstance(data[0], int)
                and isinstance(data[1], str)):
            raise TokenError("this confirmation link is not valid")
        return ConfirmClaim(subscriber_id=data[0], nonce=data[1])

    def read_unsubscribe(self, token: str) -> int:
        """The subscriber id an unsubscribe token names; raises :class:`TokenError`."""
        try:
            data = self._unsubscribe.loads(token)
        except BadData:
            raise TokenError("this unsubscribe link is not valid") from None
        if not isinstance(data, int) or isinstance(data, bool):
            raise TokenError("this unsubscribe link is not valid")
        return data
