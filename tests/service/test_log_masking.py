"""A URL in a log line keeps its user name and loses only its password: masking is for
secrets (`k2publisher.redact`, applied to every line by `service.logs`)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from k2publisher.redact import mask
from k2publisher.service import logs


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_database_url_is_logged_with_its_user_and_without_its_password(
        tmp_path: Path, log_format: str) -> None:
    stream = tmp_path / "log.txt"
    with stream.open("w") as fh:
        handler = logs.setup(log_format, stream=fh)
        try:
            logging.getLogger("k2publisher.test").warning(
                "cannot connect to %s", "postgresql://k2:secret@host/db")
        finally:
            logging.getLogger().removeHandler(handler)
    line = stream.read_text().strip()
    message = json.loads(line)["message"] if log_format == "json" else line
    assert message.endswith("cannot connect to postgresql://k2:****@host/db")
    assert "secret" not in line


def test_only_the_secret_part_of_a_urls_userinfo_is_masked() -> None:
    assert mask("postgres://k2:pw@/db?host=/run") == "postgres://k2:****@/db?host=/run"
    # without a password the userinfo may itself be a token, so it goes whole: HTTP Basic
    # with an API key as the user and an empty password too
    assert mask("https://sk_live_abc123:@api.example.com/v1") == "https://****@api.example.com/v1"
    assert mask("postgres://k2:@/db?host=/run") == "postgres://****@/db?host=/run"
    assert mask("https://ghp_token123@example.org/x.git") == "https://****@example.org/x.git"
    assert mask("a postgresql://k2@host/db b") == "a postgresql://****@host/db b"
