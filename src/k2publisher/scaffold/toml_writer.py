"""Write settings as a commented TOML file (the standard library reads TOML but cannot write it).

Only what configs hold is supported: strings, booleans, numbers, dates, lists and tables.
Every key and table may carry a comment, looked up by its dotted path.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")

#: dotted path -> comment (or None for no comment)
CommentFor = Callable[[str], str | None]


def key(name: str) -> str:
    """A TOML key: bare when it can be, quoted otherwise."""
    return name if _BARE_KEY.match(name) else json.dumps(name, ensure_ascii=False)


def value(v: Any) -> str:
    """A TOML value for a Python value (inline tables for mappings inside lists)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, datetime | date | time):
        return v.isoformat()
    if isinstance(v, list | tuple):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{key(k)} = {value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def _comment(text: str | None, width: int = 88) -> list[str]:
    if not text:
        return []
    return [f"# {line}".rstrip() for para in text.splitlines()
            for line in textwrap.wrap(para, width - 2) or [""]]


def dumps(data: Mapping[str, Any], comment_for: CommentFor = lambda _: None) -> str:
    """``data`` as TOML text; tables become ``[headers]``, each preceded by its comment."""
    lines: list[str] = []

    def table(node: Mapping[str, Any], path: list[str]) -> None:
        leaves = [(k, v) for k, v in node.items() if not isinstance(v, Mapping)]
        subs = [(k, v) for k, v in node.items() if isinstance(v, Mapping)]
        if path and (leaves or not subs):
            dotted = ".".join(path)
            if lines:
                lines.append("")
            lines.extend(_comment(comment_for(dotted)))
            lines.append(f"[{'.'.join(key(p) for p in path)}]")
        for k, v in leaves:
            lines.extend(_comment(comment_for(".".join([*path, k]))))
            lines.append(f"{key(k)} = {value(v)}")
        for k, v in subs:
            table(v, [*path, k])

    # top-level tables that hold only sub-tables (``channels``) get their comment printed
    # once, above their first sub-table, instead of an empty header
    def top(node: Mapping[str, Any]) -> None:
        for k, v in node.items():
            if not isinstance(v, Mapping):
                lines.extend(_comment(comment_for(k)))
                lines.append(f"{key(k)} = {value(v)}")
        for k, v in node.items():
            if not isinstance(v, Mapping):
                continue
            only_tables = bool(v) and all(isinstance(x, Mapping) for x in v.values())
            if only_tables:
                if lines:
                    lines.append("")
                lines.extend(_comment(comment_for(k)))
                for sub_key, sub in v.items():
                    table(sub, [k, sub_key])
            else:
                table(v, [k])

    top(data)
    return "\n".join(lines) + "\n"
