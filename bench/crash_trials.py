"""Crash trials: SIGKILL the real service and the real newsletter fan-out, count the damage.

Service: each trial is a fresh site with ``--items`` queue items due on a fake Mastodon
(which honours ``Idempotency-Key``) and a fake Discord webhook (which has no idempotency),
both on 127.0.0.1 in this process. ``k2publisher run --once`` starts, and is SIGKILLed right
after a random request of it reached the network. Every trial but one in four also runs a
second process against the same site at the same time, in turn: another ``run --once``
(waiting on the instance lock), ``publish ITEM --channel hook`` by hand, and the service's
start-up *without* the instance lock (only the ledger's per-part claim stands between the
two). Then ``run --once`` is restarted until it succeeds, each ``unconfirmed`` part is
resolved from the network's own record (as an editor would), and one last run delivers the
rest. Counted: posts a network received more than once (duplicates), publications the
ledger calls sent that the network never received (silent losses), and due publications
not delivered at the end (stuck).

Newsletter: one site with ``--subscribers`` confirmed subscribers and an aiosmtpd server
on 127.0.0.1 that records every accepted message. Each trial creates an issue and runs
``k2publisher newsletter send --issue ID`` unthrottled, SIGKILLs it after a random number
of accepted messages, then resumes until the issue is done. Counted: subscribers with no
copy although their row says sent (silent losses), copies received twice, and how many of
those the ledger counted as possible duplicates.

Usage::

    python bench/crash_trials.py                       # 50 service and 50 newsletter trials
    python bench/crash_trials.py --service-trials 4 --newsletter-trials 4 --json   # CI size

Exits 1 when a trial found a duplicate on the service, or a silent loss anywhere; also
when a newsletter duplicate was not counted by the ledger.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

VARIANTS = ("alone", "second run --once", "publish by hand", "unlocked start-up")
UNLOCKED = ("import sys; from k2publisher.settings import load_settings; "
            "from k2publisher.service.scheduler import Service; "
            "s = Service(load_settings(sys.argv[1])); s.start_up(); s.stop(); s.close()")


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("K2PUBLISHER")}


def _k2(*args: str, cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "k2publisher", *args], cwd=cwd,
                                env=_env(), stdout=out, stderr=out)


# -- the fake social networks ------------------------------------------------------------


@dataclass
class FakeNetwork:
    """Mastodon (``Idempotency-Key``: same key, same status) and a Discord webhook."""

    rng: random.Random
    delay: tuple[float, float] = (0.005, 0.03)
    statuses: dict[str, dict[str, str]] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self.lock:
            self.requests += 1
        time.sleep(self.rng.uniform(*self.delay))  # before the post exists
        body = request.get_json(silent=True) or {}
        if request.path == "/api/v1/statuses":
            key = request.headers.get("Idempotency-Key", "")
            with self.lock:
                if key not in self.statuses:
                    number = str(len(self.created) + 1)
                    self.statuses[key] = {"id": number, "url": f"http://masto.test/@k2/{number}"}
                    self.created.append(body.get("status", ""))
                status = self.statuses[key]
            response = Response(json.dumps(status), content_type="application/json")
        elif request.path.startswith("/api/webhooks/"):
            with self.lock:
                self.messages.append(body.get("content", ""))
                number = len(self.messages)
            response = Response(json.dumps({"id": f"m{number}"}),
                                content_type="application/json")
        else:
            response = Response("not found", status=404)
        time.sleep(self.rng.uniform(*self.delay))  # the post exists, the answer is not back
        return response(environ, start_response)

    def wait_for(self, count: int, proc: subprocess.Popen[bytes], timeout: float) -> bool:
        """Until ``count`` requests arrived in all (False if ``proc`` ended first)."""
        deadline = time.monotonic() + timeout
        while self.requests < count:
            if proc.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.002)
        return True


def write_config(root: Path, base: str, *, items: int, hook: str,
                 channels: tuple[str, ...] = ("masto", "hook")) -> Path:
    """The site config of a crash trial: Mastodon and a Discord webhook at ``base``, and
    one campaign due at start that takes ``items`` items (``tests/service`` uses it too)."""
    config = root / "config" / "k2publisher.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f"""
[delivery]
max_attempts = 2
backoff_base = 0.05
timeout = 5

[channels.masto]
type = "mastodon"
instance = "{base}"
token = "crash-token-1234"

[channels.hook]
type = "discord"
webhook_url = "{base}{hook}"

[campaigns.burst]
channels = {json.dumps(list(channels))}
run_on_start = true
items_per_slot = {items}
times = ["03:00"]
timezone = "UTC"
grace = 86400
""", encoding="utf-8")
    return config


def _service_site(root: Path, base: str, trial: int, items: int) -> tuple[Path, list[str]]:
    ids = []
    for n in range(items):
        item_id = f"t{trial:03d}/item-{n:02d}"
        ids.append(item_id)
        path = root / "queue" / f"t{trial:03d}" / f"item-{n:02d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        kind = "mechanism_explainer" if n % 2 else "supplement_section"
        path.write_text(f"""---
id: {item_id}
kind: {kind}
supplement: Magnesium glycinate
title: "Trial {trial:03d} note {n:02d}"
summary: "Trial {trial:03d} note {n:02d} in two plain sentences. Nothing more is claimed."
tags: [magnesium]
evidence: [review]
status: ready
priority: {items - n}
---

Trial {trial:03d} note {n:02d}: a short body written for the crash trials.
""", encoding="utf-8")
    config = write_config(root, base, items=items, hook=f"/api/webhooks/{trial}/hook-token")
    return config, ids


def _item_of(text: str, trial: int, items: int) -> str | None:
    for n in range(items):
        if f"Trial {trial:03d} note {n:02d}" in text:
            return f"t{trial:03d}/item-{n:02d}"
    return None


def service_trial(net: FakeNetwork, base: str, work: Path, trial: int, items: int,
                  rng: random.Random) -> dict[str, Any]:
    """One service trial; returns its counts."""
    from k2publisher.record.ledger import DeliveryState, Ledger, PublicationState, db_path

    root = work / f"service-{trial:03d}"
    config, ids = _service_site(root, base, trial, items)
    log = root / "trial.log"
    variant = VARIANTS[trial % len(VARIANTS)]
    kills = 0
    before = net.requests
    first = _k2("--config", str(config), "run", "--once", cwd=root, log=log)
    second = None
    if variant != "alone" and net.wait_for(before + 1, first, timeout=30):
        if variant == "second run --once":
            second = _k2("--config", str(config), "run", "--once", "--lock-wait", "60",
                         cwd=root, log=log)
        elif variant == "publish by hand":
            second = _k2("--config", str(config), "publish", rng.choice(ids), "--channel",
                         "hook", cwd=root, log=log)
        else:
            with log.open("ab") as out:
                second = subprocess.Popen([sys.executable, "-c", UNLOCKED, str(config)],
                                          cwd=root, env=_env(), stdout=out, stderr=out)
    if net.wait_for(before + rng.randint(1, 2 * items - 1), first, timeout=30):
        time.sleep(rng.uniform(0.0, 0.03))
    for proc in (first, second):
        if proc is not None and proc.poll() is None and (proc is first or rng.random() < 0.5):
            proc.send_signal(signal.SIGKILL)
            kills += 1
    for proc in (first, second):
        if proc is not None:
            proc.wait(timeout=120)
    for _ in range(4):  # restart until a run completes
        if _k2("--config", str(config), "run", "--once", cwd=root, log=log).wait(120) == 0:
            break
    hook = Counter(_item_of(t, trial, items) for t in net.messages)
    masto = Counter(_item_of(t, trial, items) for t in net.created)
    state = root / "state"
    with Ledger(db_path(state)) as ledger:
        unconfirmed = ledger.deliveries(states=[DeliveryState.UNCONFIRMED])
        for row in unconfirmed:  # the editor looks at the channel, then decides
            seen = (hook if row.channel == "hook" else masto)[row.item_id]
            ledger.resolve(row.id, "sent" if seen else "retry")
    if unconfirmed:
        _k2("--config", str(config), "run", "--once", cwd=root, log=log).wait(120)
    hook = Counter(_item_of(t, trial, items) for t in net.messages)
    masto = Counter(_item_of(t, trial, items) for t in net.created)
    with Ledger(db_path(state)) as ledger:
        pubs = ledger.publications()
    received = {"hook": hook, "masto": masto}
    sent = {(p.item_id, p.channel) for p in pubs if p.state is PublicationState.SENT}
    return {
        "variant": variant, "kills": kills, "unconfirmed_resolved": len(unconfirmed),
        "duplicates": sum(max(0, c - 1) for r in received.values()
                          for i, c in r.items() if i),
        "silent_losses": sum(1 for item, channel in sent if not received[channel][item]),
        "stuck": sum(1 for i in ids for c in ("hook", "masto") if (i, c) not in sent),
    }


# -- the newsletter -----------------------------------------------------------------------


class SmtpRecorder:
    """aiosmtpd handler recording (recipient, subject) of every accepted message."""

    def __init__(self) -> None:
        self.accepted: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        subject = ""
        for line in envelope.original_content.split(b"\r\n"):
            if line.lower().startswith(b"subject:"):
                subject = line[8:].decode("ascii", "replace").strip()
                break
        with self.lock:
            self.accepted.extend((r, subject) for r in envelope.rcpt_tos)
        return "250 Message accepted"

    def count(self, subject: str) -> int:
        """Messages accepted so far for ``subject``."""
        with self.lock:
            return sum(1 for _, s in self.accepted if s == subject)


def newsletter_trials(work: Path, trials: int, subscribers: int, rng: random.Random
                      ) -> list[dict[str, Any]]:
    """Every newsletter trial on one site; returns one dict of counts per trial."""
    import socket

    from aiosmtpd.controller import Controller

    from k2publisher.newsletter.issues import Issues
    from k2publisher.newsletter.store import NewsletterStore
    from k2publisher.newsletter.subscribers import Subscribers
    from k2publisher.settings import load_settings

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    recorder = SmtpRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    root = work / "newsletter"
    config = root / "config" / "k2publisher.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f"""[site]
name = "K2 Notes"
base_url = "https://k2.example.org"
contact_email = "editor@k2.example.org"

[channels.mail]
type = "smtp"
host = "127.0.0.1"
port = {port}
security = "none"
from = "K2 Notes <news@k2.example.org>"

[newsletter]
channel = "mail"
connections = 4
rate_per_second = 0
""", encoding="utf-8")
    settings = load_settings(config, environ={})
    store = NewsletterStore.from_settings(settings)
    Subscribers(store).bulk_add(((i, f"reader{i:05d}@example.org") for i in range(subscribers)),
                                "import", confirmed=True)
    out: list[dict[str, Any]] = []
    log = root / "send.log"
    try:
        for trial in range(trials):
            issue_id, subject = f"trial-{trial:03d}", f"K2 trial {trial:03d}"
            Issues(store).create(issue_id, subject=subject, text="News.\nUnsubscribe: "
                                 "%%UNSUBSCRIBE_URL%%\n", html="<p>News. <a href="
                                 "'%%UNSUBSCRIBE_URL%%'>Unsubscribe</a></p>")
            argv = ("--config", str(config), "newsletter", "send", "--issue", issue_id, "--json")
            proc = _k2(*argv, cwd=root, log=log)
            target = rng.randint(1, subscribers - 1)
            deadline = time.monotonic() + 60
            while recorder.count(subject) < target and proc.poll() is None and \
                    time.monotonic() < deadline:
                time.sleep(0.0002)
            time.sleep(rng.uniform(0.0, 0.002))
            killed = proc.poll() is None
            if killed:
                proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
            for _ in range(4):
                if _k2(*argv, cwd=root, log=log).wait(timeout=300) == 0:
                    break
            with recorder.lock:
                got = Counter(r for r, s in recorder.accepted if s == subject)
            rows = store.query("SELECT s.email, d.state, d.assumed FROM newsletter_deliveries d "
                               "JOIN newsletter_subscribers s ON s.id = d.subscriber_id WHERE "
                               "d.issue_id = ?", (issue_id,))
            counted = Issues(store).counts(issue_id).get("possible_duplicates", 0)
            out.append({
                "killed": killed,
                "silent_losses": sum(1 for r in rows if r["state"] == "sent"
                                     and not got[r["email"]]),
                "duplicates": sum(max(0, c - 1) for c in got.values()),
                "counted_duplicates": counted,
                "not_sent": sum(1 for r in rows if r["state"] != "sent"),
            })
    finally:
        store.close()
        controller.stop()
    return out


# -- main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the trials, print the figures; exit 1 on a duplicate post or any silent loss."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--service-trials", type=int, default=50)
    parser.add_argument("--newsletter-trials", type=int, default=50)
    parser.add_argument("--items", type=int, default=6, help="queue items per service trial")
    parser.add_argument("--subscribers", type=int, default=300)
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    from k2publisher.service.web import Server

    rng = random.Random(args.seed)
    started = time.monotonic()
    service: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="k2-crash-") as tmp:
        work = Path(tmp)
        net = FakeNetwork(random.Random(args.seed + 1))
        server = Server(net, host="127.0.0.1", port=0, threads=8).start()
        try:
            for trial in range(args.service_trials):
                service.append(service_trial(net, server.url, work, trial, args.items, rng))
        finally:
            server.stop()
        service_seconds = time.monotonic() - started
        letters = newsletter_trials(work, args.newsletter_trials, args.subscribers, rng) \
            if args.newsletter_trials else []
    total = time.monotonic() - started

    def tally(rows: list[dict[str, Any]], key: str) -> int:
        return sum(int(r[key]) for r in rows)

    figures = {
        "seed": args.seed,
        "service": {
            "trials": len(service), "sigkills": tally(service, "kills"),
            "with_a_concurrent_process": sum(r["variant"] != "alone" for r in service),
            "by_variant": dict(Counter(r["variant"] for r in service)),
            "duplicates": tally(service, "duplicates"),
            "silent_losses": tally(service, "silent_losses"),
            "stuck": tally(service, "stuck"),
            "unconfirmed_resolved_by_editor": tally(service, "unconfirmed_resolved"),
            "seconds": round(service_seconds, 1),
        },
        "newsletter": {
            "trials": len(letters), "subscribers": args.subscribers,
            "sigkills": sum(r["killed"] for r in letters),
            "silent_losses": tally(letters, "silent_losses"),
            "duplicates": tally(letters, "duplicates"),
            "counted_duplicates": tally(letters, "counted_duplicates"),
            "not_sent": tally(letters, "not_sent"),
        },
        "seconds": round(total, 1),
    }
    bad = (figures["service"]["duplicates"] or figures["service"]["silent_losses"]
           or figures["service"]["stuck"] or figures["newsletter"]["silent_losses"]
           or figures["newsletter"]["not_sent"]
           or figures["newsletter"]["duplicates"] > figures["newsletter"]["counted_duplicates"])
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        s, n = figures["service"], figures["newsletter"]
        print(f"service: {s['trials']} trials, {s['sigkills']} SIGKILLs, "
              f"{s['with_a_concurrent_process']} with a concurrent process {s['by_variant']}")
        print(f"  duplicates {s['duplicates']}, silent losses {s['silent_losses']}, stuck "
              f"{s['stuck']}, unconfirmed resolved by the editor "
              f"{s['unconfirmed_resolved_by_editor']} ({s['seconds']} s)")
        print(f"newsletter: {n['trials']} unthrottled trials x {n['subscribers']} subscribers, "
              f"{n['sigkills']} SIGKILLs")
        print(f"  silent losses {n['silent_losses']}, duplicates {n['duplicates']} "
              f"(counted by the ledger: {n['counted_duplicates']}), not sent {n['not_sent']}")
        print(f"seed {args.seed}, {figures['seconds']} s; "
              + ("FAILED" if bad else "OK: no duplicate post, no silent loss"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
