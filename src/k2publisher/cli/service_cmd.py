"""``k2publisher run | schedule | status | resolve | backup``: the scheduled service."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import click

from k2publisher.cli.app import App, pass_app
from k2publisher.cli.output import (
    EXIT_CHECK_FAILED,
    console,
    print_json,
    print_problems,
    print_table,
)
from k2publisher.deliver.registry import channel_states
from k2publisher.errors import K2Error
from k2publisher.models import PartReceipt
from k2publisher.record.ledger import (
    DeliveryState,
    Ledger,
    LedgerError,
    PublicationState,
    iso,
    utcnow,
)
from k2publisher.service import logs

RUN_EPILOG = """\b
Examples:
  k2publisher run                      # web on 127.0.0.1:8025, scheduler, Ctrl-C stops
  k2publisher run --once               # publish what is due now and exit (cron, tests)
  k2publisher run --log-format json --host 0.0.0.0 --port 8080
"""


@click.command("run", epilog=RUN_EPILOG)
@click.option("--once", is_flag=True, help="Publish whatever is due now, then exit.")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="One line per event, as key=value text or JSON.")
@click.option("--host", help="Address to serve the web endpoints on [default: [server] host].")
@click.option("--port", type=int, help="Port to serve on [default: [server] port, 8025].")
@click.option("--lock-wait", type=click.FloatRange(min=0), metavar="SECONDS",
              help="How long to wait for another instance on this state folder to exit "
                   "(on PostgreSQL: with --once, for the leader lock) "
                   "[default: 10 with --once, else 0].")
@pass_app
def run_cmd(app: App, once: bool, log_format: str, host: str | None, port: int | None,
            lock_wait: float | None) -> int:
    """Run the scheduled service: campaigns, the ledger and the web endpoints.

    On start it recovers from any crash (see `k2publisher status`), runs a slot missed by
    less than its grace period once, skips older ones, and logs the upcoming schedule and
    the feed URL. SIGTERM or Ctrl-C lets the delivery in flight finish, then exits.

    On the SQLite store, one instance per state folder: while one runs, another `run`
    exits 3 naming its pid (`run --once` waits --lock-wait seconds first). On a
    PostgreSQL store ([store] url) any number may run: all serve the web endpoints, one
    elected leader fires the slots, and another takes over when it dies (/healthz says
    "role": leader or follower; docs/scaling.md).
    """
    from k2publisher.service.runner import run

    level = logging.WARNING if app.verbosity < 0 else \
        logging.DEBUG if app.verbosity > 1 else logging.INFO
    logs.setup(log_format, level=level)
    return run(app.settings, once=once, host=host, port=port, lock_wait=lock_wait)


@click.group("schedule", invoke_without_command=True,
             epilog="\b\nExamples:\n  k2publisher schedule\n"
                    "  k2publisher schedule --days 14\n  k2publisher schedule --json | jq '.[0]'\n"
                    "  k2publisher schedule pin daily@2026-03-02T09:00 vitamin-k2/dosage\n"
                    "  k2publisher schedule skip daily@2026-03-03T09:00 --reason holiday")
@click.option("--days", type=click.FloatRange(min=0), default=7, show_default=True,
              help="How far ahead to look.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def schedule_cmd(ctx: click.Context, days: float, as_json: bool) -> None:
    """Show the upcoming slots of every campaign and the item each would take.

    A slot is named CAMPAIGN@TIME (the `slot` column of the table; a time without an offset
    is the campaign's local time). `pin` and `skip` plan a slot; the service honours them.
    """
    if ctx.invoked_subcommand is None:
        _show_schedule(ctx.find_object(App), days, as_json)


def _show_schedule(app: App, days: float, as_json: bool) -> None:
    from k2publisher.service.scheduler import Service

    service = Service(app.settings, queue=app.queue)
    try:
        upcoming = service.upcoming(days=days, limit=500)
        zones = {c.name: c.zone for c in service.campaigns}
        channels = {c.name: c.channels for c in service.campaigns}
    finally:
        service.close()
    rows = []
    for slot in upcoming:
        rows.append({
            "time": slot.when.astimezone(UTC).isoformat(),
            "local": slot.when.astimezone(zones[slot.campaign]).isoformat(),
            "campaign": slot.campaign,
            "channels": list(channels[slot.campaign]),
            "slot": f"{slot.campaign}@{iso(slot.when)}",
            "plan": (slot.plan.action.value + (f" {slot.plan.item_id}" if slot.plan.item_id
                                               else "")) if slot.plan else "",
            "problem": slot.problem,
            "items": [{"id": p.item_id, "items": list(p.items), "channels": list(p.channels),
                       "round": p.round} for p in slot.picks],
        })
    print_problems(app.queue.problems())
    if as_json:
        print_json(rows)
        return
    print_table(["local time", "slot", "channels", "would publish", "plan"],
                ([r["local"][:16].replace("T", " ") + " " + str(zones[r["campaign"]]),
                  r["slot"], ",".join(r["channels"]), _describe(r["items"]),
                  " ".join(x for x in (r["plan"], r["problem"]) if x)] for r in rows),
                title=f"{len(rows)} slot(s) in the next {days:g} day(s)")


@contextmanager
def _editorial(app: App) -> Iterator[Any]:
    from k2publisher.desk.editorial import Editorial

    with _ledger(app) as ledger:
        yield Editorial(app.settings, app.queue, ledger, actor="cli")


@schedule_cmd.command("pin", epilog="\b\nExample:\n  k2publisher schedule pin "
                      "daily@2026-03-02T09:00 vitamin-k2/dosage")
@click.argument("slot")
@click.argument("item_id", metavar="ITEM")
@click.option("--note", default="", help="Why (recorded).")
@pass_app
def pin_cmd(app: App, slot: str, item_id: str, note: str) -> None:
    """Publish ITEM at SLOT (CAMPAIGN@TIME), first, whatever the selection policy says."""
    with _editorial(app) as desk:
        plan = desk.pin(slot, item_id, utcnow(), note)
    console().print(f"pinned {plan.item_id} to {plan.campaign}@{iso(plan.slot)}", markup=False)


@schedule_cmd.command("skip", epilog="\b\nExample:\n  k2publisher schedule skip "
                      "daily@2026-03-03T09:00 --reason 'public holiday'")
@click.argument("slot")
@click.option("--reason", default="", help="Why (recorded, shown in the run's note).")
@pass_app
def skip_cmd(app: App, slot: str, reason: str) -> None:
    """Publish nothing at SLOT (CAMPAIGN@TIME)."""
    with _editorial(app) as desk:
        plan = desk.skip(slot, utcnow(), reason)
    console().print(f"{plan.campaign}@{iso(plan.slot)} will be skipped", markup=False)


@schedule_cmd.command("unpin", epilog="\b\nExample:\n  k2publisher schedule unpin "
                      "daily@2026-03-02T09:00")
@click.argument("slot")
@pass_app
def unpin_cmd(app: App, slot: str) -> None:
    """Forget the pin or skip of SLOT: the selection policy decides again."""
    with _editorial(app) as desk:
        found = desk.clear(slot, utcnow())
    console().print(f"{slot}: {'plan removed' if found else 'had no plan'}", markup=False)


def _describe(picks: list[dict[str, Any]]) -> str:
    if not picks:
        return "(nothing eligible)"
    parts = []
    for p in picks:
        label = " + ".join(p["items"]) if p["items"] else p["id"]
        parts.append(label + (f" (round {p['round']})" if p["round"] > 1 else ""))
    return "; ".join(parts)


def _ledger(app: App) -> Ledger:
    return Ledger.from_settings(app.settings)


@click.command("status", epilog="\b\nExamples:\n  k2publisher status\n"
               "  k2publisher status --limit 50\n  k2publisher status --json | jq .waiting")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many recent publications to list.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def status_cmd(app: App, limit: int, as_json: bool) -> int:
    """What went where and when, what failed and why, and what waits for an editor.

    Exits 1 when anything is wrong: a campaign whose latest publication failed or was
    blocked, a failure in the last 24 hours, unconfirmed parts, a paused newsletter, or a
    guard block waiting for an editor (the same reasons `/healthz` reports as degraded),
    and also when a queue file cannot be read or a channel is disabled by an unset secret
    or missing setting.
    """
    from k2publisher.service.health import problems

    with _ledger(app) as ledger:
        found = problems(ledger)
        recent = ledger.publications(limit=limit)
        failed = ledger.publications(states=[PublicationState.FAILED], limit=limit)
        blocked = ledger.publications(states=[PublicationState.BLOCKED], limit=limit)
        unconfirmed = ledger.deliveries(states=[DeliveryState.UNCONFIRMED])
        runs = ledger.runs(limit=limit)
        counts = ledger.counts()
        last_tick = ledger.get_meta("last_tick")
    reviews = [i for i in app.queue.items() if i.review and i.status.value != "archived"]
    channels = channel_states(app.settings)
    disabled = {name: why for name, why in channels.items() if why.startswith("disabled")}
    broken = app.queue.problems()
    data = {
        "status": "degraded" if found else "ok",
        "problems": [p.as_dict() for p in found],
        "last_tick": last_tick,
        "channels": channels,
        "queue_problems": [str(p) for p in broken],
        "counts": counts,
        "recent": [_pub(p) for p in recent],
        "failed": [_pub(p) for p in failed],
        "waiting": {
            "unconfirmed": [{"row": d.id, "item": d.item_id, "channel": d.channel,
                             "part": d.part, "since": d.sending_at, "key": d.key,
                             "note": d.error} for d in unconfirmed],
            "blocked": [_pub(p) for p in blocked],
            "review": [{"item": i.id, "status": i.status.value, "review": i.review}
                       for i in reviews],
        },
        "runs": [{"campaign": r.campaign, "slot": r.slot.isoformat(), "state": r.state.value,
                  "note": r.note} for r in runs],
    }
    waiting = bool(unconfirmed or blocked or found or disabled or broken)
    if as_json:
        print_json(data)
        return EXIT_CHECK_FAILED if waiting else 0
    out = console()
    out.print(f"last scheduler tick: {last_tick or 'never'}", markup=False)
    for problem in found:
        out.print(f"degraded ({problem.kind}): {problem.message}", markup=False)
    out.print("publications: " + ", ".join(f"{k} {v}" for k, v in counts["publications"].items()
                                           if v), markup=False)
    print_table(["when (UTC)", "campaign", "item", "channel", "state", "url / error"],
                ([_short(p["updated_at"]), p["campaign"], p["item"], p["channel"], p["state"],
                  _outcome(p)] for p in data["recent"]),
                title="What went where and when")
    if failed:
        print_table(["when (UTC)", "item", "channel", "why"],
                    ([_short(p["updated_at"]), p["item"], p["channel"], p["error"]]
                     for p in data["failed"]), title="Failed")
    if unconfirmed:
        print_table(["row", "item", "channel", "part", "since"],
                    ([u["row"], u["item"], u["channel"], u["part"], _short(u["since"])]
                     for u in data["waiting"]["unconfirmed"]),
                    title="Unconfirmed: may or may not have been posted. Check the channel, "
                          "then `k2publisher resolve ROW --sent` or `--retry`")
    if blocked:
        print_table(["item", "channel", "why"],
                    ([p["item"], p["channel"], p["error"]] for p in data["waiting"]["blocked"]),
                    title="Blocked by the guard: edit the item (or record a guard_override)")
    if broken:
        print_table(["file:line", "problem"], ([f"{p.path}:{p.line}", p.message] for p in broken),
                    title="Queue files that cannot be used until fixed")
    if disabled:
        print_table(["channel", "why"], sorted(disabled.items()),
                    title="Disabled channels: nothing is sent through them until fixed")
    if reviews:
        print_table(["item", "status", "review note"],
                    ([r["item"], r["status"], r["review"]] for r in data["waiting"]["review"]),
                    title="Items with review notes")
    if not waiting and not reviews:
        out.print("all well: nothing failed, nothing waits for an editor", markup=False)
    return EXIT_CHECK_FAILED if waiting else 0


def _pub(p: Any) -> dict[str, Any]:
    return {"id": p.id, "campaign": p.campaign, "item": p.item_id, "items": list(p.items),
            "channel": p.channel, "state": p.state.value, "round": p.round, "url": p.url,
            "error": p.error, "attempts": p.attempts, "not_before": p.not_before or None,
            "created_at": p.created_at,
            "updated_at": p.updated_at, "forced": p.forced, "reason": p.reason}


def _outcome(p: dict[str, Any]) -> str:
    """The table's last column: URL or error, and a forced publish's reason."""
    text = p["url"] or p["error"]
    return f"{text}  (forced: {p['reason']})" if p["forced"] else text


def _short(stamp: str | None) -> str:
    if not stamp:
        return ""
    return datetime.fromisoformat(stamp).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


@click.command("resolve", epilog="\b\nExamples:\n  k2publisher resolve 12 --sent    "
               "# it did go out: never send it again\n"
               "  k2publisher resolve 12 --sent --remote-id https://mastodon.example/@k2/1131\n"
               "  k2publisher resolve 12 --retry   # it did not: send it at the next tick")
@click.argument("row_id", type=int)
@click.option("--sent", "outcome", flag_value="sent", help="The part did reach the network.")
@click.option("--retry", "outcome", flag_value="retry", help="It did not: send it again.")
@click.option("--remote-id", metavar="ID|URL",
              help="With --sent: the post's id or URL, so the rest of a thread replies to it "
                   "(needed on thread channels when later parts follow).")
@pass_app
def resolve_cmd(app: App, row_id: int, outcome: str | None, remote_id: str | None) -> int:
    """Decide an unconfirmed delivery row (see `k2publisher status`).

    On a thread channel (Mastodon, Bluesky, X) the next part replies to this one, so
    `--sent` needs `--remote-id` with the post's id or URL unless it was the last part.
    `--sent --remote-id` also fills in the id of a row marked sent without one.
    """
    if outcome is None:
        raise click.UsageError("say what happened: --sent or --retry")
    if remote_id is not None and outcome != "sent":
        raise click.UsageError("--remote-id goes with --sent")
    with _ledger(app) as ledger:
        try:
            row = ledger.delivery(row_id)
            receipt = _receipt_for(app, row, remote_id) if outcome == "sent" else None
            row = ledger.resolve(row_id, outcome, receipt=receipt)  # type: ignore[arg-type]
        except LedgerError as exc:
            console(stderr=True).print(f"error: {exc}", markup=False)
            return EXIT_CHECK_FAILED
    console().print(f"row {row.id} ({row.item_id} on {row.channel}, part {row.part}) is now "
                    f"{row.state.value}", markup=False)
    return 0


def _receipt_for(app: App, row: Any, remote_id: str | None) -> Any:
    """The receipt ``--remote-id`` names, checked by the row's channel; None without it.

    Raises :class:`click.UsageError` when the channel threads, later parts follow and no
    remote id was given, or when the value names no post on that channel.
    """
    from k2publisher.deliver.registry import load_channel
    from k2publisher.pipeline import Pipeline

    try:
        channel = load_channel(row.channel, app.settings)
    except K2Error:  # the channel is gone from the config: keep the value as given
        channel = None
    if remote_id is None:
        if channel is None or not channel.supports_threads:
            return None
        try:
            with Pipeline(app.settings, queue=app.queue) as pipeline:
                total = len(pipeline.render([pipeline.item(row.item_id)], row.channel).parts)
        except K2Error:
            total = None
        if total is not None and row.part + 1 >= total:
            return None  # the last part: nothing replies to it
        raise click.UsageError(
            f"{row.item_id} on {row.channel} is a thread and part {row.part + 1} has a part "
            "after it that replies to it: pass --remote-id with the post's id or URL (open "
            "the account to find it)")
    try:
        return channel.receipt_for(row.part, remote_id) if channel is not None else \
            PartReceipt(index=row.part, remote_id=remote_id)
    except ValueError as exc:
        raise click.UsageError(f"--remote-id: {exc}") from None


@click.command("backup", epilog="\b\nExamples:\n  k2publisher backup backups/\n"
               "  k2publisher backup /var/backups/k2publisher.sqlite3")
@click.argument("path", type=click.Path(dir_okay=True, file_okay=True))
@pass_app
def backup_cmd(app: App, path: str) -> None:
    """Copy the ledger (and newsletter tables) safely, even while the service runs."""
    with _ledger(app) as ledger:
        target = ledger.backup(path)
    console().print(f"backed up {ledger.where} to {target}", markup=False)


COMMANDS = [run_cmd, schedule_cmd, status_cmd, resolve_cmd, backup_cmd]
