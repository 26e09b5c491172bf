"""Escaping for each network's markup, written once: untrusted text in, inert text out.

Every function takes text an item supplied (a summary, a title, a variant) and returns it so
the network shows it literally: no formatting, no pings, no links it did not ask for.
Templates reach them as filters (``tg``, ``mrkdwn``, ``discord``, ``little_text``);
:data:`ESCAPERS` maps each profile's ``markup`` to its function.

* **Telegram HTML** (core.telegram.org/bots/api#html-style): ``& < >`` as entities, and
  ``"`` too so the text is safe inside ``href="..."``.
* **Slack mrkdwn** (api.slack.com/reference/surfaces/formatting): ``& < >`` as entities
  (which also turns ``<!here>``, ``<@U123>`` and ``<url|label>`` into text). mrkdwn has no
  escape for ``* _ ~ `````; each becomes a look-alike (``∗ ˍ ∼ ˋ``) that Slack never
  formats, so a product name like ``*NEW*`` or ``snake_case_name`` reads the same and stays
  plain.
* **Discord markdown**: a backslash before each active character (``\\ * _ ~ ` | < > [ ]
  @``), so ``||spoiler||``, quotes, masked links, ``<@123>`` and ``@everyone`` stay text
  (the adapter also sends ``allowed_mentions: {"parse": []}``, so nothing pings).
* **LinkedIn Little Text Format**: a backslash before ``\\ | { } @ [ ] ( ) < > # * _ ~``,
  or LinkedIn silently truncates the post.
* Plain-text networks (Mastodon, Bluesky, X, Threads) need no escaping.
"""

from __future__ import annotations

from collections.abc import Callable

from k2publisher.models import nfc

_SLACK_LOOKALIKES = str.maketrans({"*": "\u2217", "_": "\u02cd", "~": "\u223c",
                                   "`": "\u02cb"})
_DISCORD_ACTIVE = frozenset("\\*_~`|<>[]@")
_LITTLE_TEXT_ACTIVE = frozenset("\\|{}@[]()<>#*_~")


def _entities(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_telegram(text: str) -> str:
    """Text for Telegram's HTML parse mode (also safe inside a double-quoted attribute)."""
    return _entities(nfc(text)).replace('"', "&quot;")


def escape_slack(text: str) -> str:
    """Text for Slack mrkdwn: entities for ``& < >``, look-alikes for ``* _ ~ ```."""
    return _entities(nfc(text)).translate(_SLACK_LOOKALIKES)


def escape_discord(text: str) -> str:
    """Text for Discord markdown: a backslash before every active character."""
    return "".join("\\" + c if c in _DISCORD_ACTIVE else c for c in nfc(text))


def escape_little_text(text: str) -> str:
    """Text for LinkedIn's Little Text Format: a backslash before every reserved character."""
    return "".join("\\" + c if c in _LITTLE_TEXT_ACTIVE else c for c in nfc(text))


def plain(text: str) -> str:
    """Plain-text networks: the text itself, in NFC."""
    return nfc(text)


#: profile ``markup`` -> the function that makes untrusted text inert in it
ESCAPERS: dict[str, Callable[[str], str]] = {
    "text": plain,
    "telegram_html": escape_telegram,
    "mrkdwn": escape_slack,
    "markdown": escape_discord,
    "little_text": escape_little_text,
}

#: the names templates use
FILTERS: dict[str, Callable[[str], str]] = {
    "tg": escape_telegram, "mrkdwn": escape_slack, "discord": escape_discord,
    "little_text": escape_little_text,
}
