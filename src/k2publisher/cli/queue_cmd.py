"""``k2publisher queue``: list, show, approve and validate queue items."""

from __future__ import annotations

import click

from k2publisher.cli.app import App, pass_app
from k2publisher.cli.output import EXIT_CHECK_FAILED, console, print_json, print_table
from k2publisher.content.schema import item_to_meta
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
        return
    print_table(["id", "status", "kind", "prio", "title", "review"],
                ([i.id, i.status.value, i.kind.value, i.priority, i.title,
                  "yes" if i.review else ""] for i in items),
                title=f"{len(items)} items in {app.queue.root}")
    problems = app.queue.problems()
    if problems:
        console(stderr=True).print(f"{len(problems)} problem(s): run `k2publisher queue validate`",
                                   markup=False)


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


@queue.command("approve", epilog="\b\nExample:\n  k2publisher queue approve vitamin-k2/dosage")
@click.argument("item_ids", nargs=-1, required=True, metavar="ID...")
@pass_app
def approve_cmd(app: App, item_ids: tuple[str, ...]) -> None:
    """Mark items `ready` so the scheduler may publish them (the file is edited in place)."""
    for item_id in item_ids:
        item = app.queue.set_status(item_id, Status.READY)
        note = f" (review note: {item.review})" if item.review else ""
        console().print(f"approved {item.id}{note}", markup=False)


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
