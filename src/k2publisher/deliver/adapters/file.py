"""File: each social post is written as JSON into a folder (the embedded default for social).

One file per part, ``<path>/<item-id with / as __>--<channel>--<index>.json``, written
atomically; publishing again rewrites the same files, so it is idempotent.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from k2publisher.abc import Channel
from k2publisher.errors import PermanentDeliveryError
from k2publisher.files import write_atomic
from k2publisher.models import PartReceipt, Rendering


class FileChannel(Channel):
    """Writes social renderings (``profile`` setting, default mastodon) as JSON files."""

    type_name = "file"
    profile = "mastodon"
    supports_threads = True
    idempotent = True
    required_settings = ("path",)
    description = "writes each social post as a JSON file"

    def target(self, rendering: Rendering, index: int) -> Path:
        """The file part ``index`` goes to."""
        folder = self.context.resolve(self.options["path"]) if self.context \
            else Path(self.options["path"])
        return folder / f"{rendering.item_id.replace('/', '__')}--{self.name}--{index}.json"

    def document(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                 idempotency_key: str) -> str:
        """The JSON written for part ``index``."""
        part = rendering.parts[index]
        return json.dumps({
            "item_id": rendering.item_id, "channel": self.name, "profile": rendering.profile,
            "index": index, "of": len(rendering.parts), "text": part.text, "html": part.html,
            "facets": [dict(f) for f in part.facets], "disclaimers": list(part.disclaimers),
            "link": rendering.link, "in_reply_to": previous.remote_id if previous else None,
            "images": [{"file": self.image_path(rendering, index, n).name, "alt": m.alt,
                        "text": m.text, "bytes": len(m.data)}
                       for n, m in enumerate(part.media, 1)],
            "idempotency_key": idempotency_key}, indent=2, ensure_ascii=False) + "\n"

    def image_path(self, rendering: Rendering, index: int, n: int) -> Path:
        """Where image ``n`` of part ``index`` is written (beside the part's JSON)."""
        return self.target(rendering, index).with_suffix(f".image{n}.png")

    def send_part(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                  idempotency_key: str) -> PartReceipt:
        """Write the part's JSON file; the receipt points at it."""
        path = self.target(rendering, index)
        try:
            for n, media in enumerate(rendering.parts[index].media, 1):
                image = self.image_path(rendering, index, n)
                image.parent.mkdir(parents=True, exist_ok=True)
                temporary = image.with_name(f".{image.name}.tmp")
                temporary.write_bytes(media.data)
                os.replace(temporary, image)          # never half an image
            write_atomic(path, self.document(rendering, index, previous, idempotency_key))
        except OSError as exc:
            raise PermanentDeliveryError(f"cannot write {path}: {exc.strerror}",
                                         channel=self.name) from None
        return PartReceipt(index=index, remote_id=path.name, url=path.resolve().as_uri())

    def describe(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                 idempotency_key: str) -> str:
        """The file and the JSON that would be written."""
        return f"write {self.target(rendering, index)}:\n" \
               f"{self.document(rendering, index, previous, idempotency_key)}"
