"""Delivering the ledger's pending publications through the real pipeline.

A publication of one item, or a digest of several, goes through
:class:`~k2publisher.deliver.publisher.Publisher` (``Pipeline.prepare``, then deliver), with the
channel's claims policy and the status gate; a digest mailed to subscribers goes through the
newsletter fan-out, whose issue is prepared by the same pipeline. The outcome lands in the
ledger and in one log line. The ledger is the publisher's recorder, so every part is
committed before and after its network call.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from k2publisher.content.queue import Queue
from k2publisher.errors import (
    ChannelFaultError,
    ChannelLookupError,
    ConfigError,
    GuardRefusal,
    K2Error,
    NotReadyRefusal,
    PartBusyError,
    PermanentDeliveryError,
    TransientDeliveryError,
    UncertainDeliveryError,
)
from k2publisher.models import Item, PartReceipt, Receipt
from k2publisher.pipeline import Publication
from k2publisher.record.ledger import (
    Ledger,
    LedgerError,
    PublicationRow,
    PublicationState,
    iso,
)
from k2publisher.service.alerts import Alerts
from k2publisher.service.logs import event
from k2publisher.settings import Settings

log = logging.getLogger("k2publisher.service")
#: transient failures tolerated (one per tick) before a publication is marked failed
MAX_ATTEMPTS = 10


def make_queue(settings: Settings) -> Queue:
    """The queue the service reads, with its on-disk index."""
    return Queue(settings.path("queue"), index_path=settings.path("state") / "queue-index.pickle")


def default_publisher(settings: Settings, queue: Queue, ledger: Ledger) -> Any:
    """The real :class:`~k2publisher.deliver.publisher.Publisher`, recording to ``ledger``."""
    from k2publisher.deliver.publisher import Publisher

    return Publisher(settings, queue=queue, recorder=ledger)


def idempotent_channels(settings: Settings) -> set[str]:
    """Names of configured channels whose type honours idempotency keys."""
    from k2publisher.deliver.registry import channel_configs, channel_types

    types = channel_types()
    return {name for name, options in channel_configs(settings).items()
            if getattr(types.get(str(options.get("type", ""))), "idempotent", False)}


def publish_now(publisher: Any, ledger: Ledger, publication: Publication) -> Receipt:
    """Deliver a publication made by hand and record it (campaign ``manual``) in the ledger.

    The row is written before the first part goes out, so ``status`` shows it and a later
    ``run`` does not pick the item again on that channel; a forced publish keeps its reason.
    A failure is recorded (``failed``, or ``unconfirmed`` when the part may have gone out)
    and raised.
    """
    from k2publisher.service.selection import fingerprint

    items = publication.items
    row = ledger.start_manual(publication.item_ids, publication.channel_name,
                              forced=publication.forced, reason=publication.reason,
                              fingerprint=fingerprint(items[0]) if len(items) == 1 else "")
    try:
        receipt = publisher.send(publication)
    except (LedgerError, UncertainDeliveryError) as exc:
        ledger.finish_publication(row.id, PublicationState.UNCONFIRMED, error=str(exc))
        raise
    except (TransientDeliveryError, ChannelFaultError, ConfigError, PartBusyError) as exc:
        ledger.finish_publication(row.id, PublicationState.FAILED, error=str(exc),
                                  item_at_fault=False)
        raise
    except K2Error as exc:
        ledger.finish_publication(row.id, PublicationState.FAILED, error=str(exc))
        raise
    ledger.finish_publication(row.id, PublicationState.SENT, url=receipt.url)
    ledger.finish_runs()
    event("sent", campaign=row.campaign, item=row.item_id, channel=row.channel,
          url=receipt.url, forced=publication.forced or None,
          reason=publication.reason or None)
    return receipt


class Publishing:
    """Delivers pending publications one at a time; owns one Publisher for the service."""

    def __init__(self, settings: Settings, ledger: Ledger, queue: Queue, *,
                 publisher_factory: Callable[[Settings, Queue, Ledger], Any] = default_publisher,
                 should_stop: Callable[[], bool] = lambda: False,
                 alerts: Alerts | None = None):
        self.settings = settings
        self.ledger = ledger
        self.queue = queue
        #: told of every publication that ends failed, blocked or unconfirmed
        self.alerts = alerts or Alerts(settings, ledger, clock=ledger.clock)
        self._factory = publisher_factory
        self._publisher: Any = None
        self.should_stop = should_stop
        #: how many publications ended in each state since this object was made
        self.outcomes: Counter[PublicationState] = Counter()

    @property
    def publisher(self) -> Any:
        """The publisher, built on first use."""
        if self._publisher is None:
            self._publisher = self._factory(self.settings, self.queue, self.ledger)
        return self._publisher

    def close(self) -> None:
        """Close the publisher's and the alerts' channels."""
        self.alerts.close()
        if self._publisher is not None:
            self._publisher.close()
            self._publisher = None

    def deliver_pending(self) -> int:
        """Deliver every pending publication, oldest first; stop early when asked to.

        Returns how many were attempted.
        """
        pending = self.ledger.pending_publications()
        if pending:
            self.queue.load()
        done = 0
        for listed in pending:
            if self.should_stop():
                break
            pub = self.ledger.publication(listed.id)  # a rate limit met on the way may hold it
            if pub.state is not PublicationState.PENDING or \
                    (pub.not_before and pub.not_before > iso(self.ledger.clock())):
                continue
            self.deliver(pub)
            done += 1
        self.ledger.finish_runs()
        return done

    def deliver(self, pub: PublicationRow) -> PublicationState:
        """Deliver one publication and record its outcome."""
        ids = pub.items or (pub.item_id,)
        try:
            items = [self.queue.get(i) for i in ids]
            if pub.items and self._to_subscribers(pub.campaign):
                receipt = self._newsletter(pub, items)
            else:
                receipt = self.publisher.publish(items if pub.items else items[0],
                                                 pub.channel, force=pub.forced,
                                                 reason=pub.reason)
        except NotReadyRefusal as exc:  # taken back to draft since it was picked
            return self._finish(pub, PublicationState.FAILED, error=str(exc))
        except GuardRefusal as exc:
            return self._finish(pub, PublicationState.BLOCKED, error=str(exc))
        except PartBusyError as exc:  # another process is delivering it: leave it to that one
            event("busy", campaign=pub.campaign, item=pub.item_id, channel=pub.channel,
                  level=logging.WARNING, note=str(exc))
            return PublicationState.PENDING
        except TransientDeliveryError as exc:
            until = None if exc.retry_after is None else \
                self.ledger.clock() + timedelta(seconds=exc.retry_after)
            after = self.ledger.retry_later(pub.id, str(exc), MAX_ATTEMPTS, not_before=until)
            self.outcomes[after.state] += 1
            event("retry-later" if after.state is PublicationState.PENDING else "failed",
                  campaign=pub.campaign, item=pub.item_id, channel=pub.channel,
                  level=logging.WARNING, error=str(exc), attempts=after.attempts,
                  not_before=after.not_before or None)
            if after.state is not PublicationState.PENDING:
                self.alerts.publication(after, after.state.value, str(exc))
            return after.state
        except (LedgerError, UncertainDeliveryError) as exc:  # waits for `resolve`
            return self._finish(pub, PublicationState.UNCONFIRMED, error=str(exc))
        except (ChannelFaultError, ConfigError, ChannelLookupError) as exc:
            # the channel is at fault, not the item: it may go out once that is fixed
            return self._finish(pub, PublicationState.FAILED, error=str(exc),
                                item_at_fault=False)
        except (PermanentDeliveryError, K2Error) as exc:
            return self._finish(pub, PublicationState.FAILED, error=str(exc))
        except Exception as exc:  # a bug in one adapter must not stop the service
            log.exception("unexpected error delivering %s on %s", pub.item_id, pub.channel)
            after = self.ledger.retry_later(pub.id, f"{type(exc).__name__}: {exc}",
                                            MAX_ATTEMPTS)
            if after.state is not PublicationState.PENDING:
                self.alerts.publication(after, after.state.value, after.error)
            return after.state
        return self._finish(pub, PublicationState.SENT, url=receipt.url)

    def _finish(self, pub: PublicationRow, state: PublicationState, *, url: str = "",
                error: str = "", item_at_fault: bool = True) -> PublicationState:
        self.ledger.finish_publication(pub.id, state, url=url, error=error,
                                       item_at_fault=item_at_fault)
        self.outcomes[state] += 1
        level = logging.INFO if state is PublicationState.SENT else logging.WARNING
        event(state.value, campaign=pub.campaign, item=pub.item_id, channel=pub.channel,
              url=url, level=level, error=error)
        if state is not PublicationState.SENT:
            self.alerts.publication(pub, state.value, error)
        return state

    def _to_subscribers(self, campaign: str) -> bool:
        from k2publisher.service.campaigns import load_campaigns

        return any(c.name == campaign and c.subscribers
                   for c in load_campaigns(self.settings, include_disabled=True))

    def _newsletter(self, pub: PublicationRow, items: list[Item]) -> Receipt:
        """Mail the digest to every confirmed subscriber through the resumable fan-out.

        The issue id is derived from the publication, so a crash mid-send resumes the same
        issue on the next tick instead of starting a second one.
        """
        from k2publisher.newsletter.compose import compose, start_issue
        from k2publisher.newsletter.fanout import build_fanout
        from k2publisher.newsletter.issues import Issues
        from k2publisher.newsletter.store import NewsletterStore

        store = NewsletterStore.from_settings(self.settings)
        try:
            issues = Issues(store)
            issue_id = f"{pub.campaign}-{pub.id}"
            if issues.get(issue_id) is None:
                start_issue(issues, issue_id, compose(
                    self.settings, items, pipeline=self.publisher.pipeline))
            summary = build_fanout(self.settings, store, issue_id).run()
        finally:
            store.close()
        if summary.state == "paused":
            self.alerts.newsletter_paused(issue_id, summary.note or str(summary.counts))
        if summary.state != "done":
            raise TransientDeliveryError(f"newsletter issue {issue_id} {summary.state}: "
                                         f"{summary.note or summary.counts}",
                                         channel=pub.channel, item_id=pub.item_id)
        event("newsletter-sent", campaign=pub.campaign, item=pub.item_id, channel=pub.channel,
              issue=issue_id, sent=summary.counts.get("sent", 0))
        return Receipt(item_id=pub.item_id, channel=pub.channel,
                       parts=(PartReceipt(index=0, remote_id=issue_id),))
