"""Which disclaimers an item, or one reader-visible part of it, must carry.

The rules are data: ``[[disclaimer]]`` tables in a TOML file (the built-in
``k2publisher/defaults/disclaimers.toml``, or the site's ``config/disclaimers.toml``), read by
:mod:`k2publisher.guard.rules`. :class:`DisclaimerRules` answers three questions:

* :meth:`DisclaimerRules.for_text` -- what a piece of text (plus the item's kind, tags and
  evidence) triggers;
* :meth:`DisclaimerRules.for_item` -- what the whole item triggers;
* :meth:`DisclaimerRules.required_for_part` -- THE policy of what one part a reader sees
  (an email, a feed entry, one post of a thread) must carry.

The renderer uses the answers to place disclaimers; the guard uses the same answers to
refuse a rendering that lost one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from k2publisher.errors import ConfigError
from k2publisher.guard.rules import (
    PLACEMENTS,
    Disclaimer,
    Rule,
    StructureFunction,
    Trigger,
    parse_rules,
)
from k2publisher.guard.text import is_negated, normalise, sentences, visible_text
from k2publisher.models import Item

if TYPE_CHECKING:
    from k2publisher.settings import Settings

__all__ = [
    "FAMILIES", "PLACEMENTS", "SHORT_FORM_FAMILIES", "Disclaimer", "DisclaimerRules", "Rule",
    "StructureFunction", "Trigger", "builtin_rules", "is_negated", "item_text", "normalise",
    "prose", "sentences", "strip_disclaimers", "visible_text",
]

FAMILIES = ("email", "feed", "web", "social")
#: families where a disclaimer's short form counts (elsewhere only the full text does)
SHORT_FORM_FAMILIES = frozenset({"social"})
_SPACE = re.compile(r"\s+")
_SPACE_H = re.compile(r"[ \t]+")


def strip_disclaimers(text: str, rules: DisclaimerRules) -> str:
    """The visible text with every known disclaimer (full and short forms) cut out.

    Used before scanning for claims or triggers, so our own warnings ("does not show it
    prevents, treats or cures cancer") are neither flagged nor counted as the item's claims.
    """
    kept: list[str] = []
    for paragraph in visible_text(text, paragraphs=True).split("\n\n"):
        out = normalise(paragraph)
        for form in rules.forms():
            if form in out:
                out = out.replace(form, " ")
        out = _SPACE.sub(" ", out).strip()
        if out:
            kept.append(out)
    return "\n\n".join(kept)


# links, LinkedIn's {hashtag|\#|tag}, hashtags and mentions
_NOT_PROSE = re.compile(r"(?:https?://|www\.)\S+|\{hashtag\|\\?#\|[^}]*\}"
                        r"|(?<![\w&])[#@][\w-]+(?:@[\w.-]+\w)?")


def prose(text: str, rules: DisclaimerRules) -> str:
    """The words a part says: :func:`strip_disclaimers`, then links, hashtags and mentions out.

    Rules are triggered and claims scanned on this, so ``#Dosage`` or a link to
    ``/archive/vitamin-k2/dosage/`` does not count as discussing dosage.
    """
    return _SPACE_H.sub(" ", _NOT_PROSE.sub(" ", strip_disclaimers(text, rules))).strip()


def _order(found: Iterable[Disclaimer]) -> list[Disclaimer]:
    unique = {d.id: d for d in found}
    return sorted(unique.values(), key=lambda d: (not d.critical, -d.priority, d.id))


# ---------------------------------------------------------------------------------------
# The rule set


class DisclaimerRules:
    """A loaded set of disclaimer rules; ask it what an item or a part must carry."""

    def __init__(self, rules: Sequence[Rule], structure_function: StructureFunction,
                 source: str = "<rules>"):
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.structure_function = structure_function
        self.source = source
        self._by_id = {r.disclaimer.id: r.disclaimer for r in self.rules}
        self._forms = tuple(sorted(
            {normalise(f) for r in self.rules
             for f in (r.disclaimer.text, r.disclaimer.short) if f},
            key=len, reverse=True))

    # -- loading ------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path | None = None) -> DisclaimerRules:
        """Read the rules from ``path``, or the built-in rules when ``path`` is None.

        Raises :class:`ConfigError` naming the file and line of a malformed rule.
        """
        if path is None:
            return builtin_rules()
        try:
            source = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read disclaimer rules: {exc.strerror}", path) from None
        return cls.from_toml(source, Path(path))

    @classmethod
    def from_settings(cls, settings: Settings) -> DisclaimerRules:
        """The site's rules (``[paths] disclaimers``) if that file exists, else the built-in."""
        path = settings.path("disclaimers")
        return cls.load(path) if path.is_file() else builtin_rules()

    @classmethod
    def from_toml(cls, source: str, name: str | Path = "<disclaimers>") -> DisclaimerRules:
        """Parse rules from TOML text; ``name`` is used in error messages."""
        rules, structure_function = parse_rules(source, name)
        return DisclaimerRules(rules, structure_function, str(name))

    # -- queries ------------------------------------------------------------------------

    @property
    def disclaimers(self) -> tuple[Disclaimer, ...]:
        """Every disclaimer, in file order."""
        return tuple(r.disclaimer for r in self.rules)

    def get(self, disclaimer_id: str) -> Disclaimer:
        """The disclaimer called ``disclaimer_id``; raises KeyError naming the known ones."""
        try:
            return self._by_id[disclaimer_id]
        except KeyError:
            raise KeyError(f"no disclaimer {disclaimer_id!r} (known: "
                           f"{', '.join(self._by_id)})") from None

    def forms(self) -> tuple[str, ...]:
        """Every full and short text, normalised, longest first."""
        return self._forms

    def structure_function_claims(self, item: Item | None, text: str) -> int:
        """How many structure/function claims ``text`` makes (disclaimers excluded)."""
        clean = prose(text, self)
        return self.structure_function.count(clean, item.supplement if item else None)

    def for_text(self, item: Item, text: str) -> list[Disclaimer]:
        """What ``text`` triggers, plus what the item's kind, tags and evidence trigger.

        Critical disclaimers come first, then by priority (highest first). Exactly one of
        ``FDA_SF_1``/``FDA_SF_N`` is chosen, by how many S/F claims ``text`` makes.
        """
        return _order(r.disclaimer for r in self._triggered(item, text, item_level=True))

    def for_item(self, item: Item) -> list[Disclaimer]:
        """What the whole item (title, summary and body) triggers."""
        return self.for_text(item, item_text(item))

    def required_for_part(self, item: Item, part_text: str, index: int,
                          family: str) -> list[Disclaimer]:
        """THE policy: the disclaimers one reader-visible part must carry.

        * ``email``, ``feed``, ``web``: everything :meth:`for_item` triggers (one unit).
        * ``social``: what the post's own text triggers; when it triggers anything (the post
          makes a claim), the item's evidence caveats too, since each post travels alone.
          Post 0 also carries the critical warnings the whole item triggers (a thread's
          safety warnings go first) and the ``always`` rules (NOT_MEDICAL_ADVICE), which
          later posts do not repeat. The item's kind and tags alone do not require anything
          in a post: on X the short forms of every item-level rule would not fit beside the
          critical ones.
        """
        if family not in FAMILIES:
            raise ConfigError(f"unknown format family {family!r}: use one of "
                              + ", ".join(FAMILIES))
        if family != "social":
            return self.for_item(item)
        chosen = self._triggered(item, part_text, item_level=False)
        if chosen:
            chosen += [r for r in self.rules if r.when.by_evidence(item) and r.when.about(item)]
        if index == 0:
            chosen += [r for r in self.rules if r.when.always]
            critical = [d for d in self.for_item(item) if d.critical]
            return _order([*critical, *(r.disclaimer for r in chosen)])
        return _order(r.disclaimer for r in chosen)

    def _triggered(self, item: Item, text: str, *, item_level: bool) -> list[Rule]:
        clean = prose(text, self)
        sf_claims = self.structure_function.count(clean, item.supplement)
        hits: list[Rule] = []
        for rule in self.rules:
            when = rule.when
            if not when.about(item):
                continue
            if when.by_text(clean, sf_claims) or (
                    item_level and (when.always or when.by_item(item))):
                hits.append(rule)
        return hits


def item_text(item: Item) -> str:
    """Everything of an item a reader may see: title, summary and body."""
    return "\n\n".join(p for p in (item.title, item.summary, item.body) if p)


def builtin_path() -> Any:
    """The packaged ``defaults/disclaimers.toml`` (an importlib.resources Traversable)."""
    return files("k2publisher") / "defaults" / "disclaimers.toml"


@lru_cache(maxsize=1)
def builtin_rules() -> DisclaimerRules:
    """The built-in rules, read once per process."""
    return DisclaimerRules.from_toml(builtin_path().read_text(encoding="utf-8"),
                                     "k2publisher/defaults/disclaimers.toml")
