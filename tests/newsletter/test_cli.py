"""The CLI: subscribers list/add/remove/import/export and newsletter send/status."""

from __future__ import annotations

import json
import mailbox
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from k2publisher.cli.output import EXIT_CHECK_FAILED
from k2publisher.errors import IssueLookupError
from k2publisher.newsletter.store import NewsletterStore


def _store(site: Path) -> NewsletterStore:
    """The store the site's config names (SQLite, or PostgreSQL with [store] url)."""
    from k2publisher.settings import load_settings

    return NewsletterStore.from_settings(load_settings(site / "config" / "k2publisher.toml",
                                                       environ={}))


def maildir_count(site: Path) -> int:
    folder = site / "outbox" / "maildir"
    return len(list(mailbox.Maildir(folder, create=False).iterkeys())) if folder.exists() else 0


def test_subscribers_add_sends_a_confirmation_unless_confirmed(run_cli, site: Path) -> None:
    code, out, _ = run_cli("subscribers", "add", "New@Example.org", cwd=site)
    assert code == 0 and "pending: confirmation sent" in out
    assert maildir_count(site) == 1
    code, out, _ = run_cli("subscribers", "add", "ok@example.org", "--confirmed", cwd=site)
    assert code == 0 and "added" in out and maildir_count(site) == 1
    code, out, _ = run_cli("subscribers", "list", "--json", cwd=site)
    assert [(s["email"], s["state"]) for s in json.loads(out)] == [
        ("new@example.org", "pending"), ("ok@example.org", "confirmed")]
    code, out, _ = run_cli("subscribers", "remove", "ok@example.org", "nobody@example.org",
                           cwd=site)
    assert code == EXIT_CHECK_FAILED and "ok@example.org: unsubscribed" in out


def test_import_reports_lines_and_export_writes_csv(run_cli, site: Path) -> None:
    (site / "in.csv").write_text("email\na@example.org\nbad\na@example.org\n",
                                 encoding="utf-8")
    code, out, _ = run_cli("subscribers", "import", "in.csv", cwd=site)
    assert code == EXIT_CHECK_FAILED
    assert "1 accepted as pending" in out
    assert "in.csv:3: invalid 'bad'" in out and "in.csv:4: duplicate a@example.org" in out
    assert maildir_count(site) == 0  # imported addresses get nothing
    code, out, _ = run_cli("subscribers", "import", "in.csv", "--json", "--confirmed",
                           cwd=site)
    assert json.loads(out)["duplicates"][0] == {"line": 2, "email": "a@example.org"}
    code, _, _ = run_cli("subscribers", "export", "out.csv", cwd=site)
    assert code == 0
    assert (site / "out.csv").read_text(encoding="utf-8").splitlines()[1].startswith(
        "a@example.org,pending,")


def test_newsletter_send_status_and_test_copy(run_cli, site: Path, repo: Path) -> None:
    queue = str(repo / "queue")
    for n in range(3):
        run_cli("subscribers", "add", f"r{n}@example.org", "--confirmed", cwd=site)
    item = "vitamin-k2/dosage"
    code, out, err = run_cli("--queue", queue, "newsletter", "send", "--items", item,
                             "--test-to", "me@example.org", cwd=site)
    assert code == 0, err
    assert maildir_count(site) == 1
    code, out, err = run_cli("--queue", queue, "newsletter", "send", "--items", item,
                             "--issue", "first", "--json", "--yes", cwd=site)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["state"] == "done" and summary["counts"]["sent"] == 3
    assert maildir_count(site) == 4
    code, out, _ = run_cli("newsletter", "status", "first", "--json", cwd=site)
    status = json.loads(out)
    assert (status["sent"], status["pending"], status["failed"], status["bounced"]) == \
        (3, 0, 0, 0)
    assert status["items"] == [item]
    code, out, _ = run_cli("--queue", queue, "newsletter", "send", "--issue", "first",
                           "--json", cwd=site)
    assert json.loads(out)["sent_this_run"] == 0 and maildir_count(site) == 4


def test_subscribers_add_leaves_a_complained_address_alone_unless_reconsent(
        run_cli, site: Path) -> None:
    from k2publisher.newsletter.subscribers import State, Subscribers

    run_cli("subscribers", "add", "spam@example.org", "--confirmed", cwd=site)
    subs = Subscribers(_store(site))
    sub = subs.find("spam@example.org")
    subs.set_state(sub.id, State.COMPLAINED, "bounce", detail="feedback loop report")
    code, out, _ = run_cli("subscribers", "add", "spam@example.org", cwd=site)
    assert code == 0 and "complained: nothing sent (pass --reconsent" in out
    assert maildir_count(site) == 0
    code, out, _ = run_cli("subscribers", "add", "spam@example.org", "--reconsent", cwd=site)
    assert code == 0 and "complained: confirmation sent" in out and maildir_count(site) == 1
    assert subs.find("spam@example.org").state == State.COMPLAINED


def _send(site: Path, queue: Path, *args: str, stdin: Any = subprocess.DEVNULL
          ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "k2publisher", "--queue", str(queue),
                           "newsletter", "send", *args], cwd=site, stdin=stdin,
                          capture_output=True, text=True, timeout=120,
                          env={k: v for k, v in os.environ.items()
                               if not k.startswith("K2PUBLISHER")})


def test_newsletter_send_asks_first_and_refuses_without_a_terminal(run_cli, site: Path,
                                                                    repo: Path) -> None:
    for n in range(2):
        run_cli("subscribers", "add", f"r{n}@example.org", "--confirmed", cwd=site)
    refused = _send(site, repo / "queue", "--items", "vitamin-k2/dosage")
    assert refused.returncode == 2, refused.stderr
    assert "to 2 confirmed subscriber(s)" in refused.stderr and "pass --yes" in refused.stderr
    assert maildir_count(site) == 0
    # at a terminal it asks; "n" sends nothing, "y" sends
    for answer, sent in (("n", 0), ("y", 2)):
        leader, follower = pty.openpty()
        try:
            os.write(leader, f"{answer}\n".encode())
            proc = _send(site, repo / "queue", "--items", "vitamin-k2/dosage", stdin=follower)
        finally:
            os.close(leader)
            os.close(follower)
        assert "Send it to 2 subscriber(s)? [y/N]" in proc.stderr, proc.stderr
        assert maildir_count(site) == sent, proc.stderr


def test_newsletter_send_defaults_to_items_no_issue_carried(run_cli, site: Path,
                                                            repo: Path) -> None:
    import shutil

    from k2publisher.newsletter.issues import Issues

    queue = site / "queue"
    for name in ("dosage", "side-effects", "overview"):
        (queue / "vitamin-k2").mkdir(parents=True, exist_ok=True)
        shutil.copy(repo / "queue" / "vitamin-k2" / f"{name}.md", queue / "vitamin-k2")
    run_cli("subscribers", "add", "r@example.org", "--confirmed", cwd=site)
    first = _send(site, queue, "--items", "vitamin-k2/dosage", "--issue", "one", "--yes")
    assert first.returncode == 0, first.stderr
    second = _send(site, queue, "--issue", "two", "--yes")
    assert second.returncode == 0, second.stderr
    issues = Issues(_store(site))
    assert issues.get("one").item_ids == ("vitamin-k2/dosage",)
    ready = {f"vitamin-k2/{n}" for n in ("side-effects", "overview")
             if "status: ready" in (queue / "vitamin-k2" / f"{n}.md").read_text("utf-8")}
    assert ready and set(issues.get("two").item_ids) == ready


def test_newsletter_worker_sends_open_issues_then_finds_none(run_cli, site: Path,
                                                              repo: Path) -> None:
    from k2publisher.newsletter.issues import Issues

    for n in range(4):
        run_cli("subscribers", "add", f"r{n}@example.org", "--confirmed", cwd=site)
    store = _store(site)
    issues = Issues(store)
    for issue_id in ("first", "second"):
        issues.create(issue_id, subject=f"K2 {issue_id}", html="<p>K2 <a href="
                      "'%%UNSUBSCRIBE_URL%%'>Unsubscribe</a></p>",
                      text="K2\nUnsubscribe: %%UNSUBSCRIBE_URL%%\n")
    store.close()
    with pytest.raises(IssueLookupError, match="no newsletter issue 'missing'"):
        run_cli("newsletter", "worker", "--issue", "missing", cwd=site)
    code, out, err = run_cli("--queue", str(repo / "queue"), "newsletter", "worker",
                             "--batch", "3", "--concurrency", "2", "--json", cwd=site)
    assert code == 0, err
    summaries = json.loads(out)
    assert [(s["issue"], s["state"], s["sent_this_run"]) for s in summaries] == [
        ("first", "done", 4), ("second", "done", 4)]
    assert maildir_count(site) == 8
    code, out, err = run_cli("--queue", str(repo / "queue"), "newsletter", "worker", cwd=site)
    assert code == 0 and "no open newsletter issue" in err
    code, out, err = run_cli("--queue", str(repo / "queue"), "newsletter", "worker",
                             "--issue", "first", cwd=site)
    assert code == 0 and "issue first is done: nothing to send" in err
    assert maildir_count(site) == 8


def test_newsletter_status_lists_each_workers_lease_and_the_rows_it_holds(run_cli,
                                                                          site: Path) -> None:
    from k2publisher.newsletter.issues import Issues
    from k2publisher.newsletter.leases import WorkerLease
    from k2publisher.newsletter.subscribers import Subscribers

    store = _store(site)
    Subscribers(store).bulk_add(((i, f"w{i}@example.org") for i in range(12)), "import",
                                confirmed=True)
    issues = Issues(store)
    issues.create("held", subject="K2", html="<p>x</p>", text="x")
    with WorkerLease(store, lease=60) as live, WorkerLease(store, lease=60) as gone:
        assert len(issues.claim("held", live.id, 5).recipients) == 5
        claimed = issues.claim("held", gone.id, 3).recipients
        issues.mark_awaiting("held", gone.id, [r.subscriber_id for r in claimed])
        store.execute("UPDATE newsletter_workers SET lease_until = 1 WHERE id = ?", (gone.id,))
        code, out, err = run_cli("newsletter", "status", "held", "--json", cwd=site)
        assert code == 0, err
        status = json.loads(out)
        assert status["in_flight"] == 8 and status["pending"] == 4 + 5
        by_id = {w["id"]: w for w in status["workers"]}
        assert by_id[live.id]["alive"] and by_id[live.id]["rows_held"] == 5
        assert by_id[live.id]["pid"] == os.getpid()
        assert not by_id[gone.id]["alive"] and by_id[gone.id]["rows_held"] == 3
        code, out, _ = run_cli("newsletter", "status", "held", cwd=site)
        assert "lapsed" in out and "alive" in out and "in_flight" in out
    store.close()
