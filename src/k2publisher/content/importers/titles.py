"""Titles the importer writes must pass the guard's headline check.

A heading copied from a page ("Inducing Apoptosis", "... anti-cancer mechanisms") can be a
claim the guard blocks in a subject line or post title. :func:`headline_safe` runs the
guard's own claims scan on each imported title (as a headline) and, when a rule would
block it, writes a neutral title instead and says so in ``review``.
"""

from __future__ import annotations

import re

from k2publisher.content.importers.base import ImportedItem
from k2publisher.guard.claims import scan

#: a leading verb form that carries the claim in explainer headings ("Inducing Apoptosis")
_LEADING_VERB = re.compile(r"^(?:\w+ing)\s+(?P<rest>.+)$", re.I)


def blocking_rules(title: str) -> list[str]:
    """Ids of the claims rules that would block ``title`` as a headline."""
    return [f.rule for f in scan(title, headline=True) if f.level == "block"]


def _candidates(item: ImportedItem) -> list[str]:
    heading = item.title.split(": ", 1)[-1] if item.supplement else item.title
    rest = _LEADING_VERB.match(heading)
    topic = rest.group("rest") if rest else heading
    out = [f"How {topic[0].lower() + topic[1:]} works"] if rest else []
    name = item.supplement or "Mechanism explainer"
    out += [f"{name}: {topic}", f"{name}: notes from the source"]
    return out


def headline_safe(item: ImportedItem) -> None:
    """Give ``item`` a neutral title when the guard would block its title as a headline."""
    rules = blocking_rules(item.title)
    if not rules:
        return
    original = item.title
    item.title = next((t for t in _candidates(item) if not blocking_rules(t)),
                      "Untitled section")
    item.review.append(f"title {original!r} rewritten: the guard blocks it as a headline "
                       f"({', '.join(dict.fromkeys(rules))}); check the new title")
