"""Social posts: summary (or the hand-written variant) + disclaimers + archive link + hashtags.

The order of sacrifices when a post is too long: hashtags first; then, where the profile
allows threads, the body is split at sentence boundaries into a numbered thread whose every
post carries what :meth:`DisclaimerRules.required_for_part` says it must (critical warnings in
post 1, footer notes beside the link in the last). Post 1 opens with the item's title (or,
when the title cannot fit beside its warnings, the body's first sentence). A sentence that
cannot fit alone beside its disclaimers flows on, word by word, into more posts: nothing is
dropped for space, and never a warning. What still could not fit is reported in
:attr:`Posts.dropped` (``preview`` shows it; the guard refuses lost subjects and safety
sentences, see :mod:`k2publisher.render.coverage`). On a profile without threads an over-long
post is returned as it is, and the guard refuses it; so is a first post whose required
warnings leave no room for the subject.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jinja2

from k2publisher.models import Item, Part, nfc
from k2publisher.render import coverage
from k2publisher.render.context import DisclaimerView
from k2publisher.render.counting import fits
from k2publisher.render.environment import render_template
from k2publisher.render.facets import facets
from k2publisher.render.profiles import Profile
from k2publisher.render.splitting import numbering, pack, words
from k2publisher.render.xml import strip_illegal_xml

_SPACES = re.compile(r"[ \t]+\n")
_BLANKS = re.compile(r"\n{3,}")


def _overlaps(sentence: str, excerpt: str) -> bool:
    """Whether ``excerpt`` (a claims finding) is made of words from ``sentence``."""
    said = set(sentence.lower().split())
    found = excerpt.lower().strip("\u201c\u201d\u2026. ").split()
    return bool(found) and sum(w in said for w in found) >= len(found) // 2 + 1


def hashtags(tags: Sequence[str], limit: int) -> list[str]:
    """``#CamelCase`` hashtags from tags (``vitamin-k2`` -> ``#VitaminK2``), at most ``limit``."""
    out: list[str] = []
    for tag in tags:
        words = [w for w in re.split(r"[^0-9A-Za-z]+", tag) if w]
        if not words:
            continue
        name = "".join(w[:1].upper() + w[1:] for w in words)
        if name[0].isdigit():
            continue
        if f"#{name}" not in out:
            out.append(f"#{name}")
    return out[:max(0, limit)]


def tidy(text: str) -> str:
    """Template output made neat: no trailing spaces, at most one blank line, trimmed."""
    return _BLANKS.sub("\n\n", _SPACES.sub("\n", text)).strip()


@dataclass
class Posts:
    """What the composer produced: the parts, and what it had to give up."""

    parts: tuple[Part, ...]
    threaded: bool = False
    dropped_hashtags: bool = False
    dropped: list[str] = field(default_factory=list)
    over_limit: bool = False


@dataclass
class SocialComposer:
    """Composes the posts of one item for one social profile."""

    env: jinja2.Environment
    rules: Any
    item: Item
    profile: Profile
    link: str
    tags: list[str]
    _required: dict[tuple[str, int, bool], list[Any]] = field(default_factory=dict,
                                                             repr=False)
    _whole: set[str] = field(default_factory=set, repr=False)   # sentences never cut

    @property
    def template(self) -> str:
        """The template of this profile's family: ``social/<profile>.txt``."""
        return f"social/{self.profile.name}.txt"

    def _title(self) -> str:
        return " ".join(strip_illegal_xml(self.item.title).split())

    def body(self) -> str:
        """The whole body of a single post: the units below, joined."""
        return " ".join(self.units())

    def units(self) -> list[str]:
        """The body's sentences (variant or summary, plus the summary's safety sentences)."""
        return coverage.body_units(self.item, self.profile.name, self.rules)

    def post(self, units: Sequence[str], index: int, total: int, *, link: bool,
             tags: Sequence[str]) -> Part:
        """Render one post: its body units, marker, disclaimers, link and hashtags.

        The post with the link is the last one: it carries the footer notes. The title, when
        it opens the post, stands on its own line.
        """
        if len(units) > 1 and units[0] == self._title():
            body = units[0] + "\n" + " ".join(units[1:])
        else:
            body = " ".join(units)
        key = (body, index, link)
        if key not in self._required:          # packing asks the same question many times
            self._required[key] = self.rules.required_for_part(
                self.item, body, index, "social", total=index + 1 if link else index + 2)
        required = self._required[key]
        views = [DisclaimerView.of(d, short=True) for d in required]
        text = nfc(tidy(render_template(
            self.env, self.template, item=self.item, profile=self.profile, body=body,
            number=numbering(index, total) if total > 1 else "", index=index, total=total,
            link=self.link if link else "", hashtags=list(tags), disclaimers=views)))
        return Part(text=text, disclaimers=tuple(v.id for v in views),
                    facets=facets(text) if self.profile.name == "bluesky" else ())

    def compose(self) -> Posts:
        """The posts, following the order of sacrifices in the module docstring."""
        units = self.units()
        whole = [self.body()] if units else []
        single = self.post(whole, 0, 1, link=True, tags=self.tags)
        if fits(single.text, self.profile):
            return Posts((single,))
        bare = self.post(whole, 0, 1, link=True, tags=())
        if fits(bare.text, self.profile) or not self.profile.threads:
            return Posts((bare,), dropped_hashtags=bool(self.tags),
                         over_limit=not fits(bare.text, self.profile))
        return self.thread(units)

    def thread(self, body: Sequence[str]) -> Posts:
        """:meth:`packed`, again with a sentence kept whole (given up) whenever cutting it
        made a post read as a claim the whole sentence does not make ("... studied in ..."
        in one post, "... improved anaemia" alone in the next)."""
        while True:
            posts = self.packed(body)
            culprit = self._claim_fragment(posts, body)
            if culprit is None:
                return posts
            self._whole.add(culprit)

    def _claim_fragment(self, posts: Posts, body: Sequence[str]) -> str | None:
        """A cut sentence whose pieces block as claims in some post, or None."""
        from k2publisher.guard.claims import scan  # the guard's own reading

        cut = [u for u in body if u not in self._whole and not self._is_safety(u)
               and not any(u in p.text for p in posts.parts)]
        if not cut:
            return None
        blocked = {f.excerpt for p in posts.parts for f in scan(p.text, self.rules)
                   if f.level == "block"}
        for unit in cut:
            whole = {f.excerpt for f in scan(unit, self.rules) if f.level == "block"}
            if blocked - whole and any(_overlaps(unit, e) for e in blocked - whole):
                return unit
        return None

    def _is_safety(self, unit: str) -> bool:
        catalogue = getattr(self.rules, "catalogue", None)
        return catalogue is not None and catalogue.is_safety(unit)

    def packed(self, body: Sequence[str]) -> Posts:
        """The body packed into a numbered thread, the link in the last post.

        Post 1 opens with the item's title (a neutral headline) beside the thread's safety
        warnings, or with the body's first sentence when the title cannot fit there; whole
        sentences follow, and one too long for any post flows on word by word. Posts are
        packed without the link; the last one takes it, or hands its last sentence to a new
        final post.
        """
        title = self._title()
        alone = self.post([], 0, 1, link=True, tags=())
        units = self._opening(title, list(body))
        if units is None:
            # the first post's required warnings leave no room for the subject: this network
            # cannot carry the item; say so (the guard refuses) rather than drop a warning
            return Posts((alone,), dropped_hashtags=bool(self.tags),
                         dropped=[u for u in (title, *body) if u], over_limit=True)
        guess = 9
        while True:
            def fit(us: Sequence[str], index: int, total: int = guess) -> bool:
                return fits(self.post(us, index, total, link=False, tags=()).text, self.profile)

            groups, dropped = pack(units, fit, cut=self._cut)
            groups = self._place_link(groups or [[]], guess)
            if len(groups) <= guess:
                break
            guess = 10 ** len(str(len(groups))) - 1
        n = len(groups)
        parts = tuple(self.post(g, i, n, link=i == n - 1, tags=()) for i, g in enumerate(groups))
        return Posts(parts, threaded=n > 1, dropped_hashtags=bool(self.tags), dropped=dropped)

    def _cut(self, unit: str) -> list[str]:
        """A sentence too long for any post flows on word by word, unless it must stay
        whole (see :meth:`thread`); a safety sentence always flows on."""
        return [unit] if unit in self._whole and not self._is_safety(unit) else words(unit)

    def _opening(self, title: str, body: list[str]) -> list[str] | None:
        """The units in order, the subject first: title, else the first sentence; None if
        neither fits in post 1 beside its warnings."""
        def fit_first(unit: str) -> bool:
            return fits(self.post([unit], 0, 9, link=False, tags=()).text, self.profile)

        if title and fit_first(title):
            return [title, *body]
        if body and fit_first(body[0]):
            return body
        return None

    def _place_link(self, groups: list[list[str]], total: int) -> list[list[str]]:
        """``groups`` arranged so the last post has room for the link."""
        def fits_with_link(units: Sequence[str], index: int) -> bool:
            part = self.post(units, index, total, link=True, tags=())
            return fits(part.text, self.profile)

        last = len(groups) - 1
        if fits_with_link(groups[last], last):
            return groups
        if len(groups[last]) > 1 and fits_with_link(groups[last][-1:], last + 1):
            return [*groups[:last], groups[last][:-1], groups[last][-1:]]
        return [*groups, []]
