"""Deployment fixtures: a published site in a folder other users may traverse."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.service.support import write_item


@pytest.fixture
def published_site(run_cli) -> Iterator[Path]:
    """A site (under a 0755 folder, like /srv) with one item published to the feed channel.

    pytest's own tmp folders are 0700, which would hide everything from a web server
    running as another user whatever the files' modes.
    """
    base = Path(tempfile.mkdtemp(prefix="k2-deploy-"))
    os.chmod(base, 0o755)
    old = os.umask(0o022)
    try:
        site = base / "site"
        write_item(site / "queue", "vitamin-k2/dosage", priority=5)
        code, _, err = run_cli("publish", "vitamin-k2/dosage", "--channel", "feed", cwd=site)
        assert code == 0, err
        yield site
    finally:
        os.umask(old)
        shutil.rmtree(base, ignore_errors=True)


def mode(path: Path) -> int:
    """The permission bits of ``path``."""
    return stat.S_IMODE(path.stat().st_mode)
