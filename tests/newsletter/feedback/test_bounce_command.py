"""`newsletter bounces`: VERP return paths on real SMTP copies, read back from a Maildir
and over IMAP from a real Dovecot (skipped, saying so, where Dovecot is not installed)."""

from __future__ import annotations

import imaplib
import json
import mailbox
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from tests.newsletter.conftest import free_port
from tests.newsletter.feedback.messages import arf_report, postfix_dsn
from tests.newsletter.test_fanout import FAST, HTML, TEXT, setup_issue

from k2publisher.newsletter.fanout import build_fanout
from k2publisher.newsletter.issues import Issues
from k2publisher.newsletter.store import NewsletterStore
from k2publisher.newsletter.subscribers import State, Subscribers
from k2publisher.settings import load_settings

BOUNCES = 'bounce_address = "bounces@k2.example.org"\n'


@pytest.fixture
def run(cli_main):
    """``k2publisher --config SITE/config/k2publisher.toml ARGS`` -> (code, stdout, stderr)."""

    def go(site: Path, *args: str) -> tuple[int, str, str]:
        return cli_main("--config", str(site / "config" / "k2publisher.toml"), *args, cwd=site)

    return go


def test_verp_copies_bounce_back_into_the_subscriber_state(smtp_settings, smtp_server,
                                                           tmp_path, run):
    settings = smtp_settings(BOUNCES)
    store = setup_issue(settings, 12)
    assert build_fanout(settings, store, "2026-11-25", **FAST).run().state == "done"
    senders = dict(smtp_server.recording.senders)
    assert len(set(senders.values())) == 12  # one return path per reader
    for rcpt, sender in senders.items():
        assert sender.startswith("bounces+") and sender.endswith("@k2.example.org")
        assert rcpt.split("@")[0] not in sender  # the token never spells the address

    box = mailbox.Maildir(tmp_path / "bounces", create=True)
    # a forwarded address bounces: the DSN names another address, the VERP path the reader
    box.add(postfix_dsn("r3.forward@mail.example.net", senders["reader0003@example.org"]))
    box.add(arf_report("reader0005@example.org", senders["reader0005@example.org"]))
    box.add(postfix_dsn("reader0007@example.org", senders["reader0007@example.org"],
                        status="4.2.2", code="452 4.2.2 Mailbox full",
                        message_id="<soft-1@mx>"))
    code, out, err = run(tmp_path, "newsletter", "bounces", "--maildir",
                         str(tmp_path / "bounces"), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["messages_read"] == 3
    assert sorted(r["outcome"] for r in report["feedback"]) == ["bounced", "complained",
                                                                "soft 1/3"]
    subs = Subscribers(store)
    assert subs.find("reader0003@example.org").state == State.BOUNCED
    assert subs.find("reader0005@example.org").state == State.COMPLAINED
    assert subs.find("reader0007@example.org").state == State.CONFIRMED
    code, out, _ = run(tmp_path, "newsletter", "bounces", "--maildir",
                       str(tmp_path / "bounces"))
    assert code == 0 and "0 message(s) read" in out

    # suppressed readers are never mailed again
    Issues(store).create("2026-12-02", subject="K2 weekly 2", html=HTML, text=TEXT)
    before = len(smtp_server.recording.messages)
    assert build_fanout(settings, store, "2026-12-02", **FAST).run().state == "done"
    later = {r for r, _ in smtp_server.recording.messages[before:]}
    assert len(later) == 10
    assert not later & {"reader0003@example.org", "reader0005@example.org"}


def test_bounces_needs_one_source(site, run):
    assert run(site, "newsletter", "bounces")[0] == 2
    code, _, err = run(site, "newsletter", "bounces", "--maildir", str(site / "nothing-here"))
    assert code == 2 and "not a Maildir" in err


DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot"
                                      if os.path.exists("/usr/sbin/dovecot") else None)


@pytest.fixture
def dovecot():
    """A real Dovecot IMAP server on loopback with one mailbox user (plain IMAP, loopback)."""
    if DOVECOT is None or os.geteuid() != 0:
        pytest.skip("Dovecot (Debian dovecot-imapd) is not installed here, or not root: "
                    "the IMAP path is untested on this machine; the Maildir path is tested")
    # outside pytest's 0700 tmp folders: Dovecot's auth and mail processes drop root
    root = Path(tempfile.mkdtemp(prefix="k2-dovecot-"))
    os.chmod(root, 0o755)
    for sub in ("run", "state", "mail", "home"):
        (root / sub).mkdir()
    port = free_port()
    (root / "passwd").write_text("bounces:{PLAIN}imap-pass-4f9a\n")
    (root / "dovecot.conf").write_text(f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid=65534 gid=65534 home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
""")
    shutil.chown(root / "mail", "nobody", "nogroup")
    shutil.chown(root / "home", "nobody", "nogroup")
    subprocess.run([DOVECOT, "-c", str(root / "dovecot.conf")], check=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    yield port
    pid = (root / "run" / "master.pid").read_text().strip()
    subprocess.run(["kill", pid], check=False)
    time.sleep(0.3)
    shutil.rmtree(root, ignore_errors=True)


def test_imap_bounce_mailbox_against_dovecot(site, dovecot, run, monkeypatch):
    store = NewsletterStore.from_settings(
        load_settings(site / "config" / "k2publisher.toml", environ={}))
    subs = Subscribers(store)
    subs.add("gone@example.net", "cli", confirmed=True)
    subs.add("angry@example.org", "cli", confirmed=True)
    client = imaplib.IMAP4("127.0.0.1", dovecot)
    client.login("bounces", "imap-pass-4f9a")
    for raw in (postfix_dsn("gone@example.net", "bounces@k2.example.org"),
                arf_report("angry@example.org", "bounces@k2.example.org")):
        client.append("INBOX", "", imaplib.Time2Internaldate(time.time()), raw)
    client.logout()
    url = f"imap://bounces@127.0.0.1:{dovecot}/INBOX"
    monkeypatch.setenv("K2_IMAP_PASSWORD", "imap-pass-4f9a")
    code, out, err = run(site, "newsletter", "bounces", "--imap", url, "--json")
    assert code == 0, err
    assert sorted(r["outcome"] for r in json.loads(out)["feedback"]) == \
        ["bounced", "complained"]
    assert subs.find("gone@example.net").state == State.BOUNCED
    code, out, _ = run(site, "newsletter", "bounces", "--imap", url, "--json")
    assert json.loads(out)["messages_read"] == 0  # marked \\Seen
    # plain IMAP only on loopback; the password never in the URL
    assert run(site, "newsletter", "bounces", "--imap",
               "imap://bounces@mail.example.org/INBOX")[0] == 3
    code, _, err = run(site, "newsletter", "bounces", "--imap",
                       f"imap://bounces:imap-pass-4f9a@127.0.0.1:{dovecot}/INBOX")
    assert code == 3 and "imap-pass-4f9a" not in err
    monkeypatch.setenv("K2_IMAP_PASSWORD", "wrong-password")
    code, _, err = run(site, "newsletter", "bounces", "--imap", url)
    assert code == 3 and "login refused" in err and "wrong-password" not in err
