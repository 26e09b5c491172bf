"""The structural promise: only ``Pipeline.prepare`` makes a Publication, only ``deliver`` calls
``send_part``, and ``deliver`` sends nothing else."""

from __future__ import annotations

import ast
import copy
import dataclasses
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from k2publisher.abc import Channel
from k2publisher.deliver.core import deliver, preview
from k2publisher.errors import GuardRefusal, NotReadyRefusal, PublicationRefused
from k2publisher.models import Item, Kind, PartReceipt, Status, Verdict
from k2publisher.pipeline import Pipeline, Publication, approved
from k2publisher.settings import load_settings

SRC = Path(__file__).resolve().parents[2] / "src" / "k2publisher"
ITEM = Item(id="vitamin-k2/food", kind=Kind.MECHANISM_EXPLAINER,
            title="Where vitamin K2 is found",
            summary="Natto, some cheeses and egg yolks hold vitamin K2.",
            body="Natto is a fermented soybean dish eaten in Japan.", status=Status.READY)


class Counting(Channel):
    """Records what reaches it."""

    type_name = "counting"
    profile = "mastodon"
    supports_threads = True

    def __init__(self) -> None:
        super().__init__("counting", {})
        self.sent: list[int] = []

    def send_part(self, rendering, index, previous, idempotency_key):
        self.sent.append(index)
        return PartReceipt(index=index, remote_id=str(index))


@pytest.fixture
def pipeline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Pipeline:
    monkeypatch.chdir(tmp_path)
    return Pipeline(load_settings(None, environ={}))


def test_prepare_approves_a_ready_item_and_deliver_sends_it(pipeline: Pipeline) -> None:
    channel = Counting()
    publication = pipeline.prepare(ITEM, channel)
    assert publication.verdict.ok and publication.approved_by == "guard"
    assert publication.items == (ITEM,) and publication.channel is channel
    assert publication.approved_at.tzinfo is not None and not publication.forced
    receipt = deliver(publication, sleep=pytest.fail)
    assert channel.sent == list(range(len(publication.rendering.parts)))
    assert receipt.item_id == ITEM.id
    assert len(preview(publication)) == len(publication.rendering.parts)


def test_a_publication_cannot_be_made_or_copied_outside_prepare(pipeline: Pipeline) -> None:
    channel = Counting()
    publication = pipeline.prepare(ITEM, channel)
    with pytest.raises(TypeError, match=r"only from Pipeline\.prepare"):
        Publication((ITEM,), channel, publication.rendering, Verdict(ok=True), "me",
                    datetime.now(UTC))
    with pytest.raises(TypeError, match=r"only from Pipeline\.prepare"):
        dataclasses.replace(publication, rendering=publication.rendering)
    forged = object.__new__(Publication)
    for name in ("items", "channel", "rendering", "verdict", "approved_by", "approved_at",
                 "forced", "reason"):
        object.__setattr__(forged, name, getattr(publication, name))
    for fake in (copy.copy(publication), copy.deepcopy(publication), forged,
                 publication.rendering):
        with pytest.raises(TypeError, match="deliver"):
            deliver(fake)
        with pytest.raises(TypeError, match="deliver"):
            preview(fake)
    with pytest.raises(dataclasses.FrozenInstanceError):
        publication.rendering = None  # type: ignore[misc]
    assert channel.sent == [] and approved(publication) is publication


def test_refusals_name_the_item_the_channel_and_every_problem(pipeline: Pipeline) -> None:
    draft = dataclasses.replace(ITEM, status=Status.DRAFT)
    with pytest.raises(NotReadyRefusal) as info:
        pipeline.prepare(draft, Counting())
    assert isinstance(info.value, GuardRefusal) and info.value.exit_code == 4
    assert info.value.item_ids == [ITEM.id] and info.value.channel == "counting"
    assert "draft, not ready" in str(info.value)
    with pytest.raises(PublicationRefused, match="needs a reason"):
        pipeline.prepare(draft, Counting(), force=True)
    forced = pipeline.prepare(draft, Counting(), force=True, reason="checked by phone")
    assert forced.forced and forced.reason == "checked by phone"
    assert forced.approved_by.startswith("forced by ")

    bare = dataclasses.replace(pipeline.render([ITEM], Counting()), parts=())
    with pytest.raises(PublicationRefused) as refused:
        pipeline.prepare(ITEM, Counting(), rendering=bare)
    assert refused.value.verdict is not None and not refused.value.verdict.ok
    assert any("no parts to send" in p for p in refused.value.problems)


def _calls(name: str) -> list[tuple[Path, int]]:
    found = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else \
                    func.id if isinstance(func, ast.Name) else ""
                if called == name:
                    found.append((path.relative_to(SRC), node.lineno))
    return found


def test_only_deliver_calls_send_part_and_only_prepare_makes_a_publication() -> None:
    send_part = _calls("send_part")
    assert [str(p) for p, _ in send_part] == ["deliver/core.py"], send_part
    core = ast.parse((SRC / "deliver" / "core.py").read_text(encoding="utf-8"))
    deliver_fn = next(n for n in core.body if isinstance(n, ast.FunctionDef)
                      and n.name == "deliver")
    inside = {n.lineno for n in ast.walk(deliver_fn) if isinstance(n, ast.Call)}
    assert all(line in inside for _, line in send_part)
    first = deliver_fn.body[1]  # after the docstring: approved(publication)
    assert "approved(publication)" in ast.unparse(first)
    assert [str(p) for p, _ in _calls("Publication")] == ["pipeline/core.py"]
    assert [str(p) for p, _ in _calls("_minting")] == ["pipeline/core.py"]


def test_every_cli_module_imports_on_its_own() -> None:
    names = sorted(p.stem for p in (SRC / "cli").glob("*.py") if p.stem != "__init__")
    assert "publish_cmd" in names and "app" in names
    runs = {name: subprocess.Popen([sys.executable, "-c", f"import k2publisher.cli.{name}"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for name in names}
    failed = {}
    for name, proc in runs.items():
        _, err = proc.communicate(timeout=180)
        if proc.returncode:
            failed[name] = err.strip().splitlines()[-1]
    assert failed == {}
