"""``newsletter worker``: a process that sends open issues alongside any number of others.

Each run of a :class:`~k2publisher.newsletter.fanout.FanOut` is already one worker (it
registers a lease and claims rows a page at a time), so this module only decides *which*
issues a worker sends and for how long: one named issue, or every open issue (state
``sending``), until they are done, for one sweep (``once``), or for ever looking for new
issues every ``poll`` seconds (a service). A worker that is told to stop (SIGTERM, Ctrl-C)
gives its claimed rows back and leaves the issue ``sending`` for the others.

A store that stops answering (a PostgreSQL server stopped or unreachable) stops the
worker's sending at once; the worker tries the store again after each of
:data:`STORE_RETRY_DELAYS` and goes on when it answers. When it never does, the worker
raises :class:`~k2publisher.errors.StoreUnavailableError` (the CLI's exit 3) naming the
issue; the rows it held come back to the next worker's claim (see
:mod:`k2publisher.newsletter.leases`).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from k2publisher.errors import StoreUnavailableError
from k2publisher.newsletter.fanout import Reporter, Summary, build_fanout
from k2publisher.newsletter.issues import Issues
from k2publisher.newsletter.store import NewsletterStore
from k2publisher.settings import Settings

log = logging.getLogger("k2publisher.newsletter")

#: seconds between tries to reach a store that stopped answering, before the worker gives
#: up (exit 3): about 15 s, plus up to 5 s a try for a server that does not answer at all
STORE_RETRY_DELAYS: tuple[float, ...] = (1, 2, 4, 8)


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[threading.Event]:
    """Set ``stop`` on SIGTERM and SIGINT for the ``with`` block (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def handler(signum: int, frame: Any) -> None:
        log.info("worker: %s received; giving the claimed rows back",
                 signal.Signals(signum).name)
        stop.set()

    for sig in previous:
        signal.signal(sig, handler)
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def wait_for_store(store: NewsletterStore, failure: StoreUnavailableError,
                   stop: threading.Event, delays: Sequence[float] = STORE_RETRY_DELAYS,
                   *, issue_id: str | None = None) -> None:
    """Try ``store`` again after each of ``delays``; return once it answers.

    Raises :class:`StoreUnavailableError` (``failure``, with how long it was tried) when
    it never does, or when ``stop`` is set meanwhile.
    """
    what = f"issue {issue_id}" if issue_id else "the open issues"
    started = time.monotonic()
    reason: str = str(failure)
    for n, delay in enumerate(delays, 1):
        log.warning("worker: the store stopped answering while sending %s; trying again in "
                    "%.0f s (%d of %d): %s", what, delay, n, len(delays), reason)
        if stop.wait(delay):
            break
        try:
            store.db.ping()
        except StoreUnavailableError as exc:
            reason = str(exc)
            continue
        log.warning("worker: the store answers again after %.0f s; sending %s goes on",
                    time.monotonic() - started, what)
        return
    waited = time.monotonic() - started
    log.error("worker: gave up on %s: the store did not answer for %.0f s (%d tries); the "
              "rows this worker held go to the next worker that claims (exit 3)", what,
              waited, len(delays))
    raise StoreUnavailableError(f"{failure} -- still unreachable after {len(delays)} tries "
                                f"over {waited:.0f} s; this worker's claimed rows go to the "
                                "next worker that claims") from None


def run_worker(settings: Settings, store: NewsletterStore, *, issue_id: str | None = None,
               once: bool = False, poll: float = 0.0, stop: threading.Event | None = None,
               reporter: Callable[[str], Reporter] | None = None,
               store_retry_delays: Sequence[float] = STORE_RETRY_DELAYS,
               **options: Any) -> list[Summary]:
    """Send ``issue_id`` (or every open issue) as one worker among others; the summaries.

    ``once``: one sweep over the rows due now, then return. Otherwise each issue is sent
    until it is done (rows other workers hold are waited for; a dead worker's come back).
    ``poll`` > 0: keep running, looking for new open issues every ``poll`` seconds, until
    ``stop`` is set. ``options`` go to :func:`build_fanout` (``connections``,
    ``page_size``, ``lease`` ...). Raises what a run raises for a broken channel, and
    :class:`StoreUnavailableError` when the store stays away through
    ``store_retry_delays`` (see :func:`wait_for_store`).
    """
    stop = stop or threading.Event()
    issues = Issues(store)
    summaries: list[Summary] = []
    while not stop.is_set():
        current: str | None = issue_id
        try:
            if issue_id is not None:
                issue = issues.get(issue_id)
                todo = [issue_id] if issue is not None and issue.state != "done" else []
            else:
                todo = [i.id for i in issues.open()]
            progress = 0
            for current in todo:
                if stop.is_set():
                    break
                fanout = build_fanout(settings, store, current,
                                      reporter=reporter(current) if reporter else None,
                                      once=once, resume=issue_id is not None,
                                      pause_on_stop=False, **options)
                summary = fanout.run(stop)
                log.info("worker: issue %s %s, %d sent by this worker", current,
                         summary.state, summary.sent_now)
                summaries.append(summary)
                progress += summary.sent_now
            more = bool(issues.open()) if todo and not poll else False
        except StoreUnavailableError as exc:
            wait_for_store(store, exc, stop, store_retry_delays, issue_id=current)
            continue  # the store is back: the sweep starts again (a dead run's rows too)
        if once or issue_id is not None:
            break
        if not poll:
            if not todo or not more:
                break
            if not progress:  # open issues this worker could not move: do not spin
                stop.wait(1.0)
            continue
        if not todo:
            stop.wait(poll)
    return summaries
