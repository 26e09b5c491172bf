"""``python paused_worker.py ARGS``: ``k2publisher ARGS`` that stops after a round commit.

For the kill tests of the group-commit window (``test_round_kill.py``): after the
``K2_PAUSE_ROUND``-th round commit that marks copies ``awaiting`` (their bodies are out,
their final dots not yet), the process writes the ids it marked to ``K2_PAUSE_FILE``
and sleeps there until it is killed, so a SIGKILL lands exactly between that commit and
the dots. Everything else is the real program on the real store and SMTP server.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from k2publisher.cli.main import main
from k2publisher.newsletter.issues import Issues

_commit = Issues.commit_round
_marked = 0


def _pausing_commit(self: Issues, issue_id: str, owner: str, sent, awaiting) -> set[int]:
    global _marked
    held = _commit(self, issue_id, owner, sent, awaiting)
    if awaiting:
        _marked += 1
        if _marked == int(os.environ["K2_PAUSE_ROUND"]):
            Path(os.environ["K2_PAUSE_FILE"]).write_text(json.dumps(sorted(held)))
            time.sleep(3600)
    return held


Issues.commit_round = _pausing_commit  # type: ignore[method-assign]
main()
