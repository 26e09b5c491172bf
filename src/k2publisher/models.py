"""The small frozen data classes that flow through the pipeline.

``Item`` (content) -> ``Rendering`` made of ``Part`` (render) -> ``Verdict`` (guard)
-> ``Receipt`` (deliver). They carry data only; behaviour lives in the stage modules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any
from unicodedata import normalize


def nfc(text: str) -> str:
    """``text`` in Unicode NFC, the one form k2publisher counts and sends.

    A decomposed accent (``e`` + U+0301) and its composed form (``é``) are one character to
    every network; normalising once, where parts are made, keeps counts and sent text equal.
    """
    return normalize("NFC", text)


#: literal placed in newsletter renderings where each recipient's unsubscribe URL goes
UNSUBSCRIBE_PLACEHOLDER = "%%UNSUBSCRIBE_URL%%"


class Kind(StrEnum):
    """What a queue item is."""

    SUPPLEMENT_SECTION = "supplement_section"
    MECHANISM_EXPLAINER = "mechanism_explainer"


class Status(StrEnum):
    """Where an item is in its editorial life."""

    DRAFT = "draft"
    READY = "ready"
    ARCHIVED = "archived"


class Evidence(StrEnum):
    """Levels of evidence an item can rest on."""

    IN_VITRO = "in_vitro"
    ANIMAL = "animal"
    CLINICAL_TRIAL = "clinical_trial"
    CASE_REPORT = "case_report"
    OBSERVATIONAL = "observational"
    REVIEW = "review"


PRECLINICAL = frozenset({Evidence.IN_VITRO, Evidence.ANIMAL})

#: the variant keys an item may carry (hand-written text per channel family)
VARIANT_KEYS = frozenset({
    "mastodon", "bluesky", "x", "threads", "telegram", "discord", "slack", "linkedin",
    "email_subject", "email_preheader",
})


@dataclass(frozen=True)
class Source:
    """Where an item came from: a file name or URL, and the heading inside it."""

    file: str
    heading: str = ""


@dataclass(frozen=True)
class GuardOverride:
    """An editor's recorded decision to publish despite a claims-guard finding."""

    rule: str
    reason: str


@dataclass(frozen=True)
class Item:
    """One queue item: a supplement section or a mechanism explainer, with its Markdown body."""

    id: str
    kind: Kind
    title: str
    summary: str
    body: str
    supplement: str | None = None
    tags: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    status: Status = Status.DRAFT
    priority: int = 0
    not_before: date | None = None
    source: Source | None = None
    citations: tuple[int, ...] = ()
    review: str | None = None
    author: str | None = None
    variants: Mapping[str, str] = field(default_factory=dict)
    guard_overrides: tuple[GuardOverride, ...] = ()
    path: Path | None = None
    body_line: int = 1

    @property
    def is_preclinical_only(self) -> bool:
        """True when every evidence level is lab or animal work."""
        return bool(self.evidence) and all(e in PRECLINICAL for e in self.evidence)

    @property
    def slug(self) -> str:
        """The last segment of the id, e.g. ``dosage`` for ``vitamin-k2/dosage``."""
        return self.id.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Media:
    """An image attached to a post: its bytes, what it says (``text``, which the guard
    checks like any text) and its alt text (which says the same)."""

    data: bytes
    mime: str
    alt: str
    text: str
    width: int = 0
    height: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "alt", nfc(self.alt))
        object.__setattr__(self, "text", nfc(self.text))


@dataclass(frozen=True)
class Part:
    """One piece of a rendering a reader sees on its own: a post in a thread, an email body."""

    text: str
    html: str | None = None
    facets: tuple[Mapping[str, Any], ...] = ()
    disclaimers: tuple[str, ...] = ()
    #: images attached to this post (an image card on the first post)
    media: tuple[Media, ...] = ()

    def __post_init__(self) -> None:
        text = nfc(self.text)
        if text != self.text and self.facets:
            raise ValueError("facets were computed on text that is not in NFC; normalise "
                             "first (k2publisher.models.nfc)")
        object.__setattr__(self, "text", text)
        if self.html is not None:
            object.__setattr__(self, "html", nfc(self.html))


@dataclass(frozen=True)
class Document:
    """A whole public file a channel writes (a feed, an archive page), built by the pipeline.

    ``path`` is relative to the channel's folder; ``family`` is ``feed`` (RSS/Atom XML),
    ``json`` (JSON Feed) or ``web`` (an HTML page); ``item_ids`` are the items it shows.
    """

    path: str
    content: str
    family: str
    item_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rendering:
    """An item rendered for one channel profile, before the guard has looked at it.

    ``parts`` holds what a reader sees, one entry per post (several when threaded);
    for email ``parts`` is ``(text_body,)`` and ``html``/``subject`` carry the rest.
    ``title`` and ``summary`` are the item's, for what an adapter shows beside the post (a
    link card); ``documents`` are the public files a site channel writes (feeds, archive).
    Adapters read nothing else: everything they send is here, and the guard has seen it.
    """

    item_id: str
    channel: str
    profile: str
    family: str
    parts: tuple[Part, ...]
    link: str = ""
    limit: int = 0
    counter: str = "chars"
    subject: str | None = None
    preheader: str | None = None
    html: str | None = None
    text: str | None = None
    disclaimers: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    title: str = ""
    summary: str = ""
    documents: tuple[Document, ...] = ()

    def __post_init__(self) -> None:
        for name in ("subject", "preheader", "html", "text"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, nfc(value))

    @property
    def texts(self) -> list[str]:
        """The plain text of every part."""
        return [p.text for p in self.parts]


@dataclass(frozen=True)
class Verdict:
    """The guard's decision on one rendering."""

    ok: bool
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PartReceipt:
    """What the network answered for one part: its remote id and public URL."""

    index: int
    remote_id: str
    url: str = ""


@dataclass(frozen=True)
class Receipt:
    """The result of delivering a rendering on a channel."""

    item_id: str
    channel: str
    parts: tuple[PartReceipt, ...]

    @property
    def url(self) -> str:
        """Public URL of the first part (the thread's head)."""
        return self.parts[0].url if self.parts else ""
