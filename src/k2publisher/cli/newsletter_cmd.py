"""``k2publisher subscribers`` and ``k2publisher newsletter``: the list and its issues."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from k2publisher.cli.app import App, pass_app
from k2publisher.cli.output import (
    EXIT_CHECK_FAILED,
    EXIT_DELIVERY,
    console,
    print_json,
    print_table,
)
from k2publisher.errors import IssueLookupError
from k2publisher.models import Status
from k2publisher.newsletter.compose import compose, new_issue_id, start_issue
from k2publisher.newsletter.fanout import Summary, build_fanout, prepare_issue
from k2publisher.newsletter.issues import Issues
from k2publisher.newsletter.leases import DEFAULT_LEASE
from k2publisher.newsletter.message import Identity, IssueTemplate
from k2publisher.newsletter.send import ConfirmationMailer
from k2publisher.newsletter.store import NewsletterStore
from k2publisher.newsletter.subscribers import (
    SUPPRESSED,
    Source,
    State,
    Subscriber,
    Subscribers,
)
from k2publisher.newsletter.tokens import Tokens
from k2publisher.newsletter.transport import channel_options, transport_factory
from k2publisher.newsletter.worker import run_worker, stop_on_signals


def _store(app: App) -> NewsletterStore:
    return NewsletterStore.from_settings(app.settings)


def _sub_json(sub: Subscriber) -> dict[str, object]:
    return {"id": sub.id, "email": sub.email, "state": sub.state.value,
            "created_at": sub.created_at, "updated_at": sub.updated_at}


# -- subscribers ---------------------------------------------------------------------------

@click.group(epilog="\b\nExamples:\n  k2publisher subscribers list --state confirmed\n"
                    "  k2publisher subscribers add reader@example.org\n"
                    "  k2publisher subscribers import list.csv")
def subscribers() -> None:
    """Manage the newsletter's subscribers (double opt-in, consent evidence kept)."""


@subscribers.command("list", epilog="\b\nExamples:\n  k2publisher subscribers list\n"
                                    "  k2publisher subscribers list --state pending --json")
@click.option("--state", type=click.Choice([s.value for s in State]), help="Only this state.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_app
def list_cmd(app: App, state: str | None, as_json: bool) -> None:
    """List subscribers with their state."""
    subs = Subscribers(_store(app))
    if as_json:
        print_json([_sub_json(s) for s in subs.iter(state)])
        return
    counts = subs.counts()
    print_table(["id", "email", "state", "since"],
                ([s.id, s.email, s.state.value, s.updated_at[:19]] for s in subs.iter(state)),
                title=", ".join(f"{n} {k}" for k, n in counts.items() if n) or "no subscribers")


@subscribers.command("add", epilog="\b\nExamples:\n  k2publisher subscribers add a@example.org\n"
                                   "  k2publisher subscribers add a@example.org --confirmed")
@click.argument("emails", nargs=-1, required=True, metavar="EMAIL...")
@click.option("--confirmed", is_flag=True,
              help="They already consented elsewhere: add as confirmed, send no confirmation.")
@click.option("--reconsent", is_flag=True,
              help="The person asked to come back after a bounce or spam complaint: mail a "
                   "new confirmation link (the suppression stays until they click it).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def add_cmd(app: App, emails: tuple[str, ...], confirmed: bool, reconsent: bool,
            as_json: bool) -> None:
    """Add addresses; without --confirmed each gets a confirmation email (double opt-in).

    Bounced and complained addresses stay suppressed (nothing is mailed to them) unless
    --reconsent says the person asked to come back; their confirmation then lifts it.
    """
    if confirmed and reconsent:
        raise click.UsageError("--reconsent needs the person's own confirmation: "
                               "drop --confirmed")
    store = _store(app)
    subs = Subscribers(store)
    mailer = None if confirmed else ConfirmationMailer(app.settings, Tokens.from_settings(
        app.settings))
    results = []
    for email in emails:
        if confirmed:
            sub, created = subs.add(email, Source.CLI, confirmed=True,
                                    detail="added with --confirmed (consent asserted)")
            outcome = "added" if created else f"already {sub.state.value}"
        else:
            sub, nonce = subs.subscribe(email, Source.CLI, reconsent=reconsent,
                                        detail="subscribers add" + " --reconsent" * reconsent)
            if nonce is None:
                outcome = f"{sub.state.value}: nothing sent" + (
                    " (pass --reconsent if they asked to come back)"
                    if sub.state in SUPPRESSED else "")
            else:
                assert mailer is not None
                mailer.send(subs, sub.id, sub.email, nonce, Source.CLI)
                outcome = f"{sub.state.value}: confirmation sent"
        results.append({"email": sub.email, "state": sub.state.value, "outcome": outcome})
    if as_json:
        print_json(results)
        return
    for r in results:
        console().print(f"{r['email']}: {r['outcome']}", markup=False)


@subscribers.command("remove", epilog="\b\nExample:\n  k2publisher subscribers remove "
                                      "a@example.org")
@click.argument("emails", nargs=-1, required=True, metavar="EMAIL...")
@pass_app
def remove_cmd(app: App, emails: tuple[str, ...]) -> int:
    """Unsubscribe addresses (the record and its consent history are kept)."""
    subs = Subscribers(_store(app))
    missing = 0
    for email in emails:
        sub = subs.find(email)
        if sub is None:
            console(stderr=True).print(f"{email}: not on the list", markup=False)
            missing += 1
            continue
        subs.unsubscribe(sub.id, Source.CLI, "subscribers remove")
        console().print(f"{sub.email}: unsubscribed", markup=False)
    return EXIT_CHECK_FAILED if missing else 0


@subscribers.command("import", epilog="\b\nExamples:\n  k2publisher subscribers import "
                                      "list.csv\n  k2publisher subscribers import "
                                      "optins.csv --confirmed --json")
@click.argument("csv_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                metavar="CSV")
@click.option("--confirmed", is_flag=True,
              help="Mark new addresses confirmed: only when you hold their consent.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_app
def import_cmd(app: App, csv_path: Path, confirmed: bool, as_json: bool) -> int:
    """Import a CSV (an `email` column, or the first column); report bad rows by line.

    Without --confirmed the new addresses are `pending` and receive nothing; no
    confirmation mail is sent to them either (send them the subscribe page instead).
    """
    report = Subscribers(_store(app)).import_csv(csv_path, confirmed=confirmed)
    if as_json:
        print_json(report.as_dict())
    else:
        out = console()
        state = "confirmed" if confirmed else "pending (they receive nothing until they " \
                                              "confirm)"
        out.print(f"{report.accepted} accepted as {state}, {len(report.duplicates)} "
                  f"duplicate(s), {len(report.invalid)} invalid", markup=False)
        notes = [(line, f"duplicate {email}") for line, email in report.duplicates]
        notes += [(line, f"invalid {value!r}: {reason}") for line, value, reason in report.invalid]
        for line, note in sorted(notes):
            out.print(f"  {csv_path}:{line}: {note}", markup=False)
    return EXIT_CHECK_FAILED if report.invalid else 0


@subscribers.command("export", epilog="\b\nExamples:\n  k2publisher subscribers export "
                                      "all.csv\n  k2publisher subscribers export - --state "
                                      "confirmed")
@click.argument("csv_path", metavar="CSV")
@click.option("--state", type=click.Choice([s.value for s in State]), help="Only this state.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON to stdout instead of CSV.")
@pass_app
def export_cmd(app: App, csv_path: str, state: str | None, as_json: bool) -> None:
    """Write subscribers as CSV (`-` for stdout): email, state, created_at, updated_at."""
    subs = Subscribers(_store(app))
    if as_json:
        print_json([_sub_json(s) for s in subs.iter(state)])
        return
    if csv_path == "-":
        subs.export_csv(sys.stdout, state)
        return
    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        count = subs.export_csv(fh, state)
    console(stderr=True).print(f"{count} subscriber(s) written to {csv_path}", markup=False)


# -- newsletter ------------------------------------------------------------------------------

class _RateColumn(ProgressColumn):
    """Messages per second."""

    def render(self, task: Task) -> Text:
        """The task's current rate."""
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} msg/s" if speed else "- msg/s")


class ProgressReporter:
    """A rich progress bar with rate and ETA (silent when stderr is not a terminal)."""

    def __init__(self, issue_id: str):
        out = console(stderr=True)
        self.progress = Progress(TextColumn(f"issue {issue_id}"), BarColumn(),
                                 MofNCompleteColumn(), _RateColumn(), TimeElapsedColumn(),
                                 TextColumn("ETA"), TimeRemainingColumn(), console=out,
                                 disable=not out.is_terminal, transient=False)
        self.task = self.progress.add_task("send", total=None)

    def start(self, total: int, done: int) -> None:
        """Show the bar."""
        self.progress.update(self.task, total=total, completed=done)
        self.progress.start()

    def advance(self, outcome: str) -> None:
        """One recipient finished (deferred ones are counted when they finish)."""
        if outcome != "deferred":
            self.progress.advance(self.task)

    def stop(self) -> None:
        """Remove the live display."""
        self.progress.stop()


def _print_summary(summary: Summary, as_json: bool) -> int:
    if as_json:
        print_json(summary.as_dict())
    else:
        c = summary.counts
        out = console()
        out.print(f"issue {summary.issue_id}: {summary.state}; {c['sent']} sent "
                  f"({summary.sent_now} now, {summary.rate:,.0f} msg/s), {c['bounced']} bounced, "
                  f"{c['failed']} failed, {c['deferred'] + c['pending'] + c['sending']} "
                  f"pending, {c['skipped']} skipped", markup=False)
        if summary.requeued or summary.assumed_now:
            out.print(f"resumed after a crash: {summary.requeued} claimed recipient(s) sent "
                      f"now, {summary.assumed_now} in-flight message(s) sent again (the "
                      "server may have taken them: possible duplicates, same Message-ID)",
                      markup=False)
        if summary.state == "paused":
            out.print(f"paused ({summary.note}): run `k2publisher newsletter send --issue "
                      f"{summary.issue_id}` to resume", markup=False)
    return EXIT_DELIVERY if summary.state == "paused" else 0


@click.group(epilog="\b\nExamples:\n  k2publisher newsletter send --items vitamin-k2/dosage\n"
                    "  k2publisher newsletter status 2026-11-25")
def newsletter() -> None:
    """Send newsletter issues to confirmed subscribers and follow their delivery."""


@newsletter.command("send", epilog="\b\nExamples:\n"
                    "  k2publisher newsletter send --items vitamin-k2/dosage,vitamin-k2/forms\n"
                    "  k2publisher newsletter send --issue 2026-11-25   # resume\n"
                    "  k2publisher newsletter send --items vitamin-k2/dosage "
                    "--test-to me@example.org")
@click.option("--issue", "issue_id", metavar="ID",
              help="Issue id: resumes it if it exists, else names the new issue "
                   "[default: resume the unfinished one, else today's date].")
@click.option("--items", "item_ids", metavar="ID,...",
              help="Queue items for a new issue [default: the `ready` items no issue has "
                   "carried yet].")
@click.option("--test-to", metavar="EMAIL", help="Send one copy to EMAIL only; record nothing.")
@click.option("--yes", "-y", "assume_yes", is_flag=True,
              help="Send a new issue without asking (needed when stdin is not a terminal).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_app
def send_cmd(app: App, issue_id: str | None, item_ids: str | None, test_to: str | None,
             assume_yes: bool, as_json: bool) -> int:
    """Send an issue to every confirmed subscriber (run it again to resume after a stop).

    A new issue shows its subject, items and recipient count and asks before anything is
    sent; pass --yes to skip the question (scripts must: without a terminal it refuses
    with exit 2). Resuming an issue does not ask again.
    """
    settings = app.settings
    store = _store(app)
    issues = Issues(store)
    existing = issues.get(issue_id) if issue_id else (None if item_ids else issues.unfinished())
    if test_to:
        return _send_test(app, existing, item_ids, test_to)
    if existing is None:
        items = _items(app, item_ids, issues)
        publication = compose(settings, items)
        _confirm(publication.rendering.subject or "", [i.id for i in items],
                 Subscribers(store).counts().get(State.CONFIRMED.value, 0), assume_yes)
        existing = start_issue(issues, issue_id or new_issue_id(issues), publication)
        console(stderr=True).print(f"issue {existing.id}: {existing.subject!r} to "
                                   f"{issues.counts(existing.id)['total']} subscriber(s)",
                                   markup=False)
    elif existing.state == "done":
        console(stderr=True).print(f"issue {existing.id} was already sent; nothing to do",
                                   markup=False)
    elif item_ids:
        console(stderr=True).print(f"issue {existing.id} exists: resuming it (--items "
                                   f"ignored)", markup=False)
    reporter = None if as_json else ProgressReporter(existing.id)
    summary = build_fanout(settings, store, existing.id, reporter=reporter).run()
    return _print_summary(summary, as_json)


@newsletter.command("worker", epilog="\b\nExamples:\n"
                    "  k2publisher newsletter worker                 # every open issue, "
                    "until done\n"
                    "  k2publisher newsletter worker --issue 2026-11-25 --concurrency 8\n"
                    "  k2publisher newsletter worker --poll 10       # a service: wait for "
                    "new issues")
@click.option("--issue", "issue_id", metavar="ID",
              help="Send this issue (resuming it if paused) [default: every open issue].")
@click.option("--batch", "batch", type=click.IntRange(1, 100_000), default=500,
              show_default=True, help="Recipients claimed at a time.")
@click.option("--concurrency", type=click.IntRange(1, 64), metavar="N",
              help="Connections of this worker [default: newsletter.connections].")
@click.option("--once", is_flag=True,
              help="One sweep over the recipients due now, then exit (leave the rest to "
                   "other workers) [default: until the issues are done].")
@click.option("--poll", type=click.FloatRange(0), default=0, metavar="SECONDS",
              help="Keep running and look for new open issues every SECONDS (for a "
                   "service) [default: exit when no issue is open].")
@click.option("--lease", type=click.FloatRange(3), default=DEFAULT_LEASE, show_default=True,
              metavar="SECONDS", help="How long this worker's claims outlive it if it "
                                      "dies on another machine.")
@click.option("--json", "as_json", is_flag=True, help="Print the summaries as JSON.")
@pass_app
def worker_cmd(app: App, issue_id: str | None, batch: int, concurrency: int | None,
               once: bool, poll: float, lease: float, as_json: bool) -> int:
    """Send open issues as one of any number of workers, on one machine or many.

    Workers claim recipients a batch at a time with a lease; a worker that dies (even
    SIGKILL) has its batch taken back by the others, the message it had at the final dot
    counted as a possible duplicate. Rate limits are shared by every worker on the store.
    SIGTERM gives this worker's claimed recipients back and exits 0.
    """
    settings = app.settings
    store = _store(app)
    options: dict[str, object] = {"page_size": batch, "lease": lease}
    if concurrency:
        options["connections"] = concurrency
    if issue_id is not None and Issues(store).get(issue_id) is None:
        raise IssueLookupError(f"no newsletter issue {issue_id!r} (see `k2publisher newsletter "
                               f"status`)")
    with stop_on_signals(threading.Event()) as stop:
        summaries = run_worker(settings, store, issue_id=issue_id, once=once, poll=poll,
                               stop=stop, reporter=None if as_json else ProgressReporter,
                               **options)
    if as_json:
        print_json([s.as_dict() for s in summaries])
        return EXIT_DELIVERY if any(s.state == "paused" for s in summaries) else 0
    if not summaries:
        console(stderr=True).print(f"issue {issue_id} is done: nothing to send" if issue_id
                                   else "no open newsletter issue", markup=False)
    codes = [_print_summary(s, False) for s in summaries]
    return max(codes, default=0)


def _items(app: App, item_ids: str | None, issues: Issues | None = None) -> list:
    """The items named by ``--items``, else the ready ones no issue in ``issues`` carried."""
    if item_ids:
        return [app.queue.get(i.strip()) for i in item_ids.split(",") if i.strip()]
    carried = {i for issue in issues.all() for i in issue.item_ids} if issues else set()
    items = [i for i in app.queue.items(status=Status.READY) if i.id not in carried]
    if not items:
        raise click.UsageError("no `ready` item that an issue has not carried yet: pass "
                               "--items ID,... or approve items with `k2publisher queue "
                               "approve`")
    return items


def _confirm(subject: str, item_ids: list[str], recipients: int, assume_yes: bool) -> None:
    """Show what a new issue would send and to how many; ask unless ``--yes``."""
    err = console(stderr=True)
    err.print(f"new issue {subject!r}: {len(item_ids)} item(s) ({', '.join(item_ids)}) to "
              f"{recipients} confirmed subscriber(s)", markup=False)
    if assume_yes:
        return
    if not sys.stdin.isatty():
        raise click.UsageError("not sending without a confirmation: stdin is not a terminal, "
                               "pass --yes to send")
    if not click.confirm(f"Send it to {recipients} subscriber(s)?", default=False,
                         err=True):
        raise click.Abort()


def _send_test(app: App, issue, item_ids: str | None, email: str) -> int:
    settings = app.settings
    publication = prepare_issue(settings, issue) if issue is not None \
        else compose(settings, _items(app, item_ids))
    rendering = publication.rendering
    subject = rendering.subject or "test"
    text = rendering.text or ""
    html = rendering.html or ""
    _, options = channel_options(settings)
    identity = Identity.from_settings(settings, options)
    template = IssueTemplate("test", f"[TEST] {subject}", text, html, identity)
    transport = transport_factory(settings)()
    try:
        transport.send(identity.envelope_from, email,
                       template.render("test", email, identity.unsubscribe_url("test")))
    finally:
        transport.close()
    console().print(f"test copy of {subject!r} sent to {email}", markup=False)
    return 0


@newsletter.command("status", epilog="\b\nExamples:\n  k2publisher newsletter status\n"
                                     "  k2publisher newsletter status 2026-11-25 --json\n\n"
                                     "One issue's status also lists the workers registered "
                                     "on the store: each one's lease (alive or lapsed) and "
                                     "the rows of the issue it holds.")
@click.argument("issue_id", required=False, metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def status_cmd(app: App, issue_id: str | None, as_json: bool) -> None:
    """Delivery counts of one issue (sent, pending, failed, bounced) and its workers, or a
    list of issues."""
    from k2publisher.newsletter.leases import workers

    issues = Issues(_store(app))
    if issue_id is None:
        rows = [(i, issues.counts(i.id)) for i in issues.all()]
        if as_json:
            print_json([{"issue": i.id, "state": i.state, "subject": i.subject,
                         "created_at": i.created_at, "counts": c} for i, c in rows])
            return
        print_table(["issue", "state", "subject", "sent", "total"],
                    ([i.id, i.state, i.subject, c["sent"], c["total"]] for i, c in rows),
                    title="newsletter issues")
        return
    issue = issues.get(issue_id)
    if issue is None:
        raise IssueLookupError(f"no newsletter issue {issue_id!r} (see `k2publisher newsletter "
                               f"status`)")
    c = issues.counts(issue_id)
    data = {"issue": issue.id, "state": issue.state, "subject": issue.subject,
            "items": list(issue.item_ids), "note": issue.note, "total": c["total"],
            "sent": c["sent"], "pending": c["pending"] + c["sending"] + c["deferred"],
            "failed": c["failed"], "bounced": c["bounced"], "skipped": c["skipped"],
            "possible_duplicates": c["possible_duplicates"],
            # claimed by a worker right now: being sent, or handed over and not yet answered
            "in_flight": c["sending"] + c["awaiting"],
            "workers": workers(issues.store, issue_id)}
    if as_json:
        print_json(data)
        return
    print_table(["", "count"], [(k, data[k]) for k in (
        "total", "sent", "pending", "in_flight", "failed", "bounced", "skipped",
        "possible_duplicates")], title=f"issue {issue.id} ({issue.state}): {issue.subject}")
    if data["workers"]:
        print_table(["worker", "pid", "lease", "until", "rows held"],
                    ([w["id"], w["pid"], "alive" if w["alive"] else "lapsed", w["lease_until"],
                      w["rows_held"]] for w in data["workers"]), title="workers")


@newsletter.command("bounces", epilog="\b\nExamples:\n"
                    "  k2publisher newsletter bounces --maildir state/bounces\n"
                    "  K2_IMAP_PASSWORD=secret k2publisher newsletter bounces "
                    "--imap imaps://bounces@mail.example.org/INBOX --json\n"
                    "  K2_IMAP_PASSWORD=secret k2publisher newsletter bounces "
                    "--imap imap://bounces@mail.internal/INBOX --ca-file /etc/k2/mail-ca.pem")
@click.option("--maildir", type=click.Path(path_type=Path, file_okay=False),
              help="Read the bounce mailbox from this Maildir folder.")
@click.option("--imap", "imap_url", metavar="URL",
              help="Read it over IMAP: imaps://USER@HOST[:PORT]/FOLDER (TLS), or imap://... "
                   "(STARTTLS, required except on loopback).")
@click.option("--ca-file", type=click.Path(path_type=Path, dir_okay=False),
              help="Trust this CA (or the server's self-signed certificate) for --imap, "
                   "instead of the system's trust store.")
@click.option("--password-env", default="K2_IMAP_PASSWORD", show_default=True, metavar="VAR",
              help="Environment variable holding the IMAP password (never on the command "
                   "line).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def bounces_cmd(app: App, maildir: Path | None, imap_url: str | None, ca_file: Path | None,
                password_env: str, as_json: bool) -> int:
    """Read DSN bounces and ARF complaints from the SMTP bounce mailbox; suppress addresses.

    Each unseen message is parsed (flufl.bounce for who bounced, the DSN status for hard or
    soft, RFC 5965 for complaints; a VERP return path names the subscriber), recorded, and
    marked seen. Hard bounces and complaints suppress at once; soft bounces count toward
    ``[newsletter] soft_bounce_limit``. Reading the same message again records nothing.
    """
    from k2publisher.newsletter.feedback import FeedbackRecorder
    from k2publisher.newsletter.feedback.mailbox import imap_source, read_maildir
    from k2publisher.newsletter.feedback.verp import ReturnPaths

    if (maildir is None) == (imap_url is None):
        raise click.UsageError("give exactly one of --maildir PATH or --imap URL")
    if maildir is not None and not (maildir / "cur").is_dir():
        raise click.BadParameter(f"{maildir} is not a Maildir (no cur/ folder in it)",
                                 param_hint="--maildir")
    recorder = FeedbackRecorder.from_settings(app.settings, _store(app))
    paths = ReturnPaths.from_settings(app.settings)
    reports = read_maildir(maildir, paths) if maildir is not None else \
        imap_source(str(imap_url), os.environ.get(password_env, ""), paths,
                    password_env=password_env, ca_file=ca_file)
    rows: list[dict[str, object]] = []
    read = 0
    for report in reports:
        read += 1
        for fb in report.feedback:
            rows.append({"message": report.where, "email": fb.email, "kind": fb.kind.value,
                         "outcome": recorder.record(fb), "detail": fb.detail})
    if as_json:
        print_json({"messages_read": read, "feedback": rows})
        return 0
    print_table(["message", "address", "kind", "outcome", "detail"],
                ([r["message"], r["email"], r["kind"], r["outcome"], r["detail"]] for r in rows),
                title=f"bounce mailbox: {read} message(s) read, {len(rows)} bounce(s) or "
                      "complaint(s)")
    return 0


COMMANDS = [subscribers, newsletter]
