"""Recover tables whose column breaks were lost when a page was copied as text.

A "Summary Table: ..." title is followed by a header row and data rows, each now one line
of words separated by single spaces. Columns come back in two steps:

* the header row is split with a lexicon of common column names (:data:`HEADER_PHRASES`),
  lowercase joining words and parentheses staying with the name before them;
* each data row is split at the places where a new cell plausibly starts, tried in tiers
  of confidence: a capitalised word (``Inhibits``), then a stand-alone number, then an
  acronym or code right after another code (``HCC HSD17β4``), then any acronym or code
  (``VDR``, ``II``), then a number-led token (``1–45``); never
  after a comma or a joining word (``to``, ``with``, ``vitamin``). A row is split when one
  tier (added to the ones before it) gives exactly the number of breaks needed.

A row that no tier splits cleanly makes the table ambiguous: its rows are then kept
verbatim and the caller sets ``review``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass


def _words(text: str) -> list[str]:
    """The whitespace-separated words of a lexicon block."""
    return text.split()


#: multi-word column names seen in monographs (matched case-insensitively, longest first)
HEADER_PHRASES: tuple[str, ...] = (
    "Dose Range (per day)", "Cancer Types Studied", "Cancer Type", "Cancer Types",
    "Evidence Type", "Key Findings", "K2 Subtype", "Common Daily Dosage",
    "High Dose in Studies", "Safety/Toxicity Evidence", "Reported Side Effects",
    "Side Effects", "Combined Agent(s)", "Mechanism of Action", "Observed Impact",
    "Evidence Source", "Evidence for VK2 Benefit", "Impact on VK2 Efficacy",
    "Clinical Relevance", "Study Type", "Study Design", "Sample Size", "Main Outcome",
    "Primary Outcome", "Key Outcome", "Daily Dose", "Typical Dose", "Food Source",
    "Amount per Serving", "Level of Evidence", "Evidence Level", "Type of Study",
    "Number of Patients", "Population Studied", "Effect Size", "Notes/Exceptions",
    "Outcome/Notes", "Marker/Mechanism", "Demographic/Condition",
)

#: words after which a new cell never starts
JOINERS: frozenset[str] = frozenset(_words("""
to of in on for and or with vs vs. via at by the a an as from per than under over into
vitamin vit vit. type phase up about with/without and/or
"""))

_TITLE = re.compile(r"^[A-Z][a-zà-ÿ][\w’'-]*[/\w()’'-]*$")
_NUMBER = re.compile(r"^[0-9][0-9,.]*$")
_CODE = re.compile(r"^((?=.*[A-Z])[A-Za-z0-9κβαγ*/+-]*[A-Z][A-Za-z0-9κβαγ*/+-]*|rs[0-9]+)$")
_NUMBER_LED = re.compile(r"^[0-9]")
_TITLE_LINE = re.compile(r"^summary table\s*:\s*(?P<title>.+)$", re.I)


@dataclass(frozen=True)
class Table:
    """A recovered table: a header and rows of cells, or the raw lines when ambiguous."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    raw: tuple[str, ...]
    ambiguous_rows: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every row split into the header's columns."""
        return not self.ambiguous_rows and len(self.header) >= 2

    def markdown(self) -> str:
        """The table as GFM, or the raw lines (one per line) when it is ambiguous."""
        if not self.ok:
            return "\n".join(f"    {line}" for line in self.raw)
        def esc(cell: str) -> str:
            return cell.replace("|", "\\|")
        lines = ["| " + " | ".join(esc(c) for c in self.header) + " |",
                 "| " + " | ".join("---" for _ in self.header) + " |"]
        lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in self.rows]
        return "\n".join(lines)


def table_title(line: str) -> str | None:
    """The title of a ``Summary Table: TITLE`` line, else None."""
    match = _TITLE_LINE.match(line.strip())
    return match.group("title").strip() if match else None


def split_header(line: str) -> list[str]:
    """Split a header row into column names (lexicon phrases, then one name per capital)."""
    words = line.split()
    cells: list[str] = []
    i = 0
    while i < len(words):
        for phrase in sorted(HEADER_PHRASES, key=lambda p: -len(p.split())):
            size = len(phrase.split())
            if " ".join(words[i:i + size]).lower() == phrase.lower():
                cells.append(" ".join(words[i:i + size]))
                i += size
                break
        else:
            word = words[i]
            last = cells[-1].split()[-1] if cells else ""
            joins = cells and (word[0].islower() or word[0] in "(&"
                               or (last.islower() and last in JOINERS))
            if joins:
                cells[-1] += " " + word
            else:
                cells.append(word)
            i += 1
    return cells


def _tier(prev: str, word: str) -> int | None:
    """How confidently a new cell starts at ``word`` (1 best), or None if it cannot."""
    if prev.endswith((",", ";", ":", "&", "/")) or prev.lower() in JOINERS or word[0] in "(&":
        return None
    if re.fullmatch(r"[A-Za-z]{1,5}\.", word):
        return None  # an abbreviation such as "Synd." continues the cell before it
    word, prev = word.rstrip(",;:."), prev.rstrip(",;:.")
    if _TITLE.match(word):
        return 1
    if _NUMBER.match(word):
        return 2
    if _CODE.match(word):
        code_before = bool(_CODE.match(prev) or _NUMBER_LED.match(prev)) or prev.endswith(")")
        return 3 if code_before and not _TITLE.match(prev) else 4
    if _NUMBER_LED.match(word):
        return 5
    return None


def split_row(line: str, columns: int) -> list[str] | None:
    """Split a data row into ``columns`` cells, or None when that is ambiguous."""
    words = line.split()
    if columns < 2 or len(words) < columns:
        return None
    tiers = [(_tier(words[i - 1], words[i]), i) for i in range(1, len(words))]
    chosen: list[int] = []
    for level in (1, 2, 3, 4, 5):
        chosen += [i for t, i in tiers if t == level]
        if len(chosen) == columns - 1:
            cuts = [0, *sorted(chosen), len(words)]
            return [" ".join(words[a:b]) for a, b in itertools.pairwise(cuts)]
        if len(chosen) > columns - 1:
            return None
    return None


def recover(title: str, lines: list[str]) -> Table:
    """Rebuild a table from its header line and row lines."""
    header = split_header(lines[0]) if lines else []
    rows: list[tuple[str, ...]] = []
    ambiguous: list[str] = []
    for line in lines[1:]:
        cells = split_row(line, len(header))
        if cells is None:
            ambiguous.append(line)
        else:
            rows.append(tuple(cells))
    return Table(title=title, header=tuple(header), rows=tuple(rows), raw=tuple(lines),
                 ambiguous_rows=tuple(ambiguous))
