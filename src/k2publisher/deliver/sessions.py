"""Login sessions an adapter keeps between processes, in the state folder, private.

A network that rations logins (Bluesky allows 30 ``createSession`` calls per 5 minutes and
300 a day) must not log in afresh in every ``run --once``. :class:`SessionFile` keeps one
session as JSON in ``<state>/sessions/<name>.json``: the folder is 0700, the file 0600,
written atomically (a crash leaves the old session or the new one, never half of one).
Every token read or written is registered with :mod:`k2publisher.redact`, so it is masked
in every log line and traceback.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from k2publisher import redact


class SessionFile:
    """One stored session; ``secret_keys`` name the fields that are tokens."""

    def __init__(self, path: Path, secret_keys: tuple[str, ...]):
        self.path = path
        self.secret_keys = secret_keys

    def load(self) -> dict[str, Any] | None:
        """The stored session, or None when there is none or it is unreadable."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or not all(data.get(k) for k in self.secret_keys):
            return None
        redact.register(str(data[k]) for k in self.secret_keys)
        return data

    def save(self, session: dict[str, Any]) -> None:
        """Store ``session`` (0600, atomically)."""
        redact.register(str(session[k]) for k in self.secret_keys if session.get(k))
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(session, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def forget(self) -> None:
        """Delete the stored session (it was refused)."""
        self.path.unlink(missing_ok=True)
