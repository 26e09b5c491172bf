"""CLI manners across every command: examples in --help, exit codes, colour rules."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from venvs import clean_env

from k2publisher import __version__
from k2publisher.cli.main import cli

ANSI = re.compile(r"\x1b\[")


def _commands(group: click.Command, path: tuple[str, ...] = ()
              ) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, group
    if isinstance(group, click.Group):
        for name, command in sorted(group.commands.items()):
            yield from _commands(command, (*path, name))


COMMANDS = list(_commands(cli))


def k2(*args: str, cwd: Path, env: dict[str, str] | None = None
       ) -> subprocess.CompletedProcess[str]:
    """Run ``python -m k2publisher ARGS`` as a user would."""
    return subprocess.run([sys.executable, "-m", "k2publisher", *args], cwd=cwd,
                          capture_output=True, text=True, env=env or clean_env(), timeout=60)


def on_a_tty(*args: str, cwd: Path, env: dict[str, str]) -> str:
    """Run ``python -m k2publisher ARGS`` with stdout and stderr on a pseudo-terminal."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "k2publisher", *args], cwd=cwd, env=env,
                            stdin=subprocess.DEVNULL, stdout=follower, stderr=follower)
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    proc.wait(timeout=60)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS],
                         ids=[" ".join(p) or "k2publisher" for p, _ in COMMANDS])
def test_every_command_help_shows_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])

    assert result.exit_code == 0, result.output
    assert "Example" in result.output


def test_the_tree_walk_sees_the_known_commands() -> None:
    names = {" ".join(p) for p, _ in COMMANDS}

    assert {"init", "doctor", "queue", "queue list", "queue validate"} <= names


def test_version_and_verbosity_flags(tmp_path: Path) -> None:
    version = k2("--version", cwd=tmp_path)
    quiet = k2("-q", "queue", "list", "--json", cwd=tmp_path)
    verbose = k2("-vv", "queue", "list", "--json", cwd=tmp_path)

    assert version.returncode == 0 and __version__ in version.stdout
    assert quiet.returncode == 0 and quiet.stdout.strip() == "[]"
    assert verbose.returncode == 0 and verbose.stdout.strip() == "[]"


def test_unknown_option_is_a_usage_error(tmp_path: Path) -> None:
    top = k2("--no-such-option", cwd=tmp_path)
    sub = k2("queue", "list", "--no-such-option", cwd=tmp_path)
    missing = k2("init", cwd=tmp_path)

    assert (top.returncode, sub.returncode, missing.returncode) == (2, 2, 2)
    assert "--no-such-option" in sub.stderr


@pytest.mark.parametrize("args", [("queue", "list"), ("doctor",)])
def test_bad_config_toml_exits_3_naming_file_and_line(tmp_path: Path,
                                                      args: tuple[str, ...]) -> None:
    config = tmp_path / "config" / "k2publisher.toml"
    config.parent.mkdir()
    config.write_text('[site]\nname = "x"\nbase_url = = "y"\n', encoding="utf-8")

    proc = k2(*args, cwd=tmp_path)

    assert proc.returncode == 3, proc.stderr
    assert f"{Path('config') / 'k2publisher.toml'}:3:" in proc.stderr


def test_no_color_means_no_ansi_even_on_a_terminal(repo: Path) -> None:
    env = clean_env(TERM="xterm")
    env.pop("NO_COLOR")
    plain_env = {**env, "NO_COLOR": "1"}
    on_tty = on_a_tty("queue", "list", cwd=repo, env=env)
    no_color = on_a_tty("queue", "list", cwd=repo, env=plain_env)
    piped = k2("queue", "list", cwd=repo, env=env)

    assert ANSI.search(on_tty), "expected colour on a terminal without NO_COLOR"
    assert "items in" in no_color
    assert not ANSI.search(no_color)
    assert not ANSI.search(piped.stdout + piped.stderr)


def test_a_failed_check_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "queue" / "topic" / "bad.md"
    bad.parent.mkdir(parents=True)
    bad.write_text("---\nid: topic/bad\n---\nno kind, no title\n", encoding="utf-8")

    proc = k2("queue", "validate", cwd=tmp_path)

    assert proc.returncode == 1
    assert f"{Path('queue') / 'topic' / 'bad.md'}:" in proc.stdout


def test_a_refused_delivery_exits_4(tmp_path: Path, httpserver) -> None:
    from k2publisher.scaffold import EXAMPLE_ITEM_ID, scaffold

    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_json(
        {"error": "The access token is invalid"}, status=401)
    scaffold(tmp_path)
    with (tmp_path / "config" / "k2publisher.toml").open("a", encoding="utf-8") as fh:
        fh.write(f'\n[channels.toots]\ntype = "mastodon"\ninstance = "{httpserver.url_for("")}"'
                 '\ntoken = "${TOOTS_TOKEN}"\n')
    env = clean_env(TOOTS_TOKEN="not-a-valid-token")
    k2("queue", "approve", EXAMPLE_ITEM_ID, cwd=tmp_path, env=env)

    proc = k2("publish", EXAMPLE_ITEM_ID, "--channel", "toots", cwd=tmp_path, env=env)

    assert proc.returncode == 4, proc.stderr
    assert "access token" in proc.stderr
    assert "not-a-valid-token" not in proc.stdout + proc.stderr


#: commands that print a listing or a report besides every `... list`
LISTINGS = {"status", "schedule", "doctor", "preview", "queue validate", "queue show"}


def test_every_listing_has_json() -> None:
    listings = {" ".join(p): c for p, c in COMMANDS
                if p and (p[-1] == "list" or " ".join(p) in LISTINGS)}
    without = [name for name, command in listings.items()
               if "--json" not in {o for param in command.params for o in param.opts}]

    assert "queue list" in listings
    assert without == []
