"""Bringing a site's copies of the rules and the catalogue up to the built-in ones.

``init`` copies ``config/disclaimers.toml`` and ``config/interactions.toml`` into a site, and
the site owns them from then on. A site made by an older ``init`` keeps older texts (rules
naming vitamin K2 on every supplement, a catalogue whose warnings say nothing of their
sources) until someone updates them. :func:`plan` works out what to change, entry by entry
(a ``[[disclaimer]]`` by its id, a ``[[supplement]]`` by its name, ``[classes.NAME]``, ``[dose]``,
``[safety]``, ``[unlisted.KIND]``, ``[structure_function]``):

* an entry exactly as some earlier built-in version wrote it is **upgraded** to today's;
* an entry the built-ins no longer have, still as they wrote it, is **retired**;
* an entry today's built-ins have that the site's copy lacks is **added** (new since the
  copy was made, or deleted by its owner: the diff shows it before anything is written);
* anything else is the user's: an entry they edited or added is **kept** as it is.

Earlier versions are known by the hash of each entry (``defaults/rules_history.json``,
written from the repository's history by ``scripts/rules-history``), so a site's own edits
are never taken for old defaults. The new text is built with tomlkit (the user's comments
and layout stay) and parsed by the real loaders before anyone may write it.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import tomlkit

from k2publisher.errors import ConfigError

__all__ = ["KINDS", "Change", "Plan", "entry_hashes", "history", "plan"]

#: the two files, by the name the history and the settings use
KINDS = ("disclaimers", "interactions")
#: the array of tables holding each file's entries, and the key naming an entry
_ARRAYS = {"disclaimers": ("disclaimer", "id"), "interactions": ("supplement", "name")}
#: the single tables of each file (a dotted name is a table of tables: one entry per key)
_TABLES = {"disclaimers": ("structure_function",),
           "interactions": ("dose", "safety", "classes.", "unlisted.")}


@dataclass(frozen=True)
class Change:
    """One entry's fate: ``upgraded``, ``added``, ``retired`` or ``kept`` (the user's)."""

    action: str
    key: str


@dataclass
class Plan:
    """What :func:`plan` would do to one file: the new text and the change per entry."""

    kind: str
    old: str
    new: str
    changes: list[Change] = field(default_factory=list)

    @property
    def pending(self) -> list[Change]:
        """The changes that alter the file (everything but ``kept``)."""
        return [c for c in self.changes if c.action != "kept"]

    def count(self, action: str) -> int:
        """How many entries meet ``action``."""
        return sum(1 for c in self.changes if c.action == action)


def _digest(value: Any) -> str:
    blob = json.dumps(_plain(value), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def _plain(value: Any) -> Any:
    """``value`` as plain JSON data (tomlkit's items unwrapped, strings stripped)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value).strip()
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int | float):
        return value
    return str(value)


def _entries(kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Every entry of a parsed file, by its key (``disclaimer:ID``, ``classes:NAME`` ...)."""
    array, name = _ARRAYS[kind]
    out: dict[str, Any] = {}
    for entry in data.get(array, []) or []:
        if isinstance(entry, Mapping) and isinstance(entry.get(name), str):
            out[f"{array}:{entry[name].strip().lower()}"] = entry
    for table in _TABLES[kind]:
        if table.endswith("."):
            group = data.get(table[:-1], {})
            if isinstance(group, Mapping):
                for sub, value in group.items():
                    out[f"{table[:-1]}:{sub}"] = value
        elif table in data:
            out[table] = data[table]
    return out


def entry_hashes(kind: str, text: str) -> dict[str, str]:
    """The hash of every entry of ``text`` (a rules or catalogue file), by key."""
    return {key: _digest(value) for key, value in _entries(kind, tomllib.loads(text)).items()}


@lru_cache(maxsize=1)
def history() -> dict[str, dict[str, list[str]]]:
    """The hashes of every entry of every earlier built-in version, per file and key."""
    raw = (files("k2publisher") / "defaults" / "rules_history.json").read_text("utf-8")
    data = json.loads(raw)
    return {kind: {k: list(v) for k, v in data.get(kind, {}).items()} for kind in KINDS}


def _builtin_text(kind: str) -> str:
    return (files("k2publisher") / "defaults" / f"{kind}.toml").read_text("utf-8")


def plan(kind: str, site_text: str, builtin_text: str | None = None,
         known: Mapping[str, Iterable[str]] | None = None, *, name: str | Path = "") -> Plan:
    """What upgrading ``site_text`` (a site's ``kind`` file) to the built-in one changes.

    ``builtin_text`` and ``known`` (earlier built-in hashes by key) default to the packaged
    ones. Raises :class:`ConfigError` naming ``name`` when the site file is not TOML.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    builtin_text = _builtin_text(kind) if builtin_text is None else builtin_text
    earlier = {k: set(v) for k, v in (history()[kind] if known is None else known).items()}
    try:
        site = tomlkit.parse(site_text)
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigError(f"not valid TOML ({exc}); fix it before upgrading", name,
                          getattr(exc, "line", None)) from None
    fresh = tomlkit.parse(builtin_text)
    ours, theirs = _entries(kind, site), _entries(kind, fresh)
    changes: list[Change] = []
    decide: dict[str, str] = {}
    for key, value in ours.items():
        mine = _digest(value)
        if key in theirs and mine == _digest(theirs[key]):
            continue
        if mine in earlier.get(key, ()):
            decide[key] = "upgraded" if key in theirs else "retired"
        else:
            decide[key] = "kept"
    for key in theirs:
        # new since the site's copy, or a built-in entry its owner deleted: a warning added
        # back is the safer mistake, and the diff shows it before anything is written
        if key not in ours:
            decide[key] = "added"
    changes = [Change(action, key) for key, action in decide.items()]
    _apply(kind, site, fresh, decide)
    new = tomlkit.dumps(site)
    if new != site_text:
        _validate(kind, new, name)
    return Plan(kind, site_text, new, changes)


def _apply(kind: str, site: Any, fresh: Any, decide: Mapping[str, str]) -> None:
    """Make ``decide`` true of the tomlkit document ``site`` (``fresh`` is the built-in)."""
    array, name = _ARRAYS[kind]
    theirs = _entries(kind, fresh)

    def key_of(entry: Any) -> str:
        return f"{array}:{str(entry.get(name, '')).strip().lower()}"

    if array in site:
        entries = site[array]
        kept = []
        for entry in entries:
            action = decide.get(key_of(entry))
            if action == "retired":
                continue
            kept.append(theirs[key_of(entry)] if action == "upgraded" else entry)
        added = [theirs[k] for k, a in decide.items() if a == "added" and k.startswith(f"{array}:")]
        aot = tomlkit.aot()
        for entry in [*kept, *added]:
            aot.append(entry)
        site[array] = aot
    elif any(a == "added" and k.startswith(f"{array}:") for k, a in decide.items()):
        site[array] = fresh[array]
    for key, action in decide.items():
        if key.startswith(f"{array}:"):
            continue
        table, _, sub = key.partition(":")
        if sub:
            if action in ("upgraded", "added"):
                if table not in site:
                    site[table] = tomlkit.table(is_super_table=True)
                site[table][sub] = fresh[table][sub]
            elif action == "retired":
                del site[table][sub]
        elif action in ("upgraded", "added"):
            site[table] = fresh[table]
        elif action == "retired":
            del site[table]


def _validate(kind: str, text: str, name: str | Path) -> None:
    """Parse ``text`` with the real loader: an upgrade never writes a file k2publisher
    cannot read."""
    if kind == "interactions":
        from k2publisher.guard.interactions import parse_catalogue

        parse_catalogue(text, name or "<upgraded interactions>")
    else:
        from k2publisher.guard.rules import parse_rules

        parse_rules(text, name or "<upgraded disclaimers>")
