"""Turning queue items into a stored newsletter issue: prepare once, store.

The issue is a :class:`~k2publisher.pipeline.Publication` from ``Pipeline.prepare`` on the
newsletter's channel (status gate, guard, that channel's claims policy). Its text and HTML
are stored with it, so a resumed send (even after the templates or the items changed) mails
exactly what the first recipients received.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from k2publisher.models import Item
from k2publisher.newsletter.issues import Issue, Issues
from k2publisher.newsletter.transport import channel_options
from k2publisher.pipeline import Pipeline, Publication
from k2publisher.settings import Settings


def compose(settings: Settings, items: Sequence[Item], *, pipeline: Pipeline | None = None
            ) -> Publication:
    """The approved issue for ``items`` (one item, or a digest) on the newsletter's channel.

    Raises :class:`~k2publisher.errors.PublicationRefused` when an item is not ``ready``, a
    disclaimer is missing or a claim is blocked.
    """
    channel, _ = channel_options(settings)
    pipeline = pipeline or Pipeline(settings)
    return pipeline.prepare(list(items), channel)


def new_issue_id(issues: Issues, today: datetime | None = None) -> str:
    """``YYYY-MM-DD`` for today, with ``-2``, ``-3``... when that id is taken."""
    base = (today or datetime.now(UTC)).strftime("%Y-%m-%d")
    candidate, n = base, 1
    while issues.get(candidate) is not None:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def start_issue(issues: Issues, issue_id: str, publication: Publication) -> Issue:
    """Store a composed issue and its recipient list (every confirmed subscriber now)."""
    rendering = publication.rendering
    text = rendering.text or (rendering.parts[0].text if rendering.parts else "")
    html = rendering.html or (rendering.parts[0].html if rendering.parts else "") or ""
    return issues.create(issue_id, subject=rendering.subject or issue_id, html=html,
                         text=text, item_ids=list(publication.item_ids))
