"""The queue loader: parsing, validation with file and line, incremental reloads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from k2publisher.content.queue import Queue
from k2publisher.models import Kind, Status

GOOD = """---
id: vitamin-k2/dosage
kind: supplement_section
supplement: Vitamin K2
title: Dosage
summary: Studies used 50–180 mcg a day.
tags: [vitamin-k2]
evidence: [clinical_trial]
status: draft
priority: 3
---

Body text.
"""


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_loads_a_good_item(tmp_path: Path) -> None:
    write(tmp_path, "vitamin-k2/dosage.md", GOOD)
    q = Queue(tmp_path)
    item = q.get("vitamin-k2/dosage")
    assert item.kind is Kind.SUPPLEMENT_SECTION
    assert item.status is Status.DRAFT
    assert item.priority == 3
    assert item.body == "Body text."
    assert item.body_line == 12
    assert q.problems() == []


def test_each_broken_file_reports_its_line_and_others_still_load(tmp_path: Path) -> None:
    write(tmp_path, "vitamin-k2/dosage.md", GOOD)
    write(tmp_path, "a/bad-yaml.md", "---\nid: a/b\ntitle: [unclosed\n---\nbody\n")
    write(tmp_path, "a/unknown.md", GOOD.replace("id: vitamin-k2/dosage", "id: a/unknown")
          .replace("priority: 3", "priorty: 3"))
    write(tmp_path, "a/kind.md", GOOD.replace("id: vitamin-k2/dosage", "id: a/kind")
          .replace("kind: supplement_section", "kind: essay"))
    write(tmp_path, "a/dup.md", GOOD)
    write(tmp_path, "a/empty.md", GOOD.replace("id: vitamin-k2/dosage", "id: a/empty")
          .replace("Body text.", ""))
    write(tmp_path, "a/long.md", GOOD.replace("id: vitamin-k2/dosage", "id: a/long")
          .replace("Studies used 50–180 mcg a day.", "x" * 241))
    write(tmp_path, "a/evidence.md", GOOD.replace("id: vitamin-k2/dosage", "id: a/evidence")
          .replace("[clinical_trial]", "[anecdote]"))
    write(tmp_path, "a/missing.md", GOOD.replace("id: vitamin-k2/dosage", "id: a/missing")
          .replace("title: Dosage\n", ""))
    q = Queue(tmp_path)
    lines = [str(p) for p in q.problems()]
    text = "\n".join(lines)
    assert f"{tmp_path}/a/bad-yaml.md:3: front matter is not valid YAML" in text
    assert f"{tmp_path}/a/unknown.md:10: unknown field 'priorty' (did you mean 'priority'?)" in text
    assert f"{tmp_path}/a/kind.md:3: unknown kind 'essay'" in text
    assert f"{tmp_path}/vitamin-k2/dosage.md:1: duplicate id" in text or \
        f"{tmp_path}/a/dup.md:1: duplicate id" in text
    assert f"{tmp_path}/a/empty.md:12: empty body" in text
    assert f"{tmp_path}/a/long.md:6: summary is 241 characters" in text
    assert f"{tmp_path}/a/evidence.md:8: unknown evidence level 'anecdote'" in text
    assert f"{tmp_path}/a/missing.md:1: missing field 'title'" in text
    ids = {i.id for i in q.items()}
    assert "vitamin-k2/dosage" in ids and "a/unknown" in ids


def test_reload_parses_only_changed_files(tmp_path: Path) -> None:
    for n in range(20):
        write(tmp_path, f"s/item-{n}.md", GOOD.replace("id: vitamin-k2/dosage", f"id: s/item-{n}"))
    q = Queue(tmp_path)
    assert q.load().parsed == 20
    assert q.load().parsed == 0
    path = tmp_path / "s/item-3.md"
    path.write_text(GOOD.replace("id: vitamin-k2/dosage", "id: s/item-3")
                    .replace("Body text.", "New body."), encoding="utf-8")
    os.utime(path, ns=(1, 1))
    result = q.load()
    assert result.parsed == 1
    assert q.get("s/item-3").body == "New body."


def test_on_disk_index_spares_a_new_process_the_parse(tmp_path: Path) -> None:
    root = tmp_path / "queue"
    for n in range(5):
        write(root, f"s/item-{n}.md", GOOD.replace("id: vitamin-k2/dosage", f"id: s/item-{n}"))
    index = tmp_path / "state" / "index.pickle"
    assert Queue(root, index_path=index).load().parsed == 5
    fresh = Queue(root, index_path=index)
    assert fresh.load().parsed == 0
    assert len(fresh.items()) == 5


def test_approve_edits_status_in_place(tmp_path: Path) -> None:
    path = write(tmp_path, "vitamin-k2/dosage.md", GOOD + "\n<!-- hand note -->\n")
    q = Queue(tmp_path)
    item = q.set_status("vitamin-k2/dosage", Status.READY)
    assert item.status is Status.READY
    text = path.read_text(encoding="utf-8")
    assert "status: ready" in text and "<!-- hand note -->" in text


def test_validate_command_exit_codes(tmp_path: Path, repo: Path) -> None:
    write(tmp_path, "a/bad.md", "no front matter\n")
    exe = [sys.executable, "-m", "k2publisher"]
    bad = subprocess.run([*exe, "--queue", str(tmp_path), "queue", "validate"],
                         capture_output=True, text=True, cwd=repo)
    assert bad.returncode == 1
    assert f"{tmp_path}/a/bad.md:1: file must start with a '---' line" in bad.stdout
    good = subprocess.run([*exe, "queue", "validate"], capture_output=True, text=True, cwd=repo)
    assert good.returncode == 0, good.stdout + good.stderr
