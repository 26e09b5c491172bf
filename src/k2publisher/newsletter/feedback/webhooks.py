"""``POST /webhooks/<channel>[/<token>]``: each ESP's bounce and complaint notifications.

The channel named in the path says which provider's rules apply (its ``type``) and holds
the secrets (``webhook_*``, ``sns_topic_arn``). A request that fails its provider's check
is answered 401/403/409 and changes nothing; a genuine one is recorded by
:class:`~k2publisher.newsletter.feedback.FeedbackRecorder` and answered 200, so the
provider stops retrying. Providers retry on anything else, and a repeat is recorded once.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from werkzeug.wrappers import Request, Response

from k2publisher.newsletter.feedback import FeedbackRecorder, mailgun, postmark, sendgrid, sns
from k2publisher.newsletter.feedback.base import Handler, Hook, WebhookRefused
from k2publisher.newsletter.store import NewsletterStore
from k2publisher.redact import mask
from k2publisher.settings import Settings

log = logging.getLogger("k2publisher.newsletter.webhooks")
#: the largest notification accepted (SendGrid batches events; SNS messages are <= 256 KB)
MAX_BODY = 1024 * 1024


class Webhooks:
    """Verifies and records the providers' notifications for one site."""

    def __init__(self, settings: Settings, store: NewsletterStore, *,
                 sns_fetch: sns.Fetch = sns.fetch_https, now: Callable[[], float] = time.time):
        self.settings = settings
        self.store = store
        self.recorder = FeedbackRecorder.from_settings(settings, store)
        self.tolerance = float(settings.section("newsletter")["webhook_tolerance"])
        self.now = now
        self.sns = sns.SnsVerifier(sns_fetch)
        self.handlers: dict[str, Handler] = {
            "ses": functools.partial(sns.handle, verifier=self.sns),
            "postmark": postmark.handle,
            "mailgun": functools.partial(mailgun.handle, tolerance=self.tolerance, now=now),
            "sendgrid": functools.partial(sendgrid.handle, tolerance=self.tolerance, now=now),
        }
        self._register_secrets()

    def _register_secrets(self) -> None:
        """Mask every ESP channel's secrets (a path token may reach an access log)."""
        from k2publisher.deliver.registry import channel_configs, channel_types, secret_names
        from k2publisher.redact import register

        for options in channel_configs(self.settings).values():
            cls = channel_types().get(str(options.get("type", "")))
            if cls is not None and cls.type_name in self.handlers:
                register(str(options[k]) for k in secret_names(cls) if options.get(k))

    def _seen(self, provider: str, nonce: str, at: float) -> bool:
        """True if ``nonce`` was used before; remembers it for the tolerance window."""
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM newsletter_webhook_nonces WHERE at < ?",
                         (self.now() - 2 * self.tolerance,))
            added = conn.execute("INSERT INTO newsletter_webhook_nonces (provider, nonce, at) "
                                 "VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                                 (provider, nonce, at)).rowcount
        return added == 0

    def _options(self, channel: str) -> Mapping[str, Any] | None:
        table = self.settings.section("channels").get(channel)
        return table if isinstance(table, Mapping) else None

    def __call__(self, request: Request, channel: str, token: str = "") -> Response:
        """Answer one provider post."""
        options = self._options(channel)
        kind = str(options.get("type", "")) if options is not None else ""
        handler = self.handlers.get(kind)
        if options is None or handler is None:
            return _answer(404, "no ESP channel of that name")
        if self.settings.unset(f"channels.{channel}."):
            return _answer(503, f"channel {channel} is disabled (an unset secret)")
        request.max_content_length = MAX_BODY
        auth = request.authorization
        hook = Hook(body=request.get_data(), headers=request.headers, token=token,
                    authorization=(auth.username or "", auth.password or "")
                    if auth is not None and auth.type == "basic" else None)
        secrets = [str(v) for k, v in options.items() if k.startswith("webhook_") and v]
        try:
            verdict = handler(hook, options,
                              lambda nonce, at: self._seen(kind, nonce, at))
        except WebhookRefused as exc:
            log.warning("webhook %s (%s): refused %d: %s", channel, kind, exc.status,
                        mask(exc.reason, secrets))
            return _answer(exc.status, exc.reason if exc.status != 403 else "refused")
        outcomes = self.recorder.record_all(verdict.feedback)
        log.info("webhook %s (%s): %s; %d recorded (%s)", channel, kind, verdict.note,
                 len(outcomes), ", ".join(outcomes) or "nothing to record")
        return _answer(200, f"ok: {len(outcomes)} recorded")


def _answer(status: int, text: str) -> Response:
    return Response(text + "\n", status=status, content_type="text/plain; charset=utf-8",
                    headers={"Cache-Control": "no-store"})
