"""The interaction catalogue: which supplement warns about which drug classes and conditions.

The catalogue is data (``config/interactions.toml``, or the built-in
``k2publisher/defaults/interactions.toml``): ``[classes.NAME]`` tables say how a drug class or
a condition is recognised in text (``warfarin``, ``insulin``, ``pregnancy``), and one
``[[supplement]]`` table per supplement lists its names and its ``[[supplement.warning]]``
entries, each with a source. :class:`Catalogue` answers which warnings an item needs: every
warning of the item's supplement whose class its text mentions, plus those marked
``on = ["dose"]`` when it discusses dosing and ``on = ["always"]`` in any long format.

An item about a supplement the catalogue does not list (its ``supplement`` field names no
entry) gets the ``[unlisted]`` texts instead: for each class its text names, a note that
this site has no interaction data for that supplement and to ask a doctor or pharmacist
first (``CHECK_<CLASS>``), never an interaction nobody checked; ``doctor`` names those items.

A publisher adds a supplement by adding a table; no code knows any supplement's name.
:func:`parse_catalogue` raises :class:`~k2publisher.errors.ConfigError` naming the file, the
line and the fix.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from k2publisher.errors import ConfigError
from k2publisher.guard.rules import Disclaimer
from k2publisher.models import Item

__all__ = ["Catalogue", "DrugClass", "Supplement", "Warning", "builtin_catalogue",
           "parse_catalogue", "subject_params"]

_FLAGS = re.IGNORECASE
KINDS = ("drug", "condition")
TRIGGERS = ("mention", "dose", "always")
_CLASS_KEYS = frozenset({"label", "kind", "pattern", "tags"})
_SUPPLEMENT_KEYS = frozenset({"name", "aliases", "forms", "sources", "warning"})
_WARNING_KEYS = frozenset({"class", "id", "text", "short", "source", "section", "verified",
                           "check_against", "critical", "priority", "on"})
_TOP_KEYS = frozenset({"dose", "safety", "classes", "supplement", "unlisted"})
_UNLISTED_KEYS = frozenset({"text", "short"})


@dataclass(frozen=True)
class DrugClass:
    """A drug class or a condition, and how text names it."""

    name: str
    label: str
    kind: str
    pattern: re.Pattern[str]
    #: item tags that say the item is about this class (long formats only)
    tags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Warning:
    """One supplement's warning about one class: the disclaimer it becomes and its source.

    ``verified`` says someone read ``sources`` (the part named by ``section``) and the text
    says only what they say; an unverified warning names the page to check it against
    (``sources`` then holds that page, unread) and ``doctor`` reports it.
    """

    drug_class: DrugClass
    disclaimer: Disclaimer
    sources: tuple[str, ...]
    on: frozenset[str]
    verified: bool = False
    section: str = ""
    line: int | None = None

    @property
    def source(self) -> str:
        """The first page the warning names (read when verified, else to be checked)."""
        return self.sources[0] if self.sources else ""


@dataclass(frozen=True)
class Supplement:
    """A supplement: its names (``aliases``), the forms shown in texts, and its warnings."""

    name: str
    aliases: tuple[str, ...]
    forms: tuple[str, ...]
    warnings: tuple[Warning, ...]
    line: int | None = None

    @property
    def pattern(self) -> re.Pattern[str]:
        """Any of the supplement's names as a whole word, case-insensitively."""
        return _names_pattern((self.name, *self.aliases))


@lru_cache(maxsize=256)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = sorted({re.escape(n.strip()) for n in names if n.strip()}, key=len,
                          reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])", _FLAGS)


def subject_name(name: str) -> str:
    """``name`` as it reads mid-sentence: ``Magnesium`` -> ``magnesium``, ``CoQ10`` stays."""
    first, _, rest = name.strip().partition(" ")
    if first[:1].isupper() and first[1:].islower() and first.rstrip(".") not in ("St", "Saint"):
        return (first[:1].lower() + first[1:] + (" " + rest if rest else "")).strip()
    return name.strip()


def subject_params(item: Item | None, entries: Sequence[Supplement] = ()) -> dict[str, str]:
    """The placeholders a disclaimer text may use, filled for ``item``.

    ``{supplement}`` is the item's supplement as it reads mid-sentence, ``{Supplement}`` the
    same at the start of a sentence, ``{forms}`` the supplement with the other forms the
    catalogue lists for it (``curcumin (turmeric)``). An item without a supplement reads
    "this supplement".
    """
    raw = (item.supplement or "").strip() if item else ""
    name = subject_name(raw) if raw else "this supplement"
    others = [f for e in entries for f in e.forms
              if f.strip() and f.strip().lower() not in name.lower()]
    forms = f"{name} ({', '.join(dict.fromkeys(others))})" if others else name
    return {"supplement": name, "Supplement": name[:1].upper() + name[1:], "forms": forms}



# ---------------------------------------------------------------------------------------
# The catalogue


class Catalogue:
    """A loaded interaction catalogue; ask it what warnings an item or a text needs."""

    def __init__(self, classes: Mapping[str, DrugClass], supplements: Sequence[Supplement],
                 dose: re.Pattern[str] | None, safety: re.Pattern[str] | None,
                 source: str = "<interactions>", dose_tags: frozenset[str] = frozenset(),
                 unlisted: Mapping[str, tuple[str, str]] | None = None):
        self.classes = dict(classes)
        self.supplements = tuple(supplements)
        self.dose = dose
        self.safety = safety
        self.source = source
        self.dose_tags = dose_tags
        #: per class, the note an unlisted supplement gets ({supplement} still unfilled)
        self.unlisted: dict[str, Disclaimer] = {
            name: _unlisted_note(cls, *unlisted[cls.kind])
            for name, cls in self.classes.items() if unlisted and cls.kind in unlisted}

    @classmethod
    def load(cls, path: Path | None = None) -> Catalogue:
        """Read ``path``, or the built-in catalogue when ``path`` is None."""
        if path is None:
            return builtin_catalogue()
        try:
            source = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read the interaction catalogue: {exc.strerror}",
                              path) from None
        return parse_catalogue(source, Path(path))

    @classmethod
    def empty(cls) -> Catalogue:
        """A catalogue with no entries (rules files tested on their own)."""
        return cls({}, (), None, None, "<empty>")

    def entries_for(self, item: Item | None) -> list[Supplement]:
        """The catalogue entries the item is about: its ``supplement`` names them.

        An item without a ``supplement`` field is matched on its title.
        """
        if item is None:
            return []
        return list(self._entries_named(item.supplement or item.title))

    @lru_cache(maxsize=512)  # noqa: B019 -- catalogues live as long as the process
    def _entries_named(self, text: str) -> tuple[Supplement, ...]:
        return tuple(s for s in self.supplements if s.pattern.search(text))

    @property
    def names(self) -> re.Pattern[str] | None:
        """Any name of any supplement in the catalogue (None when it is empty)."""
        every = tuple(n for s in self.supplements for n in (s.name, *s.aliases))
        return _names_pattern(every) if every else None

    def unverified(self) -> list[tuple[Supplement, Warning]]:
        """Every warning nobody has checked against its page (``verified = false``)."""
        return [(s, w) for s in self.supplements for w in s.warnings if not w.verified]

    def disclaimers(self) -> tuple[Disclaimer, ...]:
        """Every warning of every supplement, as a disclaimer."""
        return tuple(w.disclaimer for s in self.supplements for w in s.warnings)

    def every_text(self) -> tuple[Disclaimer, ...]:
        """Every warning and every note for unlisted supplements (``{supplement}`` unfilled):
        all a post may carry from this catalogue."""
        return (*self.disclaimers(), *self.unlisted.values())

    def is_unlisted(self, item: Item | None) -> bool:
        """Whether ``item`` names a supplement (its ``supplement`` field) no entry lists."""
        return bool(item and (item.supplement or "").strip() and not self.entries_for(item))

    def warnings(self, item: Item, text: str, *, item_level: bool) -> list[Disclaimer]:
        """The warnings ``text`` calls for on ``item`` (``text`` is disclaimer-free prose).

        A warning applies when the text names its class; ``on = ["dose"]`` ones also when the
        text discusses dosing; ``on = ["always"]`` ones in every long format (``item_level``).
        In long formats the item's tags count too (a class's ``tags``, ``[dose] tags``).
        """
        found: list[Disclaimer] = []
        tags = {t.lower() for t in item.tags} if item_level else set()
        if self.is_unlisted(item):
            params = subject_params(item)
            return [note.resolve(params) for name, note in self.unlisted.items()
                    if self.classes[name].pattern.search(text)
                    or tags & self.classes[name].tags]
        doses = bool(self.dose and self.dose.search(text)) or bool(tags & self.dose_tags)
        for entry in self.entries_for(item):
            for warning in entry.warnings:
                if (warning.drug_class.pattern.search(text)
                        or bool(tags & warning.drug_class.tags)
                        or ("dose" in warning.on and doses)
                        or ("always" in warning.on and item_level)):
                    found.append(warning.disclaimer)
        return found

    def is_safety(self, sentence: str) -> bool:
        """Whether ``sentence`` is safety text: a warning, an interaction, a caution.

        Such a sentence of a summary is never dropped to make room in a post.
        """
        if self.safety and self.safety.search(sentence):
            return True
        return any(c.pattern.search(sentence) for c in self.classes.values())

    def names_other(self, text: str, item: Item | None) -> list[str]:
        """The supplement names in ``text`` that are not the item's supplement."""
        own = {s.name for s in self.entries_for(item)}
        own_text = (item.supplement or "") if item else ""
        named: list[str] = []
        for entry in self.supplements:
            if entry.name in own:
                continue
            m = entry.pattern.search(text)
            if m and not (own_text and m.group().lower() in own_text.lower()):
                named.append(m.group())
        return list(dict.fromkeys(named))


def _unlisted_note(cls: DrugClass, text: str, short: str) -> Disclaimer:
    """The ``[unlisted]`` note for ``cls`` ({label} filled, {supplement} left for the item)."""
    label = cls.label
    fill = {"label": label, "Label": label[:1].upper() + label[1:]}

    def put(t: str) -> str:
        return re.sub(r"\{(label|Label)\}", lambda m: fill[m.group(1)], t)

    ident = "CHECK_" + re.sub(r"\W+", "_", cls.name).upper()
    return Disclaimer(ident, put(text).strip(), put(short).strip(), 47, "beside", False)


def builtin_path() -> Any:
    """The packaged ``defaults/interactions.toml`` (an importlib.resources Traversable)."""
    return files("k2publisher") / "defaults" / "interactions.toml"


@lru_cache(maxsize=1)
def builtin_catalogue() -> Catalogue:
    """The built-in catalogue, read once per process."""
    return parse_catalogue(builtin_path().read_text(encoding="utf-8"),
                           "k2publisher/defaults/interactions.toml")


# ---------------------------------------------------------------------------------------
# Parsing


_TOML_LINE = re.compile(r"at line (\d+)")


def parse_catalogue(source: str, name: str | Path) -> Catalogue:
    """The catalogue in ``source``; ``name`` is used in error messages (``file:line: ...``)."""
    return _Parser(source, name).parse()


class _Parser:
    def __init__(self, source: str, name: str | Path):
        self.source = source
        self.name = name
        self.lines = source.splitlines()

    def fail(self, message: str, line: int | None) -> None:
        raise ConfigError(message, self.name, line)

    def header_lines(self, header: str) -> list[int]:
        return [n for n, line in enumerate(self.lines, 1) if line.strip().startswith(header)]

    def key_line(self, start: int | None, key: str, end: int | None = None) -> int | None:
        """The line of ``key = ...`` in the table whose header is line ``start`` (1-based),
        else ``start`` itself."""
        if start is None:
            return None
        key_re = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for n in range(start, min(end or len(self.lines), len(self.lines))):
            if self.lines[n].strip().startswith("["):
                break                      # the next table begins
            if key_re.search(self.lines[n]):
                return n + 1
        return start

    def regex(self, value: Any, what: str, line: int | None) -> re.Pattern[str]:
        if not isinstance(value, str) or not value:
            self.fail(f"{what} must be a regular expression in 'single quotes'", line)
        try:
            return re.compile(value, _FLAGS)
        except re.error as exc:
            self.fail(f"{what} is not a valid regular expression ({exc}); use 'single "
                      "quotes' so backslashes stay as written", line)
        raise AssertionError("unreachable")

    def parse(self) -> Catalogue:
        try:
            data = tomllib.loads(self.source)
        except tomllib.TOMLDecodeError as exc:
            m = _TOML_LINE.search(str(exc))
            self.fail(f"not valid TOML: {exc}; fix the syntax (strings in quotes, one "
                      "[[supplement]] table per supplement, regexes in 'single quotes')",
                      int(m.group(1)) if m else None)
        unknown = set(data) - _TOP_KEYS
        if unknown:
            self.fail(f"unknown table(s) {', '.join(sorted(unknown))}: only [dose], [safety], "
                      "[classes.NAME] and [[supplement]] are read", None)
        dose = self.section_pattern(data, "dose", tags=True)
        safety = self.section_pattern(data, "safety")
        classes = self.classes(data.get("classes", {}))
        supplements = self.supplements(data.get("supplement", []), classes)
        dose_tags = self.tags(data.get("dose", {}), "[dose]",
                              self.key_line(next(iter(self.header_lines("[dose]")), None),
                                            "tags"))
        unlisted = self.unlisted(data.get("unlisted", {}))
        return Catalogue(classes, supplements, dose, safety, str(self.name), dose_tags,
                         unlisted)

    def unlisted(self, table: Any) -> dict[str, tuple[str, str]]:
        """``[unlisted.drug]`` and ``[unlisted.condition]``: text and short of the note an
        unlisted supplement gets for a class of that kind."""
        if not isinstance(table, Mapping):
            self.fail("unlisted must be [unlisted.drug] and [unlisted.condition] tables", None)
        out: dict[str, tuple[str, str]] = {}
        for kind, entry in table.items():
            line = next(iter(self.header_lines(f"[unlisted.{kind}]")), None)
            if kind not in KINDS or not isinstance(entry, Mapping):
                self.fail(f"[unlisted.{kind}]: use [unlisted.drug] or [unlisted.condition]",
                          line)
            unknown = set(entry) - _UNLISTED_KEYS
            if unknown:
                key = sorted(unknown)[0]
                self.fail(f"[unlisted.{kind}]: unknown key {key!r} (known: text, short)",
                          self.key_line(line, key))
            for key in ("text", "short"):
                value = entry.get(key)
                if not isinstance(value, str) or not value.strip():
                    self.fail(f"[unlisted.{kind}] needs {key} = \"...\" ({{label}} is the "
                              "class's label, {supplement} the item's supplement)",
                              self.key_line(line, key))
            out[kind] = (entry["text"], entry["short"])
        return out

    def section_pattern(self, data: Mapping[str, Any], key: str,
                        tags: bool = False) -> re.Pattern[str] | None:
        if key not in data:
            return None
        line = next(iter(self.header_lines(f"[{key}]")), None)
        table = data[key]
        allowed = {"pattern", "tags"} if tags else {"pattern"}
        if not isinstance(table, Mapping) or "pattern" not in table or set(table) - allowed:
            self.fail(f"[{key}] takes pattern = '...'" + (" and tags = [...]" if tags else ""),
                      line)
        return self.regex(table["pattern"], f"[{key}] pattern", self.key_line(line, "pattern"))

    def tags(self, table: Mapping[str, Any], where: str, line: int | None) -> frozenset[str]:
        value = table.get("tags", [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(f"{where} tags must be a list of strings", line)
        return frozenset(v.lower() for v in value)

    def classes(self, table: Any) -> dict[str, DrugClass]:
        if not isinstance(table, Mapping):
            self.fail("classes must be [classes.NAME] tables", None)
        out: dict[str, DrugClass] = {}
        for name, entry in table.items():
            line = next(iter(self.header_lines(f"[classes.{name}]")), None)
            if not isinstance(entry, Mapping):
                self.fail(f"[classes.{name}] must be a table", line)
            unknown = set(entry) - _CLASS_KEYS
            if unknown:
                key = sorted(unknown)[0]
                self.fail(f"[classes.{name}]: unknown key {key!r} (known: "
                          f"{', '.join(sorted(_CLASS_KEYS))})", self.key_line(line, key))
            if "pattern" not in entry:
                self.fail(f"[classes.{name}] needs pattern = '...' (how text names it)", line)
            kind = entry.get("kind", "drug")
            if kind not in KINDS:
                self.fail(f"[classes.{name}]: kind {kind!r} must be one of "
                          + ", ".join(KINDS), self.key_line(line, "kind"))
            label = entry.get("label", name)
            if not isinstance(label, str) or not label.strip():
                self.fail(f"[classes.{name}]: label must be a non-empty string",
                          self.key_line(line, "label"))
            out[name] = DrugClass(name, label, kind, self.regex(
                entry["pattern"], f"[classes.{name}] pattern", self.key_line(line, "pattern")),
                self.tags(entry, f"[classes.{name}]", self.key_line(line, "tags")))
        return out

    def supplements(self, entries: Any, classes: Mapping[str, DrugClass]) -> list[Supplement]:
        if not isinstance(entries, list):
            self.fail("supplement must be [[supplement]] tables", None)
        heads = self.header_lines("[[supplement]]")
        warning_heads = self.header_lines("[[supplement.warning]]")
        out: list[Supplement] = []
        seen: dict[str, int | None] = {}
        for index, entry in enumerate(entries):
            line = heads[index] if index < len(heads) else None
            end = heads[index + 1] if index + 1 < len(heads) else None
            if not isinstance(entry, Mapping):
                self.fail("each [[supplement]] must be a table", line)
            unknown = set(entry) - _SUPPLEMENT_KEYS
            if unknown:
                key = sorted(unknown)[0]
                self.fail(f"[[supplement]] #{index + 1}: unknown key {key!r} (known: "
                          f"{', '.join(sorted(_SUPPLEMENT_KEYS))})", self.key_line(line, key))
            name = entry.get("name")
            if not isinstance(name, str) or not name.strip():
                self.fail(f"[[supplement]] #{index + 1} needs name = \"...\"", line)
            if name.lower() in seen:
                self.fail(f"supplement {name!r} is listed twice (first at line "
                          f"{seen[name.lower()]}): merge the two tables", line)
            seen[name.lower()] = line
            aliases = self.strings(entry, "aliases", name, self.key_line(line, "aliases"))
            forms = self.strings(entry, "forms", name, self.key_line(line, "forms"))
            self.strings(entry, "sources", name, self.key_line(line, "sources"))
            mine = [n for n in warning_heads if n > (line or 0) and (end is None or n < end)]
            raw = entry.get("warning", [])
            if not isinstance(raw, list) or not raw:
                self.fail(f"supplement {name!r} has no [[supplement.warning]]: add at least "
                          "one (class, text, short, source)", line)
            warnings = [self.warning(name, w, mine[i] if i < len(mine) else line, classes)
                        for i, w in enumerate(raw)]
            ids = [w.disclaimer.id for w in warnings]
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                self.fail(f"supplement {name!r} has two warnings with id {dupes[0]}: give one "
                          "an id = \"...\" of its own", line)
            out.append(Supplement(name.strip(), tuple(aliases), tuple(forms), tuple(warnings),
                                  line))
        return out

    def strings(self, entry: Mapping[str, Any], key: str, name: str,
                line: int | None) -> list[str]:
        value = entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip()
                                                  for v in value):
            self.fail(f"supplement {name!r}: {key} must be a list of non-empty strings", line)
        return [v.strip() for v in value]

    def warning(self, supplement: str, entry: Any, line: int | None,
                classes: Mapping[str, DrugClass]) -> Warning:
        where = f"supplement {supplement!r} warning"
        if not isinstance(entry, Mapping):
            self.fail(f"{where} must be a table", line)
        unknown = set(entry) - _WARNING_KEYS
        if unknown:
            key = sorted(unknown)[0]
            self.fail(f"{where}: unknown key {key!r} (known: {', '.join(sorted(_WARNING_KEYS))})",
                      self.key_line(line, key))
        for key in ("class", "text", "short"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                self.fail(f"{where} needs {key} = \"...\" (every warning has a short form "
                          "for posts)", self.key_line(line, key))
        cls = classes.get(entry["class"])
        if cls is None:
            self.fail(f"{where}: class {entry['class']!r} is not defined; add a "
                      f"[classes.{entry['class']}] table or use one of "
                      + ", ".join(sorted(classes)), self.key_line(line, "class"))
            raise AssertionError("unreachable")
        verified = entry.get("verified", False)
        if not isinstance(verified, bool):
            self.fail(f"{where}: verified must be true or false", self.key_line(line, "verified"))
        pages = self.urls(entry, "source", where, line) + self.urls(entry, "check_against",
                                                                     where, line)
        section = entry.get("section", "")
        if verified and not (entry.get("source") and isinstance(section, str)
                             and section.strip()):
            self.fail(f"{where}: verified = true needs source = \"URL\" (the page you read) "
                      "and section = \"...\" (where on it the text is said)",
                      self.key_line(line, "verified"))
        if not pages:
            self.fail(f"{where} needs source = \"URL\" (the page the text relies on) or, "
                      "when nobody has read one, check_against = \"URL\" and verified = "
                      "false", self.key_line(line, "source"))
        ident = entry.get("id") or ("INTERACTION_" if cls.kind == "drug" else "CAUTION_") \
            + re.sub(r"\W+", "_", cls.name).upper()
        if not isinstance(ident, str) or not re.fullmatch(r"[A-Z][A-Z0-9_]*", ident):
            self.fail(f"{where}: id {ident!r} must be UPPER_CASE letters, digits and _",
                      self.key_line(line, "id"))
        critical = entry.get("critical", False)
        if not isinstance(critical, bool):
            self.fail(f"{where}: critical must be true or false", self.key_line(line, "critical"))
        priority = entry.get("priority", 85 if critical else 48)
        if not isinstance(priority, int) or isinstance(priority, bool):
            self.fail(f"{where}: priority must be an integer", self.key_line(line, "priority"))
        on = entry.get("on", [])
        if not isinstance(on, list) or not set(on) <= set(TRIGGERS):
            self.fail(f"{where}: on must be a list of {', '.join(TRIGGERS)}",
                      self.key_line(line, "on"))
        disclaimer = Disclaimer(ident, entry["text"].strip(), entry["short"].strip(), priority,
                                "top" if critical else "beside", critical)
        return Warning(cls, disclaimer, tuple(pages), frozenset(on) | {"mention"}, verified,
                       section.strip() if isinstance(section, str) else "", line)

    def urls(self, entry: Mapping[str, Any], key: str, where: str,
             line: int | None) -> list[str]:
        """``key`` as a list of URLs (one string or a list of strings)."""
        value = entry.get(key, [])
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(
                isinstance(v, str) and re.match(r"https?://\S+$", v.strip()) for v in values):
            self.fail(f"{where}: {key} must be the URL of the page (or a list of URLs)",
                      self.key_line(line, key))
        return [v.strip() for v in values]
