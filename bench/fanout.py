"""Benchmark: the newsletter fan-out against Postfix's ``smtp-sink`` on loopback.

Prints, in one run, for 10,000 and 100,000 confirmed subscribers (generated into a
temporary SQLite file): messages per second of k2publisher's fan-out, messages per second
of a baseline (a bare smtplib loop over one connection sending one pre-rendered message
of the same size), their ratio, and the peak RSS of each list size. Every measurement runs
in its own subprocess so the RSS figures do not mix.

Usage::

    python bench/fanout.py                      # 10,000 and 100,000
    python bench/fanout.py --sizes 10000        # just one size
    python bench/fanout.py --connections 4 --baseline-messages 20000

Targets (2-core machine): >= 2,000 personalised messages/s, >= 0.8 x baseline, and peak
RSS at 100k <= 1.3 x peak RSS at 10k. Needs ``/usr/sbin/smtp-sink`` (Debian ``postfix``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SMTP_SINK = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
ISSUE_ID = "bench-issue"


def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sink(port: int) -> subprocess.Popen[bytes]:
    """``smtp-sink -u nobody 127.0.0.1:PORT 256``, waiting until it answers."""
    cmd = [SMTP_SINK, "-u", "nobody", f"127.0.0.1:{port}", "256"]
    if os.geteuid() != 0:
        cmd = [SMTP_SINK, f"127.0.0.1:{port}", "256"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"smtp-sink did not start on port {port}")


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM) in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def issue_content() -> tuple[str, str, str]:
    """Subject, text and HTML of a realistic issue: the renderer on the shipped queue."""
    repo = Path(__file__).resolve().parent.parent
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


def make_site(root: Path, port: int, connections: int) -> Path:
    """A site folder whose newsletter sends to the sink, unthrottled."""
    (root / "config").mkdir(parents=True)
    config = root / "config" / "k2publisher.toml"
    config.write_text(
        '[site]\nname = "K2 Notes"\nbase_url = "https://k2.example.org"\n'
        'contact_email = "news@k2.example.org"\n'
        f'[channels.bench]\ntype = "smtp"\nhost = "127.0.0.1"\nport = {port}\n'
        'security = "none"\n'
        f'[newsletter]\nchannel = "bench"\nconnections = {connections}\n'
        'rate_per_second = 0\nrate_per_hour = 0\nsecret_key = "bench-key-0123456789abcdef"\n',
        encoding="utf-8")
    return config


def child_fanout(size: int, port: int, connections: int) -> dict[str, float]:
    """Generate ``size`` subscribers, store an issue, send it; measure the send only."""
    from k2publisher.newsletter.fanout import build_fanout
    from k2publisher.newsletter.issues import Issues
    from k2publisher.newsletter.store import NewsletterStore, now_iso
    from k2publisher.settings import load_settings

    with tempfile.TemporaryDirectory(prefix="k2bench-") as tmp:
        settings = load_settings(make_site(Path(tmp), port, connections), environ={})
        store = NewsletterStore.from_settings(settings)
        stamp = now_iso()
        with store.transaction() as conn:
            conn.executemany(
                "INSERT INTO newsletter_subscribers (email, state, created_at, updated_at) "
                "VALUES (?, 'confirmed', ?, ?)",
                ((f"reader{n:07d}@example.org", stamp, stamp) for n in range(size)))
        subject, text, html = issue_content()
        Issues(store).create(ISSUE_ID, subject=subject, text=text, html=html)
        fanout = build_fanout(settings, store, ISSUE_ID)
        probe = fanout.template.render(1, "reader0000001@example.org",
                                       fanout.template.identity.unsubscribe_url("x" * 40))
        started = time.perf_counter()
        summary = fanout.run()
        elapsed = time.perf_counter() - started
        assert summary.counts["sent"] == size, summary.as_dict()
        return {"size": size, "sent": summary.counts["sent"], "seconds": elapsed,
                "rate": size / elapsed, "message_bytes": len(probe),
                "peak_rss_mb": peak_rss_mb()}


def child_baseline(messages: int, port: int, message_bytes: int) -> dict[str, float]:
    """A bare smtplib loop over one connection sending one pre-rendered message."""
    from k2publisher.newsletter.message import Identity, IssueTemplate
    from k2publisher.settings import load_settings

    with tempfile.TemporaryDirectory(prefix="k2bench-") as tmp:
        settings = load_settings(make_site(Path(tmp), port, 1), environ={})
        subject, text, html = issue_content()
        template = IssueTemplate("baseline", subject, text, html,
                                 Identity.from_settings(settings, {}))
        data = template.render(1, "reader0000001@example.org",
                               "https://k2.example.org/unsubscribe/" + "x" * 40)
    smtp = smtplib.SMTP("127.0.0.1", port)
    smtp.ehlo()
    started = time.perf_counter()
    for n in range(messages):
        smtp.sendmail("news@k2.example.org", [f"reader{n:07d}@example.org"], data)
    elapsed = time.perf_counter() - started
    smtp.quit()
    return {"messages": messages, "seconds": elapsed, "rate": messages / elapsed,
            "message_bytes": len(data), "peak_rss_mb": peak_rss_mb()}


def run_child(*args: str) -> dict[str, float]:
    """Run this script as a child measurement; return its JSON result."""
    out = subprocess.run([sys.executable, __file__, "--child", *args], check=True,
                         stdout=subprocess.PIPE, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Parse options, start smtp-sink, run every measurement, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--baseline-messages", type=int, default=20000)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        values = [int(v) for v in rest]
        result = child_fanout(*values) if kind == "fanout" else child_baseline(*values)
        print(json.dumps(result))
        return

    port = free_port()
    sink = start_sink(port)
    try:
        sizes = [int(s) for s in args.sizes.split(",")]
        fan = {size: run_child("fanout", str(size), str(port), str(args.connections))
               for size in sizes}
        base = run_child("baseline", str(args.baseline_messages), str(port),
                         str(int(fan[sizes[0]]["message_bytes"])))
    finally:
        sink.terminate()
        sink.wait()

    print(f"smtp-sink on 127.0.0.1:{port}, {args.connections} connections, "
          f"{os.cpu_count()} CPUs, message {int(base['message_bytes']):,} bytes")
    print(f"baseline (smtplib, 1 connection, {args.baseline_messages:,} msgs): "
          f"{base['rate']:,.0f} msg/s, peak RSS {base['peak_rss_mb']:.1f} MiB")
    print(f"{'subscribers':>12} {'seconds':>8} {'msg/s':>8} {'x baseline':>11} "
          f"{'peak RSS MiB':>13}")
    for size in sizes:
        r = fan[size]
        print(f"{size:>12,} {r['seconds']:>8.1f} {r['rate']:>8,.0f} "
              f"{r['rate'] / base['rate']:>11.2f} {r['peak_rss_mb']:>13.1f}")
    if len(sizes) > 1:
        small, large = fan[sizes[0]], fan[sizes[-1]]
        print(f"peak RSS {sizes[-1]:,} / {sizes[0]:,}: "
              f"{large['peak_rss_mb'] / small['peak_rss_mb']:.2f}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    main()
