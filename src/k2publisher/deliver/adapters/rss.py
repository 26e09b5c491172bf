"""RSS/Atom/JSON Feed: writes the site's feeds and archive pages into the public folder.

The pipeline builds every document (``feed.xml``, ``atom.xml``, ``feed.json`` (JSON Feed 1.1),
the same three per tag under ``tags/<slug>/``, ``archive/<id>/index.html`` and
``archive/index.html``) from the ledger's sent publications and guards each one (see
:mod:`k2publisher.pipeline.site`); they arrive in ``Rendering.documents``. This channel only
writes them, each atomically (temp file + rename), so a reader never sees half a file. The
ledger is the one record of what was published where. With ``[feeds] hub`` set, the hub is
then pinged (WebSub) for the feeds that show the item.
"""

from __future__ import annotations

from pathlib import Path

from k2publisher.abc import Channel
from k2publisher.errors import PermanentDeliveryError
from k2publisher.files import write_atomic
from k2publisher.models import PartReceipt, Rendering


class RssChannel(Channel):
    """Writes the RSS 2.0 and Atom feeds plus the archive pages into ``path``."""

    type_name = "rss"
    profile = "feed"
    idempotent = True
    site_documents = True
    required_settings = ("path",)
    description = "writes RSS, Atom and JSON feeds (site-wide and per tag) and archive pages"

    @property
    def folder(self) -> Path:
        """The public folder the files go to."""
        return self.context.resolve(self.options["path"]) if self.context \
            else Path(self.options["path"])

    def _target(self, relative: str) -> Path:
        folder = self.folder.resolve()
        target = (folder / relative).resolve()
        if not target.is_relative_to(folder):
            raise PermanentDeliveryError(f"document {relative!r} would be written outside "
                                         f"{folder}", channel=self.name)
        return target

    def send_part(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                  idempotency_key: str) -> PartReceipt:
        """Write every document of the rendering; the receipt points at the archive page."""
        if not rendering.documents:
            raise PermanentDeliveryError("nothing to write: the pipeline builds the feed "
                                         "documents (publish through Pipeline.prepare)",
                                         channel=self.name)
        targets = [(self._target(doc.path), doc.content) for doc in rendering.documents]
        try:
            for target, content in targets:
                write_atomic(target, content)
        except OSError as exc:
            raise PermanentDeliveryError(f"cannot write the feed into {self.folder}: "
                                         f"{exc.strerror}", channel=self.name) from None
        self._ping(rendering)
        return PartReceipt(index=index, remote_id=rendering.item_id, url=rendering.link)

    def _ping(self, rendering: Rendering) -> None:
        """Tell the WebSub hub (``[feeds] hub``) about every written feed showing the item;
        a failing hub is logged by :func:`~k2publisher.deliver.websub.ping`, never raised."""
        settings = getattr(self.context, "settings", None)
        hub = str(settings.section("feeds").get("hub", "") or "") if settings else ""
        if not hub:
            return
        from k2publisher.deliver.websub import ping

        base = str(settings.site.get("base_url", "")).rstrip("/")
        ping(hub, [f"{base}/{doc.path}" for doc in rendering.documents
                   if doc.family in ("feed", "json") and rendering.item_id in doc.item_ids])

    def describe(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                 idempotency_key: str) -> str:
        """The files that would be written and the entry's HTML."""
        files = ", ".join(doc.path for doc in rendering.documents) or "(none)"
        return (f"write into {self.folder}: {files}\n"
                f"{rendering.html or rendering.parts[index].text}")
