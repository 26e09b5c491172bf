"""An unset ``${SECRET}`` disables only the channel that needs it; everything else works."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from k2publisher.errors import ConfigError, MissingSecretError
from k2publisher.service.scheduler import Service
from k2publisher.service.web import Server, make_app
from k2publisher.settings import load_settings

from .conftest import write_config

CONFIG = """\
[channels.email]
type = "maildir"
path = "outbox/maildir"

[channels.feed]
type = "rss"
path = "public"

[channels.social]
type = "file"
path = "outbox/social"

[channels.masto]
type = "mastodon"
instance = "https://social.example"
token = "${MASTODON_TOKEN}"

[campaigns.daily]
channels = ["social", "masto"]
times = ["09:00"]
timezone = "UTC"
run_on_start = true
"""


@pytest.fixture
def secret_site(site: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("MASTODON_TOKEN", raising=False)
    write_config(site, CONFIG)
    return site


@pytest.mark.parametrize("argv", [("queue", "list"), ("queue", "validate"), ("schedule",),
                                  ("preview", "vitamin-k2/dosage"),
                                  ("publish", "vitamin-k2/dosage", "--channel", "social")],
                         ids=" ".join)
def test_other_commands_work(cli_main, secret_site: Path, argv: tuple[str, ...]) -> None:
    code, out, err = cli_main(*argv, cwd=secret_site)
    assert code == 0, (out, err)
    assert "Traceback" not in err


def test_channels_list_says_which_channel_is_disabled_and_why(cli_main,
                                                              secret_site: Path) -> None:
    code, out, _ = cli_main("channels", "list", "--json", cwd=secret_site)
    assert code == 1  # something to fix
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["social"]["state"] == "ok"
    assert rows["masto"]["state"].startswith("disabled: ${MASTODON_TOKEN} (used by "
                                             "channels.masto.token) not set; add "
                                             "MASTODON_TOKEN=... to ")
    _, out, _ = cli_main("channels", "list", cwd=secret_site)
    assert "disabled: ${MASTODON_TOKEN}" in out


def test_publishing_on_the_disabled_channel_exits_3_naming_the_line(cli_main,
                                                                    secret_site: Path) -> None:
    code, _, err = cli_main("publish", "vitamin-k2/dosage", "--channel", "masto",
                            cwd=secret_site)
    assert code == 3
    assert "config/k2publisher.toml:16: channel 'masto' is disabled: ${MASTODON_TOKEN}" in err


def test_status_and_doctor_name_the_disabled_channel(cli_main, secret_site: Path) -> None:
    code, out, _ = cli_main("status", "--json", cwd=secret_site)
    data = json.loads(out)
    assert data["channels"]["social"] == "ok"
    assert data["channels"]["masto"].startswith("disabled: ${MASTODON_TOKEN}")
    assert code == 1
    code, out, _ = cli_main("status", cwd=secret_site)
    assert "Disabled channels" in out and "masto" in out
    code, out, _ = cli_main("doctor", cwd=secret_site)
    assert code == 1
    assert "${MASTODON_TOKEN} (used by channels.masto.token)" in out


def test_run_once_publishes_on_the_other_channels(cli_main, secret_site: Path) -> None:
    code, _, err = cli_main("run", "--once", cwd=secret_site)
    assert code == 4, err  # the masto publication failed: exit 4 says so
    assert "item=vitamin-k2/dosage channel=social outcome=sent" in err
    assert "channel=masto outcome=failed" in err and "${MASTODON_TOKEN}" in err
    assert list((secret_site / "outbox" / "social").rglob("*"))


def test_healthz_reports_the_disabled_channel(secret_site: Path) -> None:
    settings = load_settings(secret_site / "config" / "k2publisher.toml")
    service = Service(settings, campaigns=[])
    server = Server(make_app(settings, health=service.health, newsletter=False),
                    host="127.0.0.1", port=0).start()
    try:
        data = requests.get(f"{server.url}/healthz", timeout=5).json()
    finally:
        server.stop()
        service.close()
    assert data["status"] == "stopped"  # no scheduler in this test; else "degraded"
    assert data["channels"]["masto"].startswith("disabled: ${MASTODON_TOKEN}")
    assert any("channel masto disabled" in r for r in data["reasons"])


def test_a_set_secret_enables_the_channel(secret_site: Path) -> None:
    settings = load_settings(secret_site / "config" / "k2publisher.toml",
                             environ={"MASTODON_TOKEN": "tok-123456"})
    assert settings.unset("channels.") == {}
    from k2publisher.deliver.registry import channel_states

    assert channel_states(settings)["masto"] == "ok"


def test_an_unset_secret_outside_channels_still_fails_at_load(site: Path) -> None:
    path = write_config(site, '[site]\nname = "${SITE_NAME}"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert not isinstance(caught.value, MissingSecretError)
    assert f"{path}:2: site.name refers to ${{SITE_NAME}}" in str(caught.value)
