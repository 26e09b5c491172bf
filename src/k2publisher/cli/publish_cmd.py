"""``k2publisher publish``: prepare (status gate, guard) and send one item to one channel now."""

from __future__ import annotations

import click

from k2publisher.cli.app import App, pass_app
from k2publisher.cli.output import EXIT_OK, console, print_json
from k2publisher.deliver.core import preview
from k2publisher.deliver.publisher import Publisher
from k2publisher.models import Receipt

EPILOG = """\b
Examples:
  k2publisher publish vitamin-k2/dosage --channel email
  k2publisher publish vitamin-k2/dosage --channel mastodon --dry-run
  k2publisher publish vitamin-k2/dosage --channel feed --json
  k2publisher publish vitamin-k2/dosage --channel email --force --reason "approved by phone"
Only `ready` items are published; --force (with --reason) publishes another status and keeps
the reason in the ledger (see `k2publisher status`).
Exit codes: 0 sent (or dry run shown), 2 usage, 3 config error,
4 refused (not ready, or the guard) or the delivery failed.
"""


def _receipt_json(receipt: Receipt) -> dict[str, object]:
    return {"item": receipt.item_id, "channel": receipt.channel, "url": receipt.url,
            "parts": [{"index": p.index, "id": p.remote_id, "url": p.url}
                      for p in receipt.parts]}


@click.command("publish", epilog=EPILOG)
@click.argument("item_id")
@click.option("--channel", "channel_name", required=True, metavar="NAME",
              help="A configured channel ([channels.NAME]; see `k2publisher channels list`).")
@click.option("--dry-run", is_flag=True,
              help="Render and guard, then print the exact requests; send nothing.")
@click.option("--force", is_flag=True,
              help="Publish an item that is not `ready` (needs --reason; recorded).")
@click.option("--reason", default="", metavar="TEXT",
              help="Why a forced publish is right; kept in the ledger and shown in status.")
@click.option("--json", "as_json", is_flag=True, help="Print the receipt as JSON.")
@pass_app
def publish(app: App, item_id: str, channel_name: str, dry_run: bool, force: bool,
            reason: str, as_json: bool) -> int:
    """Publish one item on one channel now and print the receipt (remote id and URL per part).

    The publish is recorded in the ledger like a scheduled one, so `k2publisher status`
    shows it and `k2publisher run` does not send it again. Parts already delivered are not
    sent again.
    """
    from k2publisher.record.ledger import Ledger
    from k2publisher.service.publishing import publish_now

    if force and not reason.strip():
        raise click.UsageError("--force needs --reason TEXT (it is kept in the ledger)")
    if reason and not force:
        raise click.UsageError("--reason goes with --force")
    settings = app.settings
    item = app.queue.get(item_id)
    out = console()
    publisher = Publisher(settings, pipeline=app.pipeline)
    publication = publisher.prepare(item, channel_name, force=force, reason=reason)
    if dry_run:
        requests = preview(publication)
        publisher.close()
        if as_json:
            print_json({"item": item.id, "channel": channel_name, "dry_run": True,
                        "requests": requests})
            return EXIT_OK
        for n, text in enumerate(requests, 1):
            out.print(f"-- part {n}/{len(requests)} (dry run, nothing sent)", style="bold",
                      markup=False)
            out.print(text, markup=False)
        return EXIT_OK
    with Ledger.from_settings(settings) as ledger, publisher:
        publisher.recorder = ledger
        receipt = publish_now(publisher, ledger, publication)
    if as_json:
        print_json(_receipt_json(receipt))
        return EXIT_OK
    out.print(f"published {receipt.item_id} on {receipt.channel}", markup=False)
    for part in receipt.parts:
        out.print(f"  part {part.index + 1}/{len(receipt.parts)}: {part.remote_id}"
                  f"{'  ' + part.url if part.url else ''}", markup=False)
    return EXIT_OK


COMMANDS = [publish]
