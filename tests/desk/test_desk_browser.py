"""The desk in a real Chromium (Playwright): plan, reject, edit, approve, publish; login; CSRF;
two editors saving the same item."""

from __future__ import annotations

import http.server
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from werkzeug.serving import make_server

from browser_support import ARTIFACTS, MARKS, chromium
from k2publisher.desk.app import DeskApp
from k2publisher.errors import ConfigError
from k2publisher.record.ledger import Ledger, RunState, db_path
from k2publisher.service.scheduler import Service

from .conftest import settings_for

REPO = Path(__file__).resolve().parents[2]
MONDAY_7 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)   # London is on GMT: 09:00 local = 09:00Z
SENTENCE = "Zinc can bind some antibiotics in the gut, so take them hours apart. "

pytestmark = MARKS


@contextmanager
def serving(app: DeskApp, host: str = "127.0.0.1") -> Iterator[int]:
    """``app`` on ``host``, a free port, in a thread; yields the port."""
    httpd = make_server(host, 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_port
    finally:
        httpd.shutdown()
        thread.join(timeout=5)
        app.close()


def shot(page: object, name: str) -> None:
    """A screenshot in test-artifacts/ (and in docs/ when K2PUBLISHER_DOC_SHOTS=1)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))  # type: ignore[attr-defined]
    assert path.stat().st_size > 10_000
    if os.environ.get("K2PUBLISHER_DOC_SHOTS") == "1":
        shutil.copy(path, REPO / "docs" / name)


def slot_ref(day: int) -> str:
    """The daily campaign's 09:00 slot on March ``day`` 2026, as the desk names it."""
    return f"daily@2026-03-{day:02d}T09:00:00+00:00"


def published(site: Path, channel: str, item_id: str) -> list[Path]:
    """The file channel's JSON files for one item."""
    return sorted((site / "out" / channel).glob(f"{item_id.replace('/', '__')}--*.json"))


def test_plan_reject_edit_approve_and_the_service_publishes_the_pin(site: Path) -> None:
    with time_machine.travel(MONDAY_7, tick=True) as traveller, \
            serving(DeskApp(settings_for(site))) as port, chromium() as browser:
        base = f"http://127.0.0.1:{port}"
        page = browser.new_page(viewport={"width": 1500, "height": 1000})  # type: ignore
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

        # -- plan the week: three pins, one by drag and drop ------------------------------
        page.goto(base + "/calendar")
        monday, tuesday, wednesday = (page.locator(f'.slot[data-slot="{slot_ref(d)}"]')
                                      for d in (2, 3, 4))
        monday.locator("select[name=item]").select_option("zinc/interactions")
        monday.locator("button.pin").click()
        page.wait_for_url("**/calendar?msg=*")
        assert "is draft, not ready" in monday.locator(".conflict").inner_text()
        page.locator('.chip[data-item="magnesium/forms"]').drag_to(tuesday)
        page.wait_for_url("**msg=pinned+magnesium*")
        wednesday.locator("select[name=item]").select_option("zinc/food-sources")
        wednesday.locator("button.pin").click()
        page.wait_for_url("**msg=pinned+zinc%2Ffood*")
        pinned = {d: page.locator(f'.slot[data-slot="{slot_ref(d)}"] .plan')
                  .get_attribute("data-item") for d in (2, 3, 4)}
        assert pinned == {2: "zinc/interactions", 3: "magnesium/forms", 4: "zinc/food-sources"}
        assert page.locator(".slot.pinned").count() == 3
        # the ready pins take their slots; the pinned draft leaves Monday to the policy
        assert wednesday.locator(".slot-item").first.get_attribute("data-item") == \
            "zinc/food-sources"
        assert monday.locator(".slot-item").first.get_attribute("data-item") != \
            "zinc/interactions"
        shot(page, "desk-calendar.png")

        # -- reject one with a reason -----------------------------------------------------
        page.goto(base + "/item/magnesium/forms")
        page.fill("#reject-reason", "the forms table needs a source")
        page.click("#reject")
        page.wait_for_url("**msg=rejected*")
        assert page.locator("#status").inner_text() == "draft"
        assert "the forms table needs a source" in page.locator("#history").inner_text()
        page.goto(base + "/calendar")
        assert "magnesium/forms is draft" in tuesday.locator(".conflict").inner_text()

        # -- edit the Bluesky variant past 300 and watch the verdict change ----------------
        page.goto(base + "/item/zinc/interactions")
        bsky = page.locator('section.channel[data-channel="bsky"]')
        before = bsky.locator(".verdict").inner_text()
        assert before == "guard ok · one post"
        counter = bsky.locator(".counter.single")
        text, length = "", 0
        while length <= 300:
            text += SENTENCE
            page.fill("#variant-bluesky", text)
            page.wait_for_function(
                "([sel, old]) => document.querySelector(sel).textContent !== old",
                arg=['section.channel[data-channel="bsky"] .counter.single',
                     counter.inner_text()], timeout=5000)
            length = int(counter.inner_text().split("/")[0])
        assert "over" in (counter.get_attribute("class") or "")
        after = bsky.locator(".verdict").inner_text()
        assert after != before and "thread of" in after
        assert bsky.locator(".post-card").count() >= 2
        # the other networks still use the summary: their verdicts did not move
        toots = page.locator('section.channel[data-channel="toots"] .verdict')
        assert toots.inner_text() == "guard ok · one post"
        page.click("#save")
        page.wait_for_url("**msg=saved")
        saved = (site / "queue" / "zinc" / "interactions.md").read_text(encoding="utf-8")
        assert SENTENCE.strip() in saved and 'review: "check the antibiotic' in saved

        # -- approve: the open review note needs an override with a reason ----------------
        page.click("#approve")
        page.wait_for_url("**msg=refused*")
        assert "open review note" in page.locator("#msg").inner_text()
        assert page.locator("#status").inner_text() == "draft"
        page.fill("#override", "label checked: two hours apart is right")
        page.click("#approve")
        page.wait_for_url("**msg=approved*")
        assert page.locator("#status").inner_text() == "ready"
        history = page.locator("#history").inner_text()
        assert "override: label checked" in history and "edit: variants.bluesky" in history
        shot(page, "desk-review.png")
        page.goto(base + "/calendar")
        assert monday.locator(".conflict").count() == 0
        assert monday.locator(".slot-item").first.get_attribute("data-item") == \
            "zinc/interactions"
        assert monday.locator(".verdict").first.inner_text() == "guard ok"

        # -- the service publishes the pinned item at its slot (travelled clock) -----------
        traveller.move_to(datetime(2026, 3, 2, 8, 59, 58, tzinfo=UTC))
        service = Service(settings_for(site))
        service.start_up()                      # first start: a baseline, nothing sent
        assert published(site, "bsky", "zinc/interactions") == []
        service.start_scheduler()
        try:
            deadline = time.monotonic() + 15
            while len(published(site, "toots", "zinc/interactions")) < 1 and \
                    time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            service.stop()
            service.close()
        bsky_posts = published(site, "bsky", "zinc/interactions")
        assert len(bsky_posts) >= 2                       # the edited variant, as a thread
        assert "Zinc can bind" in "".join(p.read_text(encoding="utf-8") for p in bsky_posts)
        assert published(site, "toots", "zinc/interactions")
        assert not any((site / "out" / "bsky").glob("magnesium__*"))
        with Ledger(db_path(site / "state")) as ledger:
            run = next(r for r in ledger.runs() if r.state is RunState.DONE)
            assert run.slot == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
            assert {p.item_id for p in ledger.run_publications(run.id)} == {"zinc/interactions"}

        # -- and the desk tells what happened --------------------------------------------
        page.goto(base + "/slots")
        assert "zinc/interactions on bsky: sent" in page.locator("#runs").inner_text()
        page.goto(base + "/item/zinc/interactions")
        assert page.locator("#history tr.event.sent").count() == 2
        assert page.locator("#history a", has_text="post").count() == 2
        assert dialogs == []


def test_bound_beyond_loopback_the_desk_requires_a_login(site: Path) -> None:
    with pytest.raises(ConfigError, match="K2PUBLISHER_DESK_TOKEN"):
        DeskApp(settings_for(site), host="0.0.0.0")
    token = "t0ken-" + "x" * 30
    app = DeskApp(settings_for(site, K2PUBLISHER_DESK_TOKEN=token), host="0.0.0.0")
    with serving(app, host="0.0.0.0") as port, chromium() as browser:
        base = f"http://127.0.0.1:{port}"
        page = browser.new_page()  # type: ignore[attr-defined]
        for path in ("/calendar", "/board", "/item/zinc/interactions", "/frame/email?item=x"):
            page.goto(base + path)
            assert page.url == base + "/login", path
        # a POST without a login does nothing
        status = page.evaluate("""async (csrf) => (await fetch('/item/magnesium/dosage/archive',
            {method: 'POST', body: new URLSearchParams({csrf}), redirect: 'manual'})).type""",
                               page.locator('input[name="csrf"]').get_attribute("value"))
        assert status == "opaqueredirect"
        assert "status: ready" in (site / "queue/magnesium/dosage.md").read_text()
        page.fill('input[name="secret"]', "wrong")
        page.click("#login")
        assert page.locator("#login-error").inner_text() == "wrong token or password"
        page.fill('input[name="secret"]', token)
        page.click("#login")
        page.wait_for_url(base + "/calendar")
        assert page.locator(".slot[data-slot]").count() >= 7
        page.goto(base + "/board")
        assert page.locator(".card").count() == 5


class _Attacker(http.server.BaseHTTPRequestHandler):
    """Another origin's page that auto-submits a form to the desk (classic CSRF)."""

    target = ""

    def do_GET(self) -> None:
        body = (f'<form id="f" method="post" action="{self.target}"></form>'
                '<script>document.getElementById("f").submit()</script>').encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_every_post_needs_the_csrf_token(site: Path) -> None:
    with serving(DeskApp(settings_for(site))) as port, chromium() as browser:
        base = f"http://127.0.0.1:{port}"
        page = browser.new_page()  # type: ignore[attr-defined]
        page.goto(base + "/item/magnesium/dosage")          # the session cookie is set
        # 1. the page's own form with its token removed
        page.evaluate("document.querySelector('#reject-form input[name=csrf]').remove()")
        page.fill("#reject-reason", "forged")
        page.click("#reject")
        assert "CSRF" in page.locator("body").inner_text()
        # 2. a script POST without the header
        status = page.evaluate("""async () => (await fetch('/item/magnesium/dosage/archive',
            {method: 'POST'})).status""")
        assert status == 403
        # 3. another site's page auto-submitting a form (same host, other port)
        _Attacker.target = base + "/item/magnesium/dosage/archive"
        evil = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Attacker)
        threading.Thread(target=evil.serve_forever, daemon=True).start()
        try:
            page.goto(f"http://127.0.0.1:{evil.server_port}/")
            page.wait_for_url(base + "/item/magnesium/dosage/archive")
            assert "403" in page.locator("body").inner_text()
        finally:
            evil.shutdown()
        # a token from another session is no good either
        other = browser.new_page()  # type: ignore[attr-defined]
        other.goto(base + "/calendar")
        foreign = other.locator('meta[name="csrf-token"]').get_attribute("content")
        page.goto(base + "/calendar")
        status = page.evaluate("""async (t) => (await fetch('/item/magnesium/dosage/archive',
            {method: 'POST', headers: {'X-CSRF-Token': t}})).status""", foreign)
        assert foreign != page.locator('meta[name="csrf-token"]').get_attribute("content")
        assert status == 403
        text = (site / "queue" / "magnesium" / "dosage.md").read_text(encoding="utf-8")
        assert "status: ready" in text                       # nothing was changed
        # with the token, the same action works
        page.goto(base + "/item/magnesium/dosage")
        page.click("#archive")
        page.wait_for_url("**msg=archived")
        assert "status: archived" in (site / "queue/magnesium/dosage.md").read_text()


def test_the_second_of_two_editors_saving_gets_a_conflict(site: Path) -> None:
    path = site / "queue" / "zinc" / "food-sources.md"
    with serving(DeskApp(settings_for(site))) as port, chromium() as browser:
        url = f"http://127.0.0.1:{port}/item/zinc/food-sources"
        first = browser.new_context().new_page()  # type: ignore[attr-defined]
        second = browser.new_context().new_page()  # type: ignore[attr-defined]
        first.goto(url)
        second.goto(url)
        first.fill("#summary", "Oysters and beef are rich in zinc. Plants have less of it.")
        first.click("#save")
        first.wait_for_url("**msg=saved")
        second.fill("#summary", "Pumpkin seeds carry zinc too. Nothing more is claimed.")
        second.fill("#variant-mastodon", "Where zinc comes from, in one toot.")
        second.click("#save")
        assert "Someone saved this item after you opened it" in \
            second.locator("#conflict").inner_text()
        # the second editor's text is kept in the form, the file has the first's
        assert second.locator("#summary").input_value().startswith("Pumpkin seeds")
        assert second.locator("#variant-mastodon").input_value().startswith("Where zinc")
        text = path.read_text(encoding="utf-8")
        assert "Oysters and beef" in text and "Pumpkin" not in text
        assert "mastodon" not in text
        # with the version they now see, the second editor can save
        second.click("#save")
        second.wait_for_url("**msg=saved")
        assert "Pumpkin seeds" in path.read_text(encoding="utf-8")
