"""What every importer produces (:class:`ImportedItem`) and how it reaches the queue.

Importers only read sources; :func:`plan` compares their items with the queue and decides,
per item, what to do, and :func:`apply` writes the files. Each written file carries
``upstream_hash``, the fingerprint of the text the importer wrote. On a later import:

* the new text hashes the same -> ``unchanged`` (the file, hand edits included, stays);
* the file on disk is still exactly what was imported -> ``updated`` with the new text;
* the file was edited by hand and the source changed -> ``changed-upstream``: nothing is
  written, the editor merges by hand;
* another source already supplied that id (a shared mechanism explainer), or a feed
  entry already imported under another id -> ``skipped``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from k2publisher.content.cleaning.chrome import Stripped
from k2publisher.content.cleaning.citations import PageEvidence, clean_citations
from k2publisher.content.frontmatter import FrontMatterError, dump, split
from k2publisher.content.queue import Queue
from k2publisher.content.schema import SUMMARY_MAX
from k2publisher.files import write_atomic
from k2publisher.models import Evidence, Kind

HASH_FIELD = "upstream_hash"
_HASH_LINE = re.compile(rf"(?m)^{HASH_FIELD}:.*\n?")


@dataclass
class ImportedItem:
    """One queue item as an importer found it (before any hand review)."""

    id: str
    kind: Kind
    title: str
    body: str
    source_file: str
    heading: str = ""
    supplement: str | None = None
    summary: str = ""
    tags: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    citations: list[int] = field(default_factory=list)
    review: list[str] = field(default_factory=list)
    author: str | None = None
    sources: list[str] = field(default_factory=list)
    status: str = "draft"
    #: True for feed entries: an entry already imported under another id is skipped
    dedupe_by_source: bool = False
    #: tokens whose citation digits were removed, and tokens left alone as unclear
    cleaned: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)

    def meta(self) -> dict[str, Any]:
        """The front matter, in the documented field order, empty fields left out."""
        summary = self.summary or derive_summary(self.body) or self.title
        notes = list(self.review)
        if summary.endswith("…"):
            notes.append("summary cut at 240 characters: write one that stands alone")
        review = "; ".join(dict.fromkeys(notes)) or None
        meta: dict[str, Any] = {
            "id": self.id, "kind": self.kind.value, "supplement": self.supplement,
            "title": self.title, "summary": summary, "tags": list(dict.fromkeys(self.tags)),
            "evidence": [e.value for e in dict.fromkeys(self.evidence)],
            "status": self.status, "priority": 0,
            "source": {"file": self.source_file, "heading": self.heading},
            "citations": sorted(set(self.citations)), "review": review, "author": self.author,
        }
        return {k: v for k, v in meta.items() if v not in (None, [], {}, "")}

    def text(self) -> str:
        """The queue file's full text, ``upstream_hash`` included."""
        body = self.body
        if self.sources:
            body += "\n\nSources named by the page: " + ", ".join(self.sources) + "."
        plain = dump(self.meta(), body)
        return _with_hash(plain, fingerprint(plain))


def fingerprint(text: str) -> str:
    """The ``upstream_hash`` of a queue file's text (its own hash line left out)."""
    digest = hashlib.sha256(_HASH_LINE.sub("", text).encode("utf-8")).hexdigest()
    return f"sha256:{digest[:32]}"


def _with_hash(text: str, value: str) -> str:
    head, sep, rest = text.partition("\n---\n")
    return f"{head}\n{HASH_FIELD}: '{value}'{sep}{rest}"


_MD = re.compile(r"(\*\*|__|`|^#+\s*|^[-*]\s+|^\d+\.\s+|^\|.*\|$)", re.M)


def derive_summary(body: str, limit: int = SUMMARY_MAX) -> str:
    """The first sentences of the body's first paragraph that fit in ``limit`` characters."""
    paras = [" ".join(_MD.sub("", p).split()) for p in re.split(r"\n\s*\n", body)]
    paras = [p for p in paras if p and not p.startswith("|")]
    for text in [p for p in paras if len(p) >= 40] or paras[:1]:
        sentences = re.split(r"(?<=[.!?:])\s+(?=[A-Z])", text)
        out = ""
        for sentence in sentences:
            if sentence.endswith(":"):
                break  # "... as follows:" does not stand alone
            candidate = f"{out} {sentence}".strip()
            if len(candidate) > limit:
                break
            out = candidate
        if out:
            return out
        cut = text[:limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
        return cut + "…"  # ImportedItem.meta() asks for a review of a cut summary
    return ""


@dataclass
class PageNotes:
    """What an importer learned about a page as a whole, for the import report."""

    #: every block taken out as chrome, in page order
    stripped: list[Stripped] = field(default_factory=list)
    #: the page's reference list (entries), kept out of the items' text
    references: list[str] = field(default_factory=list)
    #: the citation-number bound the page gave (its numbered reference list), if any
    max_ref: int | None = None


def clean(text: str, item: ImportedItem, page: PageEvidence | None = None) -> str:
    """Clean citation digits in ``text``, recording numbers and ambiguous tokens on ``item``.

    ``page`` is the page's own evidence (its reference count and the tokens it uses).
    """
    result = clean_citations(text, page=page)
    item.citations.extend(result.citations)
    item.cleaned.extend(result.cleaned)
    item.ambiguous.extend(t for t in result.ambiguous if t not in item.ambiguous)
    for token in result.ambiguous:
        item.review.append(f"citation digits unclear in {token!r}: check the source")
    for token in result.glued:
        item.review.append(f"names run together in {token!r}: separate them")
    return result.text


EVIDENCE_WORDS: tuple[tuple[str, Evidence], ...] = (
    (r"\bin vitro\b|\bcell lines?\b|cell culture", Evidence.IN_VITRO),
    (r"\banimal|\bmice\b|\brats?\b|xenograft|in vivo", Evidence.ANIMAL),
    (r"clinical trials?|randomi[sz]ed|phase (i|ii|iii|iv)\b|placebo", Evidence.CLINICAL_TRIAL),
    (r"case reports?", Evidence.CASE_REPORT),
    (r"observational|epidemiolog|cohort", Evidence.OBSERVATIONAL),
)


def guess_evidence(text: str) -> list[Evidence]:
    """Evidence levels a section's wording mentions (the editor confirms them)."""
    lowered = text.lower()
    return [level for pattern, level in EVIDENCE_WORDS if re.search(pattern, lowered)]


def slugify(text: str) -> str:
    """Lowercase words joined by '-', safe for an id segment."""
    text = text.lower().replace("&", " and ").replace("’", "").replace("'", "")
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return slug or "item"


# -- planning and writing -------------------------------------------------------------------

CREATED, UPDATED, UNCHANGED, CHANGED_UPSTREAM, SKIPPED = (
    "created", "updated", "unchanged", "changed-upstream", "skipped")
ACTIONS = (CREATED, UPDATED, UNCHANGED, CHANGED_UPSTREAM, SKIPPED)


@dataclass
class Action:
    """What an import does with one item, and why."""

    item: ImportedItem
    action: str
    path: Path
    reason: str = ""
    text: str = ""


def _disk_meta(path: Path) -> tuple[str, dict[str, Any]] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    try:
        return text, dict(split(text).meta)
    except FrontMatterError:
        return text, {}


def plan(items: Iterable[ImportedItem], queue: Queue) -> list[Action]:
    """Decide, for each imported item, whether to create, update, keep or skip it."""
    actions: list[Action] = []
    taken: dict[str, str] = {}
    known_sources = _known_sources(queue)
    for item in items:
        path = queue.path_for(item.id)
        text = item.text()
        origin = f"{item.source_file}#{item.heading}"
        if item.id in taken:
            if taken[item.id] != item.source_file:
                actions.append(Action(item, SKIPPED, path, f"also in {taken[item.id]}"))
            else:
                actions.append(Action(item, SKIPPED, path, "duplicate id in this source"))
            continue
        taken[item.id] = item.source_file
        other = known_sources.get(origin) if item.dedupe_by_source else None
        if other is not None and other != item.id:
            actions.append(Action(item, SKIPPED, path, f"already imported as {other}"))
            continue
        found = _disk_meta(path)
        if found is None:
            actions.append(Action(item, CREATED, path, text=text))
            continue
        disk_text, meta = found
        stored = meta.get(HASH_FIELD)
        new_hash = fingerprint(text)
        disk_source = meta.get("source") if isinstance(meta.get("source"), dict) else {}
        if item.kind is Kind.MECHANISM_EXPLAINER and disk_source.get("file") \
                and disk_source.get("file") != item.source_file:
            actions.append(Action(item, SKIPPED, path,
                                  f"explainer already imported from {disk_source['file']}"))
        elif stored == new_hash:
            actions.append(Action(item, UNCHANGED, path))
        elif stored == fingerprint(disk_text):
            actions.append(Action(item, UPDATED, path, "source changed", text=text))
        else:
            why = "edited by hand and the source changed: merge by hand" if stored else \
                "written by hand (no upstream_hash): left alone"
            actions.append(Action(item, CHANGED_UPSTREAM, path, why, text=text))
    return actions


def _known_sources(queue: Queue) -> dict[str, str]:
    """``file#heading`` -> id for queue items that came from a feed entry or page."""
    known: dict[str, str] = {}
    for item in queue.load().items:
        if item.source is not None:
            known.setdefault(f"{item.source.file}#{item.source.heading}", item.id)
    return known


def apply(actions: Sequence[Action]) -> None:
    """Write the files of the ``created`` and ``updated`` actions (atomically)."""
    for action in actions:
        if action.action in (CREATED, UPDATED):
            write_atomic(action.path, action.text)


def counts(actions: Sequence[Action]) -> dict[str, int]:
    """How many items got each action."""
    return {name: sum(1 for a in actions if a.action == name) for name in ACTIONS}
