"""Image cards: one PNG per item and social channel, with its title, its key point and the
disclaimer that key point needs printed inside the image, and alt text that says the same.

The FTC wants a disclosure in the same medium as the claim: a card that states a health
point carries its disclaimer in its pixels, not only in the post beside it. The card's
text is what the guard checks (:class:`~k2publisher.models.Media` ``text``), so a card is
refused for a missing disclaimer or a blocked claim exactly like a post.

Drawn with Pillow in DejaVu (Debian ``fonts-dejavu-core``); the PNG stays under Bluesky's
1,000,000-byte blob limit (:data:`MAX_BYTES`), the smallest any network sets.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from k2publisher.errors import ConfigError
from k2publisher.models import Media, nfc

#: Bluesky's blob limit for images (app.bsky.embed.images), the smallest of the networks
MAX_BYTES = 1_000_000
SIZE = (1200, 675)
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
             Path("/usr/local/share/fonts"))
INK, PAPER, ACCENT, WARN = (29, 29, 27), (253, 253, 249), (26, 95, 180), (179, 38, 30)


@lru_cache(maxsize=8)
def _font(name: str, size: int) -> object:
    from PIL import ImageFont

    for folder in FONT_DIRS:
        path = folder / name
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    raise ConfigError(f"font {name} not found in {', '.join(map(str, FONT_DIRS))}: install "
                      "the Debian package fonts-dejavu-core (or set [render] images = false)")


def _wrap(draw: object, text: str, font: object, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}".strip()
            if draw.textlength(candidate, font=font) <= width or not line:  # type: ignore[attr-defined]
                line = candidate
            else:
                lines.append(line)
                line = word
        if line:
            lines.append(line)
    return lines


def alt_text(title: str, point: str, disclaimers: Sequence[str], site: str) -> str:
    """What the card says, as one paragraph for screen readers (the image's alt text)."""
    parts = [f"Card from {site}: {title}.", point, *disclaimers]
    return nfc(" ".join(p.strip() for p in parts if p.strip()))


def render_card(title: str, point: str, disclaimers: Sequence[str], site: str) -> Media:
    """The PNG card and its alt text; raises :class:`ConfigError` when fonts are missing."""
    from PIL import Image, ImageDraw

    title, point = nfc(" ".join(title.split())), nfc(" ".join(point.split()))
    notes = [nfc(" ".join(d.split())) for d in disclaimers]
    width, height = SIZE
    margin, inner = 64, SIZE[0] - 2 * 64
    image = Image.new("RGB", SIZE, PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 14, height), fill=ACCENT)
    for title_size, body_size in ((60, 36), (52, 32), (44, 28), (38, 24), (32, 21)):
        heading, body = _font("DejaVuSans-Bold.ttf", title_size), _font("DejaVuSans.ttf",
                                                                         body_size)
        small = _font("DejaVuSans-Bold.ttf", max(18, body_size - 6))
        blocks = [(_wrap(draw, title, heading, inner), heading, INK),
                  (_wrap(draw, point, body, inner), body, INK),
                  *[(_wrap(draw, d, small, inner - 24), small, WARN) for d in notes]]
        needed = sum(len(lines) * int(f.size * 1.3) + 24 for lines, f, _ in blocks) + 60
        if needed <= height - 2 * margin:
            break
    y = margin
    for n, (lines, font, colour) in enumerate(blocks):
        if n == 2 and notes:
            draw.line((margin, y, width - margin, y), fill=(200, 200, 194), width=2)
            y += 16
        for line in lines:
            x = margin + (24 if n >= 2 else 0)
            draw.text((x, y), line, font=font, fill=colour)
            y += int(font.size * 1.3)
        y += 24
    draw.text((margin, height - margin + 8), site, font=_font("DejaVuSans.ttf", 22),
              fill=(85, 85, 79))
    data = _png(image)
    text = "\n".join([title, point, *notes])
    return Media(data=data, mime="image/png", alt=alt_text(title, point, notes, site),
                 text=text, width=width, height=height)


def _png(image: object) -> bytes:
    for img in (image, image.quantize(colors=64)):  # type: ignore[attr-defined]
        buffer = io.BytesIO()
        img.save(buffer, format="PNG", optimize=True)  # type: ignore[attr-defined]
        if buffer.tell() <= MAX_BYTES:
            return buffer.getvalue()
    raise ValueError(f"card PNG over {MAX_BYTES} bytes even with 64 colours")
