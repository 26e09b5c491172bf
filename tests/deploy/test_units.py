"""The systemd units in deploy/ start commands the real CLI accepts as written."""

from __future__ import annotations

import shlex
from pathlib import Path

import click
import pytest

from k2publisher.cli.main import cli

UNITS = sorted((Path(__file__).resolve().parents[2] / "deploy").glob("*.service"))


def exec_start(unit: Path) -> list[str]:
    """The argv after ``k2publisher`` of the unit's ``ExecStart=``."""
    line = next(x for x in unit.read_text().splitlines() if x.startswith("ExecStart="))
    # a template's instance name (%i) is the port of k2publisher-run@8025
    argv = shlex.split(line.removeprefix("ExecStart=").replace("%i", "8025"))
    assert Path(argv[0]).name == "k2publisher", line
    return argv[1:]


def test_the_worker_unit_is_shipped() -> None:
    assert "k2publisher-worker@.service" in {u.name for u in UNITS}


@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_each_unit_runs_a_real_command(unit: Path) -> None:
    ctx = cli.make_context("k2publisher", exec_start(unit))
    command: click.Command = cli
    path = []
    while isinstance(command, click.Group):  # down to the leaf, options checked on the way
        name, sub, rest = command.resolve_command(ctx, [*ctx._protected_args, *ctx.args])
        assert sub is not None and name is not None
        path.append(name)
        ctx = sub.make_context(name, rest, parent=ctx)
        command = sub
    assert tuple(path) in {("run",), ("newsletter", "worker")}, path
