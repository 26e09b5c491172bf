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


PROFILES: dict[str, Profile] = {p.name: p for p in (
    Profile("email", "email", markup="html"),
    Profile("feed", "feed", markup="html"),
    Profile("web", "web", markup="html"),
    Profile("mastodon", "social", 500, "mastodon", threads=True),
    Profile("bluesky", "social", 300, "graphemes", threads=True),
    Profile("x", "social", 280, "x_weighted", threads=True),
    Profile("threads", "social", 500, "threads", threads=True),
    Profile("telegram", "social", 4096, "utf16", markup="telegram_html"),
    Profile("discord", "social", 2000, "chars", markup="markdown"),
    Profile("slack", "social", 3000, "chars", markup="mrkdwn"),
    Profile("linkedin", "social", 3000, "chars", markup="little_text"),
)}


def get_profile(name: str) -> Profile:
    """The profile called ``name``; raises :class:`ConfigError` naming the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ConfigError(f"unknown render profile {name!r}: use one of "
                          + ", ".join(sorted(PROFILES))) from None
