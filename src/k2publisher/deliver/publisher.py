"""The Publisher: render -> guard -> deliver for one item on one configured channel.

It is what the CLI (``k2publisher publish``) and the scheduler call. It owns the channel
instances (so an SMTP connection or an HTTP session is reused across items) and hands
:func:`k2publisher.deliver.core.deliver` the guard, so the guard is always the last step
before anything is sent, in a dry run too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any

from k2publisher.abc import Channel, Recorder
from k2publisher.content.queue import Queue
from k2publisher.deliver.core import ChannelContext, RetryPolicy, deliver, preview
from k2publisher.deliver.registry import load_channel
from k2publisher.models import Item, PartReceipt, Receipt, Rendering
from k2publisher.settings import Settings


class Publisher:
    """Publishes queue items on the channels configured in ``settings``."""

    def __init__(self, settings: Settings, *, queue: Queue | None = None,
                 recorder: Recorder | None = None, sleep: Callable[[float], Any] = time.sleep,
                 renderer: Any = None, rules: Any = None):
        self.settings = settings
        self.recorder = recorder
        self.sleep = sleep
        self.context = ChannelContext(settings=settings,
                                      policy=RetryPolicy.from_settings(settings), _queue=queue)
        self._renderer = renderer
        self._rules = rules
        self._channels: dict[str, Channel] = {}

    @property
    def queue(self) -> Queue:
        """The content queue items are looked up in."""
        return self.context.queue

    @property
    def rules(self) -> Any:
        """The guard's disclaimer rules for this site."""
        if self._rules is None:
            from k2publisher.guard.disclaimers import DisclaimerRules

            self._rules = DisclaimerRules.from_settings(self.settings)
        return self._rules

    @property
    def renderer(self) -> Any:
        """The renderer (built on first use)."""
        if self._renderer is None:
            from k2publisher.render.renderer import Renderer

            self._renderer = Renderer(self.settings, self.rules)
        return self._renderer

    def channel(self, name: str) -> Channel:
        """The configured channel ``name`` (built once, then reused)."""
        if name not in self._channels:
            self._channels[name] = load_channel(name, self.settings, self.context)
        return self._channels[name]

    def _item(self, item: Item | str) -> Item:
        return self.queue.get(item) if isinstance(item, str) else item

    def render(self, item: Item | str, channel_name: str) -> Rendering:
        """``item`` rendered with the channel's profile (no guard yet)."""
        channel = self.channel(channel_name)
        return self.renderer.render(self._item(item), channel.render_profile,
                                    channel=channel_name)

    def guard(self, item: Item) -> Callable[[Rendering], Any]:
        """The guard check for ``item``: raises :class:`GuardRefusal` on a bad rendering."""
        from k2publisher.guard.check import enforce

        policy = str(self.settings.section("guard").get("claims", "block"))
        return partial(enforce, item=item, rules=self.rules, claims_policy=policy)

    def prepare(self, item: Item | str, channel_name: str) -> Rendering:
        """Render and guard: the rendering that would be sent, or :class:`GuardRefusal`."""
        item = self._item(item)
        rendering = self.render(item, channel_name)
        self.guard(item)(rendering)
        return rendering

    def dry_run(self, item: Item | str, channel_name: str) -> list[str]:
        """What publishing would send (one masked request/message per part); sends nothing."""
        item = self._item(item)
        return preview(self.channel(channel_name), self.render(item, channel_name),
                       guard=self.guard(item))

    def publish(self, item: Item | str, channel_name: str, *, dry_run: bool = False
                ) -> Receipt:
        """Render, guard and deliver ``item`` on ``channel_name``; return the receipt.

        With ``dry_run`` nothing is sent: the receipt's parts have ``remote_id="dry-run"``
        (use :meth:`dry_run` for the requests themselves).
        """
        item = self._item(item)
        if dry_run:
            shown = self.dry_run(item, channel_name)
            return Receipt(item.id, channel_name, tuple(
                PartReceipt(index=i, remote_id="dry-run") for i in range(len(shown))))
        return deliver(self.channel(channel_name), self.render(item, channel_name),
                       recorder=self.recorder, sleep=self.sleep, policy=self.context.policy,
                       guard=self.guard(item))

    def close(self) -> None:
        """Close every channel's connections."""
        for channel in self._channels.values():
            channel.close()
        self._channels.clear()

    def __enter__(self) -> Publisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
