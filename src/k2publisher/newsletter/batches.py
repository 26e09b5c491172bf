"""One batch of recipients through an ESP transport: build the copies, call, commit.

Shared by the in-process fan-out (:class:`~k2publisher.newsletter.fanout.FanOut`) and by
any worker that claims rows on its own: it takes claimed :class:`Recipient` rows, makes
one :class:`~k2publisher.newsletter.transport.Copy` each (the reader's unsubscribe link),
commits them ``awaiting`` inside the transport's ``final()`` (right before the one request
that hands the batch over), and commits every :class:`Outcome` in one transaction.

A crash between the ``awaiting`` commit and the outcomes leaves the rows ``awaiting``;
the next claim of any worker (once this one has gone) sends them again and counts them
as possible duplicates, as for SMTP.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from k2publisher.errors import (
    ChannelFaultError,
    ConnectionLostError,
    DeliveryError,
    LeaseLostError,
    PermanentDeliveryError,
    TransientDeliveryError,
    UncertainDeliveryError,
)
from k2publisher.newsletter.issues import Issues, Recipient
from k2publisher.newsletter.message import IssueTemplate
from k2publisher.newsletter.tokens import Tokens
from k2publisher.newsletter.transport import BatchTransport, Copy, Outcome

log = logging.getLogger("k2publisher.newsletter")


@dataclass
class BatchReport:
    """What became of one batch: rows per final state, and why the call failed (if it did)."""

    counts: dict[str, int] = field(default_factory=dict)
    #: the channel is misconfigured (credentials, sender not verified): stop the whole run
    fatal: DeliveryError | None = None
    #: the call failed as a whole (connection lost, 429, 5xx): the rows are due again
    lost: bool = False

    def count(self, state: str, n: int = 1) -> None:
        """Add ``n`` rows that ended in ``state``."""
        self.counts[state] = self.counts.get(state, 0) + n


def copies_for(tokens: Tokens, template: IssueTemplate, recipients: Sequence[Recipient]
               ) -> list[Copy]:
    """One copy per recipient with its own one-click unsubscribe link."""
    identity = template.identity
    return [Copy(key=r.subscriber_id, email=r.email,
                 unsubscribe_url=identity.unsubscribe_url(tokens.unsubscribe_token(
                     r.subscriber_id))) for r in recipients]


def send_batch(issues: Issues, tokens: Tokens, template: IssueTemplate,
               transport: BatchTransport, recipients: Sequence[Recipient], *, owner: str,
               retry_delays: Sequence[float]) -> BatchReport:
    """Send claimed ``recipients`` (``sending`` rows) in one call and commit the outcomes.

    Never raises a :class:`DeliveryError`: a whole-call failure is in the report (``fatal``
    puts the rows back ``pending`` and the caller stops; otherwise they are ``deferred``,
    due again, and a call the provider may have accepted marks them possible duplicates).
    """
    issue_id = template.issue_id
    ids = [r.subscriber_id for r in recipients]
    report = BatchReport()
    if not recipients:
        return report
    copies = copies_for(tokens, template, recipients)

    @contextlib.contextmanager
    def final() -> Iterator[None]:
        issues.mark_awaiting(issue_id, owner, ids)  # LeaseLostError: nothing is sent
        yield

    try:
        outcomes = transport.send_batch(template, copies, final=final)
    except UncertainDeliveryError as exc:  # the answer was lost: the provider may have it
        issues.requeue_many(issue_id, ids, str(exc), maybe_accepted=True)
        report.lost = True
        report.count("deferred", len(ids))
        return report
    except LeaseLostError as exc:  # another worker took the rows back: they are its own now
        log.warning("%s", exc)
        issues.unclaim(issue_id, owner, ids)
        return report
    except ChannelFaultError as exc:
        issues.unclaim(issue_id, owner, ids, refused=True)
        report.fatal = exc
        return report
    except ConnectionLostError as exc:
        if exc.dot_sent:
            log.warning("issue %s: %s; %d copies will be sent again (possible duplicates)",
                        issue_id, exc, len(ids))
        issues.requeue_many(issue_id, ids, str(exc), maybe_accepted=exc.dot_sent)
        report.lost = True
        report.count("deferred", len(ids))
        return report
    except TransientDeliveryError as exc:
        outcomes = [Outcome(i, "deferred", error=str(exc), retry_after=exc.retry_after)
                    for i in ids]
        report.lost = True
    except PermanentDeliveryError as exc:
        outcomes = [Outcome(i, "failed", error=str(exc)) for i in ids]
    _check(outcomes, ids, transport)
    for state, n in issues.record_outcomes(issue_id, outcomes, retry_delays).items():
        report.count(state, n)
    return report


def _check(outcomes: Sequence[Outcome], ids: Sequence[int], transport: BatchTransport
           ) -> None:
    """A transport must answer for exactly the copies it was given (else it is a bug)."""
    if sorted(o.key for o in outcomes) != sorted(ids):
        raise RuntimeError(f"transport {transport.name!r} answered for "
                           f"{len(outcomes)} copies of a batch of {len(ids)}")
