"""Fixtures for preview tests: a site folder with a small queue of real item files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SECOND_ITEM = """---
id: vitamin-k2/food-sources
kind: supplement_section
supplement: Vitamin K2
title: "Vitamin K2: food sources <script>alert(1)</script>"
summary: "Natto and some cheeses contain vitamin K2. \\"><img src=x onerror=alert(1)>"
tags: [vitamin-k2, food]
evidence: [review]
status: ready
priority: 3
---

## Foods

Natto is the richest food source. <script>alert(1)</script>
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A site folder, no config file, a queue of two items: one shipped, one hostile."""
    queue = tmp_path / "queue"
    shipped = sorted((REPO / "queue").rglob("*.md"))[0]
    target = queue / shipped.relative_to(REPO / "queue")
    target.parent.mkdir(parents=True)
    shutil.copy(shipped, target)
    (queue / "vitamin-k2").mkdir(exist_ok=True)
    (queue / "vitamin-k2" / "food-sources.md").write_text(SECOND_ITEM, encoding="utf-8")
    (tmp_path / "templates").mkdir()
    return tmp_path
