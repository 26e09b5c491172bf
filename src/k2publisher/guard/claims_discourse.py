"""Claims that span sentences: what a question asks and its answer asserts, and what a list's
heading says about each item under it.

* **A yes/no question asks, it does not assert** ("Can chaga cure cancer?"): in running text
  its findings are ``review``, not ``block`` (a title keeps them: it travels alone and reads
  as a promise). A wh-question keeps its findings: "Why take statins when garlic does the
  same?" asserts.
* **An affirmative answer asserts what the question asked**: "Can berberine replace
  metformin? Yes, for many people." -- the answer ("Yes", "Absolutely", "It can", "For many
  people, the answer is yes") takes the question's findings; a negative or hedged one ("No",
  "Not reliably", "Nobody knows") takes none.
* **A list heading carries its claim to its items**: under "Conditions reishi helps with:",
  an item that names a disease ("Asthma and hay fever") makes the claim the heading frames.

:func:`answers` and :func:`list_heading` take the sentences of a text in order; the claims
guard (:func:`k2publisher.guard.claims.scan`) applies them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from k2publisher.guard.claims_context import is_warning

__all__ = ["answers", "frames_a_claim", "is_yes_no_question", "list_heading"]

_F = re.IGNORECASE

_YES_NO = re.compile(
    r"^\W*(?:[\w'-]+\s*:\s*)?(?:can|could|does|do|did|is|are|was|were|will|would|should|has|have|"
    r"may|might|must)\b[^?]*\?\s*$", _F)
#: an answer that says yes: "Yes", "Absolutely", "It can", "In many cases, yes", "The answer
#: is yes"; an echo ("It does", "They will") only when no negation follows it
_YES = re.compile(
    r"^\W*(?:yes|yep|yeah|absolutely|definitely|certainly|of course|sure|indeed|"
    r"without (?:a )?doubt|undoubtedly|100\s?%|completely|totally|entirely|perfectly|always|"
    r"every time|no doubt|no question)\b(?!\s+(?:not|no|un\w+|different|wrong|false|the "
    r"opposite)\b)|"
    r"^\W*(?:it|they|this|that|he|she|we|you)\s+(?:can|could|does|do|did|will|would|is|are|"
    r"may|might|has|have|sure (?:can|does|will))\b(?!\s*(?:not|n't|never|only|rarely))"
    r"(?=\s*(?:[,.;:!\u2013\u2014-]|and\b|for\b|in\b|indeed\b|,?\s*yes\b))|"
    r"\bthe answer is (?:a (?:resounding|clear|definite) )?yes\b|"
    r"^\W*(?:in|for) (?:many|most|some) (?:\w+ ){0,4}?(?:cases|people|patients|women|men|"
    r"readers|users)\b[^.?!]{0,40}?,?\s*(?:yes|it (?:can|does|will))\b", _F)
_NO = re.compile(r"^\W*(?:no|not|nope|never|nobody|none|unlikely|sadly|unfortunately)\b", _F)

#: a heading that frames its items as what the product does for them
_FRAME = re.compile(
    r"\b(?:help\w*|treat\w*|cur(?:e|es|ed|ing)|prevent\w*|fight\w*|eas(?:e|es|ing)|reliev\w*|"
    r"heal\w*|revers\w*|benefit\w*|good for|used (?:for|against|in)|uses|remed(?:y|ies)|"
    r"conditions?|ailments?|illness(?:es)?|diseases?|disorders?|problems|complaints|"
    r"works? (?:for|against|on)|protect\w*|combat\w*|targets?|tackles?|beats?)\b", _F)
#: a heading over precautions, not over benefits
_CAUTION_HEADING = re.compile(
    r"\b(?:avoid|not|don't|never|risks?|side[- ]effects?|interact\w*|cautions?|warnings?|"
    r"should(?:n't)?|who|when to|stop|allerg\w*|contraindicat\w*|see a doctor|symptoms of)\b",
    _F)
_ITEM_MAX = 100  # characters of a list item
_ITEMS_MAX = 12  # items a heading carries over


def is_yes_no_question(sentence: str) -> bool:
    """True when ``sentence`` is a question that asks yes or no ("Does X help with Y?")."""
    return bool(_YES_NO.match(sentence))


def answers(question: str, answer: str) -> bool:
    """True when ``answer`` says yes to the yes/no ``question`` right before it."""
    return is_yes_no_question(question) and not _NO.match(answer) and bool(_YES.search(answer))


def frames_a_claim(heading: str) -> bool:
    """True when a list heading ("Conditions X helps with:") frames its items as benefits."""
    return heading.rstrip().endswith(":") and bool(_FRAME.search(heading)) and \
        not _CAUTION_HEADING.search(heading) and not is_warning(heading)


def list_heading(parts: Sequence[str], at: int) -> str:
    """The heading of the list ``parts[at]`` is an item of ("Benefits:" before "- A", "- B"),
    or "" when it is none: going back over short items, the first part ending in a colon."""
    if len(parts[at]) > _ITEM_MAX:
        return ""
    for k in range(at - 1, max(-1, at - 1 - _ITEMS_MAX), -1):
        part = parts[k].strip()
        if part.endswith(":"):
            return part
        if len(part) > _ITEM_MAX or part.endswith(("?", "!")):
            return ""
    return ""
