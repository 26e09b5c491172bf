"""The guard's check/enforce on hand-built renderings and on the renderer's real output."""

from __future__ import annotations

from dataclasses import replace

import pytest
from markupsafe import escape

from k2publisher.content.queue import Queue
from k2publisher.errors import ConfigError, GuardRefusal
from k2publisher.guard.check import (
    check,
    claims_policy,
    enforce,
    glued_citations,
    html_problems,
    xml_problems,
)
from k2publisher.guard.disclaimers import DisclaimerRules
from k2publisher.models import GuardOverride, Item, Kind, Part, Rendering, Status
from k2publisher.render.counting import count
from k2publisher.render.profiles import PROFILES, get_profile
from k2publisher.render.renderer import Renderer
from k2publisher.settings import load_settings

LINK = "https://k2.example.org/archive/vitamin-k2/dosage/"


@pytest.fixture
def dosage(make_item) -> Item:
    return make_item(
        id="vitamin-k2/dosage", title="Vitamin K2: dosage",
        summary="Studies used 90 to 180 mcg a day of MK-7.",
        body="Studies used 90 to 180 mcg a day of MK-7 for up to three years.",
        tags=("vitamin-k2", "dosage"), evidence=["clinical_trial"])


def post(rules: DisclaimerRules, item: Item, body: str, index: int, *,
         drop: str | None = None, total: int = 1) -> Part:
    """One social post (of ``total``) carrying what the policy requires (optionally dropping
    one)."""
    needed = rules.required_for_part(item, body, index, "social", total)
    lines = [body, *(d.form(short=True) for d in needed if d.id != drop), LINK]
    return Part(text="\n".join(lines), disclaimers=tuple(d.id for d in needed))


def social(item: Item, parts: list[Part], profile: str = "mastodon") -> Rendering:
    p = get_profile(profile)
    return Rendering(item_id=item.id, channel=profile, profile=p.name, family=p.family,
                     parts=tuple(parts), link=LINK, limit=p.limit, counter=p.counter)


def email(item: Item, html: str, text: str) -> Rendering:
    p = get_profile("email")
    return Rendering(item_id=item.id, channel="email", profile="email", family="email",
                     parts=(Part(text=text, html=html),), limit=p.limit, counter=p.counter,
                     subject=item.title, preheader="New from K2 Notes", html=html, text=text)


def full(rules: DisclaimerRules, item: Item, html: bool) -> str:
    texts = [d.text for d in rules.for_item(item)]
    if html:
        return "".join(f"<p><strong>{t}</strong></p>" for t in texts)
    return "\n\n".join(texts)


THREAD = ["Studies used 90 to 180 mcg a day of MK-7.", "Natto is the richest food source.",
          "Trials lasted up to three years."]


# -- disclaimers -------------------------------------------------------------------------


def test_complete_thread_passes(rules, dosage):
    parts = [post(rules, dosage, b, i, total=len(THREAD)) for i, b in enumerate(THREAD)]
    verdict = check(social(dosage, parts), dosage, rules)
    assert verdict.ok, verdict.problems


def test_removing_a_disclaimer_from_a_post_is_refused(rules, dosage):
    parts = [post(rules, dosage, b, i, drop="WARFARIN_VKA" if i == 0 else None,
                  total=len(THREAD)) for i, b in enumerate(THREAD)]
    verdict = check(social(dosage, parts), dosage, rules)
    assert not verdict.ok
    assert verdict.problems[0] == (
        "item vitamin-k2/dosage on mastodon part 1/3: missing disclaimer WARFARIN_VKA")
    assert all("WARFARIN_VKA" in p for p in verdict.problems)


def test_later_post_with_a_claim_needs_its_own_caveat(rules, dosage):
    parts = [post(rules, dosage, THREAD[0], 0, total=2),
             Part(text="A dose of 45 mg of MK-4 was used in Japan.\n" + LINK)]
    problems = check(social(dosage, parts), dosage, rules).problems
    assert "item vitamin-k2/dosage on mastodon part 2/2: missing disclaimer WARFARIN_VKA" \
        in problems


def test_fda_statement_has_no_short_form_on_social(rules, make_item):
    item = make_item(body="Vitamin K2 supports bone health.",
                     summary="Vitamin K2 supports bone health.")
    body = "Vitamin K2 supports bone health.*"
    needed = rules.required_for_part(item, body, 0, "social")
    assert "FDA_SF_1" in [d.id for d in needed]
    text = "\n".join([body, *(d.form(short=True) for d in needed)])
    assert check(social(item, [Part(text=text)]), item, rules).ok
    cut = text.replace("This product is not intended", "Not intended")
    assert "missing disclaimer FDA_SF_1" in check(social(item, [Part(text=cut)]), item,
                                                  rules).problems[0]


def test_both_fda_statements_in_one_post_is_refused(rules, make_item):
    item = make_item(body="Vitamin K2 supports bone health.",
                     summary="Vitamin K2 supports bone health.")
    body = "Vitamin K2 supports bone health.*"
    needed = [d.form(short=True) for d in rules.required_for_part(item, body, 0, "social")]
    text = "\n".join([body, *needed, rules.get("FDA_SF_N").text])
    assert check(social(item, [Part(text=text)]), item, rules).problems == (
        f"item {item.id} on mastodon part 1/1: carries both FDA_SF_1 and FDA_SF_N; use the "
        "one for the number of claims",)


def test_an_email_of_one_item_may_not_hold_both_fda_forms(rules, make_item):
    # issue 10: three claims (FDA_SF_N) plus a hand-written singular statement shipped
    item = make_item(body="## Bones\n\nVitamin K2 supports bone health.\n\n## Teeth\n\n"
                          "MK-7 helps maintain teeth. MK-7 supports healthy gums and teeth.")
    html = full(rules, item, html=True) + f"<p>{rules.get('FDA_SF_1').text}</p>"
    text = full(rules, item, html=False) + "\n" + rules.get("FDA_SF_1").text
    problems = check(email(item, html, text), item, rules).problems
    assert any("email text: carries both FDA_SF_1 and FDA_SF_N" in p for p in problems)
    assert check(email(item, full(rules, item, html=True), full(rules, item, html=False)),
                 item, rules).ok


def test_a_digest_may_hold_both_fda_forms_when_its_items_need_both(rules, make_item):
    one = make_item(id="a/one", body="Vitamin K2 supports bone health.")
    many = make_item(id="b/many", body="MK-7 helps maintain teeth. MK-7 supports the heart.")
    assert {d.id for d in rules.for_item(one)} & {"FDA_SF_1", "FDA_SF_N"} == {"FDA_SF_1"}
    assert {d.id for d in rules.for_item(many)} & {"FDA_SF_1", "FDA_SF_N"} == {"FDA_SF_N"}
    html = full(rules, one, html=True) + full(rules, many, html=True)
    text = full(rules, one, html=False) + "\n" + full(rules, many, html=False)
    assert check(email(one, html, text), [one, many], rules).ok
    # the same two statements around two one-claim items: one of them is wrong
    other = make_item(id="c/other", body="MK-7 supports bone health.")
    problems = check(email(one, html, text), [one, other], rules).problems
    assert any("carries both FDA_SF_1 and FDA_SF_N" in p for p in problems)


def test_email_checks_html_and_text_bodies(rules, dosage):
    good = email(dosage, full(rules, dosage, True), full(rules, dosage, False))
    assert check(good, dosage, rules).ok
    text = full(rules, dosage, False).replace(rules.get("PREGNANCY_LACTATION").text, "")
    problems = check(replace(good, text=text), dosage, rules).problems
    assert problems == ("item vitamin-k2/dosage on email text: missing disclaimer "
                        "PREGNANCY_LACTATION",)


def test_email_short_forms_do_not_count(rules, dosage):
    shorts = "".join(f"<p>{d.form(short=True)}</p>" for d in rules.for_item(dosage))
    verdict = check(email(dosage, shorts, full(rules, dosage, False)), dosage, rules)
    assert any("email html: missing disclaimer WARFARIN_VKA" in p for p in verdict.problems)


def test_email_without_a_text_body_is_refused(rules, dosage):
    r = replace(email(dosage, full(rules, dosage, True), ""), text=None)
    assert "item vitamin-k2/dosage on email: email has no text body" in \
        check(r, dosage, rules).problems


# -- limits, leftovers, empties, markup ----------------------------------------------------


def test_over_limit_post_is_refused(rules, dosage):
    first = post(rules, dosage, THREAD[0], 0)
    padding = "Natto is eaten at breakfast. " * 12
    long = Part(text=padding + first.text)
    length = count(long.text, "x_weighted")
    assert length > PROFILES["x"].limit
    problems = check(social(dosage, [long], "x"), dosage, rules).problems
    assert problems == (f"item vitamin-k2/dosage on x part 1/1: {length} (x_weighted) over "
                        f"the limit of 280",)


@pytest.mark.parametrize("leftover", ["{{ item.title }}", "{% if x %}", "50%} off"])
def test_template_syntax_is_refused(rules, dosage, leftover):
    parts = [post(rules, dosage, THREAD[0] + " " + leftover, 0)]
    problems = check(social(dosage, parts), dosage, rules).problems
    assert len(problems) == 1 and "leftover template syntax" in problems[0]


@pytest.mark.parametrize("glued", ["cancers157", "pathways3.", "Leukaemia17,"])
def test_citation_digits_glued_to_words_are_refused(rules, dosage, glued):
    parts = [post(rules, dosage, f"{THREAD[0]} As seen in {glued}", 0)]
    problems = check(social(dosage, parts), dosage, rules).problems
    assert len(problems) == 1 and "raw citation digits glued to a word" in problems[0]
    assert glued.rstrip(".,") in problems[0]


def test_names_ending_in_digits_are_not_citations():
    text = "MK-7, VK2, D3, CDK4, COVID-19, rs2108622 and CYP4F2 in 2024; 1/3"
    assert glued_citations(text) == []


def test_empty_part_is_refused(rules, dosage):
    parts = [post(rules, dosage, THREAD[0], 0), Part(text="  \n ")]
    assert check(social(dosage, parts), dosage, rules).problems == (
        "item vitamin-k2/dosage on mastodon part 2/2: empty part",)


@pytest.mark.parametrize(("fragment", "expected"), [
    ("<p><strong>bold</p>", "</p> at line 1 closes <strong>"),
    ("<div><p>open", "unclosed <div>"),
    ("<p>text</p></em>", "stray </em>"),
])
def test_malformed_html_is_refused(rules, dosage, fragment, expected):
    good = email(dosage, full(rules, dosage, True), full(rules, dosage, False))
    problems = check(replace(good, html=good.html + fragment), dosage, rules).problems
    assert len(problems) == 1 and "email html: malformed HTML" in problems[0]
    assert expected in problems[0]


def test_html_with_optional_end_tags_and_voids_is_well_formed():
    assert html_problems("<ul><li>a<li>b</ul><p>x<br>y<img src=a.png></p><!--[if mso]>"
                         "<table><![endif]-->") == []


def test_feed_content_with_xml_control_characters_is_refused(rules, dosage):
    p = get_profile("feed")
    html = full(rules, dosage, True) + "<p>bad \x0b char</p>"
    r = Rendering(item_id=dosage.id, channel="feed", profile="feed", family="feed",
                  parts=(Part(text="t", html=html),), limit=p.limit, counter=p.counter,
                  html=html, extra={"summary": full(rules, dosage, False)})
    problems = check(r, dosage, rules).problems
    assert problems == ("item vitamin-k2/dosage on feed html: character U+000B is not "
                        "allowed in a feed (XML)",)


def test_feed_summary_must_carry_the_disclaimers(rules, dosage):
    p = get_profile("feed")
    html = full(rules, dosage, True)
    r = Rendering(item_id=dosage.id, channel="feed", profile="feed", family="feed",
                  parts=(Part(text="t", html=html),), limit=p.limit, counter=p.counter,
                  html=html, extra={"summary": "Studies used 90 to 180 mcg a day."})
    problems = check(r, dosage, rules).problems
    assert "item vitamin-k2/dosage on feed summary: missing disclaimer WARFARIN_VKA" in problems


def test_xml_documents_in_extra_are_parsed(rules, dosage):
    p = get_profile("feed")
    html = full(rules, dosage, True)
    r = Rendering(item_id=dosage.id, channel="feed", profile="feed", family="feed",
                  parts=(Part(text="t", html=html),), limit=p.limit, counter=p.counter,
                  html=html, extra={"xml": "<rss><channel><item></channel></rss>"})
    (problem,) = check(r, dosage, rules).problems
    assert problem.startswith("item vitamin-k2/dosage on feed xml: not well-formed XML")
    assert xml_problems("<rss version='2.0'><channel/></rss>") == []


# -- claims ----------------------------------------------------------------------------


def claim_rendering(rules: DisclaimerRules, item: Item, claim: str) -> Rendering:
    return social(item, [post(rules, item, f"{THREAD[0]} {claim}", 0)])


def test_block_claim_is_refused(rules, dosage):
    r = claim_rendering(rules, dosage, "K2 has no side effects.")
    (problem,) = check(r, dosage, rules).problems
    assert problem.startswith("item vitamin-k2/dosage on mastodon part 1/1: claim "
                              "C09-absolute-safety (block)")


def test_override_with_matching_rule_lets_it_through_as_a_note(rules, dosage):
    item = replace(dosage, guard_overrides=(
        GuardOverride("C09-absolute-safety", "quoting the trial's own wording"),))
    verdict = check(claim_rendering(rules, item, "K2 has no side effects."), item, rules)
    assert verdict.ok
    assert any("override C09-absolute-safety (quoting the trial's own wording)" in n
               for n in verdict.notes)


def test_override_for_another_rule_does_not_help(rules, dosage):
    item = replace(dosage, guard_overrides=(GuardOverride("C16-fda-approved", "why"),
                                            GuardOverride("C9", "typo")))
    verdict = check(claim_rendering(rules, item, "K2 has no side effects."), item, rules)
    assert not verdict.ok
    assert any("override names no claims rule: 'C9'" in n for n in verdict.notes)


def test_review_and_qualify_findings_are_notes(rules, dosage):
    r = claim_rendering(rules, dosage, "Results are promising. It is clinically proven.")
    verdict = check(r, dosage, rules)
    assert verdict.ok
    assert {n.split(": ", 1)[1].split(" ", 2)[1] for n in verdict.notes} == {
        "C12-weak-qualifier", "C10-proven"}


# a disease claim attributed to a study with its evidence level: ``qualify``, and it binds
STUDY_NOTE = "In mice, VK2 slowed tumour growth, a 2019 study found."


@pytest.fixture
def study(make_item) -> Item:
    return make_item(id="vitamin-k2/pre-clinical-studies", title="Vitamin K2: lab studies",
                     summary="What cell and animal studies report.",
                     body=f"## Animal studies\n\n{STUDY_NOTE}\n")


def study_post(rules: DisclaimerRules, item: Item, text: str) -> Rendering:
    """One post of ``item``: its summary (the subject), ``text`` and what the policy needs."""
    return social(item, [post(rules, item, f"{item.summary} {text}", 0)])


def test_a_bare_binding_qualify_stops_publication_and_a_carried_one_does_not():
    from k2publisher.guard.claims import binds, scan, stops_publication

    (note,) = [f for f in scan(STUDY_NOTE) if binds(f)]
    assert note.level == "qualify" and set(note.qualifier) == {"mice", "study found"}
    assert stops_publication(note)                      # the claim bare: held
    assert not stops_publication(note, STUDY_NOTE)      # carried with its qualifier: passes
    assert stops_publication(note, "A 2019 study found VK2 slowed tumour growth.")
    # beside means the caption right before it, not a paragraph further up
    assert not stops_publication(
        note, "Mice, a 2019 study found\n\nVK2 slowed tumour growth.")
    assert stops_publication(
        note, "Mice, a 2019 study found.\n\nNatto is a food.\n\nVK2 slowed tumour growth.")
    (block,) = [f for f in scan("VK2 slowed tumour growth.") if f.level == "block"]
    assert stops_publication(block, "VK2 slowed tumour growth.")
    (review,) = scan("It is clinically proven.")
    assert not stops_publication(review)


def test_a_claim_read_from_a_markdown_list_binds_to_its_html_list_item():
    """The item's Markdown keeps the list marker in the claim ("-In mice, ..."); an HTML
    rendering carries the same sentence as ``<li>`` without it, qualifier beside."""
    from k2publisher.guard.claims import Finding, qualifier_beside

    note = Finding("L01-learned-disease-claim", "qualify", "", "", kind="disease",
                   claim=f"-{STUDY_NOTE}", sentence=f"-{STUDY_NOTE}",
                   qualifier=("mice", "study found"))
    assert qualifier_beside(note, f"<ul><li>{STUDY_NOTE}</li></ul>")
    assert not qualifier_beside(note, "<ul><li>VK2 slowed tumour growth.</li></ul>")


def test_a_qualify_claim_kept_with_its_qualifier_passes(rules, study):
    verdict = check(study_post(rules, study, STUDY_NOTE), study, rules)
    assert verdict.ok, verdict.problems
    assert any("qualify C01-disease-cure" in n for n in verdict.notes)


def test_a_qualify_claim_whose_qualifier_the_rendering_drops_is_refused(rules, study):
    """The post keeps the claim and an attribution, but not the evidence level the item gives
    it ("in mice"): refused, naming the qualifier that must come along."""
    kept = "A 2019 study found VK2 slowed tumour growth."
    problems = check(study_post(rules, study, kept), study, rules).problems
    assert any("C01-disease-cure (qualify)" in p and "a qualify claim binds" in p
               and "\u201cmice\u201d" in p for p in problems), problems


def test_a_split_that_separates_a_claim_from_its_qualifier_is_refused(rules, study):
    parts = [post(rules, study, f"{study.summary} In mice, a 2019 study found:", 0,
                  total=2),
             post(rules, study, "VK2 slowed tumour growth.", 1, total=2)]
    problems = check(social(study, parts), study, rules).problems
    assert any("part 2/2: claim C01-disease-cure" in p for p in problems), problems


def test_an_override_still_lets_a_bound_claim_through_as_a_logged_note(rules, study):
    item = replace(study, guard_overrides=(
        GuardOverride("C01-disease-cure", "the study is named in the next post"),))
    kept = "A 2019 study found VK2 slowed tumour growth."
    verdict = check(study_post(rules, item, kept), item, rules)
    assert verdict.ok, verdict.problems
    assert any("override C01-disease-cure (the study is named in the next post)" in n
               for n in verdict.notes)


def test_claims_policy_review_and_off(rules, dosage):
    r = claim_rendering(rules, dosage, "K2 has no side effects.")
    review = check(r, dosage, rules, claims_policy="review")
    assert review.ok and any("block C09-absolute-safety" in n for n in review.notes)
    off = check(r, dosage, rules, claims_policy="off")
    assert off.ok and off.notes == ()
    with pytest.raises(ConfigError, match="claims"):
        check(r, dosage, rules, claims_policy="lenient")


def test_a_post_claims_with_an_acronym_its_item_body_defines(rules, dosage):
    item = replace(dosage, body="Studies in hepatocellular carcinoma (HCC) used 45 mg a day.")
    r = claim_rendering(rules, item, "K2 reverses HCC.")
    assert any("claim C01-disease-cure" in p for p in check(r, item, rules).problems)
    assert check(claim_rendering(rules, dosage, "K2 reverses HCC."), dosage, rules).ok


def test_claims_in_the_email_subject_are_scanned(rules, dosage):
    r = email(dosage, full(rules, dosage, True), full(rules, dosage, False))
    verdict = check(replace(r, subject="K2 cures cancer"), dosage, rules)
    assert any("email subject: claim C01-disease-cure" in p for p in verdict.problems)


def test_enforce_raises_guard_refusal_naming_item_and_channel(rules, dosage):
    parts = [post(rules, dosage, THREAD[0], 0, drop="PREGNANCY_LACTATION")]
    with pytest.raises(GuardRefusal) as err:
        enforce(social(dosage, parts), dosage, rules)
    assert err.value.item_id == "vitamin-k2/dosage" and err.value.channel == "mastodon"
    assert err.value.problems == [
        "item vitamin-k2/dosage on mastodon part 1/1: missing disclaimer PREGNANCY_LACTATION"]
    assert enforce(social(dosage, [post(rules, dosage, THREAD[0], 0)]), dosage, rules).ok


# -- the renderer's real output ------------------------------------------------------------


@pytest.fixture
def shipped(repo, monkeypatch):
    monkeypatch.chdir(repo)
    settings = load_settings(environ={})
    queue = Queue(settings.path("queue"))
    queue.load()
    rules = DisclaimerRules.from_settings(settings)
    return Renderer(settings, rules), rules, queue.items()


@pytest.mark.slow
def test_shipped_queue_passes_on_every_profile(shipped):
    """Ready items pass outright; drafts (awaiting an editor's rewrite) pass all but claims.

    Outright means no claim stops publication: no block, and every disease or therapy
    ``qualify`` (a study note) keeps its evidence qualifier beside it on every channel; the
    title and summary, which cards, subjects and feeds reuse, pass on their own too."""
    from k2publisher.guard.claims import scan, stops_publication

    renderer, rules, items = shipped
    assert items
    refused = []
    for item in items:
        policy = "block" if item.status is Status.READY else "off"
        for profile in PROFILES:
            verdict = check(renderer.render(item, profile), item, rules, claims_policy=policy)
            refused += list(verdict.problems)
        if policy == "block":
            refused += [f"{item.id} {name}: {f}" for name, text in
                        (("title", item.title), ("summary", item.summary))
                        for f in scan(text, rules, headline=name == "title", context=item.body)
                        if stops_publication(f, text, rules)]
    assert refused == []


@pytest.mark.parametrize("profile", ["mastodon", "bluesky", "x"])
def test_a_variant_that_drops_the_qualifier_the_item_gives_its_claim_is_refused(
        shipped, study, profile):
    """The renderer's real output: the item's text says "In mice, ..."; a post variant that
    keeps the claim and "a study found" but not "in mice" is refused, the item's own
    rendering (its summary and text, qualifier kept) passes."""
    renderer, rules, _items = shipped
    item = replace(study, summary=f"What cell and animal studies report. {STUDY_NOTE}")
    assert check(renderer.render(item, profile), item, rules).ok
    dropped = replace(item, variants={profile: "A 2019 study found VK2 slowed tumour growth."})
    problems = check(renderer.render(dropped, profile), dropped, rules).problems
    assert any("a qualify claim binds" in p and "\u201cmice\u201d" in p for p in problems), \
        problems


@pytest.mark.parametrize("profile", ["email", "feed", "web", "mastodon", "x"])
def test_removing_a_rendered_disclaimer_is_refused(shipped, profile):
    renderer, rules, items = shipped
    item = items[0]
    rendering = renderer.render(item, profile)
    victim = rules.required_for_part(item, rendering.parts[0].text, 0, rendering.family)[0]

    def cut(text: str | None) -> str | None:
        if text is None:
            return None
        for form in (victim.text, victim.short):
            if form:
                text = text.replace(form, "").replace(str(escape(form)), "")
        return text

    parts = tuple(Part(text=cut(p.text) or "", html=cut(p.html), facets=p.facets)
                  for p in rendering.parts)
    broken = replace(rendering, parts=parts, html=cut(rendering.html), text=cut(rendering.text),
                     extra={**rendering.extra, "summary": cut(rendering.extra.get("summary"))}
                     if "summary" in rendering.extra else rendering.extra)
    verdict = check(broken, item, rules)
    assert not verdict.ok
    assert any(f"missing disclaimer {victim.id}" in p for p in verdict.problems)
    assert all(f"missing disclaimer {victim.id}" in p
               or f"critical warning {victim.id} is not in the thread's opening" in p
               for p in verdict.problems), verdict.problems


def test_claims_policy_per_channel(tmp_path):
    config = tmp_path / "k2publisher.toml"
    config.write_text('[guard]\nclaims = "block"\n[guard.channels]\nsocial = "review"\n',
                      encoding="utf-8")
    settings = load_settings(config, environ={})
    assert claims_policy(settings, "social") == "review"
    assert claims_policy(settings, "email") == "block"
    assert claims_policy(settings) == "block"
    # a wrong value is refused when the settings are read, naming the file and line
    config.write_text('[guard]\nclaims = "block"\n[guard.channels]\nsocial = "review"\n'
                      'feed = "loose"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r'k2publisher.toml:5: \[guard.channels\] feed = '
                                          r'"loose" is wrong .*one of "block", "off", "review"'):
        load_settings(config, environ={})


def test_feed_summary_puts_critical_warnings_first(rules, dosage):
    p = get_profile("feed")
    html = full(rules, dosage, True)
    late = f"{dosage.summary}\n\n{full(rules, dosage, False)}"
    r = Rendering(item_id=dosage.id, channel="feed", profile="feed", family="feed",
                  parts=(Part(text="t", html=html),), limit=p.limit, counter=p.counter,
                  html=html, extra={"summary": late})
    assert check(r, dosage, rules).problems == (
        "item vitamin-k2/dosage on feed summary: critical warning WARFARIN_VKA comes after the "
        "summary; feed readers truncate, so put it first",)
    first = f"{full(rules, dosage, False)}\n\n{dosage.summary}"
    assert check(replace(r, extra={"summary": first}), dosage, rules).ok


def test_html_recovers_after_a_mismatch_and_sees_unterminated_tags():
    assert html_problems("<div><strong>x</div>") == [
        "</div> at line 1 closes <strong> opened at line 1"]
    assert html_problems('<p>x</p>\n<a href="x"') == ["unterminated tag at the end"]


# -- what a post keeps of its item ----------------------------------------------------------


def test_a_rendering_of_only_disclaimers_and_a_link_is_refused_no_content(rules, dosage):
    bare = [post(rules, dosage, "", 0, total=2), post(rules, dosage, "", 1, total=2)]
    problems = check(social(dosage, bare), dosage, rules).problems
    assert any("no content" in p for p in problems), problems
    # the same posts with the summary in part 1 pass
    full = [post(rules, dosage, dosage.summary, 0, total=2), post(rules, dosage, "", 1, total=2)]
    assert check(social(dosage, full), dosage, rules).ok


def test_part_one_without_the_subject_is_refused(rules, dosage):
    parts = [post(rules, dosage, "Natto is the richest food source.", 0, total=2),
             post(rules, dosage, dosage.summary, 1, total=2)]
    problems = check(social(dosage, parts), dosage, rules).problems
    assert f"item {dosage.id} on mastodon: part 1 lacks the item's subject (its title or the " \
           "first sentence of its summary or variant)" in problems


def test_a_dropped_safety_sentence_is_refused(rules, make_item):
    item = make_item(id="vitamin-k2/side-effects", title="Vitamin K2: side effects",
                     summary="Side effects were rare in studies. People taking warfarin should "
                             "use it only under medical supervision.")
    first = post(rules, item, "Side effects were rare in studies.", 0)
    problems = check(social(item, [first]), item, rules).problems
    assert len(problems) == 1
    assert problems[0].startswith(
        f"item {item.id} on mastodon: safety sentence not in any one post on mastodon: "
        "\u201cPeople taking warfarin should use it only under medical supervision.\u201d")
    assert "shorten the sentence in the summary" in problems[0]


def test_a_safety_sentence_split_across_two_posts_is_refused(rules, make_item):
    """Its words running on from one post into the next do not count: the guard holds the
    splitter's promise (a safety sentence goes whole in one post) on any rendering."""
    item = make_item(id="vitamin-k2/side-effects", title="Vitamin K2: side effects",
                     summary="Side effects were rare in studies. People taking warfarin should "
                             "use it only under medical supervision.")
    head = post(rules, item, "Side effects were rare in studies. People taking warfarin", 0,
                total=2)
    tail = post(rules, item, "should use it only under medical supervision.", 1, total=2)
    problems = check(social(item, [head, tail]), item, rules).problems
    assert any("safety sentence not in any one post" in p and "People taking warfarin" in p
               for p in problems), problems
    whole = [post(rules, item, "Side effects were rare in studies.", 0, total=2),
             post(rules, item, "People taking warfarin should use it only under medical "
                               "supervision.", 1, total=2)]
    assert not any("safety sentence" in p
                   for p in check(social(item, whole), item, rules).problems)


@pytest.mark.slow
def test_every_shipped_item_keeps_its_subject_and_safety_sentences_on_every_network(shipped):
    from k2publisher.guard.disclaimers import prose
    from k2publisher.render import coverage

    renderer, rules, items = shipped
    lost = []
    for item in items:
        for profile, p in PROFILES.items():
            if p.family != "social":
                continue
            r = renderer.render(item, profile)
            lost += [f"{item.id} on {profile}: {x}" for x in
                     coverage.problems(r.texts, item, profile, rules, prose)]
            # only a sentence that is not safety text may be given up (reported)
            lost += [f"{item.id} on {profile}: could not fit {d!r}" for d in r.extra["dropped"]
                     if rules.catalogue.is_safety(d)]
    assert lost == []


def test_a_catalogue_name_with_digits_is_not_a_glued_citation(rules) -> None:
    """CoQ10 (a tag link on a web page) is a supplement's name, not "CoQ" + citation 10."""
    from k2publisher.guard.check import Unit, _unit_problems

    item = Item(id="coq10/x", kind=Kind.SUPPLEMENT_SECTION, title="CoQ10", summary="s",
                body="b", supplement="Coenzyme Q10")
    assert not any("glued" in p for p in _unit_problems(
        Unit("html", "<p>Tags: coq10, MK-7, 5-MTHF.</p>", html=True), "web", [item], rules))
    assert any("glued" in p for p in _unit_problems(
        Unit("html", "<p>Seen in cancers157.</p>", html=True), "web", [item], rules))
