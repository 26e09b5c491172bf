"""Every `k2publisher ...` command line in README.md and docs/ parses as written, and the
read-only ones run against a copy of the shipped site.

"Parses" means the real CLI resolves every subcommand and accepts every option and argument
in the position the docs put it (global options before or after the subcommand included);
nothing is executed for that part. The read-only commands then really run.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import click
import pytest
from venvs import REPO

from k2publisher.cli.main import cli
from k2publisher.scaffold import EXAMPLE_ITEM_ID, scaffold

FENCE = re.compile(r"```[^\n]*\n(.*?)```", re.S)
#: where a command line starts: `k2publisher`, or a path to it, after an optional prompt/sudo
START = re.compile(r"^(?:\$ +)?(?:sudo +-u +\S+ +)?(?:ExecStart=)?(?:\S*/)?k2publisher(?= |$)")
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
#: commands that only read: they really run in a copy of the shipped site
READ_ONLY = {("queue", "list"), ("queue", "validate"), ("queue", "show"), ("schedule",),
             ("status",), ("channels", "list"), ("preview",), ("doctor",),
             ("store", "status")}


def command_lines() -> list[tuple[str, int, list[str]]]:
    """(file, line, argv after `k2publisher`) for every command line in a fenced block."""
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for block in FENCE.finditer(text):
            first = text.count("\n", 0, block.start(1)) + 1
            lines = block.group(1).split("\n")
            for offset, line in enumerate(lines):
                for segment in re.split(r"&&|\|\||;|\|", line):
                    m = START.match(segment.strip())
                    if not m:
                        continue
                    try:
                        words = shlex.split(segment.strip()[m.end():], comments=True)
                    except ValueError:
                        continue
                    found.append((doc.name, first + offset, words))
    return found


LINES = command_lines()


def parse(argv: list[str]) -> tuple[str, ...]:
    """Parse ``argv`` with the real CLI down to the leaf command; returns the command path."""
    path: list[str] = []
    try:
        ctx = cli.make_context("k2publisher", list(argv))
        command: click.Command = cli
        while isinstance(command, click.Group):
            rest = [*ctx._protected_args, *ctx.args]
            if not rest:
                break
            name, sub, rest = command.resolve_command(ctx, rest)
            assert sub is not None and name is not None
            path.append(name)
            ctx = sub.make_context(name, rest, parent=ctx)
            command = sub
    except click.exceptions.Exit:  # --help, --version
        pass
    return tuple(path)


def test_the_docs_have_command_lines() -> None:
    assert len(LINES) > 40
    assert any(words[-2:] == ["--queue", "/tmp/q"] or ("--dry-run" in words and "--queue"
               in words) for _, _, words in LINES)  # the README tour's global-option-after


@pytest.mark.parametrize(("doc", "line", "argv"), LINES,
                         ids=[f"{d}:{n}" for d, n, _ in LINES])
def test_each_command_line_parses_as_written(doc: str, line: int, argv: list[str]) -> None:
    try:
        parse(argv)
    except click.UsageError as exc:
        pytest.fail(f"{doc}:{line}: `k2publisher {shlex.join(argv)}`: {exc.format_message()}")


@pytest.fixture(scope="module")
def shipped_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's site, plus what the getting-started tour adds to a new site: the
    example item `init` writes, and the item the reader writes (taken from the doc)."""
    site = tmp_path_factory.mktemp("shipped")
    for folder in ("config", "queue", "templates"):
        if (REPO / folder).is_dir():
            shutil.copytree(REPO / folder, site / folder)
    new = tmp_path_factory.mktemp("new") / "site"
    scaffold(new, answers=None)
    example = new / "queue" / EXAMPLE_ITEM_ID.split("/")[0]
    shutil.copytree(example, site / "queue" / example.name)
    tour = (REPO / "docs" / "getting-started.md").read_text(encoding="utf-8")
    written = next(b for b in FENCE.findall(tour) if "id: magnesium/sleep" in b)
    (site / "queue" / "magnesium").mkdir()
    (site / "queue" / "magnesium" / "sleep.md").write_text(written, encoding="utf-8")
    return site


def runnable(argv: list[str]) -> bool:
    """A read-only command that needs no server, network or production path."""
    path = parse(argv)
    if path[:2] not in READ_ONLY and path[:1] not in READ_ONLY:
        return False
    return not any(a.startswith(("/srv", "--serve", "--online")) for a in argv)


RUNNABLE = [(d, n, w) for d, n, w in LINES if runnable(w)]


@pytest.mark.parametrize(("doc", "line", "argv"), RUNNABLE,
                         ids=[f"{d}:{n}" for d, n, _ in RUNNABLE])
def test_read_only_command_lines_run(run_cli, shipped_site: Path, doc: str, line: int,
                                     argv: list[str]) -> None:
    code, out, err = run_cli(*argv, cwd=shipped_site)
    assert code in (0, 1), f"{doc}:{line}: exit {code}\n{out}\n{err}"
    assert "Traceback" not in out + err
