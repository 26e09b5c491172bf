"""``k2publisher run``: the web endpoints and the scheduler in one process, stopped cleanly.

:func:`run` starts the waitress server, recovers the ledger and catches up on missed slots,
logs the upcoming schedule and the feed URL, then lets APScheduler fire the slots until
SIGTERM or SIGINT. Stopping lets the delivery in flight finish (its parts are recorded as
they stand) before the process exits. ``once=True`` does the start-up work only: whatever
is due now is published, then it returns (for cron and tests).

On SQLite one process at a time runs the service on a state folder: :func:`run` holds the
instance lock ``<state>/service.lock`` (:mod:`k2publisher.locks`) for its whole life. A
second ``run`` exits 3 naming the pid that holds it; ``run --once`` first waits
``lock_wait`` seconds for it (an overlapping cron run), then exits 3 the same way.

On a PostgreSQL store (``[store] url``) any number of ``run`` processes may share it, on
one machine or many: all serve the web endpoints, and one leader, elected by
:mod:`k2publisher.service.leader`, recovers, catches up and fires the slots; another takes
over when it dies. ``run --once`` waits ``lock_wait`` seconds for the leader lock, then does
its start-up work as the leader, or exits 3 naming the leader.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path
from types import FrameType

from k2publisher.database import is_postgres, store_location
from k2publisher.errors import ConfigError, DeliveryError, LockHeldError, StoreUnavailableError
from k2publisher.locks import hold, holder_pid
from k2publisher.record.ledger import PublicationState
from k2publisher.service.leader import POLL_SECONDS, Election
from k2publisher.service.logs import event
from k2publisher.service.scheduler import Service
from k2publisher.service.web import Server, make_app
from k2publisher.settings import Settings


def log_schedule(service: Service, per_campaign: int = 2) -> None:
    """Log each campaign's next slots and the item(s) each would take."""
    upcoming = service.upcoming(days=8, limit=200)
    for campaign in service.campaigns:
        mine = [u for u in upcoming if u.campaign == campaign.name][:per_campaign]
        if not mine:
            event("scheduled", campaign=campaign.name, note="no slot in the next 8 days")
        for slot in mine:
            items = ", ".join(i for p in slot.picks for i in (p.items or (p.item_id,))) \
                or "(nothing eligible)"
            local = slot.when.astimezone(campaign.zone)
            event("scheduled", campaign=campaign.name, item=items,
                  channel=",".join(campaign.channels),
                  slot=f"{local:%a %Y-%m-%d %H:%M} {campaign.timezone}")


#: how long ``run --once`` waits for another instance to finish by default (seconds)
ONCE_LOCK_WAIT = 10.0


def lock_path(settings: Settings) -> Path:
    """The instance lock of the service on this site's state folder."""
    return settings.path("state") / "service.lock"


def run(settings: Settings, *, once: bool = False, host: str | None = None,
        port: int | None = None, service: Service | None = None,
        lock_wait: float | None = None) -> int:
    """Run the service until a signal (or, with ``once``, until what is due has gone out).

    Returns the process exit code: 0, or with ``once`` 4 when a publication of this run
    failed or was blocked by the guard (``k2publisher status`` says why). Raises
    :class:`~k2publisher.errors.LockHeldError` (exit 3) when another process runs the
    service on the same state folder (SQLite), or, with ``once``, leads the PostgreSQL
    store for longer than ``lock_wait``. A leader whose lock broke steps down and follows
    (see :mod:`k2publisher.service.leader`).
    """
    wait = (ONCE_LOCK_WAIT if once else 0.0) if lock_wait is None else lock_wait
    if is_postgres(store_location(settings)):
        return _run_locked(settings, once, host, port, service, elect=wait)
    with hold(lock_path(settings), wait=wait,
              what=f"the state folder {settings.path('state')} (k2publisher run)"):
        return _run_locked(settings, once, host, port, service)


def _run_locked(settings: Settings, once: bool, host: str | None, port: int | None,
                service: Service | None, elect: float | None = None) -> int:
    service = service or Service(settings)
    election = Election(service.ledger.db) if elect is not None else None
    service.election = election
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        event("stopping", note=f"{signal.Signals(signum).name}: finishing the delivery in "
                                "flight, then exiting")
        stop.set()
        service.request_stop()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if once:
            if election is not None:
                _lead_within(election, elect or 0.0, service)
            return _once(service)
        return _serve(settings, service, stop, host, port, election)
    finally:
        if election is not None:
            election.release()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _lead_within(election: Election, wait: float, service: Service) -> None:
    """Take the leader lock within ``wait`` seconds, or raise LockHeldError (exit 3)."""
    deadline = time.monotonic() + wait
    while not election.try_lead():
        if time.monotonic() >= deadline:
            who = election.who_leads()
            service.close()
            led = f", led by {who}" if who else ""
            raise LockHeldError(f"the scheduler of {election.lock.where} (k2publisher "
                                f"run{led})", f"advisory lock {election.lock.name!r}",
                                holder_pid(who), wait)
        time.sleep(min(1.0, POLL_SECONDS))


def _once(service: Service) -> int:
    election = service.election
    try:
        service.start_up()
        if election is not None and election.role != "leader":
            # its lock's session ended during the work: another process may lead now, and
            # start_up stopped before the first slot or publication it no longer owned
            who = election.who_leads()
            led = f", now led by {who}" if who else ""
            raise LockHeldError(f"the scheduler of {election.lock.where} (this run --once "
                                f"lost the leader lock during its work{led}; what it did not "
                                "do is the leader's)", f"advisory lock {election.lock.name!r}",
                                holder_pid(who))
        outcomes = service.publishing.outcomes
        if sum(outcomes.values()):
            event("once-done", note=", ".join(f"{n} {state.value}" for state, n in
                                              sorted(outcomes.items()) if n))
        else:
            event("nothing-due", note="nothing was due now", next=next_slot(service))
    finally:
        service.stop()
        service.close()
    bad = outcomes[PublicationState.FAILED] + outcomes[PublicationState.BLOCKED]
    return DeliveryError.exit_code if bad else 0


def next_slot(service: Service) -> str:
    """The earliest coming slot of any campaign, as ``campaign at local time zone``."""
    coming = [(when, name) for name, when in service.next_runs().items() if when]
    if not coming:
        return "no campaign has a slot ahead"
    when, name = min(coming)
    zone = next(c.zone for c in service.campaigns if c.name == name)
    local = when.astimezone(zone)
    return f"{name} at {local:%a %Y-%m-%d %H:%M} {zone}"


def _serve(settings: Settings, service: Service, stop: threading.Event, host: str | None,
           port: int | None, election: Election | None) -> int:
    host = host or settings.typed.server.host
    port = port if port is not None else settings.typed.server.port
    try:
        web = Server(make_app(settings, health=service.health), host=host, port=port,
                     trusted_proxy=settings.typed.server.trusted_proxy)
    except OSError as exc:
        service.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror} (is another "
                          "k2publisher running? choose another --port)") from None
    try:
        web.start()
        base = str(settings.site.get("base_url", web.url)).rstrip("/")
        event("listening", url=web.url, feed=f"{base}/feed.xml", atom=f"{base}/atom.xml",
              archive=f"{base}/archive/", health=f"{web.url}/healthz")
        if election is None:
            _lead(service, stop)
            while not stop.wait(1.0):
                pass
            return 0
        return _follow(service, stop, election)
    finally:
        service.stop(wait=True)
        web.stop()
        service.close()
        event("stopped")


def _lead(service: Service, stop: threading.Event) -> None:
    """Start firing slots: the scheduler, then the start-up work (recover, catch up)."""
    # the scheduler starts first so no slot falls between catch-up and its first tick;
    # its jobs wait for the start-up work (one lock), then see what it recorded
    service.start_scheduler()
    if not stop.is_set():
        service.start_up()
    if not stop.is_set():
        log_schedule(service)


def _follow(service: Service, stop: threading.Event, election: Election) -> int:
    """Serve as a follower, leading once the lock is free; a leader that loses the lock
    steps down in place and follows again."""
    if not election.try_lead():
        who = "" if election.unreachable else election.who_leads()
        event("follower", note=f"{election.identity} serves the web endpoints; "
                               f"{who or 'another process'} fires the slots")
    elif not stop.is_set():
        _lead_or_step_down(service, stop, election)
    while not stop.wait(POLL_SECONDS):
        if election.role in ("leader", "lost"):
            if not election.still_leading():  # a job may have noticed first ("lost")
                service.stop_scheduling()
                election.step_down()
        elif election.try_lead() and not stop.is_set():
            _lead_or_step_down(service, stop, election)
    return 0


def _lead_or_step_down(service: Service, stop: threading.Event, election: Election) -> None:
    """:func:`_lead`; when the store fails under the start-up work (it restarted, it went
    away), step down and try again at the next poll rather than end the service."""
    try:
        _lead(service, stop)
    except StoreUnavailableError as exc:
        event("store-unreachable", level=logging.WARNING,
              note=f"{exc}; stepping down, trying to lead again in {POLL_SECONDS:g} s")
        service.stop_scheduling()
        election.step_down()
