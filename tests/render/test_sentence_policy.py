"""Where text may be cut (render/splitting.py): sentences whole, attributions with their claims.

A post that begins "improved anaemia" after the previous post said "A 2019 review found
that ..." reads as our claim. The splitter never cuts an attributed sentence at a clause, the
social composer never cuts a sentence that is not safety text (it is reported instead), and
a safety sentence too long for a post flows on clause by clause.
"""

from __future__ import annotations

import copy
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k2publisher.guard.check import check
from k2publisher.guard.disclaimers import DisclaimerRules, prose
from k2publisher.models import Item, Kind
from k2publisher.render import coverage
from k2publisher.render.renderer import Renderer
from k2publisher.render.splitting import attribution, clauses, cut, split_text
from k2publisher.settings import DEFAULTS, Settings

LEADS = ["A 2019 review found that", "Researchers reported that", "According to the NIH,",
         "In a mouse study,", "One small trial showed", "The authors concluded that",
         "A Japanese cohort suggested that"]
CLAIM = st.from_regex(r"[a-z]{3,9}( [a-z]{2,9}){3,12}(, [a-z]{2,9}( [a-z]{2,9}){2,6}){1,4}\.",
                      fullmatch=True)


@pytest.mark.parametrize("lead", LEADS)
def test_an_attribution_is_recognised(lead: str) -> None:
    sentence = (f"{lead} people who took it for years had fewer fractures, fewer falls and "
                "less pain.")
    assert attribution(sentence)
    assert clauses(sentence) == [sentence]


def test_an_unattributed_sentence_is_cut_at_clauses_first_then_words() -> None:
    sentence = "Take it with food, not on an empty stomach; stop if your skin turns yellow."
    assert clauses(sentence) == ["Take it with food,", "not on an empty stomach;",
                                 "stop if your skin turns yellow."]
    assert cut("stop if your skin turns yellow.") == ["stop", "if", "your", "skin", "turns",
                                                     "yellow."]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(LEADS), CLAIM)
def test_clauses_never_separate_an_attribution_from_its_claim(lead: str, claim: str) -> None:
    sentence = f"{lead} {claim}"
    assert clauses(sentence) == [" ".join(sentence.split())]


@settings(max_examples=40, deadline=None)
@given(st.lists(CLAIM, min_size=2, max_size=6), st.integers(min_value=120, max_value=400))
def test_split_text_cuts_at_clauses_before_words(claims: list[str], limit: int) -> None:
    text = " ".join(c[:1].upper() + c[1:] for c in claims)
    parts = split_text(text, limit, "x_weighted")
    body = " ".join(re.sub(r"^\d+/\d+ ", "", p) for p in parts)
    assert body.split() == text.split()
    for part in parts[1:]:
        head = re.sub(r"^\d+/\d+ ", "", part)
        # a part starts a sentence, a clause, or (only when a clause is longer than a part)
        # mid-clause; never after an attribution that stayed behind
        assert not any(p.endswith(lead) for p in parts for lead in LEADS)
        assert head


def _item(summary: str, **fields) -> Item:
    return Item(id="t/attributed", kind=Kind.SUPPLEMENT_SECTION,
                title=fields.pop("title", "Magnesium: what small trials report"),
                summary=summary, body=summary, supplement="Magnesium", **fields)


@pytest.fixture(scope="module")
def renderer(tmp_path_factory) -> Renderer:
    return Renderer(Settings(data=copy.deepcopy(DEFAULTS),
                             root=tmp_path_factory.mktemp("site")), DisclaimerRules.load())


def test_a_long_attributed_claim_is_never_split_across_posts(renderer) -> None:
    claim = ("A 2019 review of twelve small trials found that adults who took magnesium "
             "glycinate at night for eight to twelve weeks fell asleep a little sooner, woke "
             "less often and rated their sleep as somewhat better, although most of the "
             "trials were short, small and not blinded, and two used a different form.")
    item = _item(f"Magnesium is sold as capsules. {claim} It is cheap.")
    for profile in ("x", "bluesky", "mastodon"):
        rendering = renderer.render(item, profile)
        texts = rendering.texts
        whole = [t for t in texts if claim in " ".join(t.split())]
        if not whole:
            assert claim in rendering.extra["dropped"], profile
        # no post carries a piece of it without its attribution
        tail = "fell asleep a little sooner"
        assert all("A 2019 review" in t for t in texts if tail in t), profile


def test_a_long_safety_sentence_flows_on_whole_and_passes(renderer) -> None:
    rules = renderer.rules
    warning = ("People taking doxycycline, alendronate, omeprazole or hydrochlorothiazide, "
               "and anyone with kidney disease, should talk to their doctor before taking "
               "magnesium, because it can change how those medicines work and can build up "
               "in the blood when the kidneys do not clear it.")
    item = _item(f"Small trials used 250 mg a day. {warning}")
    rendering = renderer.render(item, "x")
    verdict = check(rendering, item, rules, claims_policy="off")
    assert verdict.ok, verdict.problems
    said = coverage.words(" ".join(prose(t, rules) for t in rendering.texts))
    assert coverage.covers(said, warning)


def test_a_network_without_threads_says_exactly_how_long_the_variant_may_be(renderer) -> None:
    rules = renderer.rules
    long = " ".join(f"Trial {n} gave adults 250 mg of magnesium at night for a month and "
                    "reported small changes in sleep diaries." for n in range(40))
    item = _item(long)
    rendering = renderer.render(item, "discord")
    verdict = check(rendering, item, rules, claims_policy="off")
    assert not verdict.ok
    hint = next(p for p in verdict.problems if "cannot thread" in p)
    room = int(re.search(r"write variants\.discord of at most (\d+)", hint).group(1))
    variant = ("Small trials gave adults magnesium at night. " * 80)[:room].rsplit(" ", 1)[0]
    fixed = Item(**{**item.__dict__, "variants": {"discord": variant}, "summary": variant})
    again = renderer.render(fixed, "discord")
    assert check(again, fixed, rules, claims_policy="off").ok
