"""What a social rendering must carry of its item: the subject in part 1, the opening warnings,
every safety sentence.

One place for that promise, used twice: the composer (:mod:`k2publisher.render.social`) packs
posts so it holds, and the guard (:mod:`k2publisher.guard.check`) refuses a rendering where
it does not. A post's *body* is the item's hand-written variant for the network, or its
summary; the summary's safety sentences (warnings, interactions, "ask your doctor") are
added to a variant that left them out. Whether a sentence is safety text is the interaction
catalogue's call (``[safety]`` and the drug-class patterns), so it is data, not code. The
item's critical warnings (``rules.opening``) lead the thread: each, word for word (its short
form or its full text), in post 1 or in the posts right after it that carry nothing else.
A safety sentence goes whole in one post; when it cannot sit beside all the warnings it
triggers, the rest follow in the posts right after it that carry nothing else
(:func:`continuation`), the same way.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import regex

from k2publisher.models import Item
from k2publisher.render.splitting import sentences
from k2publisher.render.xml import strip_illegal_xml

__all__ = ["body", "body_units", "continuation", "covers", "opening_problems", "problems",
           "safety_sentences", "subjects", "words"]

# letters and digits; not modifier letters or "_" (networks' escaping uses lookalikes: ˍ, ∗)
_WORD = regex.compile(r"[[\p{L}\p{N}]--[\p{Lm}]]+", regex.V1)
_MARKER = re.compile(r"^\s*\d+/\d+\s")
_ESCAPED = re.compile(r"\\(?=[^\w\s])")
_URL = re.compile(r"(?:https?://|www\.)\S+")


def body(item: Item, profile: str) -> str:
    """The item's hand-written variant for ``profile``, or its summary."""
    text = item.variants.get(profile) or item.summary
    return strip_illegal_xml(text).strip()


def safety_sentences(text: str, rules: Any) -> list[str]:
    """The sentences of ``text`` the catalogue calls safety text."""
    catalogue = getattr(rules, "catalogue", None)
    if catalogue is None:
        return []
    return [s for s in sentences(text) if catalogue.is_safety(s)]


def body_units(item: Item, profile: str, rules: Any) -> list[str]:
    """The sentences posts must carry: the body's, then safety sentences only the summary has."""
    own = body(item, profile)
    units = sentences(own)
    if item.variants.get(profile) and item.summary:
        have = words(own)
        units += [s for s in safety_sentences(strip_illegal_xml(item.summary), rules)
                  if not covers(have, s)]
    return units


def subjects(item: Item, profile: str) -> list[str]:
    """What may stand for the item in part 1: its title, or the body's first sentence."""
    first = sentences(body(item, profile))
    return [t for t in (" ".join(item.title.split()), first[0] if first else "") if t.strip()]


def words(text: str) -> list[str]:
    """``text`` as lower-case words: NFC, entities decoded, a network's backslash escapes and
    all punctuation ignored, so a summary and its escaped rendering read the same."""
    text = unicodedata.normalize("NFC", html.unescape(text))
    return _WORD.findall(_ESCAPED.sub("", text).lower())


def covers(stream: Sequence[str], sentence: str) -> bool:
    """Whether the words of ``sentence`` appear, in order and unbroken, in ``stream``."""
    wanted = words(sentence)
    if not wanted:
        return True
    haystack = " " + " ".join(stream) + " "
    return f" {' '.join(wanted)} " in haystack


def problems(parts: Sequence[str], item: Item, profile: str, rules: Any,
             prose: Any) -> list[str]:
    """What the posts ``parts`` lose of ``item``: content, subject, safety sentences.

    ``prose(text, rules)`` is the guard's reading of a post without disclaimers, links and
    hashtags; the thread marker (``2/5``) is ignored too.
    """
    read = [words(_MARKER.sub(" ", prose(p, rules))) for p in parts]
    if not any(read):
        return ["no content: the posts hold only disclaimers, links and hashtags; give the "
                "item a summary (or a variant for this network) that fits beside them"]
    # a sentence counts as carried when its words appear unbroken in one post read without
    # disclaimers and thread markers, or as sent (a network's escaping of markup-like text,
    # which the guard's reading removes); a safety sentence is never split across posts, so
    # one whose words only run on from one post into the next is not carried
    sent = [words(_URL.sub(" ", p)) for p in parts]

    def carried(posts: Sequence[int], sentence: str) -> bool:
        return any(covers(read[i], sentence) or covers(sent[i], sentence) for i in posts)

    out: list[str] = []
    if not any(carried([0], s) for s in subjects(item, profile)):
        out.append("part 1 lacks the item's subject (its title or the first sentence of its "
                   "summary or variant)")
    out += opening_problems(parts, read, item, rules)
    catalogue = getattr(rules, "catalogue", None)
    every = range(len(parts))
    for sentence in body_units(item, profile, rules):
        if catalogue is not None and catalogue.is_safety(sentence) and not carried(every,
                                                                                    sentence):
            out.append(f"safety sentence not in any one post on {profile}: \u201c{sentence}"
                       "\u201d; a safety sentence is never split or dropped, it goes whole in "
                       "one post beside the warnings it triggers, and here the two do not fit "
                       "one post: shorten the sentence in the summary, keeping what it says "
                       "(a variant cannot leave it out), or do not use this network for it")
    return out


def continuation(parts: Sequence[str], index: int, rules: Any, prose: Any) -> str:
    """Where post ``index``'s disclaimers may continue: the warning-only posts right after
    it (joined), when it is a later post whose text is one safety sentence; else "".

    A safety sentence is never cut, so one that fits a post only without some of the
    warnings it triggers has them in the posts that follow it, before anything else is said.
    """
    catalogue = getattr(rules, "catalogue", None)
    if index == 0 or catalogue is None or index >= len(parts):
        return ""
    said = sentences(_MARKER.sub(" ", prose(parts[index], rules)))
    if len(said) != 1 or not catalogue.is_safety(said[0]):
        return ""
    after = []
    for text in parts[index + 1:]:
        if words(_MARKER.sub(" ", prose(text, rules))):
            break
        after.append(text)
    return "\n".join(after)


def opening_problems(parts: Sequence[str], read: Sequence[Sequence[str]], item: Item,
                     rules: Any) -> list[str]:
    """The item's opening warnings missing from the thread's opening: post 1 and the posts
    after it that hold only warnings (``read`` is each post's words without disclaimers)."""
    opening = getattr(rules, "opening", None)
    if opening is None:
        return []
    end = next((i for i in range(1, len(parts)) if read[i]), len(parts))
    lead = parts[:end]
    return [f"critical warning {d.id} is not in the thread's opening (part 1 or the "
            f"warning-only parts after it); write it word for word: \u201c{d.short or d.text}"
            "\u201d" for d in opening(item)
            if not any(d.present_in(p, True) for p in lead)]
