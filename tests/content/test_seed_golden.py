"""The seed pages import exactly as recorded: every item's full text, in order.

``golden/*.json`` holds what the importer wrote for each seed (id -> file text). A change
to the importer that alters one character of a seed's output fails here; when a change is
intended, regenerate the file and say in the commit what changed and why.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from k2publisher.content.importers.detect import import_source

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("seed", ["000_40c69c2973670f07.txt", "004_9f0585a9ac8cc789.txt"])
def test_seed_imports_exactly_as_recorded(seeds: Path, seed: str) -> None:
    expected = json.loads((GOLDEN / f"{seed[:3]}.json").read_text(encoding="utf-8"))
    items = import_source(str(seeds / seed))
    assert [i.id for i in items] == list(expected)
    for item in items:
        assert item.text() == expected[item.id], item.id
