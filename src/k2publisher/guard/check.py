"""The guard: the last look at a rendering before a channel sends it (and what preview shows).

:func:`check` returns a :class:`~k2publisher.models.Verdict`; :func:`enforce` raises
:class:`~k2publisher.errors.GuardRefusal` when the verdict is not ok. Every problem names the
item, the channel, the part and the rule, e.g.
``item vitamin-k2/dosage on mastodon part 1/3: missing disclaimer WARFARIN_VKA``.

A rendering is refused when any part a reader sees:

* lacks a disclaimer :meth:`DisclaimerRules.required_for_part` requires (the short form counts
  on social networks only), or carries both FDA statements where its items call for one
  (a post, an email or page of one item), or (a feed
  summary) puts a critical warning after the item's summary;
* exceeds the channel's limit as the network counts it (:mod:`k2publisher.render.counting`);
* still holds template syntax (``{{``, ``{%``, ``%}``), a citation digit glued to a word
  (``cancers157``) or nothing at all;
* (social) holds only disclaimers and a link ("no content"), lacks the item's subject in
  part 1, or lost a safety sentence of the summary (:mod:`k2publisher.render.coverage`);
* is malformed HTML (or, in feeds, holds characters XML forbids; whole feed documents can be
  checked with :func:`~k2publisher.guard.markup.xml_problems`);
* makes a claim that stops publication (:func:`~k2publisher.guard.claims.stops_publication`,
  with ``claims_policy="block"``) and the item has no ``guard_overrides`` entry for that
  rule: a ``block``, or a disease or therapy ``qualify`` (an attributed study note) whose
  evidence qualifier is not beside it in the part -- the qualifier the item's own text gives
  it, so a rendering that keeps the claim but drops "in mice" fails even when it keeps
  "a study found".

Other ``review`` and ``qualify`` findings and overridden ones become
:attr:`Verdict.notes`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from k2publisher.content.cleaning.citations import classify
from k2publisher.errors import ConfigError, GuardRefusal
from k2publisher.guard.claims import RULES as CLAIM_RULES
from k2publisher.guard.claims import Finding, binds, scan, stops_publication
from k2publisher.guard.disclaimers import SHORT_FORM_FAMILIES, DisclaimerRules, prose
from k2publisher.guard.markup import XML_FORBIDDEN, html_problems, xml_problems
from k2publisher.guard.text import normalise, sentences, visible_text
from k2publisher.models import Item, Rendering, Verdict
from k2publisher.render import coverage
from k2publisher.render.counting import count, fits
from k2publisher.render.profiles import PROFILES

if TYPE_CHECKING:
    from k2publisher.settings import Settings

__all__ = ["check", "claims_policy", "enforce", "glued_citations", "html_problems",
           "template_leftovers", "xml_problems"]

CLAIMS_POLICIES = ("block", "review", "off")
#: Gmail clips an HTML body over 102 KB, hiding the disclaimers and unsubscribe link below
EMAIL_HTML_MAX_BYTES = 102 * 1024
TEMPLATE_SYNTAX = ("{{", "{%", "%}")
FDA_PAIR = ("FDA_SF_1", "FDA_SF_N")

_TOKEN = re.compile(r"\S+")
_EDGE_PUNCT = "([{\"'\u201c\u2018.,;:!?)]}\u201d\u2019"


@dataclass(frozen=True)
class Unit:
    """One thing a reader sees on its own: a post, an email body, a feed entry's summary."""

    label: str
    text: str
    index: int = 0
    html: bool = False
    total: int = 1
    #: a post's warning-only successors, where its safety sentence's other warnings are
    #: (:func:`k2publisher.render.coverage.continuation`)
    continued: str = ""


# ---------------------------------------------------------------------------------------
# Text checks


def template_leftovers(text: str) -> list[str]:
    """Template syntax that survived rendering (one message, with where it first appears)."""
    marks = [m for m in TEMPLATE_SYNTAX if m in text]
    if not marks:
        return []
    at = min(text.find(m) for m in marks)
    snippet = " ".join(text[max(0, at - 20):at + 22].split())
    return [f"leftover template syntax {', '.join(marks)} near \u201c{snippet}\u201d"]


def glued_citations(text: str) -> list[str]:
    """Tokens of ``text`` that end in citation digits (``cancers157``, ``pathways3.``).

    Uses the importers' lexicon (:mod:`k2publisher.content.cleaning.citations`), so names
    like ``MK-7``, ``VK2``, ``CDK4``, ``COVID-19`` and ``rs2108622`` are never flagged;
    tokens that lexicon cannot decide are not flagged either (the importer reports them).
    """
    glued: list[str] = []
    for token in _TOKEN.findall(text):
        core = token.strip(_EDGE_PUNCT)
        if core and core[-1].isdigit():
            decided = classify(core)
            if decided is not None and decided[1]:
                glued.append(core)
    return list(dict.fromkeys(glued))


# ---------------------------------------------------------------------------------------
# The check


def claims_policy(settings: Settings, channel: str | None = None) -> str:
    """The claims policy for ``channel``: ``[guard.channels] NAME``, else ``[guard] claims``.

    Raises :class:`ConfigError` naming the setting when the value is not block/review/off.
    """
    guard = settings.section("guard")
    per_channel = guard.get("channels") or {}
    key, policy = "guard.claims", guard["claims"]
    if channel and isinstance(per_channel, dict) and channel in per_channel:
        key, policy = f"guard.channels.{channel}", per_channel[channel]
    if policy not in CLAIMS_POLICIES:
        raise ConfigError(f"{key} = {policy!r}: use one of " + ", ".join(CLAIMS_POLICIES),
                          settings.config_path)
    return str(policy)


def _units(rendering: Rendering) -> tuple[list[Unit], list[str]]:
    """The units a reader sees, per family, and problems with the rendering's shape."""
    family = rendering.family
    total = len(rendering.parts)
    if family == "social":
        profile = PROFILES.get(rendering.profile)
        markup = rendering.extra.get("markup") or (profile.markup if profile else "text")
        units = []
        for i, part in enumerate(rendering.parts):
            label = f"part {i + 1}/{total}"
            units.append(Unit(label, part.text, i, html=markup in ("html", "telegram_html"),
                              total=total))
            if part.html:
                units.append(Unit(f"{label} html", part.html, i, html=True, total=total))
            for n, media in enumerate(part.media, 1):
                # an image card is read like a post: what it says, and its alt text
                units.append(Unit(f"{label} image {n}", media.text, i, total=total))
                units.append(Unit(f"{label} image {n} alt", media.alt, i, total=total))
        return units, ([] if total else ["no parts to send"])
    if family == "email":
        shape = [f"email has no {name} body" for name, body in
                 (("html", rendering.html), ("text", rendering.text)) if not body]
        units = [Unit(name, body, html=name == "html") for name, body in
                 (("html", rendering.html), ("text", rendering.text)) if body is not None]
        return units, shape
    if family in ("feed", "web"):
        bodies = [p.html for p in rendering.parts if p.html] or \
            ([rendering.html] if rendering.html else [])
        if not bodies:
            return [], [f"{family} rendering has no html"]
        units = [Unit("html" if len(bodies) == 1 else f"html {i + 1}/{len(bodies)}", b, i,
                      html=True) for i, b in enumerate(bodies)]
        summary = rendering.extra.get("summary")
        if family == "feed" and isinstance(summary, str):
            units.append(Unit("summary", summary))
        return units, []
    raise ConfigError(f"rendering for {rendering.channel!r} has unknown family {family!r}: "
                      "use email, feed, web or social")


def _claims(rendering: Rendering, units: Sequence[Unit], rules: DisclaimerRules,
            page: str = "") -> list[tuple[str, Finding, str]]:
    """Claims findings per unit, each with its unit's text; ``page`` (the items' bodies)
    defines acronyms a short post uses."""
    found: list[tuple[str, Finding, str]] = []
    seen: set[tuple[str, str]] = set()
    headlines = [(name, value) for name, value in
                 (("subject", rendering.subject), ("preheader", rendering.preheader)) if value]
    sources = [(name, value, True) for name, value in headlines]
    if rendering.family == "social":  # the link card beside the post (Bluesky shows one)
        sources += [(name, value, False) for name, value in
                    (("card title", rendering.title), ("card summary", rendering.summary))
                    if value]
    # an email's html and text say the same: scan the text, the html only when text is absent
    for unit in units:
        if rendering.family == "email" and unit.label == "html" and rendering.text:
            continue
        if unit.label.endswith(" html") and rendering.family == "social":
            continue
        sources.append((unit.label, unit.text, False))
    for label, text, headline in sources:
        for finding in scan(text, rules, headline=headline, context=page):
            key = (finding.rule, finding.excerpt)
            if key not in seen:
                seen.add(key)
                found.append((label, finding, text))
    return found


def _source_bindings(finding: Finding, items: Sequence[Item],
                     rules: DisclaimerRules) -> list[Finding]:
    """The binding findings of the items' own text (summary, body) that ``finding`` (found in
    a rendering) repeats: the same rule on the same claim words. Their qualifiers are the ones
    the rendering must keep."""
    out: list[Finding] = []
    claim = normalise(finding.claim).casefold()
    if not claim:
        return out
    for it in items:
        for text in (it.summary, it.body):
            parts = sentences(prose(text, rules))
            for at, part in enumerate(parts):
                if claim not in normalise(part).casefold():
                    continue
                before = "\n\n".join(parts[max(0, at - 2):at])
                out += [f for f in scan(part, rules, context=it.body, before=before)
                        if binds(f) and f.rule == finding.rule]
    return out


def _stops(finding: Finding, carried: str, items: Sequence[Item],
           rules: DisclaimerRules) -> tuple[bool, Finding]:
    """Whether ``finding`` in the unit ``carried`` stops publication, and the finding that
    decided it (a binding one from the item's own text, whose qualifier must come along)."""
    if not binds(finding):
        return stops_publication(finding, carried, rules), finding
    sources = _source_bindings(finding, items, rules) or [finding]
    for source in sources:
        if not stops_publication(source, carried, rules):
            return False, source
    return True, sources[0]


def check(rendering: Rendering, item: Item | Sequence[Item], rules: DisclaimerRules, *,
          claims_policy: str = "block") -> Verdict:
    """The guard's verdict on ``rendering`` of ``item`` (several items for a digest issue).

    ``claims_policy``: ``block`` (a ``block`` finding refuses unless overridden), ``review``
    (every finding is a note) or ``off`` (no claims scan). For a digest, the requirements and
    the overrides of every item apply to the whole issue.
    """
    if claims_policy not in CLAIMS_POLICIES:
        raise ConfigError(f"[guard] claims = {claims_policy!r}: use one of "
                          + ", ".join(CLAIMS_POLICIES))
    items = [item] if isinstance(item, Item) else list(item)
    where = f"item {rendering.item_id} on {rendering.channel}"
    units, shape = _units(rendering)
    if rendering.family == "social":
        texts = rendering.texts
        units = [replace(u, continued=coverage.continuation(texts, u.index, rules, prose))
                 if u.label == f"part {u.index + 1}/{u.total}" else u for u in units]
    problems = [f"{where}: {p}" for p in shape]
    for unit in units:
        problems += [f"{where} {unit.label}: {p}"
                     for p in _unit_problems(unit, rendering.family, items, rules)]
    problems += length_problems(rendering, where, rules)
    if rendering.family == "social" and len(items) == 1 and rendering.parts:
        problems += [f"{where}: {p}" for p in coverage.problems(
            rendering.texts, items[0], rendering.profile, rules, prose)]
    for key in ("xml", "rss", "atom"):
        document = rendering.extra.get(key)
        if isinstance(document, str):
            problems += [f"{where} {key}: {p}" for p in xml_problems(document)]
    notes: list[str] = []
    if claims_policy != "off":
        refused, notes = _claims_outcome(rendering, units, items, rules, claims_policy, where)
        problems += refused
    return Verdict(ok=not problems, problems=tuple(problems), notes=tuple(notes))


def _unit_problems(unit: Unit, family: str, items: Sequence[Item],
                   rules: DisclaimerRules) -> list[str]:
    """Everything wrong with one reader-visible unit, claims aside."""
    if not visible_text(unit.text):
        return ["empty part"]
    allow_short = family in SHORT_FORM_FAMILIES
    required = {(d.id, d.text): d for it in items
                for d in rules.required_for_part(it, unit.text, unit.index, family, unit.total)}
    problems = [f"missing disclaimer {d.id}" for d in required.values()
                if not d.present_in(unit.text, allow_short)
                and not (unit.continued and d.present_in(unit.continued, allow_short))]
    problems += _fda_pair(unit.text, family, items, rules, allow_short)
    if family == "feed" and unit.label == "summary":
        problems += _warnings_first(unit.text, items, rules)
    problems += template_leftovers(unit.text)
    names = rules.catalogue.names      # a catalogue name with digits is a name (CoQ10, MK-7)
    glued = [g for g in glued_citations(prose(unit.text, rules))
             if not (names and names.fullmatch(g))]
    if glued:
        problems.append(f"raw citation digits glued to a word: {', '.join(glued)}")
    if unit.html:
        problems += [f"malformed HTML: {p}" for p in html_problems(unit.text)]
        bad = XML_FORBIDDEN.search(unit.text) if family == "feed" else None
        if bad:
            problems.append(f"character U+{ord(bad.group()):04X} is not allowed in a feed "
                            "(XML)")
    return problems


def _fda_pair(text: str, family: str, items: Sequence[Item], rules: DisclaimerRules,
              allow_short: bool) -> list[str]:
    """Both FDA statements in one unit where the items call for only one of them.

    A post is one claim count, so it never carries both. An email or page of one item
    carries the form the whole item's count picks; a digest may carry both only when its
    items between them need both (one item with one claim, another with several).
    """
    known = {d.id for d in rules.disclaimers}
    if not set(FDA_PAIR) <= known or not all(
            rules.get(i).present_in(text, allow_short) for i in FDA_PAIR):
        return []
    needed = {d.id for it in items for d in rules.for_item(it)}
    if family != "social" and set(FDA_PAIR) <= needed:
        return []
    return ["carries both FDA_SF_1 and FDA_SF_N; use the one for the number of claims"]


def _warnings_first(summary: str, items: Sequence[Item], rules: DisclaimerRules) -> list[str]:
    """Critical warnings placed after the item's summary in a feed summary (readers truncate)."""
    text = normalise(summary)
    problems = []
    for it in items:
        own = text.find(normalise(it.summary)) if it.summary.strip() else -1
        if own < 0:
            continue
        problems += [f"critical warning {d.id} comes after the summary; feed readers truncate, "
                     "so put it first" for d in rules.for_item(it)
                     if d.critical and text.find(normalise(d.text)) > own]
    return problems


def _claims_outcome(rendering: Rendering, units: Sequence[Unit], items: Sequence[Item],
                    rules: DisclaimerRules, policy: str,
                    where: str) -> tuple[list[str], list[str]]:
    """Claims findings split into refusals and notes, honouring the items' overrides."""
    problems: list[str] = []
    overrides = {o.rule: o.reason for it in items for o in it.guard_overrides}
    known = {r.id for r in CLAIM_RULES}
    notes = [f"{where}: override names no claims rule: {rule!r} (known ids look like "
             "C09-absolute-safety)" for rule in overrides if rule not in known]
    page = "\n\n".join(it.body for it in items)
    for label, finding, carried in _claims(rendering, units, rules, page):
        at = f"{where} {label}"
        stops, source = _stops(finding, carried, items, rules) if policy == "block" else \
            (False, finding)
        if not stops:
            notes.append(f"{at}: {finding.level} {finding}")
        elif finding.rule in overrides:
            notes.append(f"{at}: override {finding.rule} ({overrides[finding.rule]}): "
                         f"\u201c{finding.excerpt}\u201d")
        elif binds(finding):
            qualifier = ", ".join(f"\u201c{q}\u201d" for q in source.qualifier)
            problems.append(f"{at}: claim {finding} -- a qualify claim binds: its evidence "
                            f"qualifier {qualifier or '(none)'} must stand in the same "
                            "sentence or the caption right before it, in this part")
        else:
            problems.append(f"{at}: claim {finding}")
    return problems, notes


def length_problems(rendering: Rendering, where: str,
                    rules: DisclaimerRules | None = None) -> list[str]:
    """Each part over the rendering's limit (by its counter), and an email over Gmail's clip.

    A post on a network that cannot thread says what to write instead: the most the post's
    own words may count beside the disclaimers it keeps.
    """
    problems: list[str] = []
    total = len(rendering.parts)
    if rendering.family == "email" and rendering.html:
        size = len(rendering.html.encode("utf-8"))
        if size > EMAIL_HTML_MAX_BYTES:
            problems.append(f"{where} html: {size} bytes, over the {EMAIL_HTML_MAX_BYTES} "
                            "Gmail clips at (the disclaimers below would be hidden)")
    if not rendering.limit:
        return problems
    profile = PROFILES.get(rendering.profile)
    for i, part in enumerate(rendering.parts):
        length = count(part.text, rendering.counter)
        if length > rendering.limit:
            problems.append(f"{where} part {i + 1}/{total}: {length} ({rendering.counter}) "
                            f"over the limit of {rendering.limit}"
                            + _what_to_write(part.text, length, rendering, profile, rules))
        elif profile and profile.counter == rendering.counter and not fits(part.text, profile):
            problems.append(f"{where} part {i + 1}/{total}: does not fit {profile.name} "
                            f"(byte cap)")
    return problems


def _what_to_write(text: str, length: int, rendering: Rendering, profile: object,
                   rules: DisclaimerRules | None) -> str:
    """For a network without threads: how long the post's own words may be."""
    if rules is None or rendering.family != "social" or getattr(profile, "threads", True):
        return ""
    words = prose(text, rules)
    room = count(words, rendering.counter) - (length - rendering.limit)
    if room <= 0:
        return (f"; {rendering.profile} cannot thread and its required disclaimers alone "
                "do not fit: do not publish this item there")
    return (f"; {rendering.profile} cannot thread: write variants.{rendering.profile} of at "
            f"most {room} ({rendering.counter}), the disclaimers stay beside it")


def enforce(rendering: Rendering, item: Item | Sequence[Item], rules: DisclaimerRules, *,
            claims_policy: str = "block") -> Verdict:
    """:func:`check`, raising :class:`GuardRefusal` (item, channel, problems) when not ok."""
    verdict = check(rendering, item, rules, claims_policy=claims_policy)
    if not verdict.ok:
        raise GuardRefusal(rendering.item_id, rendering.channel, list(verdict.problems))
    return verdict
