"""``k2publisher import``: turn pages, Markdown/HTML files and feeds into queue items."""

from __future__ import annotations

import click
from rich.progress import BarColumn, Progress, TextColumn

from k2publisher.cli.app import App, pass_app
from k2publisher.cli.output import console, print_json, print_table
from k2publisher.content.importers.base import ACTIONS, Action, apply, counts, plan
from k2publisher.content.importers.detect import LAYOUTS, read_page
from k2publisher.content.importers.report import PageReport

EPILOG = """\b
Examples:
  k2publisher import pages/vitamin-k2.txt --dry-run
  k2publisher import pages/*.txt --layout monograph
  k2publisher --queue drafts/ import notes.md page.html
  k2publisher import https://example.org/feed.xml --json
"""


@click.command("import", epilog=EPILOG)
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option("--layout", type=click.Choice(LAYOUTS), default="auto", show_default=True,
              help="How to read the sources (auto guesses from name and content).")
@click.option("--dry-run", is_flag=True, help="Show what would be written; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@pass_app
def import_cmd(app: App, sources: tuple[str, ...], layout: str, dry_run: bool,
               as_json: bool) -> int:
    """Import SOURCE files or feed URLs into the queue as draft items.

    Re-importing is safe: unchanged items are left alone, items edited by hand are never
    overwritten (reported as changed-upstream when the source changed too), and explainers
    or feed entries already in the queue are skipped. --dry-run also lists every block
    stripped from each page as chrome; --json adds each page's quality figures.
    """
    items = []
    pages: list[PageReport] = []
    progress = Progress(TextColumn("{task.description}"), BarColumn(),
                        TextColumn("{task.completed}/{task.total}"),
                        console=console(stderr=True), transient=True,
                        disable=len(sources) < 3 or as_json)
    with progress:
        task = progress.add_task("importing", total=len(sources))
        for source in sources:
            progress.update(task, description=f"reading {source[-40:]}")
            page = read_page(source, layout)
            pages.append(page)
            items.extend(page.items)
            progress.advance(task)
    actions = plan(items, app.queue)
    if not dry_run:
        apply(actions)
    summary = counts(actions)
    if as_json:
        print_json({"dry_run": dry_run, "counts": summary,
                    "items": [_action_json(a, dry_run) for a in actions],
                    "pages": [page.figures() for page in pages]})
        return 0
    if dry_run:
        _print_stripped(pages)
    verb = "would be " if dry_run else ""
    print_table(["action", "id", "kind", "path", "note"],
                ([a.action, a.item.id, a.item.kind.value, a.path, _note(a)] for a in actions),
                title=f"import into {app.queue.root}" + (" (dry run)" if dry_run else ""))
    console().print(", ".join(f"{summary[name]} {verb}{name}" for name in ACTIONS),
                    markup=False)
    return 0


def _print_stripped(pages: list[PageReport]) -> None:
    """One table per page of the blocks stripped as chrome, so an editor sees what went."""
    for page in pages:
        if not page.notes.stripped:
            continue
        print_table(["line", "kind", "text"],
                    ([b.line, b.kind, b.summary()] for b in page.notes.stripped),
                    title=f"stripped from {page.source} ({page.layout}): "
                          f"{len(page.notes.stripped)} blocks, {len(page.cleaned_tokens)} "
                          f"citation tokens cleaned, {len(page.ambiguous_tokens)} unclear")


def _note(action: Action) -> str:
    review = "review" if action.item.review else ""
    return "; ".join(p for p in (action.reason, review) if p)


def _action_json(action: Action, dry_run: bool) -> dict[str, object]:
    data: dict[str, object] = {"action": action.action, "id": action.item.id,
                               "kind": action.item.kind.value, "path": str(action.path),
                               "reason": action.reason, "review": action.item.review,
                               "citations": sorted(set(action.item.citations))}
    if dry_run and action.text:
        data["text"] = action.text
    return data


COMMANDS = [import_cmd]
