"""What the desk shows, computed from the queue, the ledger and the renderer.

Verdicts are :meth:`Pipeline.review <k2publisher.pipeline.Pipeline.review>`, the very check
:meth:`~k2publisher.pipeline.Pipeline.prepare` runs before a send (with each channel's claims
policy), through the preview's :func:`~k2publisher.preview.core.preview_item`; they are cached
per item file version, so a calendar of two weeks renders each item once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from k2publisher.content.queue import Queue
from k2publisher.desk.editorial import findings
from k2publisher.models import Item, Status
from k2publisher.pipeline import Pipeline
from k2publisher.preview.core import Preview, Target, preview_item, targets
from k2publisher.record.ledger import Ledger, PublicationState, Run, iso
from k2publisher.render.counting import count, fits
from k2publisher.render.profiles import PROFILES
from k2publisher.render.renderer import Renderer
from k2publisher.render.social import SocialComposer, hashtags
from k2publisher.service.scheduler import Service, UpcomingSlot
from k2publisher.settings import Settings

#: variant fields the desk edits: every social profile's, plus the email headlines
EDITABLE_VARIANTS = (*(n for n, p in PROFILES.items() if p.family == "social"),
                     "email_subject", "email_preheader")


def file_version(item: Item) -> str:
    """A hash of the item's file as it is on disk: a save names the version it edited."""
    assert item.path is not None
    return hashlib.sha256(item.path.read_bytes()).hexdigest()[:20]


@dataclass(frozen=True)
class Judged:
    """One item's renderings on some channels, and the desk's reading of their verdicts."""

    previews: tuple[Preview, ...]

    @property
    def ok(self) -> bool:
        """True when the guard passes every rendering."""
        return all(p.verdict.ok for p in self.previews)

    @property
    def refused(self) -> list[str]:
        """The channels the guard refuses."""
        return [p.target.channel for p in self.previews if not p.verdict.ok]

    @property
    def label(self) -> str:
        """``guard ok`` or ``refused on A, B``."""
        return "guard ok" if self.ok else f"refused on {', '.join(self.refused)}"


def verdict_state(p: Preview) -> tuple[str, str]:
    """The desk's reading of one rendering: (state, words); state is ok, thread, dropped or
    refused."""
    r = p.rendering
    if not p.verdict.ok:
        return "refused", "guard refused"
    dropped = r.extra.get("dropped") or []
    if dropped:
        return "dropped", f"guard ok · {len(dropped)} sentence(s) too long, left out"
    if len(r.parts) > 1:
        return "thread", f"guard ok · goes as a thread of {len(r.parts)} posts"
    return "ok", "guard ok · one post"


def single_length(renderer: Renderer, item: Item, profile_name: str) -> int:
    """How long the item's post is on ``profile_name`` in one piece (body, disclaimers, link),
    by the network's own counting: past the limit it is split or refused."""
    profile = PROFILES[profile_name]
    composer = SocialComposer(renderer.env, renderer.rules, item, profile,
                              renderer.item_url(item), hashtags(item.tags, renderer.max_tags))
    units = composer.units()
    whole = [" ".join(units)] if units else []   # as compose() tries it before splitting
    tagged = composer.post(whole, 0, 1, link=True, tags=composer.tags)
    if fits(tagged.text, profile):
        return count(tagged.text, profile.counter)
    # hashtags are the first sacrifice: past the limit without them, the post is split
    bare = composer.post(whole, 0, 1, link=True, tags=())
    return count(bare.text, profile.counter)


def measure(pipeline: Pipeline, item: Item, wanted: Sequence[Target],
            previews: Sequence[Preview] | None = None) -> list[dict[str, Any]]:
    """Each channel's lengths and verdict for ``item`` (the live counters of the edit form);
    ``previews`` when they are already made."""
    out = []
    for p in previews if previews is not None else preview_item(pipeline, item, wanted):
        r = p.rendering
        state, words = verdict_state(p)
        entry: dict[str, Any] = {
            "channel": p.target.channel, "profile": r.profile, "family": r.family,
            "lengths": list(p.lengths), "limit": r.limit, "counter": r.counter,
            "parts": [part.text for part in r.parts], "ok": p.verdict.ok, "state": state,
            "label": words, "problems": list(p.verdict.problems),
            "notes": list(p.verdict.notes),
        }
        if r.family == "social":
            entry["single"] = single_length(pipeline.renderer, item, r.profile)
        out.append(entry)
    return out


def _lines(text: str) -> str:
    # browsers send a textarea's line breaks as CRLF; the queue's files use LF
    return text.replace("\r\n", "\n").replace("\r", "\n")


def edited(item: Item, summary: str | None, variants: dict[str, str]) -> Item:
    """``item`` with a new summary and variants (empty text removes a variant)."""
    merged = {k: _lines(v) for k, v in {**item.variants, **variants}.items() if v.strip()}
    return replace(item, summary=item.summary if summary is None else _lines(summary).strip(),
                   variants=merged)


@dataclass
class CalendarSlot:
    """One slot on the calendar: when, what it takes, with which verdict, and any conflict."""

    ref: str
    slot: UpcomingSlot
    local: datetime
    channels: tuple[str, ...]
    items: list[tuple[Item | None, str, Judged | None]] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    @property
    def item_ids(self) -> list[str]:
        """The ids of the items this slot takes."""
        return [i for _, i, _ in self.items]


class Desk:
    """The desk's read side: calendar, board, item pages and history."""

    def __init__(self, settings: Settings, queue: Queue, ledger: Ledger,
                 clock: Callable[[], datetime]):
        self.settings = settings
        self.queue = queue
        self.ledger = ledger
        self.clock = clock
        self._cache: dict[tuple[str, str, Target], Preview] = {}
        self._pipeline: Pipeline | None = None
        self._rules_stamp = 0

    def pipeline(self) -> Pipeline:
        """The desk's pipeline: kept while the disclaimer rules file is unchanged (its Jinja
        environment reloads edited templates by itself), so templates compile once."""
        rules = self.settings.path("disclaimers")
        stamp = rules.stat().st_mtime_ns if rules.is_file() else 0
        if self._pipeline is None or stamp != self._rules_stamp:
            self._pipeline = Pipeline(self.settings, queue=self.queue, clock=self.clock)
            self._rules_stamp = stamp
            self._cache.clear()  # verdicts under the old rules are stale
        return self._pipeline

    def items(self) -> list[Item]:
        """The queue's items (reloaded when files changed)."""
        self.queue.load()
        return self.queue.items()

    def judge(self, item: Item, channels: Sequence[str] = (),
              pipeline: Pipeline | None = None) -> Judged:
        """The guard's verdicts on ``item`` for ``channels`` (default: every channel)."""
        version = file_version(item)
        out = []
        for target in targets(self.settings, channels):
            key = (item.id, version, target)
            if key not in self._cache:  # one rendering per channel, shared by every page
                pipeline = pipeline or self.pipeline()
                self._cache[key] = preview_item(pipeline, item, [target])[0]
            out.append(self._cache[key])
        return Judged(tuple(out))

    def service(self) -> Service:
        """A service object for the schedule (never started; shares the desk's ledger)."""
        return Service(self.settings, ledger=self.ledger, queue=self.queue, clock=self.clock)

    def calendar(self, weeks: float) -> list[CalendarSlot]:
        """The slots of the next ``weeks`` with their items, verdicts and conflicts."""
        service = self.service()
        upcoming = service.upcoming(days=7 * weeks, limit=1000)
        by_name = {c.name: c for c in service.campaigns}
        by_id = {i.id: i for i in self.queue.items()}
        pipeline = self.pipeline()
        out = []
        seen: dict[str, str] = {}
        for up in upcoming:
            campaign = by_name[up.campaign]
            cal = CalendarSlot(f"{up.campaign}@{iso(up.when)}", up,
                               up.when.astimezone(campaign.zone), campaign.channels)
            for pick in up.picks:
                for item_id in pick.items or (pick.item_id,):
                    item = by_id.get(item_id)
                    judged = self.judge(item, campaign.channels, pipeline) if item else None
                    cal.items.append((item, item_id, judged))
                    if judged is not None and not judged.ok:
                        cal.conflicts.append(f"{item_id}: the guard would refuse it on "
                                             f"{', '.join(judged.refused)}")
                    if item_id in seen:
                        cal.conflicts.append(f"{item_id} also goes out at {seen[item_id]}")
                    seen.setdefault(item_id, cal.ref)
            if up.problem:
                cal.conflicts.append(up.problem)
            out.append(cal)
        return out

    def next_slots(self, calendar: Sequence[CalendarSlot]) -> dict[str, str]:
        """Each item's next slot on ``calendar``."""
        out: dict[str, str] = {}
        for cal in calendar:
            for item_id in cal.item_ids:
                out.setdefault(item_id, cal.ref)
        return out

    def last_sent(self, item_id: str) -> str:
        """When the item last went out anywhere ('' if never)."""
        pubs = self.ledger.publications(states=[PublicationState.SENT], item_id=item_id,
                                        limit=1)
        return pubs[0].updated_at if pubs else ""

    def board(self, args: dict[str, str]) -> dict[str, Any]:
        """The queue board: items by status, filtered by ``args``."""
        items = self.items()
        q = args.get("q", "").strip().lower()
        calendar = self.calendar(float(self.settings.section("desk").get("weeks", 2)))
        nexts = self.next_slots(calendar)
        pipeline = self.pipeline()
        # the verdict on the channels the campaigns publish to (every channel without any)
        published_to = tuple(dict.fromkeys(c for camp in self.service().campaigns
                                           for c in camp.channels))
        columns: dict[str, list[dict[str, Any]]] = {s.value: [] for s in Status}
        for item in items:
            if args.get("supplement") and (item.supplement or "") != args["supplement"]:
                continue
            if args.get("kind") and item.kind.value != args["kind"]:
                continue
            if args.get("tag") and args["tag"] not in item.tags:
                continue
            if args.get("review") == "yes" and not item.review:
                continue
            if args.get("review") == "no" and item.review:
                continue
            if q and q not in " ".join([item.id, item.title, item.summary, item.body,
                                        " ".join(item.tags)]).lower():
                continue
            judged = self.judge(item, published_to, pipeline)
            if args.get("verdict") == "ok" and not judged.ok:
                continue
            if args.get("verdict") == "refused" and judged.ok:
                continue
            columns[item.status.value].append({
                "item": item, "judged": judged, "last_sent": self.last_sent(item.id),
                "next_slot": nexts.get(item.id, "")})
        return {
            "columns": columns,
            "supplements": sorted({i.supplement for i in items if i.supplement}),
            "tags": sorted({t for i in items for t in i.tags}),
            "kinds": sorted({i.kind.value for i in items}),
        }

    def history(self, item_id: str) -> list[dict[str, Any]]:
        """What happened to an item: publications (with links) and decisions, newest first."""
        rows: list[dict[str, Any]] = [
            {"at": p.updated_at, "what": p.state.value, "channel": p.channel,
             "campaign": p.campaign, "url": p.url, "note": p.error, "run": p.run_id}
            for p in self.ledger.publications(item_id=item_id, limit=200)]
        rows += [{"at": d.at, "what": d.action, "channel": "", "campaign": "", "url": "",
                  "note": d.reason, "run": None, "actor": d.actor}
                 for d in self.ledger.decisions(item_id)]
        return sorted(rows, key=lambda r: r["at"], reverse=True)

    def past_slots(self, days: float = 14) -> list[tuple[Run, list[Any]]]:
        """Runs of the last ``days`` and their publications (what happened per slot)."""
        since = self.clock() - timedelta(days=days)
        return [(run, self.ledger.run_publications(run.id))
                for run in self.ledger.runs(limit=200) if run.slot >= since]

    def claims(self, item: Item) -> list[Any]:
        """The claims findings in the item's text."""
        return findings(item, self.pipeline().rules)
