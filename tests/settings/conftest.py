"""Settings fixtures: the real ``main()`` entry point, so exit codes are the ones users see."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.service.support import write_item


@pytest.fixture
def cli_main(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run ``k2publisher.cli.main.main(argv)`` in ``cwd``; returns (exit code, stdout, stderr)."""
    from k2publisher.cli.main import main

    def run(*argv: str, cwd: Path) -> tuple[int, str, str]:
        old = Path.cwd()
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        os.chdir(cwd)
        try:
            try:
                main(list(argv))
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
        finally:
            os.chdir(old)
            root.handlers[:] = handlers
            root.setLevel(level)
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A site folder with one ready item and an empty config folder."""
    write_item(tmp_path / "queue", "vitamin-k2/dosage", priority=5)
    (tmp_path / "config").mkdir()
    return tmp_path


def write_config(site: Path, text: str | bytes) -> Path:
    """Write ``config/k2publisher.toml``."""
    path = site / "config" / "k2publisher.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path
