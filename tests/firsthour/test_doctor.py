"""``k2publisher doctor`` on real site folders: all green when fresh, a fix for each failure."""

from __future__ import annotations

import json
import socket
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from k2publisher.doctor import check_clock, open_site
from k2publisher.errors import ConfigError
from k2publisher.newsletter.store import NewsletterStore
from k2publisher.record.ledger import Ledger, db_path
from k2publisher.record.migrations import LATEST
from k2publisher.scaffold import EXAMPLE_ITEM_ID, scaffold


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A freshly scaffolded site."""
    root = tmp_path / "site"
    scaffold(root)
    return root


def config(site: Path) -> Path:
    return site / "config" / "k2publisher.toml"


def append(site: Path, text: str) -> None:
    with config(site).open("a", encoding="utf-8") as fh:
        fh.write("\n" + text + "\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lines(out: str) -> dict[str, str]:
    """Doctor output as check name -> its line."""
    found = {}
    for line in out.splitlines():
        if line.startswith(("PASS  ", "WARN  ", "FAIL  ")):
            found[line[6:].split(":", 1)[0]] = line
    return found


def test_a_fresh_site_passes_every_check(run_cli, site: Path) -> None:
    code, out, _ = run_cli("doctor", cwd=site)

    checks = lines(out)
    assert code == 0, out
    assert {"config", "config keys", "secrets", "channels", "queue", "templates", "guard",
            "campaigns", "database", "clock", "time zones", "public folder"} <= set(checks)
    assert all(line.startswith(("PASS", "WARN")) for line in checks.values())
    # the fresh site's base_url is local: a warning with the fix, not a failure
    assert checks["base url"].startswith("WARN") and "base_url" in checks["base url"]


def test_the_example_item_passes_the_guard_once_approved(run_cli, site: Path) -> None:
    run_cli("queue", "approve", EXAMPLE_ITEM_ID, cwd=site)

    code, out, _ = run_cli("doctor", cwd=site)

    assert code == 0, out
    assert "of 1 ready item(s) pass" in lines(out)["guard"]


def test_unknown_keys_get_a_did_you_mean(run_cli, site: Path) -> None:
    text = config(site).read_text(encoding="utf-8")
    text = text.replace('timezone = "UTC"\n', 'timezone = "UTC"\nnmae = "typo"\n', 1)
    text = text.replace('profile = "mastodon"', 'profil = "mastodon"', 1)
    text = text.replace('channel = "email"', 'channel = "emial"', 1)  # [newsletter]
    config(site).write_text(text, encoding="utf-8")
    append(site, '[campaign.x]\nchannels = ["social"]\n\n'
                 '[channels.toots]\ntype = "mastodn"\n')

    code, out, _ = run_cli("doctor", cwd=site)

    line = lines(out)["config keys"]
    assert code == 1
    assert line.startswith("FAIL")
    for hint in ("`site.nmae` (did you mean `name`?)",
                 "`channels.social.profil` for type 'file' (did you mean `profile`?)",
                 "`campaign` (did you mean `campaigns`?)",
                 "'mastodn' is not an installed channel type (did you mean `mastodon`?)",
                 "`newsletter.channel` names channel 'emial', which is not under [channels] "
                 "(did you mean `email`?)"):
        assert hint in line
    assert "-> fix:" in line


def test_a_channel_that_cannot_be_built_fails(run_cli, site: Path) -> None:
    append(site, '[channels.mail]\ntype = "smtp"\nhost = "127.0.0.1"\nsecurity = "ssl3"\n')

    code, out, _ = run_cli("doctor", cwd=site)

    line = lines(out)["channels"]
    assert code == 1
    assert line.startswith("FAIL") and "mail:" in line and "security must be" in line


def test_missing_secrets_are_named_and_set_ones_never_printed(run_cli, site: Path) -> None:
    append(site, '[channels.toots]\ntype = "mastodon"\ninstance = "https://127.0.0.1:9"\n'
                 'token = "${TOOTS_TOKEN}"\n')

    code, out, _ = run_cli("doctor", cwd=site, env={"TOOTS_TOKEN": None})
    (site / ".env").write_text("TOOTS_TOKEN=s3cr3t-t0ken-value\n", encoding="utf-8")
    fixed_code, fixed, _ = run_cli("doctor", "--json", cwd=site, env={"TOOTS_TOKEN": None})

    secrets = lines(out)["secrets"]
    assert code == 1
    assert secrets.startswith("FAIL") and "${TOOTS_TOKEN} (used by channels.toots.token)" in secrets
    assert "add TOOTS_TOKEN=... to" in secrets and ".env" in secrets
    assert lines(out)["templates"].startswith("PASS")  # the other checks still ran
    report = json.loads(fixed)
    assert {c["name"]: c["ok"] for c in report["checks"]}["secrets"] is True
    assert "s3cr3t-t0ken-value" not in fixed
    assert fixed_code == 0, fixed


def test_a_broken_queue_file_fails_with_its_path_and_line(run_cli, site: Path) -> None:
    bad = site / "queue" / "example" / "broken.md"
    bad.write_text("---\nid: example/broken\nkind: nonsense\n---\nbody\n", encoding="utf-8")

    code, out, _ = run_cli("doctor", cwd=site)

    line = lines(out)["queue"]
    assert code == 1
    assert line.startswith("FAIL") and f"{bad}:" in line
    assert "k2publisher queue validate" in line


def test_a_broken_template_override_fails_naming_the_file(run_cli, site: Path) -> None:
    override = site / "templates" / "web" / "item.html"
    override.parent.mkdir(parents=True)
    override.write_text("<p>\n{% if item %}\n</p>\n", encoding="utf-8")

    code, out, _ = run_cli("doctor", cwd=site)

    line = lines(out)["templates"]
    assert code == 1
    assert line.startswith("FAIL") and "item.html" in line


def test_a_broken_feed_template_fails(run_cli, site: Path) -> None:
    override = site / "templates" / "feed" / "rss.xml"
    override.parent.mkdir(parents=True)
    override.write_text("<rss>{{ no_such_variable.title }}</rss>\n", encoding="utf-8")

    code, out, _ = run_cli("doctor", cwd=site)

    line = lines(out)["templates"]
    assert code == 1
    assert line.startswith("FAIL") and "feeds:" in line and "no_such_variable" in line


def test_a_guard_refusal_names_item_and_channel(run_cli, site: Path) -> None:
    item = site / "queue" / "example" / "cure.md"
    item.write_text("---\nid: example/cure\nkind: supplement_section\nsupplement: Vitamin K2\n"
                    "title: \"A bold claim\"\nsummary: \"Vitamin K2 cures cancer.\"\n"
                    "status: ready\n---\n\nVitamin K2 cures cancer.\n", encoding="utf-8")

    code, out, _ = run_cli("doctor", cwd=site)

    line = lines(out)["guard"]
    assert code == 1
    assert line.startswith("FAIL") and "example/cure on social" in line
    assert "guard_overrides" in line


def test_unknown_time_zone_in_a_campaign(run_cli, site: Path) -> None:
    text = config(site).read_text(encoding="utf-8")
    config(site).write_text(text.replace('"Europe/London"', '"Europe/Londn"', 1), "utf-8")

    with pytest.raises(ConfigError) as caught:
        run_cli("doctor", cwd=site)

    assert caught.value.exit_code == 3
    line = str(caught.value)
    assert "config/k2publisher.toml:" in line
    assert "campaigns.daily-social.timezone 'Europe/Londn' is not an IANA time zone" in line
    assert "(did you mean `Europe/London`?)" in line


def test_an_unset_clock_fails(site: Path) -> None:
    [clock, _zones] = check_clock(open_site(str(config(site))),
                                  now=lambda: datetime(1970, 1, 1, tzinfo=UTC))

    assert not clock.ok and "timedatectl" in clock.fix


def test_database_current_and_newer_schema(run_cli, site: Path) -> None:
    path = db_path(site / "state")
    Ledger(path).close()
    NewsletterStore(path).close()
    _, current, _ = run_cli("doctor", cwd=site)
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, 'x')",
                     (LATEST + 1,))
    code, newer, _ = run_cli("doctor", cwd=site)

    assert "schemas current, writable" in lines(current)["database"]
    assert code == 1
    assert lines(newer)["database"].startswith("FAIL") and "upgrade k2publisher" in newer


def test_json_output_and_exit_code(run_cli, site: Path) -> None:
    code, out, _ = run_cli("doctor", "--json", cwd=site)

    report = json.loads(out)
    assert code == 0 and report["ok"] is True
    assert all(set(c) == {"name", "ok", "detail", "fix", "warn", "status"}
               for c in report["checks"])
    base = next(c for c in report["checks"] if c["name"] == "base url")
    assert base["ok"] and base["warn"] and base["status"] == "WARN" and base["fix"]


def test_online_reports_an_unreachable_smtp_server(run_cli, site: Path) -> None:
    port = free_port()  # nothing listens on it
    append(site, f'[channels.mail]\ntype = "smtp"\nhost = "127.0.0.1"\nport = {port}\n'
                 'security = "none"\nfrom = "editor@example.org"\nto = "list@example.org"\n')

    offline_code, offline, _ = run_cli("doctor", cwd=site)
    code, out, _ = run_cli("doctor", "--online", cwd=site)

    assert "online mail" not in offline and offline_code == 0, offline
    assert code == 1
    line = lines(out)["online mail"]
    assert line.startswith("FAIL") and f"127.0.0.1:{port} unreachable" in line


def test_online_passes_against_a_live_smtp_server(run_cli, site: Path) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    controller = Controller(Sink(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        append(site, f'[channels.mail]\ntype = "smtp"\nhost = "127.0.0.1"\n'
                     f'port = {controller.port}\nsecurity = "none"\n'
                     'from = "editor@example.org"\nto = "list@example.org"\n')
        code, out, _ = run_cli("doctor", "--online", cwd=site)
    finally:
        controller.stop()

    assert lines(out)["online mail"].startswith("PASS"), out
    assert "answered EHLO" in lines(out)["online mail"]
    assert code == 0, out


def test_online_checks_an_http_channel_and_its_credentials(run_cli, site: Path,
                                                           httpserver) -> None:
    httpserver.expect_request("/api/v1/accounts/verify_credentials").respond_with_json(
        {"acct": "editor"})
    httpserver.expect_request("/").respond_with_data("a Mastodon server")
    instance = httpserver.url_for("").rstrip("/")
    append(site, f'[channels.toots]\ntype = "mastodon"\ninstance = "{instance}"\n'
                 'token = "${TOOTS_TOKEN}"\n')

    code, out, _ = run_cli("doctor", "--online", cwd=site, env={"TOOTS_TOKEN": "tok-123456"})

    line = lines(out)["online toots"]
    assert code == 0, out
    assert line.startswith("PASS") and instance in line and "@editor" in line
    assert "tok-123456" not in out
    auth = [r.headers.get("Authorization") for r, _ in httpserver.log
            if r.path.endswith("verify_credentials")]
    assert auth == ["Bearer tok-123456"]


def test_a_rule_text_naming_another_supplement_fails_with_its_line(run_cli, site: Path) -> None:
    """The old K2-only wording on a magnesium item is caught, with file:line."""
    item = site / "queue" / "magnesium" / "sleep.md"
    item.parent.mkdir(parents=True)
    item.write_text('---\nid: magnesium/sleep\nkind: supplement_section\nsupplement: Magnesium\n'
                    'title: "Magnesium and sleep"\nsummary: "Small trials used 250 mg a day."\n'
                    'status: draft\n---\n\nSmall, short trials gave 250 mg a day.\n',
                    encoding="utf-8")
    rules = site / "config" / "disclaimers.toml"
    text = rules.read_text(encoding="utf-8")
    assert "{forms}" in text
    rules.write_text(text.replace("before starting {forms}", "before starting vitamin K2"),
                     encoding="utf-8")
    line = next(n for n, row in enumerate(rules.read_text(encoding="utf-8").splitlines(), 1)
                if row.startswith('id = "CONSULT_BEFORE_USE"')) - 1

    code, out, _ = run_cli("doctor", cwd=site)

    assert code == 1
    failed = lines(out)["disclaimers"]
    assert failed.startswith("FAIL")
    assert (f"config/disclaimers.toml:{line}: rule CONSULT_BEFORE_USE names 'vitamin K2' on "
            "item magnesium/sleep (about Magnesium)") in failed
    assert "{supplement}" in out


def test_a_broken_interaction_catalogue_fails_with_its_line(run_cli, site: Path) -> None:
    catalogue = site / "config" / "interactions.toml"
    catalogue.write_text(catalogue.read_text(encoding="utf-8").replace(
        'class = "anticoagulants"', 'class = "anticoagulant"', 1), encoding="utf-8")

    code, out, _ = run_cli("doctor", cwd=site)

    assert code != 0
    assert "interactions.toml:" in out and "class 'anticoagulant' is not defined" in out


@pytest.mark.parametrize(("url", "problem"), [
    ("https://notes.example.org", ""),
    ("https://k2.example.co.uk/sub/", ""),
    ("http://notes.example.org", "not https"),
    ("http://127.0.0.1:8025", "IP address"),
    ("https://[::1]:8443", "IP address"),
    ("http://localhost:8025", "local name"),
    ("https://k2.internal", "local name"),
    ("https://nas.home.arpa", "local name"),
    ("https://k2.notatld", "no public top-level domain"),
])
def test_base_url_must_be_a_public_https_domain(url: str, problem: str) -> None:
    from k2publisher.doctor.config import base_url_problem

    found = base_url_problem(url)
    assert (problem in found) if problem else found == ""


def test_unverified_interaction_warnings_are_a_warning_naming_their_lines(run_cli,
                                                                          site: Path) -> None:
    """A warning nobody checked against its page is listed (WARN, exit code unchanged)."""
    catalogue = site / "config" / "interactions.toml"
    text = catalogue.read_text(encoding="utf-8")
    rows = text.splitlines()
    first = next(n for n, row in enumerate(rows, 1) if row == "verified = false")
    head = max(n for n, row in enumerate(rows[:first], 1) if row == "[[supplement.warning]]")

    _, out, _ = run_cli("doctor", cwd=site)

    line = lines(out)["interaction sources"]
    assert line.startswith("WARN") and "not verified against their source" in line
    assert f"config/interactions.toml:{head})" in line and "check_against" in line
    assert lines(out)["disclaimers"].startswith("PASS")


def test_items_about_unlisted_supplements_are_a_warning_saying_what_to_add(run_cli,
                                                                           site: Path) -> None:
    """A supplement the catalogue does not list gets only 'ask your doctor' notes; doctor
    names it, its items, and the table to add (WARN, exit code unchanged)."""
    item = site / "queue" / "boswellia" / "joints.md"
    item.parent.mkdir(parents=True, exist_ok=True)
    item.write_text("---\nid: boswellia/joints\nkind: supplement_section\nsupplement: Boswellia"
                    "\ntitle: Boswellia and stiff joints\nsummary: Small trials gave adults "
                    "boswellia extract for eight weeks.\nstatus: draft\n---\n\nPeople taking "
                    "warfarin should ask a pharmacist first.\n", encoding="utf-8")

    code, out, _ = run_cli("doctor", cwd=site)

    line = lines(out)["unlisted supplements"]
    assert line.startswith("WARN"), line
    assert "Boswellia (boswellia/joints)" in line and "does not list" in line
    assert "[[supplement]] table" in out and "interactions.toml" in out
    assert code == 0, out
