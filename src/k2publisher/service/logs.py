"""Service logging: one line per event (time, campaign, item, channel, outcome, remote URL).

:func:`event` is how the service reports what it did; :func:`setup` installs a handler that
writes either ``key=value`` text or one JSON object per line (``--log-format json``), with
secrets masked by :class:`~k2publisher.redact.RedactingFilter`.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from k2publisher.redact import RedactingFilter, mask

EVENTS = logging.getLogger("k2publisher.events")
#: the fields of an event line, in order
FIELDS = ("campaign", "item", "channel", "outcome", "url")


def event(outcome: str, *, campaign: str = "", item: str = "", channel: str = "",
          url: str = "", level: int = logging.INFO, **extra: Any) -> None:
    """Log one service event (a publish, a skipped slot, a recovery ...)."""
    fields = {"campaign": campaign, "item": item, "channel": channel, "outcome": outcome,
              "url": url, **{k: v for k, v in extra.items() if v not in (None, "")}}
    EVENTS.log(level, " ".join(f"{k}={_quote(v)}" for k, v in fields.items() if v not in ("",)),
               extra={"k2event": fields})


def _quote(value: Any) -> str:
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if (" " in text or not text) else text


class TextFormatter(logging.Formatter):
    """``2026-11-25T09:00:00Z INFO campaign=daily-social item=... outcome=sent url=...``."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one text line (plus a traceback, if any)."""
        when = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        name = "" if record.name.startswith("k2publisher") else f"{record.name}: "
        line = f"{when} {record.levelname} {name}{record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time``, ``level``, the event fields or ``message``."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one JSON object."""
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="seconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        fields = getattr(record, "k2event", None)
        if fields:
            data.update({k: mask(v) if isinstance(v, str) else v for k, v in fields.items()})
        else:
            data["message"] = record.getMessage()
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


class RedactingHandler(logging.StreamHandler):
    """Writes each record to the current ``sys.stderr`` (or a given stream), masked.

    Masking the formatted text, not only the message, covers the arguments, the traceback
    and any third-party logger (urllib3 logs request URLs, oauthlib the signed parameters).
    """

    def __init__(self, stream: TextIO | None = None):
        super().__init__(stream)
        self._fixed = stream

    def emit(self, record: logging.LogRecord) -> None:
        """Write the masked record to the stream (``sys.stderr`` as it is now by default)."""
        self.stream = self._fixed or sys.stderr  # a test's or a redirect's stderr
        super().emit(record)

    def format(self, record: logging.LogRecord) -> str:
        """The formatted record with every secret masked."""
        return mask(super().format(record))


def setup(log_format: str = "text", *, level: int = logging.INFO,
          stream: TextIO | None = None) -> logging.Handler:
    """Route every log record (ours and third parties') to one masked handler.

    Called for every command by the CLI, and again by ``run`` with its ``--log-format``;
    it replaces the handler an earlier call installed and leaves other handlers alone.
    """
    handler = RedactingHandler(stream)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if isinstance(old, RedactingHandler) or type(old) is logging.StreamHandler:
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # APScheduler's own chatter (job added, executed ...) only at warning and above
    logging.getLogger("apscheduler").setLevel(max(level, logging.WARNING))
    logging.getLogger("waitress").setLevel(max(level, logging.WARNING))
    # psycopg_pool warns at each reconnection try while a store is away (several a
    # second); k2publisher says it once itself (outcome=store-unreachable, the worker's
    # lines). Its own lines come back with -vv (debug).
    logging.getLogger("psycopg.pool").setLevel(level if level <= logging.DEBUG
                                               else logging.ERROR)
    return handler
