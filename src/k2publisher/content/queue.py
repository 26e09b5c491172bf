"""The content queue: a folder of Markdown items, loaded incrementally and validated.

Files live at ``<queue>/<supplement-slug>/<item-slug>.md``. A :class:`Queue` remembers each
file's ``(mtime_ns, size)`` and re-parses only files that changed, so a scheduler tick on a
10,000-item queue costs one ``stat`` per file. An optional on-disk index lets a fresh process
(a CLI call) skip parsing too. A broken file never stops the others from loading: its
problems are reported and the rest of the queue is usable.
"""

from __future__ import annotations

import os
import pickle
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from k2publisher.content.frontmatter import MAX_FILE_BYTES, FrontMatterError, split
from k2publisher.content.schema import Problem, parse_item
from k2publisher.errors import ItemNotFoundError, QueueFileError
from k2publisher.files import write_atomic
from k2publisher.models import Item, Kind, Status

_INDEX_VERSION = 1


@dataclass
class _Entry:
    stamp: tuple[int, int]
    item: Item | None
    problems: list[Problem]


@dataclass
class LoadResult:
    """Items that loaded, and every problem found (including duplicate ids)."""

    items: list[Item] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    parsed: int = 0  # how many files were (re)parsed by this load


def read_item(path: Path) -> tuple[Item | None, list[Problem]]:
    """Parse one queue file into an item and its problems; never raises for bad content."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, [Problem(str(path), 1, f"file is {size:,} bytes; a queue file may "
                                  f"be at most {MAX_FILE_BYTES:,} (split it into items)")]
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(str(path), 1, f"not UTF-8 text ({exc.reason}); save it as UTF-8")]
    except OSError as exc:
        return None, [Problem(str(path), 1, f"cannot read file: {exc.strerror}")]
    try:
        doc = split(text)
    except FrontMatterError as exc:
        return None, [Problem(str(path), exc.line, exc.message)]
    try:
        return parse_item(doc, path)
    except Exception as exc:  # a bad file is data, never a crash of whoever loads the queue
        return None, [Problem(str(path), 1, f"cannot read this item ({type(exc).__name__}: "
                              f"{exc}); check its front matter")]


def load_item(path: Path) -> Item:
    """Parse one queue file, raising :class:`QueueFileError` at its first problem."""
    item, problems = read_item(path)
    if problems or item is None:
        first = problems[0] if problems else Problem(str(path), 1, "not a queue item")
        raise QueueFileError(path, first.line, first.message)
    return item


class Queue:
    """A queue folder. Call :meth:`load` (cheap when nothing changed) before reading items."""

    def __init__(self, root: Path | str, index_path: Path | str | None = None):
        self.root = Path(root)
        self.index_path = Path(index_path) if index_path else None
        self._entries: dict[Path, _Entry] = {}
        self._result: LoadResult | None = None
        self._index_loaded = False

    # -- loading ---------------------------------------------------------------------------

    def files(self) -> Iterator[Path]:
        """Every ``*.md`` file under the queue folder, in a stable order."""
        if not self.root.is_dir():
            return
        stack = [self.root]
        found: list[Path] = []
        while stack:
            folder = stack.pop()
            with os.scandir(folder) as it:
                for entry in it:
                    if entry.name.startswith("."):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    elif entry.name.endswith(".md") and entry.name.lower() != "readme.md":
                        found.append(Path(entry.path))
        yield from sorted(found)

    def load(self) -> LoadResult:
        """(Re)load the queue, parsing only files whose mtime or size changed."""
        if self.index_path and not self._index_loaded:
            self._read_index()
        seen: dict[Path, _Entry] = {}
        parsed = 0
        for path in self.files():
            st = path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
            entry = self._entries.get(path)
            if entry is None or entry.stamp != stamp:
                item, problems = read_item(path)
                entry = _Entry(stamp, item, problems)
                parsed += 1
            seen[path] = entry
        changed = parsed or len(seen) != len(self._entries)
        self._entries = seen
        if self._result is not None and not changed:
            self._result.parsed = 0
            return self._result
        result = LoadResult(parsed=parsed)
        first_file: dict[str, Item] = {}
        for path, entry in seen.items():
            result.problems.extend(entry.problems)
            if entry.item is None:
                continue
            other = first_file.get(entry.item.id)
            if other is not None:
                result.problems.append(Problem(str(path), 1, (
                    f"duplicate id {entry.item.id!r}, already used by {other.path}: "
                    "give this item its own id")))
                continue
            first_file[entry.item.id] = entry.item
            result.items.append(entry.item)
        self._result = result
        if self.index_path and changed:
            self._write_index()
        return result

    def _read_index(self) -> None:
        self._index_loaded = True
        assert self.index_path is not None
        try:
            with self.index_path.open("rb") as fh:
                version, root, entries = pickle.load(fh)
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError,
                AttributeError, ImportError):
            return
        if version == _INDEX_VERSION and root == str(self.root.resolve()):
            self._entries = entries

    def _write_index(self) -> None:
        assert self.index_path is not None
        write_atomic(self.index_path, pickle.dumps(
            (_INDEX_VERSION, str(self.root.resolve()), self._entries),
            protocol=pickle.HIGHEST_PROTOCOL), private=True)

    # -- reading ---------------------------------------------------------------------------

    def items(self, *, status: Status | str | None = None,
              kind: Kind | str | None = None) -> list[Item]:
        """Loaded items, optionally filtered, ordered by id."""
        result = self._result or self.load()
        out = [i for i in result.items
               if (status is None or i.status == status) and (kind is None or i.kind == kind)]
        return sorted(out, key=lambda i: i.id)

    def get(self, item_id: str) -> Item:
        """The item with ``item_id``; raises :class:`ItemNotFoundError`."""
        result = self._result or self.load()
        for item in result.items:
            if item.id == item_id:
                return item
        raise ItemNotFoundError(item_id)

    def problems(self) -> list[Problem]:
        """Every problem found by the last load, ordered by file and line."""
        result = self._result or self.load()
        return sorted(result.problems)

    # -- writing ---------------------------------------------------------------------------

    def path_for(self, item_id: str) -> Path:
        """Where the item with ``item_id`` lives: ``<queue>/<supplement>/<slug>.md``."""
        return self.root.joinpath(*item_id.split("/")).with_suffix(".md")

    def set_status(self, item_id: str, status: Status) -> Item:
        """Change one item's status in place, leaving the rest of the file byte for byte."""
        item = self.get(item_id)
        assert item.path is not None
        text = item.path.read_text(encoding="utf-8")
        new, n = re.subn(r"(?m)^status:[ \t]*\S.*$", f"status: {status.value}", text, count=1)
        if n != 1:
            raise QueueFileError(item.path, 1, "no 'status:' line to change")
        write_atomic(item.path, new)
        return load_item(item.path)
