"""``k2publisher store``: where the ledger and the newsletter live; migrate it, copy it."""

from __future__ import annotations

from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from k2publisher.cli.app import App, pass_app
from k2publisher.cli.output import EXIT_OK, console, print_json, print_table
from k2publisher.database import Database, connect, is_postgres, masked, store_location
from k2publisher.database_copy import (
    StoreCopyError,
    copy_store,
    data_tables,
    migrate_all,
    migration_groups,
)

STORE_HELP = """Where the ledger, subscribers and newsletter issues are kept.

\b
The store is the SQLite file <state>/k2publisher.sqlite3 unless [store] url names a
PostgreSQL database (several `run` processes or newsletter workers on one store, on one
machine or many). Both take the same numbered migrations.

\b
Moving a site from SQLite to PostgreSQL:
  1. createdb k2publisher                      (an empty database)
  2. k2publisher store copy --to postgresql://k2@db.internal/k2publisher
  3. set [store] url = "postgresql://k2@db.internal/k2publisher" in the config
  4. k2publisher store status                  (rows per table, schema versions)
Stop `k2publisher run` during step 2: rows written after the copy began are not in it.

\b
Exit codes: 0 done (also "already copied" and "nothing to migrate"); 1 the target holds
other rows, or the copy did not verify (nothing was written); 3 the store cannot be
reached or its URL is wrong.
"""


@click.group(help=STORE_HELP, epilog="\b\nExamples:\n  k2publisher store status\n"
             "  k2publisher store migrate\n  k2publisher store copy --to backup.sqlite3")
def store() -> None:
    """Show, migrate and copy the store."""


def _open(location: str | Path) -> Database:
    return connect(location)


def _counts(db: Database) -> dict[str, int]:
    return {t: int(db.query(f"SELECT COUNT(*) FROM {t}")[0][0]) if db.has_table(t) else 0
            for t in data_tables()}


@store.command("status", epilog="\b\nExamples:\n  k2publisher store status\n"
               "  k2publisher store status --json | jq .rows")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_app
def status_cmd(app: App, as_json: bool) -> int:
    """The store's backend and location, its schema versions and its rows per table."""
    location = store_location(app.settings)
    db = _open(location)
    try:
        versions = {what: {"version": db.schema_version(table),
                           "latest": max(n for n, _ in migrations)}
                    for what, table, migrations in migration_groups()}
        rows = _counts(db)
    finally:
        db.close()
    data = {"backend": db.dialect, "location": masked(location), "schemas": versions,
            "rows": rows}
    if as_json:
        print_json(data)
        return EXIT_OK
    out = console()
    out.print(f"{db.dialect} store: {masked(location)}", markup=False)
    for what, v in versions.items():
        state = "current" if v["version"] == v["latest"] else \
            f"behind: run `k2publisher store migrate` (latest {v['latest']})"
        out.print(f"  {what} schema {v['version']} ({state})", markup=False)
    print_table(["table", "rows"], rows.items())
    return EXIT_OK


@store.command("migrate", epilog="\b\nExamples:\n  k2publisher store migrate\n"
               "  k2publisher store migrate --json")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def migrate_cmd(app: App, as_json: bool) -> int:
    """Apply every pending migration to the configured store (safe to run again).

    Every k2publisher command migrates the store it opens; this does it up front (before
    starting several services on a new PostgreSQL database, or after an upgrade).
    """
    location = store_location(app.settings)
    db = _open(location)
    try:
        applied = migrate_all(db)
    finally:
        db.close()
    if as_json:
        print_json({"location": masked(location), "applied": applied})
        return EXIT_OK
    out = console()
    for what, numbers in applied.items():
        note = ", ".join(map(str, numbers)) if numbers else "none (already current)"
        out.print(f"{what}: migrations applied: {note}", markup=False)
    return EXIT_OK


@store.command("copy", epilog="\b\nExamples:\n"
               "  k2publisher store copy --to postgresql://k2@db.internal/k2publisher\n"
               "  k2publisher store copy --to backup.sqlite3\n"
               "  k2publisher store copy --from postgresql:///k2publisher --to back.sqlite3")
@click.option("--to", "target", required=True, metavar="URL",
              help="The store to fill: a postgresql:// URL, or a SQLite file path.")
@click.option("--from", "source", metavar="URL",
              help="The store to read [default: the configured one, [store] url].")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (rows per table).")
@pass_app
def copy_cmd(app: App, target: str, source: str | None, as_json: bool) -> int:
    """Copy every table of the store into another, empty one, and verify each table.

    Both ends are migrated to the newest schema first. The copy is one transaction in the
    target: interrupted, it leaves the target as empty as it was. Each table's row count
    and a digest of its rows are compared in both stores afterwards. Run again on a target
    that already holds an exact copy, it does nothing (exit 0); a target holding other rows
    is refused (exit 1). Stop `k2publisher run` while copying.
    """
    origin: str | Path = source or store_location(app.settings)
    if not is_postgres(target) and not target.startswith("sqlite://"):
        target = str(Path(target).resolve())
    src = _open(origin)
    try:
        total = sum(_counts(src).values())
        bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                       TimeElapsedColumn(), console=console(stderr=True),
                       disable=as_json or total == 0, transient=False)
        with bar:
            task = bar.add_task("copying", total=total)

            def advance(table: str, rows: int) -> None:
                bar.update(task, advance=rows, description=f"copying {table}")

            report = copy_store(src, target, progress=advance)
    finally:
        src.close()
    tables = {t.table: {"rows": t.target_rows, "verified": t.verified} for t in report.tables}
    if as_json:
        print_json({"outcome": report.outcome, "from": masked(origin), "to": masked(target),
                    "rows": report.rows, "tables": tables})
        return EXIT_OK
    out = console()
    print_table(["table", "rows", "verified"],
                ((t, v["rows"], "yes" if v["verified"] else "NO") for t, v in tables.items()))
    if report.outcome == "already-copied":
        out.print(f"{masked(target)} already holds an exact copy of {masked(origin)} "
                  f"({report.rows} rows): nothing to do", markup=False)
    else:
        out.print(f"copied {report.rows} rows from {masked(origin)} to {masked(target)}, "
                  "every table verified", markup=False)
    if is_postgres(target):
        out.print(f'next: set [store] url = "{masked(target)}" in the config',
                  markup=False)
    return EXIT_OK


COMMANDS = [store]
__all__ = ["COMMANDS", "StoreCopyError", "store"]
