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
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from k2publisher.errors import ConfigError
from k2publisher.guard.interactions import Catalogue, builtin_catalogue, subject_params
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
    A text with placeholders is cut out whatever supplement fills them.
    """
    kept: list[str] = []
    for paragraph in visible_text(text, paragraphs=True).split("\n\n"):
        out = normalise(paragraph)
        lower = out.lower()
        for form in rules.form_patterns():
            if form.anchor in lower:
                out = form.pattern.sub(" ", out)
                lower = out.lower()
        out = _SPACE.sub(" ", out).strip()
        if out:
            kept.append(out)
    return "\n\n".join(kept)


# links, LinkedIn's {hashtag|\#|tag}, hashtags and mentions
_NOT_PROSE = re.compile(r"(?:https?://|www\.)\S+|\{hashtag\|\\?#\|[^}]*\}"
                        r"|(?<![\w&])[#@][\w-]+(?:@[\w.-]+\w)?")
_THREAD_MARKER = re.compile(r"^\s*\d+/\d+(?=\s)")


def prose(text: str, rules: DisclaimerRules) -> str:
    """The words a part says: :func:`strip_disclaimers`, then links, hashtags and mentions out.

    Rules are triggered and claims scanned on this, so ``#Dosage``, a link to
    ``/archive/vitamin-k2/dosage/`` or a thread marker (``3/4``) before "mg" does not count
    as discussing dosage.
    """
    words = _NOT_PROSE.sub(" ", strip_disclaimers(_THREAD_MARKER.sub(" ", text), rules))
    return _SPACE_H.sub(" ", words).strip()


@dataclass(frozen=True)
class _Form:
    """One disclaimer text to cut out: a cheap literal test, then the exact pattern."""

    anchor: str                  # the longest literal piece, lower-case
    pattern: re.Pattern[str]


def _forms_patterns(forms: Sequence[str]) -> tuple[_Form, ...]:
    """``forms`` (longest first) as patterns; a placeholder matches any short name."""
    out = []
    for form in forms:
        pieces = _PLACEHOLDER.split(form)
        pattern = r"[^.;:!?\n]{1,80}?".join(re.escape(p) for p in pieces)
        anchor = max(pieces, key=len).lower()
        out.append(_Form(anchor, re.compile(pattern, re.IGNORECASE)))
    return tuple(out)


_PLACEHOLDER = re.compile(r"\{(?:supplement|Supplement|forms)\}")


def _order(found: Iterable[Disclaimer]) -> list[Disclaimer]:
    unique = {d.id: d for d in found}
    return sorted(unique.values(), key=lambda d: (not d.critical, -d.priority, d.id))


# ---------------------------------------------------------------------------------------
# The rule set


class DisclaimerRules:
    """A loaded set of disclaimer rules; ask it what an item or a part must carry."""

    def __init__(self, rules: Sequence[Rule], structure_function: StructureFunction,
                 source: str = "<rules>", catalogue: Catalogue | None = None):
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.structure_function = structure_function
        self.source = source
        self.catalogue = catalogue or Catalogue.empty()
        self._by_id = {r.disclaimer.id: r.disclaimer for r in self.rules}
        for d in self.catalogue.every_text():
            self._by_id.setdefault(d.id, d)
        every = [*(r.disclaimer for r in self.rules), *self.catalogue.every_text()]
        self._forms = tuple(sorted(
            {normalise(f) for d in every for f in (d.text, d.short) if f},
            key=len, reverse=True))
        self._form_patterns = _forms_patterns(self._forms)
        self._names = self.catalogue.names
        self._item_cache: dict[tuple[object, ...], list[Disclaimer]] = {}

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
        """The site's rules and interaction catalogue, each the built-in one when missing.

        ``[paths] disclaimers`` and ``[paths] interactions`` name the site's files.
        """
        path = settings.path("disclaimers")
        catalogue_path = settings.path("interactions")
        catalogue = Catalogue.load(catalogue_path if catalogue_path.is_file() else None)
        rules = cls.load(path) if path.is_file() else builtin_rules()
        return rules.with_catalogue(catalogue)

    @classmethod
    def from_toml(cls, source: str, name: str | Path = "<disclaimers>",
                  catalogue: Catalogue | None = None) -> DisclaimerRules:
        """Parse rules from TOML text; ``name`` is used in error messages.

        Without ``catalogue`` the rules carry no interaction warnings.
        """
        rules, structure_function = parse_rules(source, name)
        return DisclaimerRules(rules, structure_function, str(name), catalogue)

    def with_catalogue(self, catalogue: Catalogue) -> DisclaimerRules:
        """These rules with ``catalogue``'s interaction warnings."""
        if catalogue is self.catalogue:
            return self
        return DisclaimerRules(self.rules, self.structure_function, self.source, catalogue)

    # -- queries ------------------------------------------------------------------------

    @property
    def disclaimers(self) -> tuple[Disclaimer, ...]:
        """Every disclaimer of the rules file, in file order (placeholders unfilled)."""
        return tuple(r.disclaimer for r in self.rules)

    def params(self, item: Item | None) -> dict[str, str]:
        """What the placeholders of a text say for ``item`` (see :func:`subject_params`)."""
        return subject_params(item, self.catalogue.entries_for(item))

    def get(self, disclaimer_id: str, item: Item | None = None) -> Disclaimer:
        """The disclaimer called ``disclaimer_id`` (a rule's or a catalogue warning's).

        With ``item``, its placeholders are filled for that item's supplement and a catalogue
        id (``INTERACTION_ANTICOAGULANTS``) is that supplement's warning. Raises KeyError
        naming the known ids.
        """
        if item is not None:
            for entry in self.catalogue.entries_for(item):
                for warning in entry.warnings:
                    if warning.disclaimer.id == disclaimer_id:
                        return warning.disclaimer
        try:
            found = self._by_id[disclaimer_id]
        except KeyError:
            raise KeyError(f"no disclaimer {disclaimer_id!r} (known: "
                           f"{', '.join(self._by_id)})") from None
        return found.resolve(self.params(item)) if item is not None else found

    def forms(self) -> tuple[str, ...]:
        """Every full and short text, normalised, longest first (placeholders unfilled)."""
        return self._forms

    def form_patterns(self) -> tuple[_Form, ...]:
        """Every full and short text as a pattern, whatever fills its placeholders."""
        return self._form_patterns

    def structure_function_claims(self, item: Item | None, text: str) -> int:
        """How many structure/function claims ``text`` makes (disclaimers excluded)."""
        clean = prose(text, self)
        return self.structure_function.count(clean, item.supplement if item else None,
                                             self._names)

    def for_text(self, item: Item, text: str) -> list[Disclaimer]:
        """What ``text`` triggers, plus what the item's kind, tags and evidence trigger.

        Critical disclaimers come first, then by priority (highest first). Exactly one of
        ``FDA_SF_1``/``FDA_SF_N`` is chosen, by how many S/F claims ``text`` makes.
        """
        return _order(self._triggered(item, text, item_level=True))

    def for_item(self, item: Item) -> list[Disclaimer]:
        """What the whole item (title, summary and body) triggers."""
        text = item_text(item)
        key = (item.id, item.supplement, tuple(item.tags), item.evidence, item.kind, text)
        found = self._item_cache.get(key)
        if found is None:
            if len(self._item_cache) > 256:
                self._item_cache.clear()
            found = self._item_cache[key] = self.for_text(item, text)
        return list(found)

    def opening(self, item: Item) -> list[Disclaimer]:
        """The warnings a thread (or a single post) about ``item`` opens with: every critical
        warning the whole item triggers, most important first.

        The first goes in post 1 beside the subject (:meth:`required_for_part`); the rest
        follow it there or in the posts right after it, before the body goes on (the guard
        checks that in :mod:`k2publisher.render.coverage`). Each is shown in its own short
        form, never merged with another.
        """
        return [d for d in self.for_item(item) if d.critical]

    def required_for_part(self, item: Item, part_text: str, index: int,
                          family: str, total: int = 1) -> list[Disclaimer]:
        """THE policy: the disclaimers one reader-visible part must carry.

        * ``email``, ``feed``, ``web``: everything :meth:`for_item` triggers (one unit).
        * ``social``: what the post's own text triggers, each warning in its own short form;
          when it triggers anything (the post makes a claim), the item's evidence caveats
          too, since each post travels alone. Post 1 also carries the first of the item's
          :meth:`opening` warnings (all of them lead the thread). The ``always`` rules
          (NOT_MEDICAL_ADVICE) go once per thread: in post 1, or, when their placement is
          ``footer``, in the last post (of ``total``), beside the link. The item's kind and
          tags alone do not require anything in a post: on X the short forms of every
          item-level rule would not fit beside the critical ones.
        """
        if family not in FAMILIES:
            raise ConfigError(f"unknown format family {family!r}: use one of "
                              + ", ".join(FAMILIES))
        if family != "social":
            return self.for_item(item)
        params = self.params(item)
        chosen = self._triggered(item, part_text, item_level=False)
        if chosen:
            chosen += [r.disclaimer.resolve(params) for r in self.rules
                       if r.when.by_evidence(item) and r.when.about(item)]
        last = index == max(total, 1) - 1
        chosen += [r.disclaimer.resolve(params) for r in self.rules if r.when.always and (
            last if r.disclaimer.placement == "footer" else index == 0)]
        if index == 0:
            chosen += self.opening(item)[:1]
        return _order(chosen)

    def _triggered(self, item: Item, text: str, *, item_level: bool) -> list[Disclaimer]:
        clean = prose(text, self)
        sf_claims = self.structure_function.count(clean, item.supplement, self._names)
        params = self.params(item)
        hits: list[Disclaimer] = []
        for rule in self.rules:
            when = rule.when
            if not when.about(item):
                continue
            if when.by_text(clean, sf_claims) or (
                    item_level and (when.always or when.by_item(item))):
                hits.append(rule.disclaimer.resolve(params))
        return [*hits, *self.catalogue.warnings(item, clean, item_level=item_level)]


def item_text(item: Item) -> str:
    """Everything of an item a reader may see: title, summary and body."""
    return "\n\n".join(p for p in (item.title, item.summary, item.body) if p)


def builtin_path() -> Any:
    """The packaged ``defaults/disclaimers.toml`` (an importlib.resources Traversable)."""
    return files("k2publisher") / "defaults" / "disclaimers.toml"


@lru_cache(maxsize=1)
def builtin_rules() -> DisclaimerRules:
    """The built-in rules with the built-in interaction catalogue, read once per process."""
    return DisclaimerRules.from_toml(builtin_path().read_text(encoding="utf-8"),
                                     "k2publisher/defaults/disclaimers.toml",
                                     builtin_catalogue())
