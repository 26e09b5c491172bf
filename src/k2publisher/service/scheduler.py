"""The scheduler: campaign slots on APScheduler, catch-up after downtime, and slot runs.

On start (:meth:`Service.start_up`):

1. the ledger recovers: parts caught ``sending`` by a crash stay ``sending`` on idempotent
   channels (re-sent with the same key) and become ``unconfirmed`` elsewhere;
2. each campaign's missed slots are planned by :func:`plan_start`: a slot missed by less
   than ``grace`` seconds runs once (several coalesce into the latest), older ones are
   skipped and logged; a campaign that never ran records a baseline instead of dumping the
   queue, unless it is marked ``run_on_start`` (then one slot runs at start whenever the
   campaign has not run within its grace period);
3. pending publications (new, interrupted, resolved by an editor) are delivered.

While running, one APScheduler ``CronTrigger`` per slot time (in the campaign's zone,
``misfire_grace_time = grace``, ``coalesce = True``) runs the slot, and a tick every
``TICK_SECONDS`` retries what is pending. A single worker thread runs every job, so two
deliveries never overlap.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from k2publisher.content.queue import Queue
from k2publisher.errors import StoreUnavailableError
from k2publisher.models import Item
from k2publisher.record.ledger import (
    Ledger,
    LedgerError,
    Pick,
    PlanAction,
    RunState,
    SlotPlan,
    iso,
    utcnow,
)
from k2publisher.service.campaigns import Campaign, load_campaigns
from k2publisher.service.logs import event
from k2publisher.service.publishing import Publishing, idempotent_channels, make_queue
from k2publisher.service.selection import History, pin_problem, select
from k2publisher.settings import Settings

log = logging.getLogger("k2publisher.service")
TICK_SECONDS = 30
#: skipped slots logged one by one before the rest are summarised
SKIP_LOG_LIMIT = 5
#: how far back a restart looks for missed slots (older ones are simply gone)
LOOKBACK = timedelta(days=35)


@dataclass(frozen=True)
class StartPlan:
    """What one campaign does at start: the slot to run now (if any), the slots skipped,
    and whether a baseline is recorded instead."""

    campaign: str
    run: datetime | None = None
    skipped: tuple[datetime, ...] = ()
    baseline: datetime | None = None
    reason: str = ""


def plan_start(campaign: Campaign, last: datetime | None, now: datetime) -> StartPlan:
    """Decide what ``campaign`` does at a (re)start at ``now``, given its last recorded slot."""
    now = now.replace(microsecond=0)
    grace = timedelta(seconds=campaign.grace)
    if last is None:
        if campaign.run_on_start:
            return StartPlan(campaign.name, run=now, reason="run_on_start: first start")
        return StartPlan(campaign.name, baseline=now,
                         reason="first start: baseline recorded, the queue is not dumped")
    # a long downtime on a frequent schedule: look back a bounded window only
    missed = list(campaign.slots(max(last, now - LOOKBACK), now))
    due = [s for s in missed if now - s < grace]
    run = due[-1] if due else None
    skipped = tuple(s for s in missed if s != run)
    if run is not None:
        reason = f"slot missed by {(now - run).total_seconds():.0f}s (< grace {campaign.grace}s)"
        if len(due) > 1:
            reason += f", {len(due) - 1} earlier slot(s) coalesced into it"
        return StartPlan(campaign.name, run=run, skipped=skipped, reason=reason)
    if campaign.run_on_start and now - last >= grace:
        return StartPlan(campaign.name, run=now, skipped=skipped,
                         reason="run_on_start: nothing ran within the grace period")
    return StartPlan(campaign.name, skipped=skipped,
                     reason="missed slots older than grace are skipped" if skipped else "")


@dataclass
class UpcomingSlot:
    """A future slot of a campaign and what it would publish."""

    when: datetime
    campaign: str
    picks: list[Pick] = field(default_factory=list)
    #: an editor's pin or skip for this slot
    plan: SlotPlan | None = None
    #: why the pinned item cannot go out ('' when it can, or nothing is pinned)
    problem: str = ""


class Service:
    """The long-running publisher: campaigns, the ledger, the queue and the scheduler."""

    def __init__(self, settings: Settings, *, ledger: Ledger | None = None,
                 queue: Queue | None = None, clock: Callable[[], datetime] = utcnow,
                 publisher_factory: Callable[[Settings, Queue, Ledger], Any] | None = None,
                 campaigns: Sequence[Campaign] | None = None):
        self.settings = settings
        self.clock = clock
        self.campaigns = list(campaigns) if campaigns is not None else load_campaigns(settings)
        self.ledger = ledger or Ledger.from_settings(settings, clock=clock)
        self.queue = queue or make_queue(settings)
        self._stop = threading.Event()
        #: set while a leader that lost its lock steps down: the delivery loop stops early
        self._stepping_down = threading.Event()
        # asked before each publication: a leader that lost its lock starts none more
        kwargs: dict[str, Any] = {
            "should_stop": lambda: self._stop.is_set() or self._stepping_down.is_set()
            or not self.leading()}
        if publisher_factory is not None:
            kwargs["publisher_factory"] = publisher_factory
        self.publishing = Publishing(settings, self.ledger, self.queue, **kwargs)
        self.scheduler: BackgroundScheduler | None = None
        self.last_tick: datetime | None = None
        self.started_at: datetime | None = None
        self._lock = threading.Lock()
        #: the leader election on a PostgreSQL store (None: this process alone fires slots)
        self.election: Any = None
        #: slots a store failure interrupted, tried again at each tick until recorded
        self._retry_slots: dict[tuple[str, datetime], Campaign] = {}

    # -- start-up and catch-up ---------------------------------------------------------------

    def recover(self) -> None:
        """Turn parts interrupted mid-send on non-idempotent channels into ``unconfirmed``."""
        told: set[tuple[str, str]] = set()
        for row in self.ledger.recover(idempotent_channels(self.settings)):
            note = (f"interrupted mid-send: check the channel, then "
                    f"`k2publisher resolve {row.id} --sent` or `--retry`")
            event("unconfirmed", item=row.item_id, channel=row.channel, level=logging.WARNING,
                  row=row.id, note=note)
            for pub in self.ledger.publications(states=["unconfirmed"], channel=row.channel):
                if pub.item_id == row.item_id and (pub.item_id, pub.channel) not in told:
                    told.add((pub.item_id, pub.channel))
                    self.publishing.alerts.publication(pub, "unconfirmed", f"part {row.part + 1}"
                                                       f" (row {row.id}) {note}")

    def start_up(self) -> list[StartPlan]:
        """Recover, plan every campaign's missed slots, run what is due, deliver what pends.

        The leader lock is checked again before the recovery, before each campaign's slot
        and before each publication (:meth:`leading`): a process that lost it meanwhile (its
        session ended, another process leads now) stops there. Returns the plans applied.
        """
        with self._lock:
            self.started_at = self.clock()
            if not self.leading():
                self._not_leading("the start-up work (recovery, catch-up)")
                return []
            self.recover()
            now = self.clock()
            plans = [plan_start(c, self.ledger.last_slot(c.name), now) for c in self.campaigns]
            by_name = {c.name: c for c in self.campaigns}
            applied = []
            for plan in plans:
                if not self.leading():  # right before the slot fires
                    self._not_leading(f"the slots of {plan.campaign} and the campaigns after it")
                    return applied
                self._apply(by_name[plan.campaign], plan)
                applied.append(plan)
            self.publishing.deliver_pending()
            self._touch()
        return applied

    @staticmethod
    def _not_leading(what: str) -> None:
        event("not-leading", level=logging.WARNING,
              note=f"this process lost the leader lock: {what} are the new leader's")

    def _apply(self, campaign: Campaign, plan: StartPlan) -> None:
        for i, slot in enumerate(plan.skipped):
            if i < SKIP_LOG_LIMIT:
                event("skipped", campaign=campaign.name, level=logging.WARNING,
                      slot=iso(slot), note=f"missed by more than grace ({campaign.grace}s)")
        if len(plan.skipped) > SKIP_LOG_LIMIT:
            event("skipped", campaign=campaign.name, level=logging.WARNING,
                  note=f"{len(plan.skipped) - SKIP_LOG_LIMIT} more missed slots, up to "
                       f"{iso(plan.skipped[-1])}")
        if plan.skipped:
            self.ledger.mark_slot(campaign.name, plan.skipped[-1], RunState.SKIPPED,
                                  f"{len(plan.skipped)} slot(s) missed by more than grace")
        if plan.baseline is not None:
            self.ledger.mark_slot(campaign.name, plan.baseline, RunState.BASELINE, plan.reason)
            event("baseline", campaign=campaign.name, note=plan.reason)
        if plan.run is not None:
            self._select_and_record(campaign, plan.run, plan.reason)

    # -- slots ------------------------------------------------------------------------------

    def _select_and_record(self, campaign: Campaign, slot: datetime, note: str = "") -> None:
        """Choose the slot's items and record the run with its pending publications."""
        if self.ledger.run_for(campaign.name, slot) is not None:
            return  # this slot already ran (or was skipped): never twice
        plan = self.ledger.plan_for(campaign.name, slot)
        if plan is not None and plan.action is PlanAction.SKIP:
            why = f"skipped by an editor{': ' + plan.note if plan.note else ''}"
            self.ledger.mark_slot(campaign.name, slot, RunState.SKIPPED, why)
            event("skipped", campaign=campaign.name, slot=iso(slot), note=why)
            return
        self.queue.load()
        items = self.queue.items()
        history = History.from_ledger(self.ledger, [campaign])
        if plan is not None:
            by_id = {i.id: i for i in items}
            problem = pin_problem(campaign, by_id.get(plan.item_id), history, slot,
                                  plan.item_id)
            if problem:
                event("pin-ignored", campaign=campaign.name, item=plan.item_id,
                      level=logging.WARNING, slot=iso(slot), note=problem)
                note = f"{note}; {problem}" if note else problem
        picks = self.picks(campaign, slot, items, history)
        try:
            self.ledger.start_run(campaign.name, slot, picks, note)
        except LedgerError:
            return
        if not picks:
            event("nothing-to-publish", campaign=campaign.name, slot=iso(slot),
                  note="no eligible item (all published, drafts, or not_before in the future)")
        for pick in picks:
            event("selected", campaign=campaign.name, item=pick.item_id,
                  channel=",".join(pick.channels), slot=iso(slot))

    def picks(self, campaign: Campaign, slot: datetime, items: Sequence[Item],
              history: History, plans: Sequence[SlotPlan] | None = None) -> list[Pick]:
        """What ``campaign`` publishes at ``slot``: its items, or one digest of them.

        ``plans`` (default: the ledger's) are the editors' pins and skips.
        """
        plans = self.ledger.slot_plans(campaign.name) if plans is None else plans
        mine = [p for p in plans if p.campaign == campaign.name]
        plan = next((p for p in mine if p.slot == slot), None)
        if plan is not None and plan.action is PlanAction.SKIP:
            return []
        pinned = plan.item_id if plan is not None else None
        reserved = {p.item_id for p in mine if p.action is PlanAction.PIN and p.slot > slot}
        if not campaign.digest:
            return select(campaign, items, history, slot, pinned=pinned, reserved=reserved)
        chosen = select(campaign, items, history, slot, count=campaign.digest, pinned=pinned,
                        reserved=reserved)
        if not chosen:
            return []
        ids = tuple(p.item_id for p in chosen)
        # the renderer names an issue by its items, so the ledger rows line up with it
        return [Pick("+".join(ids), campaign.channels, max(p.round for p in chosen),
                     "+".join(p.fingerprint for p in chosen), ids)]

    def leading(self) -> bool:
        """Whether this process may fire slots now (always, without an election).

        Asked before every slot and tick: a leader whose lock's session broke fires nothing.
        """
        return self.election is None or self.election.still_leading()

    def run_slot(self, campaign: Campaign, slot: datetime | None = None) -> None:
        """Run one slot now (the job APScheduler fires): select, record, deliver.

        A store that fails under it (:class:`StoreUnavailableError`) is logged, and the slot
        is tried again at the next tick (never twice: the ledger records each slot once).
        """
        with self._lock:
            if not self.leading():
                event("not-leading", campaign=campaign.name, level=logging.WARNING,
                      note="this process lost the leader lock: the slot is the new leader's")
                return
            now = self.clock()
            slot = slot or campaign.previous_slot(now) or now.replace(microsecond=0)
            try:
                self._select_and_record(campaign, slot)
                self.publishing.deliver_pending()
                self._touch()
            except StoreUnavailableError as exc:
                self._retry_slots[(campaign.name, slot)] = campaign
                self._store_failed(exc, f"slot {iso(slot)} of {campaign.name} is tried again "
                                        f"at the next tick")

    def tick(self) -> None:
        """The heartbeat: record it and deliver whatever is pending (retries, resolved rows),
        after the slots a store failure interrupted."""
        with self._lock:
            if not self.leading():
                return
            try:
                for (name, slot), campaign in list(self._retry_slots.items()):
                    self._select_and_record(campaign, slot)
                    del self._retry_slots[(name, slot)]
                self.publishing.deliver_pending()
                self._touch()
            except StoreUnavailableError as exc:
                self._store_failed(exc, f"tried again in {TICK_SECONDS} s")

    @staticmethod
    def _store_failed(exc: StoreUnavailableError, then: str) -> None:
        event("store-unreachable", level=logging.ERROR, note=f"{exc}; {then}")

    def _touch(self) -> None:
        self.last_tick = self.clock()
        self.ledger.set_meta("last_tick", iso(self.last_tick))

    # -- the schedule ahead -----------------------------------------------------------------

    def upcoming(self, *, days: float = 7, limit: int = 50) -> list[UpcomingSlot]:
        """Every slot of the next ``days``, in time order, with the items each would take
        (simulating the earlier slots' picks)."""
        now = self.clock()
        until = now + timedelta(days=days)
        slots = sorted((moment, c.name) for c in self.campaigns
                       for moment in c.slots(now, until))[:limit]
        self.queue.load()
        items = self.queue.items()
        history = History.from_ledger(self.ledger, self.campaigns)
        by_name = {c.name: c for c in self.campaigns}
        by_id = {i.id: i for i in items}
        plans = self.ledger.slot_plans()
        planned = {(p.campaign, p.slot): p for p in plans}
        out = []
        for moment, name in slots:
            campaign = by_name[name]
            plan = planned.get((name, moment))
            problem = pin_problem(campaign, by_id.get(plan.item_id), history, moment,
                                  plan.item_id) \
                if plan is not None and plan.action is PlanAction.PIN else ""
            picks = self.picks(campaign, moment, items, history, plans)
            history.simulate(campaign, picks, moment)
            out.append(UpcomingSlot(moment, name, picks, plan, problem))
        return out

    # -- the APScheduler side ----------------------------------------------------------------

    def start_scheduler(self) -> BackgroundScheduler:
        """Start APScheduler with every campaign's triggers and the tick (one worker)."""
        scheduler = BackgroundScheduler(executors={"default": ThreadPoolExecutor(1)},
                                        timezone=UTC)
        for campaign in self.campaigns:
            for i, trigger in enumerate(campaign.triggers()):
                scheduler.add_job(self.run_slot, trigger, args=[campaign],
                                  id=f"{campaign.name}#{i}", name=f"campaign {campaign.name}",
                                  misfire_grace_time=max(1, campaign.grace), coalesce=True,
                                  max_instances=1)
        scheduler.add_job(self.tick, IntervalTrigger(seconds=TICK_SECONDS), id="tick",
                          name="tick", coalesce=True, max_instances=1, misfire_grace_time=None)
        scheduler.start()
        self.scheduler = scheduler
        return scheduler

    def next_runs(self) -> dict[str, datetime | None]:
        """The next fire time of each campaign (from APScheduler when it runs)."""
        now = self.clock()
        out: dict[str, datetime | None] = {}
        for campaign in self.campaigns:
            nxt = campaign.next_slots(now, 1)
            out[campaign.name] = nxt[0] if nxt else None
        return out

    def health(self) -> dict[str, Any]:
        """What ``/healthz`` reports: scheduler state, last tick, ledger counts, channel states,
        queue problems, and ``status: degraded`` with the reasons while
        :func:`~k2publisher.service.health.problems` finds any."""
        from k2publisher.deliver.registry import channel_states
        from k2publisher.service.health import problems

        running = bool(self.scheduler and self.scheduler.running)
        found = problems(self.ledger, now=self.clock())
        return {
            **({"status": "degraded"} if found else {}),
            # "leader" fires the slots; a "follower" serves the web endpoints only
            "role": self.election.role if self.election is not None else "leader",
            "problems": [p.as_dict() for p in found],
            "scheduler": {
                "running": running,
                "last_tick": iso(self.last_tick) if self.last_tick else None,
                "started_at": iso(self.started_at) if self.started_at else None,
                "campaigns": {name: iso(t) if t else None
                              for name, t in self.next_runs().items()},
            },
            "ledger": self.ledger.counts(),
            "channels": channel_states(self.settings),
            "queue_problems": [str(p) for p in self.queue.problems()],
        }

    def request_stop(self) -> None:
        """Ask the delivery loop to stop after the publication in flight (signal-safe)."""
        self._stop.set()

    def stop_scheduling(self) -> None:
        """Stop firing slots but keep serving (a leader stepping down): the scheduler stops,
        the delivery in flight finishes its current publication, nothing is closed."""
        self._stepping_down.set()
        try:
            if self.scheduler is not None and self.scheduler.running:
                self.scheduler.shutdown(wait=True)
            self.scheduler = None
            with self._lock:  # a start-up or slot still running ends first
                pass
        finally:
            self._stepping_down.clear()

    def stop(self, wait: bool = True) -> None:
        """Stop scheduling; with ``wait`` the delivery in flight completes first."""
        self._stop.set()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        with self._lock:  # an in-flight start_up / slot finishes before we close
            self.publishing.close()

    def close(self) -> None:
        """Release the ledger."""
        self.ledger.close()
