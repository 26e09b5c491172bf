"""Subscribers: states, normalised addresses, consent evidence, CSV import and export.

Every change of state is written to ``newsletter_events`` with its time and source (web
form, import, CLI, bounce) in the same transaction as the change, so the table is the
evidence of when and how each person consented or left.
"""

from __future__ import annotations

import csv
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from email_validator import EmailNotValidError, validate_email

from k2publisher.errors import AddressError, SubscriberLookupError, TokenError
from k2publisher.newsletter.store import NewsletterStore, now_iso


class State(StrEnum):
    """Where a subscriber stands."""

    PENDING = "pending"            # asked to subscribe, has not confirmed yet
    CONFIRMED = "confirmed"        # receives the newsletter
    UNSUBSCRIBED = "unsubscribed"  # left
    BOUNCED = "bounced"            # the address refused mail permanently
    COMPLAINED = "complained"      # marked an issue as spam


#: states nothing but a new, explicitly requested consent lifts (see Subscribers.subscribe)
SUPPRESSED = frozenset({State.BOUNCED, State.COMPLAINED})


class Source(StrEnum):
    """Where a change came from (consent evidence)."""

    WEB = "web"
    IMPORT = "import"
    CLI = "cli"
    BOUNCE = "bounce"


@dataclass(frozen=True)
class Subscriber:
    """One row of ``newsletter_subscribers``."""

    id: int
    email: str
    state: State
    created_at: str
    updated_at: str


@dataclass
class ImportReport:
    """What a CSV import did: rows accepted, duplicates, and invalid rows by line number."""

    accepted: int = 0
    duplicates: list[tuple[int, str]] = field(default_factory=list)
    invalid: list[tuple[int, str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {"accepted": self.accepted,
                "duplicates": [{"line": n, "email": e} for n, e in self.duplicates],
                "invalid": [{"line": n, "value": v, "reason": r} for n, v, r in self.invalid]}


def normalise(address: str) -> str:
    """The canonical form of an address: syntax-checked (no DNS), ASCII domain, lower case.

    Raises :class:`AddressError` saying what is wrong.
    """
    try:
        result = validate_email(address.strip(), check_deliverability=False,
                                allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise AddressError(f"{address.strip()!r} is not a valid email address: {exc}") from None
    return (result.ascii_email or result.normalized).lower()


def _row(row) -> Subscriber:
    return Subscriber(id=row["id"], email=row["email"], state=State(row["state"]),
                      created_at=row["created_at"], updated_at=row["updated_at"])


_COLUMNS = "id, email, state, created_at, updated_at"


class Subscribers:
    """Subscriber operations on a :class:`NewsletterStore`."""

    def __init__(self, store: NewsletterStore):
        self.store = store

    # -- reading -------------------------------------------------------------------------

    def get(self, subscriber_id: int) -> Subscriber:
        """The subscriber with this id; raises :class:`SubscriberLookupError`."""
        rows = self.store.query(f"SELECT {_COLUMNS} FROM newsletter_subscribers WHERE id = ?",
                                (subscriber_id,))
        if not rows:
            raise SubscriberLookupError(f"no subscriber with id {subscriber_id}")
        return _row(rows[0])

    def find(self, address: str) -> Subscriber | None:
        """The subscriber with this address (normalised first), or None."""
        rows = self.store.query(f"SELECT {_COLUMNS} FROM newsletter_subscribers WHERE email = ?",
                                (normalise(address),))
        return _row(rows[0]) if rows else None

    def iter(self, state: State | str | None = None, *, page: int = 1000) -> Iterator[Subscriber]:
        """Every subscriber (optionally in one state) by id, read a page at a time."""
        last = 0
        where = "AND state = ?" if state else ""
        while True:
            params: tuple = (last, State(state).value, page) if state else (last, page)
            rows = self.store.query(f"SELECT {_COLUMNS} FROM newsletter_subscribers "
                                    f"WHERE id > ? {where} ORDER BY id LIMIT ?", params)
            if not rows:
                return
            for row in rows:
                yield _row(row)
            last = rows[-1]["id"]

    def counts(self) -> dict[str, int]:
        """How many subscribers are in each state (every state present, zero included)."""
        found = dict(self.store.query(
            "SELECT state, count(*) FROM newsletter_subscribers GROUP BY state"))
        return {s.value: int(found.get(s.value, 0)) for s in State}

    def events(self, subscriber_id: int) -> list[dict[str, str]]:
        """The consent evidence of one subscriber, oldest first."""
        rows = self.store.query("SELECT at, event, old_state, new_state, source, detail "
                                "FROM newsletter_events WHERE subscriber_id = ? ORDER BY id",
                                (subscriber_id,))
        return [dict(r) for r in rows]

    def confirmations_since(self, subscriber_id: int, since_iso: str) -> int:
        """How many confirmation mails were sent to this subscriber since ``since_iso``."""
        row = self.store.query("SELECT count(*) FROM newsletter_events WHERE subscriber_id = ? "
                               "AND event = 'confirmation_sent' AND at >= ?",
                               (subscriber_id, since_iso))
        return int(row[0][0])

    def confirm_nonce(self, subscriber_id: int) -> str | None:
        """The nonce the current confirmation link carries (None once used)."""
        rows = self.store.query("SELECT confirm_nonce FROM newsletter_subscribers WHERE id = ?",
                                (subscriber_id,))
        return rows[0][0] if rows else None

    # -- writing -------------------------------------------------------------------------

    def _event(self, subscriber_id: int, event: str, old: str | None, new: str | None,
               source: Source | str, detail: str = "") -> None:
        self.store.execute(
            "INSERT INTO newsletter_events (subscriber_id, at, event, old_state, new_state, "
            "source, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (subscriber_id, now_iso(), event, old, new, Source(source).value, detail))

    def record_event(self, subscriber_id: int, event: str, source: Source | str,
                     detail: str = "") -> None:
        """Record an event that does not change the state (e.g. ``confirmation_sent``)."""
        with self.store.transaction():
            self._event(subscriber_id, event, None, None, source, detail)

    def set_state(self, subscriber_id: int, state: State | str, source: Source | str, *,
                  detail: str = "", event: str = "state") -> Subscriber:
        """Move a subscriber to ``state`` and record the change as evidence."""
        state = State(state)
        with self.store.transaction() as conn:
            old = self.get(subscriber_id)
            conn.execute("UPDATE newsletter_subscribers SET state = ?, updated_at = ? "
                         "WHERE id = ?", (state.value, now_iso(), subscriber_id))
            self._event(subscriber_id, event, old.state.value, state.value, source, detail)
        return self.get(subscriber_id)

    def subscribe(self, address: str, source: Source | str, *, detail: str = "",
                  reconsent: bool = False) -> tuple[Subscriber, str | None]:
        """Ask to subscribe ``address``: returns the subscriber and the confirm nonce to mail.

        A new or unsubscribed address becomes ``pending`` with a nonce; a pending one keeps
        its nonce (earlier links stay valid); a confirmed one gets None (nothing to send).

        A bounced or complained address stays suppressed: a plain request is recorded as
        ``subscribe-suppressed`` and gets None (nothing is mailed to it). With ``reconsent``
        (an editor acting on the person's own request) it keeps its state but gets a nonce,
        recorded as ``reconsent-requested``; only the confirmation link then lifts the
        suppression, recorded as ``reconsent``. Raises :class:`AddressError` for an invalid
        address.
        """
        email = normalise(address)
        with self.store.transaction() as conn:
            row = conn.execute(f"SELECT {_COLUMNS}, confirm_nonce FROM newsletter_subscribers "
                               "WHERE email = ?", (email,)).fetchone()
            if row is None:
                nonce = secrets.token_urlsafe(12)
                stamp = now_iso()
                subscriber_id = int(conn.execute(
                    "INSERT INTO newsletter_subscribers (email, state, created_at, updated_at, "
                    "confirm_nonce) VALUES (?, 'pending', ?, ?, ?) RETURNING id",
                    (email, stamp, stamp, nonce)).fetchone()[0])
                self._event(subscriber_id, "subscribe", None, "pending", source, detail)
            elif row["state"] == State.CONFIRMED:
                return _row(row), None
            elif row["state"] in SUPPRESSED:
                subscriber_id = row["id"]
                nonce = None
                if reconsent:
                    nonce = row["confirm_nonce"] or secrets.token_urlsafe(12)
                    conn.execute("UPDATE newsletter_subscribers SET confirm_nonce = ?, "
                                 "updated_at = ? WHERE id = ?", (nonce, now_iso(), subscriber_id))
                self._event(subscriber_id,
                            "reconsent-requested" if reconsent else "subscribe-suppressed",
                            row["state"], row["state"], source, detail)
            else:
                subscriber_id = row["id"]
                nonce = row["confirm_nonce"] or secrets.token_urlsafe(12)
                conn.execute("UPDATE newsletter_subscribers SET state = 'pending', "
                             "confirm_nonce = ?, updated_at = ? WHERE id = ?",
                             (nonce, now_iso(), subscriber_id))
                self._event(subscriber_id, "subscribe", row["state"], "pending", source, detail)
        return self.get(subscriber_id), nonce

    def confirm(self, subscriber_id: int, nonce: str, source: Source | str = Source.WEB
                ) -> Subscriber:
        """Confirm with the nonce of a confirmation link; the nonce is used up.

        Raises :class:`TokenError` when the link was already used or superseded.
        """
        with self.store.transaction() as conn:
            row = conn.execute("SELECT state, confirm_nonce FROM newsletter_subscribers "
                               "WHERE id = ?", (subscriber_id,)).fetchone()
            if row is None or not row["confirm_nonce"] or \
                    not secrets.compare_digest(row["confirm_nonce"], nonce):
                raise TokenError("this confirmation link was already used or is no longer "
                                 "valid: subscribe again to get a new one")
            # a new consent starts a new record: soft bounces before it no longer count
            conn.execute("UPDATE newsletter_subscribers SET state = 'confirmed', "
                         "confirm_nonce = NULL, soft_bounces = 0, last_soft_bounce_at = '', "
                         "updated_at = ? WHERE id = ?",
                         (now_iso(), subscriber_id))
            if row["state"] in SUPPRESSED:
                self._event(subscriber_id, "reconsent", row["state"], "confirmed", source,
                            f"new consent after {row['state']}: double opt-in link")
            else:
                self._event(subscriber_id, "confirm", row["state"], "confirmed", source,
                            "double opt-in link")
        return self.get(subscriber_id)

    def add(self, address: str, source: Source | str, *, confirmed: bool = False,
            detail: str = "") -> tuple[Subscriber, bool]:
        """Add an address directly (CLI): ``(subscriber, created)``; existing ones unchanged.

        Without ``confirmed`` the new subscriber is ``pending`` and receives nothing until
        they confirm.
        """
        email = normalise(address)
        existing = self.find(email)
        if existing is not None:
            return existing, False
        state = State.CONFIRMED if confirmed else State.PENDING
        stamp = now_iso()
        with self.store.transaction() as conn:
            inserted = conn.execute(
                "INSERT INTO newsletter_subscribers (email, state, created_at, "
                "updated_at, confirm_nonce) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING "
                "RETURNING id", (email, state.value, stamp, stamp,
                                 None if confirmed else secrets.token_urlsafe(12))).fetchone()
            if inserted is not None:
                self._event(int(inserted[0]), "add", None, state.value, source, detail)
        if inserted is None:  # another process added it a moment ago
            found = self.find(email)
            assert found is not None
            return found, False
        return self.get(int(inserted[0])), True

    def unsubscribe(self, subscriber_id: int, source: Source | str, detail: str = ""
                    ) -> Subscriber:
        """Unsubscribe (idempotent: an unsubscribed subscriber stays as is, no new event)."""
        current = self.get(subscriber_id)
        if current.state == State.UNSUBSCRIBED:
            return current
        return self.set_state(subscriber_id, State.UNSUBSCRIBED, source, detail=detail,
                              event="unsubscribe")

    def bulk_add(self, emails: Iterable[tuple[int, str]], source: Source | str, *,
                 confirmed: bool = False, detail: str = "") -> ImportReport:
        """Add many ``(line, address)`` pairs in one transaction, reporting each outcome."""
        report = ImportReport()
        state = State.CONFIRMED if confirmed else State.PENDING
        seen: set[str] = set()
        with self.store.transaction() as conn:
            for line, raw in emails:
                try:
                    email = normalise(raw)
                except AddressError as exc:
                    report.invalid.append((line, raw, str(exc).split(": ", 1)[-1]))
                    continue
                if email in seen:
                    report.duplicates.append((line, email))
                    continue
                seen.add(email)
                stamp = now_iso()
                inserted = conn.execute(
                    "INSERT INTO newsletter_subscribers (email, state, created_at, "
                    "updated_at, confirm_nonce) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING "
                    "RETURNING id", (email, state.value, stamp, stamp,
                                     None if confirmed else secrets.token_urlsafe(12))
                ).fetchone()
                if inserted is None:
                    report.duplicates.append((line, email))
                    continue
                self._event(int(inserted[0]), "add", None, state.value, source, detail)
                report.accepted += 1
        return report

    def import_csv(self, path: Path, *, confirmed: bool = False,
                   source: Source | str = Source.IMPORT) -> ImportReport:
        """Import a CSV file: an ``email`` column if the header has one, else the first column.

        Line numbers in the report are the file's own lines (the header is line 1).
        """
        detail = f"imported from {path.name}" + \
            (" with --confirmed (consent asserted by the importer)" if confirmed else "")
        with path.open(newline="", encoding="utf-8-sig") as fh:
            return self.bulk_add(_csv_addresses(fh), source, confirmed=confirmed, detail=detail)

    def export_csv(self, stream: TextIO, state: State | str | None = None) -> int:
        """Write ``email,state,created_at,updated_at`` rows; returns how many."""
        writer = csv.writer(stream)
        writer.writerow(["email", "state", "created_at", "updated_at"])
        count = 0
        for sub in self.iter(state):
            writer.writerow([sub.email, sub.state.value, sub.created_at, sub.updated_at])
            count += 1
        return count


def _csv_addresses(fh: TextIO) -> Iterator[tuple[int, str]]:
    reader = csv.reader(fh)
    column = 0
    first = True
    for row in reader:
        line = reader.line_num
        if first:
            first = False
            lowered = [c.strip().lower() for c in row]
            for name in ("email", "e-mail", "email_address", "address"):
                if name in lowered:
                    column = lowered.index(name)
                    break
            else:
                if row and "@" in row[0]:
                    yield line, row[0]
            continue
        if not any(c.strip() for c in row):
            continue
        yield line, row[column] if column < len(row) else ""
