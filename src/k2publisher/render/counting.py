"""Length counters: one function per counting rule, the way each network counts.

``count(text, counter)`` returns the length a network would see; ``fits(text, profile)``
also applies the secondary caps a single number cannot express (Bluesky's 3000 UTF-8 bytes).
Counter names are the ``counter`` column of :mod:`k2publisher.render.profiles`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from functools import lru_cache

import regex

from k2publisher.errors import ConfigError
from k2publisher.models import nfc
from k2publisher.render.profiles import Profile, get_profile

#: what Mastodon reserves for every link, whatever its length (``characters_reserved_per_url``)
MASTODON_URL_LENGTH = 23
#: Bluesky's second cap on ``app.bsky.feed.post#text``
BLUESKY_MAX_BYTES = 3000

_URL = re.compile(r"https?://\S+")
_MENTION_DOMAIN = re.compile(r"(?<![\w@])(@\w+)@[\w.-]+\w")
_GRAPHEME = regex.compile(r"\X")
_EMOJI = regex.compile(r"\p{Extended_Pictographic}")
_TAG = re.compile(r"<[^>]*>")


def graphemes(text: str) -> int:
    """User-perceived characters (extended grapheme clusters, current Unicode)."""
    return len(_GRAPHEME.findall(text))


def count_chars(text: str) -> int:
    """Code points, the naive count (Discord, Slack, LinkedIn)."""
    return len(text)


def mastodon_links(url: str) -> bool:
    """Whether Mastodon would link ``url`` (and so count it as 23): a scheme and a host with a
    public top-level domain, as twitter-text's extractor sees it."""
    from twitter_text import extract_urls_with_indices

    found = extract_urls_with_indices(url)
    return bool(_URL.match(url) and found and found[0]["indices"] == [0, len(url)])


@lru_cache(maxsize=8192)
def count_mastodon(text: str) -> int:
    """Mastodon: graphemes, each link Mastodon would link as 23, remote mentions as ``@user``.

    Mastodon finds links with twitter-text's extractor (``StatusLengthValidator``), which
    only knows hosts with a public top-level domain: ``http://127.0.0.1:8025/...``,
    ``http://localhost/...`` or ``https://k2.internal/...`` are not links there and count
    in full, so they do here too.
    """
    from twitter_text import extract_urls_with_indices

    pieces, at = [], 0
    for found in extract_urls_with_indices(text):
        start, end = found["indices"]
        if _URL.match(found["url"]):              # only links with a scheme get the discount
            pieces += [text[at:start], "x" * MASTODON_URL_LENGTH]
            at = end
    text = "".join([*pieces, text[at:]])
    text = _MENTION_DOMAIN.sub(r"\1", text)
    return graphemes(text)


@lru_cache(maxsize=8192)
def count_x(text: str) -> int:
    """X: the weighted length from twitter-text (v3 config: URLs 23, CJK and emoji 2)."""
    # Imported here: twitter-text is slow to import and most commands never count for X.
    # Cached: the thread packer asks about the same candidate text many times.
    from twitter_text import parse_tweet

    return parse_tweet(text).weightedLength


def count_threads(text: str) -> int:
    """Threads: characters, except that an emoji counts as its UTF-8 byte length."""
    total = 0
    for cluster in _GRAPHEME.findall(text):
        total += len(cluster.encode("utf-8")) if _EMOJI.search(cluster) else len(cluster)
    return total


def telegram_visible(text: str) -> str:
    """What Telegram shows of an HTML-mode message: tags stripped, entities unescaped."""
    return html.unescape(_TAG.sub("", text))


def count_utf16(text: str) -> int:
    """Telegram: UTF-16 code units of the visible text (after parsing the HTML subset)."""
    return len(telegram_visible(text).encode("utf-16-le")) // 2


COUNTERS: dict[str, Callable[[str], int]] = {
    "chars": count_chars,
    "mastodon": count_mastodon,
    "graphemes": graphemes,
    "x_weighted": count_x,
    "threads": count_threads,
    "utf16": count_utf16,
}


def count(text: str, counter: str) -> int:
    """The length of ``text`` as the counting rule ``counter`` measures it."""
    try:
        fn = COUNTERS[counter]
    except KeyError:
        raise ConfigError(f"unknown counter {counter!r}: use one of "
                          + ", ".join(sorted(COUNTERS))) from None
    # X normalises to NFC before counting; every Part is sent in NFC (models.nfc)
    return fn(nfc(text))


def fits(text: str, profile: Profile | str) -> bool:
    """True when ``text`` is within the profile's limit (and Bluesky's byte cap)."""
    p = get_profile(profile) if isinstance(profile, str) else profile
    if p.limit and count(text, p.counter) > p.limit:
        return False
    return not (p.counter == "graphemes" and len(text.encode("utf-8")) > BLUESKY_MAX_BYTES)
