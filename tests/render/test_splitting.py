"""The splitter on its own: sentence boundaries, protected spans, numbered parts in limits."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k2publisher.render.counting import count
from k2publisher.render.splitting import (
    SentenceTooLong,
    attribution,
    pack,
    sentences,
    split_text,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("Dr. Smith studied it. Results were mixed.", ["Dr. Smith studied it.", "Results were mixed."]),
    ("Take 45.5 mg daily. Or not.", ["Take 45.5 mg daily.", "Or not."]),
    ("Foods, e.g. natto, help. Cheese too.", ["Foods, e.g. natto, help.", "Cheese too."]),
    ("See https://example.com/a.b.c?x=1. Next one.", ["See https://example.com/a.b.c?x=1.",
                                                      "Next one."]),
    ("J. Smith et al. found it. It held.", ["J. Smith et al. found it.", "It held."]),
    ("Is it? Yes! Fine.", ["Is it?", "Yes!", "Fine."]),
    ("One para\n\nTwo para", ["One para", "Two para"]),
    ("Studies in the U.S. used it. Done.", ["Studies in the U.S. used it.", "Done."]),
    # a vitamin's letter is no initial, "No." before a word and "mg." end a sentence
    ("Most adults lack vitamin D. It matters.", ["Most adults lack vitamin D.", "It matters."]),
    ("Does it cure cancer? No. It does not.", ["Does it cure cancer?", "No.", "It does not."]),
    ("Trial No. 5 used 100 mg. Take it with food.", ["Trial No. 5 used 100 mg.",
                                                    "Take it with food."]),
])
def test_sentences_never_break_names_numbers_or_urls(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_split_text_returns_text_unchanged_when_it_fits() -> None:
    assert split_text("short text.", 500, "mastodon") == ["short text."]


def test_split_text_numbers_parts_and_keeps_each_within_limit() -> None:
    text = " ".join(f"Sentence {i} mentions Dr. Smith and 45.5 mg at https://example.com/{i}."
                    for i in range(30))
    parts = split_text(text, 200, "mastodon")
    assert len(parts) > 1
    for n, part in enumerate(parts, 1):
        assert part.startswith(f"{n}/{len(parts)} ")
        assert count(part, "mastodon") <= 200
    body = " ".join(p.split(" ", 1)[1] for p in parts)
    assert body == text                                     # nothing lost, nothing reordered
    assert all("Dr. Smith" in p or "Dr." not in p for p in parts)


def test_split_text_cuts_an_overlong_sentence_at_spaces() -> None:
    text = ("word " * 200).strip() + "."
    parts = split_text(text, 100, "x_weighted")
    assert all(count(p, "x_weighted") <= 100 for p in parts)
    assert " ".join(p.split(" ", 1)[1] for p in parts) == text


def test_pack_drops_units_that_fit_nowhere() -> None:
    parts, dropped = pack(["aa", "bbbbbbbbbb", "cc", "dd"],
                          lambda us, _i: len(" ".join(us)) <= 5)
    assert parts == [["aa", "cc"], ["dd"]] or parts == [["aa"], ["cc", "dd"]]
    assert dropped == ["bbbbbbbbbb"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.from_regex(r"[A-Z][a-z]{1,12}( [a-z0-9]{1,10}){0,8}\.", fullmatch=True),
                min_size=1, max_size=40),
       st.sampled_from(["mastodon", "graphemes", "x_weighted", "threads"]),
       st.integers(min_value=60, max_value=500))
def test_split_text_property_parts_fit_and_preserve_words(sents: list[str], counter: str,
                                                          limit: int) -> None:
    text = " ".join(sents)
    try:
        parts = split_text(text, limit, counter)
    except SentenceTooLong as exc:        # only an attributed sentence may refuse to be cut
        assert attribution(exc.sentence), exc.sentence
        return
    assert all(count(p, counter) <= limit for p in parts)
    if len(parts) > 1:
        assert all(re.match(r"\d+/\d+ ", p) for p in parts)
        text_back = " ".join(p.split(" ", 1)[1] for p in parts)
    else:
        text_back = parts[0]
    assert text_back.split() == text.split()


def test_pack_cuts_a_unit_too_long_for_any_part_instead_of_dropping_it() -> None:
    from k2publisher.render.splitting import pack, words

    def fit(units, _index):
        return len(" ".join(units)) <= 20

    long = "People taking warfarin should ask first."
    parts, dropped = pack(["Title here", long, "Short end."], fit, cut=words)
    assert dropped == []
    assert " ".join(" ".join(p) for p in parts) == f"Title here {long} Short end."
    assert parts[0] == ["Title here"]            # a cut sentence starts its own part
    assert pack(["Title here", long], fit)[1] == [long]   # without cut it is given up


def test_words_keep_a_number_with_its_unit() -> None:
    from k2publisher.render.splitting import words

    assert words("used 900–1,500 mg a day and 5 %") == ["used", "900–1,500 mg", "a", "day",
                                                       "and", "5 %"]
