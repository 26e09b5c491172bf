"""Every interface between pipeline stages, in one file (as APScheduler keeps its ``abc.py``).

Back-ends are objects passed in; each method documents what it raises.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Protocol

from k2publisher.models import Item, PartReceipt, Rendering


class Channel(ABC):
    """A delivery channel. Subclasses *declare* their nature; the core does the generic work.

    The delivery core (:mod:`k2publisher.deliver.core`) calls :meth:`send_part` once per
    part, in order, after the guard has approved the rendering. Retries, backoff, rate-limit
    waits, splitting, masking and recording live in the core, never in an adapter.
    """

    #: the ``type = "..."`` value in ``[channels.NAME]`` and the entry-point name
    type_name: ClassVar[str]
    #: render profile used by default (see :mod:`k2publisher.render.profiles`)
    profile: ClassVar[str]
    #: True when a rendering may be several linked parts (a thread)
    supports_threads: ClassVar[bool] = False
    #: True when the network honours an idempotency key, so a retry after a crash is safe
    idempotent: ClassVar[bool] = False
    #: settings this adapter requires / accepts (names from the issue, for predictable configs)
    required_settings: ClassVar[tuple[str, ...]] = ()
    optional_settings: ClassVar[tuple[str, ...]] = ()
    #: settings whose values are secrets (masked in listings, previews, logs and errors)
    secret_settings: ClassVar[tuple[str, ...]] = ()
    #: one line saying what the channel does (shown by ``channels list``)
    description: ClassVar[str] = ""
    #: True when the channel publishes the site's documents (feeds, archive pages): the
    #: pipeline builds them from the ledger, guards each, and puts them in
    #: ``Rendering.documents``; the channel only writes them
    site_documents: ClassVar[bool] = False

    def __init__(self, name: str, options: Mapping[str, Any], context: Any = None):
        self.name = name
        self.options = dict(options)
        self.context = context

    @abstractmethod
    def send_part(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                  idempotency_key: str) -> PartReceipt:
        """Deliver part ``index`` of ``rendering`` (``previous`` is the part before it).

        Raises :class:`~k2publisher.errors.TransientDeliveryError` (retry later),
        :class:`~k2publisher.errors.PermanentDeliveryError` (give up, tell the editor) or
        :class:`~k2publisher.errors.AuthDeliveryError` (fix the credentials).
        """

    @property
    def render_profile(self) -> str:
        """The render profile to use: the ``profile`` setting, else the declared default."""
        return str(self.options.get("profile") or self.profile)

    def describe(self, rendering: Rendering, index: int, previous: PartReceipt | None,
                 idempotency_key: str) -> str:
        """What :meth:`send_part` would send for part ``index`` (``--dry-run``), unmasked.

        The caller masks secrets. Adapters override this to show the exact request.
        """
        return f"{self.type_name} {self.name} part {index}:\n{rendering.parts[index].text}"

    def receipt_for(self, index: int, value: str) -> PartReceipt:
        """The receipt of a part an editor says was posted, from its remote id or URL.

        ``k2publisher resolve ROW --sent --remote-id VALUE`` records it, so the rest of a
        thread replies to that post. Adapters whose ids differ from their URLs override
        this; raises :class:`ValueError` when ``value`` cannot name a post here.
        """
        value = value.strip()
        if not value:
            raise ValueError("an empty remote id")
        url = value if value.startswith(("http://", "https://")) else ""
        return PartReceipt(index=index, remote_id=value, url=url)

    def check(self) -> str:
        """Verify credentials and reachability with a harmless call; return what was checked.

        Raises a :class:`~k2publisher.errors.DeliveryError` subclass saying what is wrong.
        """
        return "nothing to check for a local channel"

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections (SMTP sessions, HTTP pools)."""


class Recorder(Protocol):
    """What the delivery core tells the ledger, before and after every network call."""

    def already_sent(self, item_id: str, channel: str, index: int) -> PartReceipt | None:
        """The receipt of a part delivered earlier, so it is never sent twice."""

    def sending(self, item_id: str, channel: str, index: int, key: str, *,
                idempotent: bool = False) -> None:
        """Written (and committed) just before the network call for one part.

        ``idempotent``: the channel posts a part once however often ``key`` is sent, so a
        part a crashed process left in flight may be sent again with it.
        """

    def sent(self, item_id: str, channel: str, index: int, receipt: PartReceipt) -> None:
        """Written (and committed) as soon as the network accepted the part."""

    def failed(self, item_id: str, channel: str, index: int, error: Exception,
               transient: bool) -> None:
        """Written when the part could not be delivered."""


class DisclaimerText(Protocol):
    """One disclaimer as the Renderer places it (the guard's rules file defines them)."""

    @property
    def id(self) -> str:
        """Stable name (``NOT_MEDICAL_ADVICE``, ``FDA_SF_1`` ...)."""

    @property
    def text(self) -> str:
        """The full text."""

    @property
    def short(self) -> str | None:
        """The short form for social posts (None: none allowed)."""

    @property
    def priority(self) -> int:
        """Higher comes first among disclaimers of the same criticality."""

    @property
    def placement(self) -> str:
        """``top``, ``beside`` or ``footer``."""

    @property
    def critical(self) -> bool:
        """Never dropped to make room."""

    def form(self, short: bool) -> str:
        """The text to print (the short form when ``short`` and one exists)."""


class DisclaimerSource(Protocol):
    """What the Renderer asks of the disclaimer rules; the guard's ``DisclaimerRules``
    implements it, so render never imports guard and both read one policy."""

    def for_item(self, item: Item) -> Sequence[DisclaimerText]:
        """What the whole item triggers."""

    def for_text(self, item: Item, text: str) -> Sequence[DisclaimerText]:
        """What ``text`` of ``item`` triggers (plus the item's kind, tags, evidence)."""

    def required_for_part(self, item: Item, part_text: str, index: int,
                          family: str) -> Sequence[DisclaimerText]:
        """The disclaimers one reader-visible part must carry."""

    def opening(self, item: Item) -> Sequence[DisclaimerText]:
        """The critical warnings a thread about ``item`` opens with (each word for word)."""

    def structure_function_claims(self, item: Item | None, text: str) -> int:
        """How many structure/function claims ``text`` makes."""
