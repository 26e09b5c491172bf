"""The SMTP bounce mailbox: DSNs (RFC 3464 and other MTAs' dialects) and ARF complaints.

Which address failed comes from ``flufl.bounce`` (its detectors know RFC 3464 DSNs and
the formats of Exim, qmail, Postfix, Exchange, Yahoo and others). How it failed comes
from the DSN's own ``Status`` for that recipient: ``5.x.x`` is a hard bounce, a
``failed`` action with ``4.x.x`` (the MTA gave up on a temporary condition) a soft one;
``delayed`` warnings are not bounces (the MTA is still trying) and count for nothing.
A report without a DSN part takes flufl's permanent failures as hard bounces.

ARF complaints (RFC 5965: ``multipart/report; report-type=feedback-report``) with
``Feedback-Type: abuse`` or ``fraud`` are complaints; the address is the report's
``Original-Rcpt-To``, else the ``To`` of the returned message.

A VERP return path (:mod:`.verp`) anywhere the report names it (the bounce's own
recipient headers, ``Original-Mail-From``, the returned ``Return-Path``) names the
subscriber directly and wins over any address in the text. The event id is the report's
``Message-ID`` (else a hash of it), so reading a mailbox twice records nothing twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import imaplib
import logging
import mailbox
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import Message
from email.parser import HeaderParser
from email.utils import getaddresses
from pathlib import Path
from typing import Literal

from flufl.bounce import all_failures

from k2publisher.newsletter.feedback import Feedback, Kind
from k2publisher.newsletter.feedback.verp import ReturnPaths

# flufl.bounce logs every detector it tries at INFO: one line per detector per message
logging.getLogger("flufl.bounce").setLevel(logging.WARNING)

#: headers of a bounce that may carry the VERP address it was sent to
_RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To")
COMPLAINT_TYPES = frozenset({"abuse", "fraud"})


def _event_id(msg: Message, raw: bytes) -> str:
    mid = str(msg.get("Message-ID", "")).strip()
    return mid or "sha256:" + hashlib.sha256(raw).hexdigest()


def _fields(part: Message) -> Message:
    """The header block of a ``message/feedback-report`` or ``message/delivery-status``."""
    payload = part.get_payload()
    if isinstance(payload, list) and payload:
        return payload[0]
    text = payload if isinstance(payload, str) else ""
    return HeaderParser().parsestr(text)


def _verp(paths: ReturnPaths | None, values: list[str]) -> int | None:
    if paths is None:
        return None
    for _, address in getaddresses([v for v in values if v]):
        found = paths.read(address)
        if found is not None:
            return found
    return None


def _returned(msg: Message) -> Message | None:
    """The returned original (``message/rfc822`` or ``text/rfc822-headers``), if any."""
    for part in msg.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload()
            return inner[0] if isinstance(inner, list) and inner else None
        if kind == "text/rfc822-headers":
            return HeaderParser().parsestr(part.get_payload(decode=True).decode(
                "utf-8", "replace"))
    return None


def _statuses(msg: Message) -> dict[str, tuple[str, str]]:
    """Recipient -> (action, status) from every ``message/delivery-status`` part."""
    out: dict[str, tuple[str, str]] = {}
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        for block in blocks if isinstance(blocks, list) else []:
            rcpt = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
            if not rcpt:
                continue
            address = rcpt.split(";", 1)[-1].strip().strip("<>").lower()
            out[address] = (str(block.get("Action", "")).split()[0].lower()
                            if block.get("Action") else "",
                            str(block.get("Status", "")).strip())
    return out


def parse_report(raw: bytes, paths: ReturnPaths | None = None) -> list[Feedback]:
    """The bounces and complaints one message in the bounce mailbox reports (maybe none)."""
    msg = message_from_bytes(raw, policy=policy.compat32)
    event = _event_id(msg, raw)
    own = [str(v) for h in _RECIPIENT_HEADERS for v in msg.get_all(h, [])]
    if msg.get_content_type() == "multipart/report" and \
            msg.get_param("report-type", "").lower() == "feedback-report":
        return _complaint(msg, event, paths, own)
    returned = _returned(msg)
    sid = _verp(paths, own + ([str(returned.get("Return-Path", ""))] if returned else []))
    statuses = _statuses(msg)
    try:
        _temporary, permanent = all_failures(msg)
    except Exception:  # a detector choking on a mangled message must not stop the mailbox
        permanent = frozenset()
    out: list[Feedback] = []
    addresses = sorted({a.decode("utf-8", "replace").lower() for a in permanent})
    for address in addresses:
        action, status = statuses.get(address, ("failed", ""))
        if action.startswith("delayed"):
            continue
        kind = Kind.SOFT if status.startswith("4") else Kind.HARD
        out.append(Feedback("mailbox", f"{event}#{address}", address, kind,
                            f"DSN {action or 'failed'} {status}".strip(),
                            subscriber_id=sid if len(addresses) == 1 else None))
    return out


def _complaint(msg: Message, event: str, paths: ReturnPaths | None,
               own: list[str]) -> list[Feedback]:
    report = next((p for p in msg.walk() if p.get_content_type() == "message/feedback-report"),
                  None)
    if report is None:
        return []
    fields = _fields(report)
    kind = str(fields.get("Feedback-Type", "")).strip().lower()
    if kind not in COMPLAINT_TYPES:
        return []
    returned = _returned(msg)
    sid = _verp(paths, [str(fields.get("Original-Mail-From", ""))] + own
                + ([str(returned.get("Return-Path", ""))] if returned else []))
    rcpt = str(fields.get("Original-Rcpt-To") or fields.get("Removal-Recipient") or "")
    if not rcpt and returned is not None:
        rcpt = str(returned.get("To", ""))
    address = (getaddresses([rcpt])[0][1] if rcpt else "").lower()
    if not address and sid is None:
        return []
    return [Feedback("mailbox", event, address, Kind.COMPLAINT,
                     f"ARF {kind} from {fields.get('User-Agent', 'unknown agent')}",
                     subscriber_id=sid)]


# -- where the reports are read from -------------------------------------------------------

@dataclass(frozen=True)
class Report:
    """One message of the bounce mailbox and what it reported."""

    where: str                 # Maildir key or IMAP UID
    feedback: list[Feedback]


def read_maildir(path: Path, paths: ReturnPaths | None) -> Iterator[Report]:
    """Every message in ``new/`` and unseen in ``cur/``; each is marked seen once read."""
    box = mailbox.Maildir(path, factory=None, create=False)
    for key in list(box.keys()):
        message = box.get_message(key)
        if "S" in message.get_flags():
            continue
        raw = box.get_bytes(key)
        yield Report(where=key, feedback=parse_report(raw, paths))
        message.set_subdir("cur")
        message.add_flag("S")
        box[key] = message


#: hosts plain ``imap://`` may talk to without TLS (the password stays on this machine)
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
#: how an IMAP session is protected: TLS from the first byte, STARTTLS, or none (loopback)
ImapSecurity = Literal["tls", "starttls", "none"]


def imap_source(url: str, password: str, paths: ReturnPaths | None, *,
                password_env: str = "K2_IMAP_PASSWORD",
                ca_file: Path | None = None) -> Iterator[Report]:
    """:func:`read_imap` from ``imaps://USER@HOST[:PORT]/FOLDER`` or ``imap://...``.

    ``imaps://`` is TLS from the first byte (port 993); ``imap://`` (port 143) upgrades
    with STARTTLS, and a server that does not offer it is refused, except on loopback
    (:data:`LOOPBACK`), where ``imap://`` stays plain. Certificates are verified against
    the system's trust store, or ``ca_file`` (a private CA or a self-signed certificate).
    Raises :class:`ConfigError` for a URL it cannot use or an unset password.
    """
    from urllib.parse import unquote, urlsplit

    from k2publisher.errors import ConfigError

    parts = urlsplit(url)
    if parts.password:
        raise ConfigError(f"--imap: put the password in ${password_env}, not in the URL")
    if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
        raise ConfigError(f"--imap {parts.scheme}://{parts.hostname}: write it as "
                          "imaps://USER@HOST[:PORT]/FOLDER (or imap:// for STARTTLS)")
    if not password:
        raise ConfigError(f"--imap: set ${password_env} to the mailbox password")
    security: ImapSecurity = "tls" if parts.scheme == "imaps" else \
        "none" if parts.hostname in LOOPBACK else "starttls"
    return read_imap(parts.hostname, parts.port or (993 if security == "tls" else 143),
                     unquote(parts.username), password,
                     unquote(parts.path.lstrip("/")) or "INBOX", paths, security=security,
                     ca_file=ca_file)


def read_imap(host: str, port: int, user: str, password: str, folder: str,
              paths: ReturnPaths | None, *, security: ImapSecurity = "tls",
              ca_file: Path | None = None, timeout: float = 30.0) -> Iterator[Report]:
    """Every unseen message of ``folder`` over IMAP; each is marked ``\\Seen`` once read.

    ``security`` as :func:`imap_source` chose it; the certificate is verified (the host
    name included) against the system's trust store, or ``ca_file``.
    """
    from k2publisher.errors import ConfigError, TransientDeliveryError

    where = f"IMAP {user}@{host}:{port}"
    try:
        context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"--ca-file {ca_file}: {getattr(exc, 'strerror', None) or exc}: "
                          "give the PEM file of the CA (or of the server's certificate)"
                          ) from None
    untrusted = (f"{where}: its TLS certificate is not trusted ({{}}): pass --ca-file with "
                 "the CA that signed it (or the server's self-signed certificate)")
    try:
        client = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=timeout) \
            if security == "tls" else imaplib.IMAP4(host, port, timeout=timeout)
    except ssl.SSLCertVerificationError as exc:
        raise ConfigError(untrusted.format(exc.verify_message)) from None
    except (OSError, imaplib.IMAP4.error) as exc:
        raise TransientDeliveryError(f"{where}: cannot connect: {exc}") from None
    try:
        if security == "starttls":
            if "STARTTLS" not in client.capabilities:
                raise ConfigError(f"{where}: the server does not offer STARTTLS, so the "
                                  "password would travel in clear: use imaps://")
            try:
                client.starttls(context)
            except ssl.SSLCertVerificationError as exc:
                raise ConfigError(untrusted.format(exc.verify_message)) from None
            except (OSError, imaplib.IMAP4.error) as exc:
                raise TransientDeliveryError(f"{where}: STARTTLS failed: {exc}") from None
        try:
            client.login(user, password)
        except imaplib.IMAP4.error as exc:
            raise ConfigError(f"{where}: login refused ({exc}): check the user and the "
                              "password variable") from None
    except BaseException:
        with contextlib.suppress(OSError):
            client.shutdown()
        raise
    try:
        client.select(folder)
        _, data = client.uid("SEARCH", None, "UNSEEN")
        for uid in (data[0] or b"").split():
            _, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), b"")
            yield Report(where=uid.decode(), feedback=parse_report(raw, paths))
            client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
