"""Text as a reader sees it: HTML reduced to words, normalised for comparison, cut into
sentences, with a cheap test for negation.

Shared by the disclaimer rules (is a disclaimer present? what does a text trigger?) and the
claims guard (which sentences make a claim?).
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from k2publisher.render.splitting import statements

_FLAGS = re.IGNORECASE
_HIDDEN = re.compile(r"<(style|script|head|template)\b[^>]*>.*?</\1\s*>", re.DOTALL | _FLAGS)
_TAG = re.compile(r"<!--.*?-->|<(/?)([A-Za-z][A-Za-z0-9]*)\b[^>]*>", re.DOTALL)
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
    "nav", "ol", "p", "pre", "section", "table", "ul", "title", "body", "html", "head",
    "summary", "description", "content",
})
# a table reads as one statement (a cell such as "Enhanced apoptosis" takes its meaning, and
# its qualifiers, from the rest of the table), so its inner tags are plain spaces
_CELL_TAGS = frozenset({"tbody", "td", "tfoot", "th", "thead", "tr"})
# an innermost table (a data table, not an email's layout table around everything)
_INNER_TABLE = re.compile(r"<table\b(?:(?!<table\b).)*?</table\s*>", re.DOTALL | re.IGNORECASE)
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
                         "\u00a0": " ", "\u202f": " ",
                         # the look-alikes Slack escaping uses (render/escaping.py)
                         "\u2217": "*", "\u02cd": "_", "\u223c": "~", "\u02cb": "`"})
_MARKUP_MARKS = re.compile(r"[*_]+")
_ESCAPED = re.compile(r"\\([^\w\s])")
_SPACE = re.compile(r"\s+")
_HYPHEN_BREAK = re.compile(r"-\s+")
_PARAGRAPH = re.compile(r"\n\s*\n|\n(?=[ \t]*(?:[-*•#]|\d+[.)])\s)")


def visible_text(text: str, *, paragraphs: bool = False) -> str:
    """``text`` as a reader sees it: tags removed, entities unescaped, spaces collapsed.

    Block-level tags become a space so ``<p>a</p><p>b</p>`` reads ``a b``; inline tags
    (``<strong>``, ``<a>``) vanish so they never split a sentence; a table reads as one
    paragraph. With ``paragraphs``, block tags, blank lines and list bullets become
    paragraph breaks (a blank line) instead of spaces.
    """
    gap = "\n\n" if paragraphs else " "

    def tag(m: re.Match[str]) -> str:
        name = (m.group(2) or "").lower()
        if name in _CELL_TAGS:
            return " "
        return gap if name in _BLOCK_TAGS else ""

    if "<" in text:
        text = _HIDDEN.sub(gap, text)
        if paragraphs:
            text = _INNER_TABLE.sub(lambda m: _SPACE.sub(" ", m.group()), text)
        text = _TAG.sub(tag, text)
    if "&" in text:
        text = html.unescape(text)
    if paragraphs:
        return "\n\n".join(p for p in (_SPACE.sub(" ", c).strip()
                                        for c in _PARAGRAPH.split(text)) if p)
    return _SPACE.sub(" ", text).strip()


@lru_cache(maxsize=512)
def normalise(text: str) -> str:
    """The form in which disclaimer texts are compared: visible text without emphasis marks.

    Typographic quotes become straight ones, Markdown/mrkdwn emphasis (``*``, ``_``) and
    backslash escapes disappear, and a line break after a hyphen (text wrapping) is closed.
    """
    text = visible_text(text).translate(_QUOTES)
    text = _ESCAPED.sub(r"\1", text)
    text = _MARKUP_MARKS.sub("", text)
    text = _SPACE.sub(" ", text)
    return _HYPHEN_BREAK.sub("-", text).strip()


_NEGATION = re.compile(
    # "say no to sugar cravings" refuses something; it negates nothing after it
    r"\b(?:not(?! only)|(?<!say )(?<!says )(?<!said )(?<!saying )no|never|nor|neither|without|"
    r"cannot|can't|isn't|aren't|doesn't|"
    r"don't|didn't|won't|wasn't|weren't|hasn't|haven't|lack of|unproven|insufficient)\b",
    _FLAGS)


_CLAUSE = re.compile(r"[,:()\u2013\u2014]|\b(?:but|while|whereas|however|although|yet)\b",
                     _FLAGS)


def sentences(text: str) -> list[str]:
    """``text`` cut into sentences (also at ";", blank lines and list bullets).

    Where a sentence ends is decided in one place, ``render/splitting.py``: this is its
    :func:`~k2publisher.render.splitting.statements` (the renderer's sentence ends, plus the
    breaks that end a statement).
    """
    return statements(text)


def is_negated(sentence: str, start: int, window: int = 60) -> bool:
    """True when a negation ("not", "no", "never" ...) comes shortly before ``start``.

    Only the clause holding ``start`` counts: a negation before a comma, colon or "but"
    belongs to another statement ("not a drug, but it cures cancer" is not negated).
    """
    before = sentence[max(0, start - window):start].translate(_QUOTES)
    clause = _CLAUSE.split(before)[-1]
    return bool(_NEGATION.search(clause))


