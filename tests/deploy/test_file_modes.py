"""Public and queue files are readable by others (as the umask allows); state is private."""

from __future__ import annotations

import os
from pathlib import Path

from k2publisher.content.queue import Queue
from k2publisher.files import write_atomic
from k2publisher.models import Status

from .conftest import mode


def test_feed_and_archive_pages_follow_the_umask(published_site: Path) -> None:
    public = published_site / "public"
    for path in (public / "feed.xml", public / "atom.xml", public / "archive" / "index.html",
                 public / "archive" / "vitamin-k2" / "dosage" / "index.html"):
        assert mode(path) == 0o644, f"{path}: {oct(mode(path))}"


def test_state_is_private(published_site: Path) -> None:
    state = published_site / "state"
    assert mode(state) == 0o700
    ledger = [p for p in state.iterdir() if p.suffix in (".db", ".sqlite", ".sqlite3")]
    assert ledger, list(state.iterdir())
    for path in ledger:
        assert mode(path) == 0o600, f"{path}: {oct(mode(path))}"


def test_a_rewritten_queue_file_keeps_a_readable_mode(tmp_path: Path) -> None:
    from tests.service.support import write_item

    path = write_item(tmp_path / "queue", "vitamin-k2/dosage", status="draft")
    old = os.umask(0o027)
    try:
        Queue(tmp_path / "queue").set_status("vitamin-k2/dosage", Status.READY)
    finally:
        os.umask(old)
    assert "status: ready" in path.read_text()
    assert mode(path) == 0o640  # 0666 minus umask 027


def test_private_writes_are_0600_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        write_atomic(tmp_path / "state" / "key", "k", private=True)
        write_atomic(tmp_path / "public" / "page.html", "<p>hi</p>")
    finally:
        os.umask(old)
    assert mode(tmp_path / "state" / "key") == 0o600
    assert mode(tmp_path / "state") == 0o700
    assert mode(tmp_path / "public" / "page.html") == 0o666
