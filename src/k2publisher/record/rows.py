"""The ledger's rows as small frozen data classes, their states, and time helpers.

:mod:`k2publisher.record.ledger` reads and writes them; everything else only reads them.
Times are stored as UTC ISO strings (:func:`iso`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from k2publisher.database import Row
from k2publisher.errors import K2Error


class DeliveryState(StrEnum):
    """Where one part of a publication is."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"


class PublicationState(StrEnum):
    """Where one item (or digest) on one channel is."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    UNCONFIRMED = "unconfirmed"


class RunState(StrEnum):
    """What happened at one campaign slot."""

    RUNNING = "running"
    DONE = "done"
    SKIPPED = "skipped"
    BASELINE = "baseline"


class LedgerError(K2Error, LookupError):
    """A ledger row does not exist or cannot make the asked transition."""


@dataclass(frozen=True)
class Delivery:
    """One part of one publication."""

    id: int
    item_id: str
    channel: str
    part: int
    round: int
    state: DeliveryState
    key: str
    remote_id: str
    url: str
    error: str
    attempts: int
    created_at: str
    updated_at: str
    sending_at: str | None
    finished_at: str | None
    #: ``<pid>:<token>`` of the ledger that last claimed the part ('' before any claim)
    owner: str = ""


@dataclass(frozen=True)
class PublicationRow:
    """One item (or a digest of several) on one channel, at one campaign slot."""

    id: int
    run_id: int
    campaign: str
    item_id: str
    items: tuple[str, ...]
    channel: str
    round: int
    state: PublicationState
    fingerprint: str
    attempts: int
    url: str
    error: str
    created_at: str
    updated_at: str
    forced: bool = False
    reason: str = ""
    #: UTC ISO time before which a rate-limited publication is not tried again ('' = now)
    not_before: str = ""


#: the campaign name of publications made by hand (`k2publisher publish`)
MANUAL = "manual"


@dataclass(frozen=True)
class Run:
    """One campaign slot and what the scheduler did at it."""

    id: int
    campaign: str
    slot: datetime
    state: RunState
    note: str
    started_at: str
    finished_at: str | None


class PlanAction(StrEnum):
    """What an editor decided for one future slot."""

    PIN = "pin"
    SKIP = "skip"


@dataclass(frozen=True)
class SlotPlan:
    """An editor's decision for one slot of a campaign: publish this item, or nothing."""

    campaign: str
    slot: datetime
    action: PlanAction
    item_id: str
    note: str
    actor: str
    created_at: str


@dataclass(frozen=True)
class Decision:
    """One editorial decision on an item (approve, override, reject, archive, edit ...)."""

    id: int
    item_id: str
    action: str
    reason: str
    actor: str
    at: str


@dataclass(frozen=True)
class Pick:
    """What a run publishes: one item (or digest) on some channels, at a round number."""

    item_id: str
    channels: tuple[str, ...]
    round: int = 1
    fingerprint: str = ""
    items: tuple[str, ...] = ()


def utcnow() -> datetime:
    """The current time in UTC (the default clock)."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """A timezone-aware time as the UTC ISO string the ledger stores."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def delivery_from(row: Row) -> Delivery:
    """A ``deliveries`` row as a :class:`Delivery`."""
    data = dict(row)
    data["state"] = DeliveryState(data["state"])
    return Delivery(**data)


def publication_from(row: Row) -> PublicationRow:
    """A ``publications`` row as a :class:`PublicationRow`."""
    data = dict(row)
    data["state"] = PublicationState(data["state"])
    data["items"] = tuple(data["items"].split())
    data["forced"] = bool(data.get("forced"))
    return PublicationRow(**data)


def run_from(row: Row) -> Run:
    """A ``runs`` row as a :class:`Run`."""
    data = dict(row)
    data["state"] = RunState(data["state"])
    data["slot"] = datetime.fromisoformat(data["slot"])
    return Run(**data)


def plan_from(row: Row) -> SlotPlan:
    """A ``slot_plans`` row as a :class:`SlotPlan`."""
    data = dict(row)
    data["action"] = PlanAction(data["action"])
    data["slot"] = datetime.fromisoformat(data["slot"])
    return SlotPlan(**data)


def decision_from(row: Row) -> Decision:
    """A ``decisions`` row as a :class:`Decision`."""
    return Decision(**dict(row))
