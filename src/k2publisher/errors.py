"""Every error k2publisher raises on purpose.

One root (:class:`K2Error`), subclasses split by what the caller can do about them,
each mixed with the nearest builtin so ``except ValueError`` style handling still works.
Messages name the file and line, the item and the channel wherever those are known.
"""

from __future__ import annotations

from pathlib import Path


class K2Error(Exception):
    """Root of every error k2publisher raises on purpose."""

    exit_code = 1


def _where(path: Path | str | None, line: int | None) -> str:
    if path is None:
        return ""
    return f"{path}:{line}: " if line else f"{path}: "


class ConfigError(K2Error, ValueError):
    """The configuration is wrong: fix the file (or the environment) it names."""

    exit_code = 3

    def __init__(self, message: str, path: Path | str | None = None, line: int | None = None):
        self.path = path
        self.line = line
        self.message = message
        super().__init__(f"{_where(path, line)}{message}")


class StoreUnavailableError(ConfigError):
    """The store cannot serve a statement now: its server does not answer, the connection
    broke, or every pooled connection stayed busy. Exit 3; the service logs it and tries
    again at its next tick (nothing is lost: the statement's transaction did not commit)."""


class SettingsError(ConfigError):
    """One or more settings have the wrong type or value; ``problems`` lists each with its
    ``file:line`` and the fix."""

    def __init__(self, problems: list, path: Path | str | None = None):
        self.problems = list(problems)
        lines = [str(p) for p in self.problems]
        head = f"{len(lines)} setting(s) to fix:\n  " if len(lines) > 1 else ""
        super().__init__(head + "\n  ".join(lines))
        self.path = path
        self.line = self.problems[0].line if self.problems else None


class MissingSecretError(ConfigError):
    """A setting refers to a ``${VAR}`` that is not set; only what uses it is disabled."""

    def __init__(self, what: str, unset: dict[str, list[str]], root: Path | str | None,
                 path: Path | str | None = None, line: int | None = None):
        self.what = what
        self.unset = dict(unset)
        names = sorted(unset)
        uses = "; ".join(f"${{{n}}} (used by {', '.join(unset[n])})" for n in names)
        env = f"{root}/.env" if root else ".env"
        #: why, without the subject: ``${X} (used by ...) not set; add X=... to .env ...``
        self.reason = (f"{uses} not set; add " + ", ".join(f"{n}=..." for n in names)
                       + f" to {env} or the environment")
        super().__init__(f"{what} is disabled: {self.reason}", path, line)


class QueueFileError(K2Error, ValueError):
    """A queue file cannot be read as an item; the message says where and how to fix it."""

    def __init__(self, path: Path | str, line: int | None, message: str):
        self.path = path
        self.line = line
        self.message = message
        super().__init__(f"{_where(path, line or 1)}{message}")


class ItemNotFoundError(K2Error, LookupError):
    """No queue item has the given id."""

    def __init__(self, item_id: str):
        self.item_id = item_id
        super().__init__(f"no queue item with id {item_id!r} (see `k2publisher queue list`)")


class ImportSourceError(K2Error, ValueError):
    """An import source cannot be read or recognised."""


class TemplateError(K2Error, ValueError):
    """A template does not compile or render; the message names the template and line."""

    exit_code = 3


class GuardRefusal(K2Error):
    """The guard refused a rendering: it must not be sent as it stands."""

    exit_code = 4

    def __init__(self, item_id: str, channel: str, problems: list[str]):
        self.item_id = item_id
        self.channel = channel
        self.problems = list(problems)
        joined = "; ".join(self.problems)
        super().__init__(f"guard refused item {item_id!r} on channel {channel!r}: {joined}")


class PublicationRefused(GuardRefusal):
    """:meth:`Pipeline.prepare <k2publisher.pipeline.Pipeline.prepare>` would not approve.

    Names every item, the channel and every problem (an item not ``ready``, a missing
    disclaimer, a blocked claim...). ``rendering`` and ``verdict`` hold what the guard saw
    (``None`` when the refusal came before rendering).
    """

    def __init__(self, item_ids: list[str], channel: str, problems: list[str], *,
                 rendering: object = None, verdict: object = None):
        self.item_ids = list(item_ids)
        self.rendering = rendering
        self.verdict = verdict
        super().__init__(", ".join(self.item_ids) or "(no items)", channel, problems)


class NotReadyRefusal(PublicationRefused):
    """The status gate: an item is not ``ready`` and the publish was not forced."""


class ChannelLookupError(K2Error, LookupError):
    """No channel (or channel type) has the given name."""

    exit_code = 3


class DeliveryError(K2Error):
    """A channel could not deliver. Subclasses say what to do next."""

    exit_code = 4

    def __init__(self, message: str, *, channel: str = "", item_id: str = "",
                 status: int | None = None, retry_after: float | None = None):
        self.channel = channel
        self.item_id = item_id
        self.status = status
        self.retry_after = retry_after
        prefix = " ".join(p for p in (f"[{channel}]" if channel else "",
                                      f"item {item_id}:" if item_id else "") if p)
        super().__init__(f"{prefix} {message}".strip())


class TransientDeliveryError(DeliveryError):
    """Try again later (connection error, 5xx, 429); ``retry_after`` may say when."""


class PermanentDeliveryError(DeliveryError):
    """Retrying will not help (validation error, duplicate, 4xx): tell the editor."""


class ChannelFaultError(PermanentDeliveryError):
    """The channel is misconfigured (TLS, credentials, its own recipient refused), not the item.

    The publication fails without blaming the item, so the item is picked again once the
    channel's settings are fixed.
    """


class AuthDeliveryError(ChannelFaultError):
    """The credentials are wrong or expired: fix them in the config or .env."""


class DeliveryConfigError(ChannelFaultError):
    """The channel's settings cannot work (TLS mode, port, certificate): fix the config.

    Retrying will not help and no recipient is at fault, so a newsletter fan-out stops.
    """

    exit_code = 3


class UncertainDeliveryError(PermanentDeliveryError):
    """The request went out but no answer came back: the post may exist.

    Retrying could post twice on a network without idempotency keys, so the ledger records
    the part as ``unconfirmed`` and an editor decides (``k2publisher resolve``).
    """


class AddressError(K2Error, ValueError):
    """An email address is not valid; the message says why."""

    exit_code = 2


class SubscriberLookupError(K2Error, LookupError):
    """No newsletter subscriber has the given address or id."""

    exit_code = 2


class TokenError(K2Error, ValueError):
    """A confirm or unsubscribe link is forged, expired, already used or for another purpose."""

    exit_code = 2


class RecipientRejectedError(PermanentDeliveryError):
    """The server refused this recipient permanently (5xx to RCPT TO): the address bounced."""


class ConnectionLostError(TransientDeliveryError):
    """The server closed the connection or cannot be reached; ``dot_sent`` says whether the
    message's final dot had been written (then the server may have accepted it)."""

    def __init__(self, message: str, *, dot_sent: bool = False, **kwargs):
        self.dot_sent = dot_sent
        super().__init__(message, **kwargs)


class IssueLookupError(K2Error, LookupError):
    """No newsletter issue has the given id."""

    exit_code = 2


class LockHeldError(K2Error, RuntimeError):
    """Another process holds a lock k2publisher needs (the instance lock, an issue's lock)."""

    exit_code = 3

    def __init__(self, what: str, path: Path | str, pid: int | None, waited: float = 0.0):
        self.what = what
        self.path = path
        self.pid = pid
        who = f"process {pid}" if pid else "another process"
        waited_note = f" (waited {waited:g}s)" if waited else ""
        super().__init__(f"{what} is held by {who}{waited_note}; lock file {path}")


class PartBusyError(K2Error, RuntimeError):
    """Another live process has claimed this part and is sending it right now.

    The publication stays pending; the claiming process finishes it.
    """


class LeaseLostError(K2Error):
    """A fan-out worker no longer owns a delivery row: its lease lapsed and another worker
    took the row back, so this one must not send it."""

