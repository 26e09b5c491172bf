"""Issue 10 end to end: every way out goes through ``Pipeline.prepare``.

Each test here failed on main before the pipeline: drafts were published, ``[guard.channels]``
was ignored by publish/run/preview, preview refused a plugin channel, manual publishes were
not in ``status`` and ``run --once`` sent them again, and an email of one item could carry
both FDA statements.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import Any

import pytest

from k2publisher.cli.main import main
from k2publisher.deliver.registry import channel_types

from .support import RecordingChannel, make_settings, received, write_item

ECHO = Path(__file__).resolve().parents[2] / "examples" / "k2publisher-echo" / "k2publisher_echo.py"
ONLY_SOCIAL = {"demo": {"channels": ["social"], "run_on_start": True, "times": ["12:00"],
                        "timezone": "UTC", "grace": 600}}
CLAIM = "MK-7 reverses arterial calcification in older adults."


@pytest.fixture
def k2(capsys: pytest.CaptureFixture[str]):
    """Run the real entry point (exit codes as a shell sees them) in ``cwd``."""

    def run(*args: str, cwd: Path) -> tuple[int, str, str]:
        old = Path.cwd()
        os.chdir(cwd)
        try:
            main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
        finally:
            os.chdir(old)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _claim_item(site: Path) -> None:
    path = write_item(site / "queue", "vitamin-k2/arteries", priority=20, title="Arteries")
    text = path.read_text(encoding="utf-8")
    head, body = text.split("\n---\n", 1)
    head = "\n".join(f'summary: "{CLAIM}"' if line.startswith("summary:") else line
                     for line in head.splitlines())
    path.write_text(f"{head}\n---\n{body}\n{CLAIM}\n", encoding="utf-8")


def test_publish_refuses_a_draft_and_a_forced_publish_is_recorded_with_its_reason(
        site: Path, k2) -> None:
    make_settings(site, ONLY_SOCIAL)
    code, _, err = k2("publish", "vitamin-k2/draft-notes", "--channel", "social", cwd=site)
    assert code == 4
    assert "vitamin-k2/draft-notes" in err and "draft, not ready" in err and "social" in err
    assert received(site / "net/social.jsonl") == []

    code, _, err = k2("publish", "vitamin-k2/draft-notes", "--channel", "social", "--force",
                      cwd=site)
    assert code == 2 and "--reason" in err
    code, _, err = k2("publish", "vitamin-k2/draft-notes", "--channel", "social", "--force",
                      "--reason", "approved by the editor on the phone", cwd=site)
    assert code == 0, err
    assert {p["item"] for p in received(site / "net/social.jsonl")} == {"vitamin-k2/draft-notes"}

    code, out, _ = k2("status", "--json", cwd=site)
    (row,) = json.loads(out)["recent"]
    assert (row["campaign"], row["item"], row["channel"], row["state"]) == (
        "manual", "vitamin-k2/draft-notes", "social", "sent")
    assert row["forced"] is True and row["reason"] == "approved by the editor on the phone"
    code, out, _ = k2("status", cwd=site)
    assert "forced: approved by the editor" in " ".join(out.split())


def test_a_manual_publish_is_in_status_and_run_once_does_not_send_it_again(
        site: Path, k2) -> None:
    make_settings(site, ONLY_SOCIAL)
    code, _, err = k2("publish", "vitamin-k2/dosage", "--channel", "social", cwd=site)
    assert code == 0, err
    code, out, _ = k2("status", "--json", cwd=site)
    assert [(p["campaign"], p["item"], p["state"]) for p in json.loads(out)["recent"]] == [
        ("manual", "vitamin-k2/dosage", "sent")]

    code, _, err = k2("run", "--once", cwd=site)
    assert code == 0, err
    sent = [p["item"] for p in received(site / "net/social.jsonl") if p["index"] == 0]
    assert sent.count("vitamin-k2/dosage") == 1
    assert len(sent) == 2, "the run published the next item instead"


def test_the_per_channel_claims_policy_is_honoured_by_preview_run_and_publish(
        site: Path, k2) -> None:
    _claim_item(site)
    make_settings(site, ONLY_SOCIAL, guard={"claims": "block", "channels": {"social": "off"}})

    code, out, _ = k2("preview", "vitamin-k2/arteries", "--channel", "social", "--channel",
                      "email", "--json", cwd=site)
    verdicts = {r["channel"]: r["guard"]["ok"] for r in json.loads(out)["renderings"]}
    assert verdicts == {"social": True, "email": False} and code == 1

    code, _, err = k2("run", "--once", cwd=site)
    assert code == 0, err
    assert any(CLAIM in p["text"] for p in received(site / "net/social.jsonl"))

    code, _, err = k2("publish", "vitamin-k2/arteries", "--channel", "email", cwd=site)
    assert code == 4 and "C01-disease-cure" in err
    assert not list((site / "outbox").rglob("*.eml")) if (site / "outbox").exists() else True


def test_the_claims_block_still_stops_a_channel_without_its_own_policy(site: Path, k2) -> None:
    _claim_item(site)
    make_settings(site, ONLY_SOCIAL, guard={"claims": "block", "channels": {"email": "off"}})
    code, _, err = k2("publish", "vitamin-k2/arteries", "--channel", "social", cwd=site)
    assert code == 4 and "claim" in err
    assert received(site / "net/social.jsonl") == []


def test_the_example_plugin_channel_previews(site: Path, k2) -> None:
    spec = importlib.util.spec_from_file_location("k2publisher_echo_example", ECHO)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    types = channel_types()
    types["echo"] = module.EchoChannel
    try:
        make_settings(site, {}, channels={"loud": {"type": "echo", "path": "outbox/echo.txt"}})
        code, out, err = k2("preview", "vitamin-k2/dosage", "--channel", "loud", "--json",
                            cwd=site)
        dry, _, dry_err = k2("publish", "vitamin-k2/dosage", "--channel", "loud", "--dry-run",
                             cwd=site)
    finally:
        types.pop("echo", None)
    assert code == 0, err
    (rendering,) = json.loads(out)["renderings"]
    assert rendering["channel"] == "loud" and rendering["format"] == "social"
    assert rendering["guard"]["ok"] and dry == 0, dry_err


def test_an_email_with_both_fda_statements_is_refused(site: Path, k2) -> None:
    path = write_item(site / "queue", "vitamin-k2/both", priority=1, title="Both")
    singular = ("This statement has not been evaluated by the Food and Drug Administration. "
                "This product is not intended to diagnose, treat, cure, or prevent any disease.")
    path.write_text(path.read_text(encoding="utf-8")
                    + "\nVitamin K2 supports bone health. MK-7 supports heart health.\n\n"
                    + singular + "\n", encoding="utf-8")
    make_settings(site, {})
    code, _, err = k2("publish", "vitamin-k2/both", "--channel", "email", cwd=site)
    assert code == 4
    assert "carries both FDA_SF_1 and FDA_SF_N" in err
    assert not (site / "outbox" / "maildir").exists() or not any(
        (site / "outbox" / "maildir").rglob("*,*"))


def test_every_send_part_receives_the_rendering_of_a_publication_from_prepare(
        site: Path, k2, monkeypatch: pytest.MonkeyPatch) -> None:
    from k2publisher.abc import Channel
    from k2publisher.pipeline import Pipeline, approved

    prepared: list[Any] = []
    real_prepare = Pipeline.prepare

    def spy_prepare(self: Pipeline, *args: Any, **kwargs: Any) -> Any:
        publication = real_prepare(self, *args, **kwargs)
        prepared.append(publication)
        return publication

    seen: list[str] = []
    wrapped: dict[type, Any] = {}

    def spy(cls: type[Channel]) -> None:
        real = cls.send_part

        def send_part(self: Channel, rendering: Any, *args: Any) -> Any:
            owner = [p for p in prepared if p.rendering is rendering]
            assert owner, f"{cls.__name__}.send_part got a rendering prepare() did not approve"
            assert approved(owner[-1]) is owner[-1] and owner[-1].channel is self
            seen.append(f"{self.name}:{rendering.item_id}")
            return real(self, rendering, *args)

        wrapped[cls] = send_part
        monkeypatch.setattr(cls, "send_part", send_part)

    monkeypatch.setattr(Pipeline, "prepare", spy_prepare)
    for cls in {RecordingChannel, *channel_types().values()}:
        spy(cls)
    make_settings(site, {
        "demo": {**ONLY_SOCIAL["demo"], "channels": ["social", "email", "feed"]},
        "digest": {"channels": ["social"], "run_on_start": True, "times": ["12:00"],
                   "timezone": "UTC", "grace": 600, "digest": 2}})
    assert k2("publish", "vitamin-k2/side-effects", "--channel", "email", cwd=site)[0] == 0
    assert k2("publish", "mechanisms/apoptosis", "--channel", "feed", "--dry-run",
              cwd=site)[0] == 0
    code, _, err = k2("run", "--once", cwd=site)
    assert code == 0, err
    assert "email:vitamin-k2/side-effects" in seen  # manual publish
    assert "social:vitamin-k2/dosage" in seen and "feed:vitamin-k2/dosage" in seen  # run
    assert any(s.startswith("social:") and "+" in s for s in seen), seen  # the digest


ARCHIVE_PAGE_WITHOUT_DISCLAIMERS = """{% extends "web/base.html" %}
{% block title %}{{ view.title }}{% endblock %}
{% block main %}
<article><h1>{{ view.title }}</h1>
{% for s in view.sections %}{{ s.html | safe }}{% endfor %}
</article>
{% endblock %}
"""


def test_a_site_template_without_disclaimers_refuses_the_feed_and_writes_nothing(
        site: Path, k2) -> None:
    make_settings(site, {})
    (site / "templates" / "web").mkdir(parents=True)
    (site / "templates" / "web" / "item.html").write_text(ARCHIVE_PAGE_WITHOUT_DISCLAIMERS,
                                                          encoding="utf-8")
    code, _, err = k2("publish", "vitamin-k2/dosage", "--channel", "feed", cwd=site)
    assert code == 4
    assert "archive/vitamin-k2/dosage/index.html: item vitamin-k2/dosage on feed" in err
    assert "missing disclaimer" in err
    assert not (site / "public").exists() or not any(
        p.is_file() for p in (site / "public").rglob("*"))
    code, out, _ = k2("preview", "vitamin-k2/dosage", "--channel", "feed", "--json", cwd=site)
    (feed,) = json.loads(out)["renderings"]
    assert code == 1 and not feed["guard"]["ok"]

    (site / "templates" / "web" / "item.html").unlink()
    code, _, err = k2("publish", "vitamin-k2/dosage", "--channel", "feed", cwd=site)
    assert code == 0, err
    page = (site / "public" / "archive" / "vitamin-k2" / "dosage" / "index.html").read_text(
        encoding="utf-8")
    assert "not medical advice" in page.lower()
    assert not (site / "public" / ".published.json").exists()


def test_the_feed_lists_what_the_ledger_holds_across_processes(site: Path, k2) -> None:
    make_settings(site, {})
    for item in ("vitamin-k2/dosage", "mechanisms/apoptosis"):
        code, _, err = k2("publish", item, "--channel", "feed", cwd=site)
        assert code == 0, err
    rss = (site / "public" / "feed.xml").read_text(encoding="utf-8")
    assert "/archive/vitamin-k2/dosage/" in rss and "/archive/mechanisms/apoptosis/" in rss
    code, out, _ = k2("status", "--json", cwd=site)
    assert {(p["item"], p["channel"]) for p in json.loads(out)["recent"]} == {
        ("vitamin-k2/dosage", "feed"), ("mechanisms/apoptosis", "feed")}
