"""Editorial decisions and slot plans through the CLI, and the service honouring them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

from k2publisher.cli.main import main
from k2publisher.desk.editorial import DecisionRefused, Editorial
from k2publisher.record.ledger import Ledger, PlanAction, RunState, db_path
from k2publisher.service.scheduler import Service

from .conftest import settings_for

MONDAY_7 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
Cli = Callable[..., tuple[int, str]]


@pytest.fixture
def k2(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str]]:
    """Run the real entry point (its exit codes and error printing); (code, all output)."""
    def run(*args: str) -> tuple[int, str]:
        capsys.readouterr()
        try:
            main(["--config", "config/k2publisher.toml", *args])
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return code, " ".join((captured.out + captured.err).split())

    return run


def status_of(site: Path, item_id: str) -> str:
    text = site.joinpath("queue", *item_id.split("/")).with_suffix(".md").read_text()
    return next(line for line in text.splitlines() if line.startswith("status:"))


def test_queue_approve_refuses_an_open_review_note_unless_overridden(site: Path, k2: Cli) -> None:
    code, out = k2("queue", "approve", "zinc/interactions")
    assert code == 1 and "open review note" in out and "--override" in out
    assert status_of(site, "zinc/interactions") == "status: draft"
    code, out = k2("queue", "approve", "zinc/interactions", "--override", "label checked")
    assert code == 0 and "override recorded" in out
    assert status_of(site, "zinc/interactions") == "status: ready"
    with Ledger(db_path(site / "state")) as ledger:
        actions = [(d.action, d.reason) for d in ledger.decisions("zinc/interactions")]
    assert actions[0] == ("approve", "label checked")
    assert actions[1][0] == "override" and "open review note" in actions[1][1]


def test_a_blocking_claim_needs_an_override_too(site: Path, k2: Cli) -> None:
    path = site / "queue" / "zinc" / "food-sources.md"
    path.write_text(path.read_text().replace("status: ready", "status: draft").replace(
        "Nothing more is claimed here.", "Zinc cures cancer."))
    settings = settings_for(site)
    with Ledger(db_path(settings.path("state"))) as ledger:
        from k2publisher.content.queue import Queue

        desk = Editorial(settings, Queue(settings.path("queue")), ledger)
        with pytest.raises(DecisionRefused, match="C01-disease-cure"):
            desk.approve("zinc/food-sources")
        with pytest.raises(DecisionRefused, match="needs a reason"):
            desk.reject("zinc/food-sources", "  ")


def test_reject_archive_unarchive_change_only_the_status_line(site: Path, k2: Cli) -> None:
    path = site / "queue" / "magnesium" / "forms.md"
    before = path.read_text()
    code, out = k2("queue", "reject", "magnesium/forms", "--reason", "needs a source")
    assert code == 0 and "back to draft" in out
    assert path.read_text() == before.replace("status: ready", "status: draft")
    assert k2("queue", "unarchive", "magnesium/forms")[0] == 1      # not archived
    assert k2("queue", "archive", "magnesium/forms")[0] == 0
    assert status_of(site, "magnesium/forms") == "status: archived"
    assert k2("queue", "unarchive", "magnesium/forms")[0] == 0
    assert status_of(site, "magnesium/forms") == "status: draft"
    code, _ = k2("queue", "reject", "magnesium/forms")
    assert code == 2                                                    # --reason is required


def test_schedule_pin_and_skip_are_honoured_by_the_service(site: Path, k2: Cli) -> None:
    with time_machine.travel(MONDAY_7, tick=False):
        code, out = k2("schedule", "pin", "daily@2026-03-03T09:00", "mechanisms/absorption")
        assert code == 0, out
        code, out = k2("schedule", "skip", "daily@2026-03-02T09:00", "--reason", "holiday")
        assert code == 0, out
        code, out = k2("schedule", "--days", "3", "--json")
        rows = json.loads(out)
    assert [r["plan"] for r in rows] == ["skip", "pin mechanisms/absorption", ""]
    assert rows[0]["items"] == []
    assert rows[1]["items"][0]["id"] == "mechanisms/absorption"
    # the policy would have taken absorption (priority 2) later; the pin holds it for Tuesday
    assert "mechanisms/absorption" not in {i["id"] for i in rows[2]["items"]}
    settings = settings_for(site)
    for moment in (datetime(2026, 3, 2, 9, 0, 30, tzinfo=UTC),
                   datetime(2026, 3, 3, 9, 0, 30, tzinfo=UTC)):
        service = Service(settings, clock=lambda m=moment: m)
        service.ledger.mark_slot("daily", datetime(2026, 3, 1, 9, tzinfo=UTC),
                                 RunState.BASELINE)
        service.start_up()
        service.close()
    with Ledger(db_path(settings.path("state"))) as ledger:
        runs = {r.slot.day: r for r in ledger.runs()}
        assert runs[2].state is RunState.SKIPPED and "holiday" in runs[2].note
        tuesday = ledger.run_publications(runs[3].id)
    assert {p.item_id for p in tuesday} == {"mechanisms/absorption"}
    assert sorted(p.channel for p in tuesday) == ["bsky", "toots"]
    assert list((site / "out" / "bsky").glob("mechanisms__absorption--bsky--*.json"))


def test_a_slot_must_be_a_future_slot_of_the_campaign(site: Path, k2: Cli) -> None:
    with time_machine.travel(MONDAY_7, tick=False):
        for ref, why in (("daily@2026-03-02T10:00", "not a slot of daily"),
                         ("daily@2026-03-01T09:00", "in the past"),
                         ("weekly@2026-03-03T09:00", "no campaign 'weekly'"),
                         ("daily-2026-03-03", "CAMPAIGN@TIME"),
                         ("daily@tomorrow", "not an ISO time")):
            code, out = k2("schedule", "skip", ref)
            assert code == 1 and why in out, (ref, out)
        assert k2("schedule", "pin", "daily@2026-03-03T09:00", "no/such-item")[0] != 0
    with Ledger(db_path(site / "state")) as ledger:
        assert ledger.slot_plans() == []


def test_a_slot_that_ran_cannot_be_replanned(site: Path) -> None:
    with Ledger(db_path(site / "state")) as ledger:
        slot = datetime(2026, 3, 3, 9, tzinfo=UTC)
        ledger.start_run("daily", slot, [])
        with pytest.raises(Exception, match="already ran"):
            ledger.plan_slot("daily", slot, PlanAction.SKIP)
