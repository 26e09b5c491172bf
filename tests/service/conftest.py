"""Service fixtures: a site folder with a queue, the test channel types registered, a clock."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from k2publisher.deliver.registry import channel_types

from .support import Clock, IdempotentRecordingChannel, RecordingChannel, write_item


@pytest.fixture(autouse=True)
def test_channel_types() -> Iterator[None]:
    """Register the test channel types directly in the registry's table."""
    types = channel_types()
    types["recording"] = RecordingChannel
    types["recording-idempotent"] = IdempotentRecordingChannel
    yield
    types.pop("recording", None)
    types.pop("recording-idempotent", None)


@pytest.fixture(autouse=True)
def keep_logging() -> Iterator[None]:
    """`run` installs its own log handler; put the test's logging back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def clock() -> Clock:
    """Monday 2 March 2026, 07:00 UTC."""
    return Clock(datetime(2026, 3, 2, 7, 0, tzinfo=UTC))


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A site folder with four ready items, a draft, and a config file."""
    queue = tmp_path / "queue"
    write_item(queue, "vitamin-k2/dosage", priority=5)
    write_item(queue, "vitamin-k2/side-effects", priority=4)
    write_item(queue, "mechanisms/apoptosis", kind="mechanism_explainer", priority=1)
    write_item(queue, "mechanisms/gla-proteins", kind="mechanism_explainer", priority=0)
    write_item(queue, "vitamin-k2/draft-notes", status="draft", priority=9)
    (tmp_path / "config").mkdir()
    return tmp_path


