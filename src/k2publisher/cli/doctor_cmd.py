"""``k2publisher doctor``: check the config, queue, templates, guard, database, clock, folders."""

from __future__ import annotations

import click

from k2publisher.cli.app import App, pass_app
from k2publisher.cli.output import EXIT_CHECK_FAILED, EXIT_OK, console, print_json
from k2publisher.doctor import as_json, open_site, run_checks

EPILOG = """\b
Examples:
  k2publisher doctor
  k2publisher doctor --online          # also connect to every channel's server
  k2publisher --config site/config/k2publisher.toml doctor --json
\b
Exit codes: 0 no check failed (warnings allowed), 1 a check failed, 3 the config cannot be read.
"""


@click.command("doctor", epilog=EPILOG)
@click.option("--online", is_flag=True,
              help="Also connect to each channel's SMTP/HTTP endpoint and check credentials.")
@click.option("--json", "json_out", is_flag=True, help="Print the results as JSON.")
@pass_app
def doctor_cmd(app: App, online: bool, json_out: bool) -> int:
    """Check the whole site and print one PASS/WARN/FAIL line per check, with a fix for each."""
    site = open_site(app.config, queue_dir=app.queue_dir, online=online)
    results = run_checks(site)
    if json_out:
        print_json(as_json(results))
    else:
        out = console()
        for result in results:
            out.print(result.line(), markup=False, soft_wrap=True,  # one line per check
                      style="bold red" if not result.ok else "yellow" if result.warn else None)
        failed = sum(1 for r in results if not r.ok)
        out.print(f"{len(results) - failed} passed, {failed} failed", markup=False)
    return EXIT_OK if all(r.ok for r in results) else EXIT_CHECK_FAILED


COMMANDS = [doctor_cmd]
