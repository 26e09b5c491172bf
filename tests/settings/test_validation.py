"""Every setting is typed and checked in one place; errors name the key, file:line and fix."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from k2publisher.errors import ConfigError, SettingsError
from k2publisher.settings import DEFAULTS, load_settings
from k2publisher.settings_schema import FREE_TABLES, SECTIONS, Source, unknown_settings, validate

from .conftest import write_config

#: every command that reads the settings, as a user would type it
COMMANDS = [
    ("queue", "list"), ("queue", "validate"), ("queue", "show", "vitamin-k2/dosage"),
    ("schedule",), ("status",), ("run", "--once"), ("doctor",), ("channels", "list"),
    ("publish", "vitamin-k2/dosage", "--channel", "social", "--dry-run"),
    ("preview", "vitamin-k2/dosage"), ("backup", "backup.sqlite3"),
    ("newsletter", "status", "2026-11-25"), ("subscribers", "list"),
]

WRONG = [
    ('[server]\nport = "eighty"\n', 2, '[server] port = "eighty"', "e.g. port = 8025"),
    ('[render]\nfeed_items = "thirty"\n', 2, '[render] feed_items = "thirty"',
     "e.g. feed_items = 30"),
    ("site = 5\n", 1, "[site] must be a table", "[site] with key = value lines"),
    ("[paths]\nqueue = \"queue\"\nstate = 7\n", 3, "[paths] state = 7",
     'e.g. state = "state"'),
    ('[guard]\nclaims = "sometimes"\n', 2, '[guard] claims = "sometimes"',
     'one of "block", "off", "review"'),
    ("[server]\nport = 70000\n", 2, "[server] port = 70000", "from 0 to 65535"),
    ('[guard.channels]\nsocial = "review"\nfeed = "loose"\n', 3,
     '[guard.channels] feed = "loose"', 'one of "block", "off", "review"'),
    ("[delivery]\nmax_attempts = 0\n", 2, "[delivery] max_attempts = 0", "from 1 to 100"),
    ("[newsletter]\nconnections = true\n", 2, "[newsletter] connections = true",
     "a whole number"),
    ('[site]\nbase_url = "example.org"\n', 2, '[site] base_url = "example.org"',
     "an http:// or https:// address"),
    ('[site]\ntimezone = "Europe/Londn"\n', 2, '[site] timezone = "Europe/Londn"',
     "did you mean `Europe/London`?"),
    ('[channels.social]\npath = "outbox"\n', 1, "[channels.social] needs type", "types"),
    ('[campaigns.daily]\nchannels = ["feed"]\ntimes = ["25:00"]\n', 3,
     "campaigns.daily.times", "HH:MM"),
]


@pytest.mark.parametrize(("text", "line", "names", "fix"), WRONG)
def test_a_wrong_setting_names_key_line_and_fix(site: Path, text: str, line: int, names: str,
                                                fix: str) -> None:
    path = write_config(site, text)
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert f"{path}:{line}: " in message
    assert names in message and fix in message
    assert caught.value.exit_code == 3


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_every_command_exits_3_without_a_traceback(cli_main, site: Path,
                                                   argv: tuple[str, ...]) -> None:
    write_config(site, '[server]\nport = "eighty"\n')
    code, out, err = cli_main(*argv, cwd=site)
    assert code == 3, (out, err)
    assert "config/k2publisher.toml:2: [server] port" in err
    assert "Traceback" not in err + out


def test_invalid_utf8_names_the_line(cli_main, site: Path) -> None:
    write_config(site, b'[site]\nname = "K2"\ndescription = "caf\xe9"\n')
    code, _, err = cli_main("run", "--once", cwd=site)
    assert code == 3
    assert "config/k2publisher.toml:3: byte 0xe9 is not UTF-8: save the file as UTF-8" in err
    assert "Traceback" not in err


def test_every_problem_is_listed_at_once(site: Path) -> None:
    path = write_config(site, '[server]\nport = "eighty"\nhost = 5\n[render]\nhashtags = -1\n')
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert [p.line for p in caught.value.problems] == [2, 3, 5]


def test_unknown_keys_are_warned_on_every_load(cli_main, site: Path) -> None:
    write_config(site, "[server]\nprot = 8025\n[channels.social]\ntype = \"file\"\n"
                       "path = \"outbox\"\nprofil = \"mastodon\"\n[sever]\nport = 1\n"
                       "[channels.feed]\ntype = \"rss\"\npath = \"public\"\n"
                       "[channels.email]\ntype = \"maildir\"\npath = \"mail\"\n")
    for argv in (("queue", "list"), ("schedule",)):
        code, _, err = cli_main(*argv, cwd=site)
        assert code == 0, err
        assert "config/k2publisher.toml:2: unknown setting [server] prot is ignored " \
               "(did you mean `port`?)" in err
        assert "config/k2publisher.toml:6: unknown setting [channels.social] profil for type " \
               "'file' is ignored (did you mean `profile`?)" in err
        assert "config/k2publisher.toml:7: unknown table or setting `sever` is ignored " \
               "(did you mean `server`?)" in err


def test_a_valid_config_gives_typed_settings(site: Path, caplog) -> None:
    path = write_config(site, '[server]\nport = 8099\n[delivery]\ntimeout = 5\n')
    with caplog.at_level(logging.WARNING):
        settings = load_settings(path)
    assert settings.typed is not None
    assert settings.typed.server.port == 8099 and settings.typed.delivery.timeout == 5.0
    assert settings.where("server", "port") == (path, 2)
    assert not caplog.records


def test_the_schema_covers_exactly_the_defaults_table() -> None:
    problems, _ = validate(DEFAULTS, DEFAULTS, Source(None))
    assert problems == []
    for name, section in SECTIONS.items():
        assert set(section.__struct_fields__) == set(DEFAULTS[name]), name
    assert set(DEFAULTS) == {*SECTIONS, *FREE_TABLES}
    assert unknown_settings(DEFAULTS, Source(None)) == []


def test_a_missing_config_file_is_a_config_error(site: Path) -> None:
    with pytest.raises(ConfigError):
        load_settings(site / "config" / "nope.toml")


def test_an_oversized_config_is_refused(site: Path) -> None:
    path = write_config(site, "# " + "x" * 1_100_000 + "\n")
    with pytest.raises(ConfigError, match="at most"):
        load_settings(path)
