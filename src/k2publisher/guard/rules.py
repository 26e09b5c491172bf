"""The disclaimer rules file: its data classes and its parser.

A rules file is TOML: one ``[[disclaimer]]`` table per disclaimer (``id``, ``text``,
``short``, ``priority``, ``placement``, ``critical`` and a ``when`` table of triggers) and a
``[structure_function]`` table saying how structure/function claims are recognised. The
format is documented in ``docs/disclaimers.md`` and at the top of the built-in file.
:func:`parse_rules` turns the text into :class:`Rule` objects or raises
:class:`~k2publisher.errors.ConfigError` naming the file, the line and the fix.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from k2publisher.errors import ConfigError
from k2publisher.guard.text import is_negated, normalise, sentences
from k2publisher.models import Item

_FLAGS = re.IGNORECASE
PLACEMENTS = ("top", "beside", "footer")
SF_COUNTS = ("one", "many")
#: what a disclaimer text may say about the item (filled by :meth:`Disclaimer.resolve`)
PLACEHOLDERS = frozenset({"supplement", "Supplement", "forms"})
_PLACEHOLDER = re.compile(r"\{(\w+)\}")

_RULE_KEYS = frozenset({"id", "text", "short", "priority", "placement", "critical", "when"})
_WHEN_KEYS = frozenset({"always", "kinds", "tags", "evidence", "evidence_only", "pattern",
                        "pattern_absent", "structure_function", "subject"})
_SF_KEYS = frozenset({"verbs", "targets", "subjects"})


@dataclass(frozen=True)
class Disclaimer:
    """One disclaimer: its full text, its short form (None = none allowed) and placement."""

    id: str
    text: str
    short: str | None
    priority: int
    placement: str
    critical: bool

    @property
    def parameterised(self) -> bool:
        """Whether the text or the short form has ``{supplement}``-style placeholders."""
        return any(_PLACEHOLDER.search(f) for f in (self.text, self.short) if f)

    def resolve(self, params: Mapping[str, str]) -> Disclaimer:
        """This disclaimer with its placeholders filled (``{supplement}`` -> ``magnesium``)."""
        if not self.parameterised:
            return self

        def fill(text: str) -> str:
            return _PLACEHOLDER.sub(lambda m: params.get(m.group(1), m.group()), text)

        return replace(self, text=fill(self.text),
                       short=fill(self.short) if self.short else None)

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

    def count(self, text: str, supplement: str | None = None,
              names: re.Pattern[str] | None = None) -> int:
        """How many sentences of ``text`` make an S/F claim.

        A sentence counts when a verb is followed by a target, the claim is not negated,
        and the sentence names a supplement (``subjects``, or any name ``names`` matches:
        the interaction catalogue's), or ``supplement`` is given (the item is about a
        supplement, so "It supports bone health" is its claim).
        """
        found = 0
        for sentence in sentences(text):
            verb = self.verbs.search(sentence)
            if not verb or not self.targets.search(sentence, verb.end()):
                continue
            if is_negated(sentence, verb.start()):
                continue
            if supplement or self.subjects.search(sentence) or (
                    names is not None and names.search(sentence)):
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
    #: the rule applies only to items whose supplement, title or body match (e.g. vitamin K)
    subject: re.Pattern[str] | None = None

    def about(self, item: Item) -> bool:
        """True unless the rule names a subject the item is not about."""
        if self.subject is None:
            return True
        text = "\n".join(p for p in (item.supplement, item.title, item.summary, item.body) if p)
        return bool(self.subject.search(text))

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
    #: the line of its ``[[disclaimer]]`` header in the rules file
    line: int | None = None


def parse_rules(source: str, name: str | Path) -> tuple[list[Rule], StructureFunction]:
    """The rules and the S/F recogniser in ``source``; ``name`` is used in error messages."""
    return _Parser(source, name).parse()


_TOML_LINE = re.compile(r"at line (\d+)")


@dataclass
class _Parser:
    source: str
    name: str | Path
    _headers: list[int] = field(default_factory=list)

    def parse(self) -> tuple[list[Rule], StructureFunction]:
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
        return rules, sf

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
        for key, value in (("text", text), ("short", short)):
            bad = sorted({m.group(1) for m in _PLACEHOLDER.finditer(value or "")}
                         - PLACEHOLDERS)
            if bad:
                self._fail(index, key, f"{ident}: unknown placeholder {{{bad[0]}}} in {key} "
                                       "(use {supplement}, {Supplement} or {forms})")
        if ident.startswith("FDA_SF") and _PLACEHOLDER.search(text):
            self._fail(index, "text", f"{ident}: the FDA statement is verbatim (21 CFR "
                                      "101.93(c)); it takes no placeholders")
        disclaimer = Disclaimer(ident, text.strip(), short.strip() if short else None,
                                priority, placement, critical)
        return Rule(disclaimer, self._when(index, ident, entry["when"]), self._line(index))

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
            subject=self._regex(index, "subject", when["subject"]) if "subject" in when
            else None,
        )

