"""The lexicon of names with digits, loaded from ``data/names.toml`` (with its sources).

Three kinds of knowledge, all data:

* exact names that contain or end in digits (genes, cytokines, CD markers, drugs, vitamins,
  cell lines): ``IL-12``, ``CYP3A4``, ``HepG2``;
* acronyms and units that never end in digits, so digits glued after them are citations:
  ``HCC5`` -> ``HCC`` [5], ``mg3`` -> ``mg`` [3];
* families, a pattern with the number that varies and the numbers that exist: ``IL-(n)``
  with n <= 41 makes ``IL-17`` a name and ``IL-126`` not one.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

#: the tables of ``names.toml`` whose names may themselves end in digits
NAME_TABLES = ("genes", "interleukins_and_cytokines", "cd_markers", "drugs_and_compounds",
               "vitamins_and_fatty_acids", "cell_lines")


@dataclass(frozen=True)
class Family:
    """A family of names such as ``IL-(n)``: a pattern and the numbers that exist."""

    pattern: re.Pattern[str]
    max: int | None
    values: frozenset[int] | None
    source: str

    def matches(self, token: str) -> bool:
        """True when ``token`` is a member of the family with a number that exists."""
        match = self.pattern.fullmatch(token)
        if match is None:
            return False
        number = int(match.group("n"))
        if self.values is not None:
            return number in self.values
        return 1 <= number <= (self.max if self.max is not None else number)


@dataclass(frozen=True)
class Lexicon:
    """Exact names, acronyms, units and families, each with the source it was taken from."""

    names: frozenset[str]
    acronyms: frozenset[str]
    units: frozenset[str]
    families: tuple[Family, ...]
    sources: dict[str, str]

    def family_member(self, token: str) -> bool:
        """True when ``token`` belongs to one of the families (``IL-17``, ``CYP2C8``)."""
        return any(f.matches(token) for f in self.families)

    def is_name(self, token: str) -> bool:
        """True when ``token`` is a name with digits: listed, or a member of a family."""
        return token in self.names or self.family_member(token)


def _words(value: object) -> list[str]:
    return str(value).split() if isinstance(value, str) else [str(v) for v in value or []]


@cache
def lexicon() -> Lexicon:
    """The bundled lexicon (read once)."""
    text = resources.files("k2publisher.content.cleaning").joinpath(
        "data/names.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    names: set[str] = set()
    sources: dict[str, str] = {}
    for table in NAME_TABLES:
        names.update(_words(data[table]["names"]))
        sources[table] = data[table]["source"]
    for table in ("acronyms", "units"):
        sources[table] = data[table]["source"]
    families = tuple(
        Family(re.compile(row["pattern"]), row.get("max"),
               frozenset(row["values"]) if "values" in row else None, row["source"])
        for row in data.get("family", []))
    return Lexicon(frozenset(names), frozenset(_words(data["acronyms"]["names"])),
                   frozenset(_words(data["units"]["names"])), families, sources)
