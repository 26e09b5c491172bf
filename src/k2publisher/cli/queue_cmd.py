"""``k2publisher queue``: list, show, approve, reject, archive and validate queue items."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from k2publisher.cli.app import App, pass_app
from k2publisher.cli.output import (
    EXIT_CHECK_FAILED,
    console,
    print_json,
    print_problems,
    print_table,
)
from k2publisher.content.schema import item_to_meta
from k2publisher.desk.editorial import DecisionRefused, Editorial, open_ledger
from k2publisher.models import Item, Kind, Status


def item_json(item: Item) -> dict[str, object]:
    """An item as JSON-ready data (front matter plus path and body)."""
    data: dict[str, object] = dict(item_to_meta(item))
    data["path"] = str(item.path) if item.path else None
    data["body"] = item.body
    return data


@click.group(epilog="\b\nExamples:\n  k2publisher queue list --status ready\n"
                    "  k2publisher queue validate")
def queue() -> None:
    """Inspect and curate the content queue (one Markdown file per item)."""


@queue.command("list", epilog="\b\nExamples:\n  k2publisher queue list\n"
                              "  k2publisher queue list --status draft --kind supplement_section"
                              "\n  k2publisher queue list --json | jq '.[].id'")
@click.option("--status", type=click.Choice([s.value for s in Status]), help="Only this status.")
@click.option("--kind", type=click.Choice([k.value for k in Kind]), help="Only this kind.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_app
def list_cmd(app: App, status: str | None, kind: str | None, as_json: bool) -> None:
    """List queue items with their status, kind and priority."""
    items = app.queue.items(status=status, kind=kind)
    if as_json:
        print_json([{k: v for k, v in item_json(i).items() if k != "body"} for i in items])
    else:
        print_table(["id", "status", "kind", "prio", "title", "review"],
                    ([i.id, i.status.value, i.kind.value, i.priority, i.title,
                      "yes" if i.review else ""] for i in items),
                    title=f"{len(items)} items in {app.queue.root}")
    print_problems(app.queue.problems())


@queue.command("show", epilog="\b\nExample:\n  k2publisher queue show vitamin-k2/dosage")
@click.argument("item_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def show_cmd(app: App, item_id: str, as_json: bool) -> None:
    """Show one item: its fields and its Markdown body."""
    item = app.queue.get(item_id)
    if as_json:
        print_json(item_json(item))
        return
    out = console()
    out.print(f"{item.title}", style="bold", markup=False)
    for key, value in item_to_meta(item).items():
        if key != "title":
            out.print(f"  {key}: {value}", markup=False)
    out.print(f"  path: {item.path}\n", markup=False)
    out.print(item.body, markup=False)


@contextmanager
def _editorial(app: App) -> Iterator[Editorial]:
    ledger = open_ledger(app.settings)
    try:
        yield Editorial(app.settings, app.queue, ledger, actor="cli")
    finally:
        ledger.close()


@queue.command("approve", epilog="\b\nExamples:\n  k2publisher queue approve vitamin-k2/dosage\n"
               "  k2publisher queue approve vitamin-k2/dosage --override 'checked the trial "
               "numbers'\nExit codes: 0 approved, 1 refused (open review note or blocking "
               "claim).")
@click.argument("item_ids", nargs=-1, required=True, metavar="ID...")
@click.option("--override", default="", metavar="REASON",
              help="Approve despite an open review note or blocking claims finding; the "
                   "reason is recorded in the ledger.")
@pass_app
def approve_cmd(app: App, item_ids: tuple[str, ...], override: str) -> int:
    """Mark items `ready` so the scheduler may publish them (the file is edited in place).

    An item with an open `review` note or a blocking claims finding is refused unless
    --override gives a reason.
    """
    refused = 0
    with _editorial(app) as desk:
        for item_id in item_ids:
            try:
                item = desk.approve(item_id, override=override)
            except DecisionRefused as exc:
                console(stderr=True).print(f"refused: {exc}", markup=False)
                refused += 1
                continue
            note = f" (override recorded: {override})" if override else ""
            console().print(f"approved {item.id}{note}", markup=False)
    return EXIT_CHECK_FAILED if refused else 0


@queue.command("reject", epilog="\b\nExample:\n  k2publisher queue reject vitamin-k2/dosage "
               "--reason 'the dose range needs a source'")
@click.argument("item_id")
@click.option("--reason", required=True, help="Why (recorded; the item goes back to draft).")
@pass_app
def reject_cmd(app: App, item_id: str, reason: str) -> None:
    """Send an item back to `draft`, recording why."""
    with _editorial(app) as desk:
        item = desk.reject(item_id, reason)
    console().print(f"rejected {item.id}: back to draft ({reason})", markup=False)


def _archive_command(name: str, doc: str, done: str) -> None:
    """Register ``queue archive`` or ``queue unarchive`` (same shape, one decision each)."""

    @queue.command(name, help=doc, epilog=f"\b\nExample:\n  k2publisher queue {name} "
                                          "vitamin-k2/dosage")
    @click.argument("item_id")
    @click.option("--reason", default="", help="Why (recorded).")
    @pass_app
    def command(app: App, item_id: str, reason: str) -> None:
        with _editorial(app) as desk:
            item = getattr(desk, name)(item_id, reason)
        console().print(f"{done} {item.id}", markup=False)


_archive_command("archive", "Archive an item: it is never published again until unarchived.",
                 "archived")
_archive_command("unarchive", "Bring an archived item back as a `draft` (approve it again to "
                              "publish).", "now draft:")


@queue.command("validate", epilog="\b\nExamples:\n  k2publisher queue validate\n"
                                  "  k2publisher --queue drafts/ queue validate")
@click.option("--json", "as_json", is_flag=True, help="Print problems as JSON.")
@pass_app
def validate_cmd(app: App, as_json: bool) -> int:
    """Check every queue file; print `path:line: message` per problem, exit 1 if any."""
    result = app.queue.load()
    problems = app.queue.problems()
    if as_json:
        print_json({"items": len(result.items),
                    "problems": [{"path": p.path, "line": p.line, "message": p.message}
                                 for p in problems]})
    else:
        for p in problems:
            click.echo(str(p))
        click.echo(f"{len(result.items)} items ok, {len(problems)} problem(s)", err=True)
    return EXIT_CHECK_FAILED if problems else 0


COMMANDS = [queue]
