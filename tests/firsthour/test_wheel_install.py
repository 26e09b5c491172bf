"""A publisher's first hour, from the built wheel in a fresh virtual environment.

Builds the wheel from a copy of the sources, installs it (dependencies from the package
index) into a venv outside the repository, and runs the commands the getting-started guide
tells a new publisher to run, in a site folder that has nothing to do with this checkout.
"""

from __future__ import annotations

import json
import shutil
import sys
import zipfile
from pathlib import Path

import pytest
from venvs import REPO, clean_env, make_venv, run

from k2publisher.scaffold import EXAMPLE_ITEM_ID

#: what must ship inside the wheel for an installed k2publisher to work anywhere
PACKAGE_DATA = ("k2publisher/defaults/disclaimers.toml",
                "k2publisher/defaults/interactions.toml",
                "k2publisher/scaffold/skeleton/README.md",
                "k2publisher/scaffold/skeleton/gitignore",
                "k2publisher/scaffold/skeleton/templates/README.md",
                f"k2publisher/scaffold/skeleton/queue/{EXAMPLE_ITEM_ID}.md")


def _build_wheel(tmp: Path) -> Path:
    source = tmp / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (REPO / name).exists():
            shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "src", source / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"))
    dist = tmp / "dist"
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
        "-w", dist, source)
    [wheel] = dist.glob("k2publisher-*.whl")
    return wheel


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The wheel's file list, and the bin folder of a fresh venv it was installed into."""
    tmp = tmp_path_factory.mktemp("wheel")
    wheel = _build_wheel(tmp)
    names = zipfile.ZipFile(wheel).namelist()
    python = make_venv(tmp / "venv")
    run(python, "-m", "pip", "install", "--quiet", wheel, timeout=900)
    return python.parent, names


@pytest.mark.slow
def test_the_wheel_carries_templates_defaults_and_the_skeleton(installed) -> None:
    _, names = installed
    package = REPO / "src" / "k2publisher"
    folders = ("templates", "defaults", "guard/lexicon")
    builtin = sorted(str(p.relative_to(REPO / "src")) for folder in folders
                     for p in (package / folder).rglob("*")
                     if p.is_file() and "__pycache__" not in p.parts)

    assert [n for n in PACKAGE_DATA if n not in names] == []
    assert builtin, "the package ships built-in templates"
    assert [n for n in builtin if n not in names] == []
    assert any(n.startswith("k2publisher/templates/") and n.count("/") >= 3 for n in names)


@pytest.mark.slow
def test_a_first_hour_in_a_fresh_venv(installed, tmp_path: Path) -> None:
    bin_dir, _ = installed
    k2 = bin_dir / "k2publisher"
    env = clean_env()
    site = tmp_path / "site"

    version = run(k2, "--version", cwd=tmp_path, env=env)
    run(k2, "init", "site", "--defaults", cwd=tmp_path, env=env)
    preview = run(k2, "preview", EXAMPLE_ITEM_ID, "--json", cwd=site, env=env)
    run(k2, "queue", "approve", EXAMPLE_ITEM_ID, cwd=site, env=env)
    published = run(k2, "publish", EXAMPLE_ITEM_ID, "--channel", "social", cwd=site, env=env)
    run(k2, "publish", EXAMPLE_ITEM_ID, "--channel", "feed", cwd=site, env=env)
    # a new site has no campaign due at start (no demo): run --once says when the next is
    once = run(k2, "run", "--once", cwd=site, env=env)
    doctor = run(k2, "doctor", cwd=site, env=env, check=False)

    assert "k2publisher" in version.stdout
    assert json.loads(preview.stdout)
    assert EXAMPLE_ITEM_ID in preview.stdout
    assert list((site / "outbox" / "social").glob("example__first-note--*.json")), \
        published.stderr
    assert "outcome=nothing-due" in once.stderr and "next=" in once.stderr, once.stderr
    feed = (site / "public" / "feed.xml").read_text(encoding="utf-8")
    assert "Vitamin K2: what it is" in feed
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
