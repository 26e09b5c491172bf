"""Fixtures for the guard tests: the built-in rules and a factory for hand-made items."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from k2publisher.guard.disclaimers import DisclaimerRules
from k2publisher.models import Evidence, Item, Kind


@pytest.fixture
def rules() -> DisclaimerRules:
    """The built-in disclaimer rules."""
    return DisclaimerRules.load()


@pytest.fixture
def make_item() -> Callable[..., Item]:
    """Build an Item with neutral defaults; keyword arguments override any field."""

    def make(**fields: Any) -> Item:
        base: dict[str, Any] = {
            "id": "vitamin-k2/food-sources", "kind": Kind.MECHANISM_EXPLAINER,
            "title": "Where vitamin K2 is found", "summary": "Natto, some cheeses and egg yolks.",
            "body": "Natto is a fermented soybean dish eaten in Japan.", "tags": ("food",),
            "evidence": (Evidence.REVIEW,),
        }
        base.update(fields)
        if "evidence" in fields:
            base["evidence"] = tuple(Evidence(e) for e in fields["evidence"])
        return Item(**base)

    return make
