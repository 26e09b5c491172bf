"""``k2publisher init DIR``: scaffold a new publisher's site (like ``pelican-quickstart``)."""

from __future__ import annotations

import sys
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from k2publisher.cli.output import console
from k2publisher.scaffold import EXAMPLE_ITEM_ID, Answers, SiteExistsError, conflicts, scaffold

EPILOG = """\b
Examples:
  k2publisher init mysite --defaults
  k2publisher init mysite
  k2publisher init . --force        # rewrite the skeleton files in the current folder
"""


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(
            f"{value!r} is not an IANA time zone (e.g. Europe/Berlin, America/New_York)"
        ) from None
    return value


def _base_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise click.BadParameter("start it with https:// (or http:// for a local test)")
    return value.rstrip("/")


def ask(defaults: Answers) -> Answers:
    """Ask the few questions a new site needs; without an interactive stdin keep the defaults."""
    questions = [
        ("name", "Site name", None),
        ("base_url", "Base URL (where readers will find the site)", _base_url),
        ("postal_address", "Postal address for email footers", None),
        ("timezone", "Time zone", _timezone),
    ]
    values = {field: getattr(defaults, field) for field, _, _ in questions}
    for field, text, check in questions:
        try:
            values[field] = click.prompt(text, default=values[field], value_proc=check)
        except click.Abort:
            if sys.stdin is None or not sys.stdin.isatty():
                break  # stdin ran out: keep the defaults for the rest
            raise
    return Answers(**values)


@click.command("init", epilog=EPILOG)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--defaults", "use_defaults", is_flag=True,
              help="Ask nothing; use the defaults (edit config/k2publisher.toml later).")
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
def init_cmd(directory: Path, use_defaults: bool, force: bool) -> None:
    """Create a new site in DIRECTORY: config, .env.example, disclaimers, queue, templates.

    Without --defaults it asks for the site name, base URL, postal address and time zone.
    It never overwrites an existing file unless --force is given.
    """
    existing = conflicts(directory)
    if existing and not force:
        raise SiteExistsError(existing)  # before asking anything
    answers = Answers() if use_defaults else ask(Answers())
    written = scaffold(directory, answers, force=force)
    out = console()
    for path in written:
        out.print(f"wrote {path}", markup=False)
    cd = "" if directory.resolve() == Path.cwd() else f"cd {directory} && "
    out.print(f"\nNext: {cd}k2publisher doctor && k2publisher preview {EXAMPLE_ITEM_ID}\n"
              f"(see {directory / 'README.md'} for the rest)", markup=False)


COMMANDS = [init_cmd]
