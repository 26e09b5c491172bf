"""Every relative link in the README and docs/ points at a file that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from venvs import REPO

LINK = re.compile(r"\]\(([^)\s]+)\)")
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")),
         *sorted((REPO / "examples").glob("*/README.md"))]


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(REPO)) for p in PAGES])
def test_relative_links_resolve(page: Path) -> None:
    targets = [t.split("#", 1)[0] for t in LINK.findall(page.read_text(encoding="utf-8"))
               if not re.match(r"^[a-z]+:", t) and not t.startswith("#")]
    broken = [t for t in targets if t and not (page.parent / t).exists()]

    assert broken == []


def test_the_deploy_guide_names_the_shipped_files() -> None:
    guide = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
    unit = (REPO / "deploy" / "k2publisher.service").read_text(encoding="utf-8")

    assert "deploy/k2publisher.service" in guide and "deploy/nginx.conf" in guide
    assert "/srv/k2publisher/venv/bin/k2publisher" in unit  # the venv the guide creates
    assert "WorkingDirectory=/srv/k2publisher/site" in unit  # the site the guide inits
