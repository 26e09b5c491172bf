"""Writing imports into a queue: idempotence, hand-edit protection, dry run, the CLI."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from k2publisher.content.importers.base import apply, counts, plan
from k2publisher.content.importers.detect import import_source, import_text
from k2publisher.content.queue import Queue
from k2publisher.errors import ImportSourceError

MONOGRAPH = "004_9f0585a9ac8cc789.txt"
ARTICLE = "000_40c69c2973670f07.txt"


def run_import(queue_dir: Path, *sources: Path) -> dict[str, int]:
    items = [i for s in sources for i in import_source(str(s))]
    actions = plan(items, Queue(queue_dir))
    apply(actions)
    return counts(actions)


def test_import_then_reimport_is_idempotent(tmp_path: Path, seeds: Path) -> None:
    q = tmp_path / "queue"
    first = run_import(q, seeds / MONOGRAPH, seeds / ARTICLE)
    assert first["created"] == 29 and first["skipped"] == 0
    files = sorted(p.relative_to(q) for p in q.rglob("*.md"))
    before = {p: (q / p).read_bytes() for p in files}
    again = run_import(q, seeds / MONOGRAPH, seeds / ARTICLE)
    assert again == {"created": 0, "updated": 0, "unchanged": 29, "changed-upstream": 0,
                     "skipped": 0}
    assert {p: (q / p).read_bytes() for p in files} == before
    queue = Queue(q)
    assert queue.problems() == []
    assert len(queue.items()) == 29


def test_hand_edits_are_never_overwritten(tmp_path: Path, seeds: Path) -> None:
    q = tmp_path / "queue"
    page = tmp_path / MONOGRAPH
    shutil.copy(seeds / MONOGRAPH, page)
    run_import(q, page)
    dosage = q / "vitamin-k2" / "dosage.md"
    edited = dosage.read_text().replace("status: draft", "status: ready") + "\nEditor's note.\n"
    dosage.write_text(edited)
    # the source is unchanged: the hand edit stays, nothing is reported
    assert run_import(q, page)["unchanged"] == 17
    assert dosage.read_text() == edited
    # the source changes: untouched files update, the edited one is reported, not written
    page.write_text(page.read_text().replace("120 micrograms (mcg)", "120 mcg"))
    items = import_source(str(page))
    actions = {a.item.id: a for a in plan(items, Queue(q))}
    assert actions["vitamin-k2/dosage"].action == "changed-upstream"
    assert all(a.action == "unchanged" for i, a in actions.items() if i != "vitamin-k2/dosage")
    apply(list(actions.values()))
    assert dosage.read_text() == edited
    # an untouched file whose source changed is updated in place
    overview = q / "vitamin-k2" / "overview.md"
    page.write_text(page.read_text().replace("Its mechanisms of action", "Its mechanisms"))
    result = run_import(q, page)
    assert result["updated"] == 1 and result["changed-upstream"] == 1
    assert "Its mechanisms are multi-faceted" in overview.read_text()


def test_a_file_written_by_hand_is_left_alone(tmp_path: Path, seeds: Path) -> None:
    q = tmp_path / "queue"
    hand = q / "vitamin-k2" / "dosage.md"
    hand.parent.mkdir(parents=True)
    hand.write_text("---\nid: vitamin-k2/dosage\n---\nmine\n")
    items = [i for i in import_source(str(seeds / MONOGRAPH)) if i.id == "vitamin-k2/dosage"]
    actions = plan(items, Queue(q))
    assert actions[0].action == "changed-upstream"
    apply(actions)
    assert hand.read_text() == "---\nid: vitamin-k2/dosage\n---\nmine\n"


def test_explainers_are_shared_across_pages(tmp_path: Path, seeds: Path) -> None:
    q = tmp_path / "queue"
    run_import(q, seeds / MONOGRAPH)
    other = tmp_path / "005_beta_glucan.txt"
    other.write_text((seeds / MONOGRAPH).read_text().replace("Vitamin K2", "Beta Glucan"))
    result = run_import(q, other)
    assert result["skipped"] == 6  # the six generic explainers already came from the first page
    assert result["created"] == 11
    assert (q / "beta-glucan" / "dosage.md").exists()
    # within one run the same explainer from two pages is imported once
    q2 = tmp_path / "q2"
    assert run_import(q2, seeds / MONOGRAPH, other)["skipped"] == 6


def test_shipped_queue_is_what_the_importer_made_plus_review(repo: Path, seeds: Path) -> None:
    queue = Queue(repo / "queue")
    assert queue.problems() == []
    items = queue.items()
    assert 20 <= len(items) <= 30
    assert sum(1 for i in items if i.kind.value == "mechanism_explainer") == 8
    assert all(i.status.value == "ready" for i in items)
    actions = plan([i for s in (MONOGRAPH, ARTICLE) for i in import_source(str(seeds / s))],
                   queue)
    assert {a.action for a in actions} == {"unchanged"}


def test_cli_dry_run_json_writes_nothing(tmp_path: Path, seeds: Path, run_cli) -> None:
    q = tmp_path / "queue"
    code, out, _err = run_cli("--queue", str(q), "import", str(seeds / MONOGRAPH), "--dry-run",
                              "--json")
    assert code == 0
    data = json.loads(out)
    assert data["dry_run"] is True
    assert data["counts"]["created"] == 17
    dosage = next(i for i in data["items"] if i["id"] == "vitamin-k2/dosage")
    assert dosage["text"].startswith("---\nid: vitamin-k2/dosage\n")
    assert not q.exists()
    code, out, _err = run_cli("--queue", str(q), "import", str(seeds / MONOGRAPH))
    assert code == 0 and "17 created" in out
    code, out, _err = run_cli("--queue", str(q), "import", str(seeds / MONOGRAPH), "--dry-run")
    assert code == 0 and "17 would be unchanged" in out
    code, _out, _err = run_cli("--queue", str(q), "queue", "validate")
    assert code == 0


def test_cli_reports_an_unreadable_source(tmp_path: Path, run_cli) -> None:
    with pytest.raises(ImportSourceError, match=r"missing\.txt"):
        run_cli("--queue", str(tmp_path / "q"), "import", str(tmp_path / "missing.txt"))


def test_markdown_and_html_files(tmp_path: Path) -> None:
    md = ("# Vitamin K2: notes\n\n## Dosage\n\nStudies used 50–180 mcg of MK-7 a day12.\n\n"
          "## Inducing Apoptosis\n\nApoptosis is programmed cell death.\n\nRead More\n")
    items = {i.id: i for i in import_text(md, "notes.md")}
    assert set(items) == {"vitamin-k2/dosage", "mechanisms/inducing-apoptosis"}
    assert items["vitamin-k2/dosage"].body == "Studies used 50–180 mcg of MK-7 a day."
    assert items["vitamin-k2/dosage"].citations == [1, 2]
    assert "Read More" not in items["mechanisms/inducing-apoptosis"].body
    html = ("<html><head><style>p{}</style></head><body><nav>Home</nav><h1>Vitamin K2</h1>"
            "<h2>Side Effects</h2><p>Rare in studies5.</p><ul><li>nausea</li><li>diarrhoea</li>"
            "</ul><table><tr><th>Dose</th><th>Effect</th></tr><tr><td>45 mg</td><td>none</td>"
            "</tr></table><footer>(c) site</footer></body></html>")
    [item] = import_text(html, "page.html")
    assert item.id == "vitamin-k2/side-effects"
    assert item.body.splitlines() == ["Rare in studies.", "", "- nausea", "- diarrhoea", "",
                                      "| Dose | Effect |", "| --- | --- |", "| 45 mg | none |"]
    assert item.citations == [5]


def test_a_forced_layout_that_does_not_fit_fails_clearly(seeds: Path) -> None:
    with pytest.raises(ImportSourceError, match=re.escape(f"{ARTICLE}: not a monograph")):
        import_source(str(seeds / ARTICLE), layout="monograph")
    with pytest.raises(ImportSourceError, match="unknown layout"):
        import_source(str(seeds / ARTICLE), layout="pdf")
