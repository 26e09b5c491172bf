"""The welcome mail a subscriber gets the moment they confirm.

It carries the newest issue's items (``[newsletter] welcome = "latest"``), one chosen item
(``welcome = "vitamin-k2/dosage"``), or only the greeting when there is nothing to show yet;
``welcome = ""`` turns it off. It is rendered with the newsletter's own templates
(``email/issue.*`` with ``welcome`` set, which includes ``email/welcome.*``), passes the same
guard as any issue before it goes out, and is built by the same :class:`IssueTemplate` as a
fan-out copy: List-Id, one-click List-Unsubscribe, the recipient's own unsubscribe link.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from k2publisher.errors import GuardRefusal, ItemNotFoundError
from k2publisher.models import Item, Rendering, Status
from k2publisher.newsletter.issues import Issues
from k2publisher.newsletter.message import Identity, IssueTemplate
from k2publisher.newsletter.store import NewsletterStore
from k2publisher.newsletter.subscribers import Source, Subscribers
from k2publisher.newsletter.tokens import Tokens
from k2publisher.newsletter.transport import channel_options, smtp_data, transport_factory
from k2publisher.settings import Settings

log = logging.getLogger("k2publisher.newsletter.welcome")
LATEST = "latest"


class WelcomeMailer:
    """Composes, guards and sends the welcome mail; records it as a subscriber event."""

    def __init__(self, settings: Settings, tokens: Tokens, store: NewsletterStore):
        self.settings = settings
        self.tokens = tokens
        self.store = store
        self.choice = str(settings.section("newsletter").get("welcome", LATEST) or "")
        self.channel, options = channel_options(settings)
        self.identity = Identity.from_settings(settings, options)
        self._open = transport_factory(settings)

    @property
    def enabled(self) -> bool:
        """Whether a welcome mail is configured at all."""
        return bool(self.choice)

    def items(self) -> list[Item]:
        """What the welcome mail shows: the chosen item, or the newest issue's items."""
        from k2publisher.content.queue import Queue

        queue = Queue(self.settings.path("queue"),
                      index_path=self.settings.path("state") / "queue-index.pickle")
        if self.choice != LATEST:
            item = queue.get(self.choice)
            if item.status != Status.READY:
                raise ItemNotFoundError(f"welcome item {item.id!r} is {item.status}, not ready "
                                        "([newsletter] welcome)")
            return [item]
        issues = Issues(self.store).all()
        for issue in issues:
            found = []
            for item_id in issue.item_ids:
                try:
                    found.append(queue.get(item_id))
                except ItemNotFoundError:
                    continue
            if found:
                return found
        return []

    def rendering(self, items: Sequence[Item] | None = None) -> Rendering:
        """The welcome mail as a rendering the guard has passed.

        Raises :class:`~k2publisher.errors.GuardRefusal` when it must not be sent and
        :class:`~k2publisher.errors.ItemNotFoundError` when the chosen item is gone.
        """
        from k2publisher.guard.check import claims_policy, enforce
        from k2publisher.guard.disclaimers import DisclaimerRules
        from k2publisher.render.renderer import Renderer

        chosen = list(self.items() if items is None else items)
        renderer = Renderer(self.settings, DisclaimerRules.from_settings(self.settings))
        rendering = renderer.render_issue(chosen, channel=self.channel, welcome=True)
        enforce(rendering, chosen, renderer.rules,
                claims_policy=claims_policy(self.settings, self.channel))
        return rendering

    def send(self, subscribers: Subscribers, subscriber_id: int, email: str) -> bool:
        """Mail the welcome to a subscriber who just confirmed; False when it was not sent.

        A refusal by the guard or a missing chosen item is logged and sends nothing (the
        confirmation itself stands); a delivery failure raises the channel's error.
        """
        if not self.enabled:
            return False
        try:
            rendering = self.rendering()
        except (GuardRefusal, ItemNotFoundError) as exc:
            log.error("welcome mail for subscriber %s not sent: %s", subscriber_id, exc)
            return False
        template = IssueTemplate.from_rendering(f"welcome-{subscriber_id}", rendering,
                                                self.identity)
        url = self.identity.unsubscribe_url(self.tokens.unsubscribe_token(subscriber_id))
        transport = self._open()
        try:
            transport.send(self.identity.envelope_from, email,
                           smtp_data(template.render(subscriber_id, email, url)))
        finally:
            transport.close()
        shown = ", ".join(rendering.extra.get("items", ())) or "greeting only"
        subscribers.record_event(subscriber_id, "welcome_sent", Source.WEB,
                                 f"welcome mail ({shown}) to {email}")
        return True
