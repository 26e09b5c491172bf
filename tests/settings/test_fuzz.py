"""Fuzzing queue files and config files with hypothesis: whatever the bytes, no traceback
(only the project's own errors, which carry a message), no hang, bounded memory."""

from __future__ import annotations

import json
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from k2publisher.content.queue import read_item
from k2publisher.errors import K2Error
from k2publisher.settings import DEFAULTS, load_settings

#: per example: at most this many seconds and this many bytes of new memory
SECONDS = 2.0
PEAK_BYTES = 64 * 1024 * 1024
FIELDS = ["id", "kind", "supplement", "title", "summary", "tags", "evidence", "status",
          "priority", "not_before", "expires", "review", "source", "guard_overrides",
          "disclaimers", "links", "image", "x"]
#: YAML scalars that stress the constructors: tags, dates, anchors, aliases, odd numbers
NASTY = st.sampled_from([
    "2026-02-30", "2026-13-01", "!!int abc", "!!timestamp nope", "!!float x", "!!bool maybe",
    "!!binary ===", "!!python/object:os.system", "&a [1, 2]", "*a", "*missing", "~", "null",
    "0x1F", "0o17", "1e400", ".nan", "-.inf", "[", "{", "}", "]", "'", '"', "? x", ": :",
    "- - -", "|", ">", "!!set {a, b}", "!!omap [a: 1]", "<<: *a", "@", "`", "%YAML 1.1",
    "ready", "draft", "supplement_section", "vitamin-k2/dosage", "\u202e", "\x00", "\ud7ff",
])
SCALAR = st.one_of(NASTY, st.text(max_size=40), st.integers(), st.floats(allow_nan=False))


def _line(key: str, value: Any) -> str:
    return f"{key}: {value}"


FRONT = st.lists(st.tuples(st.sampled_from(FIELDS), SCALAR).map(lambda kv: _line(*kv)),
                 max_size=14)
BODY = st.text(max_size=300)


@pytest.fixture(scope="module", autouse=True)
def warm() -> None:
    """Import what a first load imports (channel types, yaml) outside the measured calls."""
    load_settings(None, environ={})
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "a.md"
        path.write_text("---\nid: a\n---\n", encoding="utf-8")
        read_item(path)


def bounded(fn: Any, *args: Any) -> Any:
    """Run ``fn`` and check it stayed within the time and memory bounds."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        return fn(*args)
    finally:
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert elapsed < SECONDS * 5, f"took {elapsed:.1f} s"  # tracemalloc slows it down
        assert peak < PEAK_BYTES, f"peak {peak:,} bytes"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(front=FRONT, body=BODY, fence=st.booleans(), raw=st.binary(max_size=200),
       use_raw=st.integers(0, 9))
def test_any_queue_file_is_an_item_or_problems(front: list[str], body: str, fence: bool,
                                               raw: bytes, use_raw: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x" / "y.md"
        path.parent.mkdir()
        if use_raw == 0:
            path.write_bytes(raw)
        else:
            text = "---\n" + "\n".join(front) + ("\n---\n\n" if fence else "\n") + body
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
        item, problems = bounded(read_item, path)
    assert item is not None or problems  # an item, or at least one reason why not
    for problem in problems:
        assert problem.line >= 1 and problem.message


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


TOML_VALUE = st.recursive(
    st.one_of(st.booleans(), st.integers(-2**63, 2**63 - 1), st.text(max_size=30),
              st.floats(allow_nan=False, allow_infinity=False),
              st.sampled_from(["${UNSET_VAR}", "${HOME}", "eighty", "", "Europe/Londn"])),
    lambda inner: st.lists(inner, max_size=4), max_leaves=8)
KEYS = st.one_of(st.sampled_from([k for table in DEFAULTS.values() if isinstance(table, dict)
                                  for k in table]), st.from_regex(r"[a-z_]{1,8}", fullmatch=True))
TABLES = st.sampled_from([*DEFAULTS, "channels.social", "channels.x", "campaigns.daily",
                          "campaigns.demo", "guard.channels", "nope"])
TABLE = st.tuples(TABLES, st.dictionaries(KEYS, TOML_VALUE, max_size=6))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=st.lists(TABLE, max_size=6), top=st.dictionaries(KEYS, TOML_VALUE, max_size=2),
       raw=st.binary(max_size=200), use_raw=st.integers(0, 9))
def test_any_config_file_loads_or_says_why(tables: list[tuple[str, dict[str, Any]]],
                                           top: dict[str, Any], raw: bytes,
                                           use_raw: int) -> None:
    lines = [f"{k} = {_toml_value(v)}" for k, v in top.items()]
    for name, table in tables:
        lines.append(f"[{name}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in table.items()]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config" / "k2publisher.toml"
        path.parent.mkdir()
        if use_raw == 0:
            path.write_bytes(raw)
        else:
            path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
        try:
            settings_ = bounded(lambda: load_settings(path, environ={}))
        except K2Error as exc:
            assert str(exc).strip()
            assert exc.exit_code == 3
            return
        assert settings_.typed is not None
