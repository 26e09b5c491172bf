"""The shared setup of the tests that kill or starve real ``newsletter worker`` processes.

An issue for ``readers`` confirmed subscribers (:func:`seed_issue`), a worker process on it
(:func:`start_worker`: its log in ``log``, its JSON summaries beside it), and the rows as
the store has them afterwards (:func:`rows`). Used by ``test_workers_kill.py``,
``test_round_kill.py`` and ``test_store_outage.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from k2publisher.newsletter.issues import Issues
from k2publisher.newsletter.store import NewsletterStore
from k2publisher.newsletter.subscribers import Subscribers
from k2publisher.settings import load_settings

#: runs ``k2publisher`` with a pause after a chosen round commit (see paused_worker.py)
PAUSED_WORKER = Path(__file__).with_name("paused_worker.py")


def seed_issue(config: Path, issue_id: str, readers: int) -> None:
    """``readers`` confirmed subscribers (``reader0000@example.org`` ...) and the issue
    ``issue_id`` for them, in the store of the site ``config``."""
    store = NewsletterStore.from_settings(load_settings(config, environ={}))
    try:
        Subscribers(store).bulk_add(((i, f"reader{i:04d}@example.org")
                                     for i in range(readers)), "import", confirmed=True)
        Issues(store).create(issue_id, subject="K2 weekly", html="<p>News. <a href='"
                             "%%UNSUBSCRIBE_URL%%'>Unsubscribe</a></p>",
                             text="News.\nUnsubscribe: %%UNSUBSCRIBE_URL%%\n")
    finally:
        store.close()


def start_worker(config: Path, log: Path, issue_id: str, *options: str,
                 env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """A ``newsletter worker --issue ISSUE --json`` process (``--batch 20`` unless given):
    its log appended to ``log``, its JSON summaries in ``log`` + ``.json``. With ``env``
    (extra variables) it runs through :data:`PAUSED_WORKER`."""
    batch = () if "--batch" in options else ("--batch", "20")
    program = [str(PAUSED_WORKER)] if env else ["-m", "k2publisher"]
    with log.open("ab") as err, log.with_suffix(".json").open("wb") as out:
        return subprocess.Popen([sys.executable, *program, "--config", str(config),
                                 "newsletter", "worker", "--issue", issue_id, *batch,
                                 *options, "--json"], stdout=out, stderr=err,
                                env={**os.environ, **env} if env else None)


def rows(config: Path) -> dict[str, dict[str, Any]]:
    """Every delivery row of the site's store by address: subscriber_id, state, assumed,
    attempts."""
    store = NewsletterStore.from_settings(load_settings(config, environ={}))
    try:
        return {r["email"]: dict(r) for r in store.query(
            "SELECT s.email, d.subscriber_id, d.state, d.assumed, d.attempts FROM "
            "newsletter_deliveries d "
            "JOIN newsletter_subscribers s ON s.id = d.subscriber_id")}
    finally:
        store.close()
