"""The publication pipeline: the one way to obtain something a channel may send.

A :class:`Pipeline` (one per process, built from the settings) owns the queue, the guard's
disclaimer rules, the Renderer, the per-channel claims policy and the channel registry.
:meth:`Pipeline.prepare` renders items for a channel, applies the status gate (only
``ready`` items unless forced with a reason) and the guard, and returns a frozen
:class:`Publication`, or raises :class:`~k2publisher.errors.PublicationRefused` naming the
items, the channel and every problem.

:class:`Publication` cannot be made anywhere else: its constructor refuses to run outside
``prepare``, and :func:`approved` (which :func:`k2publisher.deliver.core.deliver` calls
before any ``send_part``) only accepts the very objects ``prepare`` returned, so a copy, a
``dataclasses.replace`` or an unpickled one is refused too.
"""

from __future__ import annotations

import contextvars
import getpass
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from k2publisher.abc import Channel
from k2publisher.errors import NotReadyRefusal, PublicationRefused
from k2publisher.models import Item, Rendering, Status, Verdict
from k2publisher.settings import Settings

if TYPE_CHECKING:
    from k2publisher.content.queue import Queue
    from k2publisher.deliver.core import ChannelContext
    from k2publisher.guard.disclaimers import DisclaimerRules
    from k2publisher.record.ledger import Ledger
    from k2publisher.render.renderer import Renderer

__all__ = ["Pipeline", "Publication", "Review", "approved"]

#: set only while :meth:`Pipeline.prepare` builds a Publication
_MINTING: contextvars.ContextVar[bool] = contextvars.ContextVar("k2_minting", default=False)
#: every Publication ``prepare`` returned and that is still alive (identity, not equality)
_MINTED: weakref.WeakSet[Publication] = weakref.WeakSet()

ItemRef = Item | str


@dataclass(frozen=True, eq=False)
class Publication:
    """Items rendered for one channel and approved by the guard: the only thing
    :func:`~k2publisher.deliver.core.deliver` sends.

    Only :meth:`Pipeline.prepare` makes one; constructing it anywhere else raises TypeError.
    ``forced`` is True when an item that is not ``ready`` was let through, with ``reason``.
    """

    items: tuple[Item, ...]
    channel: Channel
    rendering: Rendering
    verdict: Verdict
    approved_by: str
    approved_at: datetime
    forced: bool = False
    reason: str = ""

    def __post_init__(self) -> None:
        if not _MINTING.get():
            raise TypeError("a Publication comes only from Pipeline.prepare(): nothing "
                            "reaches a channel without the status gate and the guard")

    @property
    def channel_name(self) -> str:
        """The configured name of the channel (``[channels.NAME]``)."""
        return self.channel.name

    @property
    def item_ids(self) -> tuple[str, ...]:
        """The ids of the items, in order."""
        return tuple(i.id for i in self.items)


def approved(publication: object) -> Publication:
    """``publication`` if :meth:`Pipeline.prepare` returned it (and its verdict passed).

    Raises TypeError for anything else: a rendering, a forged or copied Publication.
    """
    if not isinstance(publication, Publication) or publication not in _MINTED \
            or not publication.verdict.ok:
        raise TypeError("deliver() sends only a Publication from Pipeline.prepare(), "
                        f"not {type(publication).__name__}")
    return publication


@contextmanager
def _minting() -> Iterator[None]:
    token = _MINTING.set(True)
    try:
        yield
    finally:
        _MINTING.reset(token)


@dataclass(frozen=True)
class Review:
    """What the guard says about items rendered for a channel (preview, doctor, prepare)."""

    items: tuple[Item, ...]
    channel: str
    rendering: Rendering
    verdict: Verdict


class Pipeline:
    """Render -> status gate -> guard for every channel, from one set of settings.

    ``queue``, ``rules``, ``renderer``, ``context`` and ``ledger`` may be passed in (tests, a
    service that already holds them); otherwise each is built from ``settings`` on first
    use. The ledger says what a site channel has published (its feeds and archive).
    """

    def __init__(self, settings: Settings, *, queue: Queue | None = None,
                 rules: DisclaimerRules | None = None, renderer: Renderer | None = None,
                 context: ChannelContext | None = None,
                 clock: Callable[[], datetime] | None = None, ledger: Ledger | None = None):
        self.settings = settings
        self.ledger = ledger
        self._queue = queue
        self._rules = rules
        self._renderer = renderer
        self._context = context
        self._clock = clock
        self._channels: dict[str, Channel] = {}
        #: the guard's verdicts on site documents, by content (see pipeline/site.py)
        self._document_verdicts: dict[str, Verdict] = {}

    # -- what the pipeline owns ---------------------------------------------------------------

    @property
    def context(self) -> ChannelContext:
        """What channels may use besides their options: settings, retry policy, queue."""
        if self._context is None:
            from k2publisher.deliver.core import ChannelContext, RetryPolicy

            self._context = ChannelContext(settings=self.settings,
                                           policy=RetryPolicy.from_settings(self.settings),
                                           _queue=self._queue)
        return self._context

    @property
    def queue(self) -> Queue:
        """The content queue items are looked up in."""
        if self._queue is None:
            self._queue = self.context.queue
        return self._queue

    @property
    def rules(self) -> DisclaimerRules:
        """The guard's disclaimer rules for this site (``config/disclaimers.toml``)."""
        if self._rules is None:
            from k2publisher.guard.disclaimers import DisclaimerRules

            self._rules = DisclaimerRules.from_settings(self.settings)
        return self._rules

    @property
    def renderer(self) -> Renderer:
        """The Renderer, sharing this pipeline's disclaimer rules."""
        if self._renderer is None:
            from k2publisher.render.renderer import Renderer

            self._renderer = Renderer(self.settings, self.rules)
        return self._renderer

    def claims_policy(self, channel: str) -> str:
        """``[guard.channels] NAME``, else ``[guard] claims`` (block, review or off)."""
        from k2publisher.guard.check import claims_policy

        return claims_policy(self.settings, channel)

    def channel(self, channel: Channel | str) -> Channel:
        """The configured channel ``NAME`` from the registry (built once, then reused)."""
        if isinstance(channel, Channel):
            return channel
        if channel not in self._channels:
            from k2publisher.deliver.registry import load_channel

            self._channels[channel] = load_channel(channel, self.settings, self.context)
        return self._channels[channel]

    def item(self, item: ItemRef) -> Item:
        """``item`` itself, or the queue item with that id."""
        return self.queue.get(item) if isinstance(item, str) else item

    # -- render and judge ---------------------------------------------------------------------

    def render(self, items: Sequence[Item], channel: Channel | str, *,
               profile: str | None = None) -> Rendering:
        """``items`` rendered for ``channel`` (several items make a digest issue)."""
        name = channel.name if isinstance(channel, Channel) else channel
        if profile is None:
            profile = self.channel(channel).render_profile
        if len(items) == 1:
            return self.renderer.render(items[0], profile, channel=name)
        return self.renderer.render_issue(list(items), channel=name)

    def review(self, items: ItemRef | Sequence[ItemRef], channel: Channel | str, *,
               profile: str | None = None, rendering: Rendering | None = None) -> Review:
        """Render (unless ``rendering`` is given) and ask the guard; never raises a refusal.

        The check :meth:`prepare` runs, without the status gate: what preview and doctor show.
        """
        found = self._items(items)
        name = channel.name if isinstance(channel, Channel) else channel
        if rendering is None:
            rendering = self.render(found, channel, profile=profile)
        from k2publisher.guard.check import check

        verdict = check(rendering, list(found), self.rules,
                        claims_policy=self.claims_policy(name))
        if self._publishes_site(channel):
            rendering, verdict = self._with_site(rendering, verdict, found, name)
        return Review(found, name, rendering, verdict)

    def _with_site(self, rendering: Rendering, verdict: Verdict, items: Sequence[Item],
                   name: str) -> tuple[Rendering, Verdict]:
        """``rendering`` with the site's documents, and the guard's verdict on each."""
        from k2publisher.guard.check import check
        from k2publisher.pipeline import site

        published = site.entries(self._sent_on(name), items, self.now(), self.queue.get)
        documents = site.build(self.renderer, published)
        policy = self.claims_policy(name)
        if len(self._document_verdicts) > 20_000:  # a long-lived service: keep it bounded
            self._document_verdicts.clear()
        problems, notes = site.problems(
            documents, [item for item, _ in published], name,
            lambda r, shown: check(r, list(shown), self.rules, claims_policy=policy),
            self._document_verdicts)
        return (replace(rendering, documents=tuple(documents)),
                Verdict(ok=verdict.ok and not problems, problems=(*verdict.problems, *problems),
                        notes=(*verdict.notes, *notes)))

    def _publishes_site(self, channel: Channel | str) -> bool:
        if isinstance(channel, Channel):
            return type(channel).site_documents
        from k2publisher.deliver.registry import channel_configs, channel_types

        kind = str(channel_configs(self.settings).get(channel, {}).get("type", ""))
        return bool(getattr(channel_types().get(kind), "site_documents", False))

    def _sent_on(self, channel: str) -> list[tuple[str, datetime]]:
        """``(item id, when)`` of every item the ledger holds as sent on ``channel``."""
        from k2publisher.database import is_postgres, store_location
        from k2publisher.record.ledger import Ledger

        if self.ledger is not None:
            return self.ledger.sent_items(channel)
        location = store_location(self.settings)
        if not is_postgres(location) and not Path(location).is_file():
            return []
        with Ledger(location) as ledger:
            return ledger.sent_items(channel)

    def now(self) -> datetime:
        """The pipeline's clock: the one given, else the channels' context clock, else UTC."""
        clock = self._clock or self.context.clock
        return clock() if clock else datetime.now(UTC)

    def prepare(self, items: ItemRef | Sequence[ItemRef], channel: Channel | str, *,
                force: bool = False, reason: str = "", rendering: Rendering | None = None,
                approved_by: str | None = None) -> Publication:
        """The approved :class:`Publication` of ``items`` on ``channel``, or a refusal.

        Refuses (:class:`~k2publisher.errors.PublicationRefused`, exit 4) when an item is not
        ``ready`` (unless ``force`` with a ``reason``), or the guard finds any problem with
        the rendering under the channel's claims policy. ``rendering`` guards an already
        rendered issue (a stored newsletter) instead of rendering anew; it is checked exactly
        the same way.
        """
        found = self._items(items)
        target = self.channel(channel)
        ids = [i.id for i in found]
        if force and not reason.strip():
            raise PublicationRefused(ids, target.name, [
                "a forced publish needs a reason (--reason TEXT); it is kept in the ledger"])
        gate = [f"item {i.id} is {i.status.value}, not ready: set `status: ready` once it "
                "is reviewed (or publish with --force --reason TEXT)"
                for i in found if i.status is not Status.READY]
        if gate and not force:
            raise NotReadyRefusal(ids, target.name, gate)
        review = self.review(found, target, rendering=rendering)
        if not review.verdict.ok:
            raise PublicationRefused(ids, target.name, list(review.verdict.problems),
                                     rendering=review.rendering, verdict=review.verdict)
        who = approved_by or (f"forced by {_user()}" if gate else "guard")
        return self._mint(found, target, review.rendering, review.verdict, who,
                          forced=bool(gate), reason=reason.strip())

    def prepare_notice(self, channel: Channel | str, rendering: Rendering) -> Publication:
        """An operator notice (an alert) approved for ``channel``: a Publication of no item.

        It carries no item content, so no disclaimer is due; the claims scan still runs on
        every part (any finding at level ``block`` refuses it, whatever the channel's
        policy), as do the channel's length limits. Raises
        :class:`~k2publisher.errors.PublicationRefused`.
        """
        from k2publisher.guard.check import length_problems
        from k2publisher.guard.claims import scan

        target = self.channel(channel)
        problems = [str(f) for part in rendering.parts
                    for f in scan(part.html or part.text, self.rules) if f.level == "block"]
        problems += length_problems(rendering, f"notice on {target.name}")
        verdict = Verdict(ok=not problems, problems=tuple(problems),
                          notes=("operator notice: no item content, no disclaimer due",))
        if problems:
            raise PublicationRefused([], target.name, problems, rendering=rendering,
                                     verdict=verdict)
        return self._mint((), target, rendering, verdict, "notice check")

    def _mint(self, items: tuple[Item, ...], channel: Channel, rendering: Rendering,
              verdict: Verdict, approved_by: str, *, forced: bool = False, reason: str = ""
              ) -> Publication:
        """The one place a Publication is made (for :meth:`prepare` and notices)."""
        with _minting():
            publication = Publication(items, channel, rendering, verdict, approved_by,
                                      self.now(), forced=forced, reason=reason)
        _MINTED.add(publication)
        return publication

    def _items(self, items: ItemRef | Sequence[ItemRef]) -> tuple[Item, ...]:
        if isinstance(items, Item | str):
            items = [items]
        return tuple(self.item(i) for i in items)

    # -- lifetime -----------------------------------------------------------------------------

    def close(self) -> None:
        """Close every channel's connections."""
        for channel in self._channels.values():
            channel.close()
        self._channels.clear()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a container
        return "unknown user"

