"""``newsletter worker``: a process that sends open issues alongside any number of others.

Each run of a :class:`~k2publisher.newsletter.fanout.FanOut` is already one worker (it
registers a lease and claims rows a page at a time), so this module only decides *which*
issues a worker sends and for how long: one named issue, or every open issue (state
``sending``), until they are done, for one sweep (``once``), or for ever looking for new
issues every ``poll`` seconds (a service). A worker that is told to stop (SIGTERM, Ctrl-C)
gives its claimed rows back and leaves the issue ``sending`` for the others.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

from k2publisher.newsletter.fanout import Reporter, Summary, build_fanout
from k2publisher.newsletter.issues import Issues
from k2publisher.newsletter.store import NewsletterStore
from k2publisher.settings import Settings

log = logging.getLogger("k2publisher.newsletter")


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


def run_worker(settings: Settings, store: NewsletterStore, *, issue_id: str | None = None,
               once: bool = False, poll: float = 0.0, stop: threading.Event | None = None,
               reporter: Callable[[str], Reporter] | None = None,
               **options: Any) -> list[Summary]:
    """Send ``issue_id`` (or every open issue) as one worker among others; the summaries.

    ``once``: one sweep over the rows due now, then return. Otherwise each issue is sent
    until it is done (rows other workers hold are waited for; a dead worker's come back).
    ``poll`` > 0: keep running, looking for new open issues every ``poll`` seconds, until
    ``stop`` is set. ``options`` go to :func:`build_fanout` (``connections``,
    ``page_size``, ``lease`` ...). Raises what a run raises for a broken channel.
    """
    stop = stop or threading.Event()
    issues = Issues(store)
    summaries: list[Summary] = []
    while not stop.is_set():
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
            log.info("worker: issue %s %s, %d sent by this worker", current, summary.state,
                     summary.sent_now)
            summaries.append(summary)
            progress += summary.sent_now
        if once or issue_id is not None:
            break
        if not poll:
            if not todo or not issues.open():
                break
            if not progress:  # open issues this worker could not move: do not spin
                stop.wait(1.0)
            continue
        if not todo:
            stop.wait(poll)
    return summaries
