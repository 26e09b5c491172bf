"""Text normalisation for comparing headings and names across sites.

Copied pages mix straight and curly quotes, hyphens and dashes, odd spaces and case:
"Food Sources of Lion's Mane" and "Food Sources of Lion’s Mane" are the same heading.
:func:`heading_key` is the one comparison form the importers use for headings.
"""

from __future__ import annotations

import re
import unicodedata

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u2032": "'",
                         "\u00b4": "'", "`": "'", "\u201c": '"', "\u201d": '"',
                         "\u201e": '"', "\u2033": '"'})
_DASHES = re.compile(r"[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")
_ODD_SPACE = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000]")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff]")
_MARKUP = re.compile(r"^\s*#{1,6}\s*|\*\*|__")


def normalise_spaces(line: str) -> str:
    """Non-breaking and other odd spaces become plain spaces; zero-width ones go."""
    return _ZERO_WIDTH.sub("", _ODD_SPACE.sub(" ", line))


def fold(text: str) -> str:
    """``text`` with Unicode compatibility forms, quotes, dashes, case and spacing unified."""
    text = unicodedata.normalize("NFKC", normalise_spaces(text)).translate(_QUOTES)
    text = _DASHES.sub("-", _MARKUP.sub("", text))
    return " ".join(text.casefold().split())


def heading_key(text: str) -> str:
    """The form in which two headings compare equal: folded, hyphens as spaces, no end colon.

    >>> heading_key("Side-Effects:") == heading_key("side effects")
    True
    """
    text = fold(text).replace("-", " ").replace("&", " and ")
    return " ".join(text.strip(" :.").split())


def mentions(text: str, name: str) -> bool:
    """True when ``text`` names ``name`` (whole words, after folding; "Lion's" counts)."""
    key, want = fold(text), fold(name)
    if not want:
        return False
    return re.search(rf"(?<![\w]){re.escape(want)}(?:'s)?(?![\w])", key) is not None
