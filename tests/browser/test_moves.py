"""Bin moves and write-offs in Chromium at tablet sizes, in Chinese (upright) and English
(sideways): a clerk moves stock by scanning two bin labels and the pieces between them,
and a clerk's write-off is approved by a manager; a manager reverses a move (refused
while its pieces have left the destination bin) and a write-off from their pages."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from stockapp.extensions import db
from stockapp.models import Role
from stockapp.queries.moves import held_in
from stockapp.services import ledger, moves, receiving, warehouses, write_offs
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


def reverse_in_the_dialog(page, document_id: int, reason: str) -> None:
    """Tap Reverse on the document's page, and give the reason in the dialog."""
    page.click(f"#reverse-{document_id}")
    dialog = page.locator("#modal[open]")
    expect(dialog.locator("#reason")).to_be_focused()
    dialog.locator("#reason").fill(reason)


def test_a_manager_reverses_a_bin_move_once_its_pieces_are_back(
    app, page, shop, language, screenshot
):
    skus, _, shelf = shop
    s = skus["A1024-Black-S"]
    with app.app_context():
        clerk = db.session.scalar(sa.text("SELECT id FROM users WHERE username = 'li'"))
        default = warehouses.default_location_id()

        def move(source: int, to: int, qty: int) -> dict:
            return moves.move(
                from_location_id=source, to_location_id=to, lines=[(s, qty)], operator_id=clerk
            )["document"]

        moved = move(default, shelf, 3)
        move(shelf, default, 1)  # one of them has left A-01-03 since
    sign_in(page, "wang")
    page.goto(f"/moves/{moved['id']}")
    reverse_in_the_dialog(page, moved["id"], "放错货位")
    dialog = page.locator("#modal[open]")
    expect(dialog).to_contain_text("A-01-03")
    assert small_targets(page) == [], f"reverse dialog: targets under {MIN_TARGET_PX}px"
    screenshot("bin-move-reverse")
    dialog.locator("#reverse-submit").click()
    short = translated(
        app,
        "%(sku)s is short by %(short)d (on hand %(on_hand)d, needed %(requested)d) in %(location)s",
        language,
        sku="A1024-Black-S",
        short=1,
        on_hand=2,
        requested=3,
        location="A-01-03",
    )
    expect(dialog.locator(".form-error")).to_contain_text(short)
    expect(dialog.locator(".form-error")).to_contain_text(moved["number"])
    screenshot("bin-move-reverse-refused")
    with app.app_context():
        assert held_in(shelf, [s]) == {s: 2}
        move(default, shelf, 1)  # back where the move put them
    dialog.locator("#reverse-submit").click()
    expect(page.locator("#modal")).not_to_be_visible()
    expect(page.locator("#toast")).to_contain_text(moved["number"])
    reversed_ = translated(app, "Reversed: %(reason)s", language, reason="放错货位")
    expect(page.locator("#reversed-by")).to_contain_text(reversed_)
    expect(page.locator(f"#reverse-{moved['id']}")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    with app.app_context():
        assert held_in(shelf, [s]) == {}
        assert held_in(default, [s]) == {s: 5}
        assert ledger.discrepancies() == []


def test_a_manager_reverses_an_approved_write_off(app, page, shop, language, screenshot):
    skus, _, _ = shop
    s = skus["A1024-Black-S"]
    with app.app_context():
        manager = db.session.scalar(sa.text("SELECT id FROM users WHERE username = 'wang'"))
        written_off = write_offs.submit(
            location_id=warehouses.default_location_id(),
            lines=[(s, 2)],
            reason="damaged",
            operator_id=manager,
        )["document"]
    sign_in(page, "wang")
    page.goto(f"/write-offs/{written_off['id']}")
    approved = translated(app, "Approved", language)
    expect(page.locator("#write-off-view h1 .state")).to_have_text(approved)
    reverse_in_the_dialog(page, written_off["id"], "找到了")
    page.locator("#modal[open] #reverse-submit").click()
    expect(page.locator("#modal")).not_to_be_visible()
    reversed_state = translated(app, "Reversed", language)
    expect(page.locator("#write-off-view h1 .state")).to_have_text(reversed_state)
    expect(page.locator("#reversed-by")).to_contain_text("找到了")
    expect(page.locator("#write-off-view")).to_contain_text(
        translated(app, "Approved by %(name)s", language, name="wang")
    )
    assert small_targets(page) == [], f"write-off page: targets under {MIN_TARGET_PX}px"
    screenshot("write-off-reversed")
    with app.app_context():
        assert held_in(warehouses.default_location_id(), [s]) == {s: 5}
        assert ledger.discrepancies() == []
