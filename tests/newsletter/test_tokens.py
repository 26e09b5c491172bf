"""Tokens: purpose-bound signatures, expiry, and the generated key file."""

from __future__ import annotations

import re
import stat
from datetime import timedelta

import pytest
import time_machine
from itsdangerous import URLSafeTimedSerializer

from k2publisher.errors import ConfigError, TokenError
from k2publisher.newsletter.tokens import (
    CONFIRM_SALT,
    KEY_FILE,
    UNSUBSCRIBE_SALT,
    Tokens,
    load_secret,
)
from k2publisher.settings import Settings


def test_confirm_and_unsubscribe_tokens_are_not_interchangeable() -> None:
    tokens = Tokens("a-secret-key-of-some-length")
    confirm = tokens.confirm_token(7, "nonce")
    unsub = tokens.unsubscribe_token(7)
    assert tokens.read_confirm(confirm).subscriber_id == 7
    assert tokens.read_unsubscribe(unsub) == 7
    with pytest.raises(TokenError):
        tokens.read_unsubscribe(confirm)
    with pytest.raises(TokenError):
        tokens.read_confirm(unsub)


def test_tokens_signed_with_another_key_are_refused() -> None:
    forged = Tokens("attacker-key-0123456789").unsubscribe_token(1)
    with pytest.raises(TokenError):
        Tokens("the-real-site-key-012345").read_unsubscribe(forged)


def test_confirm_tokens_expire_unsubscribe_tokens_do_not() -> None:
    tokens = Tokens("a-secret-key-of-some-length", confirm_max_age=3600)
    with time_machine.travel("2026-01-01 00:00:00Z", tick=False) as traveller:
        confirm = tokens.confirm_token(1, "n")
        unsub = tokens.unsubscribe_token(1)
        traveller.shift(timedelta(minutes=59))
        assert tokens.read_confirm(confirm).nonce == "n"
        traveller.shift(timedelta(minutes=2))
        with pytest.raises(TokenError, match="expired"):
            tokens.read_confirm(confirm)
        traveller.shift(timedelta(days=3650))
        assert tokens.read_unsubscribe(unsub) == 1


def test_generated_key_is_created_once_with_0600(settings: Settings) -> None:
    first = load_secret(settings)
    path = settings.path("state") / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret(settings) == first and len(first) >= 32


def test_configured_key_wins_and_must_not_be_trivial(configure) -> None:
    settings = configure('secret_key = "configured-key-0123456789"\n')
    assert load_secret(settings) == "configured-key-0123456789"
    assert not (settings.path("state") / KEY_FILE).exists()
    with pytest.raises(ConfigError, match="too short"):
        load_secret(configure('secret_key = "short"\n'))


def test_unsubscribe_tokens_are_hmacs_bound_to_the_key_and_the_id() -> None:
    tokens = Tokens("a-secret-key-of-some-length")
    token = tokens.unsubscribe_token(1234)
    ident, mac = token.split(".")
    assert ident == "1234" and len(mac) == 39  # 128 bits in decimal digits
    assert re.fullmatch(r"[0-9]+\.[0-9]+", token)
    other = tokens.unsubscribe_token(1235)
    flipped = f"{mac[:-1]}{(int(mac[-1]) + 1) % 10}"
    for forged in (f"1235.{mac}", f"1234.{other.split('.')[1]}", f"1234.{flipped}",
                   f"01234.{mac}", token + "x", f"1234.{mac}.1", ""):
        with pytest.raises(TokenError):
            tokens.read_unsubscribe(forged)
    with pytest.raises(ValueError):
        tokens.unsubscribe_token(0)


def test_unsubscribe_tokens_of_earlier_releases_still_verify() -> None:
    """Links in issues sent before the HMAC tokens (itsdangerous, salted) keep working."""
    secret = "a-secret-key-of-some-length"
    old = URLSafeTimedSerializer(secret, salt=UNSUBSCRIBE_SALT).dumps(42)
    assert Tokens(secret).read_unsubscribe(old) == 42
    confirm_signed_as_old = URLSafeTimedSerializer(secret, salt=CONFIRM_SALT).dumps(42)
    with pytest.raises(TokenError):
        Tokens(secret).read_unsubscribe(confirm_signed_as_old)
    with pytest.raises(TokenError):
        Tokens("another-key-0123456789").read_unsubscribe(old)
