"""The queue file format: which front-matter fields exist and how each is checked.

:func:`parse_item` turns a parsed :class:`~k2publisher.content.frontmatter.Document` into an
:class:`~k2publisher.models.Item` and a list of :class:`Problem` (one per thing to fix).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from k2publisher.content.frontmatter import Document
from k2publisher.models import (
    VARIANT_KEYS,
    Evidence,
    GuardOverride,
    Item,
    Kind,
    Source,
    Status,
)

SUMMARY_MAX = 240
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)*$")

#: field name -> one-line description (also the order fields are written in)
FIELDS: dict[str, str] = {
    "id": "stable unique id, e.g. vitamin-k2/dosage",
    "kind": "supplement_section | mechanism_explainer",
    "supplement": "the supplement's name (absent for generic explainers)",
    "title": "headline",
    "summary": f"one or two sentences, at most {SUMMARY_MAX} characters, standing alone",
    "tags": "list of topic tags (become hashtags and feed categories)",
    "evidence": "list of: " + ", ".join(e.value for e in Evidence),
    "status": "draft | ready | archived",
    "priority": "integer, higher goes out first",
    "not_before": "date (YYYY-MM-DD) before which the item is not published",
    "source": "{file: NAME-OR-URL, heading: HEADING}",
    "citations": "reference numbers found in the source text",
    "review": "why a human must look before publishing",
    "author": "byline kept from the source",
    "variants": "hand-written text per channel: " + ", ".join(sorted(VARIANT_KEYS)),
    "guard_overrides": "[{rule: CLAIM-RULE-ID, reason: WHY}] recorded by an editor",
    "upstream_hash": "fingerprint of the imported text (lets re-imports spot hand edits)",
}
REQUIRED = ("id", "kind", "title", "summary", "status")


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a queue file, printed as ``path:line: message``."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def _str_list(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return [str(v) for v in value]
    return None


def parse_item(doc: Document, path: Path) -> tuple[Item | None, list[Problem]]:
    """Check ``doc`` against the format; return the item (None if unusable) and problems."""
    meta = doc.meta
    problems: list[Problem] = []
    where = str(path)

    def line(key: str) -> int:
        return doc.key_lines.get(key, 1)

    def bad(key: str, message: str) -> None:
        problems.append(Problem(where, line(key), message))

    for key in meta:
        if key not in FIELDS:
            close = difflib.get_close_matches(str(key), FIELDS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else \
                f" (known fields: {', '.join(FIELDS)})"
            bad(str(key), f"unknown field {key!r}{hint}")
    for key in REQUIRED:
        if meta.get(key) in (None, ""):
            problems.append(Problem(where, 1, f"missing field {key!r}: {FIELDS[key]}"))

    item_id = meta.get("id")
    if item_id is not None and (not isinstance(item_id, str) or not ID_PATTERN.match(item_id)):
        bad("id", f"id {item_id!r} must be lowercase words joined by '-' and '/', "
                  "e.g. vitamin-k2/dosage")
    kind: Kind | None = None
    if meta.get("kind") is not None:
        try:
            kind = Kind(meta["kind"])
        except ValueError:
            bad("kind", f"unknown kind {meta['kind']!r}: use "
                        + " or ".join(k.value for k in Kind))
    supplement = meta.get("supplement")
    if supplement is not None and not isinstance(supplement, str):
        bad("supplement", "supplement must be a name")
    if kind is Kind.SUPPLEMENT_SECTION and not supplement:
        problems.append(Problem(where, line("kind"),
                                "a supplement_section needs a 'supplement' field"))
    status: Status | None = None
    if meta.get("status") is not None:
        try:
            status = Status(meta["status"])
        except ValueError:
            bad("status", f"unknown status {meta['status']!r}: use draft, ready or archived")
    for key in ("title", "summary", "review", "author"):
        if meta.get(key) is not None and not isinstance(meta[key], str):
            bad(key, f"{key} must be text")
    summary = meta.get("summary") if isinstance(meta.get("summary"), str) else ""
    if len(summary) > SUMMARY_MAX:
        bad("summary", f"summary is {len(summary)} characters; shorten it to at most "
                       f"{SUMMARY_MAX} so it stands alone in a social post")

    tags = _str_list(meta.get("tags", []) or [])
    if tags is None:
        bad("tags", "tags must be a list of words")
        tags = []
    evidence: list[Evidence] = []
    for level in _str_list(meta.get("evidence", []) or []) or []:
        try:
            evidence.append(Evidence(level))
        except ValueError:
            bad("evidence", f"unknown evidence level {level!r}: use "
                            + ", ".join(e.value for e in Evidence))
    priority = meta.get("priority", 0)
    if isinstance(priority, bool) or not isinstance(priority, int):
        bad("priority", f"priority must be a whole number, not {priority!r}")
        priority = 0
    not_before = meta.get("not_before")
    if isinstance(not_before, datetime):
        not_before = not_before.date()
    elif not_before is not None and not isinstance(not_before, date):
        bad("not_before", f"not_before must be a date like 2026-12-01, not {not_before!r}")
        not_before = None
    source: Source | None = None
    raw_source = meta.get("source")
    if isinstance(raw_source, str):
        source = Source(file=raw_source)
    elif isinstance(raw_source, Mapping) and isinstance(raw_source.get("file"), str):
        source = Source(file=raw_source["file"], heading=str(raw_source.get("heading") or ""))
    elif raw_source is not None:
        bad("source", "source must be {file: NAME-OR-URL, heading: HEADING}")
    citations: list[int] = []
    raw_cites = meta.get("citations", []) or []
    if not isinstance(raw_cites, list) or not all(
            isinstance(c, int) and not isinstance(c, bool) for c in raw_cites):
        bad("citations", "citations must be a list of reference numbers")
    else:
        citations = list(raw_cites)
    variants: dict[str, str] = {}
    raw_variants = meta.get("variants", {}) or {}
    if not isinstance(raw_variants, Mapping):
        bad("variants", "variants must map a channel name to its text")
    else:
        for key, value in raw_variants.items():
            if key not in VARIANT_KEYS:
                bad("variants", f"unknown variant {key!r}: use "
                                + ", ".join(sorted(VARIANT_KEYS)))
            elif not isinstance(value, str) or not value.strip():
                bad("variants", f"variant {key!r} must be non-empty text")
            else:
                variants[key] = value
    overrides: list[GuardOverride] = []
    raw_over = meta.get("guard_overrides", []) or []
    if not isinstance(raw_over, list):
        bad("guard_overrides", "guard_overrides must be a list of {rule, reason}")
    else:
        for entry in raw_over:
            if (isinstance(entry, Mapping) and isinstance(entry.get("rule"), str)
                    and isinstance(entry.get("reason"), str) and entry["reason"].strip()):
                overrides.append(GuardOverride(rule=entry["rule"], reason=entry["reason"]))
            else:
                bad("guard_overrides", "each override needs a rule and a non-empty reason")
    if not doc.body.strip():
        problems.append(Problem(where, doc.body_line, "empty body: write the item's Markdown "
                                                      "below the closing '---'"))

    if not isinstance(item_id, str) or kind is None or status is None or not summary \
            or not isinstance(meta.get("title"), str):
        return None, problems
    item = Item(
        id=item_id, kind=kind, title=meta["title"].strip(), summary=summary.strip(),
        body=doc.body, supplement=supplement if isinstance(supplement, str) else None,
        tags=tuple(tags), evidence=tuple(dict.fromkeys(evidence)), status=status,
        priority=priority, not_before=not_before, source=source,
        citations=tuple(citations), review=meta.get("review") or None,
        author=meta.get("author") if isinstance(meta.get("author"), str) else None,
        variants=variants, guard_overrides=tuple(overrides),
        path=path, body_line=doc.body_line,
    )
    return item, problems


def item_to_meta(item: Item) -> dict[str, Any]:
    """The front matter for ``item``, in the documented field order, empty fields left out."""
    meta: dict[str, Any] = {
        "id": item.id, "kind": item.kind.value, "supplement": item.supplement,
        "title": item.title, "summary": item.summary, "tags": list(item.tags),
        "evidence": [e.value for e in item.evidence], "status": item.status.value,
        "priority": item.priority, "not_before": item.not_before,
        "source": ({"file": item.source.file, "heading": item.source.heading}
                   if item.source else None),
        "citations": list(item.citations), "review": item.review, "author": item.author,
        "variants": dict(item.variants) or None,
        "guard_overrides": [{"rule": o.rule, "reason": o.reason}
                            for o in item.guard_overrides] or None,
    }
    return {k: v for k, v in meta.items() if v not in (None, [], {})}
