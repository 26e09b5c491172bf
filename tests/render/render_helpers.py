"""Helpers shared by render and preview tests: settings for a temporary site, test items."""

from __future__ import annotations

import copy
from pathlib import Path

from k2publisher.content.queue import Queue
from k2publisher.models import Evidence, Item, Kind, Status
from k2publisher.settings import DEFAULTS, Settings

REPO = Path(__file__).resolve().parents[2]

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = '"><img src=x onerror=alert(1)>'


def make_settings(root: Path, **sections: dict) -> Settings:
    """Default settings rooted at ``root`` (so ``templates/`` is ``root/templates``)."""
    data = copy.deepcopy(DEFAULTS)
    data["paths"]["queue"] = str(REPO / "queue")
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return Settings(data=data, root=root)


def shipped_items() -> list[Item]:
    """Every item in the repository's queue (whatever the importers have put there)."""
    queue = Queue(REPO / "queue")
    queue.load()
    return queue.items()


def make_item(**fields: object) -> Item:
    """A supplement-section item with sensible defaults, overridable per test."""
    base: dict[str, object] = dict(
        id="vitamin-k2/test", kind=Kind.SUPPLEMENT_SECTION, supplement="Vitamin K2",
        title="Vitamin K2: test", summary="Vitamin K2 is found in natto and some cheeses.",
        body="## Food sources\n\nNatto is the richest source.\n", tags=("vitamin-k2",),
        evidence=(Evidence.REVIEW,), status=Status.READY)
    base.update(fields)
    return Item(**base)  # type: ignore[arg-type]


def hostile() -> Item:
    """An item whose every field carries XSS payloads and XML-hostile characters."""
    return make_item(
        id="vitamin-k2/hostile",
        title=f"Dosage {XSS_SCRIPT} & more ]]> \x01\x0b",
        summary=f"Studies used 100 mcg a day {XSS_IMG} & ]]> \x02 end.",
        body=(f"## Dosage {XSS_SCRIPT}\n\nStudies used 100 mcg a day. {XSS_IMG} "
              f"and a raw {XSS_SCRIPT} tag. Tom & Jerry <b>bold</b> ]]> \x03\x1f text.\n\n"
              "[click](javascript:alert(1))\n"),
        tags=("dosage", "x&y<z>"))
