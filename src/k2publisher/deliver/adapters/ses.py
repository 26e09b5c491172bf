"""Amazon SES v2 through boto3: ``SendEmail`` with the raw message, one call per copy.

Why ``SendEmail`` per recipient rather than ``SendBulkEmail`` (50 destinations a call):
``SendBulkEmail`` needs an SES template, so the approved text would go through SES's
template engine (``{{...}}`` in a page about "{{dose}}" would be eaten) and per-reader
headers through ``ReplacementHeaders``; ``SendEmail`` with ``Content.Raw`` sends the exact
bytes an SMTP copy has (the same :class:`IssueTemplate` output: List-Unsubscribe,
List-Unsubscribe-Post, List-Id), so what the guard approved is what leaves. SES meters
both per recipient (``MaxSendRate`` counts recipients, not calls), so bulk calls buy no
sending speed; a worker keeps one pooled HTTPS connection, and ``connections`` workers
send in parallel. A batch is 50 copies (one ``final()`` commit, then 50 calls).

boto3's own retries are off (``total_max_attempts = 1``: its ``max_attempts`` counts
retries, so 1 still retried once): a retried ``SendEmail`` after a read timeout could mail
twice, and the fan-out owns retries. Errors: throttling and quota
(``TooManyRequestsException``, ``LimitExceededException``, ``Throttling``) -> try later;
an unverified sender, a paused or suspended account, a missing configuration set -> fix
the channel (the run stops); ``MessageRejected``/``BadRequestException`` for one address
-> that copy failed. SES has no idempotency key: see docs/newsletter.md.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from k2publisher.abc import Channel
from k2publisher.deliver.adapters.esp import ESP_SETTINGS, EspChannel
from k2publisher.errors import (
    AuthDeliveryError,
    ChannelFaultError,
    ConnectionLostError,
    DeliveryConfigError,
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from k2publisher.redact import mask

if TYPE_CHECKING:
    from k2publisher.newsletter.message import IssueTemplate
    from k2publisher.newsletter.transport import Copy, FinalGuard, Outcome

THROTTLED = frozenset({"TooManyRequestsException", "LimitExceededException", "Throttling",
                       "ThrottlingException", "ServiceUnavailable", "InternalFailure"})
AUTH = frozenset({"InvalidClientTokenId", "UnrecognizedClientException",
                  "SignatureDoesNotMatch", "AccessDeniedException", "ExpiredToken",
                  "InvalidSignatureException"})
CONFIG = frozenset({"MailFromDomainNotVerifiedException", "AccountSuspendedException",
                    "SendingPausedException", "NotFoundException"})
_TAG_VALUE = re.compile(r"[^A-Za-z0-9_\-]")


class SesChannel(EspChannel):
    """SES v2 ``SendEmail`` (raw content); credentials from the settings or boto3's chain."""

    type_name = "ses"
    batch_size = 50
    required_settings = ("region", "from")
    optional_settings = (*ESP_SETTINGS, "endpoint_url", "aws_access_key_id",
                         "aws_secret_access_key", "configuration_set", "sns_topic_arn")
    secret_settings = ("aws_secret_access_key",)
    description = "sends the newsletter through Amazon SES v2 (SendEmail, raw MIME)"

    def __init__(self, name: str, options: Any, context: Any = None):
        Channel.__init__(self, name, options, context)
        self.batch_size = self._batch_size()
        policy = getattr(context, "policy", None)
        self.timeout = float(getattr(policy, "timeout", 30.0))
        self.connect_timeout = float(getattr(policy, "connect_timeout", 10.0))
        self._client: Any = None

    def _secrets(self) -> list[str]:
        return [str(self.options[k]) for k in self.secret_settings if self.options.get(k)]

    @property
    def client(self) -> Any:
        """The boto3 ``sesv2`` client (made once per transport; boto3 pools its HTTPS)."""
        if self._client is None:
            import boto3
            from botocore.config import Config

            kwargs: dict[str, Any] = {"region_name": str(self.options["region"])}
            for key in ("endpoint_url", "aws_access_key_id", "aws_secret_access_key"):
                if self.options.get(key):
                    kwargs[key] = str(self.options[key])
            config = Config(retries={"total_max_attempts": 1, "mode": "standard"},
                            connect_timeout=self.connect_timeout, read_timeout=self.timeout)
            self._client = boto3.session.Session().client("sesv2", config=config, **kwargs)
        return self._client

    def send_batch(self, template: IssueTemplate, copies: Sequence[Copy],
                   final: FinalGuard | None = None) -> list[Outcome]:
        """One ``SendEmail`` per copy, after ``final()``; an outcome for each."""
        from k2publisher.newsletter.transport import Outcome

        if len(copies) > self.batch_size:
            raise ValueError(f"ses takes at most {self.batch_size} copies a batch")
        out: list[Outcome] = []
        with final() if final is not None else contextlib.nullcontext():
            for n, copy in enumerate(copies):
                try:
                    remote = self.send_one(template, copy)
                except (ChannelFaultError, ConnectionLostError) as exc:
                    if n == 0:
                        raise  # nothing of this batch went out: the caller decides
                    # this copy's answer may be what was lost; the rest never left
                    gone = isinstance(exc, ConnectionLostError)
                    out.append(Outcome(copy.key, "deferred", error=str(exc), charged=not gone,
                                       maybe_accepted=gone and exc.dot_sent))
                    out += [Outcome(c.key, "deferred", error=str(exc), charged=not gone)
                            for c in copies[n + 1:]]
                    break
                except TransientDeliveryError as exc:
                    out += [Outcome(c.key, "deferred", error=str(exc),
                                    retry_after=exc.retry_after) for c in copies[n:]]
                    break
                except PermanentDeliveryError as exc:
                    out.append(Outcome(copy.key, "failed", error=str(exc)))
                    continue
                out.append(Outcome(copy.key, "sent", remote_id=remote))
        return out

    def send_one(self, template: IssueTemplate, copy: Copy) -> str:
        """``SendEmail`` for one copy; its SES MessageId. Raises typed delivery errors."""
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectTimeoutError,
            EndpointConnectionError,
            NoCredentialsError,
            ReadTimeoutError,
        )

        raw = template.render(copy.key, copy.email, copy.unsubscribe_url)
        request: dict[str, Any] = {
            "FromEmailAddress": template.identity.envelope_from,
            "Destination": {"ToAddresses": [copy.email]},
            "Content": {"Raw": {"Data": raw}},
            "EmailTags": [{"Name": "k2_issue", "Value": _TAG_VALUE.sub("_", template.issue_id)
                           or "issue"}, {"Name": "k2_subscriber", "Value": str(copy.key)}]}
        if self.options.get("configuration_set"):
            request["ConfigurationSetName"] = str(self.options["configuration_set"])
        try:
            return str(self.client.send_email(**request)["MessageId"])
        except ClientError as exc:
            raise self.error(exc, copy.email) from None
        except NoCredentialsError:
            raise AuthDeliveryError("no AWS credentials: set aws_access_key_id and "
                                    f"aws_secret_access_key in [channels.{self.name}], or the "
                                    "AWS_* environment variables", channel=self.name) from None
        except (EndpointConnectionError, ConnectTimeoutError) as exc:
            raise ConnectionLostError(mask(str(exc), self._secrets()), channel=self.name,
                                      dot_sent=False) from None
        except ReadTimeoutError as exc:
            raise ConnectionLostError(f"{mask(str(exc), self._secrets())}; SES may have the "
                                      "message", channel=self.name, dot_sent=True) from None
        except BotoCoreError as exc:
            raise ConnectionLostError(mask(str(exc), self._secrets()), channel=self.name,
                                      dot_sent=True) from None

    def error(self, exc: Any, email: str) -> DeliveryError:
        """The typed error for an SES ``ClientError`` (the one classification)."""
        info = exc.response.get("Error", {})
        code = str(info.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        text = mask(f"SES {code}: {info.get('Message', '')}", self._secrets())
        if code in THROTTLED or (isinstance(status, int) and status >= 500):
            return TransientDeliveryError(text, channel=self.name, status=status)
        if code in AUTH:
            return AuthDeliveryError(f"{text} (check the AWS credentials of "
                                     f"[channels.{self.name}])", channel=self.name, status=status)
        sender = parseaddr(str(self.options.get("from", "")))[1].lower()
        # SES names the identity it refused ("Email address is not verified. The following
        # identities failed the check ...: SENDER"); a rejection naming our sender is ours
        if code in CONFIG or (code == "MessageRejected" and sender and sender in text.lower()):
            return DeliveryConfigError(f"{text} (verify the sender identity in SES or fix "
                                       f"[channels.{self.name}] from / configuration_set)",
                                       channel=self.name, status=status)
        return PermanentDeliveryError(f"{text} (to {email})", channel=self.name, status=status)

    def describe(self, rendering: Any, index: int, previous: Any, idempotency_key: str) -> str:
        """The ``SendEmail`` request :meth:`send_part` would make, with the raw message."""
        template = self._template(rendering)
        to = str(self.options.get("to") or template.identity.envelope_from)
        raw = template.render(0, to, template.identity.unsubscribe_url("preview"))
        return (f"SES v2 SendEmail ({self.options['region']}) From "
                f"{template.identity.envelope_from} To {to}\n"
                + raw.decode("utf-8", "replace"))

    def check(self) -> str:
        """``GetAccount``: the credentials work; the sending quota and rate."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            account = self.client.get_account()
        except ClientError as exc:
            raise self.error(exc, "") from None
        except BotoCoreError as exc:
            raise ConnectionLostError(mask(str(exc), self._secrets()), channel=self.name) \
                from None
        quota = account.get("SendQuota", {})
        return (f"SES in {self.options['region']}: max {quota.get('MaxSendRate', '?')} "
                f"messages/s, {quota.get('Max24HourSend', '?')} a day, "
                f"{quota.get('SentLast24Hours', '?')} sent in the last 24 h")

    def close(self) -> None:
        """Drop the client (boto3 closes its pool with it)."""
        if self._client is not None:
            self._client.close()
            self._client = None
