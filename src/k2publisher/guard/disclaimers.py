"""Which disclaimers an item, or one reader-visible part of it, must carry.

The rules are data: ``[[disclaimer]]`` tables in a TOML file (the built-in
``k2publisher/defaults/disclaimers.toml``, or the site's ``config/disclaimers.toml``).
:class:`DisclaimerRules` reads them once and answers three questions:

* :meth:`DisclaimerRules.for_text` -- what a piece of text (plus the item's kind, tags and
  evidence) triggers;
* :meth:`DisclaimerRules.for_item` -- what the whole item triggers;
* :meth:`DisclaimerRules.required_for_part` -- THE policy of what one part a reader sees
  (an email, a feed entry, one post of a thread) must carry.

The renderer uses the answers to place disclaimers; the guard uses the same answers to
refuse a rendering that lost one.
"""

from __future__ import annotations

import html
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from k2publisher.errors import ConfigError
from k2publisher.models import Item

if TYPE_CHECKING:
    from k2publisher.settings import Settings

_FLAGS = re.IGNORECASE
PLACEMENTS = ("top", "beside", "footer")
FAMILIES = ("email", "feed", "web", "social")
#: families where a disclaimer's short form counts (elsewhere only the full text does)
SHORT_FORM_FAMILIES = frozenset({"social"})
SF_COUNTS = ("one", "many")

_RULE_KEYS = frozenset({"id", "text", "short", "priority", "placement", "critical", "when"})
_WHEN_KEYS = frozenset({"always", "kinds", "tags", "evidence", "evidence_only", "pattern",
                        "pattern_absent", "structure_function"})
_SF_KEYS = frozenset({"verbs", "targets", "subjects"})

# ---------------------------------------------------------------------------------------
# Text normalisation shared by the guard


_HIDDEN = re.compile(r"<(style|script|head|template)\b[^>]*>.*?</\1\s*>", re.DOTALL | _FLAGS)
_TAG = re.compile(r"<!--.*?-->|<(/?)([A-Za-z][A-Za-z0-9]*)\b[^>]*>", re.DOTALL)
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
    "nav", "ol", "p", "pre", "section", "table", "ul", "title", "body", "html", "head",
    "summary", "description", "content",
})
# a table reads as one statement (a cell such as "Enhanced apoptosis" takes its meaning, and
# its qualifiers, from the rest of the table), so its inner tags are plain spaces
_CELL_TAGS = frozenset({"tbody", "td", "tfoot", "th", "thead", "tr"})
# an innermost table (a data table, not an email's layout table around everything)
_INNER_TABLE = re.compile(r"<table\b(?:(?!<table\b).)*?</table\s*>", re.DOTALL | re.IGNORECASE)
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
                         "\u00a0": " ", "\u202f": " "})
_MARKUP_MARKS = re.compile(r"[*_]+")
_ESCAPED = re.compile(r"\\([^\w\s])")
_SPACE = re.compile(r"\s+")
_HYPHEN_BREAK = re.compile(r"-\s+")
_SPACE_H = re.compile(r"[ \t]+")
_PARAGRAPH = re.compile(r"\n\s*\n|\n(?=[ \t]*(?:[-*•#]|\d+[.)])\s)")


def visible_text(text: str, *, paragraphs: bool = False) -> str:
    """``text`` as a reader sees it: tags removed, entities unescaped, spaces collapsed.

    Block-level tags become a space so ``<p>a</p><p>b</p>`` reads ``a b``; inline tags
    (``<strong>``, ``<a>``) vanish so they never split a sentence; a table reads as one
    paragraph. With ``paragraphs``, block tags, blank lines and list bullets become
    paragraph breaks (a blank line) instead of spaces.
    """
    gap = "\n\n" if paragraphs else " "

    def tag(m: re.Match[str]) -> str:
        name = (m.group(2) or "").lower()
        if name in _CELL_TAGS:
            return " "
        return gap if name in _BLOCK_TAGS else ""

    if "<" in text:
        text = _HIDDEN.sub(gap, text)
        if paragraphs:
            text = _INNER_TABLE.sub(lambda m: _SPACE.sub(" ", m.group()), text)
        text = _TAG.sub(tag, text)
    if "&" in text:
        text = html.unescape(text)
    if paragraphs:
        return "\n\n".join(p for p in (_SPACE.sub(" ", c).strip()
                                        for c in _PARAGRAPH.split(text)) if p)
    return _SPACE.sub(" ", text).strip()


@lru_cache(maxsize=512)
def normalise(text: str) -> str:
    """The form in which disclaimer texts are compared: visible text without emphasis marks.

    Typographic quotes become straight ones, Markdown/mrkdwn emphasis (``*``, ``_``) and
    backslash escapes disappear, and a line break after a hyphen (text wrapping) is closed.
    """
    text = visible_text(text).translate(_QUOTES)
    text = _ESCAPED.sub(r"\1", text)
    text = _MARKUP_MARKS.sub("", text)
    text = _SPACE.sub(" ", text)
    return _HYPHEN_BREAK.sub("-", text).strip()


# ---------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class Disclaimer:
    """One disclaimer: its full text, its short form (None = none allowed) and placement."""

    id: str
    text: str
    short: str | None
    priority: int
    placement: str
    critical: bool

    def form(self, short: bool) -> str:
        """The text to print: the short form when ``short`` and one exists, else the full."""
        return self.short if short and self.short else self.text

    def present_in(self, text: str, allow_short: bool = False) -> bool:
        """True when ``text`` carries this disclaimer (full, or short when ``allow_short``).

        Comparison is on :func:`normalise` d text, so HTML wrapping (``<strong>``), entities
        (``&amp;``), wrapped lines and Markdown emphasis do not hide a disclaimer.
        """
        haystack = normalise(text)
        if normalise(self.text) in haystack:
            return True
        return bool(allow_short and self.short and normalise(self.short) in haystack)


@dataclass(frozen=True)
class StructureFunction:
    """How structure/function (S/F) claims are recognised, sentence by sentence."""

    verbs: re.Pattern[str]
    targets: re.Pattern[str]
    subjects: re.Pattern[str]

    def count(self, text: str, supplement: str | None = None) -> int:
        """How many sentences of ``text`` make an S/F claim.

        A sentence counts when a verb is followed by a target, the claim is not negated,
        and the sentence names the supplement, or ``supplement`` is given (the item is
        about a supplement, so "It supports bone health" is its claim).
        """
        found = 0
        for sentence in sentences(text):
            verb = self.verbs.search(sentence)
            if not verb or not self.targets.search(sentence, verb.end()):
                continue
            if is_negated(sentence, verb.start()):
                continue
            if supplement or self.subjects.search(sentence):
                found += 1
        return found


@dataclass(frozen=True)
class Trigger:
    """The ``when`` table of a rule: item conditions and text conditions (any one suffices)."""

    always: bool = False
    kinds: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    evidence: frozenset[str] = frozenset()
    evidence_only: bool = False
    pattern: re.Pattern[str] | None = None
    pattern_absent: re.Pattern[str] | None = None
    structure_function: str | None = None

    def by_item(self, item: Item) -> bool:
        """True when the item's kind, tags or evidence levels trigger the rule."""
        if self.kinds and item.kind.value in self.kinds:
            return True
        if self.tags and self.tags & {t.lower() for t in item.tags}:
            return True
        return self.by_evidence(item)

    def by_evidence(self, item: Item) -> bool:
        """True when the item's evidence levels trigger the rule."""
        if not self.evidence or not item.evidence:
            return False
        levels = {e.value for e in item.evidence}
        return levels <= self.evidence if self.evidence_only else bool(levels & self.evidence)

    def by_text(self, text: str, sf_claims: int) -> bool:
        """True when the (disclaimer-free, visible) text triggers the rule."""
        if self.structure_function == "one" and sf_claims == 1:
            return True
        if self.structure_function == "many" and sf_claims >= 2:
            return True
        if self.pattern is None or not self.pattern.search(text):
            return False
        return not (self.pattern_absent and self.pattern_absent.search(text))


@dataclass(frozen=True)
class Rule:
    """A disclaimer and what triggers it."""

    disclaimer: Disclaimer
    when: Trigger


# ---------------------------------------------------------------------------------------
# Helpers shared with the claims guard

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n\s*\n|\s*\n\s*(?=[-*•]|\d+[.)]\s)")
_NEGATION = re.compile(
    r"\b(?:not(?! only)|no|never|nor|neither|without|cannot|can't|isn't|aren't|doesn't|"
    r"don't|didn't|won't|wasn't|weren't|hasn't|haven't|lack of|unproven|insufficient)\b",
    _FLAGS)


_CLAUSE = re.compile(r"[,:()\u2013\u2014]|\b(?:but|while|whereas|however|although|yet)\b",
                     _FLAGS)


def sentences(text: str) -> list[str]:
    """``text`` cut into sentences (also at blank lines and list bullets)."""
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


def is_negated(sentence: str, start: int, window: int = 60) -> bool:
    """True when a negation ("not", "no", "never" ...) comes shortly before ``start``.

    Only the clause holding ``start`` counts: a negation before a comma, colon or "but"
    belongs to another statement ("not a drug, but it cures cancer" is not negated).
    """
    before = sentence[max(0, start - window):start].translate(_QUOTES)
    clause = _CLAUSE.split(before)[-1]
    return bool(_NEGATION.search(clause))


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


_NOT_PROSE = re.compile(r"(?:https?://|www\.)\S+|(?<![\w&])[#@][\w-]+(?:@[\w.-]+\w)?")


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
        return _Parser(source, name).parse()

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
            chosen += [r for r in self.rules if r.when.by_evidence(item)]
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


# ---------------------------------------------------------------------------------------
# Parsing with line numbers

_TOML_LINE = re.compile(r"at line (\d+)")


@dataclass
class _Parser:
    source: str
    name: str | Path
    _headers: list[int] = field(default_factory=list)

    def parse(self) -> DisclaimerRules:
        try:
            data = tomllib.loads(self.source)
        except tomllib.TOMLDecodeError as exc:
            m = _TOML_LINE.search(str(exc))
            raise ConfigError(
                f"not valid TOML: {exc}; fix the syntax (strings in quotes, one "
                f"[[disclaimer]] table per rule, regexes in 'single quotes')",
                self.name, int(m.group(1)) if m else None) from None
        lines = self.source.splitlines()
        self._headers = [n for n, line in enumerate(lines, 1)
                         if line.strip().startswith("[[disclaimer]]")]
        unknown = set(data) - {"disclaimer", "structure_function"}
        if unknown:
            raise ConfigError(f"unknown table(s) {', '.join(sorted(unknown))}: only "
                              "[[disclaimer]] and [structure_function] are read", self.name)
        entries = data.get("disclaimer")
        if not isinstance(entries, list) or not entries:
            raise ConfigError("no [[disclaimer]] tables: add at least one rule", self.name)
        sf = self._structure_function(data.get("structure_function"))
        rules: list[Rule] = []
        seen: set[str] = set()
        for index, entry in enumerate(entries):
            rule = self._rule(index, entry)
            if rule.disclaimer.id in seen:
                self._fail(index, "id", f"duplicate disclaimer id {rule.disclaimer.id!r}: "
                                        "give each rule its own id")
            seen.add(rule.disclaimer.id)
            rules.append(rule)
        return DisclaimerRules(rules, sf, str(self.name))

    def _line(self, index: int, key: str | None = None) -> int | None:
        if index >= len(self._headers):
            return None
        start = self._headers[index]
        if key is None:
            return start
        end = self._headers[index + 1] if index + 1 < len(self._headers) else None
        lines = self.source.splitlines()[start:end and end - 1]
        key_re = re.compile(rf"^\s*{re.escape(key)}\s*=|[{{,]\s*{re.escape(key)}\s*=")
        for offset, line in enumerate(lines, start + 1):
            if key_re.search(line):
                return offset
        return start

    def _fail(self, index: int, key: str | None, message: str) -> None:
        raise ConfigError(message, self.name, self._line(index, key))

    def _regex(self, index: int, key: str, value: Any) -> re.Pattern[str]:
        if not isinstance(value, str) or not value:
            self._fail(index, key, f"{key} must be a regular expression in quotes")
        try:
            return re.compile(value, _FLAGS)
        except re.error as exc:
            self._fail(index, key, f"{key} is not a valid regular expression ({exc}); "
                                   "use 'single quotes' so backslashes stay as written")
        raise AssertionError("unreachable")

    def _structure_function(self, table: Any) -> StructureFunction:
        line = next((n for n, s in enumerate(self.source.splitlines(), 1)
                     if s.strip().startswith("[structure_function]")), None)
        if not isinstance(table, Mapping) or set(table) != _SF_KEYS:
            raise ConfigError("[structure_function] needs exactly: verbs, targets, subjects "
                              "(regular expressions)", self.name, line)
        try:
            return StructureFunction(**{k: re.compile(table[k], _FLAGS) for k in _SF_KEYS})
        except (re.error, TypeError) as exc:
            raise ConfigError(f"[structure_function] has an invalid regular expression "
                              f"({exc})", self.name, line) from None

    def _rule(self, index: int, entry: Any) -> Rule:
        if not isinstance(entry, Mapping):
            self._fail(index, None, "each [[disclaimer]] must be a table")
        unknown = set(entry) - _RULE_KEYS
        if unknown:
            key = sorted(unknown)[0]
            self._fail(index, key, f"unknown key {key!r} (known: {', '.join(sorted(_RULE_KEYS))})")
        for key in ("id", "text", "when"):
            if key not in entry:
                self._fail(index, None, f"[[disclaimer]] #{index + 1} is missing {key!r}")
        ident, text, short = entry["id"], entry["text"], entry.get("short")
        if not isinstance(ident, str) or not re.fullmatch(r"[A-Z][A-Z0-9_]*", ident):
            self._fail(index, "id", f"id {ident!r} must be UPPER_CASE letters, digits and _")
        if not isinstance(text, str) or not text.strip():
            self._fail(index, "text", f"{ident}: text must be a non-empty string")
        if short is not None and (not isinstance(short, str) or not short.strip()):
            self._fail(index, "short", f"{ident}: short must be a non-empty string, or left "
                                       "out where no short form is allowed")
        priority = entry.get("priority", 0)
        if not isinstance(priority, int) or isinstance(priority, bool):
            self._fail(index, "priority", f"{ident}: priority must be an integer")
        placement = entry.get("placement", "beside")
        if placement not in PLACEMENTS:
            self._fail(index, "placement", f"{ident}: placement {placement!r} must be one of "
                                           + ", ".join(PLACEMENTS))
        critical = entry.get("critical", False)
        if not isinstance(critical, bool):
            self._fail(index, "critical", f"{ident}: critical must be true or false")
        disclaimer = Disclaimer(ident, text.strip(), short.strip() if short else None,
                                priority, placement, critical)
        return Rule(disclaimer, self._when(index, ident, entry["when"]))

    def _when(self, index: int, ident: str, when: Any) -> Trigger:
        if not isinstance(when, Mapping) or not when:
            self._fail(index, "when", f"{ident}: when must be a table, e.g. "
                                      "when = { always = true }")
        unknown = set(when) - _WHEN_KEYS
        if unknown:
            key = sorted(unknown)[0]
            self._fail(index, "when", f"{ident}: unknown condition {key!r} in when (known: "
                                      f"{', '.join(sorted(_WHEN_KEYS))})")

        def names(key: str) -> frozenset[str]:
            value = when.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                self._fail(index, "when", f"{ident}: when.{key} must be a list of strings")
            return frozenset(v.lower() for v in value)

        for flag in ("always", "evidence_only"):
            if not isinstance(when.get(flag, False), bool):
                self._fail(index, "when", f"{ident}: when.{flag} must be true or false")
        sf = when.get("structure_function")
        if sf is not None and sf not in SF_COUNTS:
            self._fail(index, "when", f"{ident}: when.structure_function must be "
                                      "\"one\" or \"many\"")
        return Trigger(
            always=when.get("always", False),
            kinds=names("kinds"), tags=names("tags"), evidence=names("evidence"),
            evidence_only=when.get("evidence_only", False),
            pattern=self._regex(index, "pattern", when["pattern"]) if "pattern" in when
            else None,
            pattern_absent=self._regex(index, "pattern_absent", when["pattern_absent"])
            if "pattern_absent" in when else None,
            structure_function=sf,
        )
