"""Every `k2publisher COMMAND` the docs, the README and the scaffolded files mention exists."""

from __future__ import annotations

import re

import click
import pytest
from venvs import REPO

from k2publisher.cli.main import cli
from k2publisher.settings_docs import CHANNEL_DOCS, DOCS

#: `k2publisher` in command position (not the user name in `sudo -u k2publisher ...`)
MENTION = re.compile(r"(?<!-u )(?<!-aG )\bk2publisher((?: +[a-z][a-z-]*)+)")
GLOBAL_OPTIONS = re.compile(r"\bk2publisher +(?:--config +\S+ +|--queue +\S+ +|-v+ +|-q +)+")
CODE = re.compile(r"```.*?```|`[^`\n]+`", re.S)
SKELETON = REPO / "src" / "k2publisher" / "scaffold" / "skeleton"
SOURCES = {str(p.relative_to(REPO)): p.read_text(encoding="utf-8") for p in
           [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")),
            *sorted(SKELETON.rglob("*.md"))]}
SOURCES["settings_docs"] = "\n".join([*DOCS.values(), *CHANNEL_DOCS.values()])


def unknown_commands(text: str) -> list[str]:
    """Mentions in code naming a command or subcommand that does not exist.

    Only code (fenced blocks and `spans`) is read: prose may say "k2publisher is ...".
    """
    text = GLOBAL_OPTIONS.sub("k2publisher ", "\n".join(CODE.findall(text)))
    bad = []
    for m in MENTION.finditer(text):
        words = m.group(1).split()
        command: click.Command = cli
        for word in words:
            if not isinstance(command, click.Group):
                break
            sub = command.commands.get(word)
            if sub is None:  # a group takes no argument, only a subcommand
                bad.append(f"k2publisher {' '.join(words)}")
                break
            command = sub
    return bad


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_mentioned_commands_exist(name: str) -> None:
    assert unknown_commands(SOURCES[name]) == []


def test_the_scan_catches_a_missing_command() -> None:
    text = "`k2publisher serve`, `k2publisher queue lst`, `k2publisher queue list --json`"

    assert unknown_commands(text) == ["k2publisher serve", "k2publisher queue lst"]
