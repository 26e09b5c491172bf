"""Benchmark: one newsletter worker against two, to an ESP batch API and over SMTP.

Prints, in one run, for each store of ``--stores`` (SQLite and PostgreSQL by default; the
PostgreSQL server is a private one started for the run, as ``tests/pg_server.py`` does):

1. **Postmark batch API** (a local fake of ``POST /email/batch`` in its own process: it
   parses every call's JSON with the documented fields typed, and answers one result per
   message in Postmark's shape): an issue to ``--subscribers`` confirmed subscribers
   (default 1,000,000) sent by one ``newsletter worker`` process, then by two at once;
   messages per second of each, the ratio two/one, each worker's peak RSS, and the CPU
   each side spent per message (workers, fake endpoint, database server); then two
   workers on a list ten times smaller, so the peak RSS of a worker at two list sizes
   can be compared (it should not grow with the list).
2. **SMTP** to Postfix's ``smtp-sink`` on loopback: an issue to ``--smtp-subscribers``
   (default 50,000) sent by one worker and by two (each with ``--smtp-connections``
   sessions, default ``[newsletter] connections``, driven in rounds with one commit a
   round), against a bare ``smtplib`` loop over one connection sending one pre-rendered
   message of the same size, measured right before each store's runs (the load of a
   shared machine moves). About three minutes on a 2-core machine.

Every worker is a real ``k2publisher newsletter worker`` run (:func:`run_worker`) in its
own process, claiming batches with its lease and committing every outcome, so the RSS
figures do not mix. A run's time is from the first worker's start of sending to the last
worker's end. Subscribers are seeded by one ``executemany`` in one transaction.

Usage::

    python bench/fanout.py                            # 1,000,000 (Postmark), 50,000 (SMTP)
    python bench/fanout.py --subscribers 200000 --smtp-subscribers 20000
    python bench/fanout.py --stores postgresql --parts postmark
    python bench/fanout.py --parts smtp               # only the SMTP comparison

Targets (2-core machine): >= 10,000 messages/s with two workers to the batch API, two
workers >= 1.8 x one; peak RSS per worker flat in list size; the SMTP worker >= 0.9 x the
raw smtplib loop. Needs ``/usr/sbin/smtp-sink`` (Debian ``postfix``) for the SMTP part and
Debian's ``postgresql`` for the PostgreSQL store.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SMTP_SINK = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
TOKEN = "bench-server-token"
SENDER = "news@k2.example.org"


def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen[Any], what: str) -> None:
    """Until something answers on ``port`` (or ``proc`` died)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"{what} did not start on port {port}")


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM) in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def issue_content() -> tuple[str, str, str]:
    """Subject, text and HTML of a realistic issue: the renderer on the shipped queue."""
    repo = REPO
    try:
        from k2publisher.content.queue import Queue
        from k2publisher.pipeline import Pipeline
        from k2publisher.settings import load_settings

        settings = load_settings(None, environ={})
        items = Queue(repo / "queue").items()[:2]
        rendering = Pipeline(settings).renderer.render_issue(items)
        return rendering.subject or "issue", rendering.text or "", rendering.html or ""
    except Exception as exc:  # the bench must still run on a bare checkout
        print(f"(renderer unavailable, using a synthetic issue: {exc})", file=sys.stderr)
        from k2publisher.models import UNSUBSCRIBE_PLACEHOLDER

        para = "Vitamin K2 activates matrix Gla protein and osteocalcin. " * 20
        text = "\n\n".join([para] * 10) + f"\n\nUnsubscribe: {UNSUBSCRIBE_PLACEHOLDER}\n"
        html = "".join(f"<p>{para}</p>" for _ in range(10)) + \
            f'<p><a href="{UNSUBSCRIBE_PLACEHOLDER}">Unsubscribe</a></p>'
        return "K2 Notes: this week", text, html


# -- the fake Postmark batch endpoint (its own process) ------------------------------------


def postmark_decoder() -> Any:
    """A decoder of ``POST /email/batch`` bodies with Postmark's documented fields typed.

    msgspec validates the whole document (every string and escape of the bodies too) but
    keeps ``TextBody``/``HtmlBody`` as raw JSON instead of building two Python strings per
    message: a stand-in server need not pay for what only Postmark's renderer would read.
    """
    import msgspec

    header = msgspec.defstruct("Header", [("Name", str), ("Value", str)])
    message = msgspec.defstruct("Message", [
        ("From", str), ("To", str), ("Subject", str), ("MessageStream", str, "outbound"),
        ("Headers", list[header], []), ("Metadata", dict[str, str], {}),  # type: ignore[valid-type]
        ("TextBody", msgspec.Raw, msgspec.Raw(b"")), ("HtmlBody", msgspec.Raw, msgspec.Raw(b""))])
    return msgspec.json.Decoder(list[message])  # type: ignore[valid-type]


class PostmarkHandler(BaseHTTPRequestHandler):
    """``POST /email/batch``: parse the messages, answer one result each; ``GET /count``."""

    protocol_version = "HTTP/1.1"
    accepted = 0
    calls = 0
    lock = threading.Lock()
    decoder: Any = None

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        """How many messages were accepted, in how many calls, and this process's CPU."""
        usage = resource.getrusage(resource.RUSAGE_SELF)
        self._answer(200, json.dumps({"accepted": PostmarkHandler.accepted,
                                      "calls": PostmarkHandler.calls,
                                      "cpu": usage.ru_utime + usage.ru_stime}).encode())

    def do_POST(self) -> None:
        """Postmark's batch answer: a list in request order, ``ErrorCode`` 0 each."""
        import msgspec

        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("X-Postmark-Server-Token") != TOKEN:
            self._answer(401, b'{"ErrorCode": 10, "Message": "Bad token"}')
            return
        try:
            messages = PostmarkHandler.decoder.decode(body)
        except msgspec.DecodeError as exc:
            self._answer(422, json.dumps({"ErrorCode": 402, "Message": str(exc)}).encode())
            return
        if len(messages) > 500 or any(not (m.TextBody or m.HtmlBody) for m in messages):
            self._answer(422, b'{"ErrorCode": 410, "Message": "Too many batch messages"}')
            return
        with PostmarkHandler.lock:
            call = PostmarkHandler.calls
            PostmarkHandler.accepted += len(messages)
            PostmarkHandler.calls += 1
        results = [{"ErrorCode": 0, "Message": "OK", "MessageID": f"{call}-{n}", "To": m.To,
                    "SubmittedAt": "2026-12-02T04:00:00Z"} for n, m in enumerate(messages)]
        self._answer(200, msgspec.json.encode(results))


def child_postmark(port: int) -> None:
    """Serve the fake until killed."""
    PostmarkHandler.decoder = postmark_decoder()
    ThreadingHTTPServer(("127.0.0.1", port), PostmarkHandler).serve_forever()


def postmark_count(port: int) -> dict[str, Any]:
    """What the fake accepted so far, and its CPU seconds."""
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/count", timeout=10) as answer:
        return json.loads(answer.read())


# -- stores: SQLite in the site's state folder, or a private PostgreSQL server -------------


class Stores:
    """Where the sites of a run keep their store; ``pg`` is the PostgreSQL server, if any."""

    def __init__(self, kind: str):
        self.kind = kind
        self.pg: Any = None
        if kind == "postgresql":
            sys.path.insert(0, str(REPO))
            from tests.pg_server import start  # the test suite's initdb + pg_ctl fixture

            self.pg = start()

    def table(self) -> str:
        """The ``[store]`` table of a new site (a fresh database on the server)."""
        if self.pg is None:
            return ""
        return f'[store]\nurl = "{self.pg.create_database("bench")}"\n'

    def server_cpu(self) -> float:
        """CPU seconds the database server has used so far (0 for SQLite: in-process)."""
        if self.pg is None:
            return 0.0
        postmaster = int((self.pg.root / "data" / "postmaster.pid").read_text().split()[0])
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid, ppid = int(stat.parent.name), int(fields[1])
            if pid == postmaster:  # its own time and its exited backends' (reaped by it)
                total += sum(int(f) for f in fields[11:15]) / tick
            elif ppid == postmaster:
                total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def close(self) -> None:
        """Stop the server."""
        if self.pg is not None:
            self.pg.stop()


# -- sites, subscribers, issues ------------------------------------------------------------


def make_site(root: Path, channel: str, connections: int | None, store: str = "") -> Path:
    """A site folder whose newsletter sends through ``channel`` (TOML lines), unthrottled
    (``connections`` None: the ``[newsletter] connections`` default)."""
    (root / "config").mkdir(parents=True, exist_ok=True)
    config = root / "config" / "k2publisher.toml"
    config.write_text(
        '[site]\nname = "K2 Notes"\nbase_url = "https://k2.example.org"\n'
        f'contact_email = "{SENDER}"\n{store}[channels.bench]\n{channel}\n'
        '[newsletter]\nchannel = "bench"\n'
        + (f"connections = {connections}\n" if connections else "") +
        'rate_per_second = 0\nrate_per_hour = 0\nsecret_key = "bench-key-0123456789abcdef"\n',
        encoding="utf-8")
    return config


def seed(config: Path, size: int) -> float:
    """``size`` confirmed subscribers in one transaction (the store's bulk insert:
    ``executemany`` on SQLite, ``COPY`` on PostgreSQL); seconds it took."""
    from k2publisher.newsletter.store import NewsletterStore, now_iso
    from k2publisher.settings import load_settings

    store = NewsletterStore.from_settings(load_settings(config, environ={}))
    started = time.perf_counter()
    stamp = now_iso()
    with store.transaction() as conn:
        store.db.insert_rows(conn, "newsletter_subscribers",
                             ("email", "state", "created_at", "updated_at"),
                             ((f"reader{n:07d}@example.org", "confirmed", stamp, stamp)
                              for n in range(size)))
    if store.dialect == "postgresql":
        store.execute("ANALYZE newsletter_subscribers")
    store.close()
    return time.perf_counter() - started


def new_issue(config: Path, issue_id: str) -> None:
    """Store an issue for every confirmed subscriber."""
    from k2publisher.newsletter.issues import Issues
    from k2publisher.newsletter.store import NewsletterStore
    from k2publisher.settings import load_settings

    store = NewsletterStore.from_settings(load_settings(config, environ={}))
    subject, text, html = issue_content()
    Issues(store).create(issue_id, subject=subject, text=text, html=html)
    store.close()


def child_worker(config: str, issue_id: str, batch: int) -> dict[str, float]:
    """One ``newsletter worker --issue ID`` run; its sent count, times and peak RSS."""
    from k2publisher.newsletter.store import NewsletterStore
    from k2publisher.newsletter.worker import run_worker
    from k2publisher.settings import load_settings

    settings = load_settings(config, environ={})
    store = NewsletterStore.from_settings(settings)
    cpu = os.times()
    summaries = run_worker(settings, store, issue_id=issue_id, page_size=batch)
    ended = time.time()
    after = os.times()
    # the sending itself: from the run's start (after the issue was prepared and guarded)
    started = ended - sum(s.elapsed for s in summaries)
    return {"sent": sum(s.sent_now for s in summaries), "started": started, "ended": ended,
            "state": summaries[-1].state if summaries else "none",
            "cpu": after.user + after.system - cpu.user - cpu.system,
            "peak_rss_mb": peak_rss_mb()}


def run_workers(config: Path, issue_id: str, workers: int, batch: int,
                meters: dict[str, Any] | None = None) -> dict[str, Any]:
    """``workers`` worker processes on one issue at once; the run's figures.

    ``meters``: name -> a function returning CPU seconds used so far (the fake endpoint,
    the database server), read before and after the run.
    """
    meters = meters or {}
    before = {name: read() for name, read in meters.items()}
    procs = [subprocess.Popen([sys.executable, __file__, "--child", "worker", str(config),
                               issue_id, str(batch)], stdout=subprocess.PIPE, text=True)
             for _ in range(workers)]
    results = []
    for proc in procs:
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"a worker failed (exit {proc.returncode})")
        results.append(json.loads(out.strip().splitlines()[-1]))
    sent = sum(int(r["sent"]) for r in results)
    seconds = max(r["ended"] for r in results) - min(r["started"] for r in results)
    return {"workers": workers, "sent": sent, "seconds": seconds, "rate": sent / seconds,
            "rss": [r["peak_rss_mb"] for r in results], "cpu": sum(r["cpu"] for r in results),
            "split": [int(r["sent"]) for r in results],
            "meters": {name: read() - before[name] for name, read in meters.items()}}


def child_raw(port: int, messages: int) -> dict[str, float]:
    """A bare smtplib loop over one connection sending one pre-rendered message."""
    from k2publisher.newsletter.message import Identity, IssueTemplate
    from k2publisher.settings import load_settings

    with tempfile.TemporaryDirectory(prefix="k2bench-") as tmp:
        settings = load_settings(make_site(Path(tmp), smtp_channel(port), 1), environ={})
        subject, text, html = issue_content()
        template = IssueTemplate("baseline", subject, text, html,
                                 Identity.from_settings(settings, {}))
        data = template.render(1, "reader0000001@example.org",
                               "https://k2.example.org/unsubscribe/1." + "x" * 22)
    smtp = smtplib.SMTP("127.0.0.1", port)
    smtp.ehlo()
    started = time.perf_counter()
    for n in range(messages):
        smtp.sendmail(SENDER, [f"reader{n:07d}@example.org"], data)
    elapsed = time.perf_counter() - started
    smtp.quit()
    return {"messages": messages, "seconds": elapsed, "rate": messages / elapsed,
            "message_bytes": len(data), "peak_rss_mb": peak_rss_mb()}


def child(*args: str) -> dict[str, Any]:
    """Run this script as a child measurement; return its JSON result."""
    out = subprocess.run([sys.executable, __file__, "--child", *args], check=True,
                         stdout=subprocess.PIPE, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- the two comparisons ---------------------------------------------------------------------


def postmark_channel(port: int) -> str:
    """The ``[channels.bench]`` lines of a Postmark channel on the fake."""
    return (f'type = "postmark"\ntoken = "{TOKEN}"\nfrom = "K2 Notes <{SENDER}>"\n'
            f'api_url = "http://127.0.0.1:{port}"')


def smtp_channel(port: int) -> str:
    """The ``[channels.bench]`` lines of an SMTP channel on the sink."""
    return (f'type = "smtp"\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
            f'from = "K2 Notes <{SENDER}>"')


def load() -> str:
    """The 1-minute load average and what it means here."""
    return f"{os.getloadavg()[0]:.1f}"


def bench_postmark(tmp: Path, stores: Stores, size: int, small: int, connections: int,
                   batch: int) -> None:
    """One worker vs two to the fake Postmark; CPU per message; peak RSS at two sizes."""
    port = free_port()
    fake = subprocess.Popen([sys.executable, __file__, "--child", "postmark", str(port)])
    wait_for_port(port, fake, "the fake Postmark")
    meters = {"fake": lambda: postmark_count(port)["cpu"], "server": stores.server_cpu}
    try:
        big = make_site(tmp / f"postmark-big-{stores.kind}", postmark_channel(port),
                        connections, stores.table())
        seeded = seed(big, size)
        load_before = load()
        new_issue(big, "one-worker")
        one = run_workers(big, "one-worker", 1, batch, meters)
        new_issue(big, "two-workers")
        two = run_workers(big, "two-workers", 2, batch, meters)
        load_after = load()
        little = make_site(tmp / f"postmark-small-{stores.kind}", postmark_channel(port),
                           connections, stores.table())
        seed(little, small)
        new_issue(little, "two-workers-small")
        two_small = run_workers(little, "two-workers-small", 2, batch)
        fake_counts = postmark_count(port)
    finally:
        fake.terminate()
        fake.wait()
    expected = 2 * size + small
    print(f"Postmark batch API (local fake, {batch} messages a call), {stores.kind} store, "
          f"{os.cpu_count()} CPUs, {connections} connection(s) per worker")
    print(f"  seeded {size:,} subscribers in {seeded:.1f} s "
          f"({size / seeded:,.0f} rows/s, one transaction)")
    print(f"  the fake accepted {fake_counts['accepted']:,} messages in "
          f"{fake_counts['calls']:,} calls (expected {expected:,})")
    print(f"  {'run':<32} {'sent':>10} {'seconds':>8} {'msg/s':>9} {'peak RSS MiB/worker':>20}")
    for label, r, n in (("one worker", one, size), ("two workers", two, size),
                        ("two workers, small list", two_small, small)):
        assert r["sent"] == n, (label, r)
        rss = " / ".join(f"{x:.1f}" for x in r["rss"])
        print(f"  {label + f' ({n:,})':<32} {r['sent']:>10,} {r['seconds']:>8.1f} "
              f"{r['rate']:>9,.0f} {rss:>20}")
    print(f"  two workers / one worker: {two['rate'] / one['rate']:.2f}x "
          f"(split {two['split'][0]:,} / {two['split'][1]:,})")
    cores = os.cpu_count() or 1
    for label, r in (("one worker", one), ("two workers", two)):
        us = {"workers": r["cpu"] / size * 1e6, "fake endpoint": r["meters"]["fake"] / size * 1e6,
              "database server": r["meters"]["server"] / size * 1e6}
        total = sum(us.values())
        parts = ", ".join(f"{name} {v:.0f}" for name, v in us.items()
                          if v or name != "database server")
        print(f"  CPU per message, {label}: {parts} = {total:.0f} us; {cores} cores that ran "
              f"nothing else would carry {cores * 1e6 / total:,.0f} msg/s")
    print(f"  load average (1 min) {load_before} before, {load_after} after: the machine's "
          f"other jobs share these cores")
    print(f"  peak RSS per worker, {size:,} / {small:,} subscribers: "
          f"{max(two['rss']) / max(two_small['rss']):.2f}")


def bench_smtp(tmp: Path, stores: Stores, size: int, connections: int | None,
               batch: int) -> None:
    """One worker vs two over SMTP to smtp-sink, against a raw smtplib loop measured on
    the same sink right before them."""
    if not Path(SMTP_SINK).exists():
        print("SMTP: not measured (no smtp-sink: apt-get install postfix)")
        return
    port = free_port()
    cmd = [SMTP_SINK, "-u", "nobody", f"127.0.0.1:{port}", "256"] if os.geteuid() == 0 \
        else [SMTP_SINK, f"127.0.0.1:{port}", "256"]
    sink = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, sink, "smtp-sink")
    meters = {"server": stores.server_cpu}
    try:
        config = make_site(tmp / f"smtp-{stores.kind}", smtp_channel(port), connections,
                           stores.table())
        seed(config, size)
        # the baseline right before this store's runs: on a shared machine the load moves
        load_before = load()
        raw = child("raw", str(port), str(size))
        new_issue(config, "smtp-one")
        one = run_workers(config, "smtp-one", 1, batch, meters)
        new_issue(config, "smtp-two")
        two = run_workers(config, "smtp-two", 2, batch, meters)
    finally:
        sink.terminate()
        sink.wait()
    from k2publisher.settings import DEFAULTS

    sessions = connections or DEFAULTS["newsletter"]["connections"]
    print(f"SMTP to smtp-sink on 127.0.0.1, {stores.kind} store, message "
          f"{int(raw['message_bytes']):,} bytes, {sessions} connections per worker "
          f"(one commit a round of them)")
    print(f"  raw smtplib loop, 1 connection, {size:,} msgs: {raw['rate']:,.0f} msg/s "
          f"(load average (1 min) {load_before} before it)")
    for label, r in (("one worker", one), ("two workers", two)):
        assert r["sent"] == size, (label, r)
        rss = " / ".join(f"{x:.1f}" for x in r["rss"])
        server = f", database server {r['meters']['server'] / size * 1e6:.0f} us/msg" \
            if stores.pg is not None else ""
        print(f"  {label:<12} {r['sent']:>9,} in {r['seconds']:>6.1f} s: {r['rate']:>7,.0f} "
              f"msg/s, {r['rate'] / raw['rate']:.2f}x raw smtplib, peak RSS {rss} MiB, "
              f"workers {r['cpu'] / size * 1e6:.0f} us/msg{server}")
    print(f"  two workers / one worker: {two['rate'] / one['rate']:.2f}x; load average "
          f"(1 min) {load()}")


def main() -> None:
    """Parse options, run the comparisons, print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000,
                        help="list size of the batch-API runs (default 1,000,000)")
    parser.add_argument("--small", type=int, default=0,
                        help="the smaller list for the RSS comparison (default 1/10)")
    parser.add_argument("--smtp-subscribers", type=int, default=50_000)
    parser.add_argument("--parts", default="postmark,smtp",
                        help="postmark, smtp or both (default postmark,smtp)")
    parser.add_argument("--stores", default="sqlite,postgresql",
                        help="sqlite, postgresql or both (default sqlite,postgresql)")
    parser.add_argument("--batch", type=int, default=500, help="rows claimed at a time")
    parser.add_argument("--connections", type=int, default=2,
                        help="connections per worker to the batch API")
    parser.add_argument("--smtp-connections", type=int, default=None,
                        help="SMTP sessions per worker (default [newsletter] connections)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "postmark":
            child_postmark(int(rest[0]))
        elif kind == "worker":
            print(json.dumps(child_worker(rest[0], rest[1], int(rest[2]))))
        else:
            print(json.dumps(child_raw(int(rest[0]), int(rest[1]))))
        return
    parts = set(args.parts.split(","))
    kinds = [k for k in args.stores.split(",") if k]
    unknown = set(kinds) - {"sqlite", "postgresql"} or parts - {"postmark", "smtp"}
    if unknown:
        parser.error(f"unknown {', '.join(sorted(unknown))}: --stores takes sqlite and "
                     "postgresql, --parts postmark and smtp")
    print(f"load average (1 min) at the start: {load()}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="k2bench-") as name:
        tmp = Path(name)
        for kind in kinds:
            try:
                stores = Stores(kind)
            except RuntimeError as exc:
                print(f"{kind} store: not measured ({exc})")
                continue
            try:
                if "postmark" in parts:
                    bench_postmark(tmp, stores, args.subscribers,
                                   args.small or max(1, args.subscribers // 10),
                                   args.connections, args.batch)
                if "smtp" in parts:
                    bench_smtp(tmp, stores, args.smtp_subscribers, args.smtp_connections,
                               args.batch)
            finally:
                stores.close()


if __name__ == "__main__":
    sys.path.insert(0, str(REPO / "src"))
    main()
