"""The desk's own safety: who may use it, and that every POST comes from its own pages.

* Bound to a loopback address the desk is open to whoever can reach it (the local user);
  requests must name a loopback ``Host`` (a web page elsewhere cannot rebind a name to it).
* Bound anywhere else it requires a login: ``K2PUBLISHER_DESK_TOKEN`` (compared in constant
  time) or ``K2PUBLISHER_DESK_PASSWORD_HASH`` (a werkzeug ``generate_password_hash`` string),
  read from ``.env`` or the environment. Without either, the desk refuses to start.
* Every POST carries a CSRF token tied to the session cookie (``csrf`` form field or the
  ``X-CSRF-Token`` header); the cookie is signed, ``HttpOnly`` and ``SameSite=Strict``.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.security import check_password_hash
from werkzeug.wrappers import Request, Response

from k2publisher.errors import ConfigError

COOKIE = "k2desk"
TOKEN_ENV = "K2PUBLISHER_DESK_TOKEN"
HASH_ENV = "K2PUBLISHER_DESK_PASSWORD_HASH"
SECRET_ENV = "K2PUBLISHER_DESK_SECRET"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def is_loopback(host: str) -> bool:
    """True for ``127.0.0.0/8``, ``::1`` and ``localhost``."""
    if host.strip("[]") in LOOPBACK_NAMES or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class Session:
    """The signed cookie's content: a random id (the CSRF token derives from it) and login."""

    sid: str
    user: str = ""
    fresh: bool = False


class Gate:
    """Login and CSRF checks for one desk server."""

    def __init__(self, host: str, env: Mapping[str, str]):
        self.login_required = not is_loopback(host)
        self.token = env.get(TOKEN_ENV, "")
        self.password_hash = env.get(HASH_ENV, "")
        if self.login_required and not (self.token or self.password_hash):
            raise ConfigError(f"the desk is bound to {host}, not loopback, so it needs a "
                              f"login: set {TOKEN_ENV} (a long random string) or {HASH_ENV} "
                              "(python -c \"from werkzeug.security import generate_password_"
                              "hash as g; print(g('...'))\") in .env")
        # one secret per process unless configured: a restart logs everyone out
        key = env.get(SECRET_ENV) or secrets.token_urlsafe(32)
        self._cookies = URLSafeSerializer(key, salt="k2desk-session")
        self._csrf = URLSafeSerializer(key, salt="k2desk-csrf")

    # -- session ----------------------------------------------------------------------------

    def session(self, request: Request) -> Session:
        """The request's session, or a new one (sent back as a cookie)."""
        raw = request.cookies.get(COOKIE, "")
        try:
            data = self._cookies.loads(raw) if raw else None
        except BadSignature:
            data = None
        if isinstance(data, dict) and isinstance(data.get("sid"), str):
            return Session(data["sid"], str(data.get("user", "")))
        return Session(secrets.token_urlsafe(18), fresh=True)

    def save(self, response: Response, session: Session, secure: bool) -> None:
        """Write ``session`` into its cookie."""
        response.set_cookie(COOKIE, self._cookies.dumps({"sid": session.sid,
                                                         "user": session.user}),
                            httponly=True, samesite="Strict", secure=secure, path="/")

    def csrf_token(self, session: Session) -> str:
        """The CSRF token of ``session`` (a signature of its id)."""
        return str(self._csrf.dumps(session.sid))

    def csrf_ok(self, request: Request, session: Session) -> bool:
        """True when the POST carries this session's CSRF token."""
        sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf", "")
        return bool(sent) and not session.fresh and \
            hmac.compare_digest(sent, self.csrf_token(session))

    # -- login ------------------------------------------------------------------------------

    def allowed(self, session: Session) -> bool:
        """True when the request may see the desk."""
        return not self.login_required or bool(session.user)

    def check(self, secret: str) -> bool:
        """True when ``secret`` is the configured token or password."""
        if not secret:
            return False
        if self.token and hmac.compare_digest(secret.encode(), self.token.encode()):
            return True
        return bool(self.password_hash) and check_password_hash(self.password_hash, secret)

    def host_ok(self, request: Request) -> bool:
        """On loopback, the ``Host`` header must be a loopback name (no DNS rebinding)."""
        if self.login_required:
            return True
        name = request.host.rsplit(":", 1)[0] if not request.host.startswith("[") \
            else request.host.split("]")[0] + "]"
        return is_loopback(name)
