"""Helpers for tests that install k2publisher (or a plugin) into a fresh virtual environment."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def make_venv(where: Path, *, see_project: bool = False) -> Path:
    """Create a venv at ``where``; return its python.

    ``see_project`` adds the project venv's site-packages (k2publisher, pytest ...) behind
    the new venv's own, so a plugin can be installed without downloading anything.
    """
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    python = where / "bin" / "python"
    if see_project:
        purelib = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()"
                                         "['purelib'])").stdout.strip())
        own = sysconfig.get_paths()["purelib"]
        (purelib / "k2publisher-project.pth").write_text(
            f"import site; site.addsitedir({own!r})\n", encoding="utf-8")
    return python


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a child process, without the project's venv or config leaking in."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "K2PUBLISHER_CONFIG", "PYTHONHOME")}
    env.update(NO_COLOR="1", PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)
    return env


def run(*args: object, cwd: Path | None = None, check: bool = True,
        timeout: float = 600, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing text output; on failure the assertion shows both streams."""
    proc = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env if env is not None else clean_env())
    if check:
        assert proc.returncode == 0, (f"{args} exited {proc.returncode}\n"
                                      f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc
