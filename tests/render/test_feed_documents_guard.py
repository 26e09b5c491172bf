"""The site's JSON Feed documents are guarded like the XML feeds (pipeline/site.py)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from render_helpers import make_item, make_settings

from k2publisher.guard.check import check
from k2publisher.pipeline import site
from k2publisher.render.renderer import Renderer


def _documents(tmp_path: Path, rules):
    renderer = Renderer(make_settings(tmp_path), rules)
    moment = datetime(2026, 11, 24, 9, tzinfo=UTC)
    published = [(make_item(id="vitamin-k2/a", title="A", tags=("bone",)), moment),
                 (make_item(id="vitamin-k2/b", title="B", tags=("Heart Health",)),
                  moment + timedelta(seconds=1))]
    return site.build(renderer, published), [item for item, _ in published]


def _problems(documents, items, rules):
    return site.problems(documents, items, "feed",
                         lambda r, shown: check(r, list(shown), rules))[0]


def test_json_and_tag_feeds_are_built_as_documents_showing_their_items(tmp_path: Path,
                                                                        rules) -> None:
    documents, items = _documents(tmp_path, rules)
    by_path = {doc.path: doc for doc in documents}
    assert by_path["feed.json"].family == "json"
    assert by_path["tags/heart-health/atom.xml"].family == "feed"
    assert by_path["tags/bone/feed.json"].item_ids == ("vitamin-k2/a",)
    assert set(by_path["feed.json"].item_ids) == {"vitamin-k2/a", "vitamin-k2/b"}
    assert _problems(documents, items, rules) == []


def test_a_json_feed_entry_without_its_disclaimers_or_bad_json_is_refused(tmp_path: Path,
                                                                         rules) -> None:
    documents, items = _documents(tmp_path, rules)
    index = next(i for i, doc in enumerate(documents) if doc.path == "tags/bone/feed.json")
    data = json.loads(documents[index].content)
    for entry in data["items"]:
        entry["content_html"], entry["summary"] = "<p>Vitamin K2 in brief.</p>", "In brief."
    stripped = [*documents]
    stripped[index] = replace(documents[index], content=json.dumps(data))
    found = _problems(stripped, items, rules)
    assert found and all(p.startswith("tags/bone/feed.json: ") for p in found)
    assert any("missing disclaimer NOT_MEDICAL_ADVICE" in p for p in found)

    stripped[index] = replace(documents[index], content=documents[index].content[:-20])
    assert any("tags/bone/feed.json: not valid JSON" in p for p in _problems(stripped, items,
                                                                              rules))
