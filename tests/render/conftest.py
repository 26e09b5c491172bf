"""Fixtures for render tests: settings rooted in a temporary site, the built-in rules, items."""

from __future__ import annotations

from pathlib import Path

import pytest
from render_helpers import hostile, make_settings

from k2publisher.guard.disclaimers import DisclaimerRules
from k2publisher.models import Item
from k2publisher.render.renderer import Renderer
from k2publisher.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a site in ``tmp_path`` reading the repository's queue."""
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def rules() -> DisclaimerRules:
    """The built-in disclaimer rules."""
    return DisclaimerRules.load()


@pytest.fixture
def renderer(settings: Settings, rules: DisclaimerRules) -> Renderer:
    """A renderer with the built-in templates and rules."""
    return Renderer(settings, rules)


@pytest.fixture
def hostile_item() -> Item:
    """An item whose every field carries XSS payloads and XML-hostile characters."""
    return hostile()
