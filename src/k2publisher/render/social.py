"""Social posts: summary (or the hand-written variant) + disclaimers + archive link + hashtags.

The order of sacrifices when a post is too long: hashtags first; then, where the profile
allows threads, the body is split at sentence boundaries into a numbered thread whose every
post carries what :meth:`DisclaimerRules.required_for_part` says it must (footer notes beside
the link in the last). The thread opens with the item's title (or, when the title cannot fit
beside the first warning, the body's first sentence) and the item's critical warnings
(:meth:`DisclaimerRules.opening`), each in its own short form, word for word: as many as fit
beside the subject in post 1, the rest in the posts right after it, before the body goes on.
Warnings are never merged or reworded to save room: more posts are made. Where a sentence may
be cut is :mod:`k2publisher.render.splitting`'s call (:func:`cut` with ``posts=True``): in a
post no sentence is cut, a safety sentence least of all; one that does not fit beside the
others moves whole to the next post, and one too long for any post is given up. What could
not fit is reported in :attr:`Posts.dropped` (``preview`` shows it; the guard refuses lost
subjects, warnings and safety sentences, see :mod:`k2publisher.render.coverage`). On a
profile without threads an over-long post is returned as it is, and the guard refuses it,
saying how much to cut.
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
from k2publisher.render.splitting import cut, numbering, pack
from k2publisher.render.xml import strip_illegal_xml

_SPACES = re.compile(r"[ \t]+\n")
_BLANKS = re.compile(r"\n{3,}")


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
             tags: Sequence[str], pinned: Sequence[Any] = (),
             only: Sequence[Any] | None = None) -> Part:
        """Render one post: its body units, marker, disclaimers, link and hashtags.

        ``pinned`` are opening warnings this post carries besides what its own text needs;
        ``only``, when given, are the disclaimers it carries instead of those (a safety
        sentence whose other warnings follow in warning-only posts, :meth:`_overflow`).
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
        own = self._required[key] if only is None else list(only)
        required = list(pinned) + [d for d in own if d.id not in {p.id for p in pinned}]
        views = [DisclaimerView.of(d, short=True) for d in required]
        text = nfc(tidy(render_template(
            self.env, self.template, item=self.item, profile=self.profile, body=body,
            number=numbering(index, total) if total > 1 else "", index=index, total=total,
            link=self.link if link else "", hashtags=list(tags), disclaimers=views)))
        return Part(text=text, disclaimers=tuple(v.id for v in views),
                    facets=facets(text) if self.profile.name == "bluesky" else ())

    def opening(self) -> list[Any]:
        """The item's critical warnings: every one leads the thread (or the single post)."""
        opening = getattr(self.rules, "opening", None)
        return list(opening(self.item)) if opening else []

    def compose(self) -> Posts:
        """The posts, following the order of sacrifices in the module docstring."""
        units = self.units()
        whole = [self.body()] if units else []
        pins = self.opening()
        single = self.post(whole, 0, 1, link=True, tags=self.tags, pinned=pins)
        if fits(single.text, self.profile):
            return Posts((single,))
        bare = self.post(whole, 0, 1, link=True, tags=(), pinned=pins)
        if fits(bare.text, self.profile) or not self.profile.threads:
            return Posts((bare,), dropped_hashtags=bool(self.tags),
                         over_limit=not fits(bare.text, self.profile))
        return self.packed(units)

    def _is_safety(self, unit: str) -> bool:
        catalogue = getattr(self.rules, "catalogue", None)
        return catalogue is not None and catalogue.is_safety(unit)

    def packed(self, body: Sequence[str]) -> Posts:
        """The body packed into a numbered thread, the link in the last post.

        Post 1 opens with the subject beside as many of the opening warnings as fit; the
        rest open the posts after it (:meth:`_pinned`); whole sentences follow, each in the
        first post it fits beside its own disclaimers. A safety sentence that fits a post
        only without some of its warnings takes a post of its own with those that fit, the
        others following in warning-only posts right after it (:meth:`_overflow`); one that
        does not fit a post even alone is given up. Posts are packed without the link; the
        last one takes it, or hands its last sentence to a new final post.
        """
        title = self._title()
        alone = self.post([], 0, 1, link=True, tags=())
        units = self._opening(title, list(body))
        if units is None:
            # the first warning leaves no room for the subject: this network cannot carry
            # the item; say so (the guard refuses) rather than drop a warning
            return Posts((alone,), dropped_hashtags=bool(self.tags),
                         dropped=[u for u in (title, *body) if u], over_limit=True)
        guess = 9
        while True:
            pins = self._pinned(units[0], guess)
            lead = len(pins) - 1            # posts that only carry the warnings after post 1

            def fit(us: Sequence[str], index: int, total: int = guess,
                    pins: list[list[Any]] = pins, lead: int = lead) -> bool:
                at = index + lead if index else 0
                pinned = pins[0] if index == 0 else []
                if fits(self.post(us, at, total, link=False, tags=(), pinned=pinned).text,
                        self.profile):
                    return True
                return (index > 0 and len(us) == 1
                        and self._overflow(us[0], at, total) is not None)

            groups, dropped = pack(units, fit, cut=self._cut)
            slots = self._slots(groups or [[]], pins, guess)
            slots = self._place_link(slots, guess)
            if len(slots) <= guess:
                break
            guess = 10 ** len(str(len(slots))) - 1
        n = len(slots)
        parts = tuple(self.post(slot.units, i, n, link=i == n - 1, tags=(), pinned=slot.pinned,
                                only=slot.only) for i, slot in enumerate(slots))
        return Posts(parts, threaded=n > 1, dropped_hashtags=bool(self.tags), dropped=dropped)

    def _slots(self, groups: list[list[str]], pins: list[list[Any]],
               total: int) -> list[_Slot]:
        """The posts in order: post 1, the opening's warning-only posts, then the body's,
        a safety sentence too long to sit beside all its warnings followed by the posts
        that carry the rest."""
        slots = [_Slot(groups[0], pins[0]), *(_Slot([], p) for p in pins[1:])]
        for units in groups[1:]:
            at = len(slots)
            if len(units) == 1 and not fits(self.post(units, at, total, link=False,
                                                      tags=()).text, self.profile):
                layout = self._overflow(units[0], at, total)
                if layout is not None:
                    first, *rest = layout
                    slots.append(_Slot(units, [], first))
                    slots += [_Slot([], chunk) for chunk in rest]
                    continue
            slots.append(_Slot(units, []))
        return slots

    def _overflow(self, unit: str, index: int, total: int) -> list[list[Any]] | None:
        """How a safety sentence that does not fit beside all its disclaimers is laid out:
        the ones that fit beside it, then the rest, as many per warning-only post as fit;
        None when it is not safety text or does not fit a post even alone."""
        if not self._is_safety(unit):
            return None
        needed = self.rules.required_for_part(self.item, unit, index, "social",
                                              total=index + 2)
        layout: list[list[Any]] = [[]]
        if not fits(self.post([unit], index, total, link=False, tags=(), only=[]).text,
                    self.profile):
            return None
        for d in needed:
            here = len(layout) - 1
            body = [unit] if here == 0 else []
            trial = [*layout[-1], d]
            shown = self.post(body, index + here, total, link=False, tags=(),
                              **({"only": trial} if here == 0 else {"pinned": trial}))
            if fits(shown.text, self.profile):
                layout[-1] = trial
            elif layout[-1] or here == 0:
                layout.append([d])
            else:
                return None               # one warning alone does not fit a post
        return layout

    def _pinned(self, subject: str, total: int) -> list[list[Any]]:
        """The opening warnings per post: post 1 (beside ``subject``) takes as many as fit,
        in order, then each next post as many as fit on their own."""
        pins: list[list[Any]] = [[]]
        for warning in self.opening():
            index = len(pins) - 1
            units = [subject] if index == 0 else []
            trial = [*pins[-1], warning]
            if fits(self.post(units, index, total, link=False, tags=(), pinned=trial).text,
                    self.profile) or not pins[-1]:
                pins[-1] = trial
            else:
                pins.append([warning])
        return pins

    def _cut(self, unit: str) -> list[str]:
        """How far ``unit`` may be cut in a post: :func:`cut` says not at all."""
        return cut(unit, safety=self._is_safety(unit), posts=True)

    def _opening(self, title: str, body: list[str]) -> list[str] | None:
        """The units in order, the subject first: title, else the first sentence; None if
        neither fits in post 1 beside the first opening warning."""
        first = self.opening()[:1]

        def fit_first(unit: str) -> bool:
            return fits(self.post([unit], 0, 9, link=False, tags=(), pinned=first).text,
                        self.profile)

        if title and fit_first(title):
            return [title, *body]
        if body and fit_first(body[0]):
            return body
        return None

    def _place_link(self, slots: list[_Slot], total: int) -> list[_Slot]:
        """``slots`` arranged so the last post has room for the link."""
        def fits_with_link(slot: _Slot, index: int) -> bool:
            part = self.post(slot.units, index, total, link=True, tags=(), pinned=slot.pinned,
                             only=slot.only)
            return fits(part.text, self.profile)

        last = len(slots) - 1
        if fits_with_link(slots[last], last):
            return slots
        tail = slots[last]
        if len(tail.units) > 1 and tail.only is None \
                and fits_with_link(_Slot(tail.units[-1:], []), last + 1):
            return [*slots[:last], _Slot(tail.units[:-1], tail.pinned),
                    _Slot(tail.units[-1:], [])]
        return [*slots, _Slot([], [])]


@dataclass
class _Slot:
    """One post of a thread before it is rendered: its sentences, the warnings pinned to it
    (the opening's, or a safety sentence's that did not fit beside it), and, for such a
    sentence's own post, exactly the disclaimers it carries."""

    units: list[str]
    pinned: list[Any]
    only: list[Any] | None = None
