"""`newsletter bounces`: VERP return paths on real SMTP copies, read back from a Maildir
and over IMAP from a real Dovecot (skipped, saying so, where Dovecot is not installed)."""

from __future__ import annotations

import contextlib
import imaplib
import json
import mailbox
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
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


def _wait_for(port: int, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.1)


@contextlib.contextmanager
def run_dovecot(tls: str, listeners: str) -> Iterator[Path]:
    """A real Dovecot on loopback with one mailbox user; ``tls`` and ``listeners`` are its
    ``ssl`` settings and the ``imap-login`` listeners. Yields its folder."""
    if DOVECOT is None or os.geteuid() != 0:
        pytest.skip("Dovecot (Debian dovecot-imapd) is not installed here, or not root: "
                    "the IMAP path is untested on this machine; the Maildir path is tested")
    # outside pytest's 0700 tmp folders: Dovecot's auth and mail processes drop root
    root = Path(tempfile.mkdtemp(prefix="k2-dovecot-"))
    os.chmod(root, 0o755)
    for sub in ("run", "state", "mail", "home"):
        (root / sub).mkdir()
    (root / "passwd").write_text("bounces:{PLAIN}imap-pass-4f9a\n")
    (root / "dovecot.conf").write_text(f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{tls.format(root=root)}
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
{listeners}
}}
service anvil {{
  chroot =
}}
""")
    shutil.chown(root / "mail", "nobody", "nogroup")
    shutil.chown(root / "home", "nobody", "nogroup")
    try:
        yield root
    finally:
        pid = root / "run" / "master.pid"
        if pid.exists():
            subprocess.run(["kill", pid.read_text().strip()], check=False)
            time.sleep(0.3)
        shutil.rmtree(root, ignore_errors=True)


def _start(root: Path, *ports: tuple[str, int]) -> None:
    subprocess.run([DOVECOT, "-c", str(root / "dovecot.conf")], check=True)
    for host, port in ports:
        _wait_for(port, host)


@pytest.fixture
def dovecot():
    """A real Dovecot IMAP server on loopback: plain IMAP, no TLS."""
    port = free_port()
    with run_dovecot("ssl = no", f"""  inet_listener imap {{
    address = 127.0.0.1, 127.0.0.2
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}""") as root:
        _start(root, ("127.0.0.1", port))
        yield port


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost, 127.0.0.1 and 127.0.0.2, and its key."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "k2 test mail server")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                 x509.IPAddress(ipaddress.ip_address("127.0.0.2"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class TlsDovecot:
    """Dovecot with a self-signed certificate: IMAPS on 127.0.0.1, STARTTLS on 127.0.0.2."""

    imaps: int
    starttls: int
    ca_file: Path


@pytest.fixture
def dovecot_tls(tmp_path: Path):
    imaps, starttls = free_port(), free_port()
    cert, key = self_signed(tmp_path)
    tls = f"ssl = required\nssl_cert = <{cert}\nssl_key = <{key}"
    with run_dovecot(tls, f"""  inet_listener imap {{
    address = 127.0.0.2
    port = {starttls}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps}
  }}""") as root:
        _start(root, ("127.0.0.1", imaps), ("127.0.0.2", starttls))
        yield TlsDovecot(imaps, starttls, cert)


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
    # the password never in the URL
    code, _, err = run(site, "newsletter", "bounces", "--imap",
                       f"imap://bounces:imap-pass-4f9a@127.0.0.1:{dovecot}/INBOX")
    assert code == 3 and "imap-pass-4f9a" not in err
    monkeypatch.setenv("K2_IMAP_PASSWORD", "wrong-password")
    code, _, err = run(site, "newsletter", "bounces", "--imap", url)
    assert code == 3 and "login refused" in err and "wrong-password" not in err


def _fill(port: int, host: str = "127.0.0.1", *, tls: bool = False) -> None:
    """Put a DSN and an ARF report into the bounce mailbox (as the mail server would)."""
    import ssl

    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the test's own
    client = imaplib.IMAP4_SSL(host, port, ssl_context=context) if tls \
        else imaplib.IMAP4(host, port)
    client.login("bounces", "imap-pass-4f9a")
    for raw in (postfix_dsn("gone@example.net", "bounces@k2.example.org"),
                arf_report("angry@example.org", "bounces@k2.example.org")):
        client.append("INBOX", "", imaplib.Time2Internaldate(time.time()), raw)
    client.logout()


def _readers(site: Path, monkeypatch, port: int, *, tls: bool = True) -> Subscribers:
    """Two subscribers, their DSN and ARF report in the mailbox, the password set."""
    _fill(port, tls=tls)
    monkeypatch.setenv("K2_IMAP_PASSWORD", "imap-pass-4f9a")
    store = NewsletterStore.from_settings(
        load_settings(site / "config" / "k2publisher.toml", environ={}))
    subs = Subscribers(store)
    subs.add("gone@example.net", "cli", confirmed=True)
    subs.add("angry@example.org", "cli", confirmed=True)
    return subs


def test_imaps_with_a_self_signed_certificate_needs_it_as_ca_file(site, dovecot_tls, run,
                                                                    monkeypatch):
    subs = _readers(site, monkeypatch, dovecot_tls.imaps)
    url = f"imaps://bounces@127.0.0.1:{dovecot_tls.imaps}/INBOX"
    # the system's trust store does not know this certificate: refused before the login
    code, _, err = run(site, "newsletter", "bounces", "--imap", url)
    assert code == 3, err
    assert "certificate is not trusted" in err and "--ca-file" in err
    assert "imap-pass-4f9a" not in err
    assert subs.find("gone@example.net").state == State.CONFIRMED
    code, out, err = run(site, "newsletter", "bounces", "--imap", url, "--ca-file",
                         str(dovecot_tls.ca_file), "--json")
    assert code == 0, err
    assert sorted(r["outcome"] for r in json.loads(out)["feedback"]) == \
        ["bounced", "complained"]
    assert subs.find("gone@example.net").state == State.BOUNCED
    assert subs.find("angry@example.org").state == State.COMPLAINED


def test_imap_upgrades_with_starttls_and_verifies_the_certificate(site, dovecot_tls, run,
                                                                  monkeypatch):
    subs = _readers(site, monkeypatch, dovecot_tls.imaps)
    # 127.0.0.2 is not one of the loopback names plain imap:// may use: STARTTLS is required
    url = f"imap://bounces@127.0.0.2:{dovecot_tls.starttls}/INBOX"
    code, _, err = run(site, "newsletter", "bounces", "--imap", url)
    assert code == 3 and "certificate is not trusted" in err, err
    code, out, err = run(site, "newsletter", "bounces", "--imap", url, "--ca-file",
                         str(dovecot_tls.ca_file), "--json")
    assert code == 0, err
    assert json.loads(out)["messages_read"] == 2
    assert subs.find("gone@example.net").state == State.BOUNCED


def test_imap_to_a_server_without_starttls_is_refused_off_loopback(site, dovecot, run,
                                                                   monkeypatch):
    _readers(site, monkeypatch, dovecot, tls=False)
    code, _, err = run(site, "newsletter", "bounces", "--imap",
                       f"imap://bounces@127.0.0.2:{dovecot}/INBOX")
    assert code == 3 and "does not offer STARTTLS" in err and "imaps://" in err
    assert "imap-pass-4f9a" not in err
    # on 127.0.0.1 plain IMAP is allowed: the password stays on this machine
    code, out, err = run(site, "newsletter", "bounces", "--imap",
                         f"imap://bounces@127.0.0.1:{dovecot}/INBOX", "--json")
    assert code == 0 and json.loads(out)["messages_read"] == 2, err


def test_a_missing_ca_file_is_a_configuration_error_naming_it(site, run, monkeypatch):
    monkeypatch.setenv("K2_IMAP_PASSWORD", "imap-pass-4f9a")
    code, _, err = run(site, "newsletter", "bounces", "--imap",
                       "imaps://bounces@127.0.0.1:1/INBOX", "--ca-file", str(site / "no.pem"))
    assert code == 3 and "no.pem" in err and "PEM" in err, err
