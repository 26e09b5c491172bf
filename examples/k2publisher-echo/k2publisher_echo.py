"""An example k2publisher channel: append every part of a rendering to a text file.

A channel declares what it is (class attributes) and sends one part; the k2publisher core
does the rest (rendering, the guard, retries, recording what was sent).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from k2publisher.abc import Channel
from k2publisher.models import PartReceipt, Rendering

__all__ = ["EchoChannel"]

SEPARATOR = "\n----- {key} -----\n"


class EchoChannel(Channel):
    """Appends each part, headed by its idempotency key, to the file named by ``path``."""

    type_name: ClassVar[str] = "echo"
    profile: ClassVar[str] = "mastodon"
    supports_threads: ClassVar[bool] = True
    #: a part whose key is already in the file is not written again
    idempotent: ClassVar[bool] = True
    required_settings: ClassVar[tuple[str, ...]] = ("path",)
    description: ClassVar[str] = "append every post to a text file (example plugin)"

    @property
    def path(self) -> Path:
        """The file written to (relative paths resolve against the site folder)."""
        if self.context is not None:
            return Path(self.context.resolve(self.options["path"]))
        return Path(self.options["path"])

    def send_part(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                  idempotency_key: str) -> PartReceipt:
        """Append part ``index`` unless a part with the same key is already in the file."""
        header = SEPARATOR.format(key=idempotency_key)
        existing = self.path.read_text(encoding="utf-8") if self.path.exists() else ""
        if header not in existing:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(header + rendering.parts[index].text + "\n")
        return PartReceipt(index=index, remote_id=idempotency_key,
                           url=self.path.resolve().as_uri())
