"""``replace_fields``: the desk's save rewrites named fields and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k2publisher.content.frontmatter import FrontMatterError, replace_fields, split

REPO = Path(__file__).resolve().parents[2]

TEXT = """---
id: iron/absorption   # stable id
kind: supplement_section
supplement: Iron
title: 'Iron: absorption'
summary: >-
  Vitamin C helps the body take up iron
  from plant foods.
# a comment the editor wrote
tags: [iron, absorption]
status: draft
variants:
  mastodon: "old toot"
---

Body **kept** as it is.
"""


def test_only_the_named_fields_change() -> None:
    new = replace_fields(TEXT, {"summary": "Short now.", "variants": {"bluesky": "b\nc"}})
    assert "id: iron/absorption   # stable id" in new
    assert "# a comment the editor wrote" in new
    assert "tags: [iron, absorption]" in new and "title: 'Iron: absorption'" in new
    assert new.endswith("Body **kept** as it is.\n")
    doc = split(new)
    assert doc.meta["summary"] == "Short now."
    assert doc.meta["variants"] == {"bluesky": "b\nc"}


def test_a_missing_field_is_added_and_none_removes_one() -> None:
    new = replace_fields(TEXT, {"variants": None, "review": "check the dose"})
    doc = split(new)
    assert "variants" not in doc.meta and doc.meta["review"] == "check the dose"
    assert split(new).body == split(TEXT).body


def test_characters_yaml_reads_as_line_breaks_survive() -> None:
    for text in ("a\x85b", "line\u2028sep", "para\u2029sep", "cr\r\nlf", "tab\tand\nnl"):
        assert split(replace_fields(TEXT, {"variants": {"x": text}})).meta["variants"] == \
            {"x": text}


def test_a_broken_file_is_not_rewritten() -> None:
    with pytest.raises(FrontMatterError):
        replace_fields("no front matter\n", {"summary": "x"})


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=300),
       st.dictionaries(st.sampled_from(["bluesky", "x", "mastodon"]),
                       st.text(st.characters(blacklist_categories=("Cs",)), min_size=1,
                               max_size=200), max_size=3))
def test_any_text_round_trips(summary: str, variants: dict[str, str]) -> None:
    new = replace_fields(TEXT, {"summary": summary, "variants": variants or None})
    doc = split(new)
    assert doc.meta["summary"] == summary
    assert doc.meta.get("variants") == (variants or None)
    assert doc.meta["tags"] == ["iron", "absorption"]


def test_every_shipped_item_keeps_its_other_lines() -> None:
    for path in sorted((REPO / "queue").rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        new = replace_fields(text, {"variants": {"bluesky": "A hand-written post."}})
        added = ["variants:", "  bluesky: A hand-written post."]
        if "variants" not in split(text).meta:
            lines = new.split("\n")
            at = lines.index(added[0])
            assert lines[at:at + 2] == added
            assert "\n".join(lines[:at] + lines[at + 2:]) == text, path
        assert split(new).body == split(text).body, path
