"""SMTP rounds: one thread drives a worker's SMTP sessions together, one commit a round.

Each session (a *lane*) carries one copy at a time. A round, for every lane at once:

1. one write: the final dot of the copy it transmitted last round (if any) and the next
   copy's envelope, ``MAIL FROM``, ``RCPT TO``, ``DATA`` (pipelined after the dot where
   the server offers PIPELINING, RFC 2920; else one command at a time);
2. the answers: the dot's (the copy is accepted, refused, or the server hung up), then
   the envelope's, and the next copy's body, everything but its final dot;
3. ONE durable commit for the round: the accepted copies ``sent`` and the transmitted
   ones ``awaiting`` (:meth:`~k2publisher.newsletter.issues.Issues.commit_round`).
   Other outcomes (a bounce, a 4xx, a lost connection) are committed just before it,
   classified in one place (:func:`~k2publisher.newsletter.transport.outcome_of`).

So ``awaiting`` is durable before any final dot leaves, as for a single copy, and a
steady state costs one commit per round of ``connections`` copies, not two per copy. A
kill leaves at most one round of a worker's rows ``awaiting`` (dots written, outcomes not
yet committed): the next claim sends them again and counts them as possible duplicates
(docs/newsletter.md, "Crash safety"). A row whose ``awaiting`` mark another worker
prevented (this one stalled past its lease) is never dotted: its session hangs up and
the server discards the message.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import queue
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from k2publisher.errors import ConnectionLostError, DeliveryError, StoreUnavailableError
from k2publisher.newsletter.issues import Recipient
from k2publisher.newsletter.transport import Outcome, outcome_of

if TYPE_CHECKING:
    from k2publisher.newsletter.fanout import FanOut, _Run

log = logging.getLogger("k2publisher.newsletter")

#: sessions one thread drives; more sessions get more threads, so one thread's commit
#: (a WAL flush on PostgreSQL, milliseconds) overlaps another's SMTP exchanges
LANES_PER_THREAD = 8


def take(jobs: queue.Queue[Recipient | None], n: int, *, block: bool = True,
         fill_wait: float = 0.0) -> tuple[list[Recipient], bool]:
    """Up to ``n`` queued recipients, and True once the producer's end mark (None) came.

    Waits for the first only if ``block``; for each further one up to ``fill_wait``
    seconds (0: only what is queued already).
    """
    items: list[Recipient] = []
    while len(items) < n:
        try:
            if not items:
                item = jobs.get(block=block)
            elif fill_wait > 0:
                item = jobs.get(timeout=fill_wait)
            else:
                item = jobs.get_nowait()
        except queue.Empty:
            break
        if item is None:
            return items, True
        items.append(item)
    return items, False


class SteppedTransport(Protocol):
    """A session whose transaction runs in steps (:class:`~k2publisher.deliver.adapters.
    smtp.SmtpTransport`): what a round needs."""

    def step(self, sender: str | None = None, recipient: str | None = None) -> None:
        """Write the staged copy's final dot and the next envelope; never raises."""

    def dot_reply(self) -> None:
        """Read the answer to the dot :meth:`step` wrote; raises a typed delivery error."""

    def transmit(self, data: bytes) -> None:
        """Read the envelope's answers, write the body without its dot; raises typed."""

    def drop(self) -> None:
        """Hang up without the staged copy's dot (the server discards it)."""

    def close(self) -> None:
        """QUIT."""


def is_stepped(transport: object) -> bool:
    """True when ``transport`` can take part in rounds (it transmits in steps)."""
    return all(callable(getattr(transport, name, None))
               for name in ("step", "dot_reply", "transmit", "drop"))


@dataclass
class _Lane:
    """One session of the round and the copies on it."""

    transport: Any
    #: the copy whose body is out and whose ``awaiting`` is committed: dotted next round
    staged: Recipient | None = None
    #: the copy whose envelope this round wrote
    fresh: Recipient | None = None
    #: its connection failed: reconnected (with the fan-out's delays) before its next copy
    lost: bool = False


class Rounds:
    """The rounds of one fan-out run over ``connections`` sessions, on one thread."""

    def __init__(self, fanout: FanOut, run: _Run, transports: list[Any]):
        self.fanout = fanout
        self.run = run
        self.lanes = [_Lane(t) for t in transports]
        self.issue_id = fanout.template.issue_id
        #: the producer's end mark came (the queue needs no more draining)
        self.ended = False

    # -- the loop -----------------------------------------------------------------------------

    def drive(self) -> None:
        """Send the queued recipients until the producer's end mark; close the sessions."""
        fanout, run = self.fanout, self.run
        try:
            while True:
                staged = any(lane.staged for lane in self.lanes)
                if any(lane.lost for lane in self.lanes) and not run.over:
                    if staged:  # dot what is out first: nothing may wait on a reconnect
                        self._round([])
                        continue
                    self._reconnect()
                items: list[Recipient] = []
                if not self.ended:
                    # every session lost only when the run is over: then drain (give back)
                    free = max(1, sum(1 for lane in self.lanes if not lane.lost))
                    items, self.ended = take(run.jobs, free, block=not staged)
                    if items and (run.over or not fanout.limiter.acquire(run.stop,
                                                                          n=len(items))):
                        fanout._give_back(run, [r.subscriber_id for r in items])
                        items = []
                if not items and not staged:
                    if self.ended:
                        return
                    continue
                self._round(items)
        finally:
            for lane in self.lanes:
                if lane.staged is not None:  # only after a store failure: never dotted
                    lane.transport.drop()
                _close(lane.transport)

    def _reconnect(self) -> None:
        for lane in self.lanes:
            if lane.lost and not self.run.over:
                lane.transport = self.fanout._reconnect(self.run, lane.transport)
            lane.lost = False

    # -- one round ----------------------------------------------------------------------------

    def _round(self, items: list[Recipient]) -> None:
        fanout = self.fanout
        free = iter(lane for lane in self.lanes if not lane.lost)
        copies: dict[int, bytes] = {}
        for item in items:
            next(free).fresh = item
            copies[item.subscriber_id] = fanout.copy_of(item)
        for lane in self.lanes:
            if lane.fresh is not None:
                lane.transport.step(fanout.sender_of(lane.fresh), lane.fresh.email)
            elif lane.staged is not None:
                lane.transport.step()
        sent: list[int] = []
        others: list[Outcome] = []
        out: list[tuple[_Lane, Recipient]] = []
        for lane in self.lanes:
            if lane.staged is not None:
                done, lane.staged = lane.staged, None
                self._settle(lane, done, lane.transport.dot_reply, sent, others)
            if lane.fresh is not None:
                fresh, lane.fresh = lane.fresh, None
                data = copies[fresh.subscriber_id]
                if self._settle(lane, fresh, functools.partial(lane.transport.transmit, data),
                                None, others):
                    out.append((lane, fresh))
        self._commit(sent, others, out)

    def _settle(self, lane: _Lane, item: Recipient, action: Callable[[], None],
                sent: list[int] | None, others: list[Outcome]) -> bool:
        """Run one step of ``item``'s transaction; file its outcome. True if it went on."""
        try:
            action()
        except DeliveryError as exc:
            outcome = outcome_of(item.subscriber_id, exc)
            if outcome is None:  # the channel is wrong: stop everything
                self.fanout._stop_for(self.run, exc, [item.subscriber_id])
                return False
            if isinstance(exc, ConnectionLostError):
                if exc.dot_sent:
                    log.warning("issue %s: %s; the message will be sent again",
                                self.issue_id, exc)
                if not lane.lost:  # one loss per session, not one per copy on it
                    self.fanout.connection_lost(self.run)
                lane.lost = True
            others.append(outcome)
            return False
        if sent is not None:
            sent.append(item.subscriber_id)
        return True

    def _commit(self, sent: list[int], others: list[Outcome],
                out: list[tuple[_Lane, Recipient]]) -> None:
        """The round's outcomes and ``awaiting`` marks; drop the copies not held."""
        fanout, run = self.fanout, self.run
        issues = fanout.issues
        try:
            if others:
                counts = issues.record_outcomes(self.issue_id, others, fanout.retry_delays)
                for state, n in counts.items():
                    for _ in range(n):
                        fanout.reporter.advance(state)
            held = issues.commit_round(self.issue_id, run.worker.id, sent,
                                       [item.subscriber_id for _, item in out])
        except StoreUnavailableError as exc:
            fanout._store_failed(run, exc)
            for lane, _ in out:
                lane.transport.drop()  # no dot without its awaiting commit
            return
        if sent:
            with run.lock:
                run.sent += len(sent)
                run.lost = 0
            for _ in sent:
                fanout.reporter.advance("sent")
        for lane, item in out:
            if item.subscriber_id in held:
                lane.staged = item
            else:  # another worker took the row back: it sends it, not this one
                log.warning("issue %s: subscriber %d was taken back from worker %s (its "
                            "lease lapsed); not sent from here", self.issue_id,
                            item.subscriber_id, run.worker.id)
                lane.transport.drop()


def _close(transport: Any) -> None:
    with contextlib.suppress(DeliveryError, OSError):
        transport.close()
