"""``k2publisher rules upgrade``: bring the site's rules and catalogue copies up to date."""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import click

from k2publisher.cli.app import App, pass_app
from k2publisher.cli.output import EXIT_CHECK_FAILED, EXIT_OK, console, print_json
from k2publisher.errors import ConfigError
from k2publisher.files import write_atomic
from k2publisher.guard.upgrade import KINDS, Plan, plan

RULES_HELP = """The site's copies of the disclaimer rules and the interaction catalogue.

\b
`init` copies config/disclaimers.toml and config/interactions.toml into a site; after that
they are the site's. A site made by an older `init` keeps older texts (rules naming vitamin
K2 on every supplement, warnings that say nothing of their sources) until they are upgraded.
"""

UPGRADE_EPILOG = """\b
Examples:
  k2publisher rules upgrade              # show the diff, ask, then write
  k2publisher rules upgrade --check      # exit 1 when an upgrade is pending (CI, cron)
  k2publisher rules upgrade --yes        # write without asking
\b
Each entry (a [[disclaimer]] by id, a [[supplement]] by name, a [classes.NAME] table ...)
is upgraded only when it is exactly as an earlier built-in version wrote it; entries you
edited or added are kept as they are, built-in entries the copy lacks are added, and ones
the built-ins retired are removed. The new file is read by the real loader before it is
written.
\b
Exit codes: 0 up to date or upgraded; 1 an upgrade is pending (--check, or you said no);
2 no terminal to ask on (pass --yes); 3 a file cannot be read or is not valid TOML.
"""


@click.group("rules", help=RULES_HELP, epilog="\b\nExamples:\n  k2publisher rules upgrade\n"
             "  k2publisher rules upgrade --check")
def rules() -> None:
    """The site's disclaimer rules and interaction catalogue."""


def _plans(app: App) -> list[tuple[Path, Plan | None]]:
    out: list[tuple[Path, Plan | None]] = []
    for kind in KINDS:
        path = app.settings.path(kind)
        if not path.is_file():
            out.append((path, None))
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read it: {exc.strerror}", path) from None
        out.append((path, plan(kind, text, name=path)))
    return out


def _interactive() -> bool:
    """Whether someone can answer a question on stdin."""
    return sys.stdin.isatty()


def summary(p: Plan) -> str:
    """One line per file: what changes and what is kept."""
    parts = []
    for action, words in (("upgraded", "upgraded to today's built-in text"),
                          ("added", "added (new in the built-ins)"),
                          ("retired", "removed (the built-ins dropped them)"),
                          ("kept", "kept as you edited them")):
        keys = [c.key for c in p.changes if c.action == action]
        if keys:
            shown = ", ".join(keys[:5]) + (" ..." if len(keys) > 5 else "")
            parts.append(f"{len(keys)} {words}: {shown}")
    return "; ".join(parts) if parts else "up to date"


@rules.command("upgrade", epilog=UPGRADE_EPILOG)
@click.option("--yes", "assume_yes", is_flag=True, help="Write without asking.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when an upgrade is pending.")
@click.option("--json", "json_out", is_flag=True,
              help="Print the plan as JSON (writes nothing unless --yes).")
@pass_app
def upgrade_cmd(app: App, assume_yes: bool, check: bool, json_out: bool) -> int:
    """Show what upgrading the site's rule and catalogue copies changes, then write it."""
    plans = _plans(app)
    pending = [(path, p) for path, p in plans if p is not None and p.pending]
    if json_out:
        print_json({"files": [
            {"path": str(path), "exists": p is not None,
             "changes": [{"action": c.action, "key": c.key} for c in p.changes] if p else [],
             "pending": bool(p and p.pending)} for path, p in plans]})
    else:
        out = console()
        for path, p in plans:
            if p is None:
                out.print(f"{path}: not in this site; the built-in one is used (nothing to "
                          "upgrade)", markup=False)
                continue
            out.print(f"{path}: {summary(p)}", markup=False, soft_wrap=True)
        for path, p in pending:
            diff = difflib.unified_diff(p.old.splitlines(keepends=True),
                                        p.new.splitlines(keepends=True),
                                        fromfile=f"{path} (now)", tofile=f"{path} (upgraded)")
            out.print("".join(diff), markup=False, highlight=False, end="")
    if not pending:
        return EXIT_OK
    if check or (json_out and not assume_yes):
        return EXIT_CHECK_FAILED
    if not assume_yes:
        if not _interactive():
            raise click.UsageError("not writing without a confirmation: stdin is not a "
                                   "terminal; pass --yes to write, --check to only look")
        names = " and ".join(str(path) for path, _ in pending)
        if not click.confirm(f"Write {names}?", default=False, err=True):
            console(stderr=True).print("nothing written", markup=False)
            return EXIT_CHECK_FAILED
    for path, p in pending:
        write_atomic(path, p.new)
        console(stderr=True).print(f"wrote {path}", markup=False)
    return EXIT_OK


COMMANDS = [rules]
