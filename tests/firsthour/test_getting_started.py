"""docs/getting-started.md works as written: its commands, run in order, all succeed."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from venvs import REPO, clean_env

GUIDE = REPO / "docs" / "getting-started.md"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)


def steps(text: str) -> list[tuple[str, str]]:
    """``("cd"|"run"|"write", argument)`` for each command and file of the guide, in order."""
    out: list[tuple[str, str]] = []
    for lang, body in BLOCK.findall(text):
        if lang == "markdown":
            out.append(("write", body))
            continue
        for line in body.splitlines():
            command = line.split("  #", 1)[0].strip()
            if command.startswith("cd "):
                out.append(("cd", command[3:]))
            elif command.startswith("k2publisher "):
                out.append(("run", command))
    return out


@pytest.mark.slow
def test_the_guide_runs_from_init_to_published(tmp_path: Path) -> None:
    text = GUIDE.read_text(encoding="utf-8")
    [item_path] = set(re.findall(r"`(queue/[\w/-]+\.md)` \(", text))
    cwd = tmp_path
    ran: list[str] = []
    for kind, arg in steps(text):
        if kind == "cd":
            cwd = cwd / arg
        elif kind == "write":
            (cwd / item_path).parent.mkdir(parents=True, exist_ok=True)
            (cwd / item_path).write_text(arg, encoding="utf-8")
        else:
            args = shlex.split(arg)[1:]
            proc = subprocess.run([sys.executable, "-m", "k2publisher", *args], cwd=cwd,
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  env=clean_env(), timeout=120)
            assert proc.returncode == 0, f"{arg}\n{proc.stdout}\n{proc.stderr}"
            ran.append(arg)

    assert "k2publisher doctor" in ran and "k2publisher run --once" in ran
    assert list((cwd / "outbox" / "maildir" / "new").iterdir())
    assert (cwd / "outbox" / "social" / "magnesium__sleep--social--0.json").is_file()
    assert "Magnesium and sleep" in (cwd / "public" / "feed.xml").read_text(encoding="utf-8")
