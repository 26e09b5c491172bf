"""Sending one issue to every confirmed subscriber: a pool, a rate limit, crash safety.

The issue is rendered and compiled once (:class:`~k2publisher.newsletter.message.IssueTemplate`);
each worker thread owns one transport (an SMTP connection) and personalises each copy
with the recipient's unsubscribe link and headers. A producer thread claims recipients
from the database a page at a time, so memory does not grow with the list. Every row's
outcome is committed on its own as soon as it is known; the ``awaiting`` mark is
committed right before the final dot (see :mod:`k2publisher.newsletter.issues` and
docs/newsletter.md, "Crash safety").
"""

from __future__ import annotations

import contextlib
import html
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from k2publisher.errors import (
    AuthDeliveryError,
    ConnectionLostError,
    DeliveryConfigError,
    DeliveryError,
    IssueLookupError,
    LeaseLostError,
    StoreUnavailableError,
)
from k2publisher.models import UNSUBSCRIBE_PLACEHOLDER, Part, Rendering
from k2publisher.newsletter.batches import send_batch
from k2publisher.newsletter.feedback.verp import ReturnPaths
from k2publisher.newsletter.issues import Issue, Issues, Recipient
from k2publisher.newsletter.leases import DEFAULT_LEASE, WorkerLease
from k2publisher.newsletter.message import Identity, IssueTemplate
from k2publisher.newsletter.ratelimit import RateLimiter
from k2publisher.newsletter.rounds import LANES_PER_THREAD, Rounds, is_stepped, take
from k2publisher.newsletter.store import NewsletterStore
from k2publisher.newsletter.tokens import LONGEST_UNSUBSCRIBE_TOKEN, Tokens
from k2publisher.newsletter.transport import (
    BatchTransport,
    Transport,
    channel_options,
    is_batch,
    outcome_of,
    transport_factory,
)
from k2publisher.pipeline import Pipeline, Publication
from k2publisher.settings import Settings

log = logging.getLogger("k2publisher.newsletter")

#: waits before each retry of a deferred (4xx / disconnected) recipient, in seconds
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (30, 120, 600, 1800)
#: seconds a batch worker waits for the next queued reader before sending a partial batch
BATCH_FILL_WAIT = 1.0
#: waits between attempts to reach a server that went away, before the issue pauses
DEFAULT_RECONNECT_DELAYS: tuple[float, ...] = (1, 5, 15)


class Reporter(Protocol):
    """What the fan-out tells a progress display."""

    def start(self, total: int, done: int) -> None:
        """The issue has ``total`` recipients, ``done`` of them finished earlier."""

    def advance(self, outcome: str) -> None:
        """One recipient finished (``sent``, ``bounced``, ``failed``, ``deferred``...)."""

    def stop(self) -> None:
        """The run is over."""


class NullReporter:
    """Reports nothing."""

    def start(self, total: int, done: int) -> None:
        """Nothing to show."""

    def advance(self, outcome: str) -> None:
        """Nothing to show."""

    def stop(self) -> None:
        """Nothing to show."""


@dataclass
class Summary:
    """How a run ended, with the issue's delivery counts."""

    issue_id: str
    state: str
    counts: dict[str, int]
    elapsed: float
    sent_now: int = 0
    requeued: int = 0
    assumed_now: int = 0
    note: str = ""

    @property
    def rate(self) -> float:
        """Messages accepted per second during this run."""
        return self.sent_now / self.elapsed if self.elapsed > 0 else 0.0

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {"issue": self.issue_id, "state": self.state, "counts": self.counts,
                "elapsed_seconds": round(self.elapsed, 3), "sent_this_run": self.sent_now,
                "messages_per_second": round(self.rate, 1), "requeued_after_crash":
                self.requeued, "possible_duplicates_after_crash": self.assumed_now,
                "note": self.note}


@dataclass
class _Run:
    """State shared by the producer and the workers of one run."""

    jobs: queue.Queue[Recipient | None]
    worker: WorkerLease
    stop: threading.Event = field(default_factory=threading.Event)
    gone: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: int = 0
    lost: int = 0  # connections lost in a row without a message accepted in between
    requeued: int = 0
    assumed: int = 0
    #: where this worker's next claim starts (the highest subscriber id it claimed)
    cursor: int = 0
    note: str = ""
    #: a channel error no retry fixes (credentials, TLS settings): the run stops, then raises
    fatal: DeliveryError | None = None
    #: the store stopped answering: the run stops sending at once, then raises this
    store_lost: StoreUnavailableError | None = None

    @property
    def over(self) -> bool:
        """Whether the run was told to stop or lost its server."""
        return self.stop.is_set() or self.gone.is_set()


class FanOut:
    """One worker sending one stored issue; any number may run at once, on any machine.

    Each run registers a :class:`~k2publisher.newsletter.leases.WorkerLease` and claims
    rows a page at a time for it, so several processes share an issue and a dead one's
    rows come back to the others (see :mod:`k2publisher.newsletter.leases`).
    """

    def __init__(self, issues: Issues, tokens: Tokens, template: IssueTemplate,
                 transports: Callable[[], Transport], *, connections: int = 4,
                 limiter: RateLimiter | None = None, reporter: Reporter | None = None,
                 page_size: int = 500,
                 retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
                 reconnect_delays: Sequence[float] = DEFAULT_RECONNECT_DELAYS,
                 lease: float = DEFAULT_LEASE, once: bool = False, resume: bool = True,
                 pause_on_stop: bool = True, return_paths: ReturnPaths | None = None,
                 lanes_per_thread: int = LANES_PER_THREAD):
        self.issues = issues
        #: VERP envelope senders for one-at-a-time (SMTP) transports; ESPs use their own
        self.return_paths = return_paths
        self.tokens = tokens
        self.template = template
        self.transports = transports
        self.connections = max(1, int(connections))
        self.limiter = limiter or RateLimiter()
        self.reporter = reporter or NullReporter()
        self.page_size = page_size
        self.retry_delays = tuple(retry_delays)
        self.reconnect_delays = tuple(reconnect_delays)
        #: seconds a claim survives this worker's death on another machine
        self.lease = lease
        #: one sweep over what is due now, then return (rows others hold are left to them)
        self.once = once
        #: make deferred rows due at once and the issue ``sending`` when the run starts
        self.resume = resume
        #: a stop (Ctrl-C) pauses the issue for every worker, rather than only this one
        self.pause_on_stop = pause_on_stop
        #: connection losses in a row (no message accepted between) before the run pauses
        self.max_lost_in_a_row = 3 * self.connections + len(self.reconnect_delays)
        #: SMTP sessions one thread drives in rounds (see :mod:`k2publisher.newsletter.rounds`)
        self.lanes_per_thread = max(1, int(lanes_per_thread))
        #: held for CPU-bound steps and for the awaiting-commit + final-dot pair
        self._critical = threading.Lock()

    # -- the run ------------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None) -> Summary:
        """Send to every recipient without a finished row; return how it went.

        The issue ends ``done`` when no row is left to try, or ``paused`` when the server
        went away (or ``stop`` was set and :attr:`pause_on_stop`): running again picks up
        where this run stopped. Other workers may send the same issue meanwhile.
        """
        with WorkerLease(self.issues.store, lease=self.lease) as worker:
            return self._run(stop, worker)

    def _store_failed(self, run: _Run, exc: StoreUnavailableError) -> None:
        """The store stopped answering: stop sending (no copy leaves without its
        ``awaiting`` commit anyway) and say so once; the run then raises it."""
        with run.lock:
            first = run.store_lost is None
            if first:
                run.store_lost = exc
                run.note = "the store stopped answering"
        if first:
            log.error("issue %s: worker %s stops sending: %s", self.template.issue_id,
                      run.worker.id, exc)
        run.gone.set()  # not ``stop``: that one is the caller's, which may try again

    def _give_back(self, run: _Run, subscriber_ids: Sequence[int]) -> None:
        """Put claimed rows back (``pending``) for the other workers, unless the store is
        gone: then they stay with this worker, and the next claim of any worker takes
        them back once this one has exited (its store lock went with its session)."""
        if subscriber_ids and run.store_lost is None:
            self.issues.unclaim(self.template.issue_id, run.worker.id, subscriber_ids)

    def _run(self, stop: threading.Event | None, worker: WorkerLease) -> Summary:
        issue_id = self.template.issue_id
        started = time.monotonic()
        if self.resume:
            self.issues.resume(issue_id)
            self.issues.set_state(issue_id, "sending")
        counts = self.issues.counts(issue_id)
        finished = sum(counts[s] for s in ("sent", "bounced", "failed", "skipped"))
        self.reporter.start(counts["total"], finished)
        run = _Run(jobs=queue.Queue(maxsize=self.page_size * 2), worker=worker,
                   stop=stop or threading.Event())
        # A commit that checkpoints does so *after* it is durable, so an automatic
        # checkpoint (an fsync, milliseconds) would sit between a worker's ``awaiting``
        # commit and its final dot, exactly where a crash must not find it. The producer
        # checkpoints from its own connection between pages instead.
        self.issues.store.set_autocheckpoint(0)
        try:
            while not run.over:
                self._pass(run)
                if run.over or self.once:
                    break
                try:
                    wait = self._idle_wait(issue_id)
                except StoreUnavailableError as exc:
                    self._store_failed(run, exc)
                    break
                if wait is None:
                    break
                try:
                    run.stop.wait(wait)
                except KeyboardInterrupt:
                    run.note = "interrupted"
                    run.stop.set()
        finally:
            self.reporter.stop()
            self.issues.store.set_autocheckpoint(1000)
        if run.store_lost is not None:
            worker.abandon()
            raise StoreUnavailableError(
                f"issue {issue_id}: worker {worker.id} stopped after {run.sent} copies "
                f"accepted in this run: {run.store_lost}") from None
        if run.requeued or run.assumed:
            log.info("issue %s: %d rows of a dead worker sent again, %d of them in flight at "
                     "its death (possible duplicates)", issue_id, run.requeued + run.assumed,
                     run.assumed)
        state, note = self._end_state(run)
        if state != self.issues.state(issue_id) or note:
            self.issues.set_state(issue_id, state, note)
        if run.fatal is not None:
            raise run.fatal
        return Summary(issue_id=issue_id, state=state, counts=self.issues.counts(issue_id),
                       elapsed=time.monotonic() - started, sent_now=run.sent,
                       requeued=run.requeued, assumed_now=run.assumed, note=note)

    def _idle_wait(self, issue_id: str) -> float | None:
        """Nothing due now: seconds until something may be (None: the issue is finished).

        Deferred rows are due at their retry time; rows other workers hold are looked at
        again every third of a lease, at most a second apart (they finish, or their worker
        dies and they come back).
        """
        due = self.issues.next_retry(issue_id)
        others = self.issues.in_flight(issue_id)
        if due is None and not others:
            return None
        waits = [max(0.0, due - time.time())] if due is not None else []
        if others:
            waits.append(min(1.0, self.lease / 3))
        return min(waits)

    def _end_state(self, run: _Run) -> tuple[str, str]:
        """The issue's state after this run, and why."""
        issue_id = self.template.issue_id
        if run.gone.is_set() or run.fatal is not None or \
                (run.stop.is_set() and self.pause_on_stop):
            return "paused", run.note or ("the server went away" if run.gone.is_set() else "")
        issue = self.issues.get(issue_id)
        if issue is not None and issue.state == "paused":
            return "paused", issue.note
        counts = self.issues.counts(issue_id)
        if not any(counts[s] for s in ("pending", "sending", "awaiting", "deferred")):
            return "done", ""
        return "sending", ""

    def _pass(self, run: _Run) -> None:
        """One sweep over the due rows: a producer (this thread) and the worker pool."""
        issue_id = self.template.issue_id
        owner = run.worker.id
        first = self.transports()
        if is_stepped(first):  # SMTP: a thread drives up to lanes_per_thread sessions
            sessions = [first, *(self.transports() for _ in range(self.connections - 1))]
            groups = -(-len(sessions) // self.lanes_per_thread)
            workers = [threading.Thread(target=self._round_worker,
                                        args=(run, sessions[n::groups]), daemon=True,
                                        name=f"newsletter-rounds-{n}") for n in range(groups)]
        else:
            workers = [threading.Thread(target=self._worker,
                                        args=(run, first if n == 0 else None), daemon=True,
                                        name=f"newsletter-worker-{n}")
                       for n in range(self.connections)]
        for w in workers:
            w.start()
        try:
            while not run.over:
                if self.issues.state(issue_id) == "paused":
                    run.note = "paused by another worker"
                    run.stop.set()
                    break
                run.worker.expire_dead_workers()
                with self._critical:
                    claim = self.issues.claim(issue_id, owner, self.page_size,
                                              after=run.cursor)
                run.cursor = claim.cursor
                run.requeued += claim.requeued
                run.assumed += claim.assumed
                page = claim.recipients
                if not claim.seen:
                    break
                self.issues.store.checkpoint()
                for n, recipient in enumerate(page):
                    if run.over:
                        self._give_back(run, [r.subscriber_id for r in page[n:]])
                        break
                    run.jobs.put(recipient)
        except StoreUnavailableError as exc:
            self._store_failed(run, exc)
        except KeyboardInterrupt:
            run.note = "interrupted"
            run.stop.set()
        finally:
            for _ in workers:
                run.jobs.put(None)
            for w in workers:
                w.join()
            self._drain(run)
            self._reclaim_own(run)

    def _reclaim_own(self, run: _Run) -> None:
        """Nothing of this worker is in flight between passes: a row it still holds lost its
        outcome commit (a PostgreSQL crash takes the last asynchronous commits with it), and
        is sent again as after a crash (an ``awaiting`` one counted as a possible duplicate)."""
        if run.store_lost is not None:
            return
        try:
            rows, assumed = self.issues.reclaim_own(self.template.issue_id, run.worker.id)
        except StoreUnavailableError as exc:
            self._store_failed(run, exc)
            return
        if rows:
            log.warning("issue %s: worker %s: %d of its rows had lost their outcome with the "
                        "store; due again (%d of them possible duplicates)",
                        self.template.issue_id, run.worker.id, rows, assumed)
            with run.lock:
                run.requeued += rows - assumed
                run.assumed += assumed

    def _drain(self, run: _Run) -> None:
        left: list[int] = []
        while True:
            try:
                item = run.jobs.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                left.append(item.subscriber_id)
        try:
            self._give_back(run, left)
        except StoreUnavailableError as exc:
            self._store_failed(run, exc)

    # -- one worker: one connection -------------------------------------------------------

    def _round_worker(self, run: _Run, sessions: list[Any]) -> None:
        """Send the queued recipients over ``sessions`` in rounds (see
        :mod:`k2publisher.newsletter.rounds`); after a failure, keep draining the queue
        so the run can end."""
        rounds = Rounds(self, run, sessions)
        try:
            rounds.drive()
        except StoreUnavailableError as exc:
            self._store_failed(run, exc)
        except Exception as exc:
            self._unexpected(run, exc)
        if rounds.ended:
            return
        while (item := run.jobs.get()) is not None:
            try:
                self._give_back(run, [item.subscriber_id])
            except StoreUnavailableError as exc:
                self._store_failed(run, exc)

    def copy_of(self, item: Recipient) -> bytes:
        """The message for ``item``: the issue with its own link and headers."""
        url = self.template.identity.unsubscribe_url(
            self.tokens.unsubscribe_token(item.subscriber_id))
        return self.template.render(item.subscriber_id, item.email, url)

    def sender_of(self, item: Recipient) -> str:
        """The envelope sender of ``item``'s copy (its VERP address when configured)."""
        return self.return_paths.address_for(item.subscriber_id) \
            if self.return_paths is not None else self.template.identity.envelope_from

    def connection_lost(self, run: _Run) -> None:
        """A session failed under a copy: pause the run once too many failed in a row."""
        with run.lock:
            run.lost += 1
            if run.lost > self.max_lost_in_a_row:
                run.note = (f"the server dropped {run.lost} connections in a row without "
                            "accepting a message")
                run.gone.set()

    def _worker(self, run: _Run, transport: Transport | None = None) -> None:
        transport = transport or self.transports()
        if is_batch(transport):
            return self._batch_worker(run, transport)  # type: ignore[arg-type]
        try:
            while True:
                item = run.jobs.get()
                if item is None:
                    return
                try:
                    if run.stop.is_set() or run.gone.is_set() or \
                            not self.limiter.acquire(run.stop):
                        self._give_back(run, [item.subscriber_id])
                        continue
                    outcome = self._send_one(run, transport, item)
                    if outcome == "reconnect":
                        transport = self._reconnect(run, transport)
                        outcome = "deferred"
                    if outcome != "stopped":
                        self.reporter.advance(outcome)
                except StoreUnavailableError as exc:
                    self._store_failed(run, exc)
                except Exception as exc:  # keep draining the queue so the run can end
                    self._unexpected(run, exc)
        finally:
            _close(transport)

    def _unexpected(self, run: _Run, exc: Exception) -> None:
        """A bug in a worker stops the run; its rows stay ``sending``/``awaiting`` under this
        worker, and once it has gone the next claim takes them back as after a crash."""
        log.exception("issue %s: unexpected error", self.template.issue_id)
        run.note = f"stopped by an unexpected error: {exc}"
        run.stop.set()

    # -- one worker: an ESP's bulk API, a batch per call -----------------------------------

    def _next_batch(self, run: _Run, size: int) -> tuple[list[Recipient], bool]:
        """Up to ``size`` queued recipients (waiting for the first); True at the end.

        The producer claims the next page meanwhile; waiting up to
        :data:`BATCH_FILL_WAIT` for it keeps a provider's batch whole across page
        boundaries (fewer calls). The end of the run comes as a None at once, so only a
        stalled producer costs this wait.
        """
        return take(run.jobs, size, fill_wait=BATCH_FILL_WAIT)

    def _batch_worker(self, run: _Run, transport: BatchTransport) -> None:
        try:
            done = False
            while not done:
                batch, done = self._next_batch(run, transport.batch_size)
                if not batch:
                    continue
                try:
                    if run.over or not self.limiter.acquire(run.stop, n=len(batch)):
                        self._give_back(run, [r.subscriber_id for r in batch])
                        continue
                    report = send_batch(self.issues, self.tokens, self.template, transport,
                                        batch, owner=run.worker.id,
                                        retry_delays=self.retry_delays)
                    if report.fatal is not None:
                        self._stop_for(run, report.fatal, [])
                        continue
                    with run.lock:
                        run.sent += report.counts.get("sent", 0)
                        run.lost = run.lost + 1 if report.lost else 0
                        lost = run.lost
                        if lost > self.max_lost_in_a_row:
                            run.note = f"the provider failed {lost} calls in a row"
                            run.gone.set()
                    for state, n in report.counts.items():
                        for _ in range(n):
                            self.reporter.advance(state)
                    if report.lost and self.reconnect_delays:  # back off before the next call
                        run.stop.wait(self.reconnect_delays[
                            min(lost, len(self.reconnect_delays)) - 1])
                except StoreUnavailableError as exc:
                    self._store_failed(run, exc)
                except Exception as exc:  # keep draining the queue so the run can end
                    self._unexpected(run, exc)
        finally:
            _close(transport)

    def _send_one(self, run: _Run, transport: Transport, item: Recipient) -> str:
        issue_id = self.template.issue_id
        sid = item.subscriber_id
        with self._critical:
            data = self.copy_of(item)
        try:
            transport.send(self.sender_of(item), item.email, data,
                           final=lambda: self._final(run, sid))
        except LeaseLostError as exc:
            # this worker stalled past its lease and another took the row: it sends it
            log.warning("issue %s: %s", issue_id, exc)
            return "reconnect"
        except DeliveryError as exc:
            outcome = outcome_of(sid, exc)
            if outcome is None:  # the channel is wrong, not the copy
                self._stop_for(run, exc, [sid])
                return "stopped"
            if isinstance(exc, ConnectionLostError):
                # After the final dot the server may have taken it (RFC 1047): sent again
                # with the same Message-ID, counted as a possible duplicate.
                if exc.dot_sent:
                    log.warning("issue %s: %s; the message will be sent again", issue_id, exc)
                self.connection_lost(run)
            counts = self.issues.record_outcomes(issue_id, [outcome], self.retry_delays)
            return "reconnect" if isinstance(exc, ConnectionLostError) else next(iter(counts))
        self.issues.sent(issue_id, sid)
        with run.lock:
            run.sent += 1
            run.lost = 0
        return "sent"

    def _stop_for(self, run: _Run, exc: DeliveryError, unsent: list[int]) -> None:
        """The channel itself is wrong: put the recipients back and stop the whole run."""
        self._give_back(run, unsent)
        with run.lock:
            if run.fatal is None:
                run.fatal = exc
                run.note = f"stopped: {exc}"
        run.stop.set()

    @contextlib.contextmanager
    def _final(self, run: _Run, subscriber_id: int) -> Iterator[None]:
        """Commit ``awaiting``, then let the transport write the final dot, in one breath.

        The commit only succeeds while this worker still owns the row; if another worker
        took it back (this one stalled past its lease), :class:`LeaseLostError` stops the
        dot from being written and the transport drops the transaction. Between the commit
        and the dot, this thread must get the GIL back the moment the database returns, so
        the other threads' CPU work (building copies, claiming pages) waits on
        ``_critical`` instead of holding the GIL for a switch interval.
        """
        with self._critical:
            issue_id = self.template.issue_id
            self.issues.mark_awaiting(issue_id, run.worker.id, [subscriber_id])
            yield

    def _reconnect(self, run: _Run, transport: Transport) -> Transport:
        """A fresh transport once the server answers again; pause the issue if it does not."""
        transport.close()
        for delay in (0.0, *self.reconnect_delays):
            if run.stop.wait(delay) or run.gone.is_set():
                break
            fresh = self.transports()
            try:
                connect = getattr(fresh, "connect", None)
                if connect is not None:
                    connect()
                return fresh
            except ConnectionLostError as exc:
                log.warning("issue %s: %s", self.template.issue_id, exc)
            except (AuthDeliveryError, DeliveryConfigError) as exc:
                self._stop_for(run, exc, [])
                return fresh
        run.gone.set()
        return self.transports()


def _close(transport: Transport | BatchTransport) -> None:
    with contextlib.suppress(DeliveryError, OSError):
        transport.close()


def _stored_rendering(settings: Settings, issue: Issue, link: str | None = None
                      ) -> Rendering:
    """The stored issue as a rendering of the newsletter channel (``link`` in its slots)."""
    name, _ = channel_options(settings)
    text, body = issue.text, issue.html
    if link is not None:
        text = text.replace(UNSUBSCRIBE_PLACEHOLDER, link)
        body = body.replace(UNSUBSCRIBE_PLACEHOLDER, html.escape(link))
    return Rendering(item_id=issue.id, channel=name, profile="email", family="email",
                     parts=(Part(text=text, html=body),), subject=issue.subject, html=body,
                     text=text)


def longest_copy(settings: Settings, issue: Issue) -> Rendering:
    """The copy of ``issue`` with the longest unsubscribe link any reader gets.

    Every other copy differs from it only by the digits of its link (fewer or other ones;
    see :mod:`k2publisher.newsletter.tokens`), so its verdict is theirs.
    """
    _, options = channel_options(settings)
    link = Identity.from_settings(settings, options).unsubscribe_url(LONGEST_UNSUBSCRIBE_TOKEN)
    return _stored_rendering(settings, issue, link)


def prepare_issue(settings: Settings, issue: Issue, *, pipeline: Pipeline | None = None
                  ) -> Publication:
    """The stored ``issue`` approved again by ``Pipeline.prepare``, right before sending.

    The issue was prepared when it was composed; this repeats the status gate and the guard
    at the last step before sending (a resumed issue, an edited rules file), on the stored
    text and on :func:`longest_copy`. A recipient's copy only adds its address (``To``) and
    its unsubscribe link (digits in fixed slots: ``tests/newsletter/test_copy_guard.py``
    shows no link changes a verdict), so approving these covers every copy. Items gone
    from the queue since are left out of the requirements (they were checked when the
    issue was composed). Returns the approval of the stored text; raises
    :class:`~k2publisher.errors.PublicationRefused`.
    """
    pipeline = pipeline or Pipeline(settings)
    known = {item.id: item for item in pipeline.queue.items()}
    items = [known[i] for i in issue.item_ids if i in known]
    name, _ = channel_options(settings)
    publication = pipeline.prepare(items, name, rendering=_stored_rendering(settings, issue))
    pipeline.prepare(items, name, rendering=longest_copy(settings, issue))
    return publication


def build_fanout(settings: Settings, store: NewsletterStore, issue_id: str, *,
                 reporter: Reporter | None = None, **options: Any) -> FanOut:
    """The fan-out for a stored issue, configured from ``[newsletter]`` and its channel.

    ``options`` override :class:`FanOut` keywords (``connections``, ``limiter``,
    ``retry_delays`` ...). Raises :class:`IssueLookupError` for an unknown issue.
    """
    issues = Issues(store)
    issue = issues.get(issue_id)
    if issue is None:
        raise IssueLookupError(f"no newsletter issue {issue_id!r} (see `k2publisher newsletter "
                               f"status`)")
    approved = prepare_issue(settings, issue).rendering
    _, channel = channel_options(settings)
    identity = Identity.from_settings(settings, channel)
    if not identity.base_url.startswith("https://"):
        log.warning("site.base_url %s is not https: mail clients ignore a one-click "
                    "List-Unsubscribe that is not https (RFC 8058)", identity.base_url)
    template = IssueTemplate(issue.id, approved.subject or issue.subject, approved.text or "",
                             approved.html or "", identity)
    news = settings.section("newsletter")
    kwargs: dict[str, Any] = {
        # defaults live in settings.DEFAULTS["newsletter"]
        "connections": int(news["connections"]),
        "limiter": RateLimiter(store, channel_options(settings)[0],
                               float(news["rate_per_second"]), int(news["rate_per_hour"])),
        "reporter": reporter, "return_paths": ReturnPaths.from_settings(settings)}
    kwargs.update(options)
    return FanOut(issues, Tokens.from_settings(settings), template, transport_factory(settings),
                  **kwargs)
