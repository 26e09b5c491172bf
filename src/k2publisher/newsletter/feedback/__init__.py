"""Bounces and complaints -> subscriber state, from every provider and the bounce mailbox.

Every source (SES through SNS, Postmark, Mailgun and SendGrid webhooks, DSNs and ARF
reports in the SMTP bounce mailbox) turns what it received into :class:`Feedback` and
hands it to :meth:`FeedbackRecorder.record`, the one place that decides:

- ``complaint``: the subscriber becomes ``complained`` at once (suppressed);
- ``hard``: ``bounced`` at once (suppressed);
- ``soft``: the subscriber's ``soft_bounces`` grows by one; at ``[newsletter]
  soft_bounce_limit`` it becomes ``bounced``. The count is of soft bounces *in a row*: it
  starts again at this one when the last soft bounce is older than
  ``soft_bounce_window_days``, or when a copy was accepted for the subscriber after the
  last soft bounce and at least :data:`DELIVERY_GRACE` before this one (no bounce came
  back for it in the time a mail server keeps retrying: it was delivered). A copy accepted
  more recently proves nothing yet, since its own soft bounce may still be on its way.

A suppressed subscriber is never mailed again (the fan-out only mails ``confirmed`` rows,
and a claimed row whose subscriber left ``confirmed`` is skipped); only a new, explicit
consent lifts it (``subscribers add --reconsent``). Each change is a consent event
(source ``bounce``) in the same transaction. Providers deliver webhooks at least once, so
every feedback carries the provider's event id and a repeat is recorded once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from k2publisher.newsletter.store import NewsletterStore, now_iso
from k2publisher.newsletter.subscribers import SUPPRESSED, Source, State

log = logging.getLogger("k2publisher.newsletter.feedback")

#: how long after a copy was accepted a soft bounce for it may still arrive: mail servers
#: retry for up to 5 days before they give up and send the DSN (RFC 5321 4.5.4.1,
#: Postfix's ``maximal_queue_lifetime``); a copy older than that without a bounce arrived
DELIVERY_GRACE = timedelta(days=5)


class Kind(StrEnum):
    """What the feedback says about the address."""

    HARD = "hard"            # the address does not exist / refuses for good
    SOFT = "soft"            # a temporary failure (mailbox full, greylisted, blocked)
    COMPLAINT = "complaint"  # the reader marked the mail as spam


@dataclass(frozen=True)
class Feedback:
    """One bounce or complaint about one address, as a provider or a DSN reported it."""

    provider: str           # ``ses``, ``postmark``, ``mailgun``, ``sendgrid``, ``mailbox``
    event_id: str           # the provider's id of this event (repeats are recorded once)
    email: str
    kind: Kind
    detail: str = ""        # the provider's reason (status code, diagnostic)
    #: the subscriber named by a VERP return path (trusted over ``email`` when set)
    subscriber_id: int | None = None


class FeedbackRecorder:
    """Applies feedback to subscribers; ``soft_limit`` soft bounces in a row make one hard
    (a row ends after ``window_days`` without a soft bounce, or at a delivered copy)."""

    def __init__(self, store: NewsletterStore, *, soft_limit: int = 3, window_days: int = 30):
        self.store = store
        self.soft_limit = max(1, int(soft_limit))
        self.window = timedelta(days=max(1, int(window_days)))

    @classmethod
    def from_settings(cls, settings, store: NewsletterStore | None = None) -> FeedbackRecorder:
        """The recorder with ``[newsletter] soft_bounce_limit`` and
        ``soft_bounce_window_days``."""
        store = store or NewsletterStore.from_settings(settings)
        section = settings.section("newsletter")
        return cls(store, soft_limit=int(section["soft_bounce_limit"]),
                   window_days=int(section["soft_bounce_window_days"]))

    def record(self, fb: Feedback) -> str:
        """Apply one feedback; returns what happened (``bounced``, ``complained``,
        ``soft 1/3``, ``already bounced``, ``repeat``, ``unknown address``)."""
        stamp = now_iso()
        with self.store.transaction() as conn:
            seen = conn.execute("SELECT outcome FROM newsletter_feedback WHERE provider = ? "
                                "AND event_id = ?", (fb.provider, fb.event_id)).fetchone()
            if seen is not None:
                return "repeat"
            row = None
            if fb.subscriber_id is not None:
                row = conn.execute("SELECT id, state, soft_bounces, last_soft_bounce_at "
                                   "FROM newsletter_subscribers "
                                   "WHERE id = ?", (fb.subscriber_id,)).fetchone()
            if row is None:
                row = conn.execute("SELECT id, state, soft_bounces, last_soft_bounce_at "
                                   "FROM newsletter_subscribers "
                                   "WHERE email = ?", (fb.email.strip().lower(),)).fetchone()
            outcome = "unknown address" if row is None else self._apply(conn, row, fb, stamp)
            conn.execute("INSERT INTO newsletter_feedback (provider, event_id, at, email, kind, "
                         "outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (fb.provider, fb.event_id, stamp, fb.email, fb.kind.value, outcome,
                          fb.detail[:500]))
        log.info("%s %s for %s: %s (%s)", fb.provider, fb.kind.value, fb.email, outcome,
                 fb.detail[:120])
        return outcome

    def record_all(self, items: list[Feedback]) -> list[str]:
        """:meth:`record` each; the outcomes in order."""
        return [self.record(fb) for fb in items]

    def _apply(self, conn, row, fb: Feedback, stamp: str) -> str:
        sid, state, soft = int(row[0]), State(row[1]), int(row[2])
        detail = f"{fb.provider}: {fb.detail}"[:500]
        if fb.kind is Kind.COMPLAINT:
            if state is State.COMPLAINED:
                return "already complained"
            return self._move(conn, sid, state, State.COMPLAINED, "complaint", detail, stamp)
        if state in SUPPRESSED:
            return f"already {state.value}"
        if fb.kind is Kind.HARD:
            return self._move(conn, sid, state, State.BOUNCED, "bounce", detail, stamp)
        restarted = self._streak_ended(conn, sid, str(row[3] or ""), stamp) if soft else ""
        soft = 1 if restarted else soft + 1
        conn.execute("UPDATE newsletter_subscribers SET soft_bounces = ?, "
                     "last_soft_bounce_at = ?, updated_at = ? WHERE id = ?",
                     (soft, stamp, stamp, sid))
        if soft >= self.soft_limit and state is State.CONFIRMED:
            return self._move(conn, sid, state, State.BOUNCED, "bounce",
                              f"{detail} ({soft} soft bounces in a row)", stamp)
        note = f"; the count restarted: {restarted}" if restarted else ""
        self._event(conn, sid, "soft-bounce", None, None,
                    f"{detail} ({soft}/{self.soft_limit}{note})"[:500], stamp)
        return f"soft {soft}/{self.soft_limit}"

    def _streak_ended(self, conn, sid: int, last: str, stamp: str) -> str:
        """Why the soft bounces before this one no longer count ("" = they still do)."""
        now = datetime.fromisoformat(stamp)
        if not last or datetime.fromisoformat(last) < now - self.window:
            return f"the last soft bounce is older than {self.window.days} days"
        settled = (now - DELIVERY_GRACE).isoformat(timespec="microseconds")
        # issue by issue (a handful), each row found by its primary key, never a scan of
        # every reader's deliveries (CROSS JOIN keeps that order on SQLite)
        delivered = conn.execute(
            "SELECT d.issue_id FROM newsletter_issues i CROSS JOIN newsletter_deliveries d "
            "WHERE d.issue_id = i.id AND d.subscriber_id = ? AND i.created_at <= ? AND "
            "d.state = 'sent' AND d.updated_at > ? AND d.updated_at <= ? "
            "ORDER BY d.updated_at DESC LIMIT 1", (sid, settled, last, settled)).fetchone()
        if delivered is not None:
            return (f"issue {delivered[0]} was delivered since the last soft bounce (no "
                    f"bounce in {DELIVERY_GRACE.days} days)")
        return ""

    def _move(self, conn, sid: int, old: State, new: State, event: str, detail: str,
              stamp: str) -> str:
        conn.execute("UPDATE newsletter_subscribers SET state = ?, updated_at = ? WHERE id = ?",
                     (new.value, stamp, sid))
        self._event(conn, sid, event, old.value, new.value, detail, stamp)
        return new.value

    @staticmethod
    def _event(conn, sid: int, event: str, old: str | None, new: str | None, detail: str,
               stamp: str) -> None:
        conn.execute("INSERT INTO newsletter_events (subscriber_id, at, event, old_state, "
                     "new_state, source, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (sid, stamp, event, old, new, Source.BOUNCE.value, detail))
