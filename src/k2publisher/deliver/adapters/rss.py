"""RSS/Atom: the feed files and archive pages in the public folder the service serves.

The channel keeps the published entries in ``<path>/.published.json`` (``[{id, published}]``);
publishing adds the item (once: publishing it again keeps the first date) and rewrites
``feed.xml``, ``atom.xml``, ``archive/<id>/index.html`` and ``archive/index.html``, each
atomically (temp file + rename), so a reader never sees half a file.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from k2publisher.abc import Channel
from k2publisher.errors import ItemNotFoundError, PermanentDeliveryError
from k2publisher.files import write_atomic
from k2publisher.models import Item, PartReceipt, Rendering

log = logging.getLogger("k2publisher.deliver")
LEDGER = ".published.json"


class RssChannel(Channel):
    """Writes the RSS 2.0 and Atom feeds plus the archive pages into ``path``."""

    type_name = "rss"
    profile = "feed"
    idempotent = True
    required_settings = ("path",)
    description = "writes feed.xml, atom.xml and archive pages into the public folder"

    @property
    def folder(self) -> Path:
        """The public folder the files go to."""
        return self.context.resolve(self.options["path"]) if self.context \
            else Path(self.options["path"])

    def published(self) -> list[dict[str, str]]:
        """The entries published so far (``[{id, published}]``, oldest first)."""
        path = self.folder / LEDGER
        if not path.is_file():
            return []
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise PermanentDeliveryError(f"{path} is not valid JSON ({exc}); fix or delete it",
                                         channel=self.name) from None
        return [e for e in data if isinstance(e, dict) and "id" in e and "published" in e]

    def _entries(self, records: list[dict[str, str]]) -> list[tuple[Item, datetime]]:
        entries: list[tuple[Item, datetime]] = []
        queue = self.context.queue
        for record in records:
            try:
                entries.append((queue.get(record["id"]),
                                datetime.fromisoformat(record["published"])))
            except ItemNotFoundError:
                log.warning("channel=%s: published item %s is no longer in the queue; "
                            "left out of the feed", self.name, record["id"])
        return entries

    def _renderer(self) -> Any:
        from k2publisher.render.renderer import Renderer

        return Renderer(self.context.settings)

    def write(self, records: list[dict[str, str]]) -> None:
        """Rewrite the feeds, the archive pages and the ledger from ``records``."""
        renderer, folder = self._renderer(), self.folder
        entries = self._entries(records)
        rss, atom = renderer.feeds(entries)
        write_atomic(folder / "feed.xml", rss)
        write_atomic(folder / "atom.xml", atom)
        for item, published in entries:
            write_atomic(folder / "archive" / item.id / "index.html",
                         renderer.archive_page(item, published))
        write_atomic(folder / "archive" / "index.html", renderer.archive_index(entries))
        write_atomic(folder / LEDGER, json.dumps(records, indent=2) + "\n")

    def send_part(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                  idempotency_key: str) -> PartReceipt:
        """Add the item to the published entries and rewrite every file."""
        try:
            item = self.context.queue.get(rendering.item_id)
        except ItemNotFoundError as exc:
            raise PermanentDeliveryError(str(exc), channel=self.name) from None
        records = self.published()
        if not any(r["id"] == rendering.item_id for r in records):
            now = (getattr(self.context, "clock", None) or (lambda: datetime.now(UTC)))()
            records.append({"id": rendering.item_id, "published": now.isoformat()})
        try:
            self.write(records)
        except OSError as exc:
            raise PermanentDeliveryError(f"cannot write the feed into {self.folder}: "
                                         f"{exc.strerror}", channel=self.name) from None
        return PartReceipt(index=index, remote_id=rendering.item_id,
                           url=rendering.link or self._renderer().item_url(item))

    def describe(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                 idempotency_key: str) -> str:
        """The files that would be rewritten and the entry's HTML."""
        return (f"add {rendering.item_id} to {self.folder / LEDGER}; rewrite feed.xml, "
                f"atom.xml, archive/{rendering.item_id}/index.html, archive/index.html\n"
                f"{rendering.html or rendering.parts[index].text}")
