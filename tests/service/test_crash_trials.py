"""The crash-trial benchmark (bench/crash_trials.py) at a small size: it must find nothing.

The full size (50 service trials, a quarter of them with two concurrent processes, and 50
unthrottled newsletter trials) is `python bench/crash_trials.py`; its figures are in
docs/service.md and docs/newsletter.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "crash_trials.py"


@pytest.mark.slow
def test_small_crash_trials_find_no_duplicate_and_no_silent_loss() -> None:
    proc = subprocess.run([sys.executable, str(BENCH), "--service-trials", "4",
                           "--newsletter-trials", "2", "--subscribers", "100", "--items", "4",
                           "--seed", "13", "--json"], capture_output=True, text=True,
                          timeout=1500)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    figures = json.loads(proc.stdout)
    service, letters = figures["service"], figures["newsletter"]
    assert service["trials"] == 4 and service["with_a_concurrent_process"] == 3
    assert service["sigkills"] >= 4
    assert (service["duplicates"], service["silent_losses"], service["stuck"]) == (0, 0, 0)
    assert letters["trials"] == 2 and letters["silent_losses"] == 0
    assert letters["duplicates"] <= letters["counted_duplicates"]
