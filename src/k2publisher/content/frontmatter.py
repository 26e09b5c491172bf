"""Split a queue file into YAML front matter and Markdown body, keeping line numbers.

python-frontmatter would parse the YAML too, but it drops the source positions we need
to report ``path:line: message``; PyYAML's node marks give us those.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

try:
    _Base: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Base = yaml.SafeLoader

FENCE = "---"
#: a queue file larger than this is refused unread (an item is a few kilobytes)
MAX_FILE_BYTES = 512 * 1024
#: the longest a single front-matter value may be, in characters
MAX_VALUE_CHARS = 20_000
#: how deep lists and mappings may nest in front matter
MAX_DEPTH = 20


class _ValueError(Exception):
    """A value that YAML parsed but could not build (``2026-02-30``, ``!!int abc``)."""

    def __init__(self, node: yaml.Node, exc: BaseException):
        self.node = node
        self.exc = exc


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """The safe loader, with the node's line attached to any error building a value."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (_ValueError, yaml.MarkedYAMLError):
            raise
        except Exception as exc:  # any constructor failure is the file's problem
            raise _ValueError(node, exc) from None


class FrontMatterError(ValueError):
    """The file's front matter cannot be read; ``line`` is 1-based within the file."""

    def __init__(self, line: int, message: str):
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}")


@dataclass(frozen=True)
class Document:
    """A parsed queue file: metadata, the line of each top-level key, and the body."""

    meta: Mapping[str, Any]
    key_lines: Mapping[str, int]
    body: str
    body_line: int


def split(text: str) -> Document:
    """Parse ``---``-fenced YAML front matter followed by a Markdown body.

    Raises :class:`FrontMatterError` with the offending line for a missing fence, YAML
    that does not parse, or front matter that is not a mapping.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != FENCE:
        raise FrontMatterError(1, "file must start with a '---' line opening the YAML front matter")
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in (FENCE, "...")), None)
    if end is None:
        raise FrontMatterError(len(lines), "front matter is never closed: add a '---' line "
                                           "after the last field")
    yaml_text = "\n".join(lines[1:end])
    try:
        _refuse_aliases(yaml_text)
        loader = _Loader(yaml_text)
        try:
            node = loader.get_single_node()
            _check_node(node)
            meta = loader.construct_document(node) if node is not None else {}
        finally:
            loader.dispose()
    except _ValueError as exc:
        line = exc.node.start_mark.line + 2
        value = str(exc.node.value)[:60] if isinstance(exc.node, yaml.ScalarNode) else ""
        tag = exc.node.tag.rsplit(":", 1)[-1]
        why = f" ({exc.exc})" if isinstance(exc.exc, ValueError) else ""
        raise FrontMatterError(line, f"{value!r} is not a valid {tag}{why}; write "
                               "the value in quotes to keep it as text, or correct it"
                               ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        # An unclosed bracket or quote is only noticed at the end: point at where it opened.
        if exc.context_mark is not None and (mark is None or mark.line >= end - 1):
            mark = exc.context_mark
        line = (mark.line + 2) if mark is not None else 2
        problem = exc.problem or str(exc)
        raise FrontMatterError(line, f"front matter is not valid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise FrontMatterError(2, f"front matter is not valid YAML: {exc}") from None
    except RecursionError:
        raise FrontMatterError(2, f"front matter nests deeper than {MAX_DEPTH} levels"
                               ) from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict) or not isinstance(node, yaml.MappingNode | type(None)):
        raise FrontMatterError(2, "front matter must be a mapping of 'field: value' lines")
    key_lines: dict[str, int] = {}
    if node is not None:
        for key_node, _ in node.value:
            key_lines[str(key_node.value)] = key_node.start_mark.line + 2
    body = "\n".join(lines[end + 1:])
    return Document(meta=meta, key_lines=key_lines, body=body.strip("\n"), body_line=end + 2)


def _refuse_aliases(yaml_text: str) -> None:
    """Refuse anchors (``&a``) and aliases (``*a``) before anything is built.

    An alias is a reference, so a few hundred bytes can expand to gigabytes
    ("billion laughs"); queue files have no use for them.
    """
    for event in yaml.parse(yaml_text, Loader=_Base):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise FrontMatterError(event.start_mark.line + 2, "YAML anchors and aliases "
                                   "(&name, *name) are not allowed in a queue file: write "
                                   "each value out")


def _check_node(node: yaml.Node | None) -> None:
    """Refuse values longer than :data:`MAX_VALUE_CHARS` and nesting beyond MAX_DEPTH."""
    stack = [(node, 1)] if node is not None else []
    while stack:
        current, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise FrontMatterError(current.start_mark.line + 2, "front matter nests deeper "
                                   f"than {MAX_DEPTH} levels")
        if isinstance(current, yaml.ScalarNode):
            if len(current.value) > MAX_VALUE_CHARS:
                raise FrontMatterError(current.start_mark.line + 2, "a value is "
                                       f"{len(current.value):,} characters long; at most "
                                       f"{MAX_VALUE_CHARS:,} are allowed")
        elif isinstance(current, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in current.value)
        elif isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack.extend(((key, depth + 1), (value, depth + 1)))


def dump(meta: Mapping[str, Any], body: str) -> str:
    """Serialise front matter (in the given key order) and body into a queue file's text."""
    head = yaml.safe_dump(dict(meta), sort_keys=False, allow_unicode=True, width=100,
                          default_flow_style=None)
    return f"{FENCE}\n{head}{FENCE}\n\n{body.strip()}\n"


def replace_fields(text: str, values: Mapping[str, Any]) -> str:
    """``text`` with the named top-level front-matter fields rewritten, the rest byte for byte.

    Each field's block (its key line and the indented or continued lines under it) is
    replaced by a fresh YAML dump of the new value; a ``None`` value removes the field; a
    field not present yet is added before the closing fence. Comments, key order, quoting
    and the Markdown body outside the changed fields stay as they were.
    """
    doc = split(text)  # raises FrontMatterError for a file that does not parse
    lines = text.split("\n")
    end = next(i for i in range(1, len(lines)) if lines[i].rstrip() in (FENCE, "..."))
    starts = sorted((line - 1, key) for key, line in doc.key_lines.items())
    blocks: dict[str, tuple[int, int]] = {}
    for n, (start, key) in enumerate(starts):
        stop = starts[n + 1][0] if n + 1 < len(starts) else end
        # trailing blank lines and comments before the next key belong to no field
        while stop - 1 > start and (not lines[stop - 1].strip()
                                    or lines[stop - 1].lstrip().startswith("#")):
            stop -= 1
        blocks[key] = (start, stop)
    edits: list[tuple[int, int, list[str]]] = []
    added: list[str] = []
    for key, value in values.items():
        fresh = [] if value is None else _dump_field(key, value)
        if key in blocks:
            edits.append((*blocks[key], fresh))
        else:
            added += fresh
    if added:
        edits.append((end, end, added))
    for start, stop, fresh in sorted(edits, reverse=True):
        lines[start:stop] = fresh
    return "\n".join(lines)


def _dump_field(key: str, value: Any) -> list[str]:
    if isinstance(value, Mapping):
        value = dict(value)
    dumped = yaml.dump({key: value}, Dumper=_FieldDumper, sort_keys=False, allow_unicode=True,
                       width=100, default_flow_style=False)
    return dumped.rstrip("\n").split("\n")


class _FieldDumper(yaml.SafeDumper):
    """Safe YAML, multi-line text as ``|`` literal blocks (readable diffs)."""


#: characters a YAML reader takes for line breaks: only a double-quoted scalar keeps them
_YAML_BREAKS = frozenset("\x85\u2028\u2029\r")


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if _YAML_BREAKS & set(value):
        style: str | None = '"'
    else:
        # a block that is only line breaks, or ends in one, does not read back the same
        # before the closing fence: let YAML quote those
        style = "|" if ("\n" in value and value.strip()
                        and not value.endswith((" ", "\t", "\n"))) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_FieldDumper.add_representer(str, _text)
