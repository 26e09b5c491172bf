"""Measure the importer on pages that carry their own expectations (``PAGE.expect.toml``).

A test page is the text of a real-looking page in which every citation is written
``word[^1,2]``; :func:`load_page` glues the digits to the word before them, as a browser
copy does (``word12``), and remembers each such token as ground truth. The expectation file
beside the page names the sections that must come out (with phrases of their content),
the names with digits that must survive, and the chrome that must go::

    layout = "article"
    held_out = false            # true: never looked at while the rules were written
    supplement = "Lion’s Mane"
    author = "Sarah Whitfield"
    names = ["IL-1β", "ERK1/2"]
    chrome = ["Leave a Reply", "Tweet"]
    [[section]]
    id = "lions-mane/nootropics/benefits"
    contains = ["### Mood and Sleep"]
    forbid = ["### Dosage"]

:func:`evaluate` imports the page and returns :class:`PageScore` with the figures the
bench prints and the tests assert.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from k2publisher.content.cleaning.citations import cores
from k2publisher.content.importers.detect import import_page
from k2publisher.content.importers.report import PageReport

_MARK = re.compile(r"\[\^(\d+(?:,\d+)*)\]")
_UNCLEAR = re.compile(r"citation digits unclear in '(?P<token>[^']+)'")


@dataclass(frozen=True)
class Glued:
    """One citation glued to a word in a test page: the token as glued, and its numbers."""

    token: str
    numbers: tuple[int, ...]


@dataclass
class PageScore:
    """How the importer did on one test page."""

    name: str
    held_out: bool
    report: PageReport
    sections_expected: int = 0
    sections_missing: list[str] = field(default_factory=list)
    chrome_left: list[str] = field(default_factory=list)
    names_changed: list[str] = field(default_factory=list)
    damaged_tokens: list[str] = field(default_factory=list)
    glued_digits: int = 0
    cleaned_digits: int = 0
    #: cleaned glued tokens whose item lists exactly-these reference numbers among its own
    numbers_right: int = 0
    cleaned_tokens: int = 0
    unflagged: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)
    false_unclear: list[str] = field(default_factory=list)
    unexpected_items: list[str] = field(default_factory=list)
    wrong_meta: list[str] = field(default_factory=list)

    @property
    def cleaned_share(self) -> float:
        """Share of glued citation digits removed from the text (1.0 when there were none)."""
        return self.cleaned_digits / self.glued_digits if self.glued_digits else 1.0

    def figures(self) -> dict[str, Any]:
        """The figures as plain data."""
        return {
            "page": self.name, "held_out": self.held_out,
            "sections": f"{self.sections_expected - len(self.sections_missing)}"
                        f"/{self.sections_expected}",
            "stripped_blocks": len(self.report.notes.stripped),
            "chrome_left": len(self.chrome_left), "names_changed": len(self.names_changed),
            "damaged_tokens": len(self.damaged_tokens),
            "glued_digits": self.glued_digits, "cleaned_digits": self.cleaned_digits,
            "cleaned_share": round(self.cleaned_share, 4),
            "numbers_right": f"{self.numbers_right}/{self.cleaned_tokens}",
            "flagged": len(self.flagged), "unflagged": len(self.unflagged),
            "false_unclear": len(self.false_unclear),
            "unexpected_items": len(self.unexpected_items),
            "wrong_meta": len(self.wrong_meta),
        }

    def problems(self) -> list[str]:
        """Every per-page done-criterion missed, one line each (empty when all pass).

        The share of cleaned citation digits is a criterion of a group of pages
        (:func:`cleaned_share`), since one flagged token is 4% of a small page.
        """
        out = [f"section missing or incomplete: {s}" for s in self.sections_missing]
        out += [f"chrome left: {c}" for c in self.chrome_left]
        out += [f"name changed: {n}" for n in self.names_changed]
        out += [f"token damaged: {t}" for t in self.damaged_tokens]
        out += [f"glued citation neither cleaned nor flagged: {t}" for t in self.unflagged]
        out += [f"item not expected (chrome?): {i}" for i in self.unexpected_items]
        out += self.wrong_meta
        if len(self.false_unclear) > 1:
            out.append(f"{len(self.false_unclear)} false 'unclear' notes: {self.false_unclear}")
        return out


def load_page(path: Path) -> tuple[str, list[Glued]]:
    """The page as a browser copy gives it (citations glued) and the glued tokens."""
    marked = path.read_text(encoding="utf-8")
    glued: list[Glued] = []
    for token in marked.split():
        if not _MARK.search(token):
            continue
        flat = _MARK.sub(lambda m: m.group(1).replace(",", ""), token)
        numbers = tuple(int(n) for m in _MARK.finditer(token) for n in m.group(1).split(","))
        glued.append(Glued(cores(flat)[0], numbers))
    return _MARK.sub(lambda m: m.group(1).replace(",", ""), marked), glued


def _count(text: str, name: str) -> int:
    return len(re.findall(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text))


def evaluate(page: Path, expect: Path | None = None) -> PageScore:
    """Import ``page`` and compare what came out with its expectation file."""
    expect = expect or page.with_suffix(".expect.toml")
    spec = tomllib.loads(expect.read_text(encoding="utf-8"))
    text, glued = load_page(page)
    report = import_page(text, page.name)
    score = PageScore(page.name, bool(spec.get("held_out")), report)
    items = {item.id: item for item in report.items}
    out = "\n".join(f"{i.title}\n{i.body}" for i in report.items)
    stripped = "\n".join(line for b in report.notes.stripped for line in b.lines)
    if spec.get("layout") and report.layout != spec["layout"]:
        score.wrong_meta.append(f"layout {report.layout}, expected {spec['layout']}")
    sections = spec.get("section", [])
    score.sections_expected = len(sections)
    # a token the importer flagged counts once, in the flagged figure: the section's content
    # is compared as if the editor had fixed it
    flagged_fix = {g.token: (cores(g.token[:len(g.token) - len("".join(map(str, g.numbers)))])
                             or [""])[0] for g in glued}
    for section in sections:
        item = items.get(section["id"])
        body = item.body if item else ""
        for token in item.ambiguous if item else []:
            if token in flagged_fix:
                body = body.replace(token, flagged_fix[token])
        if item is None or any(p not in body for p in section.get("contains", [])) or any(
                p in body for p in section.get("forbid", [])):
            score.sections_missing.append(section["id"])
    expected_ids = {s["id"] for s in sections}
    score.unexpected_items = [i for i in items if i not in expected_ids]
    for item in report.items:
        for phrase in spec.get("chrome", []):
            if phrase in item.body or phrase in item.title:
                score.chrome_left.append(f"{item.id}: {phrase!r}")
        if spec.get("supplement") and item.supplement not in (None, spec["supplement"]):
            score.wrong_meta.append(f"{item.id}: supplement {item.supplement!r}")
        if spec.get("author") and item.author != spec["author"]:
            score.wrong_meta.append(f"{item.id}: author {item.author!r}")
    for name in spec.get("names", []):
        want = _count(text, name) - _count(stripped, name)
        if _count(out, name) < want:
            score.names_changed.append(name)
    source_tokens = set(cores(text))
    kept_forms = set(flagged_fix.values())
    score.damaged_tokens = sorted({
        core for core in cores(out) if re.search(r"\d", core)
        and core not in source_tokens and core not in kept_forms})
    remaining = Counter(cores(out))
    flagged = {m.group("token") for item in report.items for note in item.review
               for m in _UNCLEAR.finditer(note)}
    for g in glued:
        digits = len("".join(map(str, g.numbers)))
        score.glued_digits += digits
        if remaining[g.token] > 0:
            remaining[g.token] -= 1
            (score.flagged if g.token in flagged else score.unflagged).append(g.token)
        else:
            score.cleaned_digits += digits
            score.cleaned_tokens += 1
            score.numbers_right += any(
                g.token in item.cleaned and set(g.numbers) <= set(item.citations)
                for item in report.items)
    glued_tokens = {g.token for g in glued}
    score.false_unclear = sorted(flagged - glued_tokens)
    return score


def pages(folder: Path) -> list[Path]:
    """The test pages of ``folder`` (every ``*.txt`` with an ``.expect.toml`` beside it)."""
    return sorted(p for p in folder.glob("*.txt") if p.with_suffix(".expect.toml").is_file())


def cleaned_share(scores: list[PageScore]) -> float:
    """Share of the glued citation digits of ``scores`` that were removed from the text."""
    glued = sum(s.glued_digits for s in scores)
    return sum(s.cleaned_digits for s in scores) / glued if glued else 1.0
