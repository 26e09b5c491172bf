"""Bluesky facets: UTF-8 byte offsets against the documented test vector."""

from __future__ import annotations

from k2publisher.render.facets import LINK, TAG, facets, find_spans

VECTOR = ("✨ example mentioning @atproto.com to share the URL 👨‍❤️‍👨 "
          "https://en.wikipedia.org/wiki/CBOR.")


def test_documented_vector_mention_and_link_byte_ranges() -> None:
    spans = {s.kind: s for s in find_spans(VECTOR)}
    assert (spans["mention"].byte_start, spans["mention"].byte_end) == (23, 35)
    assert (spans["link"].byte_start, spans["link"].byte_end) == (74, 108)
    assert spans["link"].value == "https://en.wikipedia.org/wiki/CBOR"   # trailing "." excluded
    data = VECTOR.encode()
    assert data[23:35] == b"@atproto.com"


def test_facets_have_the_lexicon_shape_for_links_and_tags() -> None:
    text = "Café notes #VitaminK2 https://example.com/archive/x/ #Dosage"
    found = facets(text)
    assert [f["features"][0]["$type"] for f in found] == [TAG, LINK, TAG]
    data = text.encode()
    for f in found:
        assert set(f) == {"index", "features"}
        assert set(f["index"]) == {"byteStart", "byteEnd"}
        piece = data[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode()
        feature = f["features"][0]
        if feature["$type"] == LINK:
            assert piece == feature["uri"]
        else:
            assert piece == "#" + feature["tag"]


def test_mentions_are_not_emitted_as_facets_without_a_did() -> None:
    assert all(f["features"][0]["$type"] != "app.bsky.richtext.facet#mention"
               for f in facets(VECTOR))
