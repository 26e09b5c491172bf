"""The ``k2publisher`` command: global options, logging, and the command groups."""

from __future__ import annotations

import logging
import re
import sys
import traceback

import click

from k2publisher import __version__
from k2publisher.cli.app import App, pass_app
from k2publisher.cli.output import EXIT_USAGE, console
from k2publisher.errors import K2Error
from k2publisher.redact import mask
from k2publisher.service import logs

__all__ = ["App", "cli", "main", "pass_app"]


#: options of the top-level group that may also be written after the subcommand
GLOBAL_FLAGS = frozenset({"-q", "--quiet", "--verbose"})
GLOBAL_WITH_VALUE = frozenset({"--config", "--queue"})
_VERBOSE = re.compile(r"^-v+$")


def hoist_global_options(args: list[str]) -> list[str]:
    """``args`` with the global options moved in front of the subcommand, so that
    ``k2publisher queue list --config x.toml -v`` means ``k2publisher --config x.toml -v
    queue list``. Nothing after ``--`` moves."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg in GLOBAL_FLAGS or _VERBOSE.match(arg):
            front.append(arg)
        elif arg in GLOBAL_WITH_VALUE and i + 1 < len(args):
            front += [arg, args[i + 1]]
            i += 1
        elif arg.split("=", 1)[0] in GLOBAL_WITH_VALUE and "=" in arg:
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


class GlobalOptionsGroup(click.Group):
    """The top-level group: global options are accepted before or after the subcommand."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Hoist global options in front of the subcommand, then parse as usual."""
        return super().parse_args(ctx, hoist_global_options(list(args)))

EPILOG = """\b
Examples:
  k2publisher queue list
  k2publisher --config site/config/k2publisher.toml queue validate
  k2publisher import page.txt --dry-run
"""


@click.group(cls=GlobalOptionsGroup, epilog=EPILOG,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="k2publisher")
@click.option("--config", "config", metavar="PATH", envvar="K2PUBLISHER_CONFIG",
              help="Config file [default: config/k2publisher.toml, or $K2PUBLISHER_CONFIG].")
@click.option("--queue", "queue_dir", metavar="DIR", help="Queue folder (overrides the config).")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
@click.pass_context
def cli(ctx: click.Context, config: str | None, queue_dir: str | None, verbose: int,
        quiet: bool) -> None:
    """Turn supplement monographs into a queue and publish it, disclaimers included.

    The pipeline: content (queue, import) -> render (preview) -> guard -> deliver
    (channels, publish) -> record (status). Run `k2publisher COMMAND --help` for each.
    The options below may also be written after the command (`queue list -v`).
    """
    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 1 else logging.INFO)
    logs.setup("text", level=level)  # every command: one masked handler on the root logger
    ctx.obj = App(config=config, queue_dir=queue_dir, verbosity=-1 if quiet else verbose)


def _register() -> None:
    from k2publisher.cli import (
        channels_cmd,
        desk_cmd,
        doctor_cmd,
        import_cmd,
        init_cmd,
        newsletter_cmd,
        preview_cmd,
        publish_cmd,
        queue_cmd,
        rules_cmd,
        service_cmd,
        store_cmd,
    )

    for module in (queue_cmd, init_cmd, doctor_cmd, preview_cmd, service_cmd, import_cmd,
                   channels_cmd, publish_cmd, newsletter_cmd, desk_cmd, store_cmd, rules_cmd):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning project errors into a message and an exit code."""
    try:
        rv = cli.main(args=argv, prog_name="k2publisher", standalone_mode=False)
    except click.exceptions.Abort:
        console(stderr=True).print("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE if isinstance(exc, click.UsageError) else exc.exit_code)
    except K2Error as exc:
        console(stderr=True).print(mask(f"error: {exc}"), markup=False)
        sys.exit(exc.exit_code)
    except Exception:  # a bug: show the traceback, with every secret in it masked
        sys.stderr.write(mask(traceback.format_exc()))
        sys.exit(1)
    sys.exit(rv if isinstance(rv, int) else 0)
