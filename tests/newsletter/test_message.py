"""The compiled issue: same structure and headers as ``build_message``, personalised."""

from __future__ import annotations

import json
from email import policy
from email.parser import BytesParser

import pytest

from k2publisher.deliver.message import build_message
from k2publisher.models import UNSUBSCRIBE_PLACEHOLDER, Rendering
from k2publisher.newsletter.message import Identity, IssueTemplate, JsonSlots
from k2publisher.settings import Settings

TEXT = f"Grüße aus dem Labor: K₂ und Menachinon-7.\n\nAbmelden: {UNSUBSCRIBE_PLACEHOLDER}\n"
HTML = (f"<p>Grüße &amp; more — {'long line ' * 40}</p>\n"
        f'<p><a href="{UNSUBSCRIBE_PLACEHOLDER}">Unsubscribe</a></p>\n.\n.leading dot\n')


def parse(raw: bytes):
    return BytesParser(policy=policy.default).parsebytes(raw)


def test_personalised_copy_matches_build_message_structure(settings: Settings) -> None:
    identity = Identity.from_settings(settings)
    template = IssueTemplate("2026-11-25", "K2 – Neuigkeiten", TEXT, HTML, identity)
    url = "https://k2.example.org/unsubscribe/TOKEN.abc-_"
    ours = parse(template.render(42, "reader@example.org", url))
    rendering = Rendering(item_id="x", channel="email", profile="email", family="email",
                          parts=(), subject="K2 – Neuigkeiten", text=TEXT, html=HTML)
    reference = parse(build_message(
        rendering, sender=identity.sender, to="reader@example.org", unsubscribe_url=url,
        unsubscribe_mailto=identity.mailto, list_id=identity.list_id).as_bytes())

    assert sorted(ours.keys()) == sorted(reference.keys())
    for header in ("Subject", "From", "To", "List-Id", "List-Unsubscribe-Post",
                   "MIME-Version"):
        assert str(ours[header]) == str(reference[header]), header
    assert str(ours["List-Unsubscribe"]).replace(" ", "").startswith(f"<{url}>,<mailto:")
    assert ours["Date"].datetime.utcoffset().total_seconds() == 0
    assert [p.get_content_type() for p in ours.iter_parts()] == \
        [p.get_content_type() for p in reference.iter_parts()] == ["text/plain", "text/html"]
    assert ours.get_body(("plain",)).get_content().replace("\r\n", "\n") == \
        reference.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert ours.get_body(("html",)).get_content().replace("\r\n", "\n") == \
        reference.get_body(("html",)).get_content().replace("\r\n", "\n")
    assert ours["Message-ID"] == template.message_id(42)
    assert template.render(42, "reader@example.org", url).count(b"\r\n.") == 0


def test_message_ids_are_per_issue_and_subscriber(settings: Settings) -> None:
    identity = Identity.from_settings(settings)
    one = IssueTemplate("2026-11-25", "s", TEXT, HTML, identity)
    two = IssueTemplate("2026-12-02", "s", TEXT, HTML, identity)
    assert one.message_id(1) == IssueTemplate("2026-11-25", "s", "", "", identity).message_id(1)
    assert len({one.message_id(1), one.message_id(2), two.message_id(1)}) == 3
    assert parse(one.render(1, "a@example.org", "https://x/u/1"))["Message-ID"] == \
        one.message_id(1)


@pytest.mark.parametrize("text", ["", "no link at all", "%%UNSUBSCRIBE_URL%%",
                                  'a "q" \\ µ 🧪 %%UNSUBSCRIBE_URL%%\n%%UNSUBSCRIBE_URL%% end'])
def test_json_slots_encode_exactly_what_json_dumps_writes(text: str) -> None:
    url = 'https://k2.example.org/unsubscribe/7.x?"&<>'
    filled = JsonSlots(text).fill(url)
    assert filled == json.dumps(text.replace(UNSUBSCRIBE_PLACEHOLDER, url)).encode()


def test_bodies_encoded_once_equal_encoding_each_copy_whole() -> None:
    """A copy's base64 body, built from lines encoded once per link length, is byte for
    byte the encoding of its whole body: links of every length, at every offset of a
    base64 line, several in a body, one spanning lines, none at all."""
    import base64
    import random

    from k2publisher.newsletter.message import Base64Slots

    rng = random.Random(14)
    mark = UNSUBSCRIBE_PLACEHOLDER.encode()
    bodies = [b"", b"no link at all " * 9, mark, TEXT.encode(), HTML.encode(),
              *(mark.join(rng.randbytes(rng.randint(0, 300)).replace(mark, b"")
                          for _ in range(rng.randint(1, 4))) for _ in range(200))]
    for body in bodies:
        slots = Base64Slots(body, mark)
        for length in (0, 1, 56, 57, 58, *(rng.randint(0, 130) for _ in range(4))):
            link = rng.randbytes(length)
            whole = base64.encodebytes(body.replace(mark, link)).replace(b"\n", b"\r\n")
            assert slots.fill(link) == whole, (body[:40], length)
