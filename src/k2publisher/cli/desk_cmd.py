"""``k2publisher desk``: the editorial desk in the browser."""

from __future__ import annotations

import click

from k2publisher.cli.app import App, pass_app

EPILOG = """\b
Examples:
  k2publisher desk                     # http://127.0.0.1:8027/, this machine only
  k2publisher desk --port 8030
  k2publisher desk --host 0.0.0.0      # needs K2PUBLISHER_DESK_TOKEN (or _PASSWORD_HASH) in .env
"""


@click.command("desk", epilog=EPILOG)
@click.option("--host", help="Address to listen on [default: [desk] host, 127.0.0.1].")
@click.option("--port", type=int, help="Port to listen on [default: [desk] port, 8027].")
@pass_app
def desk(app: App, host: str | None, port: int | None) -> None:
    """Plan, review, edit and approve in the browser: calendar, queue board, review pages.

    Pins and skips are stored in the ledger and honoured by `k2publisher run`; edits are
    written into the items' Markdown files. Bound beyond loopback it requires a login.
    """
    from k2publisher.desk.app import serve

    settings = app.settings
    options = settings.section("desk")
    serve(settings, host=host or str(options["host"]), port=port or int(options["port"]))


COMMANDS = [desk]
