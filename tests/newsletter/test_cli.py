"""The CLI: subscribers list/add/remove/import/export and newsletter send/status."""

from __future__ import annotations

import json
import mailbox
from pathlib import Path

from k2publisher.cli.output import EXIT_CHECK_FAILED


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
                             "--issue", "first", "--json", cwd=site)
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
    from k2publisher.newsletter.store import NewsletterStore
    from k2publisher.newsletter.subscribers import State, Subscribers

    run_cli("subscribers", "add", "spam@example.org", "--confirmed", cwd=site)
    subs = Subscribers(NewsletterStore(site / "state" / "k2publisher.sqlite3"))
    sub = subs.find("spam@example.org")
    subs.set_state(sub.id, State.COMPLAINED, "bounce", detail="feedback loop report")
    code, out, _ = run_cli("subscribers", "add", "spam@example.org", cwd=site)
    assert code == 0 and "complained: nothing sent (pass --reconsent" in out
    assert maildir_count(site) == 0
    code, out, _ = run_cli("subscribers", "add", "spam@example.org", "--reconsent", cwd=site)
    assert code == 0 and "complained: confirmation sent" in out and maildir_count(site) == 1
    assert subs.find("spam@example.org").state == State.COMPLAINED
