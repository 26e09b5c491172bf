"""A bad queue file is data everywhere: shown with path:line, never a crash of the service."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from k2publisher.content.queue import Queue
from k2publisher.preview.app import PreviewApp
from k2publisher.service.scheduler import Service
from k2publisher.service.web import Server, make_app

from .support import Clock, make_settings, received

DAILY = {"channels": ["social"], "times": ["09:00", "17:30"], "timezone": "UTC", "grace": 3600}
FIELDS = ("id: vitamin-k2/broken\nkind: supplement_section\nsupplement: Vitamin K2\n"
          "title: Broken\nsummary: \"Two sentences. Here.\"\nstatus: ready\n")
BAD = {
    "impossible date": ("not_before: 2026-02-30\n", 8, "not a valid timestamp"),
    "bad int tag": ("priority: !!int abc\n", 8, "'abc' is not a valid int"),
    "bad timestamp tag": ("not_before: !!timestamp nope\n", 8, "not a valid timestamp"),
    "aliases": ("tags: &t [a, b]\nevidence: *t\n", 8, "anchors and aliases"),
    "huge value": ("review: " + "x" * 30_000 + "\n", 8, "at most 20,000"),
}


def write_bad(queue: Path, extra: str) -> Path:
    path = queue / "vitamin-k2" / "broken.md"
    path.write_text(f"---\n{FIELDS}{extra}---\n\nBody.\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("extra", "line", "says"), BAD.values(), ids=BAD)
def test_queue_commands_show_the_broken_file(run_cli, site: Path, extra: str, line: int,
                                             says: str) -> None:
    make_settings(site, {"daily": DAILY})
    path = write_bad(site / "queue", extra)
    where = f"{path}:{line}: "
    code, out, err = run_cli("queue", "validate", cwd=site)
    assert code == 1 and where in out and says in out and "Traceback" not in out + err
    for argv in (("queue", "list"), ("queue", "list", "--json"), ("schedule",),
                 ("schedule", "--json")):
        code, out, err = run_cli(*argv, cwd=site)
        assert code == 0, (argv, err)
        assert where in err and says in err, argv
    code, out, _ = run_cli("status", "--json", cwd=site)
    assert code == 1
    assert any(p.startswith(where) for p in json.loads(out)["queue_problems"])
    code, out, _ = run_cli("status", cwd=site)
    assert "Queue files that cannot be used" in out


def test_an_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 10) + "]" for n in range(1, 12)]
    path = tmp_path / "q" / "bomb" / "laughs.md"
    path.parent.mkdir(parents=True)
    path.write_text("---\n" + "\n".join(lines) + "\n---\n\nBody\n", encoding="utf-8")
    queue = Queue(tmp_path / "q")
    problems = queue.load().problems
    assert [(p.line, "anchors and aliases" in p.message) for p in problems] == [(2, True)]


def test_an_oversized_file_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "q" / "big" / "file.md"
    path.parent.mkdir(parents=True)
    path.write_text("---\nid: big/file\n---\n" + "x" * 600_000, encoding="utf-8")
    (problem,) = Queue(tmp_path / "q").load().problems
    assert "at most 524,288" in problem.message


def test_a_running_service_survives_a_bad_file_dropped_in(site: Path, clock: Clock) -> None:
    settings = make_settings(site, {"daily": DAILY})
    service = Service(settings, clock=clock)
    try:
        service.start_up()  # 07:00: the baseline
        write_bad(site / "queue", "not_before: 2026-02-30\n")
        (campaign,) = service.campaigns
        clock.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        service.run_slot(campaign)
        clock.now = datetime(2026, 3, 2, 17, 30, tzinfo=UTC)
        service.run_slot(campaign)
        health = service.health()
    finally:
        service.close()
    sent = [p["item"] for p in received(site / "net/social.jsonl")]
    assert len(sent) == 2 and "vitamin-k2/broken" not in sent  # both slots published
    assert any("broken.md:8:" in p for p in health["queue_problems"])


def test_healthz_and_preview_serve_show_the_broken_file(site: Path, clock: Clock) -> None:
    settings = make_settings(site, {"daily": DAILY})
    path = write_bad(site / "queue", "priority: !!int abc\n")
    service = Service(settings, clock=clock)
    server = Server(make_app(settings, health=service.health, newsletter=False),
                    host="127.0.0.1", port=0).start()
    preview = Server(PreviewApp(settings), host="127.0.0.1", port=0).start()
    try:
        data = requests.get(f"{server.url}/healthz", timeout=5).json()
        page = requests.get(f"{preview.url}/", timeout=5).text
    finally:
        server.stop()
        preview.stop()
        service.close()
    assert any(r.startswith(f"queue file {path}:8:") for r in data["reasons"])
    assert f"{path}:8</code>" in page and "is not a valid int" in page
