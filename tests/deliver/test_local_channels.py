"""The local channels (maildir, file, rss) write real files; the Publisher and the CLI on the
embedded default config leave every artefact on disk."""

from __future__ import annotations

import json
import mailbox
import re
import shutil
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import feedparser
import pytest

from k2publisher.deliver.core import ChannelContext, RetryPolicy
from k2publisher.deliver.publisher import Publisher
from k2publisher.deliver.registry import load_channel
from k2publisher.errors import GuardRefusal
from k2publisher.models import UNSUBSCRIBE_PLACEHOLDER, Verdict
from k2publisher.record.ledger import Ledger, db_path
from k2publisher.settings import load_settings

from .conftest import json_reply

ITEM = "vitamin-k2/dosage"
SECOND = "vitamin-k2/dosage-again"


@pytest.fixture
def site(tmp_path: Path, repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A site folder with a copy of the repository's queue plus a second item."""
    shutil.copytree(repo / "queue", tmp_path / "queue")
    text = (tmp_path / "queue" / "vitamin-k2" / "dosage.md").read_text(encoding="utf-8")
    (tmp_path / "queue" / "vitamin-k2" / "dosage-again.md").write_text(
        re.sub(r"(?m)^title: .*$", "title: Dosage, again",
               text.replace(f"id: {ITEM}", f"id: {SECOND}"), count=1), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("K2PUBLISHER_CONFIG", raising=False)
    return tmp_path


def publisher(site: Path, clock=None) -> Publisher:
    settings = load_settings(None, environ={})
    p = Publisher(settings, sleep=pytest.fail)
    p.context.clock = clock
    return p


def test_maildir_holds_a_readable_multipart_message(site):
    with publisher(site) as p:
        receipt = p.publish(ITEM, "email")
    box = mailbox.Maildir(site / "outbox" / "maildir", create=False)
    (key,) = box.keys()
    msg = BytesParser(policy=policy.default).parsebytes(box.get_bytes(key))
    assert msg["Message-ID"] == receipt.parts[0].remote_id
    assert receipt.parts[0].url.endswith(key)
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["Subject"] and msg["Date"].datetime.tzinfo is not None
    assert "mailto:editor@example.org" in msg["List-Unsubscribe"]
    assert UNSUBSCRIBE_PLACEHOLDER not in box.get_bytes(key).decode()


def test_file_channel_writes_each_post_as_json_and_is_idempotent(site):
    with publisher(site) as p:
        rendering = p.prepare(ITEM, "social").rendering
        first = p.publish(ITEM, "social")
        again = p.publish(ITEM, "social")
    files = sorted((site / "outbox" / "social").glob("*.json"))
    assert [f.name for f in files] == [f"vitamin-k2__dosage--social--{i}.json"
                                       for i in range(len(rendering.parts))]
    post = json.loads(files[0].read_text(encoding="utf-8"))
    assert post["text"] == rendering.parts[0].text and post["profile"] == "mastodon"
    assert post["disclaimers"] and post["item_id"] == ITEM
    assert first == again


def test_rss_feeds_parse_after_two_publishes_and_republishing_keeps_the_entry(site):
    moments = [datetime(2026, 11, 1, 9, tzinfo=UTC)]

    def clock() -> datetime:
        return moments[-1]

    settings = load_settings(None, environ={})
    public = site / "public"
    with Ledger(db_path(settings.path("state")), clock=clock) as ledger, \
            Publisher(settings, recorder=ledger, sleep=pytest.fail) as p:
        p.context.clock = clock
        p.publish(ITEM, "feed")
        moments.append(datetime(2026, 11, 2, 9, tzinfo=UTC))
        p.publish(SECOND, "feed")
        for name in ("feed.xml", "atom.xml"):
            parsed = feedparser.parse((public / name).read_bytes())
            assert parsed.bozo == 0, parsed.get("bozo_exception")
            assert [e.title for e in parsed.entries] == ["Dosage, again",
                                                          p.queue.get(ITEM).title]
        moments.append(datetime(2026, 11, 3, 9, tzinfo=UTC))
        p.publish(ITEM, "feed")  # republishing: still two entries, first date kept
        assert ledger.sent_items("feed") == [(ITEM, datetime(2026, 11, 1, 9, tzinfo=UTC)),
                                             (SECOND, datetime(2026, 11, 2, 9, tzinfo=UTC))]
    entries = feedparser.parse((public / "atom.xml").read_bytes()).entries
    assert [(e.title, e.published[:10]) for e in entries] == [
        ("Dosage, again", "2026-11-02"), (p.queue.get(ITEM).title, "2026-11-01")]
    assert not (public / ".published.json").exists(), "the ledger is the one record"
    assert (public / "archive" / ITEM / "index.html").is_file()
    assert (public / "archive" / SECOND / "index.html").is_file()
    index = (public / "archive" / "index.html").read_text(encoding="utf-8")
    assert "Dosage, again" in index
    assert not list(public.rglob(".*.xml.*")), "no temporary files left behind"


def test_dry_run_guards_and_writes_nothing(site):
    with publisher(site) as p:
        texts = p.dry_run(ITEM, "social")
        receipt = p.publish(ITEM, "email", dry_run=True)
    assert texts and "outbox/social/vitamin-k2__dosage--social--0.json" in texts[0]
    assert receipt.parts[0].remote_id == "dry-run"
    assert not (site / "outbox").exists()


def test_the_guard_runs_before_anything_is_sent(site, monkeypatch):
    import k2publisher.guard.check as check

    def refuse(rendering, item, rules, *, claims_policy="block"):
        return Verdict(ok=False, problems=("test refusal",))

    monkeypatch.setattr(check, "check", refuse)
    with publisher(site) as p:
        with pytest.raises(GuardRefusal, match="test refusal"):
            p.publish(ITEM, "social")
        with pytest.raises(GuardRefusal, match="test refusal"):
            p.dry_run(ITEM, "social")
    assert not (site / "outbox").exists()


def test_file_channel_profile_option_selects_the_rendering(site):
    settings = load_settings(None, environ={}, overrides={"channels": {
        "sky": {"type": "file", "path": "outbox/sky", "profile": "telegram"}}})
    with Publisher(settings, sleep=pytest.fail) as p:
        rendering = p.render(ITEM, "sky")
        p.publish(ITEM, "sky")
    assert rendering.profile == "telegram"
    assert (site / "outbox" / "sky" / "vitamin-k2__dosage--sky--0.json").is_file()


@pytest.mark.parametrize("channel", ["email", "feed", "social"])
def test_cli_publish_on_each_default_channel(site, run_cli, channel):
    code, out, err = run_cli("publish", ITEM, "--channel", channel, "--json", cwd=site)
    assert code == 0, err
    receipt = json.loads(out)
    assert receipt["item"] == ITEM and receipt["channel"] == channel and receipt["parts"]
    expected = {"email": site / "outbox" / "maildir" / "new",
                "feed": site / "public" / "feed.xml",
                "social": site / "outbox" / "social"}[channel]
    assert expected.exists() and (expected.is_file() or any(expected.iterdir()))
    assert (site / "state" / "k2publisher.sqlite3").is_file()


def test_cli_publish_dry_run_prints_the_request(site, run_cli):
    code, out, _ = run_cli("publish", ITEM, "--channel", "email", "--dry-run", cwd=site)
    assert code == 0 and "dry run, nothing sent" in out
    assert "List-Unsubscribe:" in out and "multipart/alternative" in out
    assert not (site / "outbox").exists()


def test_cli_channels_list_masks_secrets(site, run_cli):
    (site / "config").mkdir()
    (site / "config" / "k2publisher.toml").write_text(
        '[channels.toot]\ntype = "mastodon"\ninstance = "https://social.example"\n'
        'token = "${MASTODON_TOKEN}"\n\n[channels.hook]\ntype = "discord"\n'
        'webhook_url = "https://discord.com/api/webhooks/1/hookSecretValue"\n',
        encoding="utf-8")
    code, out, err = run_cli("channels", "list", "--json", cwd=site,
                             env={"MASTODON_TOKEN": "tokenSecretValue"})
    assert code == 0, err
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["toot"]["settings"]["token"] == "****"
    assert rows["toot"]["settings"]["instance"] == "https://social.example"
    assert rows["hook"]["settings"]["webhook_url"] == "****"
    assert "tokenSecretValue" not in out and "hookSecretValue" not in out
    code, out, _ = run_cli("channels", "list", cwd=site,
                           env={"MASTODON_TOKEN": "tokenSecretValue"})
    assert "token=****" in out and "tokenSecretValue" not in out


def test_missing_setting_is_a_config_error_naming_channel_and_setting(site, run_cli):
    (site / "config").mkdir()
    (site / "config" / "k2publisher.toml").write_text(
        '[channels.toot]\ntype = "mastodon"\ninstance = "https://social.example"\n',
        encoding="utf-8")
    code, out, _ = run_cli("channels", "list", "--json", cwd=site)
    assert code == 1 and "[channels.toot] needs `token = ...`" in out
    with pytest.raises(Exception, match=r"\[channels.toot\] needs `token") as info:
        run_cli("channels", "check", "toot", cwd=site)
    assert getattr(info.value, "exit_code", None) == 3


def test_cli_channels_check_a_local_channel(site, run_cli):
    code, out, _ = run_cli("channels", "check", "email", cwd=site)
    assert code == 0 and "email: ok" in out


def test_unknown_channel_names_the_configured_ones(site):
    settings = load_settings(None, environ={})
    with pytest.raises(LookupError, match="configured: email, feed, social"):
        load_channel("toot", settings)


def test_delivery_settings_are_validated(site):
    settings = load_settings(None, environ={}, overrides={"delivery": {"max_attempts": 2,
                                                                       "timeout": 5}})
    assert RetryPolicy.from_settings(settings).max_attempts == 2
    assert RetryPolicy.from_settings(settings).timeout == 5.0
    # wrong types are refused by the one settings schema when the settings are read
    with pytest.raises(ValueError, match=r"\[delivery\] timeout = \"soon\""):
        load_settings(None, environ={}, overrides={"delivery": {"timeout": "soon"}})
    with pytest.raises(ValueError, match=r"\[delivery\] max_attempts = 0"):
        load_settings(None, environ={}, overrides={"delivery": {"max_attempts": 0}})


def test_context_resolves_paths_against_the_site_root(site):
    settings = load_settings(None, environ={})
    context = ChannelContext(settings=settings)
    assert context.resolve("outbox/x") == site / "outbox" / "x"
    assert (datetime.now(UTC) - timedelta(seconds=1)).tzinfo is UTC


def test_cli_check_and_dry_run_of_an_http_channel(site, run_cli, network):
    network.route("/api/v1/accounts/verify_credentials",
                  lambda seen, n: json_reply({"acct": "k2"}) if n == 0 else
                  json_reply({"error": "The access token is invalid"}, 401))
    (site / "config").mkdir()
    (site / "config" / "k2publisher.toml").write_text(
        f'[channels.toot]\ntype = "mastodon"\ninstance = "{network.base}"\n'
        'token = "${MASTODON_TOKEN}"\n', encoding="utf-8")
    env = {"MASTODON_TOKEN": "tokenSecretValue"}
    code, out, _ = run_cli("channels", "check", "toot", cwd=site, env=env)
    assert code == 0 and "toot: ok: token valid for @k2" in out
    code, out, err = run_cli("channels", "check", "toot", cwd=site, env=env)
    assert code == 1 and "FAILED (auth)" in err and "tokenSecretValue" not in err
    code, out, _ = run_cli("publish", ITEM, "--channel", "toot", "--dry-run", cwd=site, env=env)
    assert code == 0 and f"POST {network.base}/api/v1/statuses" in out
    assert "Authorization: Bearer ****" in out and "Idempotency-Key: " in out
    assert "tokenSecretValue" not in out
    assert not network.to("/api/v1/statuses")


def test_publishing_writes_json_and_per_tag_feeds_and_pings_the_websub_hub(site, network):
    network.route("/hub", lambda seen, n: json_reply({}, 204))
    (site / "config").mkdir()
    (site / "config" / "k2publisher.toml").write_text(
        f'[feeds]\nhub = "{network.base}/hub"\n', encoding="utf-8")
    settings = load_settings(site / "config" / "k2publisher.toml", environ={})
    with Publisher(settings, sleep=pytest.fail) as p:
        p.publish(ITEM, "feed")
        tags = p.queue.get(ITEM).tags
    public = site / "public"
    data = json.loads((public / "feed.json").read_text(encoding="utf-8"))
    assert data["version"] == "https://jsonfeed.org/version/1.1" and len(data["items"]) == 1
    assert data["hubs"] == [{"type": "WebSub", "url": f"{network.base}/hub"}]
    for name in ("feed.xml", "atom.xml"):
        parsed = feedparser.parse((public / name).read_bytes())
        assert f"{network.base}/hub" in {link.href for link in parsed.feed.links
                                         if link.rel == "hub"}
    slug = re.sub(r"[^a-z0-9]+", "-", tags[0].lower()).strip("-")
    tag_feed = feedparser.parse((public / "tags" / slug / "atom.xml").read_bytes())
    assert not tag_feed.bozo and len(tag_feed.entries) == 1
    pings = network.to("/hub")
    topics = [dict(p.body.decode().split("&")[i].split("=", 1) for i in range(2))
              for p in pings]
    assert all(t["hub.mode"] == "publish" for t in topics)
    urls = {t["hub.url"] for t in topics}
    assert "http%3A%2F%2F127.0.0.1%3A8025%2Ffeed.xml" in urls
    assert f"http%3A%2F%2F127.0.0.1%3A8025%2Ftags%2F{slug}%2Ffeed.json" in urls
    assert len(pings) == 3 * (1 + len(tags))


def test_a_failing_hub_is_logged_and_the_publish_stands(site, network, caplog):
    network.route("/hub", lambda seen, n: json_reply({"error": "down"}, 503))
    (site / "config").mkdir()
    (site / "config" / "k2publisher.toml").write_text(
        f'[feeds]\nhub = "{network.base}/hub"\n', encoding="utf-8")
    settings = load_settings(site / "config" / "k2publisher.toml", environ={})
    with Publisher(settings, sleep=pytest.fail) as p:
        receipt = p.publish(ITEM, "feed")
    assert receipt.parts and (site / "public" / "feed.json").is_file()
    assert any("answered 503" in r.getMessage() for r in caplog.records)
