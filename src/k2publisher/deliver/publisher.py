"""The Publisher: prepare (render, status gate, guard) then deliver, on configured channels.

It is what the CLI (``k2publisher publish``) and the service call. It holds one
:class:`~k2publisher.pipeline.Pipeline` (which owns the channel instances, so an SMTP
connection or an HTTP session is reused across items) and hands
:func:`k2publisher.deliver.core.deliver` only the :class:`~k2publisher.pipeline.Publication`
that ``Pipeline.prepare`` returned, in a dry run too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from k2publisher.abc import Channel, Recorder
from k2publisher.content.queue import Queue
from k2publisher.deliver.core import ChannelContext, deliver, preview
from k2publisher.models import Item, PartReceipt, Receipt, Rendering
from k2publisher.pipeline import Pipeline, Publication
from k2publisher.settings import Settings

ItemRef = Item | str


class Publisher:
    """Publishes queue items on the channels configured in ``settings``."""

    def __init__(self, settings: Settings, *, queue: Queue | None = None,
                 recorder: Recorder | None = None, sleep: Callable[[float], Any] = time.sleep,
                 renderer: Any = None, rules: Any = None, pipeline: Pipeline | None = None):
        self.settings = settings
        self.recorder = recorder
        self.sleep = sleep
        from k2publisher.record.ledger import Ledger

        self.pipeline = pipeline or Pipeline(
            settings, queue=queue, rules=rules, renderer=renderer,
            ledger=recorder if isinstance(recorder, Ledger) else None)

    @property
    def context(self) -> ChannelContext:
        """What the channels may use: settings, retry policy, clock, queue."""
        return self.pipeline.context

    @property
    def queue(self) -> Queue:
        """The content queue items are looked up in."""
        return self.pipeline.queue

    @property
    def rules(self) -> Any:
        """The guard's disclaimer rules for this site."""
        return self.pipeline.rules

    @property
    def renderer(self) -> Any:
        """The renderer (built on first use)."""
        return self.pipeline.renderer

    def channel(self, name: str) -> Channel:
        """The configured channel ``name`` (built once, then reused)."""
        return self.pipeline.channel(name)

    def render(self, item: ItemRef, channel_name: str) -> Rendering:
        """``item`` rendered with the channel's profile (no guard yet)."""
        return self.pipeline.render([self.pipeline.item(item)], channel_name)

    def prepare(self, items: ItemRef | Sequence[ItemRef], channel_name: str, *,
                force: bool = False, reason: str = "") -> Publication:
        """The approved publication (see :meth:`Pipeline.prepare`), or a refusal."""
        return self.pipeline.prepare(items, channel_name, force=force, reason=reason)

    def dry_run(self, item: ItemRef, channel_name: str, *, force: bool = False,
                reason: str = "") -> list[str]:
        """What publishing would send (one masked request/message per part); sends nothing."""
        return preview(self.prepare(item, channel_name, force=force, reason=reason))

    def send(self, publication: Publication) -> Receipt:
        """Deliver an approved publication, recording every part."""
        return deliver(publication, recorder=self.recorder, sleep=self.sleep,
                       policy=self.pipeline.context.policy)

    def publish(self, item: ItemRef | Sequence[ItemRef], channel_name: str, *,
                dry_run: bool = False, force: bool = False, reason: str = "") -> Receipt:
        """Prepare and deliver ``item`` (or a digest of items) on ``channel_name``.

        With ``dry_run`` nothing is sent: the receipt's parts have ``remote_id="dry-run"``
        (use :meth:`dry_run` for the requests themselves).
        """
        publication = self.prepare(item, channel_name, force=force, reason=reason)
        if dry_run:
            shown = preview(publication)
            return Receipt(publication.rendering.item_id, channel_name, tuple(
                PartReceipt(index=i, remote_id="dry-run") for i in range(len(shown))))
        return self.send(publication)

    def close(self) -> None:
        """Close every channel's connections."""
        self.pipeline.close()

    def __enter__(self) -> Publisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
