"""What preview shows, computed once for the terminal, ``--json``, ``--out`` and ``--serve``.

Channels come from ``[channels]`` (each channel type, built-in or plugin, declares its render
profile in the registry), plus every social profile, so an editor sees how an item reads
everywhere before connecting an account. The verdict is :meth:`Pipeline.review
<k2publisher.pipeline.Pipeline.review>`, the check ``Pipeline.prepare`` runs right before
sending, with each channel's claims policy.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from k2publisher.errors import ChannelLookupError
from k2publisher.models import Item, Rendering, Verdict
from k2publisher.pipeline import Pipeline
from k2publisher.render.counting import count
from k2publisher.render.profiles import PROFILES
from k2publisher.settings import Settings

SOCIAL_PROFILES = tuple(n for n, p in PROFILES.items() if p.family == "social")


@dataclass(frozen=True)
class Target:
    """A channel to preview and the profile it renders with."""

    channel: str
    profile: str


@dataclass(frozen=True)
class Preview:
    """One channel's rendering, each part's length, and the guard's verdict."""

    target: Target
    rendering: Rendering
    lengths: tuple[int, ...]
    verdict: Verdict

    def as_json(self) -> dict[str, Any]:
        """The ``--json`` shape of this rendering (email adds subject, html, text)."""
        r = self.rendering
        data: dict[str, Any] = {
            "channel": self.target.channel, "format": r.family,
            "parts": [p.text for p in r.parts], "lengths": list(self.lengths),
            "limit": r.limit, "disclaimers": list(r.disclaimers),
            "guard": {"ok": self.verdict.ok, "problems": list(self.verdict.problems)},
        }
        if r.family == "email":
            data.update(subject=r.subject, html=r.html, text=r.text)
        if r.family == "social":
            data["dropped"] = list(r.extra.get("dropped") or ())
        if r.extra.get("costs"):
            data.update(link_placement=r.extra.get("link_placement"),
                        costs_usd=list(r.extra["costs"]))
        return data


def profile_for(name: str, options: dict[str, Any]) -> str:
    """The render profile of a configured channel: its ``profile`` setting, else the one its
    type declares in the channel registry (plugins included)."""
    from k2publisher.deliver.registry import channel_type

    if options.get("profile"):
        return str(options["profile"])
    kind = str(options.get("type", ""))
    if not kind:
        raise ChannelLookupError(f"[channels.{name}] needs type = \"...\"")
    return channel_type(kind).profile


def targets(settings: Settings, names: Sequence[str] = ()) -> list[Target]:
    """The channels to preview: the named ones, else every configured channel + social profile.

    A name may be a configured channel or a profile name.
    """
    configured = {n: profile_for(n, dict(o)) for n, o in settings.section("channels").items()}
    if names:
        out = []
        for name in names:
            if name in configured:
                out.append(Target(name, configured[name]))
            elif name in PROFILES:
                out.append(Target(name, name))
            else:
                known = sorted({*configured, *PROFILES})
                raise ChannelLookupError(f"no channel or profile {name!r} (known: "
                                         f"{', '.join(known)})")
        return out
    out = [Target(n, p) for n, p in configured.items()]
    out += [Target(p, p) for p in SOCIAL_PROFILES if p not in configured]
    return out


def preview_item(pipeline: Pipeline, item: Item, wanted: Sequence[Target]) -> list[Preview]:
    """Render ``item`` for every target and judge each rendering as ``prepare`` would."""
    out = []
    for target in wanted:
        review = pipeline.review(item, target.channel, profile=target.profile)
        rendering = review.rendering
        lengths = tuple(count(p.text, rendering.counter) for p in rendering.parts)
        out.append(Preview(target, rendering, lengths, review.verdict))
    return out


def sample_email(rendering: Rendering, settings: Settings) -> tuple[bytes, str, str]:
    """The message the newsletter would send a sample reader, and its text and HTML bodies.

    See :func:`k2publisher.newsletter.message.sample_message`: the real headers and a
    preview unsubscribe link, so what preview shows is what a reader gets.
    """
    from k2publisher.newsletter.message import sample_message

    raw = sample_message(settings, rendering)
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    return raw, text.get_content() if text else "", html.get_content() if html else ""


def write_out(folder: Path, previews: Sequence[Preview], item: Item, pipeline: Pipeline,
              now: datetime | None = None) -> list[Path]:
    """Write ``email.html/.txt/.eml``, ``feed.xml``, ``atom.xml``, one JSON per social channel."""
    renderer = pipeline.renderer
    folder.mkdir(parents=True, exist_ok=True)
    now = now or datetime.now(UTC)
    written: list[Path] = []

    def put(name: str, text: str | bytes) -> None:
        path = folder / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        written.append(path)

    email = next((p.rendering for p in previews if p.rendering.family == "email"), None)
    if email is None:
        email = renderer.render(item, "email")
    raw, text, html = sample_email(email, renderer.settings)
    put("email.html", html)
    put("email.txt", text)
    put("email.eml", raw)
    rss, atom = renderer.feeds([(item, now)])
    put("feed.xml", rss)
    put("atom.xml", atom)
    for p in previews:
        if p.rendering.family == "social":
            data = p.as_json()
            data["facets"] = [list(part.facets) for part in p.rendering.parts]
            data["profile"] = p.rendering.profile
            for n, media in enumerate(p.rendering.parts[0].media if p.rendering.parts else ()):
                put(f"{p.target.channel}-card{n + 1}.png", media.data)
                data.setdefault("images", []).append(
                    {"file": f"{p.target.channel}-card{n + 1}.png", "alt": media.alt,
                     "text": media.text})
            put(f"{p.target.channel}.json", json.dumps(data, indent=2, ensure_ascii=False))
    return written
