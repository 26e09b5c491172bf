"""The example channel plugin installs as a separate package and passes its own tests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from venvs import REPO, make_venv, run

EXAMPLE = REPO / "examples" / "k2publisher-echo"


@pytest.mark.slow
def test_example_plugin_is_found_by_its_entry_point_and_passes_its_tests(tmp_path: Path
                                                                         ) -> None:
    source = tmp_path / "k2publisher-echo"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info",
                                                                   "__pycache__"))
    python = make_venv(tmp_path / "venv", see_project=True)
    run(python, "-m", "pip", "install", "--quiet", "--no-deps",
        str(source))

    listed = run(python, "-m", "k2publisher", "channels", "list", "--types", "--json",
                 cwd=tmp_path)
    tests = run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests", cwd=source)

    assert "2 passed" in tests.stdout
    assert {"type": "echo", "module": "k2publisher_echo"}.items() <= next(
        t for t in json.loads(listed.stdout) if t["type"] == "echo").items()
