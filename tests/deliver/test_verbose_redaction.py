"""`-vv` on every channel type logs the HTTP conversation (urllib3, oauthlib) and never a
secret: tokens in URLs, webhook paths, OAuth keys and bearer tokens are all masked, and so
is the text of a traceback."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from tests.service.support import write_item

from k2publisher.service import logs

from .test_http_contract import CASES, Case, case  # noqa: F401  (the `case` fixture)

SECRET_ENV = "K2_TEST_SECRET_"


def site_for(net: Case, base: str, root: Path) -> Path:
    """A site whose one network channel `net` reads every secret from .env."""
    write_item(root / "queue", "vitamin-k2/dosage", priority=5)
    options = net.options(base)
    lines = ["[channels.net]", f'type = "{net.type_name}"']
    env = []
    for n, (key, value) in enumerate(options.items()):
        if any(secret in str(value) for secret in net.secrets) or key in (
                "token", "password", "webhook_url"):
            env.append(f"{SECRET_ENV}{n}={value}")
            lines.append(f'{key} = "${{{SECRET_ENV}{n}}}"')
        else:
            lines.append(f'{key} = "{value}"')
    lines += ["[channels.feed]", 'type = "rss"', 'path = "public"',
              "[channels.social]", 'type = "file"', 'path = "outbox/social"',
              "[channels.email]", 'type = "maildir"', 'path = "outbox/maildir"']
    (root / "config").mkdir()
    (root / "config" / "k2publisher.toml").write_text("\n".join(lines) + "\n")
    (root / ".env").write_text("\n".join(env) + "\n")
    return root


def test_vv_publish_and_check_mask_every_secret(case: Case, network, tmp_path: Path,  # noqa: F811
                                                cli_main) -> None:
    site = site_for(case, network.base, tmp_path)
    code, out, err = cli_main("publish", "vitamin-k2/dosage", "--channel", "net", "-vv",
                              cwd=site)
    text = out + err
    assert code == 0, text
    assert network.to(case.send_path), "nothing reached the fake network"
    assert "urllib3.connectionpool" in text and "DEBUG" in text  # -vv really logged HTTP
    code, out, err = cli_main("-vv", "channels", "check", "net", cwd=site)
    checked = out + err
    assert code == 0, checked
    for secret in case.secrets:
        assert secret not in text + checked, f"{case.type_name}: {secret!r} leaked"


def test_a_traceback_is_masked_too(tmp_path: Path) -> None:
    from k2publisher import redact

    stream = tmp_path / "log.txt"
    with stream.open("w") as fh:
        logs.setup("text", level=logging.DEBUG, stream=fh)
        redact.register(["tracebackSecret123"])
        try:
            raise RuntimeError("request to https://api.example/bot123:tracebackSecret123/x")
        except RuntimeError:
            logging.getLogger("k2publisher.test").exception("it failed")
    text = stream.read_text()
    assert "Traceback" in text and "RuntimeError" in text
    assert "tracebackSecret123" not in text


def test_an_unexpected_error_in_a_command_is_printed_masked(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cli_main) -> None:
    from k2publisher import redact
    from k2publisher.cli import queue_cmd

    redact.register(["bugSecretValue42"])

    def broken(*args, **kwargs):
        raise KeyError("token bugSecretValue42")

    monkeypatch.setattr(queue_cmd, "item_json", broken)
    write_item(tmp_path / "queue", "vitamin-k2/dosage")
    code, out, err = cli_main("queue", "show", "vitamin-k2/dosage", "--json", cwd=tmp_path)
    text = out + err
    assert code == 1
    assert "Traceback" in text and "KeyError" in text
    assert "bugSecretValue42" not in text
