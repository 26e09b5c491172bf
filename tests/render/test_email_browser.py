"""Every shipped item's email (and a digest) in a real Chromium at phone and desktop widths.

The card (``.container``) must fit the viewport: a wide table scrolls inside its own box
instead of widening the whole email, the layout table has no border, and the safety warnings
come before the first sentence of the article.
"""

from __future__ import annotations

from typing import Any

import pytest
from render_helpers import REPO, make_settings, shipped_items

from browser_support import ARTIFACTS, MARKS, chromium
from k2publisher.content.queue import Queue
from k2publisher.guard.check import check
from k2publisher.guard.disclaimers import DisclaimerRules
from k2publisher.models import Item
from k2publisher.render.renderer import Renderer

pytestmark = MARKS

VIEWPORTS = (390, 1280)

MEASURE = """() => {
  const box = (el) => el.getBoundingClientRect();
  const card = document.querySelector('.container');
  const layout = document.querySelector('table.wrapper td');
  const first = document.querySelector('.section p, .section ul, .section ol');
  const safety = document.querySelector('.safety');
  const tables = [...document.querySelectorAll('.container table')];
  return {
    card: box(card).width, cardRight: box(card).right,
    page: document.documentElement.scrollWidth,
    layoutBorder: getComputedStyle(layout).borderTopWidth,
    tablesBoxed: tables.every(t => t.parentElement.classList.contains('table-scroll')),
    tableRights: tables.map(t => box(t.parentElement).right),
    scrolling: tables.filter(t => t.parentElement.scrollWidth > t.parentElement.clientWidth).length,
    safetyTop: safety ? box(safety).top : null,
    firstTop: first ? box(first).top : null,
  };
}"""


def _issues() -> list[tuple[str, list[Item]]]:
    items = shipped_items()
    skeleton = Queue(REPO / "src" / "k2publisher" / "scaffold" / "skeleton" / "queue")
    skeleton.load()
    singles = [(i.id, [i]) for i in [*items, *skeleton.items()]]
    with_tables = [i for i in items if "\n|" in i.body][:4]
    return [*singles, ("digest", [*with_tables, items[0]])]


ISSUES = _issues()


@pytest.fixture(scope="module")
def browser() -> Any:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def renderer(tmp_path_factory: pytest.TempPathFactory, rules) -> Renderer:
    return Renderer(make_settings(tmp_path_factory.mktemp("site")), rules)


def test_the_shipped_queue_has_wide_tables() -> None:
    # the point of the screenshots: without this the check below proves nothing
    assert sum("\n|" in i.body for _, items in ISSUES[:-1] for i in items) >= 5


@pytest.mark.parametrize(("name", "items"), ISSUES, ids=[n for n, _ in ISSUES])
def test_email_card_fits_phone_and_desktop(browser: Any, renderer: Renderer, name: str,
                                           items: list[Item], rules: DisclaimerRules) -> None:
    rendering = renderer.render_issue(items)
    assert check(rendering, items, rules).ok                    # still guarded as it was
    page = browser.new_page()
    try:
        for width in VIEWPORTS:
            page.set_viewport_size({"width": width, "height": 900})
            page.set_content(rendering.html or "", wait_until="load")
            m = page.evaluate(MEASURE)
            shot = ARTIFACTS / "email" / f"{name.replace('/', '_')}-{width}.png"
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot), full_page=True)
            assert m["card"] <= width and m["cardRight"] <= width, (name, width, m)
            assert m["page"] <= width, (name, width, m)            # no sideways page scroll
            assert m["layoutBorder"] == "0px"
            assert m["tablesBoxed"]
            assert all(right <= m["cardRight"] for right in m["tableRights"])
            if m["safetyTop"] is not None and m["firstTop"] is not None:
                assert m["safetyTop"] < m["firstTop"]
            assert shot.stat().st_size > 5_000
    finally:
        page.close()


def test_a_wide_table_scrolls_inside_its_box_on_a_phone(browser: Any,
                                                        renderer: Renderer) -> None:
    wide = [i for i in shipped_items() if "\n|" in i.body]
    page = browser.new_page(viewport={"width": 390, "height": 900})
    try:
        scrolling = 0
        for item in wide:
            page.set_content(renderer.render_issue([item]).html or "", wait_until="load")
            scrolling += page.evaluate(MEASURE)["scrolling"]
        assert scrolling >= 1           # some shipped tables really are wider than a phone
    finally:
        page.close()
