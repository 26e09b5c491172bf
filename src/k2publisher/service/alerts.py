"""Alerts: one short message to the operator per failed, blocked or unconfirmed publication
and per paused newsletter issue, through any configured channel, rate-limited.

``[alerts] channels`` names channels from ``[channels]``: a Slack, Discord or Telegram
webhook/bot, or an email channel (``smtp`` or ``maildir``) whose ``to`` is the operator's
address. At most ``per_hour`` alerts go out in any hour; the ones held back are counted
and the next alert that goes out says how many (the count and the send times live in the
ledger's ``meta`` table, so a restart does not reset the limit).

An alert is operational text only (the campaign, item id, channel, state and error), never
an item's content. It still goes the one way anything reaches a channel:
:meth:`~k2publisher.pipeline.Pipeline.prepare_notice` approves it (the claims scan and the
channel's limits; no disclaimer is due without an item) and
:func:`~k2publisher.deliver.core.deliver` sends it. If the error text quotes a blocked
claim, the alert goes out without that text. A failing alert channel is logged and never
disturbs the publishing that raised the alert.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from k2publisher.abc import Channel
from k2publisher.deliver.core import ChannelContext, RetryPolicy, deliver
from k2publisher.errors import K2Error, PublicationRefused
from k2publisher.models import Part, Rendering
from k2publisher.pipeline import Pipeline
from k2publisher.record.ledger import Ledger, PublicationRow, iso, utcnow
from k2publisher.redact import mask
from k2publisher.render.escaping import ESCAPERS, plain
from k2publisher.render.profiles import get_profile
from k2publisher.settings import Settings

log = logging.getLogger("k2publisher.alerts")
#: a short retry budget: an alert must not hold the delivery worker for long
POLICY = RetryPolicy(max_attempts=2, backoff_base=1.0, max_wait=30.0, timeout=15.0)
META_KEY = "alerts"


class Alerts:
    """Sends alerts for one site; a no-op when ``[alerts] channels`` is empty."""

    def __init__(self, settings: Settings, ledger: Ledger, *,
                 clock: Callable[[], datetime] = utcnow):
        table = settings.typed.alerts
        self.settings = settings
        self.ledger = ledger
        self.clock = clock
        self.names = list(table.channels)
        self.per_hour = table.per_hour
        self.site = str(settings.site.get("name") or settings.root.name)
        self._pipeline: Pipeline | None = None

    @property
    def pipeline(self) -> Pipeline:
        """The pipeline that approves alerts (its channels use the short retry budget)."""
        if self._pipeline is None:
            self._pipeline = Pipeline(self.settings, context=ChannelContext(
                settings=self.settings, policy=POLICY))
        return self._pipeline

    # -- what raises an alert -----------------------------------------------------------

    def publication(self, pub: PublicationRow, state: str, error: str = "") -> None:
        """A publication ended ``failed``, ``blocked`` or ``unconfirmed``."""
        self.send(f"{state}: {pub.item_id} on {pub.channel}",
                  f"campaign {pub.campaign}: {pub.item_id} on {pub.channel} is {state}.\n"
                  f"{error or '(no error text)'}\nSee `k2publisher status`.")

    def newsletter_paused(self, issue_id: str, note: str) -> None:
        """A newsletter issue paused mid-send (its server went away)."""
        self.send(f"newsletter paused: {issue_id}",
                  f"newsletter issue {issue_id} paused: {note or '(no reason given)'}\n"
                  f"It resumes at the next tick, or: k2publisher newsletter send --issue "
                  f"{issue_id}")

    # -- sending ------------------------------------------------------------------------

    def send(self, subject: str, text: str) -> bool:
        """Send one alert to every alert channel unless the hourly limit holds it back.

        Returns whether it went out (to at least one channel).
        """
        if not self.names:
            return False
        held = self._admit()
        if held is None:
            log.warning(mask(f"outcome=alert-held (over {self.per_hour} per hour): {subject}"))
            return False
        if held:
            text += f"\n({held} more alert(s) were held back by the hourly limit; see " \
                    "`k2publisher status`.)"
        sent = False
        for name in self.names:
            sent = self._send_one(name, f"[{self.site}] {subject}", text) or sent
        return sent

    def _admit(self) -> int | None:
        """Record one alert in the rate window: how many were held before it, or None."""
        now = self.clock()
        state: dict[str, Any] = json.loads(self.ledger.get_meta(META_KEY) or "{}")
        cutoff = iso(now - timedelta(hours=1))
        times = [t for t in state.get("sent", []) if t >= cutoff]
        held = int(state.get("held", 0))
        if len(times) >= self.per_hour:
            self.ledger.set_meta(META_KEY, json.dumps({"sent": times, "held": held + 1}))
            return None
        self.ledger.set_meta(META_KEY, json.dumps({"sent": [*times, iso(now)], "held": 0}))
        return held

    def _send_one(self, name: str, subject: str, text: str) -> bool:
        try:
            channel = self.pipeline.channel(name)
            try:
                notice = self.pipeline.prepare_notice(
                    channel, alert_rendering(channel, subject, text))
            except PublicationRefused:  # the error text quotes a claim: leave it out
                notice = self.pipeline.prepare_notice(channel, alert_rendering(
                    channel, subject, "Details left out; see `k2publisher status`."))
            deliver(notice, policy=POLICY)
        except (K2Error, OSError) as exc:
            log.error(mask(f"channel={name} outcome=alert-failed: {exc}"))
            return False
        log.info(mask(f"channel={name} outcome=alert-sent: {subject}"))
        return True

    def close(self) -> None:
        """Close the alert channels' connections."""
        if self._pipeline is not None:
            self._pipeline.close()
            self._pipeline = None


def alert_rendering(channel: Channel, subject: str, text: str) -> Rendering:
    """The alert as a one-part rendering in ``channel``'s markup, cut to its limit."""
    profile = get_profile(channel.render_profile)
    body = f"{subject}\n{text}" if profile.family == "social" else text
    if profile.limit:
        body = body[:profile.limit - 1] + "…" if len(body) > profile.limit else body
    shown = ESCAPERS.get(profile.markup, plain)(body)  # email and feed markup: plain text
    return Rendering(item_id="alert", channel=channel.name, profile=profile.name,
                     family=profile.family, parts=(Part(text=shown),),
                     subject=subject, text=body, html=None, limit=profile.limit)
