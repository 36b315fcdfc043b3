"""Bin moves and write-offs in Chromium at tablet sizes, in Chinese (upright) and English
(sideways): a clerk moves stock by scanning two bin labels and the pieces between them,
and a clerk's write-off is approved by a manager."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from stockapp.extensions import db
from stockapp.models import Role
from stockapp.queries.moves import held_in
from stockapp.services import ledger, receiving, warehouses
from tests.browser.test_scanning import wedge
from tests.support.browser import MIN_TARGET_PX, sign_in, sign_out, small_targets, translated

pytestmark = pytest.mark.browser


@pytest.fixture
def language(page, viewport, live_server):
    """Chinese on the upright tablet, English on the one held sideways."""
    if viewport["width"] == 768:
        return "zh_CN"
    page.context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    return "en"


@pytest.fixture
def shop(app, make_user, make_style):
    """A clerk (li), a manager (wang), A1024 (Black × S M L) with 5 S in the default
    location, the bin A-01-03; the barcodes by SKU."""
    skus = make_style("A1024", sizes=("S", "M", "L"), colours=("Black",), name="圆领T恤")
    manager = make_user(Role.MANAGER, username="wang")
    make_user(Role.CLERK, username="li")
    with app.app_context():
        receiving.receive(lines=[(skus["A1024-Black-S"], 5)], operator_id=manager)
        shelf = warehouses.create_location(
            warehouse_id=warehouses.main_warehouse_id(), code="A-01-03"
        )
        barcodes = dict(db.session.execute(sa.text("SELECT sku, barcode FROM variants")).all())
    return skus, barcodes, shelf


def test_a_clerk_moves_stock_by_scanning_two_bin_labels(app, page, shop, language, screenshot):
    skus, barcodes, shelf = shop
    sign_in(page, "li")
    page.goto("/moves/new")
    expect(page.locator("#add")).to_be_focused()
    wedge(page, "DEFAULT")  # the source bin's label
    expect(page.locator("#move-source")).to_have_text(translated(app, "Default location", language))
    wedge(page, [barcodes["A1024-Black-S"]] * 3)  # the first asks the server, the rest count here
    expect(page.locator(f"input[name='q-{skus['A1024-Black-S']}']")).to_have_value("3")
    assert small_targets(page) == [], f"move page: targets under {MIN_TARGET_PX}px"
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    screenshot("bin-move")
    wedge(page, "A-01-03")  # the destination's label: the move posts
    expect(page).to_have_url(re.compile(r"/moves/\d+$"))
    expect(page.locator("#move-destination")).to_have_text("A-01-03")
    expect(page.locator("#piece-lines tfoot")).to_contain_text("3")
    with app.app_context():
        assert held_in(shelf, [skus["A1024-Black-S"]]) == {skus["A1024-Black-S"]: 3}
        assert held_in(warehouses.default_location_id(), [skus["A1024-Black-S"]]) == {
            skus["A1024-Black-S"]: 2
        }
        assert ledger.discrepancies() == []


def test_a_clerks_write_off_is_approved_by_a_manager(app, page, shop, language, screenshot):
    skus, barcodes, _ = shop
    sign_in(page, "li")
    page.goto("/write-offs/new")
    wedge(page, [barcodes["A1024-Black-S"]] * 2)
    expect(page.locator(f"input[name='q-{skus['A1024-Black-S']}']")).to_have_value("2")
    page.select_option("#reason", "lost")
    page.fill("#note", "不见了")
    page.click("#write-off-submit")
    expect(page).to_have_url(re.compile(r"/write-offs/\d+$"))
    waiting = translated(app, "Waiting for approval", language)
    expect(page.locator("#write-off-view h1 .state")).to_have_text(waiting)
    target = page.url
    sign_out(page)
    sign_in(page, "wang")
    page.goto(target)
    assert small_targets(page) == [], f"write-off page: targets under {MIN_TARGET_PX}px"
    screenshot("write-off")
    page.click("#approve")
    approved = translated(app, "Approved", language)
    expect(page.locator("#write-off-view h1 .state")).to_have_text(approved)
    with app.app_context():
        assert held_in(warehouses.default_location_id(), [skus["A1024-Black-S"]]) == {
            skus["A1024-Black-S"]: 3
        }
        assert ledger.discrepancies() == []
