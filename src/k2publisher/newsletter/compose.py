"""Turning queue items into a stored newsletter issue: render once, guard, store.

The issue's text and HTML are stored with it, so a resumed send (even after the templates
or the items changed) mails exactly what the first recipients received.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from k2publisher.guard.check import claims_policy, enforce
from k2publisher.guard.disclaimers import DisclaimerRules
from k2publisher.models import Item, Rendering
from k2publisher.newsletter.issues import Issue, Issues
from k2publisher.newsletter.transport import channel_options
from k2publisher.render.renderer import Renderer
from k2publisher.settings import Settings


def compose(settings: Settings, items: Sequence[Item]) -> Rendering:
    """The issue for ``items`` (one item, or a digest), checked by the guard.

    Raises :class:`~k2publisher.errors.GuardRefusal` when a disclaimer is missing or a
    claim is blocked.
    """
    channel, _ = channel_options(settings)
    rules = DisclaimerRules.from_settings(settings)
    rendering = Renderer(settings, rules).render_issue(list(items), channel=channel)
    enforce(rendering, list(items), rules, claims_policy=claims_policy(settings, channel))
    return rendering


def new_issue_id(issues: Issues, today: datetime | None = None) -> str:
    """``YYYY-MM-DD`` for today, with ``-2``, ``-3``... when that id is taken."""
    base = (today or datetime.now(UTC)).strftime("%Y-%m-%d")
    candidate, n = base, 1
    while issues.get(candidate) is not None:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def start_issue(issues: Issues, issue_id: str, rendering: Rendering,
                item_ids: Sequence[str]) -> Issue:
    """Store a composed issue and its recipient list (every confirmed subscriber now)."""
    text = rendering.text or (rendering.parts[0].text if rendering.parts else "")
    html = rendering.html or (rendering.parts[0].html if rendering.parts else "") or ""
    return issues.create(issue_id, subject=rendering.subject or issue_id, html=html,
                         text=text, item_ids=item_ids)
