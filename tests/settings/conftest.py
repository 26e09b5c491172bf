"""Settings fixtures: a site folder and its config file."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.service.support import write_item


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A site folder with one ready item and an empty config folder."""
    write_item(tmp_path / "queue", "vitamin-k2/dosage", priority=5)
    (tmp_path / "config").mkdir()
    return tmp_path


def write_config(site: Path, text: str | bytes) -> Path:
    """Write ``config/k2publisher.toml``."""
    path = site / "config" / "k2publisher.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path
