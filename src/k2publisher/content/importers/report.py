"""What the importer can say about each page it read: the quality figures of ``import --json``.

Per page: how many sections (items) it gave, every block stripped as chrome (family, line,
text), how many tokens had citation digits removed, and which tokens were left alone as
unclear (each also named in its item's ``review``). Problems as data, in the style of
``content/queue.py``'s ``LoadResult``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from k2publisher.content.importers.base import ImportedItem, PageNotes


@dataclass
class PageReport:
    """One imported page: its layout, its items and what the importer noticed."""

    source: str
    layout: str
    items: list[ImportedItem]
    notes: PageNotes = field(default_factory=PageNotes)

    @property
    def cleaned_tokens(self) -> list[str]:
        """Tokens whose citation digits were removed, as the page wrote them."""
        return [t for item in self.items for t in item.cleaned]

    @property
    def ambiguous_tokens(self) -> list[str]:
        """Tokens kept as written because their digits could be a name or a citation."""
        return list(dict.fromkeys(t for item in self.items for t in item.ambiguous))

    def figures(self) -> dict[str, Any]:
        """The page's quality figures as plain data."""
        return {
            "source": self.source, "layout": self.layout, "sections": len(self.items),
            "stripped_blocks": len(self.notes.stripped),
            "cleaned_tokens": len(self.cleaned_tokens),
            "ambiguous_tokens": self.ambiguous_tokens,
            "references": list(self.notes.references), "max_ref": self.notes.max_ref,
            "review_notes": sum(1 for item in self.items if item.review),
            "stripped": [{"kind": b.kind, "line": b.line, "text": b.summary()}
                         for b in self.notes.stripped],
        }
