"""Measuring the claims guard on a labelled corpus (``tests/guard/corpus``).

A corpus file holds one sentence a line, ``labels<TAB>sentence``; ``labels`` is ``harmless``
or comma-separated classes of :data:`k2publisher.guard.claims.CLASSES` (``therapy:augment`` ...).
:func:`evaluate` scores any classifier (sentence -> {class: level}) per class: recall (labelled
sentences flagged with their class, at any level), precision, and the share of harmless
sentences the classifier blocks; with ``blocking=True`` only findings that stop publication
count as found -- for the guard, :func:`guard_stops`, which asks the guard's own
:func:`~k2publisher.guard.claims.stops_publication` about each claim sent bare (a ``block``, or
a disease or therapy ``qualify`` that may only go out with its evidence qualifier beside it).
``bench/claims.py`` prints the figures;
``tests/guard/test_claims_corpus.py`` asserts floors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from k2publisher.content.cleaning.citations import clean_citations
from k2publisher.guard.claims import CLASSES, Finding, by_class, scan, stops_publication

__all__ = ["Labelled", "Score", "evaluate", "guard_classes", "guard_stops", "load",
           "rules_classes", "rules_stops"]

HARMLESS = "harmless"
_BEFORE = 6  # rows of the page before a sentence that the guard sees as its context
#: the families reported together besides each class
FAMILIES = {"therapy": ("therapy:augment", "therapy:substitute", "therapy:adverse")}


@dataclass(frozen=True)
class Labelled:
    """One corpus sentence: its labels (empty for harmless), its file and line."""

    sentence: str
    labels: frozenset[str]
    where: str
    page: str = ""
    before: str = ""  # the rows before it on its page


@dataclass
class Score:
    """Counts for one class: true positives, labelled total, flagged total."""

    hits: int = 0
    labelled: int = 0
    flagged: int = 0
    missed: list[Labelled] = field(default_factory=list)

    @property
    def recall(self) -> float:
        """Share of labelled sentences flagged with the class (1.0 when none is labelled)."""
        return self.hits / self.labelled if self.labelled else 1.0

    @property
    def precision(self) -> float:
        """Share of flagged sentences that carry the label (1.0 when none is flagged)."""
        return self.hits / self.flagged if self.flagged else 1.0


def load(folder: Path) -> list[Labelled]:
    """Every labelled sentence of the ``*.tsv`` files in ``folder``; raises ValueError naming
    the file and line of a malformed one."""
    rows: list[Labelled] = []
    for path in sorted(folder.glob("*.tsv")):
        found: list[tuple[str, frozenset[str], str]] = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            labels, sep, sentence = line.partition("\t")
            if not sep or not sentence.strip():
                raise ValueError(f"{path}:{number}: expected 'labels<TAB>sentence'")
            names = frozenset(x.strip() for x in labels.split(",")) - {HARMLESS}
            unknown = names - set(CLASSES)
            if unknown:
                raise ValueError(f"{path}:{number}: unknown label {sorted(unknown)[0]!r}")
            # as a reader sees it after import: citation digits glued to words removed
            found.append((clean_citations(sentence.strip()).text, names, f"{path.name}:{number}"))
        page = " ".join(s for s, _, _ in found)
        # the rows before, as paragraphs: a question's answer, a list heading's items
        rows += [Labelled(s, names, where, page,
                          "\n\n".join(f[0] for f in found[max(0, n - _BEFORE):n]))
                 for n, (s, names, where) in enumerate(found)]
    return rows


@cache
def _findings(sentence: str, page: str, before: str,
              learned: bool = True) -> tuple[Finding, ...]:
    return tuple(scan(sentence, context=page, before=before, learned=learned))


def _stops(findings: Iterable[Finding]) -> dict[str, str]:
    return by_class([replace(f, level="block") if stops_publication(f) else f
                     for f in findings])


def guard_classes(sentence: str, page: str = "", before: str = "") -> dict[str, str]:
    """The claims guard's verdict on one sentence of ``page`` (``before`` is the sentence
    before it there): class -> worst level found."""
    return by_class(list(_findings(sentence, page, before)))


def guard_stops(sentence: str, page: str = "", before: str = "") -> dict[str, str]:
    """:func:`guard_classes` with every finding that stops publication of the claim sent bare
    (:func:`~k2publisher.guard.claims.stops_publication`, the guard's own rule) as ``block``:
    a block, and a disease or therapy ``qualify`` that the guard lets out only with its
    evidence qualifier beside it."""
    return _stops(_findings(sentence, page, before))


def rules_classes(sentence: str, page: str = "", before: str = "") -> dict[str, str]:
    """As :func:`guard_classes`, the rules alone (without the learned second opinion)."""
    return by_class(list(_findings(sentence, page, before, learned=False)))


def rules_stops(sentence: str, page: str = "", before: str = "") -> dict[str, str]:
    """As :func:`guard_stops`, the rules alone (without the learned second opinion)."""
    return _stops(_findings(sentence, page, before, learned=False))


def evaluate(rows: Iterable[Labelled],
             classify: Callable[[str, str, str], dict[str, str]] | None = None,
             *, blocking: bool = False) -> tuple[dict[str, Score], Score]:
    """Per-class scores (classes and :data:`FAMILIES`) and the harmless score, whose ``hits``
    count harmless sentences blocked and ``flagged`` those flagged at any level.

    With ``blocking`` a class only counts as found when its finding stops publication
    (``block``; the guard's classifier is then :func:`guard_stops`): the standard is "never
    published with an unqualified disease claim", and a note does not stop anything."""
    if classify is None:
        classify = guard_stops if blocking else guard_classes
    scores: dict[str, Score] = {}
    harmless = Score()
    for row in rows:
        found = classify(row.sentence, row.page, row.before)
        labels = set(row.labels)
        flagged = {c for c, level in found.items() if level == "block" or not blocking}
        for family, members in FAMILIES.items():
            if labels & set(members):
                labels.add(family)
            if flagged & set(members):
                flagged.add(family)
        for name in labels | flagged:
            score = scores.setdefault(name, Score())
            score.labelled += name in labels
            score.flagged += name in flagged
            if name in labels and name in flagged:
                score.hits += 1
            elif name in labels:
                score.missed.append(row)
        if not row.labels:
            harmless.labelled += 1
            harmless.flagged += bool(found)
            if "block" in found.values():
                harmless.hits += 1
                harmless.missed.append(row)
    return scores, harmless
