"""Editorial decisions in one place: approve, reject, archive, and plan slots.

The desk and the CLI (``queue approve|reject|archive|unarchive``, ``schedule pin|skip``) both
call :class:`Editorial`, so the rules are written once:

* approving an item with an open ``review`` note or a blocking claims finding needs an
  explicit override with a reason, and the override is recorded in the ledger;
* rejecting needs a reason and sends the item back to ``draft``;
* every decision is recorded (item, action, reason, who) for the item's history;
* a slot is named ``CAMPAIGN@TIME`` and must be a future slot of that campaign.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from k2publisher.content.queue import Queue
from k2publisher.errors import K2Error
from k2publisher.guard.check import claims_policy
from k2publisher.guard.claims import Finding, scan
from k2publisher.guard.disclaimers import DisclaimerRules, item_text
from k2publisher.models import Item, Status
from k2publisher.record.ledger import Ledger, PlanAction, SlotPlan, iso
from k2publisher.service.campaigns import Campaign, load_campaigns
from k2publisher.settings import Settings


class DecisionRefused(K2Error, ValueError):
    """An editorial action was refused; the message says what is missing (exit 1)."""

    exit_code = 1


@dataclass(frozen=True)
class SlotRef:
    """One slot of one campaign."""

    campaign: Campaign
    when: datetime

    def __str__(self) -> str:
        return f"{self.campaign.name}@{iso(self.when)}"


def blocking_findings(item: Item, settings: Settings, rules: object = None) -> list[Finding]:
    """Claims findings in the item's text that would refuse it: ``block`` level, no override,
    under the ``block`` policy."""
    if claims_policy(settings) != "block":
        return []
    overridden = {o.rule for o in item.guard_overrides}
    return [f for f in findings(item, rules or DisclaimerRules.from_settings(settings))
            if f.level == "block" and f.rule not in overridden]


def findings(item: Item, rules: object) -> list[Finding]:
    """Every claims finding in the item's title, summary, variants and body."""
    texts = [item_text(item), *item.variants.values()]
    seen: set[tuple[str, str]] = set()
    out = []
    for text in texts:
        for finding in scan(text, rules):  # type: ignore[arg-type]
            if (finding.rule, finding.excerpt) not in seen:
                seen.add((finding.rule, finding.excerpt))
                out.append(finding)
    return out


class Editorial:
    """Editorial actions on a queue and a ledger, each recorded with its reason and actor."""

    def __init__(self, settings: Settings, queue: Queue, ledger: Ledger, *, actor: str = "cli"):
        self.settings = settings
        self.queue = queue
        self.ledger = ledger
        self.actor = actor

    # -- items -------------------------------------------------------------------------------

    def _item(self, item_id: str) -> Item:
        self.queue.load()
        return self.queue.get(item_id)

    def open_objections(self, item: Item) -> list[str]:
        """What stands against approving ``item``: its review note, blocking findings."""
        out = [f"open review note: {item.review}"] if item.review else []
        out += [f"blocking claims finding {f}" for f in blocking_findings(item, self.settings)]
        return out

    def approve(self, item_id: str, *, override: str = "") -> Item:
        """Mark the item ``ready``; with objections, only with an ``override`` reason."""
        item = self._item(item_id)
        objections = self.open_objections(item)
        if objections and not override.strip():
            raise DecisionRefused(
                f"item {item_id} not approved: " + "; ".join(objections)
                + ". Resolve it, or approve with an override and a reason "
                  "(`queue approve ID --override REASON`)")
        if objections:
            self.ledger.record_decision(item_id, "override",
                                        f"{override.strip()} [over: {'; '.join(objections)}]",
                                        self.actor)
        self.ledger.record_decision(item_id, "approve", override.strip(), self.actor)
        return self.queue.set_status(item_id, Status.READY)

    def reject(self, item_id: str, reason: str) -> Item:
        """Send the item back to ``draft`` with a reason (required)."""
        if not reason.strip():
            raise DecisionRefused(f"rejecting {item_id} needs a reason (--reason TEXT)")
        self._item(item_id)
        self.ledger.record_decision(item_id, "reject", reason.strip(), self.actor)
        return self.queue.set_status(item_id, Status.DRAFT)

    def archive(self, item_id: str, reason: str = "") -> Item:
        """Archive the item: never published again until unarchived."""
        self._item(item_id)
        self.ledger.record_decision(item_id, "archive", reason.strip(), self.actor)
        return self.queue.set_status(item_id, Status.ARCHIVED)

    def unarchive(self, item_id: str, reason: str = "") -> Item:
        """Bring an archived item back as a ``draft`` (it needs approving again)."""
        item = self._item(item_id)
        if item.status is not Status.ARCHIVED:
            raise DecisionRefused(f"item {item_id} is {item.status.value}, not archived")
        self.ledger.record_decision(item_id, "unarchive", reason.strip(), self.actor)
        return self.queue.set_status(item_id, Status.DRAFT)

    def edited(self, item_id: str, what: str) -> None:
        """Record that an editor changed the item's file (``what`` names the fields)."""
        self.ledger.record_decision(item_id, "edit", what, self.actor)

    # -- slots -------------------------------------------------------------------------------

    def campaigns(self) -> list[Campaign]:
        """The enabled campaigns."""
        return load_campaigns(self.settings)

    def slot(self, ref: str, now: datetime) -> SlotRef:
        """Parse ``CAMPAIGN@TIME`` (ISO time; without an offset, the campaign's local time)
        into a future slot of that campaign; raises :class:`DecisionRefused` saying why not."""
        name, sep, when = ref.partition("@")
        by_name = {c.name: c for c in self.campaigns()}
        if not sep or not when:
            raise DecisionRefused(f"slot {ref!r}: write CAMPAIGN@TIME, e.g. "
                                  "daily@2026-03-02T09:00 (see `k2publisher schedule`)")
        if name not in by_name:
            raise DecisionRefused(f"slot {ref!r}: no campaign {name!r} (known: "
                                  f"{', '.join(by_name) or 'none'})")
        campaign = by_name[name]
        try:
            moment = datetime.fromisoformat(when.replace("Z", "+00:00"))
        except ValueError:
            raise DecisionRefused(f"slot {ref!r}: {when!r} is not an ISO time such as "
                                  "2026-03-02T09:00") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=campaign.zone)
        if moment <= now:
            raise DecisionRefused(f"slot {ref!r} is in the past: plan a later slot")
        if moment not in set(campaign.slots(moment - timedelta(seconds=1), moment)):
            upcoming = ", ".join(iso(s) for s in campaign.next_slots(now, 3))
            raise DecisionRefused(f"slot {ref!r} is not a slot of {name} "
                                  f"({campaign.describe()}; next: {upcoming})")
        return SlotRef(campaign, moment)

    def pin(self, ref: str, item_id: str, now: datetime, note: str = "") -> SlotPlan:
        """Put ``item_id`` into the slot ``ref`` (it goes out there, first)."""
        slot = self.slot(ref, now)
        self._item(item_id)
        plan = self.ledger.plan_slot(slot.campaign.name, slot.when, PlanAction.PIN,
                                     item_id=item_id, note=note, actor=self.actor)
        self.ledger.record_decision(item_id, "pin", str(slot), self.actor)
        return plan

    def skip(self, ref: str, now: datetime, note: str = "") -> SlotPlan:
        """Publish nothing at the slot ``ref``."""
        slot = self.slot(ref, now)
        return self.ledger.plan_slot(slot.campaign.name, slot.when, PlanAction.SKIP,
                                     note=note, actor=self.actor)

    def clear(self, ref: str, now: datetime) -> bool:
        """Forget the plan of slot ``ref`` (the selection policy decides again)."""
        slot = self.slot(ref, now)
        return self.ledger.clear_plan(slot.campaign.name, slot.when)

    def swap(self, first: str, second: str, items: Sequence[str], now: datetime
             ) -> list[SlotPlan]:
        """Swap what two slots take: ``items`` are what each takes now (first, second)."""
        a, b = items
        if not a or not b:
            raise DecisionRefused("both slots need an item to swap")
        return [self.pin(first, b, now), self.pin(second, a, now)]


def open_ledger(settings: Settings) -> Ledger:
    """The site's ledger (the configured store), where plans and decisions are recorded."""
    return Ledger.from_settings(settings)
