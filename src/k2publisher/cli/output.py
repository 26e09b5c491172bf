"""Terminal output in one place: colour rules, tables, JSON, and the exit codes.

Colour only on a TTY and never when ``NO_COLOR`` is set; ``--json`` output is plain JSON
on stdout with nothing else mixed in.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

#: documented exit codes (README "Exit codes")
EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_DELIVERY = 4


def _colour() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def console(stderr: bool = False) -> Console:
    """A rich console that respects TTY detection and ``NO_COLOR``."""
    stream = sys.stderr if stderr else sys.stdout
    colour = stream.isatty() and "NO_COLOR" not in os.environ
    return Console(file=stream, no_color=not colour, highlight=False,
                   force_terminal=None if colour else False,
                   width=None if stream.isatty() else 160)


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON (dates and paths as strings)."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def print_problems(problems: Sequence[Any], *, limit: int = 20) -> None:
    """Queue files that cannot be used, one ``path:line: message`` each, on stderr."""
    if not problems:
        return
    err = console(stderr=True)
    err.print(f"{len(problems)} queue file problem(s); those items are not published until "
              "fixed (`k2publisher queue validate` lists them all):", markup=False)
    for problem in list(problems)[:limit]:
        err.print(f"  {problem}", markup=False, soft_wrap=True)
    if len(problems) > limit:
        err.print(f"  ... and {len(problems) - limit} more", markup=False)


def print_table(columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str | None = None
                ) -> None:
    """Print a readable table; columns are headers, rows are sequences of cells."""
    table = Table(title=title, show_lines=False, header_style="bold" if _colour() else "")
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*("" if c is None else str(c) for c in row))
    console().print(table)
