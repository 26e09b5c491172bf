"""The selection policy: which item(s) a campaign publishes at a slot.

In order of precedence:

0. an editor's plan for the slot (the desk or ``schedule pin|skip``): a skipped slot
   publishes nothing; a pinned item goes first (if it is still eligible and not yet out
   on a channel), and an item pinned to another slot of the campaign is held back for it;
1. only ``ready`` items whose ``not_before`` date (in the campaign's zone) has come;
2. an item is never repeated on a channel until every eligible item has gone out there;
   items new to every channel of the campaign come before items new to only some;
3. supplement sections and mechanism explainers alternate, relative to the last item this
   campaign published;
4. then higher ``priority`` first, then the one available the longest (no ``not_before``,
   then the earliest), then by id;
5. when everything has gone out, ``evergreen_after_days`` (if set) recycles the item whose
   last publication is oldest, once it is at least that many days old.

One pick goes to every channel of the campaign where it has not gone out yet, so a slot
publishes the same item everywhere. An item whose publication failed permanently or was
blocked by the guard is not picked again until its file changes (its fingerprint).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from k2publisher.models import Item, Kind, Status
from k2publisher.record.ledger import Ledger, Pick, PublicationRow, PublicationState
from k2publisher.service.campaigns import Campaign

#: publication states that mean "this item has gone out (or is going out) on the channel"
TAKEN = frozenset({PublicationState.PENDING, PublicationState.SENT,
                   PublicationState.UNCONFIRMED})
#: states that keep an item out only while its file is unchanged (an editor must act)
STUCK = frozenset({PublicationState.FAILED, PublicationState.BLOCKED})


def fingerprint(item: Item) -> str:
    """A short hash of what an item says, so an edited item can be tried again."""
    data = [item.title, item.summary, item.body, sorted(item.variants.items()),
            [(o.rule, o.reason) for o in item.guard_overrides], item.review or ""]
    return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()[:16]


@dataclass
class Seen:
    """The latest publication of one item on one channel."""

    state: PublicationState
    fingerprint: str
    round: int
    last_sent: datetime | None


@dataclass
class History:
    """What each channel has published, and the last item of each campaign."""

    seen: dict[str, dict[str, Seen]] = field(default_factory=dict)
    last_item: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_ledger(cls, ledger: Ledger, campaigns: Iterable[Campaign]) -> History:
        """Read the history of every channel of ``campaigns`` from the ledger."""
        history = cls()
        for campaign in campaigns:
            last = ledger.last_item(campaign.name)
            if last:
                history.last_item[campaign.name] = last
            for channel in campaign.channels:
                if channel not in history.seen:
                    history.seen[channel] = {}
                    for pub in ledger.channel_history(channel):
                        history.add(pub)
        return history

    def add(self, pub: PublicationRow) -> None:
        """Take one publication into account (the ledger yields them oldest first)."""
        sent_at = datetime.fromisoformat(pub.updated_at) \
            if pub.state is PublicationState.SENT else None
        for item_id in pub.items or (pub.item_id,):
            self.seen.setdefault(pub.channel, {})[item_id] = Seen(
                pub.state, pub.fingerprint, pub.round, sent_at)

    def simulate(self, campaign: Campaign, picks: Sequence[Pick], when: datetime) -> None:
        """Pretend ``picks`` went out at ``when`` (for previews of the schedule)."""
        for pick in picks:
            for channel in pick.channels:
                for item_id in pick.items or (pick.item_id,):
                    self.seen.setdefault(channel, {})[item_id] = Seen(
                        PublicationState.SENT, pick.fingerprint, pick.round, when)
            self.last_item[campaign.name] = (pick.items or (pick.item_id,))[-1]

    def taken(self, channel: str, item: Item, print_: str) -> bool:
        """True when ``item`` has gone out (or is stuck) on ``channel`` in its latest round."""
        seen = self.seen.get(channel, {}).get(item.id)
        if seen is None:
            return False
        return seen.state in TAKEN or (seen.state in STUCK and seen.fingerprint == print_)


def eligible(items: Iterable[Item], today: date) -> list[Item]:
    """Ready items whose ``not_before`` has come."""
    return [i for i in items
            if i.status is Status.READY and (i.not_before is None or i.not_before <= today)]


def _order(item: Item, prefer: Kind | None) -> tuple[object, ...]:
    return (prefer is not None and item.kind is not prefer, -item.priority,
            item.not_before or date.min, item.id)


def _other(kind: Kind | None) -> Kind | None:
    if kind is None:
        return None
    return Kind.MECHANISM_EXPLAINER if kind is Kind.SUPPLEMENT_SECTION \
        else Kind.SUPPLEMENT_SECTION


def pin_problem(campaign: Campaign, item: Item | None, history: History, now: datetime,
                item_id: str = "") -> str:
    """Why an item pinned to the slot of ``campaign`` at ``now`` cannot go out ('' if it can)."""
    if item is None:
        return f"pinned item {item_id!r} is not in the queue"
    if item.status is not Status.READY:
        return f"pinned item {item.id} is {item.status.value}, not ready: approve it"
    today = now.astimezone(campaign.zone).date()
    if item.not_before is not None and item.not_before > today:
        return f"pinned item {item.id} is not to go out before {item.not_before.isoformat()}"
    print_ = fingerprint(item)
    if all(history.taken(c, item, print_) for c in campaign.channels):
        return f"pinned item {item.id} has already gone out on every channel of {campaign.name}"
    return ""


def select(campaign: Campaign, items: Iterable[Item], history: History, now: datetime,
           count: int | None = None, *, pinned: str | None = None,
           reserved: Iterable[str] = ()) -> list[Pick]:
    """The picks for one slot of ``campaign`` at ``now`` (``count`` items, default
    ``items_per_slot``), each with the channels it goes to. Does not change ``history``.

    ``pinned``: an item an editor put into this slot (first, when :func:`pin_problem` finds
    nothing against it); ``reserved``: items pinned to other slots, held back for them.
    """
    items = list(items)
    today = now.astimezone(campaign.zone).date()
    held = set(reserved) - {pinned}
    pool = [i for i in eligible(items, today) if i.id not in held]
    by_id: Mapping[str, Item] = {i.id: i for i in items}
    last = history.last_item.get(campaign.name)
    last_kind = by_id[last].kind if last in by_id else None
    wanted = count if count is not None else campaign.items_per_slot
    chosen: set[str] = set()
    picks: list[Pick] = []
    item = by_id.get(pinned or "")
    if item is not None and not pin_problem(campaign, item, history, now):
        print_ = fingerprint(item)
        fresh = tuple(c for c in campaign.channels if not history.taken(c, item, print_))
        picks.append(Pick(item.id, fresh, _round(history, campaign, item), print_))
        chosen.add(item.id)
        last_kind = item.kind
    for _ in range(wanted - len(picks)):
        pick = _next(campaign, pool, history, now, _other(last_kind), chosen)
        if pick is None:
            break
        picks.append(pick)
        chosen.add(pick.item_id)
        last_kind = by_id[pick.item_id].kind
    return picks


def _next(campaign: Campaign, pool: Sequence[Item], history: History, now: datetime,
          prefer: Kind | None, chosen: set[str]) -> Pick | None:
    fresh_all: list[tuple[Item, str]] = []
    fresh_some: list[tuple[Item, str, tuple[str, ...]]] = []
    for item in pool:
        if item.id in chosen:
            continue
        print_ = fingerprint(item)
        fresh = tuple(c for c in campaign.channels if not history.taken(c, item, print_))
        if len(fresh) == len(campaign.channels):
            fresh_all.append((item, print_))
        elif fresh:
            fresh_some.append((item, print_, fresh))
    if fresh_all:
        item, print_ = min(fresh_all, key=lambda pair: _order(pair[0], prefer))
        return Pick(item.id, campaign.channels, _round(history, campaign, item), print_)
    if fresh_some:
        item, print_, fresh = min(fresh_some, key=lambda t: _order(t[0], prefer))
        return Pick(item.id, fresh, _round(history, campaign, item), print_)
    return _evergreen(campaign, pool, history, now, prefer, chosen)


def _round(history: History, campaign: Campaign, item: Item) -> int:
    # an edited item that failed or was blocked starts a new round: no part of the old
    # text is taken for already sent
    rounds = [s.round + (s.state in STUCK) for c in campaign.channels
              if (s := history.seen.get(c, {}).get(item.id)) is not None]
    return max(rounds, default=1)


def _evergreen(campaign: Campaign, pool: Sequence[Item], history: History, now: datetime,
               prefer: Kind | None, chosen: set[str]) -> Pick | None:
    if not campaign.evergreen_after_days:
        return None
    cutoff = now - timedelta(days=campaign.evergreen_after_days)
    old: list[tuple[datetime, Item]] = []
    for item in pool:
        if item.id in chosen:
            continue
        seen = [history.seen.get(c, {}).get(item.id) for c in campaign.channels]
        if any(s is None or s.state is not PublicationState.SENT or s.last_sent is None
               for s in seen):
            continue  # stuck or unconfirmed somewhere: an editor decides first
        last_sent = max(s.last_sent for s in seen if s is not None and s.last_sent)
        if last_sent <= cutoff:
            old.append((last_sent, item))
    if not old:
        return None
    _, item = min(old, key=lambda pair: (pair[0], _order(pair[1], prefer)))
    return Pick(item.id, campaign.channels, _round(history, campaign, item) + 1,
                fingerprint(item))
