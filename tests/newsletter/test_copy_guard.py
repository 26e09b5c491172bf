"""Every reader's copy gets the guard's verdict of the issue: the guard runs once per issue.

A copy differs from the issue the guard approved in its address (the ``To`` of the
envelope, never a body) and its unsubscribe link, which fills fixed slots of both bodies
with ``<base_url>/unsubscribe/<id>.<mac>``: decimal digits and one dot, nothing HTML or
JSON must escape, no letter that could spell a word. ``prepare_issue`` guards the copy with
the longest such link, so these tests show that no other link changes a verdict.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.newsletter.conftest import write_config

from k2publisher.content.queue import Queue
from k2publisher.errors import PublicationRefused
from k2publisher.models import UNSUBSCRIBE_PLACEHOLDER, Part, Rendering
from k2publisher.newsletter.fanout import longest_copy, prepare_issue
from k2publisher.newsletter.issues import Issue
from k2publisher.newsletter.message import Identity, IssueTemplate
from k2publisher.newsletter.tokens import LONGEST_UNSUBSCRIBE_TOKEN, UNSUBSCRIBE_TOKEN, Tokens
from k2publisher.newsletter.transport import channel_options
from k2publisher.pipeline import Pipeline
from k2publisher.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
#: shipped items: one page (dosage, with its warfarin warning) and a digest of two
ITEMS = (("vitamin-k2/dosage",),
         ("mechanisms/angiogenesis-inhibition", "mechanisms/anti-inflammatory-properties"))
SUBSCRIBER_IDS = st.integers(min_value=1, max_value=10**18 - 1)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("site")
    (root / "queue").symlink_to(REPO / "queue")
    return load_settings(write_config(root), environ={})


def stored_issue(site: Settings, ids: tuple[str, ...], extra_text: str = "") -> Issue:
    queue = Queue(REPO / "queue")
    found = [queue.get(i) for i in ids]
    rendering = Pipeline(site).renderer.render_issue(found)
    text = (rendering.text or "") + extra_text
    return Issue(id="2026-12-02", state="sending", subject=rendering.subject or "issue",
                 html=rendering.html or "", text=text, item_ids=ids, created_at="",
                 updated_at="", note="")


def verdict_of_copy(site: Settings, issue: Issue, template: IssueTemplate, url: str):
    pipeline = Pipeline(site)
    name, _ = channel_options(site)
    queue = Queue(REPO / "queue")
    text, html = template.text_for(url), template.html_for(url)
    rendering = Rendering(item_id=issue.id, channel=name, profile="email", family="email",
                          parts=(Part(text=text, html=html),), subject=issue.subject,
                          html=html, text=text)
    verdict = pipeline.review([queue.get(i) for i in issue.item_ids], name,
                              rendering=rendering).verdict
    return verdict.ok, verdict.problems, verdict.notes


def test_unsubscribe_links_are_digits_in_a_fixed_slot(site: Settings) -> None:
    tokens = Tokens("a-secret-key-of-some-length")
    identity = Identity.from_settings(site, channel_options(site)[1])
    prefix = f"{identity.base_url}/unsubscribe/"
    longest = identity.unsubscribe_url(LONGEST_UNSUBSCRIBE_TOKEN)
    for sid in (1, 42, 10**6, 10**18 - 1):
        url = identity.unsubscribe_url(tokens.unsubscribe_token(sid))
        tail = url.removeprefix(prefix)
        assert re.fullmatch(r"[0-9]+\.[0-9]+", tail) and UNSUBSCRIBE_TOKEN.fullmatch(tail)
        assert len(url) <= len(longest)


@pytest.mark.parametrize("ids", ITEMS, ids=["one item", "digest"])
@settings(max_examples=12, deadline=None)
@given(sid=SUBSCRIBER_IDS)
def test_every_copy_gets_the_verdict_of_the_longest_copy(site: Settings, ids, sid) -> None:
    issue = stored_issue(site, ids)
    identity = Identity.from_settings(site, channel_options(site)[1])
    template = IssueTemplate(issue.id, issue.subject, issue.text, issue.html, identity)
    approved = verdict_of_copy(site, issue, template,
                               identity.unsubscribe_url(LONGEST_UNSUBSCRIBE_TOKEN))
    assert approved[0], approved
    url = identity.unsubscribe_url(Tokens("a-secret-key-of-some-length").unsubscribe_token(sid))
    assert verdict_of_copy(site, issue, template, url) == approved


@settings(max_examples=8, deadline=None)
@given(sid=SUBSCRIBER_IDS)
def test_a_refused_issue_is_refused_in_every_copy_for_the_same_reasons(site: Settings,
                                                                      sid: int) -> None:
    issue = stored_issue(site, ITEMS[0], "\nVitamin K2 cures osteoporosis and heart disease.\n")
    identity = Identity.from_settings(site, channel_options(site)[1])
    template = IssueTemplate(issue.id, issue.subject, issue.text, issue.html, identity)
    refused = verdict_of_copy(site, issue, template,
                              identity.unsubscribe_url(LONGEST_UNSUBSCRIBE_TOKEN))
    assert not refused[0] and refused[1]
    url = identity.unsubscribe_url(Tokens("a-secret-key-of-some-length").unsubscribe_token(sid))
    assert verdict_of_copy(site, issue, template, url) == refused
    with pytest.raises(PublicationRefused):
        prepare_issue(site, issue)


def test_prepare_issue_guards_the_stored_text_and_the_longest_copy(site: Settings) -> None:
    issue = stored_issue(site, ITEMS[0])
    publication = prepare_issue(site, issue)
    assert UNSUBSCRIBE_PLACEHOLDER in (publication.rendering.text or "")
    longest = longest_copy(site, issue)
    assert UNSUBSCRIBE_PLACEHOLDER not in (longest.text or "")
    assert LONGEST_UNSUBSCRIBE_TOKEN in (longest.text or "") + (longest.html or "")
