"""What is wrong right now: the one list ``/healthz``, ``status`` and the alerts agree on.

A site is *degraded* while any of these holds:

* the newest outcome of a campaign on a channel is ``failed`` or ``blocked`` (a template
  error or a broken channel fails every slot until it is fixed);
* a publication failed or was blocked within the last ``window`` (24 hours by default);
* a part is ``unconfirmed`` and waits for an editor's ``resolve``;
* a newsletter issue is ``paused`` (its server went away mid-send).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from k2publisher.record.ledger import DeliveryState, Ledger, PublicationState, utcnow

#: how long a failed publication keeps the site degraded after it failed
WINDOW = timedelta(hours=24)
#: the states of a publication that make it a problem
BAD = (PublicationState.FAILED, PublicationState.BLOCKED)


@dataclass(frozen=True)
class Problem:
    """One reason the site is degraded: a kind and a sentence saying what to do."""

    kind: str       # failing | failed | unconfirmed | newsletter-paused
    message: str

    def as_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"kind": self.kind, "message": self.message}


def problems(ledger: Ledger, *, now: datetime | None = None,
             window: timedelta = WINDOW) -> list[Problem]:
    """Every current problem of the site recorded in ``ledger``, most lasting first."""
    found: list[Problem] = []
    failing = set()
    for pub in ledger.latest_outcomes():
        if pub.state in BAD:
            failing.add(pub.id)
            found.append(Problem("failing", f"campaign {pub.campaign} on {pub.channel}: the "
                                 f"latest publication ({pub.item_id}) {pub.state.value}: "
                                 f"{pub.error or 'see k2publisher status'}"))
    recent = [p for p in ledger.failed_since((now or utcnow()) - window) if p.id not in failing]
    if recent:
        last = recent[-1]
        found.append(Problem("failed", f"{len(recent)} more publication(s) failed or were "
                             f"blocked in the last {window.total_seconds() / 3600:g} h; last: "
                             f"{last.item_id} on {last.channel}: {last.error}"))
    unconfirmed = ledger.deliveries(states=[DeliveryState.UNCONFIRMED])
    if unconfirmed:
        rows = ", ".join(str(d.id) for d in unconfirmed[:10])
        found.append(Problem("unconfirmed", f"{len(unconfirmed)} part(s) may or may not have "
                             f"been posted (rows {rows}): check the channel, then "
                             "`k2publisher resolve ROW --sent` or `--retry`"))
    for issue_id, note in ledger.paused_issues():
        found.append(Problem("newsletter-paused", f"newsletter issue {issue_id} is paused"
                             f"{': ' + note if note else ''}; `k2publisher newsletter send "
                             f"--issue {issue_id}` resumes it"))
    return found
