"""Render profiles: the one table of each network's format family, limit and counting rule.

A channel adapter names the profile it uses; the renderer, splitter and guard read the limit
and the counter from here, so a limit is written down exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass

from k2publisher.errors import ConfigError


@dataclass(frozen=True)
class Profile:
    """How one network or format wants its text."""

    name: str
    family: str            # email | feed | web | social
    limit: int = 0         # 0 = no limit
    counter: str = "chars"  # see k2publisher.render.counting.COUNTERS
    markup: str = "text"   # text | html | telegram_html | mrkdwn | markdown
    threads: bool = False  # may be split into a numbered thread
    #: the network takes an image with alt text on a post (an image card)
    images: bool = False
    #: what the network charges per post, in US dollars: (without a link, with a link)
    post_cost: tuple[float, float] | None = None


PROFILES: dict[str, Profile] = {p.name: p for p in (
    Profile("email", "email", markup="html"),
    Profile("feed", "feed", markup="html"),
    Profile("web", "web", markup="html"),
    Profile("mastodon", "social", 500, "mastodon", threads=True, images=True),
    Profile("bluesky", "social", 300, "graphemes", threads=True, images=True),
    # X pay-per-use pricing (2026): $0.015 a post, $0.20 a post carrying a URL
    Profile("x", "social", 280, "x_weighted", threads=True, images=True,
            post_cost=(0.015, 0.20)),
    Profile("threads", "social", 500, "threads", threads=True),
    Profile("telegram", "social", 4096, "utf16", markup="telegram_html", images=True),
    Profile("discord", "social", 2000, "chars", markup="markdown"),
    Profile("slack", "social", 3000, "chars", markup="mrkdwn"),
    Profile("linkedin", "social", 3000, "chars", markup="little_text"),
)}


#: where a channel's ``link`` option puts the archive link: in the post, in a reply, nowhere
LINK_PLACEMENTS = ("inline", "reply", "none")


def post_cost(profile: Profile, text: str) -> float | None:
    """What ``profile``'s network charges for a post of ``text`` (None: free or unknown)."""
    if profile.post_cost is None:
        return None
    from twitter_text import extract_urls_with_indices  # the network's own link finder

    # a scheme counts too (an IP address is no link to twitter-text): never under-estimate
    linked = bool(extract_urls_with_indices(text)) or "://" in text
    return profile.post_cost[1 if linked else 0]


def get_profile(name: str) -> Profile:
    """The profile called ``name``; raises :class:`ConfigError` naming the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ConfigError(f"unknown render profile {name!r}: use one of "
                          + ", ".join(sorted(PROFILES))) from None
