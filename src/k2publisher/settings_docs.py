"""One comment per setting, kept next to :data:`k2publisher.settings.DEFAULTS`.

``k2publisher init`` writes these as the comments of a new site's ``config/k2publisher.toml``
and ``k2publisher doctor`` uses the same keys to suggest a fix for a misspelt setting.
Keys are dotted paths into ``DEFAULTS`` (``"site.name"``); a table has an entry of its own
(``"site"``) that becomes the comment above its header. A setting missing here falls back to
the ``# comment`` written beside it in ``settings.py``, so a new setting is documented as soon
as its owner comments it.
"""

from __future__ import annotations

import ast
import functools
import io
import tokenize
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import k2publisher.settings

DOCS: dict[str, str] = {
    "site": "Who you are: used in emails, feeds, archive pages and legal footers.",
    "site.name": "Your publication's name, shown in email senders, feed titles and pages.",
    "site.base_url": "Public address of your site (no trailing slash); every link is built "
                     "from it.",
    "site.description": "One sentence about the publication (feed and archive descriptions).",
    "site.language": "Language code of your content (feeds and HTML lang attribute).",
    "site.timezone": "IANA time zone for schedules and dates, e.g. Europe/Berlin or "
                     "America/New_York.",
    "site.publisher": "Legal name of the sender, printed in email footers.",
    "site.postal_address": "Postal address printed in every email footer (anti-spam laws "
                           "require one).",
    "site.contact_email": "Address readers can write to; also the default Reply-To.",
    "paths": "Folders, relative to the site folder (the one holding config/).",
    "paths.queue": "The content queue: one Markdown file per item.",
    "paths.templates": "Your template overrides, searched before the built-in templates.",
    "paths.disclaimers": "Disclaimer rules; a missing file means the built-in rules.",
    "paths.interactions": "Interaction catalogue (supplement -> drug classes and conditions); "
                          "a missing file means the built-in one.",
    "paths.state": "SQLite ledger (what was sent where), subscribers and caches.",
    "paths.public": "Feed files and archive pages the web service (or nginx) serves.",
    "render": "How items are turned into posts, emails and feeds.",
    "render.feed_items": "How many of the newest entries the RSS and Atom feeds keep.",
    "render.hashtags": "At most this many tags become hashtags in a social post.",
    "render.text_width": "Line width of the plain-text part of emails.",
    "render.images": "Attach an image card (title, key point and its disclaimer drawn in, "
                     "with alt text) to the first post on Mastodon, Bluesky, X and Telegram.",
    "feeds": "The RSS, Atom and JSON feeds in the public folder.",
    "feeds.hub": "WebSub hub URL (e.g. https://pubsubhubbub.appspot.com/): announced as "
                 "<link rel=\"hub\"> in every feed and pinged after each publish, so readers "
                 "get new items at once; \"\" = no hub.",
    "guard": "The guard checks every rendering before it leaves.",
    "guard.claims": "What a claims finding at level `block` does: block (refuse to send), "
                    "review (send, but report) or off.",
    "server": "The web service (`k2publisher run`): feeds, archive, subscribe pages.",
    "server.host": "Interface to listen on; keep 127.0.0.1 behind nginx.",
    "server.port": "Port to listen on.",
    "server.trusted_proxy": "Address of the reverse proxy in front (\"127.0.0.1\" for nginx "
                            "on this host); only its X-Forwarded-For is believed. \"\" = none.",
    "desk": "The editorial desk (`k2publisher desk`): calendar, queue board, review and edit.",
    "desk.host": "Interface to listen on. Any address but loopback requires a login: set\n"
                 "K2PUBLISHER_DESK_TOKEN or K2PUBLISHER_DESK_PASSWORD_HASH in .env.",
    "desk.port": "Port to listen on.",
    "desk.weeks": "How many weeks of slots the calendar shows.",
    "delivery": "Retries and timeouts for every channel: exponential backoff with full jitter "
                "on\nconnection errors and 5xx; a 429 waits as long as the network asks.",
    "channels": "Where items are published: one [channels.NAME] table per destination, each "
                "with a `type`\n(`k2publisher channels list --types` lists them). Put secrets in "
                ".env and refer to them as \"${VAR}\".",
    "newsletter": "Subscribers and newsletter issues (double opt-in, one-click unsubscribe).",
    "store": "Where the ledger, subscribers and newsletter issues are kept (see "
             "docs/scaling.md, \"The store\").",
    "store.url": "\"\" = the SQLite file in [paths] state (nothing to install); or a "
                 "PostgreSQL URL such as postgresql://k2@db.internal/k2publisher (a password "
                 "via ${PGPASSWORD} or ~/.pgpass), for several `run` processes or workers. "
                 "Move an existing site with `k2publisher store copy --to URL`.",
    "store.pool_size": "PostgreSQL connections a process keeps per table group (ledger, "
                       "newsletter); raise it when an error says every connection was busy.",
    "alerts": "Who is told when a publication fails, is blocked or unconfirmed, or a "
              "newsletter pauses.",
    "alerts.channels": "Channel names from [channels] (a Slack, Discord or Telegram channel, "
                       "or an email\nchannel whose `to` is your address); [] = no alerts.",
    "alerts.per_hour": "At most this many alerts an hour; the ones held back are counted in "
                       "the next.",
    "campaigns": "Schedules: which items go to which channels, and when "
                 "(`k2publisher schedule` shows the coming slots).",
}

#: comments for settings channel adapters commonly declare (``[channels.NAME]`` keys)
CHANNEL_DOCS: dict[str, str] = {
    "type": "Channel type (`k2publisher channels list --types` lists the installed ones).",
    "path": "Folder the local sink writes to (relative to the site folder).",
    "profile": "Render profile: decides the length limit and how characters are counted.",
    "host": "Server host name.",
    "port": "Server port.",
    "username": "Login name.",
    "password": "Secret: keep it in .env and refer to it as \"${VAR}\".",
    "token": "Secret access token: keep it in .env and refer to it as \"${VAR}\".",
    "api_key": "Secret API key: keep it in .env.",
    "api_secret": "Secret API key secret: keep it in .env.",
    "access_token": "Secret access token: keep it in .env.",
    "access_secret": "Secret access token secret: keep it in .env.",
    "webhook_url": "Secret webhook address: keep it in .env.",
    "secret_key": "Secret signing key: keep it in .env.",
    "from": "Sender address.",
    "to": "Recipient address(es).",
    "instance": "Base URL of your server, e.g. https://mastodon.social.",
    "base_url": "Base URL of the service's API.",
}


def doc_for(dotted: str) -> str | None:
    """The comment for a dotted setting path, or ``None`` when it has none.

    Channel settings (``channels.NAME.KEY``) are looked up by ``KEY`` in :data:`CHANNEL_DOCS`.
    """
    if dotted in DOCS:
        return DOCS[dotted]
    if dotted in inline_comments():
        return inline_comments()[dotted]
    parts = dotted.split(".")
    if len(parts) == 3 and parts[0] == "channels":
        return CHANNEL_DOCS.get(parts[2])
    if len(parts) == 2 and parts[0] == "channels":
        return f"The `{parts[1]}` channel."
    return None


def setting_paths(defaults: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    """Every dotted path in ``defaults`` that must carry a comment (tables and leaves).

    The contents of ``channels`` and ``campaigns`` are examples of shape, not settings,
    so only the two tables themselves are yielded.
    """
    for key, value in defaults.items():
        dotted = f"{prefix}{key}"
        yield dotted
        if isinstance(value, Mapping) and dotted not in ("channels", "campaigns"):
            yield from setting_paths(value, f"{dotted}.")


@functools.cache
def inline_comments() -> dict[str, str]:
    """The ``# comment`` beside each key of ``DEFAULTS`` in ``settings.py``, by dotted path."""
    try:
        source = Path(k2publisher.settings.__file__).read_text(encoding="utf-8")
    except (OSError, TypeError):  # installed without sources (bytecode only)
        return {}
    by_line = {tok.start[0]: tok.string.lstrip("#").strip()
               for tok in tokenize.generate_tokens(io.StringIO(source).readline)
               if tok.type == tokenize.COMMENT}
    found: dict[str, str] = {}

    def walk(node: ast.Dict, prefix: str) -> None:
        for key, value in zip(node.keys, node.values, strict=True):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                continue
            dotted = f"{prefix}{key.value}"
            if key.lineno in by_line:
                found[dotted] = by_line[key.lineno]
            if isinstance(value, ast.Dict):
                walk(value, f"{dotted}.")

    for stmt in ast.parse(source).body:
        target = stmt.target if isinstance(stmt, ast.AnnAssign) else None
        if (isinstance(target, ast.Name) and target.id == "DEFAULTS"
                and isinstance(stmt.value, ast.Dict)):
            walk(stmt.value, "")
    return found
