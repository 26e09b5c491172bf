"""Signed, single-purpose tokens for confirm and unsubscribe links.

Confirm tokens are :class:`itsdangerous.URLSafeTimedSerializer` signatures (salted for
their purpose); they expire (``newsletter.confirm_max_age``) and carry a nonce the
subscriber row holds until the link is used, which makes them single-use.

Unsubscribe tokens are made for every copy of every issue, so they are one HMAC-SHA256
each: ``<subscriber id>.<first 128 bits of HMAC(unsubscribe key, "u1:<id>")>``, the MAC
written as 39 decimal digits, where the unsubscribe key is HMAC(secret,
"k2publisher.newsletter.unsubscribe.v2") (a key of its own, so no other signature of the
site verifies as one). About 2 µs each, against about 40 µs for an itsdangerous
signature. Digits and a dot only: the link a copy adds has nothing to escape in HTML or
JSON and no letter that could spell a word, so the guard's verdict on the copy with the
longest link (:data:`LONGEST_UNSUBSCRIBE_TOKEN`) is every copy's verdict
(``tests/newsletter/test_copy_guard.py``). They do not expire (an old issue's
link must keep working), and the itsdangerous unsubscribe tokens of earlier releases still
verify. Neither kind is ever accepted as the other: the forms differ and each is checked
with its own key.

The key is ``newsletter.secret_key`` (``${K2_SECRET_KEY}`` in a real config); when it is
empty a random key is generated once and kept in ``<state>/newsletter-secret.key``
(mode 0600).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
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
#: the label the unsubscribe key is derived under (changing it voids every link)
UNSUBSCRIBE_KEY_LABEL = b"k2publisher.newsletter.unsubscribe.v2"
#: bytes of the HMAC kept in an unsubscribe token (128 bits: not guessable)
UNSUBSCRIBE_MAC_BYTES = 16
#: decimal digits of a 128-bit MAC
UNSUBSCRIBE_MAC_DIGITS = 39
#: the form of an unsubscribe token: digits and a dot (nothing to escape, no word)
UNSUBSCRIBE_TOKEN = re.compile(rf"([1-9][0-9]{{0,17}})\.([0-9]{{{UNSUBSCRIBE_MAC_DIGITS}}})")
#: a token as long as any can be (the guard checks the copy that carries it)
LONGEST_UNSUBSCRIBE_TOKEN = "9" * 18 + "." + "9" * UNSUBSCRIBE_MAC_DIGITS


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
        #: the tokens of earlier releases (still accepted, no longer made)
        self._unsubscribe_v1 = URLSafeTimedSerializer(secret, salt=UNSUBSCRIBE_SALT)
        self._unsubscribe_key = hmac.digest(secret.encode("utf-8"), UNSUBSCRIBE_KEY_LABEL,
                                            "sha256")

    @classmethod
    def from_settings(cls, settings: Settings) -> Tokens:
        """Tokens signed with the configured (or generated) key."""
        max_age = settings.section("newsletter")["confirm_max_age"]
        return cls(load_secret(settings), confirm_max_age=int(max_age))

    def confirm_token(self, subscriber_id: int, nonce: str) -> str:
        """A token for ``/confirm/<token>``."""
        return self._confirm.dumps([subscriber_id, nonce])

    def _unsubscribe_mac(self, subscriber_id: int) -> str:
        mac = hmac.digest(self._unsubscribe_key, b"u1:%d" % subscriber_id, hashlib.sha256)
        return str(int.from_bytes(mac[:UNSUBSCRIBE_MAC_BYTES], "big")).zfill(
            UNSUBSCRIBE_MAC_DIGITS)

    def unsubscribe_token(self, subscriber_id: int) -> str:
        """A token for ``/unsubscribe/<token>`` (does not expire; see the module doc)."""
        if isinstance(subscriber_id, bool) or not isinstance(subscriber_id, int) \
                or not 0 < subscriber_id < 10**18:
            raise ValueError(f"a subscriber id is a positive integer, not {subscriber_id!r}")
        return f"{subscriber_id}.{self._unsubscribe_mac(subscriber_id)}"

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
        found = UNSUBSCRIBE_TOKEN.fullmatch(token)
        if found is not None:
            subscriber_id = int(found.group(1))
            if not hmac.compare_digest(found.group(2), self._unsubscribe_mac(subscriber_id)):
                raise TokenError("this unsubscribe link is not valid")
            return subscriber_id
        try:  # a link from an issue sent before the HMAC tokens
            data = self._unsubscribe_v1.loads(token)
        except BadData:
            raise TokenError("this unsubscribe link is not valid") from None
        if not isinstance(data, int) or isinstance(data, bool):
            raise TokenError("this unsubscribe link is not valid")
        return data
