"""Benchmark: what an idle ``k2publisher run`` costs (CPU share of one core, and RSS).

Creates a site with ``k2publisher init --defaults`` in a temporary folder, starts
``k2publisher run`` there on a free loopback port, waits until its start-up work is done (it
logs the schedule) and a few seconds more, then samples its CPU time
(``utime + stime`` from ``/proc/PID/stat``) and resident memory (``VmRSS``) over a window.
A baseline measured the same way in the same run is an idle ``python -c 'time.sleep(...)'``,
so the figures are printed beside what "doing nothing" costs on this machine.

Usage::

    python bench/idle.py                    # 5 s after start-up, 60 s window
    python bench/idle.py --settle 3 --window 10

Targets: <= 1 % of one core and <= 60 MB RSS for the idle service.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

CPU_TARGET = 1.0   # percent of one core
RSS_TARGET = 60.0  # MB
TICKS = os.sysconf("SC_CLK_TCK")
STARTUP_LIMIT = 120.0  # seconds the service may take to start on a busy machine


@dataclass(frozen=True)
class Sample:
    """CPU share and memory of one process over one window."""

    cpu_percent: float
    rss_mb: float
    peak_rss_mb: float


def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of the process in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def measure(proc: subprocess.Popen[bytes], settle: float, window: float,
            ready: threading.Event | None = None) -> Sample:
    """Wait for ``ready`` (start-up done) and ``settle`` seconds, then sample the process
    over ``window`` seconds."""
    if ready is not None and not ready.wait(STARTUP_LIMIT):
        raise SystemExit(f"the service did not finish starting in {STARTUP_LIMIT:.0f} s")
    time.sleep(settle)
    if proc.poll() is not None:
        raise SystemExit(f"process exited early with {proc.returncode}")
    cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
    time.sleep(window)
    cpu1, t1 = cpu_seconds(proc.pid), time.monotonic()
    rss, peak = memory_mb(proc.pid)
    return Sample(100 * (cpu1 - cpu0) / (t1 - t0), rss, peak)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then wait (the service stops cleanly on it)."""
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def k2publisher() -> list[str]:
    """How to start the CLI with this interpreter."""
    return [sys.executable, "-m", "k2publisher"]


def main() -> int:
    """Measure the baseline and the idle service, print both and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settle", type=float, default=5.0, help="seconds before sampling")
    parser.add_argument("--window", type=float, default=60.0, help="seconds to sample")
    args = parser.parse_args()
    total = args.settle + args.window + 5

    baseline = subprocess.Popen([sys.executable, "-c", f"import time; time.sleep({total})"])
    try:
        base = measure(baseline, args.settle, args.window)
    finally:
        stop(baseline)

    folder = Path(tempfile.mkdtemp(prefix="k2-idle-"))
    try:
        site = folder / "site"
        subprocess.run([*k2publisher(), "init", str(site), "--defaults"], check=True,
                       stdout=subprocess.DEVNULL)
        service = subprocess.Popen([*k2publisher(), "run", "--port", str(free_port())],
                                   cwd=site, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        ready = threading.Event()
        errors: list[str] = []

        def watch() -> None:  # start-up is over once the schedule has been logged
            assert service.stderr is not None
            for raw in service.stderr:
                line = raw.decode(errors="replace")
                if "outcome=scheduled" in line:
                    ready.set()
                elif " ERROR " in line or " WARNING " in line:
                    errors.append(line)

        threading.Thread(target=watch, daemon=True).start()
        try:
            idle = measure(service, args.settle, args.window, ready)
        finally:
            stop(service)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    print(f"window: {args.window:.0f} s after {args.settle:.0f} s settling")
    print(f"{'process':<28}{'CPU % of a core':>16}{'RSS MB':>10}{'peak RSS MB':>13}")
    for name, s in (("baseline (python sleep)", base), ("k2publisher run (idle)", idle)):
        print(f"{name:<28}{s.cpu_percent:>16.2f}{s.rss_mb:>10.1f}{s.peak_rss_mb:>13.1f}")
    print(f"ratio run/baseline: CPU {idle.cpu_percent - base.cpu_percent:+.2f} points, "
          f"RSS x{idle.rss_mb / base.rss_mb:.1f}")
    ok = idle.cpu_percent <= CPU_TARGET and idle.peak_rss_mb <= RSS_TARGET
    print(f"targets (<= {CPU_TARGET:.0f} % CPU, <= {RSS_TARGET:.0f} MB RSS): "
          f"{'met' if ok else 'NOT met'}")
    if errors:
        print("service warnings:\n" + "".join(errors), file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
