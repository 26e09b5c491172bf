"""The one delivery loop: idempotency keys, retries, backoff, recording.

Every channel goes through :func:`deliver`, which takes only an approved
:class:`~k2publisher.pipeline.Publication` (the guard has run in ``Pipeline.prepare``). For
each part it derives a stable idempotency key, skips parts the recorder already holds a
receipt for, tells the recorder before and after the network call, and retries
:class:`~k2publisher.errors.TransientDeliveryError` with exponential backoff and full jitter,
or waits exactly as long as the network asked (``retry_after``). ``sleep``, the random source
and the clock are injected so tests can check every wait without waiting.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from k2publisher.abc import Channel, Recorder
from k2publisher.errors import (
    ConfigError,
    DeliveryError,
    TransientDeliveryError,
    UncertainDeliveryError,
)
from k2publisher.models import PartReceipt, Receipt
from k2publisher.pipeline import Publication, approved
from k2publisher.record.rows import LedgerError
from k2publisher.redact import mask
from k2publisher.settings import DEFAULTS, resolve

if TYPE_CHECKING:
    from k2publisher.content.queue import Queue
    from k2publisher.settings import Settings

log = logging.getLogger("k2publisher.deliver")
T = TypeVar("T")


_DEFAULT = DEFAULTS["delivery"]


@dataclass(frozen=True)
class RetryPolicy:
    """The ``[delivery]`` settings: attempts, backoff and timeouts (seconds)."""

    # defaults documented once, in settings.DEFAULTS["delivery"]
    max_attempts: int = _DEFAULT["max_attempts"]
    backoff_base: float = _DEFAULT["backoff_base"]
    backoff_max: float = _DEFAULT["backoff_max"]
    max_wait: float = _DEFAULT["max_wait"]
    connect_timeout: float = _DEFAULT["connect_timeout"]
    timeout: float = _DEFAULT["timeout"]

    @classmethod
    def from_settings(cls, settings: Settings | None) -> RetryPolicy:
        """The policy from ``[delivery]``, as typed and checked by the settings schema."""
        if settings is None:
            return cls()
        typed = settings.typed.delivery
        return cls(**{name: type(default)(getattr(typed, name))
                      for name, default in cls().__dict__.items() if hasattr(typed, name)})

    def backoff_ceiling(self, attempt: int) -> float:
        """The upper bound of the wait after failed attempt number ``attempt`` (1-based)."""
        return min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Exponential backoff with full jitter: uniform in ``[0, backoff_ceiling]``."""
        return rng.uniform(0.0, self.backoff_ceiling(attempt))


@dataclass
class ChannelContext:
    """What an adapter may use besides its own options: settings, queue, policy, clock."""

    settings: Settings | None = None
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    clock: Callable[[], datetime] | None = None
    _queue: Queue | None = None

    def resolve(self, value: str) -> Path:
        """A configured path, relative to the site root when settings are known."""
        return resolve(self.settings.root, value) if self.settings else Path(value)

    @property
    def queue(self) -> Queue:
        """The content queue (built from ``[paths] queue`` on first use)."""
        if self._queue is None:
            from k2publisher.content.queue import Queue

            if self.settings is None:
                raise ConfigError("this channel needs the settings to find the queue")
            self._queue = Queue(self.settings.path("queue"),
                                index_path=self.settings.path("state") / "queue-index.pickle")
        return self._queue


def idempotency_key(item_id: str, channel: str, index: int) -> str:
    """The stable key of one part: sha256 hex of item id, channel name and part index."""
    return hashlib.sha256(f"{item_id}\x1f{channel}\x1f{index}".encode()).hexdigest()


def channel_secrets(channel: Channel) -> list[str]:
    """The secret option values of ``channel`` (for masking)."""
    return [str(channel.options[k]) for k in channel.secret_settings if channel.options.get(k)]


def send_with_retries(send: Callable[[], T], *, policy: RetryPolicy,
                      sleep: Callable[[float], Any] = time.sleep,
                      rng: random.Random | None = None, what: str = "",
                      secrets: Iterable[str] = ()) -> T:
    """Call ``send`` until it succeeds, retrying transient errors per ``policy``.

    A transient error that carries ``retry_after`` waits exactly that long (a rate limit);
    others wait a full-jitter backoff. A requested wait longer than ``max_wait``, or the last
    attempt failing, re-raises the transient error so a scheduler can try again later.
    """
    rng = rng or random.Random()
    attempt = 1
    while True:
        try:
            return send()
        except TransientDeliveryError as exc:
            if attempt >= max(1, policy.max_attempts):
                raise
            if exc.retry_after is not None:
                wait = exc.retry_after
                if wait > policy.max_wait:
                    log.warning(mask(f"{what} outcome=rate-limited wait={wait:.0f}s "
                                     f"(over max_wait {policy.max_wait:.0f}s): {exc}", secrets))
                    raise
            else:
                wait = policy.backoff(attempt, rng)
            log.info(mask(f"{what} outcome=retry attempt={attempt} wait={wait:.2f}s: {exc}",
                          secrets))
            sleep(wait)
            attempt += 1


def _with_item(exc: DeliveryError, item_id: str, channel: str, index: int, total: int
               ) -> DeliveryError:
    if exc.item_id:
        return exc
    raw = str(exc).removeprefix(f"[{exc.channel}]").strip() if exc.channel else str(exc)
    error = type(exc)(f"part {index + 1} of {total}: {raw}", channel=exc.channel or channel,
                      item_id=item_id, status=exc.status, retry_after=exc.retry_after)
    for key, value in vars(exc).items():  # subclass details, e.g. ConnectionLostError.dot_sent
        if key not in ("channel", "item_id", "status", "retry_after"):
            setattr(error, key, value)
    return error


def deliver(publication: Publication, *, recorder: Recorder | None = None,
            sleep: Callable[[float], Any] = time.sleep, policy: RetryPolicy | None = None,
            rng: random.Random | None = None) -> Receipt:
    """Send every part of an approved ``publication`` on its channel; return the receipt.

    ``publication`` must come from :meth:`k2publisher.pipeline.Pipeline.prepare` (anything
    else raises TypeError before a byte leaves): the status gate and the guard have already
    passed, so there is nothing for a caller to forget. Parts the recorder already has are
    not sent again. On final failure the recorder is told and the typed error is raised,
    naming the item, the channel and the part.
    """
    publication = approved(publication)
    channel, rendering = publication.channel, publication.rendering
    policy = policy or _policy_of(channel)
    secrets = channel_secrets(channel)
    item, name, total = rendering.item_id, channel.name, len(rendering.parts)
    receipts: list[PartReceipt] = []
    previous: PartReceipt | None = None
    for index in range(total):
        where = f"item={item} channel={name} part={index + 1}/{total}"
        done = recorder.already_sent(item, name, index) if recorder else None
        if done is not None:
            log.info(mask(f"{where} outcome=already-sent url={done.url or '-'}", secrets))
            receipts.append(done)
            previous = done
            continue
        if previous is not None and channel.supports_threads and not previous.remote_id:
            # an editor marked the part before sent without saying which post it is
            raise LedgerError(f"part {index} of {item!r} on {name!r} replies to part "
                              f"{index - 1}, whose remote id is unknown: give it with "
                              "`k2publisher resolve ROW --sent --remote-id ID|URL` (the row "
                              "is in `k2publisher status`)")
        key = idempotency_key(item, name, index)
        if recorder:
            recorder.sending(item, name, index, key, idempotent=channel.idempotent)
        prior = previous
        try:
            receipt = send_with_retries(
                lambda i=index, p=prior, k=key: channel.send_part(rendering, i, p, k),
                policy=policy, sleep=sleep, rng=rng, what=where, secrets=secrets)
        except DeliveryError as exc:
            error = _with_item(exc, item, name, index, total)
            transient = isinstance(error, TransientDeliveryError)
            log.error(mask(f"{where} outcome={'transient' if transient else 'failed'}: "
                           f"{error}", secrets))
            if recorder:
                recorder.failed(item, name, index, error, transient)
            if error is exc:
                raise
            raise error from exc
        except Exception as exc:
            # not classified (a bug in an adapter): the part may or may not have left, so
            # it is recorded unconfirmed for an editor, never left "sending"
            log.error(mask(f"{where} outcome=error: {type(exc).__name__}: {exc}", secrets))
            if recorder:
                recorder.failed(item, name, index, UncertainDeliveryError(
                    f"part {index + 1} of {total}: unexpected {type(exc).__name__}: {exc}; "
                    "it may or may not have been posted", channel=name, item_id=item),
                    False)
            raise
        if recorder:
            recorder.sent(item, name, index, receipt)
        log.info(mask(f"{where} outcome=sent id={receipt.remote_id} url={receipt.url or '-'}",
                      secrets))
        receipts.append(receipt)
        previous = receipt
    return Receipt(item_id=item, channel=name, parts=tuple(receipts))


def preview(publication: Publication) -> list[str]:
    """What :func:`deliver` would send for ``publication``, one masked text per part.

    Nothing is sent; ``publication`` must come from ``Pipeline.prepare`` as for a delivery,
    so a dry run passes the same status gate and guard.
    """
    publication = approved(publication)
    channel, rendering = publication.channel, publication.rendering
    secrets = channel_secrets(channel)
    out: list[str] = []
    previous: PartReceipt | None = None
    for index in range(len(rendering.parts)):
        key = idempotency_key(rendering.item_id, channel.name, index)
        out.append(mask(channel.describe(rendering, index, previous, key), secrets))
        previous = PartReceipt(index=index, remote_id=f"<id of part {index}>", url="")
    return out


def _policy_of(channel: Channel) -> RetryPolicy:
    context = channel.context
    return context.policy if isinstance(context, ChannelContext) else RetryPolicy()
