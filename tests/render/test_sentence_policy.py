"""Where text may be cut (render/splitting.py): sentences whole, attributions with their claims.

A post that begins "improved anaemia" after the previous post said "A 2019 review found
that ..." reads as our claim, and "According to NIH, garlic may increase" / "bleeding risk
with warfarin" is a warning cut in half. The splitter never cuts an attributed sentence nor a
safety sentence; in posts no sentence is cut at all: it moves whole to a new post, and one
longer than a post is reported in ``preview`` and refused by the guard, on every network.
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
from k2publisher.render.counting import count, fits
from k2publisher.render.profiles import PROFILES
from k2publisher.render.renderer import Renderer
from k2publisher.render.splitting import (
    SentenceTooLong,
    attribution,
    clauses,
    cut,
    split_text,
)
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
    try:
        parts = split_text(text, limit, "x_weighted")
    except SentenceTooLong as exc:        # only an attributed sentence may refuse to be cut
        assert attribution(exc.sentence), exc.sentence
        return
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


def test_a_safety_sentence_too_long_to_sit_beside_its_warnings_is_followed_by_them(
        renderer) -> None:
    """Never cut: the sentence takes a post of its own, and the warnings it triggers that do
    not fit beside it follow in warning-only posts right after it."""
    rules = renderer.rules
    warning = ("People taking doxycycline, alendronate, omeprazole or hydrochlorothiazide, "
               "and anyone with kidney disease, should talk to their doctor before taking "
               "magnesium, because it can change how those medicines work and can build up "
               "in the blood when the kidneys do not clear it.")
    item = _item(f"Small trials used 250 mg a day. {warning}")
    for profile in ("x", "bluesky", "mastodon", "threads", "telegram"):
        rendering = renderer.render(item, profile)
        verdict = check(rendering, item, rules, claims_policy="off")
        assert verdict.ok, (profile, verdict.problems)
        texts = rendering.texts
        read = [coverage.words(prose(t, rules)) for t in texts]
        holding = [i for i, r in enumerate(read) if coverage.covers(r, warning)]
        assert len(holding) == 1, profile                     # whole, in exactly one post
        here = holding[0]
        after = []
        for i in range(here + 1, len(texts)):
            if read[i]:
                break
            after.append(texts[i])
        needed = rules.required_for_part(item, warning, here, "social", len(texts))
        assert all(d.present_in(texts[here], True) or
                   any(d.present_in(t, True) for t in after) for d in needed), profile
        assert not any("kidney disease" in prose(t, rules) for i, t in enumerate(texts)
                       if i != here)                          # no piece of it elsewhere


def test_a_post_missing_its_warnings_is_refused_unless_its_successors_carry_them(
        renderer) -> None:
    """The guard's side: warning-only posts after a safety sentence may carry its other
    warnings; after any other post they may not."""
    from k2publisher.models import Part
    from k2publisher.render.profiles import get_profile
    from k2publisher.render.renderer import Rendering

    rules = renderer.rules
    warning = "People taking warfarin should ask their doctor before taking magnesium."
    item = Item(id="t/warf", kind=Kind.SUPPLEMENT_SECTION, title="Magnesium and warfarin",
                summary=warning, body=warning, supplement="Vitamin K")
    needed = rules.required_for_part(item, warning, 1, "social", 3)
    assert needed
    link = "https://example.org/a"

    def verdict(second: str, third: str):
        p = get_profile("mastodon")
        first = "1/3 Magnesium and warfarin\n" + "\n".join(
            d.form(short=True) for d in rules.required_for_part(item, "", 0, "social", 3))
        last = "\n".join([third, *(d.form(short=True) for d in rules.required_for_part(
            item, "", 2, "social", 3) if d.form(short=True) not in third), link])
        parts = tuple(Part(text=t) for t in (first, second, last))
        rendering = Rendering(item_id=item.id, channel="mastodon", profile=p.name,
                              family=p.family, parts=parts, link=link, limit=p.limit,
                              counter=p.counter)
        return check(rendering, item, rules, claims_policy="off")

    shorts = "\n".join(d.form(short=True) for d in needed)
    assert verdict(f"2/3 {warning}\n\n{shorts}", "3/3").ok
    moved = verdict(f"2/3 {warning}", f"3/3\n\n{shorts}")
    assert moved.ok, moved.problems                          # a safety sentence's successors
    claim = "Adults who took 400 mg of magnesium a day had fewer cramps."   # no safety text
    claim_needs = "\n".join(d.form(short=True) for d in rules.required_for_part(
        item, claim, 1, "social", 3))
    assert claim_needs
    refused = verdict(f"2/3 {claim}\n\n{shorts}", f"3/3\n\n{claim_needs}")
    assert any("part 2/3: missing disclaimer" in p for p in refused.problems), \
        refused.problems                                     # not a claim's
    assert not any("part 2/3: missing disclaimer" in p for p in moved.problems)


ATTRIBUTED_WARNING = "According to NIH, garlic may increase bleeding risk with warfarin."


def test_an_attributed_safety_sentence_is_never_cut() -> None:
    assert attribution(ATTRIBUTED_WARNING)
    assert cut(ATTRIBUTED_WARNING) == [ATTRIBUTED_WARNING]          # attributed
    assert cut(ATTRIBUTED_WARNING, safety=True) == [ATTRIBUTED_WARNING]
    plain = "Take it with food, not on an empty stomach."
    assert cut(plain, safety=True) == [plain]                       # safety text
    assert cut(plain, posts=True) == [plain]                        # any sentence in a post
    assert cut(plain) == ["Take it with food,", "not on an empty stomach."]


@pytest.mark.parametrize("counter", ["mastodon", "graphemes", "x_weighted", "threads", "utf16",
                                     "chars"])
def test_split_text_moves_a_safety_sentence_whole_or_refuses_it(counter: str) -> None:
    filler = "Garlic has been eaten for thousands of years in many cuisines."
    text = f"{filler} {ATTRIBUTED_WARNING} {filler}"
    room = count(ATTRIBUTED_WARNING, counter) + len("1/3 ")
    parts = split_text(text, room, counter, is_safety=lambda s: "warfarin" in s)
    assert [p for p in parts if ATTRIBUTED_WARNING in p] == [f"2/3 {ATTRIBUTED_WARNING}"]
    with pytest.raises(SentenceTooLong, match="According to NIH"):
        split_text(text, room - 1, counter, is_safety=lambda s: "warfarin" in s)


def _garlic(summary: str) -> Item:
    return Item(id="t/garlic-bleeding", kind=Kind.SUPPLEMENT_SECTION,
                title="Garlic supplements and bleeding", summary=summary, body=summary,
                supplement="Garlic")


SOCIAL = sorted(n for n, p in PROFILES.items() if p.family == "social")


@pytest.mark.parametrize("profile", SOCIAL)
def test_an_attributed_warning_stays_whole_in_one_post_on_every_network(renderer,
                                                                       profile: str) -> None:
    """The Bluesky report: a thread long enough to split, the warning never cut mid-phrase."""
    rules = renderer.rules
    filler = " ".join(f"Study {n} gave adults aged garlic extract with meals and kept "
                      "food diaries for several weeks." for n in range(8))
    item = _garlic(f"Garlic is sold as capsules and aged extract. {ATTRIBUTED_WARNING} "
                   f"{filler}")
    rendering = renderer.render(item, profile)
    assert check(rendering, item, rules, claims_policy="off").ok
    holding = [t for t in rendering.texts
               if coverage.covers(coverage.words(prose(t, rules)), ATTRIBUTED_WARNING)]
    assert len(holding) == 1, [t for t in rendering.texts]
    assert all(fits(t, PROFILES[profile]) for t in rendering.texts)
    # no post carries a piece of it without the whole of it
    assert all(t in holding for t in rendering.texts if "bleeding risk with" in t)


def _long_warning(length: int, counter: str) -> str:
    """An attribution-led warning at least ``length`` long by ``counter``."""
    drugs = ["warfarin"]
    names = ["clopidogrel", "apixaban", "heparin", "rivaroxaban", "enoxaparin"]
    while True:
        warning = (f"According to NIH, people taking {', '.join(drugs)} or other blood thinners "
                   "should ask their doctor before taking garlic supplements.")
        if count(warning, counter) >= length:
            return warning
        drugs.append(names[len(drugs) % len(names)])


@pytest.mark.parametrize("profile", SOCIAL)
def test_a_warning_longer_than_a_post_fails_the_guard_on_every_network(renderer,
                                                                      profile: str) -> None:
    """Never cut, reported in preview, refused."""
    rules = renderer.rules
    prof = PROFILES[profile]
    warning = _long_warning(prof.limit + 1, prof.counter)
    item = _garlic(f"Garlic is sold as capsules and aged extract. {warning}")
    rendering = renderer.render(item, profile)
    verdict = check(rendering, item, rules, claims_policy="off")
    assert not verdict.ok
    if prof.threads:
        assert warning in rendering.extra["dropped"]            # preview: could not fit
        assert any("safety sentence not in any one post" in p for p in verdict.problems)
        said = " ".join(prose(t, rules) for t in rendering.texts)
        assert "or other blood thinners" not in said            # no piece of it was posted
    else:
        # one post that cannot thread: refused whole, with the length a variant may have
        assert any("cannot thread" in p for p in verdict.problems), verdict.problems


@pytest.mark.parametrize("profile", sorted(n for n in SOCIAL if PROFILES[n].threads))
def test_a_warning_that_fits_a_post_only_alone_stays_whole_on_every_thread(renderer,
                                                                         profile: str) -> None:
    """The Bluesky case: a sentence just under a post, and an 80-grapheme warning."""
    rules = renderer.rules
    prof = PROFILES[profile]
    warning = _long_warning(prof.limit - 40, prof.counter)
    assert count(warning, prof.counter) < prof.limit - 8
    item = _garlic(f"Garlic is sold as capsules and aged extract. {warning}")
    rendering = renderer.render(item, profile)
    verdict = check(rendering, item, rules, claims_policy="off")
    assert verdict.ok, verdict.problems
    assert not rendering.extra["dropped"]
    holding = [t for t in rendering.texts if " ".join(warning.split()) in " ".join(t.split())]
    assert len(holding) == 1
    assert all(fits(t, prof) for t in rendering.texts)
