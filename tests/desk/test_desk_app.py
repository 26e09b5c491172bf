"""The desk app over WSGI (werkzeug's test client): escaping, host check, login by password
hash, validation on save, swap and skip from the calendar, board filters, measure JSON."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash
from werkzeug.test import Client

from k2publisher.desk.app import DeskApp
from k2publisher.record.ledger import Ledger, PlanAction, db_path
from k2publisher.render.counting import count_x, graphemes

from .conftest import settings_for

MONDAY_7 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
HOSTILE = """---
id: zinc/hostile
kind: supplement_section
supplement: Zinc
title: "Zinc <script>alert(1)</script> and \\"quotes\\""
summary: "Zinc summary. \\"><img src=x onerror=alert(2)>"
tags: [zinc]
status: draft
review: "<b>look</b> at this"
---

Body with <script>alert(3)</script>.
"""


@pytest.fixture
def app(site: Path) -> DeskApp:
    (site / "queue" / "zinc" / "hostile.md").write_text(HOSTILE, encoding="utf-8")
    desk = DeskApp(settings_for(site), clock=lambda: MONDAY_7)
    yield desk
    desk.close()


def csrf_of(client: Client) -> str:
    html = client.get("/calendar").get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match
    return match.group(1)


def test_everything_shown_is_escaped(app: DeskApp) -> None:
    client = Client(app)
    for path in ("/calendar", "/board", "/item/zinc/hostile", "/board?q=%3Cscript%3E",
                 "/calendar?msg=%3Cscript%3Ealert(9)%3C/script%3E"):
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "<b>look</b>" not in html
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    page = client.get("/item/zinc/hostile").get_data(as_text=True)
    assert "Zinc &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;look&lt;/b&gt; at this" in page


def test_on_loopback_only_a_loopback_host_name_is_answered(app: DeskApp) -> None:
    client = Client(app)
    assert client.get("/calendar", headers={"Host": "127.0.0.1:8027"}).status_code == 200
    assert client.get("/calendar", headers={"Host": "localhost"}).status_code == 200
    rebound = client.get("/calendar", headers={"Host": "attacker.example:8027"})
    assert rebound.status_code == 400 and b"loopback host" in rebound.data


def test_login_by_password_hash(site: Path) -> None:
    hashed = generate_password_hash("correct horse battery")
    app = DeskApp(settings_for(site, K2PUBLISHER_DESK_PASSWORD_HASH=hashed), host="192.0.2.7")
    try:
        client = Client(app)
        assert client.get("/board").headers["Location"] == "/login"
        login = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf" value="([^"]+)"', login).group(1)  # type: ignore
        assert client.post("/login", data={"secret": "correct horse battery"}).status_code \
            == 403                                              # no CSRF token: refused
        wrong = client.post("/login", data={"secret": "wrong", "csrf": token})
        assert wrong.status_code == 401
        right = client.post("/login", data={"secret": "correct horse battery", "csrf": token})
        assert right.status_code == 303 and right.headers["Location"] == "/calendar"
        assert client.get("/board").status_code == 200
        client.post("/logout", data={"csrf": token})
        assert client.get("/board").status_code == 303
    finally:
        app.close()


def test_a_save_that_would_break_the_file_is_refused(app: DeskApp, site: Path) -> None:
    client = Client(app)
    token = csrf_of(client)
    page = client.get("/item/zinc/food-sources").get_data(as_text=True)
    version = re.search(r'name="version" value="([^"]+)"', page).group(1)  # type: ignore
    path = site / "queue" / "zinc" / "food-sources.md"
    before = path.read_bytes()
    too_long = client.post("/item/zinc/food-sources/save", data={
        "csrf": token, "version": version, "summary": "A sentence that goes on. " * 12})
    assert too_long.status_code == 422 and b"shorten it to at most 240" in too_long.data
    empty = client.post("/item/zinc/food-sources/save", data={
        "csrf": token, "version": version, "summary": "  "})
    assert empty.status_code == 422
    assert path.read_bytes() == before
    ok = client.post("/item/zinc/food-sources/save", data={
        "csrf": token, "version": version, "summary": before.decode().split('summary: "')[1]
        .split('"')[0], "variant_x": "Zinc in food: oysters first."})
    assert ok.status_code == 303
    after = path.read_text(encoding="utf-8")
    assert "variants:\n  x: 'Zinc in food: oysters first.'" in after
    assert after.replace("variants:\n  x: 'Zinc in food: oysters first.'\n", "") == \
        before.decode()
    page = client.get("/item/zinc/food-sources").get_data(as_text=True)
    version = re.search(r'name="version" value="([^"]+)"', page).group(1)  # type: ignore
    client.post("/item/zinc/food-sources/save", data={       # a browser's CRLF line breaks
        "csrf": token, "version": version, "variant_x": "Zinc in food:\r\noysters first."})
    assert "  x: |-\n    Zinc in food:\n    oysters first.\n" in path.read_text()


def test_measure_counts_by_the_networks_rules(app: DeskApp) -> None:
    client = Client(app)
    token = csrf_of(client)
    text = "Zinc 👍🏽 in food. " * 3
    data = json.loads(client.post("/item/zinc/food-sources/measure", data={
        "variant_bluesky": text, "variant_x": text}, headers={"X-CSRF-Token": token}).data)
    by = {m["channel"]: m for m in data["channels"]}
    assert by["bsky"]["counter"] == "graphemes" and by["x"]["counter"] == "x_weighted"
    bsky, x = by["bsky"]["parts"][0], by["x"]["parts"][0]
    # an emoji with a skin tone: two code points, one grapheme on Bluesky; X weighs it 2 and
    # counts the link as 23
    assert by["bsky"]["lengths"] == [graphemes(bsky)] and graphemes(bsky) == len(bsky) - 3
    assert by["x"]["lengths"] == [count_x(x)] and count_x(x) != len(x)
    assert by["bsky"]["single"] == by["bsky"]["lengths"][0]      # one post: the same text
    assert by["bsky"]["ok"] and by["bsky"]["state"] == "ok"
    # only the channels the changed variants render on are measured again
    assert {m["profile"] for m in data["channels"]} == {"bluesky", "x"}
    data = json.loads(client.post("/item/zinc/food-sources/measure", data={
        "summary": "Zinc: a new summary. Nothing more."}, headers={"X-CSRF-Token": token}).data)
    assert {m["channel"] for m in data["channels"]} >= {"bsky", "toots", "x", "telegram"}
    assert client.post("/item/zinc/food-sources/measure", data={}).status_code == 403


def test_skip_swap_and_unplan_from_the_calendar(app: DeskApp, site: Path) -> None:
    client = Client(app)
    token = csrf_of(client)
    mon, tue = "daily@2026-03-02T09:00:00+00:00", "daily@2026-03-03T09:00:00+00:00"
    html = client.get("/calendar").get_data(as_text=True)
    takes = re.findall(r'class="slot-item" data-item="([^"]+)"', html)
    swapped = client.post("/calendar/swap", data={"csrf": token, "slot": mon, "other": tue})
    assert swapped.status_code == 303
    html = client.get("/calendar").get_data(as_text=True)
    assert re.findall(r'class="slot-item" data-item="([^"]+)"', html)[:2] == takes[1::-1]
    client.post("/calendar/skip", data={"csrf": token, "slot": mon, "reason": "holiday"})
    client.post("/calendar/clear", data={"csrf": token, "slot": tue})
    with Ledger(db_path(site / "state")) as ledger:
        plans = {p.slot.day: p for p in ledger.slot_plans()}
    assert set(plans) == {2} and plans[2].action is PlanAction.SKIP
    assert plans[2].note == "holiday" and plans[2].actor.startswith("desk@")
    past = client.post("/calendar/pin", data={"csrf": token, "item": "zinc/food-sources",
                                              "slot": "daily@2026-03-01T09:00:00+00:00"})
    assert "in+the+past" in past.headers["Location"]


def test_board_filters_and_search(app: DeskApp) -> None:
    client = Client(app)

    def cards(query: str) -> list[str]:
        html = client.get("/board" + query).get_data(as_text=True)
        return re.findall(r'class="card" data-item="([^"]+)"', html)

    assert len(cards("")) == 6
    assert set(cards("?supplement=Magnesium")) == {"magnesium/dosage", "magnesium/forms"}
    assert cards("?kind=mechanism_explainer") == ["mechanisms/absorption"]
    assert set(cards("?review=yes")) == {"zinc/interactions", "zinc/hostile"}
    assert cards("?tag=food") == ["zinc/food-sources"]
    assert cards("?q=ABSORPTION") == ["mechanisms/absorption"]
    assert set(cards("?verdict=ok")) | set(cards("?verdict=refused")) == set(cards(""))
    html = client.get("/board").get_data(as_text=True)
    assert "next slot: daily@2026-03-02T09:00:00+00:00" in html


def test_a_broken_queue_file_is_named_and_the_rest_still_shows(app: DeskApp, site: Path) -> None:
    broken = site / "queue" / "zinc" / "broken.md"
    broken.write_text("---\nid: zinc/broken\ntitle: [unclosed\n---\n\nBody.\n")
    client = Client(app)
    html = client.get("/board").get_data(as_text=True)
    assert f"{broken}:3: front matter is not valid YAML" in html
    assert len(re.findall(r'class="card" data-item=', html)) == 6


def test_a_broken_campaign_is_an_error_page_not_a_crash(app: DeskApp, site: Path) -> None:
    app.settings.data["campaigns"]["daily"]["times"] = ["25:00"]
    response = Client(app).get("/calendar")
    assert response.status_code == 500
    assert b"campaigns.daily.times" in response.data and b"HH:MM" in response.data
