"""The one HTTP request core every HTTP adapter goes through (as Mastodon.py's ``__api_request``).

It owns the :class:`requests.Session`, a timeout on every request, the mapping of status codes
and transport failures to :mod:`k2publisher.errors`, the parsing of every network's rate-limit
headers into one ``retry_after`` number of seconds, and the masking of secrets in errors.
Adapters build a request and read the answer; they never catch ``requests`` exceptions.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from k2publisher.abc import Channel
from k2publisher.deliver.core import RetryPolicy
from k2publisher.errors import (
    AuthDeliveryError,
    ChannelFaultError,
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
    UncertainDeliveryError,
)
from k2publisher.redact import MASK, mask

log = logging.getLogger("k2publisher.deliver")

#: header names whose whole value is a credential
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
#: epoch values above this are absolute times; smaller numbers are delays in seconds
_EPOCH_FLOOR = 1_000_000_000

#: an adapter hook that turns an error response into a more precise error (or None)
ErrorHook = Callable[[requests.Response], DeliveryError | None]
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware UTC (the default clock)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Timeouts:
    """Connect and read timeouts in seconds, applied to every request."""

    connect: float = 10.0
    read: float = 30.0

    def as_tuple(self) -> tuple[float, float]:
        """The ``(connect, read)`` pair requests expects."""
        return (self.connect, self.read)


def mask_headers(headers: Mapping[str, str], secrets: Iterable[str] = ()) -> dict[str, str]:
    """``headers`` with credential headers shortened to their scheme and secrets masked."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        if name.lower() in SECRET_HEADERS:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            out[name] = f"{scheme} {MASK}".strip()
        else:
            out[name] = mask(str(value), secrets)
    return out


def _seconds_until(value: str, now: datetime) -> float | None:
    """Seconds from ``now`` until a reset value: ISO-8601, HTTP-date, epoch or delay."""
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is not None:
        if number > _EPOCH_FLOOR:
            return max(0.0, number - now.timestamp())
        return max(0.0, number)
    when: datetime | None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _json_retry_after(body: Any) -> float | None:
    if not isinstance(body, Mapping):
        return None
    for holder in (body, body.get("parameters")):
        if isinstance(holder, Mapping) and isinstance(holder.get("retry_after"), int | float):
            return max(0.0, float(holder["retry_after"]))
    return None


def retry_after(response: requests.Response, now: datetime | None = None, *,
                resets: bool = True) -> float | None:
    """How long the network asks us to wait, in seconds, or None when it does not say.

    Reads, in order: ``Retry-After`` (seconds or HTTP-date; Discord, Slack, Bluesky),
    a JSON ``retry_after`` (Discord, float) or ``parameters.retry_after`` (Telegram),
    ``X-RateLimit-Reset-After`` (Discord), then the reset time in ``X-RateLimit-Reset``
    (Mastodon ISO-8601, Discord epoch), ``RateLimit-Reset`` (Bluesky epoch) or
    ``x-rate-limit-reset`` (X epoch). Header names are case-insensitive.

    ``resets=False`` ignores the reset headers: networks send them on every answer (the end
    of the current window), so only a 429 means "wait until then".
    """
    now = now or utc_now()
    headers = response.headers
    if "Retry-After" in headers:
        found = _seconds_until(headers["Retry-After"], now)
        if found is not None:
            return found
    found = _json_retry_after(_try_json(response))
    if found is not None or not resets:
        return found
    for name in ("X-RateLimit-Reset-After", "X-RateLimit-Reset", "RateLimit-Reset",
                 "X-Rate-Limit-Reset"):
        if name in headers:
            found = _seconds_until(headers[name], now)
            if found is not None:
                return found
    return None


def _try_json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def error_detail(response: requests.Response) -> str:
    """A short human reading of an error body (JSON ``error``/``message``/... or the text)."""
    body = _try_json(response)
    if isinstance(body, Mapping):
        for key in ("error_description", "description", "message", "detail", "error", "title"):
            if isinstance(body.get(key), str) and body[key]:
                name = body.get("error") if key == "message" else None
                return f"{name}: {body[key]}" if isinstance(name, str) else body[key]
        if isinstance(body.get("errors"), list) and body["errors"]:
            first = body["errors"][0]
            if isinstance(first, Mapping):
                return str(first.get("message") or first.get("detail") or first)
    text = response.text.strip().replace("\n", " ")
    return text[:200] if text else response.reason or ""


#: statuses by which a proxy says it lost the upstream's answer (the upstream may have acted)
GATEWAY_ERRORS = frozenset({502, 504})


def classify_status(status: int, message: str, *, channel: str,
                    retry_after_s: float | None = None) -> DeliveryError:
    """The error for an HTTP (or HTTP-like, e.g. Telegram ``error_code``) failure status.

    429, 408, 425 and 5xx are transient; 401 and 403 mean the credentials need fixing;
    every other 4xx is permanent (the request itself is wrong: tell the editor).
    """
    text = f"HTTP {status}: {message}" if message else f"HTTP {status}"
    if status == 429 or status in (408, 425) or status >= 500:
        return TransientDeliveryError(text, channel=channel, status=status,
                                      retry_after=retry_after_s)
    if status in (401, 403):
        return AuthDeliveryError(f"{text} (check the credentials)", channel=channel,
                                 status=status)
    return PermanentDeliveryError(text, channel=channel, status=status)


def _never_connected(exc: requests.ConnectionError) -> bool:
    """True when no connection was made, so the request cannot have reached the network."""
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


class HttpClient:
    """One session per channel: timeouts, error mapping and masking for every request."""

    def __init__(self, channel: str, *, timeouts: Timeouts | None = None,
                 secrets: Iterable[str] = (), clock: Clock = utc_now,
                 session: requests.Session | None = None, user_agent: str = "k2publisher",
                 idempotent: bool = False):
        self.channel = channel
        self.idempotent = idempotent
        self.timeouts = timeouts or Timeouts()
        self.secrets = [s for s in secrets if s]
        self.clock = clock
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = user_agent

    def mask(self, text: str) -> str:
        """``text`` with this channel's secrets (and secret-looking URL parts) masked."""
        return mask(text, self.secrets)

    def request(self, method: str, url: str, *, on_error: ErrorHook | None = None,
                retry_safe: bool | None = None, **kwargs: Any) -> requests.Response:
        """Send one request; return the response when it is 2xx, else raise a typed error.

        ``on_error`` lets an adapter classify network-specific bodies first (a duplicate
        post, an expired token); it returns an error to raise or None for the default mapping.
        ``retry_safe`` (default: GET/HEAD, or every request of an idempotent network) says
        whether repeating the request can never post twice. When it is not, a request sent
        but unanswered within the read timeout is not retried: the post may exist.
        """
        kwargs.setdefault("timeout", self.timeouts.as_tuple())
        if retry_safe is None:
            retry_safe = self.idempotent or method.upper() in ("GET", "HEAD")
        where = self.mask(f"{method} {url}")
        try:
            response = self.session.request(method, url, **kwargs)
        except requests.ConnectTimeout:
            raise TransientDeliveryError(f"{where}: timed out connecting",
                                         channel=self.channel) from None
        except requests.Timeout:
            text = f"{where}: no answer within {self.timeouts.read:g}s (read timeout)"
            if retry_safe:
                raise TransientDeliveryError(text, channel=self.channel) from None
            raise UncertainDeliveryError(
                f"{text}; the post may exist: check the account before publishing again",
                channel=self.channel) from None
        except requests.exceptions.SSLError as exc:
            raise ChannelFaultError(f"{where}: TLS failed: {self.mask(_short(exc))} (check "
                                    "the URL and the server's certificate)",
                                    channel=self.channel) from None
        except requests.ConnectionError as exc:
            text = f"{where}: connection failed: {self.mask(_short(exc))}"
            if retry_safe or _never_connected(exc):
                raise TransientDeliveryError(text, channel=self.channel) from None
            # dropped after the request went out (a reset, a hang-up): it may have been posted
            raise UncertainDeliveryError(
                f"{text}; the post may exist: check the account before publishing again",
                channel=self.channel) from None
        except requests.RequestException as exc:
            raise PermanentDeliveryError(f"{where}: {self.mask(_short(exc))}",
                                         channel=self.channel) from None
        log.debug("%s -> %s", where, response.status_code)
        if response.ok:
            return response
        if on_error is not None:
            special = on_error(response)
            if special is not None:
                raise special
        raise self.error_for(response, where, retry_safe=retry_safe)

    def error_for(self, response: requests.Response, where: str = "", *,
                  retry_safe: bool = True) -> DeliveryError:
        """The typed, masked error for a failed response.

        A gateway error (502, 504) to a request that is not ``retry_safe`` is
        :class:`UncertainDeliveryError`: the proxy lost the upstream's answer, and the
        upstream may have created the post.
        """
        status = response.status_code
        wait = retry_after(response, self.clock(), resets=status == 429) \
            if status == 429 or status >= 500 else None
        message = self.mask(error_detail(response)) + (f" ({where})" if where else "")
        if status in GATEWAY_ERRORS and not retry_safe:
            return UncertainDeliveryError(
                f"HTTP {status}: {message}; the gateway lost the answer and the post may "
                "exist: check the account before publishing again", channel=self.channel,
                status=status)
        return classify_status(response.status_code, message, channel=self.channel,
                               retry_after_s=wait)

    def json(self, response: requests.Response, *, retry_safe: bool) -> Any:
        """The JSON body of a successful response.

        A 2xx with an unreadable body means the network probably accepted the request:
        it is retried only when ``retry_safe`` (the network honours idempotency keys),
        otherwise it is permanent so a person checks before anything is posted twice.
        """
        try:
            return response.json()
        except ValueError:
            text = f"HTTP {response.status_code} with a body that is not JSON: " \
                   f"{self.mask(response.text[:120])!r}"
            if retry_safe:
                raise TransientDeliveryError(text, channel=self.channel,
                                             status=response.status_code) from None
            raise UncertainDeliveryError(
                f"{text}; the post may exist: check the account before publishing again",
                channel=self.channel, status=response.status_code) from None

    def field(self, data: Any, *path: str | int, retry_safe: bool) -> Any:
        """``data[path[0]][path[1]]...`` from a 2xx body; a missing field is handled as
        an unreadable body (see :meth:`json`)."""
        node = data
        for key in path:
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                node = None
            if node is None:
                shown = "/".join(str(k) for k in path)
                text = f"the answer has no {shown}: {self.mask(json.dumps(data)[:120])}"
                if retry_safe:
                    raise TransientDeliveryError(text, channel=self.channel)
                # a 2xx: the network accepted the request, so the post most likely exists
                raise UncertainDeliveryError(
                    f"{text}; the post may exist: check the account before publishing again",
                    channel=self.channel)
        return node

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__


def describe_request(method: str, url: str, *, headers: Mapping[str, str] | None = None,
                     body: Any = None, secrets: Iterable[str] = ()) -> str:
    """A request as text for ``--dry-run``: method, URL, headers and JSON body, masked."""
    lines = [mask(f"{method} {url}", secrets)]
    for name, value in mask_headers(headers or {}, secrets).items():
        lines.append(f"{name}: {value}")
    if body is not None:
        lines.append("")
        text = body if isinstance(body, str) else json.dumps(body, indent=2, ensure_ascii=False)
        lines.append(mask(text, secrets))
    return "\n".join(lines)


class HttpChannel(Channel):
    """Base of the HTTP adapters: one :class:`HttpClient` built from the context's policy."""

    def __init__(self, name: str, options: Mapping[str, Any], context: Any = None):
        super().__init__(name, options, context)
        policy = getattr(context, "policy", None) or RetryPolicy()
        self.http = HttpClient(
            name, timeouts=Timeouts(policy.connect_timeout, policy.timeout),
            secrets=[str(self.options[k]) for k in self.secret_settings if self.options.get(k)],
            clock=getattr(context, "clock", None) or utc_now, idempotent=self.idempotent)

    def base_url(self, setting: str, default: str = "") -> str:
        """A configured base URL without its trailing slash (``https://`` added if absent)."""
        value = str(self.options.get(setting) or default).rstrip("/")
        return value if "://" in value else f"https://{value}"

    def preview(self, method: str, url: str, headers: Mapping[str, str] | None = None,
                body: Any = None) -> str:
        """The masked text of one request, for :meth:`describe`."""
        return describe_request(method, url, headers=headers, body=body,
                                secrets=self.http.secrets)

    def close(self) -> None:
        """Close the HTTP session."""
        self.http.close()
